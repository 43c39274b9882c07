//! `Repository`: opening, object reads (Promise, Sync and batch) through the
//! identity map, headers, hashing and stats. Every entry point calls one core
//! function; the Promise forms run it on the pool.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::core::error::Error as CoreError;
use crate::core::object::{self, Kind, Object};
use crate::core::oid::{ObjectId, OidMap};
use crate::core::repo;
use crate::js::error;
use crate::js::identity_map::{run_loads, IdentityMap, Slot, Waiter};
use crate::js::objects;
use crate::js::pool;
use crate::js::util::{self, JsRaw};

/// The thread-safe half of a repository, shared with workers.
pub struct Shared {
    pub repo: repo::Repository,
    closed: AtomicBool,
    object_loads: AtomicU64,
    cache_hits: AtomicU64,
    inflight_joins: AtomicU64,
}

impl Shared {
    /// `ERR_CLOSED` once `close()` was called.
    pub fn check_open(&self) -> std::result::Result<(), CoreError> {
        shared_open(self)
    }

    pub(crate) fn load(&self, oid: &ObjectId) -> std::result::Result<Arc<Object>, CoreError> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(CoreError::Closed);
        }
        self.repo.read_object(oid).map(Arc::new)
    }
}

/// The main-thread half: the identity map.
pub struct RepoState {
    pub shared: Arc<Shared>,
    map: RefCell<IdentityMap>,
    /// A weak reference to this repository's `Source` (see [`RepoState::source`]).
    source: Cell<sys::napi_ref>,
}

/// Objects per worker job in a batch: small enough that the main thread installs
/// one chunk while workers load the next, large enough to keep crossings rare.
const CHUNK: usize = 2048;

type Then = Box<dyn FnOnce(&Rc<RepoState>, sys::napi_env)>;

struct Batch {
    state: Rc<RepoState>,
    jobs_left: usize,
    then: Option<Then>,
}

thread_local! {
    /// Batches in flight. Holding the state keeps the repository alive until its
    /// promises settle, even if JS dropped it meanwhile.
    static BATCHES: RefCell<HashMap<u64, Batch>> = RefCell::new(HashMap::new());
    static NEXT_BATCH: Cell<u64> = const { Cell::new(0) };
}

fn next_id() -> u64 {
    NEXT_BATCH.with(|n| {
        let v = n.get() + 1;
        n.set(v);
        v
    })
}

fn keep(state: &Rc<RepoState>, jobs: usize, then: Then) -> u64 {
    let id = next_id();
    BATCHES.with(|m| m.borrow_mut().insert(id, Batch { state: state.clone(), jobs_left: jobs, then: Some(then) }));
    id
}

fn state_of(id: u64) -> Option<Rc<RepoState>> {
    BATCHES.with(|m| m.borrow().get(&id).map(|b| b.state.clone()))
}

/// Count one job of the batch done; the last one gets `then` and ends the batch.
type JobThen = Box<dyn FnOnce(sys::napi_env, Box<dyn Any + Send>)>;

thread_local! {
    /// Single jobs in flight: what to do with each result on the main thread.
    static JOBS: RefCell<HashMap<u64, JobThen>> = RefCell::new(HashMap::new());
}

fn chunk_done(id: u64) -> Option<Then> {

    BATCHES.with(|m| {
        let mut m = m.borrow_mut();
        let b = m.get_mut(&id)?;
        b.jobs_left -= 1;
        if b.jobs_left == 0 {
            m.remove(&id).and_then(|b| b.then)
        } else {
            None
        }
    })
}

fn parse_oid(s: &str) -> std::result::Result<ObjectId, CoreError> {
    ObjectId::parse(s)
}

/// A revision given to `getCommit`/`getTree` names a commit-ish or tree-ish:
/// peel tags (and, for trees, commits) as git's `rev^{commit}` does. A raw oid
/// is taken as is.
fn peeled_spec(spec: &str, expect: Option<Kind>) -> String {
    match expect {
        Some(k @ (Kind::Commit | Kind::Tree)) => format!("{spec}^{{{}}}", k.as_str()),
        _ => spec.to_string(),
    }
}

fn check_kind(oid: ObjectId, actual: Kind, expect: Option<Kind>) -> std::result::Result<(), CoreError> {
    match expect {
        Some(k) if k != actual => Err(CoreError::ObjectType { oid, expected: k.as_str(), actual: actual.as_str() }),
        _ => Ok(()),
    }
}

impl RepoState {
    pub(crate) fn new(repo: repo::Repository) -> Rc<RepoState> {
        Rc::new(RepoState {
            shared: Arc::new(Shared {
                repo,
                closed: AtomicBool::new(false),
                object_loads: AtomicU64::new(0),
                cache_hits: AtomicU64::new(0),
                inflight_joins: AtomicU64::new(0),
            }),
            map: RefCell::new(IdentityMap::default()),
            source: Cell::new(std::ptr::null_mut()),
        })
    }

    /// The `Source` JS commits read through: the live one, or a new one if the
    /// last was collected (it is only a handle on this state, so any will do).
    pub(crate) fn source(self: &Rc<Self>, env: sys::napi_env) -> napi::Result<sys::napi_value> {
        let r = self.source.get();
        let mut v = std::ptr::null_mut();
        if !r.is_null() {
            // SAFETY: r was created on this thread and not deleted.
            unsafe { sys::napi_get_reference_value(env, r, &mut v) };
            if !v.is_null() {
                return Ok(v);
            }
        }
        let v = objects::Source { repo: self.clone() }.into_instance(&Env::from_raw(env))?.value;
        let mut nr = std::ptr::null_mut();
        // SAFETY: references are created and deleted on this thread; the old one is dead.
        unsafe {
            if !r.is_null() {
                sys::napi_delete_reference(env, r);
            }
            sys::napi_create_reference(env, v, 0, &mut nr);
        }
        self.source.set(nr);
        Ok(v)
    }

    fn closed(&self) -> std::result::Result<(), CoreError> {
        if self.shared.closed.load(Ordering::Relaxed) {
            Err(CoreError::Closed)
        } else {
            Ok(())
        }
    }

    /// `ensure_init_done`: the entry's JS object, made from `data` if it has none yet.
    fn ensure_init_done(
        self: &Rc<Self>,
        env: sys::napi_env,
        map: &mut IdentityMap,
        oid: ObjectId,
        data: impl FnOnce() -> std::result::Result<Arc<Object>, CoreError>,
    ) -> std::result::Result<(sys::napi_value, Kind), CoreError> {
        let entry = map.entries.entry(oid).or_default();
        if let Some(v) = IdentityMap::live(env, entry) {
            return Ok((v, entry.kind));
        }
        let obj = data()?;
        let kind = obj.kind;
        let v = objects::to_js(env, self, obj).map_err(|e| CoreError::Internal { message: e.to_string() })?;
        IdentityMap::set_object(env, entry, v, kind);
        Ok((v, kind))
    }

    /// Install commits a worker already loaded (a history batch) in the
    /// identity map: an oid with a live JS object keeps it, so one oid is still
    /// one object; the rest are made in one call into `index.js`. The JS array
    /// of the batch's commits, in order.
    pub fn install_commits(self: &Rc<Self>, env: sys::napi_env, batch: &mut objects::CommitBatch) -> std::result::Result<sys::napi_value, CoreError> {
        let mut map = self.map.borrow_mut();
        map.maybe_sweep(env);
        let mut out = vec![std::ptr::null_mut(); batch.oids.len()];
        let mut missing: Vec<u32> = Vec::new();
        for (i, oid) in batch.oids.iter().enumerate() {
            match map.entries.get(oid).and_then(|e| IdentityMap::live(env, e)) {
                Some(v) => {
                    self.shared.cache_hits.fetch_add(1, Ordering::Relaxed);
                    out[i] = v;
                }
                None => {
                    self.shared.object_loads.fetch_add(1, Ordering::Relaxed);
                    missing.push(i as u32);
                }
            }
        }
        drop(map);
        if missing.is_empty() {
            return Ok(util::array(env, &out));
        }
        let internal = |e: napi::Error| CoreError::Internal { message: e.to_string() };
        let which = (missing.len() < batch.oids.len()).then_some(&missing[..]);
        let made = objects::make_commits(env, self, batch, which).map_err(internal)?;
        let mut map = self.map.borrow_mut();
        // The array made serves as it is when it holds every commit, each its oid's object.
        let mut as_made = which.is_none();
        for (k, &i) in missing.iter().enumerate() {
            let entry = map.entries.entry(batch.oids[i as usize]).or_default();
            // An oid twice in one batch still gets one object.
            out[i as usize] = match IdentityMap::live(env, entry) {
                Some(v) => {
                    as_made = false;
                    v
                }
                None => {
                    let v = objects::element(env, made, k as u32);
                    IdentityMap::set_object(env, entry, v, Kind::Commit);
                    v
                }
            };
        }
        Ok(if as_made { made } else { util::array(env, &out) })
    }

    /// Run loads on the pool in chunks (several workers at once), installing each
    /// chunk on the main thread as it finishes; then run `then` once all are in.
    fn spawn_loads(
        self: &Rc<Self>,
        env: sys::napi_env,
        loads: Vec<(ObjectId, Arc<Slot>, bool)>,
        then: impl FnOnce(&Rc<RepoState>, sys::napi_env) + 'static,
    ) {
        let chunks: Vec<Vec<(ObjectId, Arc<Slot>, bool)>> = if loads.is_empty() {
            vec![Vec::new()]
        } else {
            let mut v = Vec::new();
            let mut it = loads.into_iter().peekable();
            while it.peek().is_some() {
                v.push(it.by_ref().take(CHUNK).collect());
            }
            v
        };
        let batch = keep(self, chunks.len(), Box::new(then));
        for chunk in chunks {
            let shared = self.shared.clone();
            pool::spawn(env, move || {
                let slots: Vec<(ObjectId, Arc<Slot>)> = chunk.iter().map(|(o, s, _)| (*o, s.clone())).collect();
                run_loads(&|oid| shared.load(oid), &slots);
                Box::new(move |env| {
                    let Some(state) = state_of(batch) else { return };
                    for (oid, slot, owns) in &chunk {
                        if *owns {
                            state.finish_load(env, *oid, slot);
                        }
                    }
                    if let Some(then) = chunk_done(batch) {
                        then(&state, env);
                    }
                })
            });
        }
    }

    /// The owner's completion: install the object and settle the single reads that joined.
    fn finish_load(self: &Rc<Self>, env: sys::napi_env, oid: ObjectId, slot: &Arc<Slot>) {
        let mut map = self.map.borrow_mut();
        let r = self.ensure_init_done(env, &mut map, oid, || slot.wait());
        let Some(entry) = map.entries.get_mut(&oid) else { return };
        if !entry.slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, slot)) {
            return;
        }
        entry.slot = None;
        let waiters = std::mem::take(&mut entry.waiters);
        for w in &waiters {
            let settled = match &r {
                Ok((v, k)) => check_kind(oid, *k, w.expect).map(|_| *v),
                Err(e) => Err(e.clone()),
            };
            util::settle(env, w.deferred, settled.map_err(|e| error::make(env, &e)));
        }
        IdentityMap::add_interest(env, entry, -(waiters.len() as i64));
        if entry.interest == 0 && IdentityMap::live(env, entry).is_none() {
            if let Some(e) = map.entries.remove(&oid) {
                if !e.obj.is_null() {
                    // SAFETY: the reference belongs to this env and goes with the entry.
                    unsafe { sys::napi_delete_reference(env, e.obj) };
                }
            }
        }
    }

    /// Promise read of one object. With `expect` (getCommit and friends) any
    /// revision is accepted and resolved on a worker first.
    pub fn read_async(self: &Rc<Self>, env: sys::napi_env, spec: &str, expect: Option<Kind>) -> sys::napi_value {
        let (d, p) = util::promise(env);
        if let Err(e) = self.closed() {
            util::settle(env, d, Err(error::make(env, &e)));
            return p;
        }
        match parse_oid(spec) {
            Ok(oid) => self.read_oid_async(env, oid, expect, d),
            Err(e) if expect.is_none() => util::settle(env, d, Err(error::make(env, &e))),
            Err(_) => {
                let shared = self.shared.clone();
                let spec = peeled_spec(spec, expect);
                let deferred = SendPtr(d);
                self.spawn_job(env, move || error::guard(|| shared.repo.rev_parse(&spec)), move |state, env, r| {
                    let d = deferred;
                    match r {
                        Ok(oid) => state.read_oid_async(env, oid, expect, d.0),
                        Err(e) => util::settle(env, d.0, Err(error::make(env, &e))),
                    }
                });
            }
        }
        p
    }

    /// Run `f` against the repository on the pool (`ERR_CLOSED` once closed,
    /// panics caught) and settle a promise with `to_js` of its result: the one
    /// runner behind every Promise method that returns a plain value.
    pub fn run_promise<T: Send + 'static>(
        self: &Rc<Self>,
        env: sys::napi_env,
        f: impl FnOnce(&repo::Repository) -> std::result::Result<T, CoreError> + Send + 'static,
        to_js: impl FnOnce(sys::napi_env, &T) -> sys::napi_value + 'static,
    ) -> JsRaw {
        let (d, p) = util::promise(env);
        let shared = self.shared.clone();
        let d = SendPtr(d);
        self.spawn_job(
            env,
            move || error::guard(|| {
                shared.check_open()?;
                f(&shared.repo)
            }),
            move |_, env, r| {
                let d = d;
                util::settle(env, d.0, r.map(|v| to_js(env, &v)).map_err(|e| error::make(env, &e)));
            },
        );
        JsRaw(p)
    }

    /// The Sync form of [`RepoState::run_promise`]: run `f` now, throw its error.
    pub fn run_sync<T>(
        &self,
        env: sys::napi_env,
        f: impl FnOnce(&repo::Repository) -> std::result::Result<T, CoreError>,
        to_js: impl FnOnce(sys::napi_env, &T) -> sys::napi_value,
    ) -> napi::Result<JsRaw> {
        let shared = &self.shared;
        let v = error::guard(|| {
            shared.check_open()?;
            f(&shared.repo)
        })
        .map_err(|e| error::throw(env, &e))?;
        Ok(JsRaw(to_js(env, &v)))
    }

    /// Run `work` on the pool and hand its result to `then` on the main thread.
    pub fn spawn_job<T: Send + 'static>(
        self: &Rc<Self>,
        env: sys::napi_env,
        work: impl FnOnce() -> T + Send + 'static,
        then: impl FnOnce(&Rc<RepoState>, sys::napi_env, T) + 'static,
    ) {
        let id = next_id();
        let state = self.clone();
        let deliver: JobThen = Box::new(move |env, any| {
            if let Ok(v) = any.downcast::<T>() {
                then(&state, env, *v)
            }
        });
        JOBS.with(|m| m.borrow_mut().insert(id, deliver));
        pool::spawn(env, move || {
            let r: Box<dyn Any + Send> = Box::new(work());
            Box::new(move |env| {
                if let Some(deliver) = JOBS.with(|m| m.borrow_mut().remove(&id)) {
                    deliver(env, r);
                }
            })
        });
    }

    pub(crate) fn read_oid_async(self: &Rc<Self>, env: sys::napi_env, oid: ObjectId, expect: Option<Kind>, d: sys::napi_deferred) {
        let mut map = self.map.borrow_mut();
        map.maybe_sweep(env);
        let entry = map.entries.entry(oid).or_default();
        if let Some(v) = IdentityMap::live(env, entry) {
            self.shared.cache_hits.fetch_add(1, Ordering::Relaxed);
            let r = check_kind(oid, entry.kind, expect).map(|_| v).map_err(|e| error::make(env, &e));
            util::settle(env, d, r);
            return;
        }
        IdentityMap::add_interest(env, entry, 1);
        entry.waiters.push(Waiter { deferred: d, expect });
        if entry.slot.is_some() {
            self.shared.inflight_joins.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let slot = Slot::new();
        entry.slot = Some(slot.clone());
        drop(map);
        self.shared.object_loads.fetch_add(1, Ordering::Relaxed);
        self.spawn_loads(env, vec![(oid, slot, true)], |_, _| {});
    }

    /// Sync read of one object: never deadlocks with a Promise read of the same oid.
    pub fn read_sync(self: &Rc<Self>, env: sys::napi_env, spec: &str, expect: Option<Kind>) -> napi::Result<sys::napi_value> {
        self.closed().map_err(|e| error::throw(env, &e))?;
        let oid = match parse_oid(spec) {
            Ok(o) => o,
            Err(e) if expect.is_none() => return Err(error::throw(env, &e)),
            Err(_) => error::guard(|| self.shared.repo.rev_parse(&peeled_spec(spec, expect))).map_err(|e| error::throw(env, &e))?,
        };
        let mut map = self.map.borrow_mut();
        map.maybe_sweep(env);
        let slot = match map.entries.get(&oid) {
            Some(entry) => {
                if let Some(v) = IdentityMap::live(env, entry) {
                    self.shared.cache_hits.fetch_add(1, Ordering::Relaxed);
                    check_kind(oid, entry.kind, expect).map_err(|e| error::throw(env, &e))?;
                    return Ok(v);
                }
                entry.slot.clone()
            }
            None => None,
        };
        drop(map);
        let result = match slot {
            Some(slot) => {
                // A worker may hold it (wait: it never needs us), or it is still queued (take it).
                if slot.try_claim() {
                    slot.deposit(error::guard(|| self.shared.load(&oid)));
                }
                slot.wait()
            }
            None => {
                self.shared.object_loads.fetch_add(1, Ordering::Relaxed);
                error::guard(|| self.shared.load(&oid))
            }
        };
        let obj = result.map_err(|e| error::throw(env, &e))?;
        let mut map = self.map.borrow_mut();
        let (v, k) = self.ensure_init_done(env, &mut map, oid, || Ok(obj)).map_err(|e| error::throw(env, &e))?;
        check_kind(oid, k, expect).map_err(|e| error::throw(env, &e))?;
        Ok(v)
    }

    /// Promise read of many objects in one crossing; resolves to them in order.
    pub fn read_many_async(self: &Rc<Self>, env: sys::napi_env, oids: Vec<String>, expect: Option<Kind>) -> sys::napi_value {
        let (d, p) = util::promise(env);
        let parsed: std::result::Result<Vec<ObjectId>, CoreError> =
            self.closed().and_then(|_| oids.iter().map(|s| parse_oid(s)).collect());
        let ids = match parsed {
            Ok(v) => v,
            Err(e) => {
                util::settle(env, d, Err(error::make(env, &e)));
                return p;
            }
        };
        let mut map = self.map.borrow_mut();
        map.maybe_sweep(env);
        let mut loads: Vec<(ObjectId, Arc<Slot>, bool)> = Vec::new();
        let mut slots: OidMap<Arc<Slot>> = OidMap::default();
        for oid in &ids {
            let entry = map.entries.entry(*oid).or_default();
            IdentityMap::add_interest(env, entry, 1);
            if slots.contains_key(oid) || IdentityMap::live(env, entry).is_some() {
                if !slots.contains_key(oid) {
                    self.shared.cache_hits.fetch_add(1, Ordering::Relaxed);
                }
                continue;
            }
            let slot = match &entry.slot {
                Some(s) => {
                    self.shared.inflight_joins.fetch_add(1, Ordering::Relaxed);
                    (s.clone(), false)
                }
                None => {
                    let s = Slot::new();
                    entry.slot = Some(s.clone());
                    self.shared.object_loads.fetch_add(1, Ordering::Relaxed);
                    (s, true)
                }
            };
            slots.insert(*oid, slot.0.clone());
            loads.push((*oid, slot.0, slot.1));
        }
        drop(map);
        self.spawn_loads(env, loads, move |state, env| {
            let mut map = state.map.borrow_mut();
            let mut values = Vec::with_capacity(ids.len());
            let mut failure = None;
            for oid in &ids {
                if failure.is_none() {
                    let slot = slots.get(oid);
                    let r = state.ensure_init_done(env, &mut map, *oid, || match slot {
                        Some(s) => s.wait(),
                        None => Err(CoreError::Internal { message: "batch entry lost its object".into() }),
                    });
                    match r.and_then(|(v, k)| check_kind(*oid, k, expect).map(|_| v)) {
                        Ok(v) => values.push(v),
                        Err(e) => failure = Some(e),
                    }
                }
            }
            for oid in &ids {
                if let Some(entry) = map.entries.get_mut(oid) {
                    IdentityMap::add_interest(env, entry, -1);
                }
            }
            drop(map);
            match failure {
                Some(e) => util::settle(env, d, Err(error::make(env, &e))),
                None => util::settle(env, d, Ok(util::array(env, &values))),
            }
        });
        p
    }
}

pub(crate) struct SendPtr(pub(crate) sys::napi_deferred);
// SAFETY: the deferred is only used back on the JS thread, in the completion.
unsafe impl Send for SendPtr {}

/// `OpenOptions`: on a repository on disk `maxCacheBytes` bounds the memory
/// caches (the delta-base cache); there is no fetched-object cache to
/// overfill, so `onOverfull` applies to `openRemote` only.
pub(crate) fn open_options(env: sys::napi_env, options: Option<JsRaw>) -> repo::Options {
    let mut o = repo::Options::default();
    if let Some(opts) = options.filter(|v| !util::absent(env, v.0) && util::type_of(env, v.0) == sys::ValueType::napi_object) {
        let v = util::get(env, opts.0, "maxCacheBytes\0");
        if util::type_of(env, v) == sys::ValueType::napi_number {
            let mut n = 0f64;
            // SAFETY: v is a live number of this env.
            unsafe { sys::napi_get_value_double(env, v, &mut n) };
            if n.is_finite() && n >= 0.0 {
                o.cache_bytes = n as usize;
            }
        }
    }
    o
}

fn stats_object(env: sys::napi_env, s: &RepoState) -> sys::napi_value {
    let o = util::object(env);
    let map_size = {
        let mut m = s.map.borrow_mut();
        m.sweep(env);
        m.entries.len()
    };
    let sh = &s.shared;
    util::set(env, o, "objectLoads\0", util::number(env, sh.object_loads.load(Ordering::Relaxed) as f64));
    util::set(env, o, "cacheHits\0", util::number(env, sh.cache_hits.load(Ordering::Relaxed) as f64));
    util::set(env, o, "identityMapSize\0", util::number(env, map_size as f64));
    let promisor = sh.repo.odb.promisor();
    let fetches = promisor.map(|p| p.fetches.load(Ordering::Relaxed)).unwrap_or(0);
    let joins = promisor.map(|p| p.joins.load(Ordering::Relaxed)).unwrap_or(0);
    util::set(env, o, "inflightJoins\0", util::number(env, (sh.inflight_joins.load(Ordering::Relaxed) + joins) as f64));
    util::set(env, o, "promisorFetches\0", util::number(env, fetches as f64));
    util::set(env, o, "cacheBytes\0", util::number(env, sh.repo.odb.cache_bytes() as f64));
    util::set(env, o, "evictions\0", util::number(env, sh.repo.odb.evictions() as f64));
    o
}

fn header_object(env: sys::napi_env, (kind, size): (Kind, u64)) -> sys::napi_value {
    let o = util::object(env);
    util::set(env, o, "type\0", util::string(env, kind.as_str()));
    util::set(env, o, "size\0", util::number(env, size as f64));
    o
}

fn shared_open(shared: &Shared) -> std::result::Result<(), CoreError> {
    if shared.closed.load(Ordering::Relaxed) {
        Err(CoreError::Closed)
    } else {
        Ok(())
    }
}

fn header(shared: &Shared, oid: &ObjectId) -> std::result::Result<(Kind, u64), CoreError> {
    if shared.closed.load(Ordering::Relaxed) {
        return Err(CoreError::Closed);
    }
    match shared.repo.odb.header(oid)? {
        Some(h) => Ok(h),
        // A partial clone may have it remotely: objectHeader never fetches.
        None if shared.repo.odb.promisor().is_some() => Err(CoreError::NotLocal { oid: *oid }),
        None => Err(CoreError::ObjectNotFound { oid: *oid }),
    }
}

/// A git repository opened in-process.
#[napi]
pub struct Repository {
    pub(crate) state: Rc<RepoState>,
}

fn open_core(path: &str, discover: bool, opts: &repo::Options) -> std::result::Result<repo::Repository, CoreError> {
    error::guard(|| {
        if discover {
            repo::Repository::discover(Path::new(path), opts)
        } else {
            repo::Repository::open(Path::new(path), opts)
        }
    })
}

fn open_async(env: sys::napi_env, path: String, options: Option<JsRaw>, discover: bool) -> sys::napi_value {
    let opts = open_options(env, options);
    open_with(env, move || open_core(&path, discover, &opts))
}

/// A promise of a `Repository` made on a worker by `make` (open, discover, init).
pub(crate) fn open_with(env: sys::napi_env, make: impl FnOnce() -> std::result::Result<repo::Repository, CoreError> + Send + 'static) -> sys::napi_value {
    open_with_then(env, make, |_| {})
}

/// [`open_with`], running `after` on the JS thread just before the promise settles.
pub(crate) fn open_with_then(
    env: sys::napi_env,
    make: impl FnOnce() -> std::result::Result<repo::Repository, CoreError> + Send + 'static,
    after: impl FnOnce(sys::napi_env) + Send + 'static,
) -> sys::napi_value {
    let (d, p) = util::promise(env);
    let deferred = SendPtr(d);
    pool::spawn(env, move || {
        let r = error::guard(make);
        Box::new(move |env| {
            let d = deferred;
            after(env);
            let settled = match r {
                Ok(core) => {
                    // SAFETY: env is this JS thread's live env.
                    let e = Env::from_raw(env);
                    match (Repository { state: RepoState::new(core) }).into_instance(&e) {
                        Ok(inst) => Ok(inst.value),
                        Err(err) => Err(error::make(env, &CoreError::Internal { message: err.to_string() })),
                    }
                }
                Err(e) => Err(error::make(env, &e)),
            };
            util::settle(env, d.0, settled);
        })
    });
    p
}

fn path_string(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[napi]
impl Repository {
    /// Open the repository at `path`: a work tree, its `.git`, or a bare repository.
    #[napi(ts_args_type = "path: string, options?: OpenOptions", ts_return_type = "Promise<Repository>")]
    pub fn open(env: Env, path: String, options: Option<JsRaw>) -> JsRaw {
        JsRaw(open_async(env.raw(), path, options, false))
    }

    /// Open the repository at `path`, synchronously.
    #[napi(ts_args_type = "path: string, options?: OpenOptions")]
    pub fn open_sync(env: Env, path: String, options: Option<JsRaw>) -> Result<Repository> {
        let opts = open_options(env.raw(), options);
        let core = open_core(&path, false, &opts).map_err(|e| error::throw(env.raw(), &e))?;
        Ok(Repository { state: RepoState::new(core) })
    }

    /// Find the repository containing `startPath`, walking up like git.
    #[napi(ts_args_type = "startPath: string, options?: OpenOptions", ts_return_type = "Promise<Repository>")]
    pub fn discover(env: Env, start_path: String, options: Option<JsRaw>) -> JsRaw {
        JsRaw(open_async(env.raw(), start_path, options, true))
    }

    /// Find the repository containing `startPath`, synchronously.
    #[napi(ts_args_type = "startPath: string, options?: OpenOptions")]
    pub fn discover_sync(env: Env, start_path: String, options: Option<JsRaw>) -> Result<Repository> {
        let opts = open_options(env.raw(), options);
        let core = open_core(&start_path, true, &opts).map_err(|e| error::throw(env.raw(), &e))?;
        Ok(Repository { state: RepoState::new(core) })
    }

    /// The git directory (absolute).
    #[napi(getter)]
    pub fn git_dir(&self) -> Option<String> {
        let l = &self.state.shared.repo.layout;
        (!l.is_in_memory()).then(|| path_string(&l.git_dir))
    }

    /// The common directory: differs from `gitDir` in a linked worktree.
    #[napi(getter)]
    pub fn common_dir(&self) -> Option<String> {
        let l = &self.state.shared.repo.layout;
        (!l.is_in_memory()).then(|| path_string(&l.common_dir))
    }

    /// The work tree, or null for a bare repository.
    #[napi(getter)]
    pub fn workdir(&self) -> Option<String> {
        self.state.shared.repo.layout.workdir.as_deref().map(path_string)
    }

    /// True for a bare repository.
    #[napi(getter)]
    pub fn is_bare(&self) -> bool {
        self.state.shared.repo.layout.is_bare
    }

    /// The reference database.
    #[napi(getter)]
    pub fn refs(&self) -> crate::js::refs::RefDatabase {
        crate::js::refs::RefDatabase { state: self.state.clone() }
    }

    /// Read any object.
    #[napi(ts_return_type = "Promise<GitObject>")]
    pub fn read_object(&self, env: Env, oid: String) -> JsRaw {
        JsRaw(self.state.read_async(env.raw(), &oid, None))
    }

    /// Read any object, synchronously.
    #[napi(ts_return_type = "GitObject")]
    pub fn read_object_sync(&self, env: Env, oid: String) -> Result<JsRaw> {
        self.state.read_sync(env.raw(), &oid, None).map(JsRaw)
    }

    /// Read many objects in one crossing; resolves to them in the same order.
    #[napi(ts_return_type = "Promise<GitObject[]>")]
    pub fn read_objects(&self, env: Env, oids: Vec<String>) -> JsRaw {
        JsRaw(self.state.read_many_async(env.raw(), oids, None))
    }

    /// Read a commit (`ERR_OBJECT_TYPE` if it is something else).
    #[napi(ts_return_type = "Promise<Commit>")]
    pub fn get_commit(&self, env: Env, rev: String) -> JsRaw {
        JsRaw(self.state.read_async(env.raw(), &rev, Some(Kind::Commit)))
    }

    /// Read a commit, synchronously.
    #[napi(ts_return_type = "Commit")]
    pub fn get_commit_sync(&self, env: Env, rev: String) -> Result<JsRaw> {
        self.state.read_sync(env.raw(), &rev, Some(Kind::Commit)).map(JsRaw)
    }

    /// Read a tree.
    #[napi(ts_return_type = "Promise<Tree>")]
    pub fn get_tree(&self, env: Env, rev: String) -> JsRaw {
        JsRaw(self.state.read_async(env.raw(), &rev, Some(Kind::Tree)))
    }

    /// Read a tree, synchronously.
    #[napi(ts_return_type = "Tree")]
    pub fn get_tree_sync(&self, env: Env, rev: String) -> Result<JsRaw> {
        self.state.read_sync(env.raw(), &rev, Some(Kind::Tree)).map(JsRaw)
    }

    /// Read a blob.
    #[napi(ts_return_type = "Promise<Blob>")]
    pub fn get_blob(&self, env: Env, rev: String) -> JsRaw {
        JsRaw(self.state.read_async(env.raw(), &rev, Some(Kind::Blob)))
    }

    /// Read a blob, synchronously.
    #[napi(ts_return_type = "Blob")]
    pub fn get_blob_sync(&self, env: Env, rev: String) -> Result<JsRaw> {
        self.state.read_sync(env.raw(), &rev, Some(Kind::Blob)).map(JsRaw)
    }

    /// Read an annotated tag.
    #[napi(ts_return_type = "Promise<Tag>")]
    pub fn get_tag(&self, env: Env, rev: String) -> JsRaw {
        JsRaw(self.state.read_async(env.raw(), &rev, Some(Kind::Tag)))
    }

    /// Read an annotated tag, synchronously.
    #[napi(ts_return_type = "Tag")]
    pub fn get_tag_sync(&self, env: Env, rev: String) -> Result<JsRaw> {
        self.state.read_sync(env.raw(), &rev, Some(Kind::Tag)).map(JsRaw)
    }

    /// True when the object is stored locally. Never fetches.
    #[napi]
    pub fn has_object(&self, env: Env, oid: String) -> Result<bool> {
        let id = parse_oid(&oid).and_then(|o| self.state.closed().map(|_| o)).map_err(|e| error::throw(env.raw(), &e))?;
        use crate::core::odb::ObjectStore;
        Ok(self.state.shared.repo.odb.contains(&id))
    }

    /// The type and size of an object, without reading its content. Never fetches.
    #[napi(ts_return_type = "Promise<{ type: ObjectType; size: number }>")]
    pub fn object_header(&self, env: Env, oid: String) -> JsRaw {
        let env = env.raw();
        let (d, p) = util::promise(env);
        let id = match parse_oid(&oid).and_then(|o| self.state.closed().map(|_| o)) {
            Ok(o) => o,
            Err(e) => {
                util::settle(env, d, Err(error::make(env, &e)));
                return JsRaw(p);
            }
        };
        let shared = self.state.shared.clone();
        let deferred = SendPtr(d);
        pool::spawn(env, move || {
            let r = error::guard(|| header(&shared, &id));
            Box::new(move |env| {
                let d = deferred;
                util::settle(env, d.0, r.map(|h| header_object(env, h)).map_err(|e| error::make(env, &e)));
            })
        });
        JsRaw(p)
    }

    /// The type and size of an object, synchronously.
    #[napi(ts_return_type = "{ type: ObjectType; size: number }")]
    pub fn object_header_sync(&self, env: Env, oid: String) -> Result<JsRaw> {
        let env = env.raw();
        let id = parse_oid(&oid).map_err(|e| error::throw(env, &e))?;
        let h = error::guard(|| header(&self.state.shared, &id)).map_err(|e| error::throw(env, &e))?;
        Ok(JsRaw(header_object(env, h)))
    }

    /// The id git would give `data` as an object of `type`. Writes nothing.
    #[napi(ts_args_type = "type: ObjectType, data: Buffer | string")]
    pub fn hash_object(&self, env: Env, kind: String, data: Either<Buffer, String>) -> Result<String> {
        let k = Kind::from_bytes(kind.as_bytes()).ok_or_else(|| {
            error::throw(env.raw(), &CoreError::InvalidRevision { spec: kind.clone(), reason: "not an object type".into() })
        })?;
        let bytes: &[u8] = match &data {
            Either::A(b) => b,
            Either::B(s) => s.as_bytes(),
        };
        Ok(object::hash(k, bytes).to_hex())
    }

    /// Resolve a revision (`HEAD`, `main`, `v1^{commit}`, `HEAD~3`, `x^2`, an abbreviated id) to an object id.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn rev_parse(&self, env: Env, spec: String) -> JsRaw {
        let env = env.raw();
        let (d, p) = util::promise(env);
        let shared = self.state.shared.clone();
        let deferred = SendPtr(d);
        self.state.spawn_job(
            env,
            move || error::guard(|| { shared_open(&shared)?; shared.repo.rev_parse(&spec) }),
            move |_, env, r| {
                let d = deferred;
                util::settle(env, d.0, r.map(|id| util::string(env, &id.to_hex())).map_err(|e| error::make(env, &e)));
            },
        );
        JsRaw(p)
    }

    /// Resolve a revision to an object id, synchronously.
    #[napi]
    pub fn rev_parse_sync(&self, env: Env, spec: String) -> Result<String> {
        let shared = &self.state.shared;
        error::guard(|| { shared_open(shared)?; shared.repo.rev_parse(&spec) })
            .map(|id| id.to_hex())
            .map_err(|e| error::throw(env.raw(), &e))
    }

    /// Internal (CLI): commit ids from `from` revisions in `git rev-list` default order.
    #[napi(js_name = "__revList", skip_typescript)]
    pub fn rev_list_sync(&self, env: Env, from: Vec<String>, limit: Option<u32>) -> Result<Vec<String>> {
        let repo = &self.state.shared.repo;
        error::guard(|| {
            let starts = from.iter().map(|s| repo.rev_parse(&format!("{s}^{{commit}}"))).collect::<std::result::Result<Vec<_>, _>>()?;
            let opts = crate::core::log::Options { from: starts, limit: limit.map(|l| l as usize), ..Default::default() };
            Ok(repo.log(opts, &AtomicBool::new(false))?.iter().map(|i| i.to_hex()).collect())
        })
        .map_err(|e| error::throw(env.raw(), &e))
    }

    /// Internal (CLI): the abbreviation git prints for an object id.
    #[napi(js_name = "__abbrev", skip_typescript)]
    pub fn abbrev_sync(&self, env: Env, oid: String) -> Result<String> {
        let repo = &self.state.shared.repo;
        error::guard(|| repo.abbrev(&ObjectId::parse(&oid)?)).map_err(|e| error::throw(env.raw(), &e))
    }

    /// Counters for loads, cache hits and joins, and the identity map's size.
    #[napi(ts_return_type = "RepoStats")]
    pub fn stats(&self, env: Env) -> JsRaw {
        JsRaw(stats_object(env.raw(), &self.state))
    }

    /// Close the repository: later calls reject with `ERR_CLOSED`.
    #[napi]
    pub fn close(&self) {
        self.state.shared.closed.store(true, Ordering::Relaxed);
    }
}
