//! Loose objects: `objects/xx/yyyy…`, each a zlib stream of `type size\0content`.
//! Reads check the header's size against the content and the content's hash
//! against the file name, so a misplaced or damaged file is `ERR_CORRUPT_OBJECT`.

use std::path::{Path, PathBuf};

use crate::core::error::{Error, Result};
use crate::core::object::{self, Kind};
use crate::core::odb::inflate;
use crate::core::odb::{ObjectStore, ReadCtx};
use crate::core::oid::{ObjectId, Prefix};

/// The loose objects of one objects directory.
pub struct Store {
    dir: PathBuf,
}

/// Parse `type size\0` from the start of an inflated loose object; returns (kind, size, header length).
fn parse_header(h: &[u8]) -> std::result::Result<(Kind, u64, usize), String> {
    let nul = h.iter().position(|&c| c == 0).ok_or("loose object header has no NUL")?;
    let sp = h[..nul].iter().position(|&c| c == b' ').ok_or("loose object header has no size")?;
    let kind = Kind::from_bytes(&h[..sp])
        .ok_or_else(|| format!("unknown object type {:?}", String::from_utf8_lossy(&h[..sp])))?;
    let size_s = &h[sp + 1..nul];
    if size_s.is_empty() || size_s.len() > 19 || !size_s.iter().all(u8::is_ascii_digit) || (size_s.len() > 1 && size_s[0] == b'0') {
        return Err("bad size in loose object header".into());
    }
    let size = std::str::from_utf8(size_s).ok().and_then(|s| s.parse::<u64>().ok()).ok_or("bad size")?;
    Ok((kind, size, nul + 1))
}

impl Store {
    /// Loose objects under `objects_dir`.
    pub fn new(objects_dir: &Path) -> Store {
        Store { dir: objects_dir.to_path_buf() }
    }

    fn path(&self, oid: &ObjectId) -> PathBuf {
        let hex = oid.to_hex();
        self.dir.join(&hex[..2]).join(&hex[2..])
    }

    fn read_file(&self, oid: &ObjectId) -> Result<Option<(Vec<u8>, PathBuf)>> {
        let p = self.path(oid);
        match std::fs::read(&p) {
            Ok(d) => Ok(Some((d, p))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&p, e)),
        }
    }
}

fn corrupt(oid: &ObjectId, p: &Path, reason: impl Into<String>) -> Error {
    Error::CorruptObject { oid: Some(*oid), path: Some(p.to_path_buf()), reason: reason.into() }
}

impl ObjectStore for Store {
    fn try_read(&self, oid: &ObjectId, out: &mut Vec<u8>, _ctx: &ReadCtx<'_>) -> Result<Option<Kind>> {
        let Some((file, p)) = self.read_file(oid)? else { return Ok(None) };
        let head = inflate::inflate_prefix(&file, 64).map_err(|e| corrupt(oid, &p, e))?;
        let (kind, size, hlen) = parse_header(&head).map_err(|e| corrupt(oid, &p, e))?;
        out.clear();
        inflate::inflate_exact(&file, size + hlen as u64, out).map_err(|e| corrupt(oid, &p, e))?;
        out.drain(..hlen);
        let actual = object::hash(kind, out);
        if actual != *oid {
            return Err(corrupt(oid, &p, format!("content hashes to {actual}, not to its name")));
        }
        Ok(Some(kind))
    }

    fn try_header(&self, oid: &ObjectId, _ctx: &ReadCtx<'_>) -> Result<Option<(Kind, u64)>> {
        let Some((file, p)) = self.read_file(oid)? else { return Ok(None) };
        let head = inflate::inflate_prefix(&file, 64).map_err(|e| corrupt(oid, &p, e))?;
        let (kind, size, _) = parse_header(&head).map_err(|e| corrupt(oid, &p, e))?;
        Ok(Some((kind, size)))
    }

    fn contains(&self, oid: &ObjectId) -> bool {
        self.path(oid).is_file()
    }

    fn find_prefix(&self, prefix: &Prefix, out: &mut Vec<ObjectId>, limit: usize) -> Result<()> {
        let hex = prefix.bytes.to_hex();
        let dir = self.dir.join(&hex[..2]);
        let Ok(rd) = std::fs::read_dir(&dir) else { return Ok(()) };
        for e in rd.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            let full = format!("{}{}", &hex[..2], name);
            if let Some(id) = ObjectId::from_hex(full.as_bytes()) {
                if prefix.matches(&id) && !out.contains(&id) {
                    out.push(id);
                    if out.len() >= limit {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    fn approx_count(&self) -> u64 {
        // As git's `approximate_object_count` does for loose objects: sample one fan-out dir.
        let n = std::fs::read_dir(self.dir.join("17")).map(|r| r.count() as u64).unwrap_or(0);
        n * 256
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rules() {
        assert_eq!(parse_header(b"blob 5\0hello").expect("ok"), (Kind::Blob, 5, 7));
        assert!(parse_header(b"blob 05\0").is_err());
        assert!(parse_header(b"blub 5\0").is_err());
        assert!(parse_header(b"blob \0").is_err());
        assert!(parse_header(b"blob 5").is_err());
    }
}
