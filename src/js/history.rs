//! History and trees for JS: `log` (a walk pulled in batches, each batch one
//! crossing with its commits already loaded on the worker), `mergeBase`,
//! `readPath`, `listFiles` and `diffTrees`, each with a Sync form.

use std::collections::VecDeque;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use parking_lot::{Condvar, Mutex};

use crate::core::error::Error as CoreError;
use crate::core::log::{self, Located, Order, Walk};
use crate::core::object::Kind;
use crate::core::oid::ObjectId;
use crate::core::repo;
use crate::core::treeops;
use crate::js::error;
use crate::js::pool;
use crate::js::objects::CommitBatch;
use crate::js::repository::{RepoState, Repository, SendPtr, Shared};
use crate::js::util::{self, JsRaw};

type CoreResult<T> = std::result::Result<T, CoreError>;

/// The repository a walk owns, so the walk can move between workers.
struct RepoRef(Arc<Shared>);

impl Deref for RepoRef {
    type Target = repo::Repository;
    fn deref(&self) -> &repo::Repository {
        &self.0.repo
    }
}

/// What `log` was asked for, before its revisions are resolved (on a worker).
#[derive(Clone, Default)]
struct LogSpec {
    from: Vec<String>,
    hide: Vec<String>,
    first_parent: bool,
    limit: Option<usize>,
    order: Order,
    paths: Vec<String>,
}

enum WalkState {
    Pending(LogSpec),
    /// The walk, and where its commits are when it uses a commit-graph (found
    /// once the walk is long).
    Running(Box<Walk<RepoRef>>, Option<Arc<Located>>, usize),
    Done,
}

/// A history walk: `index.js` wraps it as `log()`'s async iterator and
/// `logSync()`'s iterator.
#[napi]
pub struct LogWalk {
    state: Rc<RepoState>,
    walk: Arc<Mutex<WalkState>>,
    abort: Arc<AtomicBool>,
    /// The batches `nextSync` asked workers to read ahead, oldest first.
    ahead: VecDeque<Arc<Ahead>>,
    /// The order in which those batches walk.
    turns: Arc<Turns>,
    /// Tickets given out to batches read ahead.
    tickets: u64,
}

/// How many batches `nextSync` keeps reading ahead: with two, one worker walks
/// on while another reads the batch just walked, so the walk (the part that
/// cannot be shared) never waits for the reading.
const AHEAD: usize = 2;

/// Takes turns: batches read ahead walk in the order they were asked for,
/// whichever worker starts first, so their commits come out in walk order.
#[derive(Default)]
struct Turns {
    now: Mutex<u64>,
    next: Condvar,
}

impl Turns {
    /// Run `f` when `ticket`'s turn comes, then pass the turn on (even if `f` panics).
    fn take<T>(&self, ticket: u64, f: impl FnOnce() -> T) -> T {
        struct Pass<'a>(&'a Turns);
        impl Drop for Pass<'_> {
            fn drop(&mut self) {
                *self.0.now.lock() += 1;
                self.0.next.notify_all();
            }
        }
        let mut g = self.now.lock();
        while *g != ticket {
            self.next.wait(&mut g);
        }
        drop(g);
        let _pass = Pass(self);
        f()
    }
}

/// A batch that a worker hands to the thread waiting for it, once.
#[derive(Default)]
struct Handoff {
    slot: Mutex<Option<CoreResult<CommitBatch>>>,
    ready: Condvar,
}

impl Handoff {
    fn put(&self, r: CoreResult<CommitBatch>) {
        *self.slot.lock() = Some(r);
        self.ready.notify_all();
    }

    fn wait(&self) -> CoreResult<CommitBatch> {
        let mut g = self.slot.lock();
        loop {
            if let Some(r) = g.take() {
                return r;
            }
            self.ready.wait(&mut g);
        }
    }
}

/// A batch read ahead on a worker for a later `nextSync`: the main thread
/// makes the JS commits of one batch while workers walk and read the next
/// ones. The workers never need the main thread, so waiting for them cannot
/// deadlock.
#[derive(Default)]
struct Ahead {
    batch: Handoff,
    /// How many commits it was asked for: fewer means the walk ended.
    n: usize,
}

impl Ahead {
    fn start(shared: Arc<Shared>, walk: Arc<Mutex<WalkState>>, abort: Arc<AtomicBool>, turns: Arc<Turns>, ticket: u64, n: usize) -> Arc<Ahead> {
        let a = Arc::new(Ahead { n, ..Default::default() });
        let theirs = a.clone();
        pool::spawn_detached(move || {
            let r = error::guard(|| {
                let (items, located) = turns.take(ticket, || walk_on(&shared, &walk, n, &abort))?;
                read_commits(&shared, items, located, &abort)
            });
            theirs.batch.put(r);
        });
        a
    }
}

/// A revision that must name a commit (tags peeled).
fn commit_of(repo: &repo::Repository, spec: &str) -> CoreResult<ObjectId> {
    repo.rev_parse(&format!("{spec}^{{commit}}"))
}

/// Walk on, and read the batch's commits for JS.
fn pull(shared: &Arc<Shared>, walk: &Mutex<WalkState>, n: usize, abort: &Arc<AtomicBool>) -> CoreResult<CommitBatch> {
    let (items, located) = walk_on(shared, walk, n, abort)?;
    read_commits(shared, items, located, abort)
}

/// The next `n` commits of the walk (fewer at its end), with the content it kept.
fn walk_on(shared: &Arc<Shared>, walk: &Mutex<WalkState>, n: usize, abort: &Arc<AtomicBool>) -> CoreResult<(Items, Option<Arc<Located>>)> {
    shared.check_open()?;
    let mut w = walk.lock();
    if abort.load(Ordering::Relaxed) {
        // An aborted walk is over: free it (and any thread reading ahead for it) now.
        *w = WalkState::Done;
        return Err(CoreError::Aborted);
    }
    if let WalkState::Pending(spec) = &*w {
        let repo = &shared.repo;
        let opts = log::Options {
            from: spec.from.iter().map(|s| commit_of(repo, s)).collect::<CoreResult<_>>()?,
            hide: spec.hide.iter().map(|s| commit_of(repo, s)).collect::<CoreResult<_>>()?,
            first_parent: spec.first_parent,
            limit: spec.limit,
            order: spec.order,
            paths: spec.paths.clone(),
            keep_objects: true,
        };
        *w = WalkState::Running(Box::new(Walk::new(RepoRef(shared.clone()), opts)?), None, 0);
    }
    let items = match &mut *w {
        WalkState::Running(walk, located, walked) => match walk.next_batch_kept(n, abort) {
            Ok(items) if !abort.load(Ordering::Relaxed) => {
                *walked += items.len();
                if located.is_none() && walk.worth_locating(*walked) {
                    if let Some((first, _)) = items.first() {
                        *located = walk.locate_commits(first).map(Arc::new);
                    }
                }
                (items, located.clone())
            }
            Ok(_) => {
                *w = WalkState::Done;
                return Err(CoreError::Aborted);
            }
            Err(e) => {
                *w = WalkState::Done;
                return Err(e);
            }
        },
        _ => (Vec::new(), None),
    };
    if items.0.len() < n {
        *w = WalkState::Done;
    }
    Ok(items)
}

/// Below this many commits a batch is read on the calling thread alone.
const PARALLEL_FROM: usize = 512;

type Items = Vec<(ObjectId, Option<Vec<u8>>)>;

/// Read one chunk's commits (the content the walk kept, the rest from the store).
fn read_chunk(shared: &Shared, chunk: &[(ObjectId, Option<Vec<u8>>)], located: Option<&Located>, abort: &AtomicBool) -> CoreResult<CommitBatch> {
    let mut b = CommitBatch::fresh();
    b.reserve(chunk.len(), raw_bytes(chunk));
    read_chunk_into(b, shared, chunk, located, abort)
}

/// About how many raw bytes these commits hold (a guess for those not kept).
fn raw_bytes(items: &[(ObjectId, Option<Vec<u8>>)]) -> usize {
    items.iter().map(|(_, raw)| raw.as_ref().map_or(256, Vec::len)).sum()
}

/// [`read_chunk`] into `b`.
fn read_chunk_into(mut b: CommitBatch, shared: &Shared, chunk: &[(ObjectId, Option<Vec<u8>>)], located: Option<&Located>, abort: &AtomicBool) -> CoreResult<CommitBatch> {
    let mut buf = Vec::new();
    for (oid, raw) in chunk {
        if abort.load(Ordering::Relaxed) {
            return Err(CoreError::Aborted);
        }
        let data = match raw {
            Some(data) => data,
            None => {
                shared.check_open()?;
                buf.clear();
                // Where the walk found it, else looked up (which also says what is wrong).
                let at = located.and_then(|l| Some((&l.pack, *l.at.get(oid)?)));
                let found = match at.and_then(|(pack, off)| shared.repo.odb.read_packed(pack, off, &mut buf).ok()) {
                    Some(k) => Some(k),
                    None => shared.repo.odb.read(oid, &mut buf)?,
                };
                match found {
                    Some(Kind::Commit) => &buf,
                    Some(kind) => return Err(CoreError::ObjectType { oid: *oid, expected: "commit", actual: kind.as_str() }),
                    None => return Err(CoreError::ObjectNotFound { oid: *oid }),
                }
            }
        };
        b.push(*oid, data)?;
    }
    Ok(b)
}

/// A chunk offered to a pool worker, which the offering thread takes back and
/// reads itself if no worker has started it by the time it gets there: so a
/// busy pool can delay a batch but never deadlock it.
#[derive(Default)]
struct Offer {
    job: Mutex<Option<Items>>,
    result: Handoff,
}

impl Offer {
    fn take_back(&self) -> Option<Items> {
        self.job.lock().take()
    }
}

/// The batch of these commits, read on up to `pool::threads()` threads at
/// once (the walk itself is sequential, this part is not), in order. The
/// other chunks go to the pool's long-lived threads rather than to threads
/// spawned per batch: a new thread allocates from fresh memory pages every
/// time, and faulting those in cost more than the reading.
fn read_commits(shared: &Arc<Shared>, mut items: Items, located: Option<Arc<Located>>, abort: &Arc<AtomicBool>) -> CoreResult<CommitBatch> {
    let threads = pool::threads().min(items.len() / PARALLEL_FROM).max(1);
    if threads == 1 {
        return read_chunk(shared, &items, located.as_deref(), abort);
    }
    let per = items.len().div_ceil(threads);
    // The batch the others are appended to: the roomiest spare, taken before the helpers take theirs.
    let mut ours = CommitBatch::fresh_roomiest();
    ours.reserve(items.len(), raw_bytes(&items));
    let mut offers = Vec::new();
    // Cut chunks 1.. from the end, the last first.
    for k in (1..threads).rev() {
        let tail = items.split_off((k * per).min(items.len()));
        let offer = Arc::new(Offer { job: Mutex::new(Some(tail)), ..Default::default() });
        let (o, sh, ab, lo) = (offer.clone(), shared.clone(), abort.clone(), located.clone());
        pool::spawn_detached(move || {
            if let Some(job) = o.take_back() {
                let r = error::guard(|| read_chunk(&sh, &job, lo.as_deref(), &ab));
                o.result.put(r);
            }
        });
        offers.push(offer);
    }
    // Chunks were cut from the end: the last offer holds the chunk right after ours.
    let mut out = read_chunk_into(ours, shared, &items, located.as_deref(), abort)?;
    for offer in offers.iter().rev() {
        let more = match offer.take_back() {
            Some(job) => read_chunk(shared, &job, located.as_deref(), abort)?,
            None => offer.result.wait()?,
        };
        out.append(&more);
        more.recycle();
    }
    Ok(out)
}

/// The batch's commits, from the identity map or new.
fn install(state: &Rc<RepoState>, env: sys::napi_env, r: CoreResult<CommitBatch>) -> std::result::Result<sys::napi_value, sys::napi_value> {
    let mut b = r.map_err(|e| error::make(env, &e))?;
    let commits = state.install_commits(env, &mut b);
    b.recycle();
    commits.map_err(|e| error::make(env, &e))
}

#[napi]
impl LogWalk {
    /// The next `n` commits (fewer only at the end; none once done).
    #[napi(ts_return_type = "Promise<Commit[]>")]
    pub fn next(&self, env: Env, n: u32) -> JsRaw {
        let env = env.raw();
        let (d, p) = util::promise(env);
        let shared = self.state.shared.clone();
        let walk = self.walk.clone();
        let abort = self.abort.clone();
        let d = SendPtr(d);
        let n = n.max(1) as usize;
        self.state.spawn_job(env, move || error::guard(|| pull(&shared, &walk, n, &abort)), move |state, env, r| {
            let d = d;
            util::settle(env, d.0, install(state, env, r));
        });
        JsRaw(p)
    }

    /// The next commits, synchronously: those read ahead by an earlier call,
    /// else the next `n`; an empty array once the walk is done. With `ahead`,
    /// workers then read batches of `ahead` commits ahead while JS works
    /// through these.
    #[napi(ts_return_type = "Commit[]")]
    pub fn next_sync(&mut self, env: Env, n: u32, ahead: Option<u32>) -> Result<JsRaw> {
        let env = env.raw();
        let (r, asked) = match self.ahead.pop_front() {
            Some(a) => (a.batch.wait(), a.n),
            None => (error::guard(|| pull(&self.state.shared, &self.walk, n.max(1) as usize, &self.abort)), n.max(1) as usize),
        };
        if let (Some(next), Ok(b)) = (ahead.filter(|&a| a > 0), &r) {
            // A short batch ended the walk: nothing more to read.
            if b.oids.len() >= asked {
                while self.ahead.len() < AHEAD {
                    let s = &self.state.shared;
                    self.ahead.push_back(Ahead::start(s.clone(), self.walk.clone(), self.abort.clone(), self.turns.clone(), self.tickets, next as usize));
                    self.tickets += 1;
                }
            }
        }
        install(&self.state, env, r).map(JsRaw).map_err(|e| {
            // SAFETY: env is live and nothing is pending: we are returning from a call.
            unsafe { sys::napi_throw(env, e) };
            napi::Error::new(Status::PendingException, "log failed")
        })
    }

    /// Stop the walk: a batch in progress (and every later one) fails with
    /// `ERR_ABORTED`. The walk is freed now (with any thread reading ahead for
    /// it) unless a worker is walking it, which then frees it.
    #[napi]
    pub fn abort(&self) {
        self.abort.store(true, Ordering::Relaxed);
        if let Some(mut w) = self.walk.try_lock() {
            *w = WalkState::Done;
        }
    }
}

/// `string | string[] | undefined` of an options object.
fn strings(env: sys::napi_env, obj: sys::napi_value, key: &'static str) -> Result<Option<Vec<String>>> {
    let v = util::get(env, obj, key);
    match util::type_of(env, v) {
        sys::ValueType::napi_undefined | sys::ValueType::napi_null => Ok(None),
        sys::ValueType::napi_string => {
            // SAFETY: v is a live string of this env.
            Ok(Some(vec![unsafe { String::from_napi_value(env, v)? }]))
        }
        // SAFETY: v is a live value of this env; napi-rs checks that it is an array of strings.
        _ => Ok(Some(unsafe { Vec::<String>::from_napi_value(env, v)? })),
    }
}

fn invalid(env: sys::napi_env, message: String) -> napi::Error {
    error::throw(env, &CoreError::InvalidRevision { spec: String::new(), reason: message })
}

fn log_spec(env: sys::napi_env, options: Option<JsRaw>) -> Result<LogSpec> {
    let mut spec = LogSpec { from: vec!["HEAD".into()], ..LogSpec::default() };
    let Some(JsRaw(o)) = options else { return Ok(spec) };
    if util::type_of(env, o) != sys::ValueType::napi_object {
        return Ok(spec);
    }
    if let Some(f) = strings(env, o, "from\0")? {
        spec.from = f;
    }
    spec.hide = strings(env, o, "hide\0")?.unwrap_or_default();
    spec.paths = strings(env, o, "paths\0")?.unwrap_or_default();
    let fp = util::get(env, o, "firstParent\0");
    if util::type_of(env, fp) == sys::ValueType::napi_boolean {
        // SAFETY: fp is a live boolean of this env.
        spec.first_parent = unsafe { bool::from_napi_value(env, fp)? };
    }
    let limit = util::get(env, o, "limit\0");
    if util::type_of(env, limit) == sys::ValueType::napi_number {
        // SAFETY: limit is a live number of this env.
        let n = unsafe { f64::from_napi_value(env, limit)? };
        if !(n >= 0.0) || n.fract() != 0.0 {
            return Err(invalid(env, format!("log: limit must be a whole number >= 0, got {n}")));
        }
        spec.limit = Some(n as usize);
    }
    let order = util::get(env, o, "order\0");
    if util::type_of(env, order) == sys::ValueType::napi_string {
        // SAFETY: order is a live string of this env.
        let s = unsafe { String::from_napi_value(env, order)? };
        spec.order = match s.as_str() {
            "none" => Order::None,
            "topo" => Order::Topo,
            "date" => Order::Date,
            _ => return Err(invalid(env, format!("log: order must be 'none', 'topo' or 'date', got {s:?}"))),
        };
    }
    Ok(spec)
}

/// A tree-ish for the tree operations: the tree a revision names (commits and tags peeled).
fn tree_of(repo: &repo::Repository, rev: &str) -> CoreResult<ObjectId> {
    let id = repo.rev_parse(rev)?;
    treeops::peel_to_tree(&repo.odb, id)
}

/// `readPath`: the object at `path` in `rev`, and its kind.
fn path_object(repo: &repo::Repository, rev: &str, path: &str) -> CoreResult<(ObjectId, Kind)> {
    let id = repo.rev_parse(rev)?;
    match treeops::resolve_path(&repo.odb, id, path)? {
        Some(e) if e.kind == Kind::Commit => {
            Err(CoreError::ObjectType { oid: e.oid, expected: "blob or tree", actual: "commit (a submodule's gitlink)" })
        }
        Some(e) => Ok((e.oid, e.kind)),
        None => Err(CoreError::PathNotFound { rev: rev.to_string(), path: path.to_string() }),
    }
}

/// `listFiles` options: `prefix` (none by default) and `recursive` (true by default).
fn list_options(env: sys::napi_env, options: &Option<JsRaw>) -> Result<(Option<String>, bool)> {
    let Some(JsRaw(o)) = options else { return Ok((None, true)) };
    if util::type_of(env, *o) != sys::ValueType::napi_object {
        return Ok((None, true));
    }
    let p = util::get(env, *o, "prefix\0");
    // SAFETY: p is a live value of this env, checked to be a string.
    let prefix = if util::type_of(env, p) == sys::ValueType::napi_string { Some(unsafe { String::from_napi_value(env, p)? }) } else { None };
    Ok((prefix, recursive_option(env, *o)?))
}

fn recursive_option(env: sys::napi_env, o: sys::napi_value) -> Result<bool> {
    let r = util::get(env, o, "recursive\0");
    if util::type_of(env, r) == sys::ValueType::napi_boolean {
        // SAFETY: r is a live boolean of this env.
        return unsafe { bool::from_napi_value(env, r) };
    }
    Ok(true)
}

/// A listing for the trip to JS (see `buildEntries` in index.js): paths joined
/// by NUL (which no tree entry name holds), 40 hex per entry, modes.
struct Files {
    paths: Vec<u8>,
    /// Entry names, NUL-joined like `paths` (JS splits both natively).
    names: Vec<u8>,
    /// Object ids, 40 hex each, NUL-joined.
    oids: String,
    modes: Vec<u32>,
    ascii: bool,
}


fn list_files(repo: &repo::Repository, rev: &str, prefix: Option<&str>, recursive: bool) -> CoreResult<Files> {
    let id = repo.rev_parse(rev)?;
    let listing = treeops::list_files(&repo.odb, id, prefix, recursive)?;
    let mut f = Files { paths: Vec::new(), names: Vec::new(), oids: String::with_capacity(listing.len() * 41), modes: Vec::with_capacity(listing.len()), ascii: true };
    for (i, e) in listing.iter().enumerate() {
        if i > 0 {
            f.paths.push(0);
            f.names.push(0);
            f.oids.push('\0');
        }
        f.paths.extend_from_slice(e.path);
        f.names.extend_from_slice(e.name);
        e.oid.push_hex(&mut f.oids);
        f.modes.push(e.mode);
    }
    f.ascii = f.paths.is_ascii();
    Ok(f)
}

fn files_to_js(env: sys::napi_env, f: &Files) -> sys::napi_value {
    let text = |b: &[u8]| if f.ascii { util::latin1(env, b) } else { util::string(env, &String::from_utf8_lossy(b)) };
    let modes: Vec<u8> = f.modes.iter().flat_map(|m| m.to_le_bytes()).collect();
    util::array(
        env,
        &[text(&f.paths), util::latin1(env, f.oids.as_bytes()), util::uint8_array(env, &modes), util::number(env, f.modes.len() as f64), text(&f.names)],
    )
}

fn diff(repo: &repo::Repository, a: Option<&str>, b: &str, recursive: bool) -> CoreResult<Vec<treeops::Change>> {
    let ta = a.map(|a| tree_of(repo, a)).transpose()?;
    let tb = tree_of(repo, b)?;
    treeops::diff_trees(&repo.odb, ta, tb, recursive)
}

fn changes_to_js(env: sys::napi_env, changes: &Vec<treeops::Change>) -> sys::napi_value {
    let items: Vec<_> = changes
        .iter()
        .map(|c| {
            let o = util::object(env);
            let status = match c.status {
                treeops::Status::Added => "added",
                treeops::Status::Deleted => "deleted",
                treeops::Status::Modified => "modified",
                treeops::Status::TypeChange => "typechange",
            };
            let oid = |x: &Option<ObjectId>| x.map_or_else(|| util::null(env), |i| util::string(env, &i.to_hex()));
            let mode = |x: &Option<u32>| x.map_or_else(|| util::null(env), |m| util::number(env, m as f64));
            util::set(env, o, "status\0", util::string(env, status));
            util::set(env, o, "path\0", util::string(env, &String::from_utf8_lossy(&c.path)));
            util::set(env, o, "oldOid\0", oid(&c.old_oid));
            util::set(env, o, "newOid\0", oid(&c.new_oid));
            util::set(env, o, "oldMode\0", mode(&c.old_mode));
            util::set(env, o, "newMode\0", mode(&c.new_mode));
            o
        })
        .collect();
    util::array(env, &items)
}

fn opt_oid(env: sys::napi_env, v: &Option<ObjectId>) -> sys::napi_value {
    match v {
        Some(id) => util::string(env, &id.to_hex()),
        None => util::null(env),
    }
}

#[napi]
impl Repository {
    /// Internal: a history walk for `log()` / `logSync()` (see index.js).
    #[napi(js_name = "__log", skip_typescript)]
    pub fn log_walk(&self, env: Env, options: Option<JsRaw>) -> Result<LogWalk> {
        let spec = log_spec(env.raw(), options)?;
        Ok(LogWalk { state: self.state.clone(), walk: Arc::new(Mutex::new(WalkState::Pending(spec))), abort: Arc::new(AtomicBool::new(false)), ahead: VecDeque::new(), turns: Arc::default(), tickets: 0 })
    }

    /// The best common ancestor of two commits, as `git merge-base a b` prints, or null.
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn merge_base(&self, env: Env, a: String, b: String) -> JsRaw {
        self.state.run_promise(env.raw(), move |r| r.merge_base(&commit_of(r, &a)?, &commit_of(r, &b)?), opt_oid)
    }

    /// `mergeBase`, synchronously.
    #[napi(ts_return_type = "string | null")]
    pub fn merge_base_sync(&self, env: Env, a: String, b: String) -> Result<JsRaw> {
        self.state.run_sync(env.raw(), |r| r.merge_base(&commit_of(r, &a)?, &commit_of(r, &b)?), opt_oid)
    }

    /// The blob or tree at `path` in `rev` (as `git show rev:path`); `ERR_PATH_NOT_FOUND` when absent.
    #[napi(ts_return_type = "Promise<Blob | Tree>")]
    pub fn read_path(&self, env: Env, rev: String, path: String) -> JsRaw {
        let env = env.raw();
        let (d, p) = util::promise(env);
        let shared = self.state.shared.clone();
        let d = SendPtr(d);
        self.state.spawn_job(
            env,
            move || error::guard(|| {
                shared.check_open()?;
                path_object(&shared.repo, &rev, &path)
            }),
            move |state, env, r| {
                let d = d;
                match r {
                    Ok((oid, kind)) => state.read_oid_async(env, oid, Some(kind), d.0),
                    Err(e) => util::settle(env, d.0, Err(error::make(env, &e))),
                }
            },
        );
        JsRaw(p)
    }

    /// `readPath`, synchronously.
    #[napi(ts_return_type = "Blob | Tree")]
    pub fn read_path_sync(&self, env: Env, rev: String, path: String) -> Result<JsRaw> {
        let env = env.raw();
        let shared = &self.state.shared;
        let (oid, kind) = error::guard(|| {
            shared.check_open()?;
            path_object(&shared.repo, &rev, &path)
        })
        .map_err(|e| error::throw(env, &e))?;
        self.state.read_sync(env, &oid.to_hex(), Some(kind)).map(JsRaw)
    }

    /// Internal: `listFiles` in the compact form index.js turns into entries.
    #[napi(js_name = "__listFiles", skip_typescript)]
    pub fn list_files_raw(&self, env: Env, rev: String, options: Option<JsRaw>) -> Result<JsRaw> {
        let (prefix, recursive) = list_options(env.raw(), &options)?;
        Ok(self.state.run_promise(env.raw(), move |r| list_files(r, &rev, prefix.as_deref(), recursive), files_to_js))
    }

    /// Internal: `listFilesSync` in the compact form.
    #[napi(js_name = "__listFilesSync", skip_typescript)]
    pub fn list_files_raw_sync(&self, env: Env, rev: String, options: Option<JsRaw>) -> Result<JsRaw> {
        let (prefix, recursive) = list_options(env.raw(), &options)?;
        self.state.run_sync(env.raw(), |r| list_files(r, &rev, prefix.as_deref(), recursive), files_to_js)
    }

    /// What changed from tree `a` (null: the empty tree) to tree `b`, as `git
    /// diff-tree -r --raw a b` (no rename detection); `recursive: false` stops at
    /// the top level, as `git diff-tree` without `-r`.
    #[napi(ts_args_type = "a: string | null, b: string, options?: { recursive?: boolean }", ts_return_type = "Promise<TreeChange[]>")]
    pub fn diff_trees(&self, env: Env, a: Option<String>, b: String, options: Option<JsRaw>) -> Result<JsRaw> {
        let recursive = match &options {
            Some(JsRaw(o)) if util::type_of(env.raw(), *o) == sys::ValueType::napi_object => recursive_option(env.raw(), *o)?,
            _ => true,
        };
        Ok(self.state.run_promise(env.raw(), move |r| diff(r, a.as_deref(), &b, recursive), changes_to_js))
    }

    /// `diffTrees`, synchronously.
    #[napi(ts_args_type = "a: string | null, b: string, options?: { recursive?: boolean }", ts_return_type = "TreeChange[]")]
    pub fn diff_trees_sync(&self, env: Env, a: Option<String>, b: String, options: Option<JsRaw>) -> Result<JsRaw> {
        let recursive = match &options {
            Some(JsRaw(o)) if util::type_of(env.raw(), *o) == sys::ValueType::napi_object => recursive_option(env.raw(), *o)?,
            _ => true,
        };
        self.state.run_sync(env.raw(), |r| diff(r, a.as_deref(), &b, recursive), changes_to_js)
    }
}
