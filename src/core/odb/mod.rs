//! The object database: physical stores (loose, packs, memory) composed into
//! one logical store with alternates, as git's `object-file.c` / `packfile.c`.

pub mod alternates;
pub mod composite;
pub mod inflate;
pub mod loose;
pub mod memory;
pub mod pack;
pub mod write;

use std::cell::Cell;

use crate::core::error::Result;
use crate::core::object::Kind;
use crate::core::oid::{ObjectId, Prefix};

/// Longest delta chain (across packs, too) before we call it a cycle.
pub const MAX_DELTA_DEPTH: u32 = 10_000;

/// Data a read needs: the whole database, for REF_DELTA bases stored elsewhere,
/// and a depth counter that stops cyclic chains.
pub struct ReadCtx<'a> {
    pub root: &'a dyn ObjectStore,
    pub depth: Cell<u32>,
}

/// A store of objects. `try_*` return `Ok(None)` when the object is not here.
pub trait ObjectStore: Send + Sync {
    /// Read `oid`'s content into `out` (cleared first) and return its kind.
    fn try_read(&self, oid: &ObjectId, out: &mut Vec<u8>, ctx: &ReadCtx<'_>) -> Result<Option<Kind>>;
    /// The kind and size of `oid`, without reading its content when possible.
    fn try_header(&self, oid: &ObjectId, ctx: &ReadCtx<'_>) -> Result<Option<(Kind, u64)>>;
    /// True when `oid` is stored here.
    fn contains(&self, oid: &ObjectId) -> bool;
    /// Add every stored id starting with `prefix` to `out` (stopping after `limit`).
    fn find_prefix(&self, prefix: &Prefix, out: &mut Vec<ObjectId>, limit: usize) -> Result<()>;
    /// Look for storage that appeared since the store was opened; true if something new was found.
    fn refresh(&self) -> bool {
        false
    }
    /// An estimate of the number of objects (for abbreviation lengths).
    fn approx_count(&self) -> u64;
}
