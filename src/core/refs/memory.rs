//! The in-memory reference store (for `Repository.inMemory()` and remote
//! repositories): refs in a sorted map swapped copy-on-write, so readers take a
//! snapshot and never block. Transactions are checked exactly as on disk
//! (names, expected old values, `a/b` against `a`, symbolic chains); a
//! prepared transaction holds its refs as locks (another transaction touching
//! one gets `ERR_REF_LOCKED`, as with `.lock` files) and is applied all at once.
//! Every update is logged.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::core::config::Config;
use crate::core::error::{Error, Result};
use crate::core::object::Signature;
use crate::core::oid::ObjectId;
use crate::core::refs::transaction::{self, Change, Edit, Planned, View};
use crate::core::refs::{pack, reflog, Prepared, Ref, RefStore, Storage, Stored, TxContext, Value};

/// Refs held in memory.
#[derive(Default)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    refs: RwLock<Arc<BTreeMap<String, Value>>>,
    logs: Mutex<HashMap<String, Vec<reflog::Entry>>>,
    /// Refs held by prepared transactions.
    locked: Mutex<HashSet<String>>,
    /// Serializes checking and applying.
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
        self.inner.refs.read().clone()
    }
}

/// A prepared in-memory transaction: its refs are locked until it commits or drops.
struct MemoryPrepared {
    inner: Arc<Inner>,
    plan: Vec<Planned>,
    committer: Signature,
    held: Vec<String>,
}

impl Drop for MemoryPrepared {
    fn drop(&mut self) {
        let mut locked = self.inner.locked.lock();
        for n in self.held.drain(..) {
            locked.remove(&n);
        }
    }
}

impl Prepared for MemoryPrepared {
    fn commit(self: Box<Self>) -> Result<()> {
        let _w = self.inner.writer.lock();
        let snap = self.inner.refs.read().clone();
        let view = Snapshot(&snap);
        // Nothing else can have moved a held ref; checked again all the same.
        for p in &self.plan {
            transaction::check_expect(&p.target, p.edit.expect, &transaction::expect_value(&view, p)?)?;
        }
        let mut next = (*snap).clone();
        let mut entries = Vec::new();
        for p in &self.plan {
            let old = match transaction::expect_value(&view, p)? {
                Some(Value::Oid(o)) => o,
                _ => ObjectId::NULL,
            };
            match &p.edit.change {
                Change::Verify => {}
                Change::Delete => {
                    next.remove(&p.target);
                }
                Change::Symbolic(t) => {
                    next.insert(p.target.clone(), Value::Symbolic(t.clone()));
                    // As on disk: logged as old → new resolved ids when the target resolves.
                    if let Ok((_, _, Some(Value::Oid(new)))) = transaction::deref(&view, t) {
                        let old = match transaction::deref(&view, &p.target) {
                            Ok((_, _, Some(Value::Oid(o)))) => o,
                            _ => ObjectId::NULL,
                        };
                        let e = reflog::Entry { old, new, committer: self.committer.clone(), message: p.edit.message.clone().unwrap_or_default() };
                        entries.push((p.target.clone(), e));
                    }
                }
                Change::Update(new) => {
                    next.insert(p.target.clone(), Value::Oid(*new));
                    let e = reflog::Entry { old, new: *new, committer: self.committer.clone(), message: p.edit.message.clone().unwrap_or_default() };
                    entries.push((p.target.clone(), e.clone()));
                    for v in &p.via {
                        entries.push((v.clone(), e.clone()));
                    }
                }
            }
        }
        *self.inner.refs.write() = Arc::new(next);
        let mut logs = self.inner.logs.lock();
        for p in self.plan.iter().filter(|p| p.edit.change == Change::Delete) {
            logs.remove(&p.target);
        }
        for (n, e) in entries {
            logs.entry(n).or_default().push(e);
        }
        Ok(())
    }
}

impl RefStore for Store {
    fn read(&self, name: &str) -> Result<Option<Stored>> {
        Ok(self.inner.refs.read().get(name).map(|v| (v.clone(), Storage::Memory, None)))
    }

    fn get(&self, name: &str) -> Result<Option<Ref>> {
        let snap = self.snapshot();
        crate::core::refs::chain(&|n| Ok(snap.get(n).map(|v| (v.clone(), Storage::Memory, None))), name)
    }

    fn list(&self, prefix: &str) -> Result<Vec<Ref>> {
        let snap = self.snapshot();
        let mut out = Vec::new();
        for (n, _) in snap.range(prefix.to_string()..).take_while(|(k, _)| k.starts_with(prefix)) {
            // A broken chain (a loop, too deep) is skipped, as the files store skips it.
            match crate::core::refs::chain(&|x| Ok(snap.get(x).map(|v| (v.clone(), Storage::Memory, None))), n) {
                Ok(Some(r)) => out.push(r),
                Ok(None) | Err(Error::SymrefCycle { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    fn prepare(&self, edits: Vec<Edit>, ctx: &TxContext<'_>) -> Result<Box<dyn Prepared>> {
        let _w = self.inner.writer.lock();
        let snap = self.snapshot();
        let view = Snapshot(&snap);
        let plan = transaction::plan(&view, ctx.odb, edits)?;
        let mut locked = self.inner.locked.lock();
        if let Some(p) = plan.iter().find(|p| locked.contains(&p.target)) {
            return Err(Error::RefLocked { name: p.target.clone(), path: None });
        }
        for p in &plan {
            transaction::check_expect(&p.target, p.edit.expect, &transaction::expect_value(&view, p)?)?;
        }
        let held: Vec<String> = plan.iter().map(|p| p.target.clone()).collect();
        locked.extend(held.iter().cloned());
        drop(locked);
        Ok(Box::new(MemoryPrepared { inner: self.inner.clone(), plan, committer: ctx.committer.clone(), held }))
    }

    fn reflog(&self, name: &str) -> Result<Vec<reflog::Entry>> {
        let mut v = self.inner.logs.lock().get(name).cloned().unwrap_or_default();
        v.reverse();
        Ok(v)
    }

    fn pack_refs(&self, _: pack::Options, _: &crate::core::odb::composite::Store, _: &Config) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::Result as R;
    use crate::core::object::Kind;
    use crate::core::odb::{ObjectStore, ReadCtx};
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

    fn ctx(who: &Signature) -> TxContext<'static> {
        static CONFIG: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
        TxContext { odb: &All, config: CONFIG.get_or_init(Config::default), is_bare: false, committer: who.clone() }
    }

    fn id(b: u8) -> ObjectId {
        ObjectId([b; 20])
    }

    fn edit(name: &str, change: Change, expect: Expect) -> Edit {
        Edit { name: name.into(), change, expect, message: Some("m".into()), deref: true }
    }

    #[test]
    fn transactions_checks_and_chains() {
        let s = Store::new();
        let who = Signature { name: "n".into(), email: "e".into(), seconds: 1, offset: 0 };
        s.commit(vec![edit("HEAD", Change::Symbolic("refs/heads/main".into()), Expect::Any)], &ctx(&who)).expect("symref");
        // HEAD is unborn: its chain ends in a new ref.
        let head = s.get("HEAD").expect("ok").expect("exists");
        assert_eq!(head.leaf(), &Ref::Direct { name: "refs/heads/main".into(), oid: None, peeled: None, storage: Storage::New });
        // Updating through HEAD moves main and logs both.
        s.commit(vec![edit("HEAD", Change::Update(id(1)), Expect::MustNotExist { create: false })], &ctx(&who)).expect("update");
        assert_eq!(s.resolve("HEAD").expect("resolves").oid(), Some(id(1)));
        assert_eq!(s.reflog("refs/heads/main").expect("log").len(), 1);
        assert_eq!(s.reflog("HEAD").expect("log").len(), 1);
        // Codes: exists, conflict, name conflict; nothing applied on failure.
        let e = s.commit(vec![edit("refs/heads/main", Change::Update(id(2)), Expect::MustNotExist { create: true })], &ctx(&who)).unwrap_err();
        assert_eq!(e.code(), "ERR_REF_EXISTS");
        let e = s
            .commit(vec![edit("refs/heads/x", Change::Update(id(2)), Expect::Any), edit("refs/heads/main", Change::Update(id(2)), Expect::MustMatch(id(9)))], &ctx(&who))
            .unwrap_err();
        assert_eq!(e.code(), "ERR_REF_CONFLICT");
        assert!(s.get("refs/heads/x").expect("ok").is_none(), "all or nothing");
        let e = s.commit(vec![edit("refs/heads/main/sub", Change::Update(id(2)), Expect::Any)], &ctx(&who)).unwrap_err();
        assert_eq!(e.code(), "ERR_REF_NAME_CONFLICT");
        let e = s.commit(vec![edit("refs/heads/a..b", Change::Update(id(2)), Expect::Any)], &ctx(&who)).unwrap_err();
        assert_eq!(e.code(), "ERR_INVALID_REF_NAME");
        // Listing and DWIM.
        s.commit(vec![edit("refs/tags/v1", Change::Update(id(3)), Expect::Any)], &ctx(&who)).expect("tag");
        let names: Vec<_> = s.list("refs/").expect("list").iter().map(|r| r.name().to_string()).collect();
        assert_eq!(names, ["refs/heads/main", "refs/tags/v1"]);
        assert_eq!(s.dwim("v1").expect("ok").map(|r| r.name().to_string()).as_deref(), Some("refs/tags/v1"));
        // A cycle.
        s.commit(vec![edit("refs/heads/l1", Change::Symbolic("refs/heads/l2".into()), Expect::Any), edit("refs/heads/l2", Change::Symbolic("refs/heads/l1".into()), Expect::Any)], &ctx(&who)).expect("loop");
        assert_eq!(s.resolve("refs/heads/l1").unwrap_err().code(), "ERR_SYMREF_CYCLE");
        // Delete.
        s.commit(vec![edit("refs/tags/v1", Change::Delete, Expect::MustMatch(id(3)))], &ctx(&who)).expect("delete");
        assert!(s.get("refs/tags/v1").expect("ok").is_none());
    }

    #[test]
    fn prepared_holds_its_refs_and_no_deref_writes_the_symref() {
        let s = Store::new();
        let who = Signature { name: "n".into(), email: "e".into(), seconds: 1, offset: 0 };
        s.commit(vec![edit("refs/heads/main", Change::Update(id(1)), Expect::Any), edit("HEAD", Change::Symbolic("refs/heads/main".into()), Expect::Any)], &ctx(&who)).expect("setup");
        let p = s.prepare(vec![edit("refs/heads/main", Change::Update(id(2)), Expect::MustMatch(id(1)))], &ctx(&who)).expect("prepare");
        // HEAD derefs to main, which the prepared transaction holds.
        let e = s.commit(vec![edit("HEAD", Change::Update(id(3)), Expect::Any)], &ctx(&who)).unwrap_err();
        assert_eq!(e.code(), "ERR_REF_LOCKED");
        p.commit().expect("commit");
        assert_eq!(s.resolve("HEAD").expect("resolves").oid(), Some(id(2)));
        // Dropping a prepared transaction releases its refs and changes nothing.
        drop(s.prepare(vec![edit("refs/heads/main", Change::Update(id(5)), Expect::Any)], &ctx(&who)).expect("prepare"));
        assert_eq!(s.resolve("refs/heads/main").expect("resolves").oid(), Some(id(2)));
        // --no-deref: HEAD itself becomes direct; its old value is what it resolved to.
        let mut e = edit("HEAD", Change::Update(id(4)), Expect::MustMatch(id(2)));
        e.deref = false;
        s.commit(vec![e], &ctx(&who)).expect("no-deref");
        assert_eq!(s.get("HEAD").expect("ok"), Some(Ref::Direct { name: "HEAD".into(), oid: Some(id(4)), peeled: None, storage: Storage::Memory }));
        assert_eq!(s.resolve("refs/heads/main").expect("resolves").oid(), Some(id(2)));
        assert_eq!(s.reflog("HEAD").expect("log")[0].old, id(2));
    }
}
