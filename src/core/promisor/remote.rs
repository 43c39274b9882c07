//! `openRemote`: a memory-only repository over a URL. Its refs are the
//! remote's (from `ls-refs`, symbolic refs kept symbolic); its objects are
//! fetched on demand and kept in memory, bounded by a [`MemCache`].

use std::sync::Arc;

use crate::core::error::Result;
use crate::core::odb::composite::{self, MemCache};
use crate::core::odb::pack::cache::Cache;
use crate::core::odb::{ObjectStore, ReadCtx};
use crate::core::oid::{ObjectId, Prefix};
use crate::core::promisor::session::Session;
use crate::core::refs::transaction::{Change, Edit, Expect};
use crate::core::repo::{Layout, Options, Repository};

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
    let mut odb = composite::Store::in_memory(Arc::new(Cache::new(opts.cache_bytes)));
    odb.set_promisor(composite::Promisor::in_memory(url.to_string(), filter, cache));
    let config = crate::core::config::Config::default();
    let refs = crate::core::refs::memory::Store::new();
    let ctx = crate::core::refs::TxContext {
        odb: &Promised,
        config: &config,
        is_bare: true,
        committer: crate::core::object::Signature { name: String::new(), email: String::new(), seconds: 0, offset: 0 },
    };
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
    if !listed.iter().any(|r| r.name == "HEAD") {
        edits.push(Edit::new("HEAD", Change::Symbolic("refs/heads/main".into()), Expect::Any));
    }
    crate::core::refs::RefStore::commit(&refs, edits, &ctx)?;
    Ok(Repository { layout: Layout::in_memory(), config, odb, refs: Box::new(refs) })
}
