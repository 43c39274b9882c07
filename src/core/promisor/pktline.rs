//! pkt-line framing (gitprotocol-common): four hex digits of length (the
//! prefix included) then the payload; `0000` flush, `0001` delim, `0002`
//! response-end. Lengths are bounded by git's LARGE_PACKET_MAX, so nothing
//! read off the wire can make us allocate more than that per packet.

use std::io::{Read, Write};

/// git's LARGE_PACKET_MAX: the longest packet, its 4-byte prefix included.
pub const MAX_PACKET: usize = 65520;

/// One packet.
#[derive(Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    Data(&'a [u8]),
    Flush,
    Delim,
    ResponseEnd,
}

impl<'a> Packet<'a> {
    /// The payload without one trailing newline (text lines end with one).
    pub fn line(&self) -> Option<&'a [u8]> {
        match self {
            Packet::Data(d) => Some(d.strip_suffix(b"\n").unwrap_or(d)),
            _ => None,
        }
    }
}

/// Reads packets from a stream into one reused buffer.
pub struct Reader<R> {
    inner: R,
    buf: Vec<u8>,
}

impl<R: Read> Reader<R> {
    pub fn new(inner: R) -> Reader<R> {
        Reader { inner, buf: Vec::with_capacity(MAX_PACKET) }
    }

    /// The next packet; `Err` with a reason on a short read or a bad length.
    pub fn read(&mut self) -> Result<Packet<'_>, String> {
        let mut head = [0u8; 4];
        read_full(&mut self.inner, &mut head)?;
        let len = std::str::from_utf8(&head)
            .ok()
            .filter(|s| s.bytes().all(|c| c.is_ascii_hexdigit()))
            .and_then(|s| usize::from_str_radix(s, 16).ok())
            .ok_or_else(|| format!("bad pkt-line length {:?}", String::from_utf8_lossy(&head)))?;
        match len {
            0 => return Ok(Packet::Flush),
            1 => return Ok(Packet::Delim),
            2 => return Ok(Packet::ResponseEnd),
            3 => return Err("bad pkt-line length 0003".into()),
            n if n > MAX_PACKET => return Err(format!("pkt-line of {n} bytes is longer than {MAX_PACKET}")),
            _ => {}
        }
        self.buf.resize(len - 4, 0);
        read_full(&mut self.inner, &mut self.buf)?;
        Ok(Packet::Data(&self.buf))
    }

    /// The underlying stream.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<(), String> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => return Err(if got == 0 && buf.len() == 4 { "the remote hung up".into() } else { "the remote hung up mid-packet".into() }),
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("read failed: {e}")),
        }
    }
    Ok(())
}

/// Append one data packet (split into several if longer than one may be).
pub fn data(out: &mut Vec<u8>, payload: &[u8]) {
    if payload.is_empty() {
        out.extend_from_slice(b"0004");
    }
    for chunk in payload.chunks(MAX_PACKET - 4) {
        out.extend_from_slice(format!("{:04x}", chunk.len() + 4).as_bytes());
        out.extend_from_slice(chunk);
    }
}

/// Append a text line (`payload` and a newline) as one packet.
pub fn line(out: &mut Vec<u8>, text: &str) {
    let mut p = Vec::with_capacity(text.len() + 1);
    p.extend_from_slice(text.as_bytes());
    p.push(b'\n');
    data(out, &p);
}

pub fn flush(out: &mut Vec<u8>) {
    out.extend_from_slice(b"0000");
}

pub fn delim(out: &mut Vec<u8>) {
    out.extend_from_slice(b"0001");
}

/// Write `bytes` and flush the stream.
pub fn send(w: &mut impl Write, bytes: &[u8]) -> Result<(), String> {
    w.write_all(bytes).and_then(|_| w.flush()).map_err(|e| format!("write failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bounds() {
        let mut out = Vec::new();
        line(&mut out, "command=ls-refs");
        delim(&mut out);
        data(&mut out, b"");
        flush(&mut out);
        assert_eq!(&out[..], b"0014command=ls-refs\n000100040000");
        let mut r = Reader::new(&out[..]);
        assert_eq!(r.read().unwrap().line(), Some(&b"command=ls-refs"[..]));
        assert_eq!(r.read().unwrap(), Packet::Delim);
        assert_eq!(r.read().unwrap(), Packet::Data(b""));
        assert_eq!(r.read().unwrap(), Packet::Flush);
        assert_eq!(r.read().unwrap_err(), "the remote hung up");
        // A payload longer than one packet is split.
        let mut big = Vec::new();
        data(&mut big, &vec![b'x'; MAX_PACKET]);
        let mut r = Reader::new(&big[..]);
        assert_eq!(r.read().map(|p| matches!(p, Packet::Data(d) if d.len() == MAX_PACKET - 4)), Ok(true));
        assert_eq!(r.read().map(|p| matches!(p, Packet::Data(d) if d.len() == 4)), Ok(true));
        // Bad input is refused before anything is allocated for it.
        for bad in [&b"0003"[..], b"fff1xxxx", b"zzzz", b"00", b"0009abc"] {
            assert!(Reader::new(bad).read().is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
