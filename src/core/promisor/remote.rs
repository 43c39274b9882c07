//! `openRemote`: a memory-only repository over a URL. Its refs are the
//! remote's (from `ls-refs`, symbolic refs kept symbolic); its objects are
//! fetched on demand and kept in memory, bounded by a [`MemCache`].

use crate::core::error::Result;
use crate::core::odb::composite::{self, MemCache};
use crate::core::odb::{ObjectStore, ReadCtx};
use crate::core::oid::{ObjectId, Prefix};
use crate::core::promisor::session::Session;
use crate::core::refs::transaction::{Change, Edit, Expect};
use crate::core::repo::{Options, Repository};

/// The remote's objects, as far as ref updates are concerned: every ref it
/// lists names an object it has, fetched when read.
struct Promised;

impl ObjectStore for Promised {
    fn try_read(&self, _: &ObjectId, _: &mut Vec<u8>, _: &ReadCtx<'_>) -> Result<Option<crate::core::object::Kind>> {
        Ok(None)
    }
    fn try_header(&self, _: &ObjectId, _: &ReadCtx<'_>) -> Result<Option<(crate::core::object::Kind, u64)>> {
        Ok(None)
    }
    fn contains(&self, _: &ObjectId) -> bool {
        true
    }
    fn find_prefix(&self, _: &Prefix, _: &mut Vec<ObjectId>, _: usize) -> Result<()> {
        Ok(())
    }
    fn approx_count(&self) -> u64 {
        0
    }
}

/// Open `url` as a memory-only repository: list its refs now, fetch objects
/// (with `filter`, default none) when they are read.
pub fn open_remote(url: &str, filter: Option<String>, cache: MemCache, opts: &Options) -> Result<Repository> {
    let mut s = Session::connect(url)?;
    let listed = s.ls_refs(&["HEAD", "refs/"])?;
    drop(s);
    let mut repo = Repository::in_memory_with(opts);
    repo.odb.set_promisor(composite::Promisor::in_memory(url.to_string(), filter, cache));
    // The refs name objects the remote has, not yet here.
    let ctx = crate::core::refs::TxContext { odb: &Promised, ..repo.tx_context() };
    let mut edits = Vec::new();
    for r in &listed {
        let change = match (&r.symref_target, r.oid) {
            (Some(t), _) => Change::Symbolic(t.clone()),
            (None, Some(o)) => Change::Update(o),
            (None, None) => continue,
        };
        let mut e = Edit::new(r.name.clone(), change, Expect::Any);
        e.deref = false;
        edits.push(e);
    }
    repo.refs.commit(edits, &ctx)?;
    drop(ctx);
    Ok(repo)
}
