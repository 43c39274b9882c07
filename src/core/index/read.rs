//! Reading the entries of an index file, versions 2 and 3 (see the module
//! doc of [`crate::core::index`] for the format). Extensions are checked by
//! the trailing checksum and otherwise skipped.

use std::path::Path;

use sha1::{Digest, Sha1};

use super::write::padded_len;
use super::{Entry, Stat, ENTRY_FIXED, FLAG_EXTENDED, NAME_MASK, SIGNATURE, STAGE_MASK};
use crate::core::error::{Error, Result};
use crate::core::oid::ObjectId;

/// The entries of the index at `path`, in file order (sorted by path, then stage).
///
/// Errors: `ERR_IO` when it cannot be read; `ERR_UNSUPPORTED_EXTENSION` for
/// a version other than 2 or 3; `ERR_CORRUPT_OBJECT` (with `path`) for a bad
/// signature, checksum, or entry.
pub fn read(path: &Path) -> Result<Vec<Entry>> {
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse(&data).map_err(|e| match e {
        Problem::Corrupt(reason) => Error::CorruptObject { oid: None, path: Some(path.to_path_buf()), reason },
        Problem::Version(v) => Error::UnsupportedExtension { path: path.to_path_buf(), what: format!("index version {v}") },
    })
}

/// Why an index could not be parsed.
#[derive(Debug)]
enum Problem {
    Corrupt(String),
    Version(u32),
}

fn corrupt(reason: impl Into<String>) -> Problem {
    Problem::Corrupt(reason.into())
}

fn be32(data: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

/// Parse the whole file: header, entries, and the trailing checksum.
fn parse(data: &[u8]) -> std::result::Result<Vec<Entry>, Problem> {
    if data.len() < 12 + 20 || &data[..4] != SIGNATURE {
        return Err(corrupt("not an index file (bad signature or too short)"));
    }
    let (body, sum) = data.split_at(data.len() - 20);
    if Sha1::digest(body).as_slice() != sum {
        return Err(corrupt("index checksum mismatch"));
    }
    let version = be32(data, 4);
    if version != 2 && version != 3 {
        return Err(Problem::Version(version));
    }
    let count = be32(data, 8) as usize;
    let mut entries = Vec::new();
    // The count is read from disk: reserve no more than the body could hold.
    entries
        .try_reserve(count.min(body.len() / (ENTRY_FIXED + 2)))
        .map_err(|_| corrupt("index entry count too large"))?;
    let mut pos = 12;
    for _ in 0..count {
        let fixed = body.get(pos..pos + ENTRY_FIXED).ok_or_else(|| corrupt("truncated index entry"))?;
        let f = |i: usize| be32(fixed, i * 4);
        let stat = Stat {
            ctime_sec: f(0),
            ctime_nsec: f(1),
            mtime_sec: f(2),
            mtime_nsec: f(3),
            dev: f(4),
            ino: f(5),
            uid: f(7),
            gid: f(8),
            size: f(9),
        };
        let mode = f(6);
        let oid = ObjectId::from_bytes(&fixed[40..60]).ok_or_else(|| corrupt("truncated index entry"))?;
        let flags = u16::from_be_bytes([fixed[60], fixed[61]]);
        let mut name_start = pos + ENTRY_FIXED;
        if flags & FLAG_EXTENDED != 0 {
            if version < 3 {
                return Err(corrupt("extended index entry flags in a version 2 index"));
            }
            name_start += 2;
        }
        // The stored length is exact below 0xFFF; at 0xFFF the path ends at its NUL.
        let stored = usize::from(flags & NAME_MASK);
        let name_end = if stored < usize::from(NAME_MASK) {
            name_start + stored
        } else {
            let rest = body.get(name_start..).ok_or_else(|| corrupt("truncated index entry"))?;
            name_start + rest.iter().position(|&c| c == 0).ok_or_else(|| corrupt("unterminated index path"))?
        };
        let path = body.get(name_start..name_end).ok_or_else(|| corrupt("truncated index entry"))?;
        if body.get(name_end) != Some(&0) {
            return Err(corrupt("index path without its NUL"));
        }
        // Padding counts from the start of the entry, over the path and any extra flags.
        let next = pos + padded_len(name_end - pos - ENTRY_FIXED);
        if next > body.len() {
            return Err(corrupt("truncated index entry"));
        }
        let stage = ((flags & STAGE_MASK) >> 12) as u8;
        entries.push(Entry { stage, path: path.to_vec(), mode, oid, stat });
        pos = next;
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::index::write::encode;

    fn entry(path: &str, mode: u32, n: u8) -> Entry {
        let stat = Stat { ctime_sec: 1, ctime_nsec: 2, mtime_sec: 3, mtime_nsec: 4, dev: 5, ino: 6, uid: 7, gid: 8, size: 9 };
        Entry { stage: 0, path: path.as_bytes().to_vec(), mode, oid: ObjectId([n; 20]), stat }
    }

    #[test]
    fn index_round_trip_and_corruption() {
        let long = "d/".repeat(2100) + "f";
        let mut entries = vec![entry("a", 0o100644, 1), entry("a.b", 0o100755, 2), entry("a/b", 0o120000, 3)];
        entries.push(entry(&long, 0o160000, 4));
        entries.push(entry("zzzzzzz", 0o100644, 5)); // 62 + 7 = 69: padded to 72
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        let bytes = encode(&entries).expect("encodes");
        assert_eq!(bytes.len() % 8, (12 + 20) % 8, "entries are multiples of 8");
        assert_eq!(parse(&bytes).expect("parses"), entries);
        let mut bad = bytes.clone();
        bad[20] ^= 1;
        assert!(matches!(parse(&bad), Err(Problem::Corrupt(_))));
        assert!(matches!(parse(&bytes[..30]), Err(Problem::Corrupt(_))));
        let mut v4 = bytes.clone();
        v4[7] = 4;
        let n = v4.len() - 20;
        let sum: [u8; 20] = Sha1::digest(&v4[..n]).into();
        v4[n..].copy_from_slice(&sum);
        assert!(matches!(parse(&v4), Err(Problem::Version(4))));
        // Out of order or twice is refused by the writer.
        entries.swap(0, 1);
        assert_eq!(encode(&entries).expect_err("unsorted").code(), "ERR_INTERNAL");
        entries.swap(0, 1);
        entries[1].path = entries[0].path.clone();
        assert_eq!(encode(&entries).expect_err("twice").code(), "ERR_INTERNAL");
    }
}
