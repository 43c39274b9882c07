//! Trees: a sequence of `<octal mode> <name>\0<20-byte id>` entries.
//! Modes: 40000 tree, 100644/100755 blob, 120000 symlink (blob), 160000 gitlink (commit).

use crate::core::object::Kind;
use crate::core::oid::ObjectId;

/// One entry of a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeEntry {
    pub mode: u32,
    pub name: Vec<u8>,
    pub oid: ObjectId,
}

impl TreeEntry {
    /// What the entry points at: a gitlink (160000) names a commit.
    pub fn kind(&self) -> Kind {
        match self.mode & 0o170000 {
            0o040000 => Kind::Tree,
            0o160000 => Kind::Commit,
            _ => Kind::Blob,
        }
    }
}

/// A parsed tree.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    pub entries: Vec<TreeEntry>,
}

impl Tree {
    /// Parse a tree's raw content.
    pub fn parse(data: &[u8]) -> Result<Tree, String> {
        let mut entries = Vec::new();
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
            let name = data[sp + 1..nul].to_vec();
            if name.is_empty() {
                return Err("tree entry with an empty name".into());
            }
            let id = data.get(nul + 1..nul + 21).ok_or("truncated tree entry")?;
            entries.push(TreeEntry { mode, name, oid: ObjectId::from_bytes(id).ok_or("truncated tree entry")? });
            pos = nul + 21;
        }
        Ok(Tree { entries })
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
        let kinds: Vec<_> = t.entries.iter().map(|e| e.kind()).collect();
        assert_eq!(kinds, [Kind::Blob, Kind::Blob, Kind::Blob, Kind::Commit, Kind::Tree]);
        assert_eq!(t.entries[4].mode, 0o40000);
        assert!(Tree::parse(&d[..d.len() - 1]).is_err());
        assert!(Tree::parse(b"10x644 a\0").is_err());
    }
}
