//! The in-memory reference store (for `Repository.inMemory()` and remote
//! repositories): refs in a sorted map swapped copy-on-write, so readers take a
//! snapshot and never block; transactions are checked exactly as on disk
//! (names, expected old values, `a/b` against `a`, symbolic chains) and applied
//! all at once under one writer lock. Every update is logged.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::core::error::{Error, Result};
use crate::core::object::Signature;
use crate::core::odb::ObjectStore;
use crate::core::oid::ObjectId;
use crate::core::refs::transaction::{self, Change, Edit, View};
use crate::core::refs::{chain, name, reflog, Ref, Storage, Value};

/// Refs held in memory.
#[derive(Default)]
pub struct Store {
    refs: RwLock<Arc<BTreeMap<String, Value>>>,
    logs: Mutex<HashMap<String, Vec<reflog::Entry>>>,
    /// One transaction at a time.
    writer: Mutex<()>,
}

struct Snapshot<'a>(&'a BTreeMap<String, Value>);

impl View for Snapshot<'_> {
    fn value(&self, n: &str) -> Result<Option<Value>> {
        Ok(self.0.get(n).cloned())
    }
    fn first_under(&self, prefix: &str, skip: &dyn Fn(&str) -> bool) -> Result<Option<String>> {
        Ok(self.0.range(prefix.to_string()..).take_while(|(k, _)| k.starts_with(prefix)).map(|(k, _)| k.clone()).find(|k| !skip(k)))
    }
}

impl Store {
    /// An empty store.
    pub fn new() -> Store {
        Store::default()
    }

    fn snapshot(&self) -> Arc<BTreeMap<String, Value>> {
        self.refs.read().clone()
    }

    /// The ref `name` with its chain, or None.
    pub fn get(&self, name: &str) -> Result<Option<Ref>> {
        let snap = self.snapshot();
        chain(&|n| Ok(snap.get(n).map(|v| (v.clone(), Storage::Memory, None))), name)
    }

    /// Follow `name` to a direct ref (`ERR_REF_NOT_FOUND` if it or its chain's end is missing).
    pub fn resolve(&self, name: &str) -> Result<Ref> {
        let r = self.get(name)?.ok_or_else(|| Error::RefNotFound { name: name.to_string() })?;
        match r.leaf() {
            l @ Ref::Direct { oid: Some(_), .. } => Ok(l.clone()),
            l => Err(Error::RefNotFound { name: l.name().to_string() }),
        }
    }

    /// git's DWIM over the stored names.
    pub fn dwim(&self, short: &str) -> Result<Option<Ref>> {
        for c in name::dwim_candidates(short) {
            if let Some(r) = self.get(&c)? {
                if r.leaf().oid().is_some() {
                    return Ok(Some(r));
                }
            }
        }
        Ok(None)
    }

    /// Refs under `prefix`, sorted.
    pub fn list(&self, prefix: &str) -> Result<Vec<Ref>> {
        let snap = self.snapshot();
        let names: Vec<String> = snap.range(prefix.to_string()..).take_while(|(k, _)| k.starts_with(prefix)).map(|(k, _)| k.clone()).collect();
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            if let Some(r) = chain(&|x| Ok(snap.get(x).map(|v| (v.clone(), Storage::Memory, None))), &n)? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// The reflog of `name`, newest first.
    pub fn reflog(&self, name: &str) -> Vec<reflog::Entry> {
        let mut v = self.logs.lock().get(name).cloned().unwrap_or_default();
        v.reverse();
        v
    }

    /// Apply `edits` all or nothing.
    pub fn commit(&self, odb: &dyn ObjectStore, edits: Vec<Edit>, committer: &Signature) -> Result<()> {
        let _w = self.writer.lock();
        let snap = self.snapshot();
        let view = Snapshot(&snap);
        let plan = transaction::plan(&view, odb, edits)?;
        for p in &plan {
            transaction::check_expect(&p.target, p.edit.expect, &view.value(&p.target)?)?;
        }
        let mut next = (*snap).clone();
        let mut entries = Vec::new();
        for p in &plan {
            let old = match snap.get(&p.target) {
                Some(Value::Oid(o)) => *o,
                _ => ObjectId::NULL,
            };
            match &p.edit.change {
                Change::Verify => {}
                Change::Delete => {
                    next.remove(&p.target);
                }
                Change::Symbolic(t) => {
                    next.insert(p.target.clone(), Value::Symbolic(t.clone()));
                }
                Change::Update(new) => {
                    next.insert(p.target.clone(), Value::Oid(*new));
                    let e = reflog::Entry { old, new: *new, committer: committer.clone(), message: p.edit.message.clone().unwrap_or_default() };
                    entries.push((p.target.clone(), e.clone()));
                    for v in &p.via {
                        entries.push((v.clone(), e.clone()));
                    }
                }
            }
        }
        *self.refs.write() = Arc::new(next);
        let mut logs = self.logs.lock();
        for p in plan.iter().filter(|p| p.edit.change == Change::Delete) {
            logs.remove(&p.target);
        }
        for (n, e) in entries {
            logs.entry(n).or_default().push(e);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::Result as R;
    use crate::core::object::Kind;
    use crate::core::odb::ReadCtx;
    use crate::core::oid::Prefix;
    use crate::core::refs::transaction::Expect;

    /// An object store that has every object.
    struct All;
    impl ObjectStore for All {
        fn try_read(&self, _: &ObjectId, _: &mut Vec<u8>, _: &ReadCtx<'_>) -> R<Option<Kind>> {
            Ok(None)
        }
        fn try_header(&self, _: &ObjectId, _: &ReadCtx<'_>) -> R<Option<(Kind, u64)>> {
            Ok(None)
        }
        fn contains(&self, _: &ObjectId) -> bool {
            true
        }
        fn find_prefix(&self, _: &Prefix, _: &mut Vec<ObjectId>, _: usize) -> R<()> {
            Ok(())
        }
        fn approx_count(&self) -> u64 {
            0
        }
    }

    fn id(b: u8) -> ObjectId {
        ObjectId([b; 20])
    }

    fn edit(name: &str, change: Change, expect: Expect) -> Edit {
        Edit { name: name.into(), change, expect, message: Some("m".into()) }
    }

    #[test]
    fn transactions_checks_and_chains() {
        let s = Store::new();
        let who = Signature { name: "n".into(), email: "e".into(), seconds: 1, offset: 0 };
        s.commit(&All, vec![edit("HEAD", Change::Symbolic("refs/heads/main".into()), Expect::Any)], &who).expect("symref");
        // HEAD is unborn: its chain ends in a new ref.
        let head = s.get("HEAD").expect("ok").expect("exists");
        assert_eq!(head.leaf(), &Ref::Direct { name: "refs/heads/main".into(), oid: None, peeled: None, storage: Storage::New });
        // Updating through HEAD moves main and logs both.
        s.commit(&All, vec![edit("HEAD", Change::Update(id(1)), Expect::MustNotExist { create: false })], &who).expect("update");
        assert_eq!(s.resolve("HEAD").expect("resolves").oid(), Some(id(1)));
        assert_eq!(s.reflog("refs/heads/main").len(), 1);
        assert_eq!(s.reflog("HEAD").len(), 1);
        // Codes: exists, conflict, name conflict; nothing applied on failure.
        let e = s.commit(&All, vec![edit("refs/heads/main", Change::Update(id(2)), Expect::MustNotExist { create: true })], &who).unwrap_err();
        assert_eq!(e.code(), "ERR_REF_EXISTS");
        let e = s
            .commit(&All, vec![edit("refs/heads/x", Change::Update(id(2)), Expect::Any), edit("refs/heads/main", Change::Update(id(2)), Expect::MustMatch(id(9)))], &who)
            .unwrap_err();
        assert_eq!(e.code(), "ERR_REF_CONFLICT");
        assert!(s.get("refs/heads/x").expect("ok").is_none(), "all or nothing");
        let e = s.commit(&All, vec![edit("refs/heads/main/sub", Change::Update(id(2)), Expect::Any)], &who).unwrap_err();
        assert_eq!(e.code(), "ERR_REF_NAME_CONFLICT");
        let e = s.commit(&All, vec![edit("refs/heads/a..b", Change::Update(id(2)), Expect::Any)], &who).unwrap_err();
        assert_eq!(e.code(), "ERR_INVALID_REF_NAME");
        // Listing and DWIM.
        s.commit(&All, vec![edit("refs/tags/v1", Change::Update(id(3)), Expect::Any)], &who).expect("tag");
        let names: Vec<_> = s.list("refs/").expect("list").iter().map(|r| r.name().to_string()).collect();
        assert_eq!(names, ["refs/heads/main", "refs/tags/v1"]);
        assert_eq!(s.dwim("v1").expect("ok").map(|r| r.name().to_string()).as_deref(), Some("refs/tags/v1"));
        // A cycle.
        s.commit(&All, vec![edit("refs/heads/l1", Change::Symbolic("refs/heads/l2".into()), Expect::Any), edit("refs/heads/l2", Change::Symbolic("refs/heads/l1".into()), Expect::Any)], &who).expect("loop");
        assert_eq!(s.resolve("refs/heads/l1").unwrap_err().code(), "ERR_SYMREF_CYCLE");
        // Delete.
        s.commit(&All, vec![edit("refs/tags/v1", Change::Delete, Expect::MustMatch(id(3)))], &who).expect("delete");
        assert!(s.get("refs/tags/v1").expect("ok").is_none());
    }
}
