//! References: the model (`Ref`, `Storage`, `Value`), names (`name`), the
//! `packed-refs` format (`packed`), and the stores behind one [`RefStore`]
//! trait: the files store (`files`: loose over packed, per-worktree routing,
//! transactions under git's lockfile protocol) and the in-memory store
//! (`memory`). Symbolic chains are built by [`chain`] for both, to depth 5.

pub mod files;
pub mod lock;
pub mod memory;
pub mod name;
pub mod pack;
pub mod packed;
pub mod reflog;
pub mod transaction;

use crate::core::config::Config;
use crate::core::error::{Error, Result};
use crate::core::object::Signature;
use crate::core::odb::ObjectStore;
use crate::core::oid::ObjectId;

/// git's limit on symbolic-ref chains (`SYMREF_MAXDEPTH`): at most this many
/// refs are read to resolve a name, so at most 4 symbolic links are followed.
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

/// A stored ref as a store reads it: its value, where it lives, and its peeled id if known.
pub type Stored = (Value, Storage, Option<ObjectId>);

/// Build the ref `name` with its whole chain from a store's `read`: symbolic
/// links are followed to depth [`MAX_SYMREF_DEPTH`] (`ERR_SYMREF_CYCLE` beyond
/// or on a loop); a chain ending at a missing ref ends in an unborn direct ref
/// with storage `New`. None if `name` itself does not exist.
pub fn chain(read: &dyn Fn(&str) -> Result<Option<Stored>>, name: &str) -> Result<Option<Ref>> {
    let Some(first) = read(name)? else { return Ok(None) };
    // Collect the links first, then build from the end (no recursion).
    let mut links: Vec<(String, Storage, Option<ObjectId>, Option<Value>)> = Vec::new();
    let mut cur = (name.to_string(), Some(first));
    loop {
        match cur.1 {
            Some((Value::Oid(oid), storage, peeled)) => {
                links.push((cur.0, storage, peeled, Some(Value::Oid(oid))));
                break;
            }
            Some((Value::Symbolic(t), storage, _)) => {
                // This is read number links.len() + 1; git stops after MAX_SYMREF_DEPTH reads.
                if links.len() + 1 >= MAX_SYMREF_DEPTH {
                    return Err(Error::SymrefCycle { name: name.to_string() });
                }
                links.push((cur.0, storage, None, Some(Value::Symbolic(t.clone()))));
                let next = read(&t)?;
                cur = (t, next);
            }
            None => {
                links.push((cur.0, Storage::New, None, None));
                break;
            }
        }
    }
    let mut it = links.into_iter().rev();
    let (n, storage, peeled, value) = it.next().expect("at least the first link");
    let mut r = match value {
        Some(Value::Oid(oid)) => Ref::Direct { name: n, oid: Some(oid), peeled, storage },
        _ => Ref::Direct { name: n, oid: None, peeled: None, storage: Storage::New },
    };
    for (n, storage, _, _) in it {
        r = Ref::Symbolic { name: n, target: Box::new(r), storage };
    }
    Ok(Some(r))
}

/// What a transaction needs besides the store: the objects (updates must name
/// existing objects), the repository's config (reflog and fsync rules, lock
/// timeouts), whether it is bare, and who the reflog says made the change.
pub struct TxContext<'a> {
    pub odb: &'a dyn ObjectStore,
    pub config: &'a Config,
    pub is_bare: bool,
    pub committer: Signature,
}

/// A transaction that has taken its locks and checked every expected value
/// (git's `ref_transaction_prepare`). `commit` writes it; dropping it releases
/// every lock and changes nothing.
pub trait Prepared: Send {
    fn commit(self: Box<Self>) -> Result<()>;
}

/// A reference store: what `repo.refs` reads and writes through, on disk
/// (files: loose over packed) or in memory.
pub trait RefStore: Send + Sync {
    /// Read `name` itself, not following it: its value, storage and peeled id, or None.
    fn read(&self, name: &str) -> Result<Option<Stored>>;

    /// Every ref under `prefix` (all when empty), sorted by name, chains kept.
    fn list(&self, prefix: &str) -> Result<Vec<Ref>>;

    /// Check, lock and verify `edits` (all or nothing) without writing yet.
    fn prepare(&self, edits: Vec<transaction::Edit>, ctx: &TxContext<'_>) -> Result<Box<dyn Prepared>>;

    /// The reflog of `name`, newest first (empty when it has none).
    fn reflog(&self, name: &str) -> Result<Vec<reflog::Entry>>;

    /// Move refs into `packed-refs` as `git pack-refs` does (a no-op where nothing is on disk).
    fn pack_refs(&self, opts: pack::Options, odb: &crate::core::odb::composite::Store, config: &Config) -> Result<()>;

    /// The ref `name` with its whole symbolic chain, or None if it does not exist.
    /// A chain ending at a missing ref ends in an unborn direct ref with storage `New`.
    fn get(&self, name: &str) -> Result<Option<Ref>> {
        chain(&|n| self.read(n), name)
    }

    /// Follow `name` to its direct ref: `ERR_REF_NOT_FOUND` if it, or the end of its chain, does not exist.
    fn resolve(&self, name: &str) -> Result<Ref> {
        let r = self.get(name)?.ok_or_else(|| Error::RefNotFound { name: name.to_string() })?;
        match r.leaf() {
            l @ Ref::Direct { oid: Some(_), .. } => Ok(l.clone()),
            l => Err(Error::RefNotFound { name: l.name().to_string() }),
        }
    }

    /// git's DWIM: the first existing ref among `x`, `refs/x`, `refs/tags/x`,
    /// `refs/heads/x`, `refs/remotes/x`, `refs/remotes/x/HEAD`. A name outside
    /// `refs/` is only a candidate as a root ref (HEAD, FETCH_HEAD, ...).
    fn dwim(&self, short: &str) -> Result<Option<Ref>> {
        for c in name::dwim_candidates(short) {
            if !c.starts_with("refs/") && !name::is_per_worktree(&c) {
                continue;
            }
            if let Some(r) = self.get(&c)? {
                if r.leaf().oid().is_some() {
                    return Ok(Some(r));
                }
            }
        }
        Ok(None)
    }

    /// Commit `edits` all or nothing: prepare, then write.
    fn commit(&self, edits: Vec<transaction::Edit>, ctx: &TxContext<'_>) -> Result<()> {
        self.prepare(edits, ctx)?.commit()
    }
}
