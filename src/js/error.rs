//! The one conversion from core errors to JS: a `GitError` (defined in
//! `index.js`, registered here at load) with `code` and, where known, `oid` and
//! `path`. Errors are always built on the main thread, when a call returns or a
//! promise settles, because napi-rs `Task::compute` cannot carry a code (#2333).

use std::cell::Cell;
use std::ptr;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::core::error::Error as CoreError;
use crate::js::util::{self, JsRaw};

thread_local! {
    /// The `GitError` constructor of this JS thread's module instance.
    static ERROR_CLASS: Cell<sys::napi_ref> = const { Cell::new(ptr::null_mut()) };
}

/// Internal: `index.js` hands over its `GitError` class once at load.
#[napi(js_name = "__setErrorClass", skip_typescript)]
#[cfg_attr(test, allow(dead_code))]
pub fn set_error_class(env: Env, class: JsRaw) -> Result<()> {
    ERROR_CLASS.with(|c| c.set(util::keep(env.raw(), class.0)));
    Ok(())
}

/// Build the `GitError` for `e`.
pub fn make(env: sys::napi_env, e: &CoreError) -> sys::napi_value {
    let msg = util::string(env, &e.to_string());
    let mut err = ptr::null_mut();
    let class_ref = ERROR_CLASS.with(Cell::get);
    let mut class = ptr::null_mut();
    // SAFETY: env is live; class_ref (if set) was created on this thread.
    unsafe {
        if !class_ref.is_null() {
            sys::napi_get_reference_value(env, class_ref, &mut class);
        }
        if !class.is_null() {
            sys::napi_new_instance(env, class, 1, [msg].as_ptr(), &mut err);
        }
        if err.is_null() {
            sys::napi_create_error(env, ptr::null_mut(), msg, &mut err);
        }
    }
    util::set(env, err, "code\0", util::string(env, e.code()));
    if let Some(oid) = e.oid() {
        util::set(env, err, "oid\0", util::string(env, &oid.to_hex()));
    }
    if let Some(r) = e.ref_name() {
        util::set(env, err, "ref\0", util::string(env, r));
    }
    if let Some(p) = e.path() {
        util::set(env, err, "path\0", util::string(env, &p.to_string_lossy()));
    } else if let CoreError::PathNotFound { path, .. } = e {
        // The path inside the tree.
        util::set(env, err, "path\0", util::string(env, path));
    }
    err
}

/// Throw `e` as a `GitError` and return the napi error that tells napi-rs it is pending.
pub fn throw(env: sys::napi_env, e: &CoreError) -> napi::Error {
    let v = make(env, e);
    // SAFETY: env is live and no exception is pending (we are returning from a call).
    unsafe { sys::napi_throw(env, v) };
    napi::Error::new(Status::PendingException, e.to_string())
}

/// Run `f`, turning a panic into `ERR_INTERNAL` so none crosses into JS.
pub fn guard<T>(f: impl FnOnce() -> crate::core::error::Result<T>) -> crate::core::error::Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let message = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            Err(CoreError::Internal { message })
        }
    }
}
