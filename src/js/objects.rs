//! The JS object classes: `Commit`, `Tree`, `Blob`, `Tag`. Each wraps the
//! parsed object shared with the loader (`Arc`), and converts fields when read.

use std::cell::Cell;
use std::ptr;
use std::rc::Rc;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::core::object::{self, Kind, Object, Parsed, Signature};
use crate::core::oid::ObjectId;
use crate::js::repository::RepoState;
use crate::js::util::{self, JsRaw};

/// Native bookkeeping per JS object besides its data: the wrap, napi-rs's and our
/// napi references, the identity-map entry, the parse (measured roughly).
const PER_OBJECT_OVERHEAD: usize = 512;

/// Bytes an object holds outside the JS heap, reported to V8 so that garbage
/// collection keeps pace with native memory.
fn external_size(obj: &Object) -> i64 {
    (obj.data.capacity() + std::mem::size_of::<Object>() + PER_OBJECT_OVERHEAD) as i64
}

/// Make the JS object for a loaded object. Commits are made by `index.js`
/// (see [`CommitBatch`]); the other kinds are native classes.
pub fn to_js(env: sys::napi_env, repo: &Rc<RepoState>, obj: Arc<Object>) -> napi::Result<sys::napi_value> {
    let e = Env::from_raw(env);
    let repo = repo.clone();
    Ok(match obj.kind {
        Kind::Commit => {
            let made = make_commits(env, &repo, &CommitBatch::new([&*obj]), None)?;
            element(env, made, 0)
        }
        kind => {
            e.adjust_external_memory(external_size(&obj))?;
            match kind {
                Kind::Tree => Tree { obj, repo }.into_instance(&e)?.value,
                Kind::Blob => Blob { obj, repo }.into_instance(&e)?.value,
                _ => Tag { obj, repo }.into_instance(&e)?.value,
            }
        }
    })
}

/// `arr[i]`.
pub fn element(env: sys::napi_env, arr: sys::napi_value, i: u32) -> sys::napi_value {
    let mut v = ptr::null_mut();
    // SAFETY: arr is a live value of this env.
    unsafe { sys::napi_get_element(env, arr, i, &mut v) };
    v
}

/// Text fields of a batch joined by NUL, or as separate strings when one of
/// them holds a NUL itself (a header line of a hand-made object can).
enum Joined {
    One(String),
    Many(Vec<String>),
}

impl Joined {
    fn of(parts: Vec<String>) -> Joined {
        if parts.iter().any(|p| p.contains('\0')) {
            Joined::Many(parts)
        } else {
            Joined::One(parts.join("\0"))
        }
    }

    fn to_js(&self, env: sys::napi_env) -> sys::napi_value {
        match self {
            Joined::One(s) => util::string(env, s),
            Joined::Many(v) => {
                let items: Vec<_> = v.iter().map(|s| util::string(env, s)).collect();
                util::array(env, &items)
            }
        }
    }
}

/// Everything `index.js` needs to make the `Commit` objects of a batch, built
/// off the main thread where it can be (on the worker, for `log`), so a batch
/// of JS commits costs a few crossings rather than several per commit. A JS
/// `Commit` keeps its batch and index and cuts each field from these runs when
/// it is first read (see `CommitData` in index.js for the layout).
pub struct CommitBatch {
    pub oids: Vec<ObjectId>,
    hex: Vec<u8>,
    trees: Vec<u8>,
    parents: Vec<u8>,
    /// `name, email, seconds, offset` of the author, then the committer: 8 per commit.
    people: Joined,
    summaries: Joined,
    messages: String,
    raw: Vec<u8>,
    /// Per commit, running totals: parents, raw bytes, message UTF-16 units.
    ends: Vec<f64>,
    encodings: Option<Vec<Option<String>>>,
    gpgsigs: Option<Vec<Option<String>>>,
}

impl CommitBatch {
    /// The batch of these objects' commits (other kinds are left out).
    pub fn new<'a>(objs: impl IntoIterator<Item = &'a Object>) -> CommitBatch {
        let mut b = CommitBatch {
            oids: Vec::new(),
            hex: Vec::new(),
            trees: Vec::new(),
            parents: Vec::new(),
            people: Joined::One(String::new()),
            summaries: Joined::One(String::new()),
            messages: String::new(),
            raw: Vec::new(),
            ends: Vec::new(),
            encodings: None,
            gpgsigs: None,
        };
        let mut people = Vec::new();
        let mut summaries = Vec::new();
        let (mut np, mut nm) = (0usize, 0usize);
        for obj in objs {
            let Parsed::Commit(c) = &obj.parsed else { continue };
            let i = b.oids.len();
            b.oids.push(obj.oid);
            obj.oid.write_hex(&mut b.hex);
            c.tree.write_hex(&mut b.trees);
            for p in &c.parents {
                p.write_hex(&mut b.parents);
            }
            np += c.parents.len();
            for s in [&c.author, &c.committer] {
                people.push(s.name.clone());
                people.push(s.email.clone());
                people.push(s.seconds.to_string());
                people.push(s.offset.to_string());
            }
            let msg = obj.data.get(c.message_start..).unwrap_or_default();
            summaries.push(object::commit::summary(msg));
            let text = String::from_utf8_lossy(msg);
            nm += if text.is_ascii() { text.len() } else { text.chars().map(char::len_utf16).sum() };
            b.messages.push_str(&text);
            b.raw.extend_from_slice(&obj.data);
            b.ends.extend_from_slice(&[np as f64, b.raw.len() as f64, nm as f64]);
            for (field, value) in [(&mut b.encodings, &c.encoding), (&mut b.gpgsigs, &c.gpgsig)] {
                if value.is_some() && field.is_none() {
                    *field = Some(vec![None; i]);
                }
                if let Some(f) = field {
                    f.push(value.clone());
                }
            }
        }
        b.people = Joined::of(people);
        b.summaries = Joined::of(summaries);
        b
    }

    /// `[oids, trees, parents, people, summaries, messages, raw, ends, encodings, gpgsigs]`.
    fn to_js(&self, env: sys::napi_env) -> sys::napi_value {
        let optional = |v: &Option<Vec<Option<String>>>| match v {
            None => util::null(env),
            Some(v) => {
                let items: Vec<_> = v.iter().map(|s| s.as_deref().map_or_else(|| util::null(env), |s| util::string(env, s))).collect();
                util::array(env, &items)
            }
        };
        util::array(
            env,
            &[
                util::latin1(env, &self.hex),
                util::latin1(env, &self.trees),
                util::latin1(env, &self.parents),
                self.people.to_js(env),
                self.summaries.to_js(env),
                util::string(env, &self.messages),
                util::buffer(env, &self.raw),
                util::float64_array(env, &self.ends),
                optional(&self.encodings),
                optional(&self.gpgsigs),
            ],
        )
    }
}

thread_local! {
    /// `index.js`'s maker of `Commit` objects: `(source, batch, indexes | null) => Commit[]`.
    static COMMIT_MAKER: Cell<sys::napi_ref> = const { Cell::new(ptr::null_mut()) };
}

/// Internal: `index.js` hands over its maker of `Commit` objects once at load.
#[napi(js_name = "__setCommitMaker", skip_typescript)]
#[cfg_attr(test, allow(dead_code))]
pub fn set_commit_maker(env: Env, f: JsRaw) -> Result<()> {
    let mut r = ptr::null_mut();
    // SAFETY: f is a live value of this env; the reference keeps it for the module's life.
    unsafe { sys::napi_create_reference(env.raw(), f.0, 1, &mut r) };
    COMMIT_MAKER.with(|c| c.set(r));
    Ok(())
}

/// New JS commits for a batch: all of it, or those at the indexes `which`. One call into JS.
pub fn make_commits(env: sys::napi_env, repo: &Rc<RepoState>, batch: &CommitBatch, which: Option<&[u32]>) -> napi::Result<sys::napi_value> {
    let maker_ref = COMMIT_MAKER.with(Cell::get);
    if maker_ref.is_null() {
        return Err(napi::Error::from_reason("ferrogit: load the package through its index.js"));
    }
    let which = match which {
        None => util::null(env),
        Some(w) => {
            let items: Vec<_> = w.iter().map(|&i| util::number(env, i as f64)).collect();
            util::array(env, &items)
        }
    };
    let args = [repo.source(env)?, batch.to_js(env), which];
    let mut maker = ptr::null_mut();
    let mut undefined = ptr::null_mut();
    let mut out = ptr::null_mut();
    // SAFETY: the maker's reference was made on this thread; args belong to env.
    let status = unsafe {
        sys::napi_get_reference_value(env, maker_ref, &mut maker);
        sys::napi_get_undefined(env, &mut undefined);
        sys::napi_call_function(env, undefined, maker, args.len(), args.as_ptr(), &mut out)
    };
    if status != sys::Status::napi_ok || out.is_null() {
        return Err(napi::Error::from_reason(format!("making Commit objects failed (napi status {status})")));
    }
    Ok(out)
}

/// What a JS `Commit` reads its tree and parents through: the repository's
/// reads, identity map included. One per repository while a commit holds it
/// (see `RepoState::source`).
#[napi(js_name = "__Source")]
pub struct Source {
    pub(crate) repo: Rc<RepoState>,
}

fn kind_of(kind: &str) -> Option<Kind> {
    match kind {
        "commit" => Some(Kind::Commit),
        "tree" => Some(Kind::Tree),
        "blob" => Some(Kind::Blob),
        "tag" => Some(Kind::Tag),
        _ => None,
    }
}

#[napi]
impl Source {
    /// Read `oid` as a `kind`.
    #[napi]
    pub fn read(&self, env: Env, oid: String, kind: String) -> JsRaw {
        JsRaw(self.repo.read_async(env.raw(), &oid, kind_of(&kind)))
    }
    /// Read `oid` as a `kind`, synchronously.
    #[napi]
    pub fn read_sync(&self, env: Env, oid: String, kind: String) -> Result<JsRaw> {
        self.repo.read_sync(env.raw(), &oid, kind_of(&kind)).map(JsRaw)
    }
    /// Read every oid as a `kind`, in order.
    #[napi]
    pub fn read_many(&self, env: Env, oids: Vec<String>, kind: String) -> JsRaw {
        JsRaw(self.repo.read_many_async(env.raw(), oids, kind_of(&kind)))
    }
}

pub(crate) fn signature(env: sys::napi_env, s: &Signature) -> sys::napi_value {
    let o = util::object(env);
    util::set(env, o, "name\0", util::string(env, &s.name));
    util::set(env, o, "email\0", util::string(env, &s.email));
    util::set(env, o, "seconds\0", util::number(env, s.seconds as f64));
    util::set(env, o, "offset\0", util::number(env, s.offset as f64));
    util::set(env, o, "date\0", util::date(env, s.seconds as f64 * 1000.0));
    o
}

/// A JS tree entry: `{ name, path, mode, type, oid }`.
pub fn tree_entry(env: sys::napi_env, e: &object::TreeEntry, path: &str) -> sys::napi_value {
    let o = util::object(env);
    let name = String::from_utf8_lossy(e.name);
    util::set(env, o, "name\0", util::string(env, &name));
    util::set(env, o, "path\0", util::string(env, path));
    util::set(env, o, "mode\0", util::number(env, e.mode as f64));
    util::set(env, o, "type\0", util::string(env, e.kind().as_str()));
    util::set(env, o, "oid\0", util::string(env, &e.oid.to_hex()));
    o
}

fn message(obj: &Object, start: usize) -> String {
    String::from_utf8_lossy(obj.data.get(start..).unwrap_or_default()).into_owned()
}

/// A tree.
#[napi(custom_finalize)]
pub struct Tree {
    pub(crate) obj: Arc<Object>,
    pub(crate) repo: Rc<RepoState>,
}

impl Tree {
    fn t(&self) -> &object::Tree {
        match &self.obj.parsed {
            Parsed::Tree(t) => t,
            _ => unreachable!("a Tree is only made from a parsed tree"),
        }
    }
}

#[napi]
impl Tree {
    /// Always `'tree'`.
    #[napi(getter, js_name = "type", ts_return_type = "'tree'")]
    pub fn kind(&self) -> &'static str {
        "tree"
    }
    /// The tree's id.
    #[napi(getter)]
    pub fn oid(&self) -> String {
        self.obj.oid.to_hex()
    }
    /// The entries, in stored (git) order.
    #[napi(getter, ts_return_type = "TreeEntry[]")]
    pub fn entries(&self, env: Env) -> JsRaw {
        let env = env.raw();
        let items: Vec<_> = self
            .t()
            .entries(&self.obj.data)
            .map(|e| tree_entry(env, &e, &String::from_utf8_lossy(e.name)))
            .collect();
        JsRaw(util::array(env, &items))
    }
    /// The entry called `name`, or null.
    #[napi(ts_return_type = "TreeEntry | null")]
    pub fn get(&self, env: Env, name: String) -> JsRaw {
        let env = env.raw();
        match self.t().entries(&self.obj.data).find(|e| e.name == name.as_bytes()) {
            Some(e) => JsRaw(tree_entry(env, &e, &name)),
            None => JsRaw(util::null(env)),
        }
    }
    /// The raw object content.
    #[napi(ts_return_type = "Buffer")]
    pub fn raw(&self, env: Env) -> JsRaw {
        let _ = &self.repo;
        JsRaw(util::buffer(env.raw(), &self.obj.data))
    }
}

/// A blob.
#[napi(custom_finalize)]
pub struct Blob {
    pub(crate) obj: Arc<Object>,
    pub(crate) repo: Rc<RepoState>,
}

#[napi]
impl Blob {
    /// Always `'blob'`.
    #[napi(getter, js_name = "type", ts_return_type = "'blob'")]
    pub fn kind(&self) -> &'static str {
        "blob"
    }
    /// The blob's id.
    #[napi(getter)]
    pub fn oid(&self) -> String {
        self.obj.oid.to_hex()
    }
    /// Size in bytes.
    #[napi(getter)]
    pub fn size(&self) -> f64 {
        self.obj.data.len() as f64
    }
    /// A copy of the content.
    #[napi(ts_return_type = "Buffer")]
    pub fn content(&self, env: Env) -> JsRaw {
        let _ = &self.repo;
        JsRaw(util::buffer(env.raw(), &self.obj.data))
    }
    /// The content decoded as UTF-8 (invalid sequences replaced).
    #[napi]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.obj.data).into_owned()
    }
    /// True when git would treat the content as binary (a NUL in the first 8000 bytes).
    #[napi(getter)]
    pub fn is_binary(&self) -> bool {
        self.obj.data[..self.obj.data.len().min(8000)].contains(&0)
    }
}

/// An annotated tag.
#[napi(custom_finalize)]
pub struct Tag {
    pub(crate) obj: Arc<Object>,
    pub(crate) repo: Rc<RepoState>,
}

impl Tag {
    fn t(&self) -> &object::Tag {
        match &self.obj.parsed {
            Parsed::Tag(t) => t,
            _ => unreachable!("a Tag is only made from a parsed tag"),
        }
    }
}

#[napi]
impl Tag {
    /// Always `'tag'`.
    #[napi(getter, js_name = "type", ts_return_type = "'tag'")]
    pub fn kind(&self) -> &'static str {
        "tag"
    }
    /// The tag's id.
    #[napi(getter)]
    pub fn oid(&self) -> String {
        self.obj.oid.to_hex()
    }
    /// The id of the tagged object.
    #[napi(getter)]
    pub fn target_id(&self) -> String {
        self.t().target.to_hex()
    }
    /// The type of the tagged object.
    #[napi(getter, ts_return_type = "ObjectType")]
    pub fn target_type(&self) -> &'static str {
        self.t().target_kind.as_str()
    }
    /// The tag's name.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.t().name.clone()
    }
    /// The tagger, or null for tags without one.
    #[napi(getter, ts_return_type = "Signature | null")]
    pub fn tagger(&self, env: Env) -> JsRaw {
        let env = env.raw();
        JsRaw(match &self.t().tagger {
            Some(s) => signature(env, s),
            None => util::null(env),
        })
    }
    /// The message (with any signature block that follows it).
    #[napi(getter)]
    pub fn message(&self) -> String {
        let _ = &self.repo;
        message(&self.obj, self.t().message_start)
    }
    /// The raw object content.
    #[napi(ts_return_type = "Buffer")]
    pub fn raw(&self, env: Env) -> JsRaw {
        JsRaw(util::buffer(env.raw(), &self.obj.data))
    }
}

impl ObjectFinalize for Tree {
    fn finalize(self, env: Env) -> Result<()> {
        env.adjust_external_memory(-external_size(&self.obj))?;
        Ok(())
    }
}

impl ObjectFinalize for Blob {
    fn finalize(self, env: Env) -> Result<()> {
        env.adjust_external_memory(-external_size(&self.obj))?;
        Ok(())
    }
}

impl ObjectFinalize for Tag {
    fn finalize(self, env: Env) -> Result<()> {
        env.adjust_external_memory(-external_size(&self.obj))?;
        Ok(())
    }
}
