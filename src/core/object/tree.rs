//! Trees: a sequence of `<octal mode> <name>\0<20-byte id>` entries.
//! Modes: 40000 tree, 100644/100755 blob, 120000 symlink (blob), 160000 gitlink (commit).
//! Parsing validates every entry and records where each name lies in the raw
//! bytes, so a tree costs one allocation however many entries it has.

use crate::core::object::Kind;
use crate::core::oid::ObjectId;

/// One entry of a tree, borrowing its name from the raw tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeEntry<'a> {
    pub mode: u32,
    pub name: &'a [u8],
    pub oid: ObjectId,
}

/// Where kind of object a tree entry with `mode` points at: a gitlink (160000) names a commit.
pub fn kind_of_mode(mode: u32) -> Kind {
    match mode & 0o170000 {
        0o040000 => Kind::Tree,
        0o160000 => Kind::Commit,
        _ => Kind::Blob,
    }
}

impl TreeEntry<'_> {
    /// What the entry points at.
    pub fn kind(&self) -> Kind {
        kind_of_mode(self.mode)
    }
}

/// A parsed tree. Parsing validates every entry; the entries themselves are
/// walked from the raw bytes on demand, so a loaded tree costs no more memory
/// than its content.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    len: usize,
}

/// Parse one entry at `pos`: (mode, name range, oid, next position).
fn entry_at(data: &[u8], pos: usize) -> Result<(u32, usize, usize, ObjectId, usize), String> {
    let sp = data[pos..].iter().position(|&c| c == b' ').ok_or("tree entry without a mode")? + pos;
    let mode_s = &data[pos..sp];
    if mode_s.is_empty() || mode_s.len() > 7 {
        return Err("bad tree entry mode".into());
    }
    let mut mode = 0u32;
    for &c in mode_s {
        if !(b'0'..=b'7').contains(&c) {
            return Err("bad tree entry mode".into());
        }
        mode = mode * 8 + (c - b'0') as u32;
    }
    let nul = data[sp + 1..].iter().position(|&c| c == 0).ok_or("tree entry without a name end")? + sp + 1;
    if nul == sp + 1 {
        return Err("tree entry with an empty name".into());
    }
    let id = data.get(nul + 1..nul + 21).ok_or("truncated tree entry")?;
    let oid = ObjectId::from_bytes(id).ok_or("truncated tree entry")?;
    Ok((mode, sp + 1, nul, oid, nul + 21))
}

impl Tree {
    /// Parse (validate) a tree's raw content.
    pub fn parse(data: &[u8]) -> Result<Tree, String> {
        let mut pos = 0;
        let mut len = 0;
        while pos < data.len() {
            pos = entry_at(data, pos)?.4;
            len += 1;
        }
        Ok(Tree { len })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for the empty tree.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entries, given the raw bytes this tree was parsed (validated) from.
    pub fn entries<'a>(&'a self, data: &'a [u8]) -> impl Iterator<Item = TreeEntry<'a>> + 'a {
        let mut pos = 0;
        std::iter::from_fn(move || {
            if pos >= data.len() {
                return None;
            }
            // Validated by `parse`, so an error here means other bytes than parsed: stop.
            let (mode, s, e, oid, next) = entry_at(data, pos).ok()?;
            pos = next;
            Some(TreeEntry { mode, name: &data[s..e], oid })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_modes() {
        let mut d = Vec::new();
        for (m, n) in [("100644", "a"), ("100755", "b"), ("120000", "l"), ("160000", "s"), ("40000", "t")] {
            d.extend_from_slice(format!("{m} {n}\0").as_bytes());
            d.extend_from_slice(&[7u8; 20]);
        }
        let t = Tree::parse(&d).expect("parses");
        assert_eq!(t.len(), 5);
        let kinds: Vec<_> = t.entries(&d).map(|e| e.kind()).collect();
        assert_eq!(kinds, [Kind::Blob, Kind::Blob, Kind::Blob, Kind::Commit, Kind::Tree]);
        let last = t.entries(&d).last().expect("five entries");
        assert_eq!((last.mode, last.name), (0o40000, &b"t"[..]));
        assert!(Tree::parse(&d[..d.len() - 1]).is_err());
        assert!(Tree::parse(b"10x644 a\0").is_err());
        assert!(Tree::parse(b"100644 \0").is_err());
    }
}
