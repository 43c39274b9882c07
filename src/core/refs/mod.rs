//! References: the model (`Ref`, `Storage`, `Value`), names (`name`), the
//! `packed-refs` format (`packed`), and the files store (`files`: loose over
//! packed, per-worktree routing, symref chains to depth 5, DWIM, listing).

pub mod files;
pub mod lock;
pub mod name;
pub mod pack;
pub mod packed;
pub mod reflog;
pub mod transaction;

use crate::core::oid::ObjectId;

/// git's limit on symbolic-ref chains.
pub const MAX_SYMREF_DEPTH: usize = 5;

/// What a ref file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Oid(ObjectId),
    Symbolic(String),
}

/// Where a ref itself lives, and so what an update of it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Does not exist yet (the unborn end of a symbolic chain): an update creates a loose file.
    New,
    /// Only a loose file: an update rewrites it, a delete removes it.
    Loose,
    /// Only in `packed-refs`: an update writes a loose file over it; a delete rewrites `packed-refs`.
    Packed,
    /// A loose file over a packed entry: the loose value wins; a delete removes both.
    LoosePacked,
    /// Held in memory only.
    Memory,
}

impl Storage {
    /// The name API.md uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Storage::New => "new",
            Storage::Loose => "loose",
            Storage::Packed => "packed",
            Storage::LoosePacked => "loose-packed",
            Storage::Memory => "memory",
        }
    }
}

/// A reference: direct (an object id, or none when unborn) or symbolic (the next
/// link of its chain, kept whole). A symbolic ref is never reported as the ref it points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    Direct { name: String, oid: Option<ObjectId>, peeled: Option<ObjectId>, storage: Storage },
    Symbolic { name: String, target: Box<Ref>, storage: Storage },
}

impl Ref {
    /// The ref's own name.
    pub fn name(&self) -> &str {
        match self {
            Ref::Direct { name, .. } | Ref::Symbolic { name, .. } => name,
        }
    }

    /// The end of the chain.
    pub fn leaf(&self) -> &Ref {
        let mut r = self;
        while let Ref::Symbolic { target, .. } = r {
            r = target;
        }
        r
    }

    /// The object id of a direct ref (None for symbolic or unborn).
    pub fn oid(&self) -> Option<ObjectId> {
        match self {
            Ref::Direct { oid, .. } => *oid,
            Ref::Symbolic { .. } => None,
        }
    }
}
