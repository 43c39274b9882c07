//! The JS object classes: `Commit`, `Tree`, `Blob`, `Tag`. Each wraps the
//! parsed object shared with the loader (`Arc`), and converts fields when read.

use std::rc::Rc;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::core::object::{self, Kind, Object, Parsed, Signature};
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

/// Make the JS object for a loaded object.
pub fn to_js(env: sys::napi_env, repo: &Rc<RepoState>, obj: Arc<Object>) -> napi::Result<sys::napi_value> {
    let e = Env::from_raw(env);
    e.adjust_external_memory(external_size(&obj))?;
    let repo = repo.clone();
    Ok(match obj.kind {
        Kind::Commit => Commit { obj, repo }.into_instance(&e)?.value,
        Kind::Tree => Tree { obj, repo }.into_instance(&e)?.value,
        Kind::Blob => Blob { obj, repo }.into_instance(&e)?.value,
        Kind::Tag => Tag { obj, repo }.into_instance(&e)?.value,
    })
}

/// Signatures as `name NUL email NUL seconds NUL offset`, joined by NUL (names
/// and emails hold no NUL: they come from one header line).
fn compact(sigs: &[&Signature]) -> String {
    let mut out = String::new();
    for (i, s) in sigs.iter().enumerate() {
        if i > 0 {
            out.push('\0');
        }
        out.push_str(&s.name);
        out.push('\0');
        out.push_str(&s.email);
        out.push('\0');
        out.push_str(&s.seconds.to_string());
        out.push('\0');
        out.push_str(&s.offset.to_string());
    }
    out
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

/// A commit. One instance per oid per repository while it is reachable.
#[napi(custom_finalize)]
pub struct Commit {
    pub(crate) obj: Arc<Object>,
    pub(crate) repo: Rc<RepoState>,
}

impl Commit {
    fn c(&self) -> &object::Commit {
        match &self.obj.parsed {
            Parsed::Commit(c) => c,
            _ => unreachable!("a Commit is only made from a parsed commit"),
        }
    }
}

#[napi]
impl Commit {
    /// Always `'commit'`.
    #[napi(getter, js_name = "type", ts_return_type = "'commit'")]
    pub fn kind(&self) -> &'static str {
        "commit"
    }
    /// The commit's id.
    #[napi(getter)]
    pub fn oid(&self) -> String {
        self.obj.oid.to_hex()
    }
    /// The id of its tree.
    #[napi(getter)]
    pub fn tree_id(&self) -> String {
        self.c().tree.to_hex()
    }
    /// The ids of its parents, in order.
    #[napi(getter)]
    pub fn parent_ids(&self) -> Vec<String> {
        self.c().parents.iter().map(|p| p.to_hex()).collect()
    }
    /// The author.
    #[napi(getter, ts_return_type = "Signature")]
    pub fn author(&self, env: Env) -> JsRaw {
        JsRaw(signature(env.raw(), &self.c().author))
    }
    /// The committer.
    #[napi(getter, ts_return_type = "Signature")]
    pub fn committer(&self, env: Env) -> JsRaw {
        JsRaw(signature(env.raw(), &self.c().committer))
    }
    /// Internal: author and committer as `name NUL email NUL seconds NUL offset`
    /// twice (NUL-separated), which index.js turns into `Signature` objects.
    #[napi(js_name = "__people", skip_typescript)]
    pub fn people(&self) -> String {
        let c = self.c();
        compact(&[&c.author, &c.committer])
    }
    /// The full message, exactly as stored (decoded as UTF-8).
    #[napi(getter)]
    pub fn message(&self) -> String {
        message(&self.obj, self.c().message_start)
    }
    /// The first paragraph of the message on one line, as `git log --oneline` shows it.
    #[napi(getter)]
    pub fn summary(&self) -> String {
        object::commit::summary(self.obj.data.get(self.c().message_start..).unwrap_or_default())
    }
    /// The `encoding` header, if any.
    #[napi(getter)]
    pub fn encoding(&self) -> Option<String> {
        self.c().encoding.clone()
    }
    /// The `gpgsig` header (continuation lines joined), if any.
    #[napi(getter)]
    pub fn gpg_signature(&self) -> Option<String> {
        self.c().gpgsig.clone()
    }
    /// The raw object content, byte for byte.
    #[napi(ts_return_type = "Buffer")]
    pub fn raw(&self, env: Env) -> JsRaw {
        JsRaw(util::buffer(env.raw(), &self.obj.data))
    }
    /// Read the commit's tree.
    #[napi(ts_return_type = "Promise<Tree>")]
    pub fn get_tree(&self, env: Env) -> JsRaw {
        JsRaw(self.repo.read_async(env.raw(), &self.c().tree.to_hex(), Some(Kind::Tree)))
    }
    /// Read the commit's tree, synchronously.
    #[napi(ts_return_type = "Tree")]
    pub fn get_tree_sync(&self, env: Env) -> Result<JsRaw> {
        self.repo.read_sync(env.raw(), &self.c().tree.to_hex(), Some(Kind::Tree)).map(JsRaw)
    }
    /// Read the parent commits, in order.
    #[napi(ts_return_type = "Promise<Commit[]>")]
    pub fn get_parents(&self, env: Env) -> JsRaw {
        JsRaw(self.repo.read_many_async(env.raw(), self.parent_ids(), Some(Kind::Commit)))
    }
    /// Read the parent commits, synchronously.
    #[napi(ts_return_type = "Commit[]")]
    pub fn get_parents_sync(&self, env: Env) -> Result<JsRaw> {
        let mut out = Vec::new();
        for p in &self.c().parents {
            out.push(self.repo.read_sync(env.raw(), &p.to_hex(), Some(Kind::Commit))?);
        }
        Ok(JsRaw(util::array(env.raw(), &out)))
    }
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

impl ObjectFinalize for Commit {
    fn finalize(self, env: Env) -> Result<()> {
        env.adjust_external_memory(-external_size(&self.obj))?;
        Ok(())
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
