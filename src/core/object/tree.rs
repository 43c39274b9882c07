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

#[derive(Clone, Copy, Debug)]
struct Slot {
    mode: u32,
    name_start: u32,
    name_end: u32,
    oid: ObjectId,
}

/// A parsed tree: entry positions in its raw bytes.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    slots: Vec<Slot>,
}

impl Tree {
    /// Parse a tree's raw content.
    pub fn parse(data: &[u8]) -> Result<Tree, String> {
        if data.len() > u32::MAX as usize {
            return Err("tree too large".into());
        }
        let mut slots = Vec::new();
        let mut pos = 0;
        while pos < data.len() {
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
            slots.push(Slot {
                mode,
                name_start: (sp + 1) as u32,
                name_end: nul as u32,
                oid: ObjectId::from_bytes(id).ok_or("truncated tree entry")?,
            });
            pos = nul + 21;
        }
        Ok(Tree { slots })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True for the empty tree.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The entries, given the raw bytes this tree was parsed from.
    pub fn entries<'a>(&'a self, data: &'a [u8]) -> impl Iterator<Item = TreeEntry<'a>> + 'a {
        self.slots.iter().map(move |s| TreeEntry {
            mode: s.mode,
            name: &data[s.name_start as usize..s.name_end as usize],
            oid: s.oid,
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
        let kinds: Vec<_> = t.entries(&d).map(|e| e.kind()).collect();
        assert_eq!(kinds, [Kind::Blob, Kind::Blob, Kind::Blob, Kind::Commit, Kind::Tree]);
        let last = t.entries(&d).last().expect("five entries");
        assert_eq!((last.mode, last.name), (0o40000, &b"t"[..]));
        assert!(Tree::parse(&d[..d.len() - 1]).is_err());
        assert!(Tree::parse(b"10x644 a\0").is_err());
        assert!(Tree::parse(b"100644 \0").is_err());
    }
}
