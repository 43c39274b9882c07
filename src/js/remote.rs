//! Clone, fetch and prefetch: the core's promisor operations on the pool
//! (and Sync on the calling thread), with `onProgress` reports posted to the
//! JS thread while they run and an abort token `index.js` ties to an
//! `AbortSignal`. Option checking is done in `index.js`.

use std::path::Path;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::core::error::Error as CoreError;
use crate::core::promisor::{clone, fetch, Progress};
use crate::core::repo;
use crate::js::error;
use crate::js::pool;
use crate::js::repository::{open_with_then, RepoState, Repository, SendPtr};
use crate::js::util::{self, JsRaw};

/// What `index.js` flips when an operation's `AbortSignal` fires.
#[napi(js_name = "__AbortToken")]
pub struct AbortToken {
    flag: Arc<AtomicBool>,
}

#[napi]
impl AbortToken {
    #[napi(constructor)]
    pub fn new() -> AbortToken {
        AbortToken { flag: Arc::new(AtomicBool::new(false)) }
    }

    #[napi]
    pub fn abort(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }
}

impl Default for AbortToken {
    fn default() -> Self {
        AbortToken::new()
    }
}

/// A strong reference to the `onProgress` function, used and deleted on the JS thread only.
struct FnRef(sys::napi_ref);
// SAFETY: the reference is only dereferenced and deleted on the JS thread (in completions).
unsafe impl Send for FnRef {}
unsafe impl Sync for FnRef {}

/// The JS `{ phase, done, total, bytes }` of a report.
fn progress_object(env: sys::napi_env, p: &Progress) -> sys::napi_value {
    let o = util::object(env);
    util::set(env, o, "phase\0", util::string(env, &p.phase));
    util::set(env, o, "done\0", util::number(env, p.done as f64));
    util::set(env, o, "total\0", p.total.map(|t| util::number(env, t as f64)).unwrap_or_else(|| util::null(env)));
    util::set(env, o, "bytes\0", util::number(env, p.bytes as f64));
    o
}

/// Call `f` with one report; an exception it throws is cleared (a progress
/// callback cannot fail the operation).
fn call_progress(env: sys::napi_env, f: sys::napi_ref, p: &Progress) {
    let mut func = ptr::null_mut();
    let mut undefined = ptr::null_mut();
    let mut out = ptr::null_mut();
    let arg = progress_object(env, p);
    // SAFETY: f is a live strong reference of this env; all values belong to it.
    unsafe {
        sys::napi_get_reference_value(env, f, &mut func);
        sys::napi_get_undefined(env, &mut undefined);
        if sys::napi_call_function(env, undefined, func, 1, &arg, &mut out) != sys::Status::napi_ok {
            let mut exc = ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env, &mut exc);
        }
    }
}

/// Where a running operation's progress goes: posted to the JS thread for
/// an async call, called at once for a Sync one.
pub(crate) struct Reporter {
    f: Option<Arc<FnRef>>,
    poster: Option<pool::Poster>,
    sync_env: Option<SyncEnv>,
    /// The phase and time of the last report passed on.
    last: Option<(String, std::time::Instant)>,
}

/// Reports within one phase are passed on at most this often (and always its last one).
const REPORT_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

struct SyncEnv(sys::napi_env);
// SAFETY: only used by a Sync call, on the JS thread that made it.
unsafe impl Send for SyncEnv {}

impl Reporter {
    fn new(env: sys::napi_env, on_progress: Option<JsRaw>, sync: bool) -> Reporter {
        let f = on_progress.filter(|f| util::type_of(env, f.0) == sys::ValueType::napi_function).map(|f| {
            let mut r = ptr::null_mut();
            // SAFETY: f is a live function value of this env.
            unsafe { sys::napi_create_reference(env, f.0, 1, &mut r) };
            Arc::new(FnRef(r))
        });
        Reporter { f, poster: (!sync).then(|| pool::poster(env)), sync_env: sync.then_some(SyncEnv(env)), last: None }
    }

    pub(crate) fn report(&mut self, p: &Progress) {
        let Some(f) = &self.f else { return };
        let now = std::time::Instant::now();
        let finished = p.total == Some(p.done);
        if let Some((phase, at)) = &self.last {
            if *phase == p.phase && now.duration_since(*at) < REPORT_EVERY && !finished {
                return;
            }
        }
        self.last = Some((p.phase.clone(), now));
        match (&self.poster, &self.sync_env) {
            (Some(poster), _) => {
                let (f, p) = (f.clone(), p.clone());
                poster.post(Box::new(move |env| call_progress(env, f.0, &p)));
            }
            (None, Some(e)) => call_progress(e.0, f.0, p),
            _ => {}
        }
    }

    /// Delete the function's reference (a Sync call, after its last report).
    fn finish(self, env: sys::napi_env) {
        Finisher(self.f).finish(env)
    }
}

/// Deletes the `onProgress` reference on the JS thread once the operation's
/// completion runs: reports are posted while the job runs and its completion
/// after it ends, in one FIFO queue, so no report is left to call by then.
struct Finisher(Option<Arc<FnRef>>);

impl Finisher {
    fn finish(self, env: sys::napi_env) {
        if let Some(f) = self.0 {
            if let Ok(f) = Arc::try_unwrap(f) {
                // SAFETY: f is a live reference of this env, deleted once, on its thread.
                unsafe { sys::napi_delete_reference(env, f.0) };
            }
        }
    }
}

fn open_cloned(git_dir: &Path) -> std::result::Result<repo::Repository, CoreError> {
    repo::Repository::open(git_dir, &Default::default())
}

#[napi]
impl Repository {
    /// Internal: `Repository.clone` (index.js checks the options and ties the signal).
    #[napi(js_name = "__clone", skip_typescript)]
    #[allow(clippy::too_many_arguments)]
    pub fn clone_async(
        env: Env,
        url: String,
        path: String,
        bare: bool,
        filter: Option<String>,
        depth: Option<u32>,
        branch: Option<String>,
        on_progress: Option<JsRaw>,
        token: &AbortToken,
    ) -> JsRaw {
        let env = env.raw();
        let opts = clone::CloneOptions { bare, filter, depth, branch };
        let flag = token.flag.clone();
        let mut reporter = Reporter::new(env, on_progress, false);
        let fref = Finisher(reporter.f.clone());
        let p = open_with_then(
            env,
            move || {
                let res = clone::clone(&url, Path::new(&path), &opts, &mut |p| reporter.report(p), &flag);
                drop(reporter);
                res.and_then(|g| open_cloned(&g))
            },
            move |env| fref.finish(env),
        );
        JsRaw(p)
    }

    /// Internal: `Repository.cloneSync`.
    #[napi(js_name = "__cloneSync", skip_typescript)]
    #[allow(clippy::too_many_arguments)]
    pub fn clone_sync(
        env: Env,
        url: String,
        path: String,
        bare: bool,
        filter: Option<String>,
        depth: Option<u32>,
        branch: Option<String>,
        on_progress: Option<JsRaw>,
    ) -> Result<Repository> {
        let env = env.raw();
        let opts = clone::CloneOptions { bare, filter, depth, branch };
        let mut r = Reporter::new(env, on_progress, true);
        let res = error::guard(|| {
            let g = clone::clone(&url, Path::new(&path), &opts, &mut |p| r.report(p), &AtomicBool::new(false))?;
            open_cloned(&g)
        });
        r.finish(env);
        let core = res.map_err(|e| error::throw(env, &e))?;
        Ok(Repository { state: RepoState::new(core) })
    }

    /// Internal: `fetch` (index.js checks the options and ties the signal).
    #[napi(js_name = "__fetch", skip_typescript)]
    #[allow(clippy::too_many_arguments)]
    pub fn fetch_async(
        &self,
        env: Env,
        remote: String,
        refspecs: Vec<String>,
        filter: Option<String>,
        depth: Option<u32>,
        prune: bool,
        on_progress: Option<JsRaw>,
        token: &AbortToken,
    ) -> JsRaw {
        let env = env.raw();
        let opts = fetch::FetchOptions { refspecs, filter, depth, prune };
        let flag = token.flag.clone();
        let mut reporter = Reporter::new(env, on_progress, false);
        let fref = Finisher(reporter.f.clone());
        let (d, p) = util::promise(env);
        let d = SendPtr(d);
        let shared = self.state.shared.clone();
        self.state.spawn_job(
            env,
            move || {
                let r = error::guard(|| {
                    shared.check_open()?;
                    fetch::fetch(&shared.repo, &remote, &opts, &mut |p| reporter.report(p), &flag)
                });
                drop(reporter);
                r
            },
            move |_, env, r| {
                let d = d;
                // Every report was posted before this completion: none is left to call.
                fref.finish(env);
                util::settle(env, d.0, r.as_ref().map(|v| fetch_result(env, v)).map_err(|e| error::make(env, e)));
            },
        );
        JsRaw(p)
    }

    /// Internal: `fetchSync`.
    #[napi(js_name = "__fetchSync", skip_typescript)]
    #[allow(clippy::too_many_arguments)]
    pub fn fetch_sync(&self, env: Env, remote: String, refspecs: Vec<String>, filter: Option<String>, depth: Option<u32>, prune: bool, on_progress: Option<JsRaw>) -> Result<JsRaw> {
        let env = env.raw();
        let opts = fetch::FetchOptions { refspecs, filter, depth, prune };
        let mut r = Reporter::new(env, on_progress, true);
        let out = self.state.run_sync(env, |repo| fetch::fetch(repo, &remote, &opts, &mut |p| r.report(p), &AtomicBool::new(false)), fetch_result);
        r.finish(env);
        out
    }

    /// Fetch, in one request, every blob under `paths` (all when absent) of
    /// `rev`'s tree that a partial clone does not have yet.
    #[napi(ts_args_type = "rev: string, options?: { paths?: string[] }", ts_return_type = "Promise<void>")]
    pub fn prefetch(&self, env: Env, rev: String, options: Option<JsRaw>) -> Result<JsRaw> {
        let env = env.raw();
        let paths = prefetch_paths(env, options)?;
        Ok(self.state.run_promise(env, move |repo| prefetch(repo, &rev, &paths), |env, _| undefined(env)))
    }

    /// Prefetch, synchronously.
    #[napi(ts_args_type = "rev: string, options?: { paths?: string[] }", ts_return_type = "void")]
    pub fn prefetch_sync(&self, env: Env, rev: String, options: Option<JsRaw>) -> Result<JsRaw> {
        let env = env.raw();
        let paths = prefetch_paths(env, options)?;
        self.state.run_sync(env, |repo| prefetch(repo, &rev, &paths), |env, _| undefined(env))
    }
}

fn undefined(env: sys::napi_env) -> sys::napi_value {
    let mut v = ptr::null_mut();
    // SAFETY: env is the live env of this JS thread.
    unsafe { sys::napi_get_undefined(env, &mut v) };
    v
}

/// `options.paths` as strings (napi-rs throws a TypeError for anything else).
fn prefetch_paths(env: sys::napi_env, options: Option<JsRaw>) -> Result<Vec<String>> {
    let Some(o) = options.filter(|o| !util::absent(env, o.0)) else { return Ok(Vec::new()) };
    let v = util::get(env, o.0, "paths\0");
    if util::absent(env, v) {
        return Ok(Vec::new());
    }
    // SAFETY: v is a live value of this env.
    unsafe { Vec::<String>::from_napi_value(env, v) }
}

fn prefetch(repo: &repo::Repository, rev: &str, paths: &[String]) -> std::result::Result<(), CoreError> {
    let commit = repo.rev_parse(rev)?;
    let tree = crate::core::treeops::peel_to_tree(&repo.odb, commit)?;
    let missing = crate::core::checkout::missing_blobs(&repo.odb, &tree, paths)?;
    if missing.is_empty() || repo.odb.promisor().is_none() {
        return Ok(());
    }
    repo.odb.fetch_objects(&missing, None, &mut |_| {}, &AtomicBool::new(false)).map(|_| ())
}

fn fetch_result(env: sys::napi_env, r: &fetch::FetchOutcome) -> sys::napi_value {
    let o = util::object(env);
    let hex = |v: &Option<crate::core::oid::ObjectId>| v.map(|o| util::string(env, &o.to_hex())).unwrap_or_else(|| util::null(env));
    let updated: Vec<sys::napi_value> = r
        .updated
        .iter()
        .map(|c| {
            let u = util::object(env);
            util::set(env, u, "name\0", util::string(env, &c.name));
            util::set(env, u, "oldOid\0", hex(&c.old));
            util::set(env, u, "newOid\0", hex(&c.new));
            u
        })
        .collect();
    util::set(env, o, "updated\0", util::array(env, &updated));
    util::set(env, o, "objects\0", util::number(env, r.objects as f64));
    util::set(env, o, "bytes\0", util::number(env, r.bytes as f64));
    o
}


/// Calls the `onOverfull` wrapper `index.js` made with the cache's bytes, on
/// the JS thread (posted: the cache runs on workers, and on the JS thread in a
/// Sync read, and never waits for JS).
fn overfull_callback(env: sys::napi_env, f: JsRaw) -> crate::core::odb::composite::Overfull {
    let mut r = ptr::null_mut();
    // SAFETY: f is a live function of this env; the reference lives as long as the repository's store.
    unsafe { sys::napi_create_reference(env, f.0, 1, &mut r) };
    let f = Arc::new(FnRef(r));
    let poster = pool::poster(env);
    crate::core::odb::composite::Overfull::Callback(Box::new(move |bytes| {
        let f = f.clone();
        poster.post(Box::new(move |env| {
            let mut func = ptr::null_mut();
            let mut undefined = ptr::null_mut();
            let mut out = ptr::null_mut();
            let arg = util::number(env, bytes as f64);
            // SAFETY: f is a live strong reference of this env.
            unsafe {
                sys::napi_get_reference_value(env, f.0, &mut func);
                sys::napi_get_undefined(env, &mut undefined);
                if sys::napi_call_function(env, undefined, func, 1, &arg, &mut out) != sys::Status::napi_ok {
                    let mut exc = ptr::null_mut();
                    sys::napi_get_and_clear_last_exception(env, &mut exc);
                }
            }
        }));
    }))
}

#[napi]
impl Repository {
    /// Internal: `Repository.openRemote` (index.js checks the options).
    #[napi(js_name = "__openRemote", skip_typescript)]
    pub fn open_remote_async(env: Env, url: String, filter: Option<String>, max_cache_bytes: Option<f64>, on_overfull: String, callback: Option<JsRaw>) -> JsRaw {
        let env = env.raw();
        use crate::core::odb::composite::{MemCache, Overfull};
        let policy = match (on_overfull.as_str(), callback) {
            (_, Some(f)) => overfull_callback(env, f),
            ("error", None) => Overfull::Error,
            _ => Overfull::Log,
        };
        let cache = MemCache::new(max_cache_bytes.filter(|b| b.is_finite() && *b >= 0.0).map(|b| b as u64), policy);
        JsRaw(crate::js::repository::open_with(env, move || crate::core::promisor::remote::open_remote(&url, filter, cache, &Default::default())))
    }
}
