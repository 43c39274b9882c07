//! zlib inflation with bounds: the output size is declared by the caller (from
//! an object header), must be reachable from the input's length, and must match
//! exactly. One decompressor of each kind per thread is reused.
//!
//! Whole objects are inflated by libdeflate, which decodes a complete stream
//! into a buffer of known size about twice as fast as zlib (most objects are
//! small, where zlib's per-stream set-up dominates). Any stream libdeflate
//! refuses goes through zlib (flate2) again, which gives the exact diagnosis.
//!
//! libdeflate's fast loop runs only while [`OUT_SLACK`] bytes of the output
//! buffer are left: a small object inflated into a buffer of exactly its size
//! (a commit: about 280 bytes) would be decoded by the slow loop from start to
//! end. So objects are inflated into a buffer that much longer than declared,
//! and the declared size is then checked.

use std::cell::RefCell;

use flate2::{Decompress, FlushDecompress, Status};

/// deflate cannot expand more than about 1032:1; anything claiming more is a bomb.
pub const MAX_RATIO: u64 = 1032;

/// Room libdeflate's fast loop needs past the output it writes: its
/// `FASTLOOP_MAX_BYTES_WRITTEN`, 2 + 258 + 5 words − 1 = 299 bytes.
pub const OUT_SLACK: usize = 300;

thread_local! {
    static INFLATER: RefCell<Decompress> = RefCell::new(Decompress::new(true));
    static LIBDEFLATE: RefCell<Option<Libdeflate>> = const { RefCell::new(None) };
}

/// A libdeflate decompressor, used through its `_ex` entry, which also says
/// where the stream ended and lets the output buffer be longer than the output.
struct Libdeflate(std::ptr::NonNull<libdeflate_sys::libdeflate_decompressor>);

impl Drop for Libdeflate {
    fn drop(&mut self) {
        // SAFETY: the pointer came from libdeflate_alloc_decompressor and is freed once, here.
        unsafe { libdeflate_sys::libdeflate_free_decompressor(self.0.as_ptr()) }
    }
}

/// Inflate the zlib stream at the start of `input` with this thread's
/// libdeflate decompressor into the `room` bytes at `out` (which need not be
/// initialized): the input bytes the stream took when it produced exactly
/// `expected` bytes, None otherwise (a longer, shorter or invalid stream, or no
/// decompressor).
///
/// # Safety
/// `out` must be valid for writes of `room` bytes.
unsafe fn libdeflate(input: &[u8], out: *mut u8, room: usize, expected: usize) -> Option<usize> {
    LIBDEFLATE.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            // SAFETY: allocates a fresh decompressor (or returns null, checked below).
            let p = unsafe { libdeflate_sys::libdeflate_alloc_decompressor() };
            *c = Some(Libdeflate(std::ptr::NonNull::new(p)?));
        }
        let d = c.as_ref()?.0.as_ptr();
        let (mut used, mut produced) = (0usize, 0usize);
        // SAFETY: `d` is this thread's decompressor, used by one call at a time;
        // the input is a live slice and the caller vouches for the `room` bytes
        // at `out`; libdeflate reads and writes only within them.
        let r = unsafe { libdeflate_sys::libdeflate_zlib_decompress_ex(d, input.as_ptr().cast(), input.len(), out.cast(), room, &mut used, &mut produced) };
        (r == libdeflate_sys::libdeflate_result_LIBDEFLATE_SUCCESS && produced == expected && used <= input.len()).then_some(used)
    })
}

/// libdeflate's CRC-32 (as gzip and pack indexes use) of `data`.
pub fn crc32(data: &[u8]) -> u32 {
    // SAFETY: reads exactly the live slice.
    unsafe { libdeflate_sys::libdeflate_crc32(0, data.as_ptr().cast(), data.len()) }
}

/// Largest output `input_len` compressed bytes can honestly produce.
pub fn max_output(input_len: usize) -> u64 {
    (input_len as u64).saturating_mul(MAX_RATIO).saturating_add(64)
}

/// Inflate the zlib stream at the start of `input` (anything after the stream
/// is ignored), appending exactly `expected` bytes to `out`.
pub fn inflate_exact(input: &[u8], expected: u64, out: &mut Vec<u8>) -> Result<(), String> {
    if expected > max_output(input.len()) {
        return Err(format!("declared size {expected} cannot come from {} compressed bytes", input.len()));
    }
    let expected = usize::try_from(expected).map_err(|_| "declared size does not fit in memory".to_string())?;
    let room = expected.checked_add(OUT_SLACK).ok_or_else(|| "declared size does not fit in memory".to_string())?;
    out.try_reserve_exact(room).map_err(|_| format!("cannot allocate {expected} bytes"))?;
    let start = out.len();
    // SAFETY: the reserve above leaves at least `room` bytes of spare capacity after `start`.
    if unsafe { libdeflate(input, out.as_mut_ptr().add(start), room, expected) }.is_some() {
        // SAFETY: libdeflate wrote exactly `expected` bytes there.
        unsafe { out.set_len(start + expected) };
        return Ok(());
    }
    let r = inflate_stream(input, expected, out);
    if r.is_err() {
        out.truncate(start);
    }
    r.map(|_| ())
}

/// [`inflate_exact`] for a stream whose end is not known in advance (a pack
/// being received): returns how many input bytes the stream took.
pub fn inflate_counted(input: &[u8], expected: u64, out: &mut Vec<u8>) -> Result<usize, String> {
    if expected > max_output(input.len()) {
        return Err(format!("declared size {expected} cannot come from {} compressed bytes", input.len()));
    }
    let expected = usize::try_from(expected).map_err(|_| "declared size does not fit in memory".to_string())?;
    out.try_reserve_exact(expected).map_err(|_| format!("cannot allocate {expected} bytes"))?;
    let start = out.len();
    let r = inflate_stream(input, expected, out);
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// Inflate the zlib stream at the start of `input` (anything after it is
/// ignored) into the start of `out` with libdeflate: returns how many input
/// bytes the stream took when it produced exactly `expected` bytes, None
/// otherwise (a longer, shorter or invalid stream, or no decompressor): callers
/// then go through zlib ([`inflate_each`]) again, which gives the exact
/// diagnosis. `out` may be longer than `expected` (by [`OUT_SLACK`] for speed);
/// shorter, it fails.
pub fn whole_counted(input: &[u8], out: &mut [u8], expected: usize) -> Option<usize> {
    if out.len() < expected {
        return None;
    }
    // SAFETY: `out` is a live slice of out.len() bytes.
    unsafe { libdeflate(input, out.as_mut_ptr(), out.len(), expected) }
}

/// [`whole_counted`] into `out` (cleared first), growing it as needed: for a
/// caller that reuses one buffer and knows the stream should end in `input`.
pub fn whole_into(input: &[u8], expected: usize, out: &mut Vec<u8>) -> Option<usize> {
    out.clear();
    out.try_reserve_exact(expected.checked_add(OUT_SLACK)?).ok()?;
    // SAFETY: the reserve above leaves at least expected + OUT_SLACK bytes of spare capacity.
    let used = unsafe { libdeflate(input, out.as_mut_ptr(), expected + OUT_SLACK, expected) }?;
    // SAFETY: libdeflate wrote exactly `expected` bytes there.
    unsafe { out.set_len(expected) };
    Some(used)
}

/// Inflate the zlib stream at the start of `input`, which must produce exactly
/// `expected` bytes, handing the output to `sink` a piece at a time (nothing
/// is allocated for the whole): returns the input bytes the stream took. An
/// error from `sink` stops the inflation and is returned.
pub fn inflate_each(input: &[u8], expected: u64, sink: &mut dyn FnMut(&[u8]) -> Result<(), String>) -> Result<usize, String> {
    if expected > max_output(input.len()) {
        return Err(format!("declared size {expected} cannot come from {} compressed bytes", input.len()));
    }
    const PIECE: usize = 1 << 16;
    let mut buf = vec![0u8; (expected as usize).clamp(1, PIECE)];
    INFLATER.with(|d| {
        let mut d = d.borrow_mut();
        d.reset(true);
        let mut left = expected;
        loop {
            let consumed = d.total_in() as usize;
            let before = d.total_out();
            // Never ask for more than is left; once nothing is, a one-byte
            // probe lets the stream end (its checksum) or shows it is too long.
            let room = (left.min(buf.len() as u64) as usize).max(1);
            let status = d
                .decompress(&input[consumed..], &mut buf[..room], FlushDecompress::None)
                .map_err(|e| format!("invalid zlib stream: {e}"))?;
            let produced = (d.total_out() - before) as usize;
            if produced as u64 > left {
                return Err("object is longer than its header says".into());
            }
            if produced > 0 {
                sink(&buf[..produced])?;
                left -= produced as u64;
            }
            match status {
                Status::StreamEnd => {
                    if left != 0 {
                        return Err(format!("object is shorter than its header says ({} of {expected} bytes)", expected - left));
                    }
                    return Ok(d.total_in() as usize);
                }
                Status::Ok | Status::BufError => {
                    if d.total_in() as usize == consumed && produced == 0 {
                        return Err("truncated zlib stream".into());
                    }
                }
            }
        }
    })
}

/// `inflate_exact` by zlib, a piece at a time, never past `expected`; returns
/// the input bytes the stream took.
fn inflate_stream(input: &[u8], expected: usize, out: &mut Vec<u8>) -> Result<usize, String> {
    INFLATER.with(|d| {
        let mut d = d.borrow_mut();
        d.reset(true);
        let start = out.len();
        let limit = start + expected;
        loop {
            let consumed = d.total_in() as usize;
            let before_out = d.total_out();
            // Never let the output grow past what was declared.
            let room = limit - out.len();
            let status = if room == 0 {
                let mut probe = [0u8; 1];
                let st = d
                    .decompress(&input[consumed..], &mut probe, FlushDecompress::Finish)
                    .map_err(|e| format!("invalid zlib stream: {e}"))?;
                if d.total_out() != before_out {
                    return Err("object is longer than its header says".into());
                }
                st
            } else {
                let cap_before = out.capacity();
                let st = if out.capacity() - out.len() > room {
                    let mut tmp = std::mem::take(out);
                    let keep = tmp.len();
                    // decompress_vec writes into spare capacity: bound it with a slice instead.
                    tmp.resize(limit, 0);
                    let r = d.decompress(&input[consumed..], &mut tmp[keep..], FlushDecompress::Finish);
                    let produced = (d.total_out() - before_out) as usize;
                    tmp.truncate(keep + produced);
                    *out = tmp;
                    r
                } else {
                    d.decompress_vec(&input[consumed..], out, FlushDecompress::Finish)
                };
                debug_assert!(out.capacity() >= cap_before);
                st.map_err(|e| format!("invalid zlib stream: {e}"))?
            };
            match status {
                Status::StreamEnd => {
                    if out.len() != limit {
                        return Err(format!(
                            "object is shorter than its header says ({} of {expected} bytes)",
                            out.len() - start
                        ));
                    }
                    return Ok(d.total_in() as usize);
                }
                Status::Ok | Status::BufError => {
                    if d.total_in() as usize == consumed && d.total_out() == before_out {
                        return Err("truncated zlib stream".into());
                    }
                }
            }
        }
    })
}

/// Inflate at most `max` bytes from the start of a zlib stream (for headers).
pub fn inflate_prefix(input: &[u8], max: usize) -> Result<Vec<u8>, String> {
    INFLATER.with(|d| {
        let mut d = d.borrow_mut();
        d.reset(true);
        let mut out = vec![0u8; max];
        loop {
            let consumed = d.total_in() as usize;
            let produced = d.total_out() as usize;
            if produced == max {
                break;
            }
            let st = d
                .decompress(&input[consumed..], &mut out[produced..], FlushDecompress::None)
                .map_err(|e| format!("invalid zlib stream: {e}"))?;
            if st == Status::StreamEnd {
                break;
            }
            if d.total_in() as usize == consumed && d.total_out() as usize == produced {
                break;
            }
        }
        out.truncate(d.total_out() as usize);
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::ZlibEncoder, Compression};
    use std::io::Write;

    fn z(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).expect("write to vec");
        e.finish().expect("finish")
    }

    #[test]
    fn exact_sizes() {
        let data = b"hello hello hello hello".repeat(100);
        let c = z(&data);
        let mut out = Vec::new();
        assert_eq!(inflate_exact(&c, data.len() as u64, &mut out), Ok(()));
        assert_eq!(out, data);
        // Bytes after the stream (the next pack entry) are not part of it.
        let mut more = c.clone();
        more.extend_from_slice(b"next entry");
        out.clear();
        assert_eq!(inflate_exact(&more, data.len() as u64, &mut out), Ok(()));
        assert_eq!(out, data);
        // Appends to what `out` holds; a failure leaves that as it was.
        let mut out = b"kept".to_vec();
        assert_eq!(inflate_exact(&c, data.len() as u64, &mut out), Ok(()));
        assert_eq!(&out[..4], b"kept");
        assert_eq!(&out[4..], &data[..]);
        let mut out = b"kept".to_vec();
        assert!(inflate_exact(&c, data.len() as u64 + 1, &mut out).is_err());
        assert_eq!(out, b"kept");
        assert!(inflate_exact(&c, data.len() as u64 - 1, &mut Vec::new()).is_err());
        assert!(inflate_exact(&c, data.len() as u64 + 1, &mut Vec::new()).is_err());
        assert!(inflate_exact(&c[..c.len() / 2], data.len() as u64, &mut Vec::new()).is_err());
        assert!(inflate_exact(b"not zlib at all", 5, &mut Vec::new()).is_err());
        // A bomb: tiny input claiming a terabyte is refused before allocating.
        assert!(inflate_exact(&c, 1 << 40, &mut Vec::new()).is_err());
    }

    #[test]
    fn counted_streams_say_where_they_end() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let c = z(&data);
        let mut more = c.clone();
        more.extend_from_slice(b"the next entry");
        let n = data.len();
        let mut out = vec![0u8; n];
        assert_eq!(whole_counted(&more, &mut out, n), Some(c.len()));
        assert_eq!(out, data);
        assert_eq!(whole_counted(&more, &mut out[..n - 1], n), None);
        assert_eq!(whole_counted(&more, &mut out, n - 1), None);
        assert_eq!(whole_counted(&more, &mut vec![0u8; n + 1], n + 1), None);
        assert_eq!(whole_counted(&c[..c.len() - 1], &mut out, n), None);
        // With room to spare (for libdeflate's fast loop): the same end and bytes.
        let mut roomy = vec![0u8; n + OUT_SLACK];
        assert_eq!(whole_counted(&more, &mut roomy, n), Some(c.len()));
        assert_eq!(&roomy[..n], &data[..]);
        assert_eq!(whole_counted(&more, &mut roomy, n - 1), None);
        assert_eq!(whole_counted(&more, &mut roomy, n + 1), None);
        let mut into = b"old".to_vec();
        assert_eq!(whole_into(&more, n, &mut into), Some(c.len()));
        assert_eq!(into, data);
        assert_eq!(whole_into(&more, n + 1, &mut into), None);
        // zlib, a piece at a time: the same end, the same bytes.
        let mut got = Vec::new();
        let used = inflate_each(&more, data.len() as u64, &mut |p| {
            got.extend_from_slice(p);
            Ok(())
        });
        assert_eq!(used, Ok(c.len()));
        assert_eq!(got, data);
        let mut ignore = |_: &[u8]| Ok(());
        assert!(inflate_each(&more, data.len() as u64 - 1, &mut ignore).unwrap_err().contains("longer"));
        assert!(inflate_each(&more, data.len() as u64 + 1, &mut ignore).unwrap_err().contains("shorter"));
        assert!(inflate_each(&c[..c.len() / 2], data.len() as u64, &mut ignore).is_err());
        assert!(inflate_each(&c, 1 << 40, &mut ignore).is_err());
        assert_eq!(inflate_each(&more, data.len() as u64, &mut |_| Err("stop".into())), Err("stop".to_string()));
        let empty = z(b"");
        assert_eq!(whole_counted(&empty, &mut [], 0), Some(empty.len()));
        assert_eq!(inflate_each(&empty, 0, &mut ignore), Ok(empty.len()));
    }

    /// Inflate all of `c` with zlib alone: the bytes, or None for an invalid or unfinished stream.
    fn zlib_whole(c: &[u8]) -> Option<Vec<u8>> {
        let mut d = Decompress::new(true);
        let mut out = Vec::with_capacity(1 << 16);
        match d.decompress_vec(c, &mut out, FlushDecompress::Finish) {
            Ok(Status::StreamEnd) => Some(out),
            _ => None,
        }
    }

    #[test]
    fn small_streams_agree_with_zlib_whatever_the_damage() {
        // Commit-sized objects, where libdeflate's fast loop depends on the
        // room left past the output: each stream whole, with the next entry's
        // bytes after it, and with every byte of it damaged in turn.
        let commit = b"tree 79d850c7c1c6ad4f96acbec6bf05c316d7c9f138\nparent e9c9f82951d8e662b8aa29c8cf4f8c1e32e63638\n\
author A U Thor <author@example.com> 1688698735 +0000\ncommitter C O Mitter <committer@example.com> 1688698735 +0000\n\nchange 49999: cache store\n";
        for len in [0, 1, 17, 120, commit.len()] {
            let data = &commit[..len];
            let c = z(data);
            let mut next = c.clone();
            next.extend_from_slice(&z(b"the next entry"));
            for input in [&c[..], &next[..]] {
                let mut out = Vec::new();
                assert_eq!(inflate_exact(input, len as u64, &mut out), Ok(()));
                assert_eq!(out, data);
                assert!(inflate_exact(input, len as u64 + 1, &mut Vec::new()).is_err());
                if len > 0 {
                    assert!(inflate_exact(input, len as u64 - 1, &mut Vec::new()).is_err());
                }
                assert_eq!(whole_into(input, len, &mut out), Some(c.len()));
                assert_eq!(out, data);
            }
            for at in 0..c.len() {
                for flip in [0x01u8, 0x80, 0xFF] {
                    let mut bad = c.clone();
                    bad[at] ^= flip;
                    let want = zlib_whole(&bad).filter(|v| v.len() == len);
                    let mut out = Vec::new();
                    match inflate_exact(&bad, len as u64, &mut out) {
                        Ok(()) => assert_eq!(Some(&out), want.as_ref(), "byte {at} ^ {flip:#x} of a {len}-byte stream"),
                        Err(_) => assert_eq!(want, None, "byte {at} ^ {flip:#x} of a {len}-byte stream"),
                    }
                }
            }
        }
    }

    #[test]
    fn varied_huffman_codes_inflate_as_zlib_does() {
        // libdeflate's table set-up is patched (vendor/libdeflate-sys): many
        // streams with different alphabets, skews and lengths, so that their
        // Huffman codes use every pattern of used and unused symbols.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for case in 0..600 {
            let len = [1, 7, 64, 300, 1000, 4000, 20000][case % 7];
            let alphabet = 1 + (next() % 256) as u32;
            let skew = 1 + (next() % 6) as u32;
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    // Smaller values more often as `skew` grows: codes of many lengths.
                    let mut v = (next() % alphabet as u64) as u32;
                    for _ in 1..skew {
                        v = v.min((next() % alphabet as u64) as u32);
                    }
                    (v * 7 % 256) as u8
                })
                .collect();
            let level = [1, 6, 9][case % 3];
            let mut e = ZlibEncoder::new(Vec::new(), Compression::new(level));
            e.write_all(&data).expect("write to vec");
            let c = e.finish().expect("finish");
            assert_eq!(zlib_whole(&c).as_deref(), Some(&data[..]), "case {case}");
            let mut out = Vec::new();
            assert_eq!(inflate_exact(&c, len as u64, &mut out), Ok(()), "case {case}");
            assert_eq!(out, data, "case {case}");
            assert_eq!(whole_into(&c, len, &mut out), Some(c.len()), "case {case}: libdeflate itself");
            assert_eq!(out, data, "case {case}");
        }
    }
}
