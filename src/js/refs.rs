//! `repo.refs`: the reference database for JS. Refs cross as plain objects:
//! `{ kind: 'direct', name, oid, peeled, storage }` or
//! `{ kind: 'symbolic', name, target, storage }` with the chain kept.

use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::core::error::Error as CoreError;
use crate::core::refs::{name, Ref};
use crate::js::error;
use crate::js::repository::RepoState;
use crate::js::util::{self, JsRaw};

fn ref_object(env: sys::napi_env, r: &Ref) -> sys::napi_value {
    let o = util::object(env);
    let hex = |id: Option<crate::core::oid::ObjectId>| match id {
        Some(id) => util::string(env, &id.to_hex()),
        None => util::null(env),
    };
    match r {
        Ref::Direct { name, oid, peeled, storage } => {
            util::set(env, o, "kind\0", util::string(env, "direct"));
            util::set(env, o, "name\0", util::string(env, name));
            util::set(env, o, "oid\0", hex(*oid));
            util::set(env, o, "peeled\0", hex(*peeled));
            util::set(env, o, "storage\0", util::string(env, storage.as_str()));
        }
        Ref::Symbolic { name, target, storage } => {
            util::set(env, o, "kind\0", util::string(env, "symbolic"));
            util::set(env, o, "name\0", util::string(env, name));
            util::set(env, o, "target\0", ref_object(env, target));
            util::set(env, o, "storage\0", util::string(env, storage.as_str()));
        }
    }
    o
}

fn opt_ref(env: sys::napi_env, r: &Option<Ref>) -> sys::napi_value {
    match r {
        Some(r) => ref_object(env, r),
        None => util::null(env),
    }
}

fn refs_list(env: sys::napi_env, v: &[Ref]) -> sys::napi_value {
    let items: Vec<_> = v.iter().map(|r| ref_object(env, r)).collect();
    util::array(env, &items)
}

/// A full ref name as `get`/`resolve` take it: `refs/...`, a root ref like `HEAD`,
/// or a `main-worktree/` / `worktrees/<id>/` name.
fn check_full(n: &str) -> std::result::Result<(), CoreError> {
    name::check_for_update(n)
}

/// The references of a repository: loose and packed refs as git stores them.
#[napi]
pub struct RefDatabase {
    pub(crate) state: Rc<RepoState>,
}

impl RefDatabase {
    /// Run `f` on the pool and settle a promise with `to_js` of its result.
    fn promise<T: Send + 'static>(
        &self,
        env: sys::napi_env,
        f: impl FnOnce(&crate::core::repo::Repository) -> std::result::Result<T, CoreError> + Send + 'static,
        to_js: impl FnOnce(sys::napi_env, &T) -> sys::napi_value + 'static,
    ) -> JsRaw {
        let (d, p) = util::promise(env);
        let shared = self.state.shared.clone();
        let d = DeferredPtr(d);
        self.state.spawn_job(
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

    fn sync<T>(
        &self,
        env: sys::napi_env,
        f: impl FnOnce(&crate::core::repo::Repository) -> std::result::Result<T, CoreError>,
        to_js: impl FnOnce(sys::napi_env, &T) -> sys::napi_value,
    ) -> Result<JsRaw> {
        let shared = &self.state.shared;
        let v = error::guard(|| {
            shared.check_open()?;
            f(&shared.repo)
        })
        .map_err(|e| error::throw(env, &e))?;
        Ok(JsRaw(to_js(env, &v)))
    }
}

struct DeferredPtr(sys::napi_deferred);
// SAFETY: the deferred is only settled back on the JS thread, in the completion.
unsafe impl Send for DeferredPtr {}

#[napi]
impl RefDatabase {
    /// The ref with this exact full name (`refs/heads/main`, `HEAD`), or null.
    #[napi(ts_return_type = "Promise<Ref | null>")]
    pub fn get(&self, env: Env, name: String) -> JsRaw {
        self.promise(env.raw(), move |r| { check_full(&name)?; r.refs.get(&name) }, opt_ref)
    }

    /// The ref with this exact full name, or null, synchronously.
    #[napi(ts_return_type = "Ref | null")]
    pub fn get_sync(&self, env: Env, name: String) -> Result<JsRaw> {
        self.sync(env.raw(), |r| { check_full(&name)?; r.refs.get(&name) }, opt_ref)
    }

    /// Follow the chain to a direct ref (`ERR_REF_NOT_FOUND`, `ERR_SYMREF_CYCLE`).
    #[napi(ts_return_type = "Promise<DirectRef>")]
    pub fn resolve(&self, env: Env, name: String) -> JsRaw {
        self.promise(env.raw(), move |r| { check_full(&name)?; r.refs.resolve(&name) }, ref_object)
    }

    /// Follow the chain to a direct ref, synchronously.
    #[napi(ts_return_type = "DirectRef")]
    pub fn resolve_sync(&self, env: Env, name: String) -> Result<JsRaw> {
        self.sync(env.raw(), |r| { check_full(&name)?; r.refs.resolve(&name) }, ref_object)
    }

    /// git's DWIM: the first of `x`, `refs/x`, `refs/tags/x`, `refs/heads/x`,
    /// `refs/remotes/x`, `refs/remotes/x/HEAD` that exists, or null.
    #[napi(ts_return_type = "Promise<Ref | null>")]
    pub fn dwim(&self, env: Env, short: String) -> JsRaw {
        self.promise(env.raw(), move |r| r.refs.dwim(&short), opt_ref)
    }

    /// DWIM, synchronously.
    #[napi(ts_return_type = "Ref | null")]
    pub fn dwim_sync(&self, env: Env, short: String) -> Result<JsRaw> {
        self.sync(env.raw(), |r| r.refs.dwim(&short), opt_ref)
    }

    /// Every ref under `prefix` (default `refs/`), sorted by name; loose overrides packed.
    #[napi(ts_return_type = "Promise<Ref[]>")]
    pub fn list(&self, env: Env, prefix: Option<String>) -> JsRaw {
        let prefix = prefix.unwrap_or_else(|| "refs/".into());
        self.promise(env.raw(), move |r| r.refs.list(&prefix), |env, v: &Vec<Ref>| refs_list(env, v))
    }

    /// Every ref under `prefix`, synchronously.
    #[napi(ts_return_type = "Ref[]")]
    pub fn list_sync(&self, env: Env, prefix: Option<String>) -> Result<JsRaw> {
        let prefix = prefix.unwrap_or_else(|| "refs/".into());
        self.sync(env.raw(), |r| r.refs.list(&prefix), |env, v: &Vec<Ref>| refs_list(env, v))
    }
}
