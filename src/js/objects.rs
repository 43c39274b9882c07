//! The JS object classes: `Commit`, `Tree`, `Blob`, `Tag`. Each wraps the
//! parsed object shared with the loader (`Arc`), and converts fields when read.

use std::cell::Cell;
use std::ptr;
use std::rc::Rc;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

use crate::core::error::Error as CoreError;
use crate::core::object::signature::SignatureRef;
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
            let mut batch = CommitBatch::new([&*obj]);
            let made = make_commits(env, &repo, &mut batch, None);
            batch.recycle();
            element(env, made?, 0)
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

/// `b` as UTF-8, invalid sequences replaced (without a copy when it is
/// valid), appended to `out`; returns its length in UTF-16 units, JS's measure.
fn push_text(out: &mut String, b: &[u8]) -> u64 {
    if b.is_ascii() {
        // SAFETY: ASCII is UTF-8.
        out.push_str(unsafe { std::str::from_utf8_unchecked(b) });
        return b.len() as u64;
    }
    let from = out.len();
    match std::str::from_utf8(b) {
        Ok(s) => out.push_str(s),
        Err(_) => out.push_str(&String::from_utf8_lossy(b)),
    }
    let text = &out[from..];
    if text.is_ascii() {
        text.len() as u64
    } else {
        text.chars().map(|c| c.len_utf16() as u64).sum()
    }
}

thread_local! {
    /// A commit's summary on its way into a batch.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Numbers per commit in [`CommitBatch::nums`]: parents, raw bytes, where the
/// message starts in the raw object, then the UTF-16 lengths of the summary,
/// author name, author email, committer name and committer email, then author
/// seconds and offset, committer seconds and offset.
const NUMS: usize = 12;
const LENGTHS: usize = 8;

/// Everything `index.js` needs to make the `Commit` objects of a batch, built
/// off the main thread where it can be (on the workers, for `log`), so a batch
/// of JS commits costs a few crossings rather than several per commit. A JS
/// `Commit` keeps its batch and index and cuts each field from these runs when
/// it is first read (see `CommitData` in index.js for the layout).
#[derive(Default)]
#[cfg_attr(test, derive(PartialEq, Debug))]
pub struct CommitBatch {
    pub oids: Vec<ObjectId>,
    hex: Vec<u8>,
    /// `(index, tree and parent ids in hex, back to back)` of the commits
    /// whose ids are not where the usual shape has them in the raw bytes.
    ids: Vec<(usize, String)>,
    summaries: String,
    /// Author name and email, committer name and email, per commit, back to back.
    people: String,
    raw: Vec<u8>,
    nums: Vec<f64>,
    /// `(index, value)` of the commits that have an `encoding` / `gpgsig` header.
    encodings: Vec<(usize, String)>,
    gpgsigs: Vec<(usize, String)>,
}

/// Emptied batches kept for reuse: a batch is filled on a worker and freed on
/// the main thread, so fresh ones would fault in (and zero) new pages each time.
static SPARE: parking_lot::Mutex<Vec<CommitBatch>> = parking_lot::Mutex::new(Vec::new());

/// Spare batches kept at most (a few batches' worth of memory).
const SPARE_MAX: usize = 8;

impl CommitBatch {
    /// An empty batch, reusing a spare one's memory when there is one.
    pub fn fresh() -> CommitBatch {
        SPARE.lock().pop().unwrap_or_default()
    }

    /// [`CommitBatch::fresh`], taking the roomiest spare: for a batch that
    /// others are appended to, so it seldom has to grow (and growing a large
    /// buffer means fresh pages).
    pub fn fresh_roomiest() -> CommitBatch {
        let mut spare = SPARE.lock();
        let best = (0..spare.len()).max_by_key(|&i| spare[i].raw.capacity());
        best.map(|i| spare.swap_remove(i)).unwrap_or_default()
    }

    /// Give the batch's memory back for the next one.
    pub fn recycle(mut self) {
        let mut spare = SPARE.lock();
        if spare.len() < SPARE_MAX {
            self.oids.clear();
            self.hex.clear();
            self.ids.clear();
            self.summaries.clear();
            self.people.clear();
            self.raw.clear();
            self.nums.clear();
            self.encodings.clear();
            self.gpgsigs.clear();
            spare.push(self);
        }
    }

    /// The batch of these objects' commits (objects of other kinds are left out).
    pub fn new<'a>(objs: impl IntoIterator<Item = &'a Object>) -> CommitBatch {
        let mut b = CommitBatch::fresh();
        for obj in objs {
            if obj.kind == Kind::Commit {
                // Already parsed once, so this cannot fail.
                let _ = b.push(obj.oid, &obj.data);
            }
        }
        b
    }

    /// Add the commit `oid` with raw content `data`: `ERR_CORRUPT_OBJECT` if it does not parse.
    pub fn push(&mut self, oid: ObjectId, data: &[u8]) -> std::result::Result<(), CoreError> {
        if self.push_plain(oid, data) {
            return Ok(());
        }
        self.push_parsed(oid, data)
    }

    /// [`CommitBatch::push`] through the commit parser: any commit.
    fn push_parsed(&mut self, oid: ObjectId, data: &[u8]) -> std::result::Result<(), CoreError> {
        let c = object::commit::CommitRef::parse(data).map_err(|r| CoreError::object(Some(oid), r))?;
        let i = self.oids.len();
        let mut ids = Vec::with_capacity(40 * (1 + c.parents.len()));
        c.tree.write_hex(&mut ids);
        for p in &c.parents {
            p.write_hex(&mut ids);
        }
        self.ids.push((i, String::from_utf8(ids).expect("hex is ASCII")));
        self.push_rest(oid, data, c.parents.len(), &c.author(), &c.committer(), c.message_start);
        let text = |v: &std::borrow::Cow<[u8]>| String::from_utf8_lossy(v).into_owned();
        if let Some(e) = &c.encoding {
            self.encodings.push((i, text(e)));
        }
        if let Some(g) = &c.gpgsig {
            self.gpgsigs.push((i, text(g)));
        }
        Ok(())
    }

    /// [`CommitBatch::push`] for the usual shape, what the parser would give
    /// without its general machinery: `tree` and `parent` ids in lowercase hex
    /// (left where they are, in the raw bytes), then `author` and `committer`, each header one
    /// line with no continuation, then a blank line or the end. False, with
    /// nothing added, for anything else (other headers such as `encoding` or
    /// `gpgsig`, folded lines, anything malformed), which goes to the parser.
    fn push_plain(&mut self, oid: ObjectId, data: &[u8]) -> bool {
        let hex40 = |at: usize| data.get(at..at + 40).is_some_and(|h| h.iter().all(|&c| matches!(c, b'0'..=b'9' | b'a'..=b'f')));
        if !data.starts_with(b"tree ") || !hex40(5) || data.get(45) != Some(&b'\n') {
            return false;
        }
        let mut pos = 46;
        while data[pos..].starts_with(b"parent ") {
            if !hex40(pos + 7) || data.get(pos + 47) != Some(&b'\n') {
                return false;
            }
            pos += 48;
        }
        let parents = &data[46..pos];
        // `name value\n`, not continued on the next line: (value, where the next line starts).
        let header = |at: usize, name: &[u8]| -> Option<(&[u8], usize)> {
            let rest = data.get(at..)?;
            if !rest.starts_with(name) || rest.get(name.len()) != Some(&b' ') {
                return None;
            }
            let nl = rest.iter().position(|&c| c == b'\n')?;
            let next = at + nl + 1;
            (data.get(next) != Some(&b' ')).then_some((&rest[name.len() + 1..nl], next))
        };
        let Some((author, pos)) = header(pos, b"author") else { return false };
        let Some((committer, pos)) = header(pos, b"committer") else { return false };
        let message_start = match data.get(pos) {
            None => pos,
            Some(b'\n') => pos + 1,
            Some(_) => return false,
        };
        let ident = |v| SignatureRef::parse(v).unwrap_or_else(SignatureRef::empty);
        // The ids stay in the raw bytes, where index.js reads them.
        self.push_rest(oid, data, parents.len() / 48, &ident(author), &ident(committer), message_start);
        true
    }

    /// What both ways of pushing add after the tree and parents.
    fn push_rest(&mut self, oid: ObjectId, data: &[u8], parents: usize, a: &SignatureRef, m: &SignatureRef, message_start: usize) {
        self.oids.push(oid);
        oid.write_hex(&mut self.hex);
        let msg = data.get(message_start..).unwrap_or_default();
        let summary = SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            s.clear();
            object::commit::summary_into(msg, &mut s);
            push_text(&mut self.summaries, &s)
        });
        let lengths = [
            parents as u64,
            data.len() as u64,
            message_start.min(data.len()) as u64,
            summary,
            push_text(&mut self.people, a.name),
            push_text(&mut self.people, a.email),
            push_text(&mut self.people, m.name),
            push_text(&mut self.people, m.email),
        ];
        self.nums.extend(lengths.iter().map(|&n| n as f64));
        self.nums.extend([a.seconds as f64, a.offset as f64, m.seconds as f64, m.offset as f64]);
        self.raw.extend_from_slice(data);
    }

    /// Room for `commits` more commits of `bytes` raw bytes in all (the raw
    /// bytes go to JS with the batch, so they are never recycled).
    pub fn reserve(&mut self, commits: usize, bytes: usize) {
        self.raw.reserve(bytes);
        self.oids.reserve(commits);
        self.nums.reserve(commits * NUMS);
    }

    /// Add `other`'s commits after these.
    pub fn append(&mut self, other: &CommitBatch) {
        let base = self.oids.len();
        self.oids.reserve(other.oids.len());
        self.raw.reserve(other.raw.len());
        self.oids.extend_from_slice(&other.oids);
        self.hex.extend_from_slice(&other.hex);
        self.summaries.push_str(&other.summaries);
        self.people.push_str(&other.people);
        self.raw.extend_from_slice(&other.raw);
        self.nums.extend_from_slice(&other.nums);
        self.ids.extend(other.ids.iter().map(|(i, v)| (i + base, v.clone())));
        self.encodings.extend(other.encodings.iter().map(|(i, v)| (i + base, v.clone())));
        self.gpgsigs.extend(other.gpgsigs.iter().map(|(i, v)| (i + base, v.clone())));
    }

    /// `[oids, ids, summaries, people, raw, nums, encodings, gpgsigs]`:
    /// `nums` holds per commit the running totals of the lengths (so each
    /// field's end; it starts where the previous commit's ended), the message
    /// start as is, and the four times; `ids`, `encodings` and `gpgsigs` are
    /// an array with an entry per commit, or null when no commit needs one
    /// (a commit without an `ids` entry has the usual shape: its tree id at
    /// bytes 5..45 of its raw content, parent `p` at 53 + 48p).
    fn to_js(&mut self, env: sys::napi_env) -> sys::napi_value {
        let n = self.oids.len();
        let sparse = |v: &[(usize, String)]| {
            if v.is_empty() {
                return util::null(env);
            }
            let mut items = vec![util::null(env); n];
            for (i, s) in v {
                items[*i] = util::string(env, s);
            }
            util::array(env, &items)
        };
        // Lengths to ends. The four people fields share one run, so each of
        // them ends where the next one starts.
        let mut nums = self.nums.clone();
        let mut total = [0f64; 4];
        let mut people = 0f64;
        for row in nums.chunks_mut(NUMS) {
            for k in [0, 1, 3] {
                total[k] += row[k];
                row[k] = total[k];
            }
            for v in &mut row[4..LENGTHS] {
                people += *v;
                *v = people;
            }
        }
        util::array(
            env,
            &[
                util::latin1(env, &self.hex),
                sparse(&self.ids),
                util::string(env, &self.summaries),
                util::string(env, &self.people),
                util::buffer_of(env, std::mem::take(&mut self.raw)),
                util::float64_array(env, &nums),
                sparse(&self.encodings),
                sparse(&self.gpgsigs),
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
    COMMIT_MAKER.with(|c| c.set(util::keep(env.raw(), f.0)));
    Ok(())
}

/// New JS commits for a batch: all of it, or those at the indexes `which`. One call into JS.
pub fn make_commits(env: sys::napi_env, repo: &Rc<RepoState>, batch: &mut CommitBatch, which: Option<&[u32]>) -> napi::Result<sys::napi_value> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testutil::{git_bytes, git_ok, TempDir};

    /// Each commit's tree and parent ids in hex, as index.js reads them: its
    /// `ids` entry, else from its raw bytes where the usual shape has them.
    fn id_runs(b: &CommitBatch) -> Vec<String> {
        let mut start = 0;
        (0..b.oids.len())
            .map(|i| {
                let (parents, len) = (b.nums[i * NUMS] as usize, b.nums[i * NUMS + 1] as usize);
                let raw = &b.raw[start..start + len];
                start += len;
                if let Some((_, ids)) = b.ids.iter().find(|(j, _)| *j == i) {
                    return ids.clone();
                }
                let mut s = String::from_utf8(raw[5..45].to_vec()).expect("hex");
                for p in 0..parents {
                    s.push_str(std::str::from_utf8(&raw[53 + 48 * p..93 + 48 * p]).expect("hex"));
                }
                s
            })
            .collect()
    }

    /// Every commit both ways: the usual-shape path gives what the parser
    /// gives, field for field (the ids read where each way keeps them), and
    /// takes the shapes it was made for.
    fn same_both_ways(commits: &[(ObjectId, Vec<u8>)]) -> usize {
        let (mut fast, mut parsed) = (CommitBatch::default(), CommitBatch::default());
        let mut plain = 0;
        for (oid, data) in commits {
            let before = fast.oids.len();
            if fast.push_plain(*oid, data) {
                plain += 1;
            } else {
                assert_eq!(fast.oids.len(), before, "nothing added when it declines");
                let _ = fast.push_parsed(*oid, data);
            }
            let _ = parsed.push_parsed(*oid, data);
            let what = || format!("after {oid}: {}", String::from_utf8_lossy(data));
            assert_eq!(id_runs(&fast), id_runs(&parsed), "{}", what());
            let (a, b) = (std::mem::take(&mut fast.ids), std::mem::take(&mut parsed.ids));
            assert_eq!(fast, parsed, "{}", what());
            (fast.ids, parsed.ids) = (a, b);
        }
        // The parser's ids are what the raw bytes hold where the usual shape has them.
        assert_eq!(parsed.ids.len(), parsed.oids.len());
        plain
    }

    #[test]
    fn usual_commits_take_the_short_path_with_the_parsers_result() {
        let t = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n";
        let p = "parent ce013625030ba8dba906f756967f9e9ca394464a\n";
        let a = "author A U Thor <a@x> 1500000000 +0200\n";
        let c = "committer C O Mitter <c@x> 1500000001 -0130\n";
        let usual = [
            format!("{t}{a}{c}\nroot\n"),
            format!("{t}{p}{a}{c}\nSubject\n\nbody\n"),
            format!("{t}{p}{p}{p}{a}{c}\n  \n  subject  \n line two\t\n\nbody"),
            format!("{t}{a}{c}"),
            format!("{t}{a}{c}\n"),
            format!("{t}author <> 0 +0000\ncommitter \n\nempty idents\n"),
            format!("{t}author Ünï Cödé <u@x> 1 +0000\n{c}\nUnicode \u{1F600} summary\n"),
        ];
        let unusual = [
            format!("{t}{a}{c}encoding ISO-8859-1\n\nx\n"),
            format!("{t}{a}{c}gpgsig -----BEGIN-----\n abc\n -----END-----\n\nsigned\n"),
            format!("{t}author A\n folded <a@x> 1 +0000\n{c}\nx\n"),
            format!("{t}{p} folded\n{a}{c}\nx\n"),
            format!("tree 4B825DC642CB6EB9A060E54BF8D69288FBEE4904\n{a}{c}\nupper-case ids\n"),
            format!("tree 4b825dc642cb6eb9a060e54bf8d69288fbee490\n{a}{c}\nshort id\n"),
            format!("{t}{c}{a}\nswapped\n"),
            format!("{t}author\n{c}\nno space\n"),
            format!("{t}{a}committer C <c@x> 1 +0000"),
            format!("{t}{p}"),
            String::new(),
        ];
        let all: Vec<(ObjectId, Vec<u8>)> = usual.iter().chain(&unusual).enumerate().map(|(i, s)| {
            let mut id = [0u8; 20];
            id[0] = i as u8;
            (ObjectId(id), s.as_bytes().to_vec())
        }).collect();
        let mut bad = all.clone();
        bad.push((ObjectId([9; 20]), b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 1 +0000\n\xff\xfe invalid \xc3\n".to_vec()));
        assert_eq!(same_both_ways(&all), usual.len());
        let mut raw = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor \xffA <\xfe> 1 +0000\ncommitter C <c@x> 2 +0000\n\n\xc3 bad utf-8\n".to_vec();
        assert_eq!(same_both_ways(&[(ObjectId([7; 20]), raw.clone())]), 1);
        raw.truncate(50);
        same_both_ways(&[(ObjectId([8; 20]), raw)]);
        same_both_ways(&bad);
    }

    /// Every commit of a real history (merges, odd messages) both ways.
    #[test]
    fn a_git_history_both_ways() {
        let tmp = TempDir::repo("batch-push");
        let dir = &tmp.0;
        let mut script = String::new();
        for i in 0..200 {
            let msg = match i % 5 {
                0 => format!("subject {i}\n\nbody\n"),
                1 => format!("\n\n  spaced {i}  \nsecond line\n"),
                2 => format!("ünïcödé {i}"),
                3 => String::new(),
                _ => format!("merge-ish {i}\n"),
            };
            script.push_str(&format!(
                "commit refs/heads/main\nmark :{}\nauthor Ä {i} <a{i}@x> {} +0{}00\ncommitter C <c@x> {} -0130\ndata {}\n{msg}\n",
                i + 1,
                1_500_000_000 + i,
                i % 10,
                1_500_000_000 + i,
                msg.len()
            ));
            if i % 7 == 6 {
                // A merge of two earlier commits besides the tip (an octopus every other time).
                script.push_str(&format!("merge :{}\n", i - 4));
                if i % 14 == 13 {
                    script.push_str(&format!("merge :{}\n", i - 5));
                }
            }
            script.push_str(&format!("M 100644 inline f\ndata 4\n{i:03}\n\n"));
        }
        git_bytes(dir, &["fast-import", "--quiet"], Some(script.as_bytes()));
        git_ok(dir, &["commit", "-q", "--allow-empty", "-m", "one more"]);
        let repo = crate::core::repo::Repository::open(dir, &Default::default()).expect("open");
        let mut commits = Vec::new();
        for line in git_ok(dir, &["rev-list", "--all"]).lines() {
            let oid = ObjectId::parse(line).expect("oid");
            let mut data = Vec::new();
            repo.odb.read(&oid, &mut data).expect("read").expect("present");
            commits.push((oid, data));
        }
        assert_eq!(commits.len(), 201);
        assert_eq!(same_both_ways(&commits), 201);
    }
}
