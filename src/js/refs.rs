//! `repo.refs`: the reference database for JS. Refs cross as plain objects:
//! `{ kind: 'direct', name, oid, peeled, storage }` or
//! `{ kind: 'symbolic', name, target, storage }` with the chain kept.

use std::cell::RefCell;
use std::rc::Rc;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::core::error::Error as CoreError;
use crate::core::oid::ObjectId;
use crate::core::refs::transaction::{Change, Edit, Expect};
use crate::core::refs::{name, Prepared, Ref, TxContext};
use crate::js::error;
use crate::js::repository::{RepoState, SendPtr};
use crate::js::util::{self, JsRaw};

/// Property names and common values, made once per call: building 100,000 refs
/// with C-string keys re-internalized every time was most of a listing's cost.
struct Strings {
    kind: sys::napi_value,
    name: sys::napi_value,
    oid: sys::napi_value,
    peeled: sys::napi_value,
    storage: sys::napi_value,
    target: sys::napi_value,
    direct: sys::napi_value,
    symbolic: sys::napi_value,
    null: sys::napi_value,
    storages: [sys::napi_value; 5],
}

impl Strings {
    fn new(env: sys::napi_env) -> Strings {
        let s = |x: &str| util::string(env, x);
        Strings {
            kind: s("kind"),
            name: s("name"),
            oid: s("oid"),
            peeled: s("peeled"),
            storage: s("storage"),
            target: s("target"),
            direct: s("direct"),
            symbolic: s("symbolic"),
            null: util::null(env),
            storages: [s("new"), s("loose"), s("packed"), s("loose-packed"), s("memory")],
        }
    }

    fn storage(&self, st: crate::core::refs::Storage) -> sys::napi_value {
        use crate::core::refs::Storage::*;
        self.storages[match st {
            New => 0,
            Loose => 1,
            Packed => 2,
            LoosePacked => 3,
            Memory => 4,
        }]
    }
}

fn desc(name: sys::napi_value, value: sys::napi_value) -> sys::napi_property_descriptor {
    sys::napi_property_descriptor {
        utf8name: std::ptr::null(),
        name,
        method: None,
        getter: None,
        setter: None,
        value,
        attributes: sys::PropertyAttributes::writable | sys::PropertyAttributes::enumerable | sys::PropertyAttributes::configurable,
        data: std::ptr::null_mut(),
    }
}

fn ref_object_with(env: sys::napi_env, k: &Strings, r: &Ref) -> sys::napi_value {
    let o = util::object(env);
    let hex = |id: Option<crate::core::oid::ObjectId>| match id {
        Some(id) => util::string(env, &id.to_hex()),
        None => k.null,
    };
    let props: Vec<sys::napi_property_descriptor> = match r {
        Ref::Direct { name, oid, peeled, storage } => vec![
            desc(k.kind, k.direct),
            desc(k.name, util::string(env, name)),
            desc(k.oid, hex(*oid)),
            desc(k.peeled, hex(*peeled)),
            desc(k.storage, k.storage(*storage)),
        ],
        Ref::Symbolic { name, target, storage } => vec![
            desc(k.kind, k.symbolic),
            desc(k.name, util::string(env, name)),
            desc(k.target, ref_object_with(env, k, target)),
            desc(k.storage, k.storage(*storage)),
        ],
    };
    // SAFETY: o and every name/value belong to this env; the descriptors outlive the call.
    unsafe { sys::napi_define_properties(env, o, props.len(), props.as_ptr()) };
    o
}

fn ref_object(env: sys::napi_env, r: &Ref) -> sys::napi_value {
    ref_object_with(env, &Strings::new(env), r)
}

fn opt_ref(env: sys::napi_env, r: &Option<Ref>) -> sys::napi_value {
    match r {
        Some(r) => ref_object(env, r),
        None => util::null(env),
    }
}

fn symbolic_target(r: &crate::core::repo::Repository, name: &str) -> std::result::Result<Option<String>, CoreError> {
    check_full(name)?;
    Ok(match r.refs.read(name)? {
        Some((crate::core::refs::Value::Symbolic(t), _, _)) => Some(t),
        _ => None,
    })
}

fn opt_string(env: sys::napi_env, v: &Option<String>) -> sys::napi_value {
    match v {
        Some(s) => util::string(env, s),
        None => util::null(env),
    }
}

/// A name `get`/`resolve`/`reflog` read: any well-formed name, one level
/// included (git reads `$GIT_DIR/<name>` for those); writes are stricter
/// (`name::check_for_update`).
fn check_full(n: &str) -> std::result::Result<(), CoreError> {
    name::check(n, name::Check { allow_onelevel: true, refspec_pattern: false })
}

/// The references of a repository: loose and packed refs as git stores them.
#[napi]
pub struct RefDatabase {
    pub(crate) state: Rc<RepoState>,
}

impl RefDatabase {
    fn promise<T: Send + 'static>(
        &self,
        env: sys::napi_env,
        f: impl FnOnce(&crate::core::repo::Repository) -> std::result::Result<T, CoreError> + Send + 'static,
        to_js: impl FnOnce(sys::napi_env, &T) -> sys::napi_value + 'static,
    ) -> JsRaw {
        self.state.run_promise(env, f, to_js)
    }

    fn sync<T>(
        &self,
        env: sys::napi_env,
        f: impl FnOnce(&crate::core::repo::Repository) -> std::result::Result<T, CoreError>,
        to_js: impl FnOnce(sys::napi_env, &T) -> sys::napi_value,
    ) -> Result<JsRaw> {
        self.state.run_sync(env, f, to_js)
    }
}

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

    /// The name the symbolic ref `name` points to, read one link only (as `git
    /// symbolic-ref --no-recurse`; works on a chain too deep or looping to
    /// resolve); null when `name` is a direct ref or does not exist.
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn read_symbolic(&self, env: Env, name: String) -> JsRaw {
        self.promise(env.raw(), move |r| symbolic_target(r, &name), opt_string)
    }

    /// `readSymbolic`, synchronously.
    #[napi(ts_return_type = "string | null")]
    pub fn read_symbolic_sync(&self, env: Env, name: String) -> Result<JsRaw> {
        self.sync(env.raw(), |r| symbolic_target(r, &name), opt_string)
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

    /// `list` in the compact form `index.js` turns into ref objects (see [`Listing`]).
    #[napi(js_name = "__listRaw", skip_typescript)]
    pub fn list_raw(&self, env: Env, prefix: Option<String>) -> JsRaw {
        let prefix = prefix.unwrap_or_else(|| "refs/".into());
        self.promise(env.raw(), move |r| r.refs.list(&prefix).map(Listing::encode), Listing::to_js)
    }

    /// `listSync` in the compact form.
    #[napi(js_name = "__listRawSync", skip_typescript)]
    pub fn list_raw_sync(&self, env: Env, prefix: Option<String>) -> Result<JsRaw> {
        let prefix = prefix.unwrap_or_else(|| "refs/".into());
        self.sync(env.raw(), |r| r.refs.list(&prefix).map(Listing::encode), Listing::to_js)
    }
}

/// A listing packed for the trip to JS: building 100,000 objects with one
/// Node-API call per property costs more than git's whole `for-each-ref`, while
/// JS builds object literals from a few long strings in a fraction of that.
/// `[names, oids, meta, peeled, symbolic]`: `names` joined by `\n` (check-ref-format
/// forbids control characters in names); `oids` 40 hex per direct ref with an
/// id; `meta` one byte per ref: storage (bits 0-2), has oid (8), symbolic (16),
/// has peeled (32); `peeled` 40 hex per ref with a peeled id; `symbolic` the
/// symbolic refs as whole objects (chain kept), in order.
struct Listing {
    names: String,
    oids: String,
    meta: Vec<u8>,
    peeled: String,
    symbolic: Vec<Ref>,
}

const META_OID: u8 = 8;
const META_SYMBOLIC: u8 = 16;
const META_PEELED: u8 = 32;

fn storage_code(st: crate::core::refs::Storage) -> u8 {
    use crate::core::refs::Storage::*;
    match st {
        New => 0,
        Loose => 1,
        Packed => 2,
        LoosePacked => 3,
        Memory => 4,
    }
}


impl Listing {
    fn encode(refs: Vec<Ref>) -> Listing {
        let mut l = Listing {
            names: String::with_capacity(refs.iter().map(|r| r.name().len() + 1).sum()),
            oids: String::with_capacity(refs.len() * 40),
            meta: Vec::with_capacity(refs.len()),
            peeled: String::new(),
            symbolic: Vec::new(),
        };
        for (i, r) in refs.into_iter().enumerate() {
            if i > 0 {
                l.names.push('\n');
            }
            l.names.push_str(r.name());
            match r {
                Ref::Direct { oid, peeled, storage, .. } => {
                    let mut m = storage_code(storage);
                    if let Some(id) = oid {
                        id.push_hex(&mut l.oids);
                        m |= META_OID;
                    }
                    if let Some(id) = peeled {
                        id.push_hex(&mut l.peeled);
                        m |= META_PEELED;
                    }
                    l.meta.push(m);
                }
                r @ Ref::Symbolic { .. } => {
                    l.meta.push(META_SYMBOLIC);
                    l.symbolic.push(r);
                }
            }
        }
        l
    }

    fn to_js(env: sys::napi_env, l: &Listing) -> sys::napi_value {
        let k = Strings::new(env);
        let names = if l.names.is_ascii() { util::latin1(env, l.names.as_bytes()) } else { util::string(env, &l.names) };
        let symbolic: Vec<_> = l.symbolic.iter().map(|r| ref_object_with(env, &k, r)).collect();
        util::array(
            env,
            &[names, util::latin1(env, l.oids.as_bytes()), util::uint8_array(env, &l.meta), util::latin1(env, l.peeled.as_bytes()), util::array(env, &symbolic)],
        )
    }
}

/// A property of an options object: absent/undefined, null, or a string.
enum Prop {
    Missing,
    Null,
    Str(String),
}

fn prop(env: sys::napi_env, obj: &Option<JsRaw>, key: &'static str) -> Result<Prop> {
    let Some(obj) = obj else { return Ok(Prop::Missing) };
    let mut t = sys::ValueType::napi_undefined;
    // SAFETY: obj is a live value of this env passed by the caller; key is NUL-terminated.
    unsafe {
        sys::napi_typeof(env, obj.0, &mut t);
        if t == sys::ValueType::napi_undefined || t == sys::ValueType::napi_null {
            return Ok(Prop::Missing);
        }
        let mut v = std::ptr::null_mut();
        sys::napi_get_named_property(env, obj.0, key.as_ptr().cast(), &mut v);
        sys::napi_typeof(env, v, &mut t);
        match t {
            sys::ValueType::napi_undefined => Ok(Prop::Missing),
            sys::ValueType::napi_null => Ok(Prop::Null),
            _ => String::from_napi_value(env, v).map(Prop::Str),
        }
    }
}

fn parse_oid_arg(env: sys::napi_env, s: &str) -> Result<ObjectId> {
    ObjectId::parse(s).map_err(|e| error::throw(env, &e))
}

/// `expectedOld`: absent → any value, null → must not exist, an id → must match.
fn expect_from(env: sys::napi_env, options: &Option<JsRaw>, absent: Expect) -> Result<Expect> {
    Ok(match prop(env, options, "expectedOld\0")? {
        Prop::Missing => absent,
        Prop::Null => Expect::MustNotExist { create: false },
        Prop::Str(s) => Expect::MustMatch(parse_oid_arg(env, &s)?),
    })
}

fn message_from(env: sys::napi_env, options: &Option<JsRaw>) -> Result<Option<String>> {
    Ok(match prop(env, options, "message\0")? {
        Prop::Str(s) => Some(s),
        _ => None,
    })
}

fn tx_context(repo: &crate::core::repo::Repository) -> TxContext<'_> {
    repo.tx_context()
}

fn run_transaction(repo: &crate::core::repo::Repository, edits: Vec<Edit>) -> std::result::Result<(), CoreError> {
    repo.refs.commit(edits, &tx_context(repo))
}

fn undefined(env: sys::napi_env, _: &()) -> sys::napi_value {
    let mut v = std::ptr::null_mut();
    // SAFETY: env is the live env of this JS thread.
    unsafe { sys::napi_get_undefined(env, &mut v) };
    v
}

#[napi]
impl RefDatabase {
    /// Start a transaction: queue edits, then `commit()` them all or none.
    #[napi]
    pub fn transaction(&self) -> RefTransaction {
        RefTransaction { state: self.state.clone(), inner: Rc::new(RefCell::new(TxInner { edits: Vec::new(), phase: Phase::Open })) }
    }

    /// Point `name` at `oid` (following a symbolic ref, as `git update-ref` does).
    #[napi(ts_args_type = "name: string, oid: string, options?: { expectedOld?: string | null; message?: string; noDeref?: boolean }", ts_return_type = "Promise<void>")]
    pub fn update(&self, env: Env, name: String, oid: String, options: Option<JsRaw>) -> Result<JsRaw> {
        let edit = update_edit(env.raw(), name, &oid, &options)?;
        Ok(self.promise(env.raw(), move |r| run_transaction(r, vec![edit]), undefined))
    }

    /// `update`, synchronously.
    #[napi(ts_args_type = "name: string, oid: string, options?: { expectedOld?: string | null; message?: string; noDeref?: boolean }")]
    pub fn update_sync(&self, env: Env, name: String, oid: String, options: Option<JsRaw>) -> Result<()> {
        let edit = update_edit(env.raw(), name, &oid, &options)?;
        self.sync(env.raw(), |r| run_transaction(r, vec![edit]), undefined).map(|_| ())
    }

    /// Delete `name` (from `packed-refs` too).
    #[napi(ts_args_type = "name: string, options?: { expectedOld?: string; message?: string; noDeref?: boolean }", ts_return_type = "Promise<void>")]
    pub fn delete(&self, env: Env, name: String, options: Option<JsRaw>) -> Result<JsRaw> {
        let edit = delete_edit(env.raw(), name, &options)?;
        Ok(self.promise(env.raw(), move |r| run_transaction(r, vec![edit]), undefined))
    }

    /// `delete`, synchronously.
    #[napi(ts_args_type = "name: string, options?: { expectedOld?: string; message?: string; noDeref?: boolean }")]
    pub fn delete_sync(&self, env: Env, name: String, options: Option<JsRaw>) -> Result<()> {
        let edit = delete_edit(env.raw(), name, &options)?;
        self.sync(env.raw(), |r| run_transaction(r, vec![edit]), undefined).map(|_| ())
    }

    /// Make `name` a symbolic ref to `target`.
    #[napi(ts_args_type = "name: string, target: string, options?: { message?: string }", ts_return_type = "Promise<void>")]
    pub fn set_symbolic(&self, env: Env, name: String, target: String, options: Option<JsRaw>) -> Result<JsRaw> {
        let message = message_from(env.raw(), &options)?;
        let edit = Edit { name, change: Change::Symbolic(target), expect: Expect::Any, message, deref: true };
        Ok(self.promise(env.raw(), move |r| run_transaction(r, vec![edit]), undefined))
    }

    /// `setSymbolic`, synchronously.
    #[napi(ts_args_type = "name: string, target: string, options?: { message?: string }")]
    pub fn set_symbolic_sync(&self, env: Env, name: String, target: String, options: Option<JsRaw>) -> Result<()> {
        let message = message_from(env.raw(), &options)?;
        let edit = Edit { name, change: Change::Symbolic(target), expect: Expect::Any, message, deref: true };
        self.sync(env.raw(), |r| run_transaction(r, vec![edit]), undefined).map(|_| ())
    }
}

fn update_edit(env: sys::napi_env, name: String, oid: &str, options: &Option<JsRaw>) -> Result<Edit> {
    Ok(Edit {
        deref: !bool_option(env, options, "noDeref\0", false)?,
        change: Change::Update(parse_oid_arg(env, oid)?),
        expect: expect_from(env, options, Expect::Any)?,
        message: message_from(env, options)?,
        name,
    })
}

fn delete_edit(env: sys::napi_env, name: String, options: &Option<JsRaw>) -> Result<Edit> {
    Ok(Edit {
        change: Change::Delete,
        expect: expect_from(env, options, Expect::Any)?,
        message: message_from(env, options)?,
        name,
        deref: !bool_option(env, options, "noDeref\0", false)?,
    })
}

/// Where a transaction is in its life.
enum Phase {
    /// Taking edits.
    Open,
    /// `prepare()` is running on the pool; `aborted` if `abort()` came meanwhile.
    Preparing { aborted: bool },
    /// Locks held and every expectation checked; `commit` writes, `abort` releases.
    Prepared(Box<dyn Prepared>),
    /// Committed, aborted, failed, or committing.
    Done,
}

struct TxInner {
    edits: Vec<Edit>,
    phase: Phase,
}

/// Edits queued for one all-or-nothing commit, optionally prepared first (git's
/// `update-ref --stdin` `prepare`): `prepare()` takes every lock and checks every
/// expected value, then `commit()` writes or `abort()` releases the locks. A
/// prepared transaction that is dropped unreferenced releases its locks when
/// collected, but callers should always `commit()` or `abort()`.
#[napi]
pub struct RefTransaction {
    state: Rc<RepoState>,
    inner: Rc<RefCell<TxInner>>,
}

fn tx_state_error(message: &str) -> CoreError {
    CoreError::Internal { message: message.to_string() }
}

impl RefTransaction {
    fn push(&mut self, env: sys::napi_env, edit: Edit) -> Result<()> {
        let mut inner = self.inner.borrow_mut();
        if !matches!(inner.phase, Phase::Open) {
            return Err(error::throw(env, &tx_state_error("this transaction no longer takes edits: it was prepared, committed or aborted")));
        }
        inner.edits.push(edit);
        Ok(())
    }

    /// What `commit` runs: the prepared transaction's writes, or the whole of it.
    fn take_for_commit(&mut self) -> std::result::Result<std::result::Result<Box<dyn Prepared>, Vec<Edit>>, CoreError> {
        let mut inner = self.inner.borrow_mut();
        match std::mem::replace(&mut inner.phase, Phase::Done) {
            Phase::Open => Ok(Err(std::mem::take(&mut inner.edits))),
            Phase::Prepared(p) => Ok(Ok(p)),
            Phase::Preparing { aborted } => {
                inner.phase = Phase::Preparing { aborted };
                Err(tx_state_error("prepare() has not finished: await it before commit()"))
            }
            Phase::Done => Err(tx_state_error("the transaction was already committed or aborted")),
        }
    }

    fn take_for_prepare(&mut self) -> std::result::Result<Vec<Edit>, CoreError> {
        let mut inner = self.inner.borrow_mut();
        if !matches!(inner.phase, Phase::Open) {
            return Err(tx_state_error("the transaction was already prepared, committed or aborted"));
        }
        inner.phase = Phase::Preparing { aborted: false };
        Ok(std::mem::take(&mut inner.edits))
    }

    /// Store the result of a prepare (on the JS thread).
    fn prepared(inner: &RefCell<TxInner>, r: std::result::Result<Box<dyn Prepared>, CoreError>) -> std::result::Result<(), CoreError> {
        let mut inner = inner.borrow_mut();
        match r {
            Ok(p) => {
                // An abort() that came while preparing drops the locks right away.
                if matches!(inner.phase, Phase::Preparing { aborted: false }) {
                    inner.phase = Phase::Prepared(p);
                } else {
                    inner.phase = Phase::Done;
                }
                Ok(())
            }
            Err(e) => {
                inner.phase = Phase::Done;
                Err(e)
            }
        }
    }
}

fn run_prepare(repo: &crate::core::repo::Repository, edits: Vec<Edit>) -> std::result::Result<Box<dyn Prepared>, CoreError> {
    repo.refs.prepare(edits, &tx_context(repo))
}

#[napi]
impl RefTransaction {
    /// Create `name` at `oid`; the commit fails with `ERR_REF_EXISTS` if it exists.
    #[napi(ts_args_type = "name: string, oid: string, options?: { message?: string }", ts_return_type = "this")]
    pub fn create<'a>(&mut self, env: Env, this: This<'a>, name: String, oid: String, options: Option<JsRaw>) -> Result<This<'a>> {
        let e = env.raw();
        let edit = Edit { change: Change::Update(parse_oid_arg(e, &oid)?), expect: Expect::MustNotExist { create: true }, message: message_from(e, &options)?, name, deref: true };
        self.push(e, edit)?;
        Ok(this)
    }

    /// Point `name` at `oid`; `expectedOld: null` means it must not exist;
    /// `noDeref: true` overwrites a symbolic `name` itself instead of the ref it names.
    #[napi(ts_args_type = "name: string, oid: string, options?: { expectedOld?: string | null; message?: string; noDeref?: boolean }", ts_return_type = "this")]
    pub fn update<'a>(&mut self, env: Env, this: This<'a>, name: String, oid: String, options: Option<JsRaw>) -> Result<This<'a>> {
        let edit = update_edit(env.raw(), name, &oid, &options)?;
        self.push(env.raw(), edit)?;
        Ok(this)
    }

    /// Delete `name` (`noDeref: true` deletes a symbolic `name` itself).
    #[napi(ts_args_type = "name: string, options?: { expectedOld?: string; message?: string; noDeref?: boolean }", ts_return_type = "this")]
    pub fn delete<'a>(&mut self, env: Env, this: This<'a>, name: String, options: Option<JsRaw>) -> Result<This<'a>> {
        let edit = delete_edit(env.raw(), name, &options)?;
        self.push(env.raw(), edit)?;
        Ok(this)
    }

    /// Only check that `name` holds `expectedOld` (null: does not exist).
    #[napi(ts_args_type = "name: string, expectedOld: string | null", ts_return_type = "this")]
    pub fn verify<'a>(&mut self, env: Env, this: This<'a>, name: String, expected_old: Option<String>) -> Result<This<'a>> {
        let e = env.raw();
        let expect = match expected_old {
            Some(s) => Expect::MustMatch(parse_oid_arg(e, &s)?),
            None => Expect::MustNotExist { create: false },
        };
        self.push(e, Edit { name, change: Change::Verify, expect, message: None, deref: true })?;
        Ok(this)
    }

    /// Make `name` a symbolic ref to `target`.
    #[napi(ts_args_type = "name: string, target: string, options?: { message?: string }", ts_return_type = "this")]
    pub fn set_symbolic<'a>(&mut self, env: Env, this: This<'a>, name: String, target: String, options: Option<JsRaw>) -> Result<This<'a>> {
        let e = env.raw();
        let edit = Edit { name, change: Change::Symbolic(target), expect: Expect::Any, message: message_from(e, &options)?, deref: true };
        self.push(e, edit)?;
        Ok(this)
    }

    /// Take every lock and check every expected value without writing (git's
    /// `prepare`); then `commit()` writes or `abort()` releases. Rejects with the
    /// commit's error codes, and then nothing is held.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn prepare(&mut self, env: Env) -> Result<JsRaw> {
        let e = env.raw();
        let edits = self.take_for_prepare().map_err(|err| error::throw(e, &err))?;
        let (d, p) = util::promise(e);
        let d = SendPtr(d);
        let shared = self.state.shared.clone();
        let inner = self.inner.clone();
        self.state.spawn_job(
            e,
            move || error::guard(|| {
                shared.check_open()?;
                run_prepare(&shared.repo, edits)
            }),
            move |_, env, r| {
                let d = d;
                let r = RefTransaction::prepared(&inner, r);
                util::settle(env, d.0, r.map(|_| undefined(env, &())).map_err(|err| error::make(env, &err)));
            },
        );
        Ok(JsRaw(p))
    }

    /// `prepare`, synchronously.
    #[napi]
    pub fn prepare_sync(&mut self, env: Env) -> Result<()> {
        let e = env.raw();
        let edits = self.take_for_prepare().map_err(|err| error::throw(e, &err))?;
        let shared = &self.state.shared;
        let r = error::guard(|| {
            shared.check_open()?;
            run_prepare(&shared.repo, edits)
        });
        RefTransaction::prepared(&self.inner, r).map_err(|err| error::throw(e, &err))
    }

    /// Commit every edit, or none.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn commit(&mut self, env: Env) -> Result<JsRaw> {
        let work = self.take_for_commit().map_err(|err| error::throw(env.raw(), &err))?;
        let db = RefDatabase { state: self.state.clone() };
        Ok(db.promise(env.raw(), move |r| match work {
            Ok(p) => p.commit(),
            Err(edits) => run_transaction(r, edits),
        }, undefined))
    }

    /// Commit every edit, or none, synchronously.
    #[napi]
    pub fn commit_sync(&mut self, env: Env) -> Result<()> {
        let work = self.take_for_commit().map_err(|err| error::throw(env.raw(), &err))?;
        let db = RefDatabase { state: self.state.clone() };
        db.sync(env.raw(), |r| match work {
            Ok(p) => p.commit(),
            Err(edits) => run_transaction(r, edits),
        }, undefined).map(|_| ())
    }

    /// Drop the queued edits, releasing the locks of a prepared transaction;
    /// nothing is written.
    #[napi]
    pub fn abort(&mut self) {
        let mut inner = self.inner.borrow_mut();
        inner.edits.clear();
        inner.phase = match std::mem::replace(&mut inner.phase, Phase::Done) {
            Phase::Preparing { .. } => Phase::Preparing { aborted: true },
            _ => Phase::Done,
        };
    }
}

fn reflog_array(env: sys::napi_env, entries: &Vec<crate::core::refs::reflog::Entry>) -> sys::napi_value {
    let items: Vec<_> = entries
        .iter()
        .map(|e| {
            let o = util::object(env);
            util::set(env, o, "oldOid\0", util::string(env, &e.old.to_hex()));
            util::set(env, o, "newOid\0", util::string(env, &e.new.to_hex()));
            util::set(env, o, "committer\0", crate::js::objects::signature(env, &e.committer));
            util::set(env, o, "message\0", util::string(env, &e.message));
            o
        })
        .collect();
    util::array(env, &items)
}

fn read_reflog(r: &crate::core::repo::Repository, name: &str) -> std::result::Result<Vec<crate::core::refs::reflog::Entry>, CoreError> {
    check_full(name)?;
    r.refs.reflog(name)
}

fn pack(r: &crate::core::repo::Repository, all: bool, prune: bool) -> std::result::Result<(), CoreError> {
    let opts = crate::core::refs::pack::Options { all, prune };
    r.refs.pack_refs(opts, &r.odb, &r.config)
}

/// A boolean property of an options object (`default` when absent, undefined or null).
fn bool_option(env: sys::napi_env, options: &Option<JsRaw>, key: &'static str, default: bool) -> Result<bool> {
    let Some(obj) = options else { return Ok(default) };
    let mut t = sys::ValueType::napi_undefined;
    // SAFETY: obj is a live value of this env; key is NUL-terminated.
    unsafe {
        sys::napi_typeof(env, obj.0, &mut t);
        if t != sys::ValueType::napi_object {
            return Ok(default);
        }
        let mut v = std::ptr::null_mut();
        sys::napi_get_named_property(env, obj.0, key.as_ptr().cast(), &mut v);
        sys::napi_typeof(env, v, &mut t);
        if t == sys::ValueType::napi_undefined || t == sys::ValueType::napi_null {
            return Ok(default);
        }
        bool::from_napi_value(env, v)
    }
}

fn pack_options(env: sys::napi_env, options: &Option<JsRaw>) -> Result<(bool, bool)> {
    Ok((bool_option(env, options, "all\0", false)?, bool_option(env, options, "prune\0", true)?))
}

#[napi]
impl RefDatabase {
    /// The reflog of `name`, newest first.
    #[napi(ts_return_type = "Promise<ReflogEntry[]>")]
    pub fn reflog(&self, env: Env, name: String) -> JsRaw {
        self.promise(env.raw(), move |r| read_reflog(r, &name), reflog_array)
    }

    /// The reflog of `name`, newest first, synchronously.
    #[napi(ts_return_type = "ReflogEntry[]")]
    pub fn reflog_sync(&self, env: Env, name: String) -> Result<JsRaw> {
        self.sync(env.raw(), |r| read_reflog(r, &name), reflog_array)
    }

    /// Pack refs into `packed-refs` as `git pack-refs` does (`all`: every ref, not
    /// just tags and already-packed ones; `prune` (default true): remove the loose files).
    #[napi(ts_args_type = "options?: { all?: boolean; prune?: boolean }", ts_return_type = "Promise<void>")]
    pub fn pack_refs(&self, env: Env, options: Option<JsRaw>) -> Result<JsRaw> {
        let (all, prune) = pack_options(env.raw(), &options)?;
        Ok(self.promise(env.raw(), move |r| pack(r, all, prune), undefined))
    }

    /// `packRefs`, synchronously.
    #[napi(ts_args_type = "options?: { all?: boolean; prune?: boolean }")]
    pub fn pack_refs_sync(&self, env: Env, options: Option<JsRaw>) -> Result<()> {
        let (all, prune) = pack_options(env.raw(), &options)?;
        self.sync(env.raw(), |r| pack(r, all, prune), undefined).map(|_| ())
    }
}
