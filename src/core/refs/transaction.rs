//! All-or-nothing reference transactions on the files store, as git's
//! `refs/files-backend.c` (`files_transaction_prepare` / `_finish`):
//!
//! 1. every name is checked (check-ref-format) and symbolic refs are followed
//!    to the ref an update really moves (git's default "deref" mode);
//! 2. `a/b` against `a` is refused against existing refs and inside the
//!    transaction (`ERR_REF_NAME_CONFLICT`);
//! 3. a `<name>.lock` is created with O_EXCL for every touched ref, in sorted
//!    order, plus `packed-refs.lock` when a delete touches a packed ref
//!    (`ERR_REF_LOCKED` if one is held);
//! 4. under the locks every expected old value is checked against what is on
//!    disk now (`ERR_REF_CONFLICT`, `ERR_REF_EXISTS` for create);
//! 5. only then anything is written: new values and reflog entries under each
//!    lock, renamed into place; deletes rewrite `packed-refs` and remove loose
//!    files and their reflogs. Any failure before step 5 releases every lock and
//!    leaves every ref as it was.

use std::collections::BTreeMap;

use crate::core::config::Config;
use crate::core::error::{Error, Result};
use crate::core::object::Signature;
use crate::core::odb::ObjectStore;
use crate::core::oid::ObjectId;
use crate::core::refs::files::Store;
use crate::core::refs::lock::{self, Lock};
use crate::core::refs::{name, packed, reflog, TxContext, Value, MAX_SYMREF_DEPTH};

/// What the ref must hold before the edit (gitoxide's `PreviousValue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Whatever it holds.
    Any,
    /// It must exist (any value).
    MustExist,
    /// It must not exist; `create` reports a failure as `ERR_REF_EXISTS`.
    MustNotExist { create: bool },
    /// It must hold exactly this id.
    MustMatch(ObjectId),
}

/// The change an edit makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Point the ref at an object (following a symbolic ref to the ref it names).
    Update(ObjectId),
    /// Make the ref symbolic, naming another ref (never followed).
    Symbolic(String),
    /// Remove the ref (following a symbolic ref, as git does without --no-deref).
    Delete,
    /// Only check `expect`.
    Verify,
}

/// One edit of a transaction.
#[derive(Debug, Clone)]
pub struct Edit {
    pub name: String,
    pub change: Change,
    pub expect: Expect,
    pub message: Option<String>,
    /// Follow a symbolic `name` to the ref it names (git's default). False is
    /// git's `--no-deref`: the symbolic ref itself is overwritten or deleted, and
    /// `expect` is checked against the id it resolves to.
    pub deref: bool,
}

impl Edit {
    /// An edit that follows symbolic refs, with no message.
    pub fn new(name: impl Into<String>, change: Change, expect: Expect) -> Edit {
        Edit { name: name.into(), change, expect, message: None, deref: true }
    }
}

/// An edit resolved to the ref it really touches.
pub struct Planned {
    pub edit: Edit,
    /// The ref written (the end of the symbolic chain for updates/deletes).
    pub target: String,
    /// Symbolic refs traversed on the way (their reflogs get the entry too, like HEAD).
    pub via: Vec<String>,
}

/// What the checks of a transaction need to see of a store (files or memory).
pub trait View {
    /// The value `n` holds now (not following it).
    fn value(&self, n: &str) -> Result<Option<Value>>;
    /// Some existing ref named `<prefix>...` that `skip` does not exclude.
    fn first_under(&self, prefix: &str, skip: &dyn Fn(&str) -> bool) -> Result<Option<String>>;
}

impl View for Store {
    fn value(&self, n: &str) -> Result<Option<Value>> {
        Ok(self.read(n)?.map(|(v, _, _)| v))
    }
    fn first_under(&self, prefix: &str, skip: &dyn Fn(&str) -> bool) -> Result<Option<String>> {
        Ok(self.list(prefix)?.into_iter().map(|r| r.name().to_string()).find(|n| !skip(n)))
    }
}

fn current(store: &dyn View, n: &str) -> Result<Option<Value>> {
    store.value(n)
}

/// Follow symbolic refs from `n` to the ref an update would write: its name,
/// the symbolic refs passed on the way, and the value it holds now.
pub fn deref(store: &dyn View, n: &str) -> Result<(String, Vec<String>, Option<Value>)> {
    let mut cur = n.to_string();
    let mut via = Vec::new();
    for _ in 0..MAX_SYMREF_DEPTH {
        match current(store, &cur)? {
            Some(Value::Symbolic(t)) => {
                via.push(cur);
                cur = t;
            }
            v => return Ok((cur, via, v)),
        }
    }
    Err(Error::SymrefCycle { name: n.to_string() })
}

/// The id a ref holds, for expectation checks and reflogs (symbolic → None).
fn oid_of(v: &Option<Value>) -> Option<ObjectId> {
    match v {
        Some(Value::Oid(o)) => Some(*o),
        _ => None,
    }
}

pub fn check_expect(n: &str, expect: Expect, now: &Option<Value>) -> Result<()> {
    let conflict = |reason: String| Err(Error::RefConflict { name: n.to_string(), reason });
    match (expect, now) {
        (Expect::Any, _) => Ok(()),
        (Expect::MustExist, Some(_)) => Ok(()),
        (Expect::MustExist, None) => conflict("it does not exist".into()),
        (Expect::MustNotExist { .. }, None) => Ok(()),
        (Expect::MustNotExist { create: true }, Some(_)) => Err(Error::RefExists { name: n.to_string() }),
        (Expect::MustNotExist { create: false }, Some(_)) => conflict("it exists".into()),
        (Expect::MustMatch(want), Some(Value::Oid(have))) if *have == want => Ok(()),
        (Expect::MustMatch(want), Some(Value::Oid(have))) => conflict(format!("expected {want}, found {have}")),
        (Expect::MustMatch(want), Some(Value::Symbolic(t))) => conflict(format!("expected {want}, found a symbolic ref to {t}")),
        (Expect::MustMatch(want), None) => conflict(format!("expected {want}, but it does not exist")),
    }
}

/// Refuse `a/b` against an existing `a` (or `a` against an existing `a/b/...`),
/// ignoring refs this transaction deletes, and the same inside the transaction.
pub fn check_name_conflicts(store: &dyn View, creating: &[&str], deleting: &[&str]) -> Result<()> {
    for (i, n) in creating.iter().enumerate() {
        let mut end = 0;
        while let Some(pos) = n[end..].find('/') {
            end += pos;
            let parent = &n[..end];
            end += 1;
            if parent == "refs" || deleting.contains(&parent) {
                continue;
            }
            if current(store, parent)?.is_some() {
                return Err(Error::RefNameConflict { name: n.to_string(), other: parent.to_string() });
            }
        }
        let prefix = format!("{n}/");
        if let Some(other) = store.first_under(&prefix, &|x| deleting.contains(&x))? {
            return Err(Error::RefNameConflict { name: n.to_string(), other });
        }
        for (j, other) in creating.iter().enumerate() {
            if i != j && other.len() > n.len() && other.starts_with(n) && other.as_bytes()[n.len()] == b'/' {
                return Err(Error::RefNameConflict { name: n.to_string(), other: other.to_string() });
            }
        }
    }
    Ok(())
}

/// Steps 1 and 2, shared by every store: check names and objects, follow
/// symbolic refs to the refs really written, refuse duplicate edits and `a/b`
/// against `a`.
pub fn plan(view: &dyn View, odb: &dyn ObjectStore, edits: Vec<Edit>) -> Result<Vec<Planned>> {
    let mut plan: Vec<Planned> = Vec::new();
    // Whether each planned target exists now (read once, for the a/b-against-a check).
    let mut exists = Vec::new();
    for edit in edits {
        name::check_for_update(&edit.name)?;
        if let Change::Symbolic(t) = &edit.change {
            name::check_for_update(t)?;
        }
        if let Change::Update(oid) = &edit.change {
            if !odb.contains(oid) {
                return Err(Error::ObjectNotFound { oid: *oid });
            }
        }
        let (target, via, now) = match edit.change {
            Change::Update(_) | Change::Delete | Change::Verify if edit.deref => deref(view, &edit.name)?,
            _ => (edit.name.clone(), Vec::new(), current(view, &edit.name)?),
        };
        exists.push(now.is_some());
        plan.push(Planned { edit, target, via });
    }
    let mut seen = std::collections::HashSet::new();
    for p in &plan {
        if !seen.insert(p.target.clone()) {
            return Err(Error::RefConflict { name: p.target.clone(), reason: "more than one edit of this ref in one transaction".into() });
        }
    }
    let deleting: Vec<&str> = plan.iter().filter(|p| p.edit.change == Change::Delete).map(|p| p.target.as_str()).collect();
    let creating: Vec<&str> = plan
        .iter()
        .zip(&exists)
        .filter(|(p, e)| matches!(p.edit.change, Change::Update(_) | Change::Symbolic(_)) && !**e)
        .map(|(p, _)| p.target.as_str())
        .collect();
    check_name_conflicts(view, &creating, &deleting)?;
    Ok(plan)
}

/// What a transaction checks an edit's `expect` against: the target's value,
/// or, for a no-deref edit of a symbolic ref, the id that ref resolves to (as
/// git's `lock_ref_for_update` reads the referent under `REF_NO_DEREF`).
pub fn expect_value(view: &dyn View, p: &Planned) -> Result<Option<Value>> {
    let now = current(view, &p.target)?;
    if p.edit.deref {
        return Ok(now);
    }
    if let Some(Value::Symbolic(t)) = &now {
        // A chain that loops, runs too deep or ends in a broken ref resolves to
        // nothing: the symbolic ref itself still exists and can be deleted or
        // overwritten, as git does.
        if let Ok((_, _, Some(v @ Value::Oid(_)))) = deref(view, t) {
            return Ok(Some(v));
        }
    }
    Ok(now)
}

/// A files-store transaction that holds every lock and has checked every
/// expected value (git's "prepared" state): `commit` writes, dropping it (or
/// `abort`) releases the locks and changes nothing.
pub struct FilesPrepared {
    store: Store,
    plan: Vec<Planned>,
    /// One lock per planned edit, by index.
    locks: BTreeMap<usize, Lock>,
    packed_lock: Option<Lock>,
    packed_deletes: Vec<usize>,
    /// The value each edit's ref held under its lock (for reflogs).
    olds: Vec<Option<Value>>,
    /// For a symbolic edit whose target resolves: the reflog's old and new ids.
    symlogs: Vec<Option<(ObjectId, ObjectId)>>,
    config: Config,
    is_bare: bool,
    committer: Signature,
}

/// Steps 1 to 4: plan, lock in sorted order, check every expectation under the locks.
pub fn prepare(store: &Store, ctx: &TxContext<'_>, edits: Vec<Edit>) -> Result<FilesPrepared> {
    // 1-2. Names, the refs really touched, a/b against a.
    let plan = plan(store, ctx.odb, edits)?;

    // 3. Locks, in sorted order.
    let timeout = lock::files_ref_lock_timeout(ctx.config);
    let mut order: Vec<usize> = (0..plan.len()).collect();
    order.sort_by(|&a, &b| plan[a].target.cmp(&plan[b].target));
    let mut locks: BTreeMap<usize, Lock> = BTreeMap::new();
    for &i in &order {
        let t = &plan[i].target;
        locks.insert(i, Lock::acquire_with_timeout(&store.loose_path(t), t, timeout)?);
    }
    let mut packed_deletes = Vec::new();
    if plan.iter().any(|p| p.edit.change == Change::Delete) {
        if let Some(buf) = store.packed()? {
            for (i, p) in plan.iter().enumerate() {
                if p.edit.change == Change::Delete && Store::packable(&p.target) && buf.find(&p.target)?.is_some() {
                    packed_deletes.push(i);
                }
            }
        }
    }
    let packed_lock = if packed_deletes.is_empty() {
        None
    } else {
        Some(Lock::acquire_with_timeout(&store.packed_path(), "packed-refs", lock::packed_refs_timeout(ctx.config))?)
    };

    // 4. Old values, read fresh under the locks.
    let mut olds = Vec::with_capacity(plan.len());
    for p in &plan {
        let now = expect_value(store, p)?;
        check_expect(&p.target, p.edit.expect, &now)?;
        olds.push(now);
    }

    // New values go into the locks now and the locks are closed (git's
    // write_ref_to_lockfile), so no transaction holds more than one open file.
    let fsync = lock::fsync_refs(ctx.config);
    let mut symlogs = vec![None; plan.len()];
    for (i, p) in plan.iter().enumerate() {
        let lk = locks.get_mut(&i).expect("every planned ref was locked");
        match &p.edit.change {
            Change::Update(new) => lk.write_all(format!("{}\n", new.to_hex()).as_bytes())?,
            Change::Symbolic(t) => {
                lk.write_all(format!("ref: {t}\n").as_bytes())?;
                // git logs a symbolic ref's change as old → new resolved ids,
                // when the new target resolves.
                if let Ok((_, _, Some(Value::Oid(new)))) = deref(store, t) {
                    let old = match deref(store, &p.target) {
                        Ok((_, _, Some(Value::Oid(o)))) => o,
                        _ => ObjectId::NULL,
                    };
                    symlogs[i] = Some((old, new));
                }
            }
            Change::Delete | Change::Verify => {}
        }
        lk.close(fsync && matches!(p.edit.change, Change::Update(_) | Change::Symbolic(_)))?;
    }
    Ok(FilesPrepared {
        symlogs,
        store: store.detached(),
        plan,
        locks,
        packed_lock,
        packed_deletes,
        olds,
        config: ctx.config.clone(),
        is_bare: ctx.is_bare,
        committer: ctx.committer.clone(),
    })
}

impl crate::core::refs::Prepared for FilesPrepared {
    /// Step 5: write everything, then release the locks.
    fn commit(mut self: Box<Self>) -> Result<()> {
        let fsync = lock::fsync_refs(&self.config);
        if let Some(mut pl) = self.packed_lock.take() {
            let buf = self.store.packed()?;
            let mut records = Vec::new();
            if let Some(buf) = &buf {
                for r in buf.iter() {
                    let r = r?;
                    if !self.packed_deletes.iter().any(|&i| self.plan[i].target == r.name) {
                        records.push((r.name.to_string(), r.oid, r.peeled));
                    }
                }
            }
            let mut out = Vec::new();
            packed::write(&records, &mut out);
            pl.write_all(&out)?;
            pl.commit(fsync)?;
        }
        let needs_head = self.plan.iter().any(|p| matches!(p.edit.change, Change::Update(_)));
        let head_target = match needs_head.then(|| current(&self.store, "HEAD")).transpose()?.flatten() {
            Some(Value::Symbolic(t)) => Some(t),
            _ => None,
        };
        for i in 0..self.plan.len() {
            let p = &self.plan[i];
            let lk = self.locks.remove(&i).expect("every planned ref was locked");
            let old = oid_of(&self.olds[i]);
            match &p.edit.change {
                Change::Verify => lk.rollback()?,
                Change::Delete => {
                    let path = self.store.loose_path(&p.target);
                    match std::fs::remove_file(&path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(Error::io(&path, e)),
                    }
                    let _ = std::fs::remove_file(self.store.log_path(&p.target));
                    lk.rollback()?;
                }
                Change::Update(new) => {
                    self.log(p, old, *new, head_target.as_deref(), fsync)?;
                    lk.commit(fsync)?;
                }
                Change::Symbolic(_) => {
                    if let Some((old, new)) = self.symlogs[i] {
                        self.append_log(&p.target, old, new, p.edit.message.clone().unwrap_or_default(), fsync)?;
                    }
                    lk.commit(fsync)?;
                }
            }
        }
        Ok(())
    }
}

impl FilesPrepared {
    /// Append the reflog entries of an update: the ref itself, the symbolic refs it
    /// was reached through, and HEAD when HEAD names the ref (as git does).
    fn log(&self, p: &Planned, old: Option<ObjectId>, new: ObjectId, head_target: Option<&str>, fsync: bool) -> Result<()> {
        let entry = reflog::Entry {
            old: old.unwrap_or(ObjectId::NULL),
            new,
            committer: self.committer.clone(),
            message: p.edit.message.clone().unwrap_or_default(),
        };
        let mut names: Vec<&str> = vec![p.target.as_str()];
        names.extend(p.via.iter().map(String::as_str));
        if head_target == Some(p.target.as_str()) && !names.contains(&"HEAD") {
            names.push("HEAD");
        }
        for n in names {
            self.append_entry(n, &entry, fsync)?;
        }
        Ok(())
    }

    fn append_log(&self, name: &str, old: ObjectId, new: ObjectId, message: String, fsync: bool) -> Result<()> {
        let entry = reflog::Entry { old, new, committer: self.committer.clone(), message };
        self.append_entry(name, &entry, fsync)
    }

    /// Log `entry` for `name` when git would: `core.logAllRefUpdates`, or a log that exists.
    fn append_entry(&self, name: &str, entry: &reflog::Entry, fsync: bool) -> Result<()> {
        let path = self.store.log_path(name);
        if reflog::should_log(name, &self.config, self.is_bare) || reflog::log_exists(&path) {
            reflog::append(&path, entry, fsync)?;
        }
        Ok(())
    }
}
