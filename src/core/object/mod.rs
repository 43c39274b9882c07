//! Git objects: the four kinds, their headers and hashes, and parsers for
//! commits, trees and tags (<https://git-scm.com/docs/gitformat-commit-graph>,
//! `Documentation/technical/hash-function-transition.txt` for the loose header).

pub mod build;
pub mod commit;
pub mod signature;
pub mod tag;
pub mod tree;

use sha1::{Digest, Sha1};

use crate::core::oid::ObjectId;

pub use commit::Commit;
pub use signature::Signature;
pub use tag::Tag;
pub use tree::{Tree, TreeEntry};

/// The type of an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Commit,
    Tree,
    Blob,
    Tag,
}

impl Kind {
    /// The name git uses in headers and `cat-file -t`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Commit => "commit",
            Kind::Tree => "tree",
            Kind::Blob => "blob",
            Kind::Tag => "tag",
        }
    }

    /// Parse a header type name.
    pub fn from_bytes(b: &[u8]) -> Option<Kind> {
        match b {
            b"commit" => Some(Kind::Commit),
            b"tree" => Some(Kind::Tree),
            b"blob" => Some(Kind::Blob),
            b"tag" => Some(Kind::Tag),
            _ => None,
        }
    }

    /// The pack type number (1..=4).
    pub fn from_pack_type(t: u8) -> Option<Kind> {
        match t {
            1 => Some(Kind::Commit),
            2 => Some(Kind::Tree),
            3 => Some(Kind::Blob),
            4 => Some(Kind::Tag),
            _ => None,
        }
    }
}

/// Hash `data` as an object of kind `kind` (the oid git would give it).
pub fn hash(kind: Kind, data: &[u8]) -> ObjectId {
    let mut h = Sha1::new();
    h.update(kind.as_str().as_bytes());
    h.update(b" ");
    h.update(data.len().to_string().as_bytes());
    h.update([0u8]);
    h.update(data);
    ObjectId(h.finalize().into())
}

/// An object's raw content and kind, as read from storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawObject {
    /// Its kind.
    pub kind: Kind,
    /// The content, without the `type size\0` header.
    pub data: Vec<u8>,
}

/// A parsed object, ready for the JS layer or a Rust caller.
#[derive(Debug)]
pub enum Parsed {
    Commit(Commit),
    Tree(Tree),
    Blob,
    Tag(Tag),
}

/// A loaded object: its id, raw bytes, and parse.
#[derive(Debug)]
pub struct Object {
    pub oid: ObjectId,
    pub kind: Kind,
    pub data: Vec<u8>,
    pub parsed: Parsed,
}

impl Object {
    /// Parse `raw` as the object `oid`; a malformed commit, tree or tag is `ERR_CORRUPT_OBJECT`.
    pub fn parse(oid: ObjectId, raw: RawObject) -> crate::core::error::Result<Object> {
        let parsed = match raw.kind {
            Kind::Commit => Parsed::Commit(Commit::parse(&raw.data).map_err(|r| crate::core::error::Error::object(Some(oid), r))?),
            Kind::Tree => Parsed::Tree(Tree::parse(&raw.data).map_err(|r| crate::core::error::Error::object(Some(oid), r))?),
            Kind::Blob => Parsed::Blob,
            Kind::Tag => Parsed::Tag(Tag::parse(&raw.data).map_err(|r| crate::core::error::Error::object(Some(oid), r))?),
        };
        Ok(Object { oid, kind: raw.kind, data: raw.data, parsed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_git() {
        // printf 'hello\n' | git hash-object --stdin
        assert_eq!(hash(Kind::Blob, b"hello\n").to_hex(), "ce013625030ba8dba906f756967f9e9ca394464a");
        // git hash-object -t tree /dev/null
        assert_eq!(hash(Kind::Tree, b"").to_hex(), "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
    }
}
