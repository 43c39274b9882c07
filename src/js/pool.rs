//! The worker pool and the way back. Jobs run on tokio's blocking pool (sized
//! to the cores) and never touch JS; each returns a completion that one
//! threadsafe function per JS thread runs on the main thread. The function is
//! ref'd only while jobs are in flight, so an idle ferrogit never keeps Node alive.

use std::cell::Cell;
use std::ffi::c_void;
use std::ptr;
use std::sync::OnceLock;

use napi::sys;

/// What a finished job asks the main thread to do.
pub type Completion = Box<dyn FnOnce(sys::napi_env) + Send>;

struct Tsfn(sys::napi_threadsafe_function);
// SAFETY: a threadsafe function is made to be called from any thread.
unsafe impl Send for Tsfn {}

thread_local! {
    static QUEUE: Cell<sys::napi_threadsafe_function> = const { Cell::new(ptr::null_mut()) };
    static PENDING: Cell<usize> = const { Cell::new(0) };
}

/// How many threads work may use at once: see [`crate::core::threads`].
pub fn threads() -> usize {
    crate::core::threads::available()
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        let n = threads();
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(n)
            .thread_name("ferrogit-worker")
            .build()
            .expect("a tokio runtime can be built because only thread creation can fail, and Node has threads")
    })
}

/// What crosses to the main thread: a finished job's completion, or a
/// message from a job still running (progress), which does not end it.
enum Msg {
    Done(Completion),
    Post(Completion),
}

unsafe extern "C" fn call_js(env: sys::napi_env, _f: sys::napi_value, _ctx: *mut c_void, data: *mut c_void) {
    if data.is_null() {
        return;
    }
    // SAFETY: data is the Box<Msg> leaked by `spawn` or `Poster::post` for exactly this call.
    let m: Box<Msg> = unsafe { Box::from_raw(data.cast()) };
    if env.is_null() {
        return; // the environment is going away: nothing to settle
    }
    let c = match *m {
        Msg::Done(c) => c,
        Msg::Post(c) => {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || c(env)));
            return;
        }
    };
    let left = PENDING.with(|p| {
        let v = p.get().saturating_sub(1);
        p.set(v);
        v
    });
    if left == 0 {
        let q = QUEUE.with(Cell::get);
        // SAFETY: q is this thread's live threadsafe function.
        unsafe { sys::napi_unref_threadsafe_function(env, q) };
    }
    // A panic here would abort at the C boundary; completions are written not to panic,
    // and this catches any that do.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || c(env)));
}

fn queue(env: sys::napi_env) -> sys::napi_threadsafe_function {
    let q = QUEUE.with(Cell::get);
    if !q.is_null() {
        return q;
    }
    let mut tsfn = ptr::null_mut();
    let name = crate::js::util::string(env, "ferrogit");
    // SAFETY: env is the live env of this JS thread; a NULL func is allowed with call_js.
    unsafe {
        sys::napi_create_threadsafe_function(
            env,
            ptr::null_mut(),
            ptr::null_mut(),
            name,
            0,
            1,
            ptr::null_mut(),
            None,
            ptr::null_mut(),
            Some(call_js),
            &mut tsfn,
        );
        sys::napi_unref_threadsafe_function(env, tsfn);
    }
    QUEUE.with(|c| c.set(tsfn));
    tsfn
}

/// Run `job` on the pool; the completion it returns runs on this JS thread.
pub fn spawn(env: sys::napi_env, job: impl FnOnce() -> Completion + Send + 'static) {
    let q = queue(env);
    let before = PENDING.with(|p| {
        let v = p.get();
        p.set(v + 1);
        v
    });
    if before == 0 {
        // SAFETY: q is this thread's live threadsafe function.
        unsafe { sys::napi_ref_threadsafe_function(env, q) };
    }
    let t = Tsfn(q);
    runtime().spawn_blocking(move || {
        let t = t;
        let c: Completion = job();
        let data = Box::into_raw(Box::new(Msg::Done(c)));
        // SAFETY: t.0 stays valid until the env tears down; then the call fails and we free data.
        let st = unsafe { sys::napi_call_threadsafe_function(t.0, data.cast(), sys::ThreadsafeFunctionCallMode::nonblocking) };
        if st != sys::Status::napi_ok {
            // SAFETY: the call did not take ownership of data.
            drop(unsafe { Box::from_raw(data) });
        }
    });
}

/// A way for a running job to send work to the JS thread (progress reports):
/// valid while the job that holds it is in flight, which keeps the queue alive.
#[derive(Clone)]
pub struct Poster(sys::napi_threadsafe_function);
// SAFETY: a threadsafe function is made to be called from any thread.
unsafe impl Send for Poster {}
unsafe impl Sync for Poster {}

/// A [`Poster`] for jobs spawned from this JS thread.
pub fn poster(env: sys::napi_env) -> Poster {
    Poster(queue(env))
}

impl Poster {
    /// Run `c` on the JS thread soon; never waits for it.
    pub fn post(&self, c: Completion) {
        let data = Box::into_raw(Box::new(Msg::Post(c)));
        // SAFETY: the queue lives as long as the env; if the call fails we still own data.
        let st = unsafe { sys::napi_call_threadsafe_function(self.0, data.cast(), sys::ThreadsafeFunctionCallMode::nonblocking) };
        if st != sys::Status::napi_ok {
            // SAFETY: the call did not take ownership of data.
            drop(unsafe { Box::from_raw(data) });
        }
    }
}

/// Run `job` on the pool with nothing to do on the JS thread afterwards (work
/// done ahead for a later Sync call, which waits for it). It does not keep
/// Node alive.
pub fn spawn_detached(job: impl FnOnce() + Send + 'static) {
    runtime().spawn_blocking(job);
}
