//! Small helpers for building JS values with the raw Node-API.

use std::ffi::c_void;
use std::ptr;

use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName};
use napi::{sys, Result, ValueType};

/// A JS value passed through as is (typed in `index.d.ts` with `ts_*_type`).
pub struct JsRaw(pub sys::napi_value);

impl ToNapiValue for JsRaw {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        Ok(val.0)
    }
}

impl FromNapiValue for JsRaw {
    unsafe fn from_napi_value(_env: sys::napi_env, v: sys::napi_value) -> Result<Self> {
        Ok(JsRaw(v))
    }
}

impl TypeName for JsRaw {
    fn type_name() -> &'static str {
        "unknown"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

/// A JS string.
pub fn string(env: sys::napi_env, s: &str) -> sys::napi_value {
    let mut v = ptr::null_mut();
    // SAFETY: env is the live env of the calling JS thread; s is valid UTF-8 of the given length.
    unsafe { sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut v) };
    v
}

/// A JS number.
pub fn number(env: sys::napi_env, n: f64) -> sys::napi_value {
    let mut v = ptr::null_mut();
    // SAFETY: env is the live env of the calling JS thread.
    unsafe { sys::napi_create_double(env, n, &mut v) };
    v
}

/// `null`.
pub fn null(env: sys::napi_env) -> sys::napi_value {
    let mut v = ptr::null_mut();
    // SAFETY: env is the live env of the calling JS thread.
    unsafe { sys::napi_get_null(env, &mut v) };
    v
}

/// A fresh plain object.
pub fn object(env: sys::napi_env) -> sys::napi_value {
    let mut v = ptr::null_mut();
    // SAFETY: env is the live env of the calling JS thread.
    unsafe { sys::napi_create_object(env, &mut v) };
    v
}

/// `obj[key] = value` for a NUL-terminated key.
pub fn set(env: sys::napi_env, obj: sys::napi_value, key: &'static str, value: sys::napi_value) {
    debug_assert!(key.ends_with('\0'));
    // SAFETY: key is NUL-terminated (checked above in debug builds), obj and value belong to env.
    unsafe { sys::napi_set_named_property(env, obj, key.as_ptr().cast(), value) };
}

/// A JS array of the given values.
pub fn array(env: sys::napi_env, items: &[sys::napi_value]) -> sys::napi_value {
    let mut v = ptr::null_mut();
    // SAFETY: env is the live env of the calling JS thread; items belong to it.
    unsafe {
        sys::napi_create_array_with_length(env, items.len(), &mut v);
        for (i, it) in items.iter().enumerate() {
            sys::napi_set_element(env, v, i as u32, *it);
        }
    }
    v
}

/// A `Buffer` holding a copy of `data`.
pub fn buffer(env: sys::napi_env, data: &[u8]) -> sys::napi_value {
    let mut v = ptr::null_mut();
    let mut out: *mut c_void = ptr::null_mut();
    // SAFETY: the source slice is valid for data.len() bytes; Node copies it.
    unsafe { sys::napi_create_buffer_copy(env, data.len(), data.as_ptr().cast(), &mut out, &mut v) };
    v
}

/// A `Buffer` over `data` itself, no copy: JS owns it from here, and it is
/// freed when the Buffer is collected.
pub fn buffer_of(env: sys::napi_env, data: Vec<u8>) -> sys::napi_value {
    if data.is_empty() {
        return buffer(env, &[]);
    }
    unsafe extern "C" fn free(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
        // SAFETY: hint is the Box<Vec<u8>> leaked below, freed exactly once, here.
        drop(unsafe { Box::from_raw(hint.cast::<Vec<u8>>()) });
    }
    let boxed = Box::new(data);
    let (ptr_, len) = (boxed.as_ptr() as *mut c_void, boxed.len());
    let hint = Box::into_raw(boxed);
    let mut v = ptr::null_mut();
    // SAFETY: the bytes stay where they are (the Vec is boxed and not touched)
    // until Node calls `free`, which takes the box back.
    let st = unsafe { sys::napi_create_external_buffer(env, len, ptr_, Some(free), hint.cast(), &mut v) };
    if st != sys::Status::napi_ok {
        // SAFETY: Node did not take the box; copy the bytes instead and free it.
        let data = unsafe { Box::from_raw(hint) };
        return buffer(env, &data);
    }
    v
}

/// A `Date` at `ms` milliseconds since the epoch.
pub fn date(env: sys::napi_env, ms: f64) -> sys::napi_value {
    let mut v = ptr::null_mut();
    // SAFETY: env is the live env of the calling JS thread.
    unsafe { sys::napi_create_date(env, ms, &mut v) };
    v
}

/// A pending promise and its deferred.
pub fn promise(env: sys::napi_env) -> (sys::napi_deferred, sys::napi_value) {
    let mut d = ptr::null_mut();
    let mut p = ptr::null_mut();
    // SAFETY: env is the live env of the calling JS thread.
    unsafe { sys::napi_create_promise(env, &mut d, &mut p) };
    (d, p)
}

/// Settle a deferred.
pub fn settle(env: sys::napi_env, d: sys::napi_deferred, r: std::result::Result<sys::napi_value, sys::napi_value>) {
    // SAFETY: d was created by napi_create_promise on this env and is settled exactly once.
    unsafe {
        match r {
            Ok(v) => sys::napi_resolve_deferred(env, d, v),
            Err(e) => sys::napi_reject_deferred(env, d, e),
        };
    }
}

/// A JS string from Latin-1 bytes (the fast path for ASCII text).
pub fn latin1(env: sys::napi_env, s: &[u8]) -> sys::napi_value {
    let mut v = ptr::null_mut();
    // SAFETY: env is the live env of the calling JS thread; s is valid for s.len() bytes.
    unsafe { sys::napi_create_string_latin1(env, s.as_ptr().cast(), s.len() as isize, &mut v) };
    v
}

/// A `Uint8Array` holding a copy of `data`.
pub fn uint8_array(env: sys::napi_env, data: &[u8]) -> sys::napi_value {
    let mut ab = ptr::null_mut();
    let mut out: *mut c_void = ptr::null_mut();
    let mut v = ptr::null_mut();
    // SAFETY: napi allocates data.len() bytes at `out`, which we fill from a slice of that length.
    unsafe {
        sys::napi_create_arraybuffer(env, data.len(), &mut out, &mut ab);
        if !out.is_null() && !data.is_empty() {
            ptr::copy_nonoverlapping(data.as_ptr(), out.cast::<u8>(), data.len());
        }
        sys::napi_create_typedarray(env, sys::TypedarrayType::uint8_array, data.len(), ab, 0, &mut v);
    }
    v
}

/// Property `key` (NUL-terminated) of `obj`; undefined when absent.
pub fn get(env: sys::napi_env, obj: sys::napi_value, key: &'static str) -> sys::napi_value {
    debug_assert!(key.ends_with('\0'));
    let mut v = ptr::null_mut();
    // SAFETY: obj is a live value of this env; key is NUL-terminated.
    unsafe { sys::napi_get_named_property(env, obj, key.as_ptr().cast(), &mut v) };
    v
}

/// The JS type of `v`.
pub fn type_of(env: sys::napi_env, v: sys::napi_value) -> sys::napi_valuetype {
    let mut t = sys::ValueType::napi_undefined;
    // SAFETY: v is a live value of this env.
    unsafe { sys::napi_typeof(env, v, &mut t) };
    t
}

/// True for `undefined` and `null`.
pub fn absent(env: sys::napi_env, v: sys::napi_value) -> bool {
    matches!(type_of(env, v), sys::ValueType::napi_undefined | sys::ValueType::napi_null)
}

/// A `Float64Array` holding a copy of `data`.
pub fn float64_array(env: sys::napi_env, data: &[f64]) -> sys::napi_value {
    let mut ab = ptr::null_mut();
    let mut out: *mut c_void = ptr::null_mut();
    let mut v = ptr::null_mut();
    let bytes = std::mem::size_of_val(data);
    // SAFETY: napi allocates `bytes` bytes at `out` (aligned for any element type),
    // which we fill from a slice of exactly that size.
    unsafe {
        sys::napi_create_arraybuffer(env, bytes, &mut out, &mut ab);
        if !out.is_null() && bytes > 0 {
            ptr::copy_nonoverlapping(data.as_ptr().cast::<u8>(), out.cast::<u8>(), bytes);
        }
        sys::napi_create_typedarray(env, sys::TypedarrayType::float64_array, data.len(), ab, 0, &mut v);
    }
    v
}

/// A strong reference to `v` that lives as long as the module: for what
/// `index.js` hands over once at load (the GitError class, the Commit maker).
pub fn keep(env: sys::napi_env, v: sys::napi_value) -> sys::napi_ref {
    let mut r = ptr::null_mut();
    // SAFETY: v is a live value of this env; the reference is never deleted.
    unsafe { sys::napi_create_reference(env, v, 1, &mut r) };
    r
}
