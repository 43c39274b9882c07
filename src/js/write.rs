//! Writing for JS: blobs, trees, commits (optionally moving a ref through a
//! transaction), annotated tags; `Repository.init` and `Repository.inMemory`.

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::core::error::Error as CoreError;
use crate::core::object::build::{NewCommit, NewTreeEntry};
use crate::core::object::Signature;
use crate::core::oid::ObjectId;
use crate::core::refs::transaction::{Change, Edit, Expect};
use crate::core::refs::TxContext;
use crate::core::repo;
use crate::js::error;
use crate::js::repository::{open_options, open_with, RepoState, Repository};
use crate::js::util::{self, JsRaw};

type CoreResult<T> = std::result::Result<T, CoreError>;

fn string_prop(env: sys::napi_env, obj: sys::napi_value, key: &'static str, what: &str) -> Result<String> {
    let v = util::get(env, obj, key);
    if util::type_of(env, v) != sys::ValueType::napi_string {
        return Err(throw_type(env, format!("{what}.{} must be a string", key.trim_end_matches('\0'))));
    }
    // SAFETY: v is a live string of this env.
    unsafe { String::from_napi_value(env, v) }
}

fn number_prop(env: sys::napi_env, obj: sys::napi_value, key: &'static str) -> Result<Option<f64>> {
    let v = util::get(env, obj, key);
    match util::type_of(env, v) {
        sys::ValueType::napi_undefined | sys::ValueType::napi_null => Ok(None),
        // SAFETY: v is a live number of this env.
        sys::ValueType::napi_number => Ok(Some(unsafe { f64::from_napi_value(env, v)? })),
        _ => Err(throw_type(env, format!("{} must be a number", key.trim_end_matches('\0')))),
    }
}

/// Throw a `TypeError` for a malformed argument (a caller's bug, not a git error).
fn throw_type(env: sys::napi_env, message: String) -> napi::Error {
    let msg = util::string(env, &message);
    let mut err = std::ptr::null_mut();
    // SAFETY: env is live and no exception is pending.
    unsafe {
        sys::napi_create_type_error(env, std::ptr::null_mut(), msg, &mut err);
        sys::napi_throw(env, err);
    }
    napi::Error::new(Status::PendingException, message)
}

/// A `SignatureInput`: `{ name, email, seconds?, offset? }`, defaulting to now in the local zone.
fn signature(env: sys::napi_env, v: sys::napi_value, what: &str) -> Result<Signature> {
    if util::type_of(env, v) != sys::ValueType::napi_object {
        return Err(throw_type(env, format!("{what} must be an object {{ name, email, seconds?, offset? }}")));
    }
    let name = string_prop(env, v, "name\0", what)?;
    let email = string_prop(env, v, "email\0", what)?;
    let (now, _) = crate::core::identity::now();
    let seconds = match number_prop(env, v, "seconds\0")? {
        Some(s) if s.fract() == 0.0 && s.abs() < 1e15 => s as i64,
        Some(s) => return Err(throw_type(env, format!("{what}.seconds must be a whole number, got {s}"))),
        None => now,
    };
    let offset = match number_prop(env, v, "offset\0")? {
        Some(o) if o.fract() == 0.0 && o.abs() < 6000.0 => o as i32,
        Some(o) => return Err(throw_type(env, format!("{what}.offset must be whole minutes east of UTC, got {o}"))),
        None => crate::core::identity::local_offset_minutes(seconds),
    };
    Ok(Signature { name, email, seconds, offset })
}

/// `data` of writeBlob: a Buffer (or any Uint8Array) or a string (UTF-8); else a TypeError.
fn bytes(env: sys::napi_env, v: &JsRaw) -> Result<Vec<u8>> {
    if util::type_of(env, v.0) == sys::ValueType::napi_string {
        // SAFETY: v is a live string of this env.
        return Ok(unsafe { String::from_napi_value(env, v.0)? }.into_bytes());
    }
    let mut is_typed = false;
    // SAFETY: v is a live value of this env.
    unsafe { sys::napi_is_typedarray(env, v.0, &mut is_typed) };
    if is_typed {
        let mut kind = 0;
        let mut len = 0usize;
        let mut data = std::ptr::null_mut();
        let mut ab = std::ptr::null_mut();
        let mut offset = 0usize;
        // SAFETY: v is a live typed array; napi fills in its element type, length and data pointer.
        unsafe { sys::napi_get_typedarray_info(env, v.0, &mut kind, &mut len, &mut data, &mut ab, &mut offset) };
        if kind == sys::TypedarrayType::uint8_array && (!data.is_null() || len == 0) {
            if len == 0 {
                return Ok(Vec::new());
            }
            // SAFETY: the typed array's data is valid for `len` bytes while we copy it on this thread.
            return Ok(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) }.to_vec());
        }
    }
    Err(throw_type(env, "writeBlob(data): data must be a Buffer, a Uint8Array or a string".into()))
}

/// A revision that must resolve (an oid is taken as is).
fn rev(r: &repo::Repository, spec: &str) -> CoreResult<ObjectId> {
    match ObjectId::parse(spec) {
        Ok(id) => Ok(id),
        Err(_) => r.rev_parse(spec),
    }
}

struct TreeInput {
    entries: Vec<(String, u32, String)>,
}

fn tree_input(env: sys::napi_env, entries: JsRaw) -> Result<TreeInput> {
    let mut is_array = false;
    // SAFETY: entries is a live value of this env.
    unsafe { sys::napi_is_array(env, entries.0, &mut is_array) };
    if !is_array {
        return Err(throw_type(env, "writeTree(entries): entries must be an array of { name, mode, oid }".into()));
    }
    let mut len = 0u32;
    // SAFETY: entries is a live array of this env.
    unsafe { sys::napi_get_array_length(env, entries.0, &mut len) };
    let mut out = Vec::with_capacity(len as usize);
    for i in 0..len {
        let mut e = std::ptr::null_mut();
        // SAFETY: i is within the array's length.
        unsafe { sys::napi_get_element(env, entries.0, i, &mut e) };
        if util::type_of(env, e) != sys::ValueType::napi_object {
            return Err(throw_type(env, format!("writeTree: entry {i} must be an object {{ name, mode, oid }}")));
        }
        let name = string_prop(env, e, "name\0", "entry")?;
        let oid = string_prop(env, e, "oid\0", "entry")?;
        let m = util::get(env, e, "mode\0");
        let mode = match util::type_of(env, m) {
            sys::ValueType::napi_number => {
                // SAFETY: m is a live number of this env.
                let f = unsafe { f64::from_napi_value(env, m)? };
                if f.fract() != 0.0 || !(0.0..=u32::MAX as f64).contains(&f) {
                    return Err(throw_type(env, format!("writeTree: entry {name:?} has mode {f}, not a whole number")));
                }
                f as u32
            }
            sys::ValueType::napi_string => {
                // SAFETY: m is a live string of this env.
                let s = unsafe { String::from_napi_value(env, m)? };
                u32::from_str_radix(&s, 8).map_err(|_| throw_type(env, format!("writeTree: entry {name:?} has mode {s:?}, not octal")))?
            }
            _ => return Err(throw_type(env, format!("writeTree: entry {name:?} needs a mode (e.g. 0o100644)"))),
        };
        out.push((name, mode, oid));
    }
    Ok(TreeInput { entries: out })
}

fn write_tree(r: &repo::Repository, t: &TreeInput) -> CoreResult<ObjectId> {
    let mut entries = Vec::with_capacity(t.entries.len());
    for (name, mode, oid) in &t.entries {
        entries.push(NewTreeEntry { name: name.as_bytes().to_vec(), mode: *mode, oid: ObjectId::parse(oid)? });
    }
    r.write_tree(&entries)
}

struct CommitInput {
    tree: String,
    parents: Vec<String>,
    author: Signature,
    committer: Signature,
    message: String,
    update_ref: Option<String>,
}

fn commit_input(env: sys::napi_env, c: JsRaw) -> Result<CommitInput> {
    let c = c.0;
    if util::type_of(env, c) != sys::ValueType::napi_object {
        return Err(throw_type(env, "writeCommit(c): c must be { tree, parents, author, committer?, message, updateRef? }".into()));
    }
    let tree = string_prop(env, c, "tree\0", "commit")?;
    let p = util::get(env, c, "parents\0");
    let parents = if util::absent(env, p) {
        Vec::new()
    } else {
        // SAFETY: p is a live value of this env; napi-rs checks it is an array of strings.
        unsafe { Vec::<String>::from_napi_value(env, p) }.map_err(|_| throw_type(env, "commit.parents must be an array of strings".into()))?
    };
    let author = signature(env, util::get(env, c, "author\0"), "commit.author")?;
    let cv = util::get(env, c, "committer\0");
    let committer = if util::absent(env, cv) { author.clone() } else { signature(env, cv, "commit.committer")? };
    let message = string_prop(env, c, "message\0", "commit")?;
    let u = util::get(env, c, "updateRef\0");
    let update_ref = if util::absent(env, u) { None } else { Some(string_prop(env, c, "updateRef\0", "commit")?) };
    Ok(CommitInput { tree, parents, author, committer, message, update_ref })
}

/// git commit's reflog message: `commit: <subject>`, `commit (initial): …`, `commit (merge): …`.
fn reflog_message(parents: usize, message: &str) -> String {
    // git commit takes the message's first line, as it is.
    let subject = message.split('\n').next().unwrap_or("");
    let kind = match parents {
        0 => "commit (initial)",
        1 => "commit",
        _ => "commit (merge)",
    };
    format!("{kind}: {subject}")
}

fn write_commit(r: &repo::Repository, c: &CommitInput) -> CoreResult<ObjectId> {
    let tree = r.rev_parse(&format!("{}^{{tree}}", c.tree))?;
    let mut parents: Vec<ObjectId> = Vec::with_capacity(c.parents.len());
    for p in &c.parents {
        let id = r.rev_parse(&format!("{p}^{{commit}}"))?;
        // A repeated parent is dropped, as git commit-tree drops it ("duplicate parent ... ignored").
        if !parents.contains(&id) {
            parents.push(id);
        }
    }
    let nc = NewCommit {
        tree,
        parents: parents.clone(),
        author: c.author.clone(),
        committer: c.committer.clone(),
        encoding: None,
        extra_headers: Vec::new(),
        message: c.message.as_bytes().to_vec(),
    };
    let id = r.write_commit(&nc)?;
    if let Some(name) = &c.update_ref {
        // The ref moves only from the commit's first parent (or from nothing, for a root commit).
        let expect = match parents.first() {
            Some(p) => Expect::MustMatch(*p),
            None => Expect::MustNotExist { create: false },
        };
        let mut edit = Edit::new(name.clone(), Change::Update(id), expect);
        edit.message = Some(reflog_message(parents.len(), &c.message));
        // The reflog names the commit's committer, as git commit's does.
        let ctx = TxContext { odb: &r.odb, config: &r.config, is_bare: r.layout.is_bare, committer: c.committer.clone() };
        r.refs.commit(vec![edit], &ctx)?;
    }
    Ok(id)
}

struct TagInput {
    target: String,
    name: String,
    tagger: Signature,
    message: String,
}

fn tag_input(env: sys::napi_env, t: JsRaw) -> Result<TagInput> {
    let t = t.0;
    if util::type_of(env, t) != sys::ValueType::napi_object {
        return Err(throw_type(env, "writeTag(t): t must be { target, name, tagger, message }".into()));
    }
    Ok(TagInput {
        target: string_prop(env, t, "target\0", "tag")?,
        name: string_prop(env, t, "name\0", "tag")?,
        tagger: signature(env, util::get(env, t, "tagger\0"), "tag.tagger")?,
        message: string_prop(env, t, "message\0", "tag")?,
    })
}

fn write_tag(r: &repo::Repository, t: &TagInput) -> CoreResult<ObjectId> {
    let target = rev(r, &t.target)?;
    r.write_tag(&target, &t.name, Some(t.tagger.clone()), t.message.as_bytes())
}

fn oid_string(env: sys::napi_env, id: &ObjectId) -> sys::napi_value {
    util::string(env, &id.to_hex())
}

impl Repository {
    fn write_job<T: Send + 'static>(&self, env: sys::napi_env, input: T, f: fn(&repo::Repository, &T) -> CoreResult<ObjectId>) -> JsRaw {
        self.state.run_promise(env, move |r| f(r, &input), oid_string)
    }

    fn write_now<T>(&self, env: sys::napi_env, input: T, f: fn(&repo::Repository, &T) -> CoreResult<ObjectId>) -> Result<String> {
        let shared = &self.state.shared;
        error::guard(|| {
            shared.check_open()?;
            f(&shared.repo, &input)
        })
        .map(|id| id.to_hex())
        .map_err(|e| error::throw(env, &e))
    }
}

fn blob(r: &repo::Repository, data: &Vec<u8>) -> CoreResult<ObjectId> {
    r.write_blob(data)
}

fn init_options(env: sys::napi_env, options: &Option<JsRaw>) -> Result<(bool, Option<String>)> {
    let Some(JsRaw(o)) = options else { return Ok((false, None)) };
    if util::type_of(env, *o) != sys::ValueType::napi_object {
        return Ok((false, None));
    }
    let b = util::get(env, *o, "bare\0");
    // SAFETY: b is a live boolean of this env.
    let bare = if util::type_of(env, b) == sys::ValueType::napi_boolean { unsafe { bool::from_napi_value(env, b)? } } else { false };
    let ib = util::get(env, *o, "initialBranch\0");
    let branch = if util::absent(env, ib) { None } else { Some(string_prop(env, *o, "initialBranch\0", "options")?) };
    Ok((bare, branch))
}

#[napi]
impl Repository {
    /// Create a repository at `path` as `git init` does (`bare`, `initialBranch`);
    /// an existing repository there is opened unchanged.
    #[napi(ts_args_type = "path: string, options?: { bare?: boolean; initialBranch?: string }", ts_return_type = "Promise<Repository>")]
    pub fn init(env: Env, path: String, options: Option<JsRaw>) -> Result<JsRaw> {
        let (bare, branch) = init_options(env.raw(), &options)?;
        let opts = open_options(env.raw(), None);
        Ok(JsRaw(open_with(env.raw(), move || repo::Repository::init_with(std::path::Path::new(&path), bare, branch.as_deref(), &opts))))
    }

    /// `init`, synchronously.
    #[napi(ts_args_type = "path: string, options?: { bare?: boolean; initialBranch?: string }")]
    pub fn init_sync(env: Env, path: String, options: Option<JsRaw>) -> Result<Repository> {
        let (bare, branch) = init_options(env.raw(), &options)?;
        let opts = open_options(env.raw(), None);
        let core = error::guard(|| repo::Repository::init_with(std::path::Path::new(&path), bare, branch.as_deref(), &opts))
            .map_err(|e| error::throw(env.raw(), &e))?;
        Ok(Repository { state: RepoState::new(core) })
    }

    /// A repository held in memory only: objects and refs (`HEAD` names an unborn `refs/heads/main`).
    #[napi]
    pub fn in_memory() -> Repository {
        Repository { state: RepoState::new(repo::Repository::in_memory()) }
    }

    /// Store `data` as a blob; resolves to its id (an existing object is not rewritten).
    #[napi(ts_args_type = "data: Buffer | Uint8Array | string", ts_return_type = "Promise<string>")]
    pub fn write_blob(&self, env: Env, data: JsRaw) -> Result<JsRaw> {
        let data = bytes(env.raw(), &data)?;
        Ok(self.write_job(env.raw(), data, blob))
    }

    /// `writeBlob`, synchronously.
    #[napi(ts_args_type = "data: Buffer | Uint8Array | string")]
    pub fn write_blob_sync(&self, env: Env, data: JsRaw) -> Result<String> {
        let data = bytes(env.raw(), &data)?;
        self.write_now(env.raw(), data, blob)
    }

    /// Store a tree of `entries` (sorted as git sorts them; `mode` e.g. `0o100644`,
    /// `0o100755`, `0o120000`, `0o040000`, `0o160000`). Names `''`, `.`, `..`,
    /// `.git` (any case), or with `/` or NUL are refused (`ERR_CORRUPT_OBJECT`),
    /// as are duplicates; every entry's object must exist (gitlinks excepted).
    #[napi(ts_args_type = "entries: { name: string; mode: number; oid: string }[]", ts_return_type = "Promise<string>")]
    pub fn write_tree(&self, env: Env, entries: JsRaw) -> Result<JsRaw> {
        let t = tree_input(env.raw(), entries)?;
        Ok(self.write_job(env.raw(), t, write_tree))
    }

    /// `writeTree`, synchronously.
    #[napi(ts_args_type = "entries: { name: string; mode: number; oid: string }[]")]
    pub fn write_tree_sync(&self, env: Env, entries: JsRaw) -> Result<String> {
        let t = tree_input(env.raw(), entries)?;
        self.write_now(env.raw(), t, write_tree)
    }

    /// Store a commit (`committer` defaults to `author`; times default to now in
    /// the local zone). With `updateRef` (e.g. `'HEAD'` or `'refs/heads/main'`)
    /// the ref is moved to it in a transaction that requires it to hold the first
    /// parent (or not to exist, for a root commit), with git commit's reflog entry.
    #[napi(
        ts_args_type = "c: { tree: string; parents: string[]; author: SignatureInput; committer?: SignatureInput; message: string; updateRef?: string }",
        ts_return_type = "Promise<string>"
    )]
    pub fn write_commit(&self, env: Env, c: JsRaw) -> Result<JsRaw> {
        let c = commit_input(env.raw(), c)?;
        Ok(self.write_job(env.raw(), c, write_commit))
    }

    /// `writeCommit`, synchronously.
    #[napi(ts_args_type = "c: { tree: string; parents: string[]; author: SignatureInput; committer?: SignatureInput; message: string; updateRef?: string }")]
    pub fn write_commit_sync(&self, env: Env, c: JsRaw) -> Result<String> {
        let c = commit_input(env.raw(), c)?;
        self.write_now(env.raw(), c, write_commit)
    }

    /// Store an annotated tag object (no ref is created: `refs.create` one).
    #[napi(ts_args_type = "t: { target: string; name: string; tagger: SignatureInput; message: string }", ts_return_type = "Promise<string>")]
    pub fn write_tag(&self, env: Env, t: JsRaw) -> Result<JsRaw> {
        let t = tag_input(env.raw(), t)?;
        Ok(self.write_job(env.raw(), t, write_tag))
    }

    /// `writeTag`, synchronously.
    #[napi(ts_args_type = "t: { target: string; name: string; tagger: SignatureInput; message: string }")]
    pub fn write_tag_sync(&self, env: Env, t: JsRaw) -> Result<String> {
        let t = tag_input(env.raw(), t)?;
        self.write_now(env.raw(), t, write_tag)
    }
}
