//! Paths in trees: looking one up (`rev:path`, `readPath`), listing a tree
//! (`git ls-tree`, `listFiles`) and comparing two trees (`git diff-tree --raw`,
//! `diffTrees`), straight from the raw tree bytes of the object store.
//!
//! A tree is a sequence of `<octal mode> <name>\0<20-byte id>` entries sorted
//! by name, where a subtree sorts as if its name ended in `/`
//! (`base_name_compare` in git's `read-cache.c`). Modes are read as git's
//! `decode_tree_entry` does, through `canon_mode`: any regular file becomes
//! 100644 or 100755, and anything that is not a file, symlink or directory is
//! a gitlink (160000).
//!
//! Every walk reads each tree object once into a buffer reused per depth,
//! builds paths in one growing byte buffer, and never parses a tree into a list.

use crate::core::error::{Error, Result};
use crate::core::object::tree::kind_of_mode;
use crate::core::object::{Commit, Kind, Object, Tag};
use crate::core::odb::composite::Store;
use crate::core::oid::ObjectId;

/// The id of the empty tree, which git knows whether or not it is stored.
pub const EMPTY_TREE: ObjectId = ObjectId([
    0x4b, 0x82, 0x5d, 0xc6, 0x42, 0xcb, 0x6e, 0xb9, 0xa0, 0x60, 0xe5, 0x4b, 0xf8, 0xd6, 0x92, 0x88, 0xfb, 0xee, 0x49, 0x04,
]);

/// Mode of a subtree entry.
pub const MODE_TREE: u32 = 0o040000;
/// Mode of a gitlink (submodule commit) entry.
pub const MODE_GITLINK: u32 = 0o160000;
/// Mode of a symbolic link entry.
pub const MODE_SYMLINK: u32 = 0o120000;

/// Deepest tree nesting we follow; deeper is reported as a corrupt object
/// (git refuses with `core.maxTreeDepth`, 2048 by default).
pub const MAX_DEPTH: usize = 4096;

/// Tag chains longer than this are refused when peeling.
const MAX_PEEL: usize = 64;

/// A mode as git reads it from a tree (`canon_mode` in git's `cache.h`).
pub fn canon_mode(mode: u32) -> u32 {
    match mode & 0o170000 {
        0o100000 => {
            if mode & 0o100 != 0 {
                0o100755
            } else {
                0o100644
            }
        }
        0o120000 => MODE_SYMLINK,
        0o040000 => MODE_TREE,
        _ => MODE_GITLINK,
    }
}

/// One raw entry: canonical mode, name as a range of the tree's bytes, id.
#[derive(Clone, Copy)]
struct Raw {
    mode: u32,
    name: (usize, usize),
    oid: ObjectId,
}

/// Parse the entry at `*pos` of `data`, advancing `pos`; None at the end.
#[inline]
fn next_entry(data: &[u8], pos: &mut usize) -> std::result::Result<Option<Raw>, &'static str> {
    let start = *pos;
    if start >= data.len() {
        return Ok(None);
    }
    let mut i = start;
    let mut mode = 0u32;
    while i < data.len() && data[i] != b' ' {
        let c = data[i].wrapping_sub(b'0');
        if c > 7 || i - start >= 7 {
            return Err("bad tree entry mode");
        }
        mode = mode * 8 + c as u32;
        i += 1;
    }
    if i == start || i >= data.len() {
        return Err("bad tree entry mode");
    }
    let name_start = i + 1;
    let nul = data[name_start..].iter().position(|&c| c == 0).ok_or("tree entry without a name end")? + name_start;
    if nul == name_start {
        return Err("tree entry with an empty name");
    }
    let id = data.get(nul + 1..nul + 21).ok_or("truncated tree entry")?;
    let oid = ObjectId::from_bytes(id).ok_or("truncated tree entry")?;
    *pos = nul + 21;
    Ok(Some(Raw { mode: canon_mode(mode), name: (name_start, nul), oid }))
}

/// The entry at `*pos`, with a parse failure reported against tree `oid`.
#[inline]
fn next(data: &[u8], pos: &mut usize, oid: &ObjectId) -> Result<Option<Raw>> {
    next_entry(data, pos).map_err(|r| Error::object(Some(*oid), r))
}

/// Read tree `oid` into `buf`: ERR_OBJECT_NOT_FOUND if missing, ERR_OBJECT_TYPE if not a tree.
pub(crate) fn read_tree(odb: &Store, oid: &ObjectId, buf: &mut Vec<u8>) -> Result<()> {
    match odb.read(oid, buf)? {
        Some(Kind::Tree) => Ok(()),
        Some(k) => Err(Error::ObjectType { oid: *oid, expected: "tree", actual: k.as_str() }),
        None if *oid == EMPTY_TREE => {
            buf.clear();
            Ok(())
        }
        None => Err(Error::ObjectNotFound { oid: *oid }),
    }
}

/// Peel `oid` (a tree, a commit, or a tag of either, however nested) to its
/// tree, leaving the tree's content in `buf`; returns the tree's id.
pub(crate) fn load_tree_ish(odb: &Store, oid: ObjectId, buf: &mut Vec<u8>) -> Result<ObjectId> {
    let mut id = oid;
    for _ in 0..MAX_PEEL {
        let kind = match odb.read(&id, buf)? {
            Some(k) => k,
            None if id == EMPTY_TREE => {
                buf.clear();
                return Ok(id);
            }
            None => return Err(Error::ObjectNotFound { oid: id }),
        };
        id = match kind {
            Kind::Tree => return Ok(id),
            Kind::Commit => Commit::parse(buf).map_err(|r| Error::object(Some(id), r))?.tree,
            Kind::Tag => Tag::parse(buf).map_err(|r| Error::object(Some(id), r))?.target,
            Kind::Blob => return Err(Error::ObjectType { oid: id, expected: "tree", actual: "blob" }),
        };
    }
    Err(Error::object(Some(oid), "tag chain too deep"))
}

/// The tree that `oid` (a tree, commit or tag) names, as `<rev>^{tree}`.
pub fn peel_to_tree(odb: &Store, oid: ObjectId) -> Result<ObjectId> {
    load_tree_ish(odb, oid, &mut Vec::new())
}

/// Normalize a relative path as git's `normalize_path_copy_len` (path.c):
/// repeated `/` collapse, `.` components go, `..` removes the previous
/// component; a trailing `/` is kept. None when the path is absolute or climbs
/// above the root (git: "'…' is outside repository").
pub fn normalize_path(path: &[u8]) -> Option<Vec<u8>> {
    if path.first() == Some(&b'/') {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(path.len());
    let mut i = 0;
    let n = path.len();
    let at = |k: usize| path.get(k).copied().unwrap_or(0);
    loop {
        if at(i) == b'.' {
            if i + 1 >= n {
                break; // "." at the end
            }
            if at(i + 1) == b'/' {
                i += 2;
                while at(i) == b'/' {
                    i += 1;
                }
                continue;
            }
            if at(i + 1) == b'.' && (i + 2 >= n || at(i + 2) == b'/') {
                // ".." at the end or "../": go up one component.
                i += 2;
                while at(i) == b'/' {
                    i += 1;
                }
                if out.is_empty() {
                    return None;
                }
                out.pop(); // the '/' ending the previous component
                while out.last().is_some_and(|&c| c != b'/') {
                    out.pop();
                }
                if i >= n {
                    break;
                }
                continue;
            }
        }
        // Copy up to the next '/', and eat all the '/'s.
        while i < n && path[i] != b'/' {
            out.push(path[i]);
            i += 1;
        }
        if i >= n {
            break;
        }
        out.push(b'/');
        while at(i) == b'/' {
            i += 1;
        }
        if i >= n {
            break;
        }
    }
    Some(out)
}

/// What a path names inside a tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathEntry {
    /// The entry's canonical mode (040000 for the root tree itself).
    pub mode: u32,
    /// The object it names (a commit id for a gitlink).
    pub oid: ObjectId,
    /// What the object is: `Kind::Commit` for a gitlink.
    pub kind: Kind,
}

/// Find `path` in `treeish` (a tree, or a commit or tag peeled to its tree) as
/// git resolves `<rev>:<path>` (`get_tree_entry` in git's `tree-walk.c`):
///
/// - the empty path is the root tree;
/// - components are separated by `/` and matched byte for byte, so `a//b`,
///   `/a` and `a/./b` name nothing;
/// - a trailing `/` is allowed after a directory only (`dir/` is `dir`, `file/`
///   and `gitlink/` name nothing);
/// - a path starting with `./` or `../` is relative; git resolves it from the
///   current directory of the work tree, and we, having none, from the root,
///   normalized as [`normalize_path`] (`./a//b/../c` is `a/c`; climbing above
///   the root names nothing);
/// - a component that is a file or a gitlink cannot be entered.
///
/// `Ok(None)` when nothing is there; errors only for missing or corrupt objects.
pub fn resolve_path(odb: &Store, treeish: ObjectId, path: &str) -> Result<Option<PathEntry>> {
    let mut buf = Vec::new();
    let root = load_tree_ish(odb, treeish, &mut buf)?;
    let normalized;
    let mut rest: &[u8] = path.as_bytes();
    if rest.starts_with(b"./") || rest.starts_with(b"../") {
        match normalize_path(rest) {
            Some(p) => normalized = p,
            None => return Ok(None),
        }
        rest = &normalized;
    }
    if rest.is_empty() {
        return Ok(Some(PathEntry { mode: MODE_TREE, oid: root, kind: Kind::Tree }));
    }
    let mut tree = root;
    loop {
        let (comp, more) = match rest.iter().position(|&c| c == b'/') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let mut pos = 0;
        let found = loop {
            match next(&buf, &mut pos, &tree)? {
                None => break None,
                Some(e) if &buf[e.name.0..e.name.1] == comp => break Some(e),
                Some(_) => {}
            }
        };
        let Some(e) = found else { return Ok(None) };
        let entry = PathEntry { mode: e.mode, oid: e.oid, kind: kind_of_mode(e.mode) };
        match more {
            None => return Ok(Some(entry)),
            Some(_) if e.mode != MODE_TREE => return Ok(None),
            Some([]) => return Ok(Some(entry)),
            Some(m) => {
                read_tree(odb, &e.oid, &mut buf)?;
                tree = e.oid;
                rest = m;
            }
        }
    }
}

/// Load the blob or tree at `path` in `treeish`, with the path rules of
/// [`resolve_path`]; `Ok(None)` when nothing is there. A gitlink is
/// `ERR_OBJECT_TYPE` (its commit belongs to another repository).
pub fn try_read_path(odb: &Store, treeish: ObjectId, path: &str) -> Result<Option<Object>> {
    let Some(e) = resolve_path(odb, treeish, path)? else { return Ok(None) };
    if e.kind == Kind::Commit {
        return Err(Error::ObjectType { oid: e.oid, expected: "blob or tree", actual: "commit (gitlink)" });
    }
    let mut data = Vec::new();
    let kind = match odb.read(&e.oid, &mut data)? {
        Some(k) => k,
        None if e.oid == EMPTY_TREE => Kind::Tree,
        None => return Err(Error::ObjectNotFound { oid: e.oid }),
    };
    if kind != e.kind {
        let expected = e.kind.as_str();
        return Err(Error::ObjectType { oid: e.oid, expected, actual: kind.as_str() });
    }
    Object::parse(e.oid, crate::core::object::RawObject { kind, data }).map(Some)
}

/// [`try_read_path`], failing with `ERR_PATH_NOT_FOUND` when nothing is there
/// (its `rev` is `treeish` in hex; a caller holding the user's spelling can
/// replace it).
pub fn read_path(odb: &Store, treeish: ObjectId, path: &str) -> Result<Object> {
    try_read_path(odb, treeish, path)?
        .ok_or_else(|| Error::PathNotFound { rev: treeish.to_hex(), path: path.to_string() })
}

// ---------------------------------------------------------------------------
// Listing

/// Where one listed entry lies in [`Listing::paths`].
#[derive(Clone, Copy, Debug)]
struct Slot {
    start: usize,
    name_start: usize,
    end: usize,
    mode: u32,
    oid: ObjectId,
}

/// The result of [`list_files`]: entries in `git ls-tree` order, their paths
/// stored back to back in one buffer (two allocations however many entries).
#[derive(Clone, Debug, Default)]
pub struct Listing {
    paths: Vec<u8>,
    slots: Vec<Slot>,
}

/// One listed entry, borrowing its path from the [`Listing`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The entry's name within its tree (the last component of `path`).
    pub name: &'a [u8],
    /// The full path from the root of the listed tree, `/`-separated.
    pub path: &'a [u8],
    /// The canonical mode: 100644, 100755, 120000, 040000 or 160000.
    pub mode: u32,
    /// The object the entry names.
    pub oid: ObjectId,
}

impl Entry<'_> {
    /// Blob, tree, or commit for a gitlink (the type `ls-tree` prints).
    pub fn kind(&self) -> Kind {
        kind_of_mode(self.mode)
    }
}

impl Listing {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when nothing was listed.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The `i`th entry.
    pub fn get(&self, i: usize) -> Option<Entry<'_>> {
        self.slots.get(i).map(|s| self.entry(s))
    }

    fn entry(&self, s: &Slot) -> Entry<'_> {
        Entry { name: &self.paths[s.name_start..s.end], path: &self.paths[s.start..s.end], mode: s.mode, oid: s.oid }
    }

    /// The entries in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Entry<'_>> + '_ {
        self.slots.iter().map(move |s| self.entry(s))
    }
}

impl<'a> IntoIterator for &'a Listing {
    type Item = Entry<'a>;
    type IntoIter = Box<dyn ExactSizeIterator<Item = Entry<'a>> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// How the entries of a tree being listed relate to the prefix.
#[derive(Clone, Copy)]
enum Scope {
    /// Everything here is inside the prefix.
    All,
    /// This tree leads towards the prefix: `spec[k..]` is what is left of it.
    Lead(usize),
}

/// A tree being listed: its content is `bufs[depth]`.
struct Frame {
    tree: ObjectId,
    pos: usize,
    /// Length of the directory path (with its trailing `/`) in the base buffer.
    base_len: usize,
    scope: Scope,
}

/// List the tree of `treeish` (a tree, or a commit or tag peeled to one) as
/// `git ls-tree [-r] <treeish> [<prefix>]` does, in the same order (tree
/// order, depth first) and with the same entries:
///
/// - `recursive: false` lists one level: the entries of the root tree, or
///   with a prefix the entry the prefix names (`dir` shows the entry `dir`
///   itself; `dir/` shows what is in `dir`; `dir/sub/file` shows that entry,
///   reached through its leading directories, which are not listed);
/// - `recursive: true` lists every blob and gitlink below (trees are entered,
///   not listed), under the prefix when one is given (`dir` and `dir/` alike);
/// - gitlinks (mode 160000) are listed with kind commit and never entered;
/// - the prefix is one literal path, as a single `ls-tree` path argument
///   without globs: it matches an entry whose path equals it or lies under it
///   at a `/` boundary (`a` matches `a` and `a/x`, never `a.b`). A trailing
///   `/` restricts it to a directory (or a gitlink, as git allows); it is
///   normalized as [`normalize_path`] (`./d//e/.` is `d/e/`), `None`, `""`
///   and `"."` mean no prefix (git rejects `""`), and a prefix that names
///   nothing, or climbs above the root, gives an empty listing (as ls-tree
///   prints nothing).
pub fn list_files(odb: &Store, treeish: ObjectId, prefix: Option<&str>, recursive: bool) -> Result<Listing> {
    let spec: Vec<u8> = match prefix {
        None => Vec::new(),
        Some(p) => match normalize_path(p.as_bytes()) {
            Some(s) => s,
            None => return Ok(Listing::default()),
        },
    };
    let mut bufs: Vec<Vec<u8>> = vec![Vec::new()];
    let root = load_tree_ish(odb, treeish, &mut bufs[0])?;
    let mut out = Listing { paths: Vec::new(), slots: Vec::with_capacity(bufs[0].len() / 40) };
    let mut base: Vec<u8> = Vec::new();
    let first_scope = if spec.is_empty() { Scope::All } else { Scope::Lead(0) };
    let mut frames = vec![Frame { tree: root, pos: 0, base_len: 0, scope: first_scope }];
    while !frames.is_empty() {
        let depth = frames.len() - 1;
        let top = &mut frames[depth];
        let data = &bufs[depth];
        let Some(e) = next(data, &mut top.pos, &top.tree)? else {
            frames.pop();
            continue;
        };
        let name = &data[e.name.0..e.name.1];
        let is_tree = e.mode == MODE_TREE;
        // Either list the entry, or enter it with a scope, or skip it
        // (`show_recursive` and `match_entry` in git's ls-tree.c and tree-walk.c).
        let enter: Option<Scope> = match top.scope {
            Scope::All => {
                if is_tree && recursive {
                    Some(Scope::All)
                } else {
                    None
                }
            }
            Scope::Lead(k) => {
                let rest = &spec[k..];
                let n = name.len();
                if n > rest.len() || &rest[..n] != name {
                    continue;
                } else if rest.len() == n {
                    if is_tree && recursive {
                        Some(Scope::All)
                    } else {
                        None
                    }
                } else if rest[n] != b'/' {
                    continue;
                } else if is_tree {
                    Some(if rest.len() == n + 1 { Scope::All } else { Scope::Lead(k + n + 1) })
                } else if e.mode == MODE_GITLINK && rest.len() == n + 1 {
                    None
                } else {
                    continue;
                }
            }
        };
        let base_len = top.base_len;
        match enter {
            None => {
                let start = out.paths.len();
                out.paths.extend_from_slice(&base[..base_len]);
                let name_start = out.paths.len();
                out.paths.extend_from_slice(name);
                out.slots.push(Slot { start, name_start, end: out.paths.len(), mode: e.mode, oid: e.oid });
            }
            Some(scope) => {
                if depth + 1 >= MAX_DEPTH {
                    return Err(Error::object(Some(top.tree), "trees nested too deep"));
                }
                base.truncate(base_len);
                base.extend_from_slice(name);
                base.push(b'/');
                if bufs.len() <= depth + 1 {
                    bufs.push(Vec::new());
                }
                read_tree(odb, &e.oid, &mut bufs[depth + 1])?;
                frames.push(Frame { tree: e.oid, pos: 0, base_len: base.len(), scope });
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Diff

/// How a path differs between two trees (git's raw status letters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// `A`: only in the new tree.
    Added,
    /// `D`: only in the old tree.
    Deleted,
    /// `M`: another id or mode of the same type.
    Modified,
    /// `T`: file, symlink and gitlink changed into one another.
    TypeChange,
}

impl Status {
    /// The letter `git diff-tree --raw` prints.
    pub fn letter(self) -> char {
        match self {
            Status::Added => 'A',
            Status::Deleted => 'D',
            Status::Modified => 'M',
            Status::TypeChange => 'T',
        }
    }
}

/// One difference between two trees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub status: Status,
    /// The full `/`-separated path.
    pub path: Vec<u8>,
    /// None when added.
    pub old_oid: Option<ObjectId>,
    /// None when deleted.
    pub new_oid: Option<ObjectId>,
    /// None when added.
    pub old_mode: Option<u32>,
    /// None when deleted.
    pub new_mode: Option<u32>,
}

/// Tree order: names compared bytewise, a tree's name as if it ended in `/`
/// (`base_name_compare` in git's `read-cache.c`).
#[inline]
fn base_name_compare(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> std::cmp::Ordering {
    let n = a.len().min(b.len());
    match a[..n].cmp(&b[..n]) {
        std::cmp::Ordering::Equal => {}
        o => return o,
    }
    let ca = a.get(n).copied().unwrap_or(if a_tree { b'/' } else { 0 });
    let cb = b.get(n).copied().unwrap_or(if b_tree { b'/' } else { 0 });
    ca.cmp(&cb)
}

struct Differ<'a> {
    odb: &'a Store,
    recursive: bool,
    /// The directory being compared, with its trailing `/`.
    base: Vec<u8>,
    out: Vec<Change>,
    /// Spare tree buffers, reused as the walk goes down and up.
    pool: Vec<Vec<u8>>,
}

impl Differ<'_> {
    fn emit(&mut self, status: Status, name: &[u8], old: Option<&Raw>, new: Option<&Raw>) {
        let mut path = Vec::with_capacity(self.base.len() + name.len());
        path.extend_from_slice(&self.base);
        path.extend_from_slice(name);
        self.out.push(Change {
            status,
            path,
            old_oid: old.map(|e| e.oid),
            new_oid: new.map(|e| e.oid),
            old_mode: old.map(|e| e.mode),
            new_mode: new.map(|e| e.mode),
        });
    }

    /// Compare the subtrees `a` and `b` (None: absent) named `name` under the current base.
    fn enter(&mut self, name: &[u8], a: Option<ObjectId>, b: Option<ObjectId>, depth: usize) -> Result<()> {
        if depth >= MAX_DEPTH {
            return Err(Error::object(a.or(b), "trees nested too deep"));
        }
        let mut abuf = self.pool.pop().unwrap_or_default();
        let mut bbuf = self.pool.pop().unwrap_or_default();
        abuf.clear();
        bbuf.clear();
        if let Some(a) = &a {
            read_tree(self.odb, a, &mut abuf)?;
        }
        if let Some(b) = &b {
            read_tree(self.odb, b, &mut bbuf)?;
        }
        let base_len = self.base.len();
        self.base.extend_from_slice(name);
        self.base.push(b'/');
        self.walk(&abuf, a.unwrap_or(EMPTY_TREE), &bbuf, b.unwrap_or(EMPTY_TREE), depth)?;
        self.base.truncate(base_len);
        self.pool.push(abuf);
        self.pool.push(bbuf);
        Ok(())
    }

    /// Merge the entries of two loaded trees in tree order (`ll_diff_tree_paths`
    /// in git's `tree-diff.c`), skipping equal entries and so identical subtrees.
    fn walk(&mut self, a: &[u8], a_id: ObjectId, b: &[u8], b_id: ObjectId, depth: usize) -> Result<()> {
        let (mut pa, mut pb) = (0, 0);
        let mut ea = next(a, &mut pa, &a_id)?;
        let mut eb = next(b, &mut pb, &b_id)?;
        loop {
            let order = match (&ea, &eb) {
                (None, None) => return Ok(()),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(x), Some(y)) => base_name_compare(
                    &a[x.name.0..x.name.1],
                    x.mode == MODE_TREE,
                    &b[y.name.0..y.name.1],
                    y.mode == MODE_TREE,
                ),
            };
            match order {
                std::cmp::Ordering::Less => {
                    let x = ea.take().expect("compared, so present");
                    let name = &a[x.name.0..x.name.1];
                    if x.mode == MODE_TREE && self.recursive {
                        self.enter(name, Some(x.oid), None, depth + 1)?;
                    } else {
                        self.emit(Status::Deleted, name, Some(&x), None);
                    }
                    ea = next(a, &mut pa, &a_id)?;
                }
                std::cmp::Ordering::Greater => {
                    let y = eb.take().expect("compared, so present");
                    let name = &b[y.name.0..y.name.1];
                    if y.mode == MODE_TREE && self.recursive {
                        self.enter(name, None, Some(y.oid), depth + 1)?;
                    } else {
                        self.emit(Status::Added, name, None, Some(&y));
                    }
                    eb = next(b, &mut pb, &b_id)?;
                }
                std::cmp::Ordering::Equal => {
                    let x = ea.take().expect("compared, so present");
                    let y = eb.take().expect("compared, so present");
                    if x.oid != y.oid || x.mode != y.mode {
                        let name = &b[y.name.0..y.name.1];
                        if x.mode == MODE_TREE && self.recursive {
                            // Equal order with one a tree means both are trees.
                            self.enter(name, Some(x.oid), Some(y.oid), depth + 1)?;
                        } else {
                            let status =
                                if x.mode & 0o170000 != y.mode & 0o170000 { Status::TypeChange } else { Status::Modified };
                            self.emit(status, name, Some(&x), Some(&y));
                        }
                    }
                    ea = next(a, &mut pa, &a_id)?;
                    eb = next(b, &mut pb, &b_id)?;
                }
            }
        }
    }
}

/// Compare the trees of `a` and `b` (trees, or commits or tags peeled to
/// their trees; `a = None` is the empty tree, so everything is added) as
/// `git diff-tree [-r] --raw <a> <b>` without rename detection, in the same
/// order and with the same entries:
///
/// - `recursive: true` compares files: subtrees are entered, a subtree only on
///   one side gives each of its files as added or deleted, and identical
///   subtrees (same id) are skipped without being read;
/// - `recursive: false` compares one level: a changed subtree is one
///   `Modified` entry with modes 040000;
/// - a file, symlink or gitlink that becomes another of these is a
///   `TypeChange`, a mode change within files (644 ↔ 755) is `Modified`, and a
///   path that turns from a file (or symlink, or gitlink) into a directory or
///   back is a deletion plus an addition, each at its place in tree order.
pub fn diff_trees(odb: &Store, a: Option<ObjectId>, b: ObjectId, recursive: bool) -> Result<Vec<Change>> {
    let mut abuf = Vec::new();
    let mut bbuf = Vec::new();
    let a_id = match a {
        Some(a) => load_tree_ish(odb, a, &mut abuf)?,
        None => EMPTY_TREE,
    };
    let b_id = load_tree_ish(odb, b, &mut bbuf)?;
    let mut d = Differ { odb, recursive, base: Vec::new(), out: Vec::new(), pool: Vec::new() };
    if a_id != b_id {
        d.walk(&abuf, a_id, &bbuf, b_id, 0)?;
    }
    Ok(d.out)
}


#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::core::repo::Repository;
    use crate::core::testutil::{command, git_bytes, git_ok, git_output, TempDir};

    fn open(dir: &Path) -> Repository {
        Repository::open(dir, &Default::default()).expect("opens")
    }

    fn oid(hex: &str) -> ObjectId {
        ObjectId::parse(hex).expect("an object id")
    }

    fn rev(dir: &Path, spec: &str) -> ObjectId {
        oid(&git_ok(dir, &["rev-parse", "--verify", spec]))
    }

    /// Split `-z` output into its NUL-terminated records.
    fn records(out: &[u8]) -> Vec<&[u8]> {
        let mut v: Vec<&[u8]> = out.split(|&c| c == 0).collect();
        assert_eq!(v.pop(), Some(&b""[..]), "output ends with NUL");
        v
    }

    /// One line as `git ls-tree -z` prints it (without the NUL).
    fn ls_line(e: &Entry<'_>) -> Vec<u8> {
        let mut l = format!("{:06o} {} {}\t", e.mode, e.kind().as_str(), e.oid).into_bytes();
        l.extend_from_slice(e.path);
        l
    }

    fn ours_ls(odb: &Store, treeish: ObjectId, prefix: Option<&str>, recursive: bool) -> Vec<Vec<u8>> {
        let listing = list_files(odb, treeish, prefix, recursive).expect("lists");
        for e in &listing {
            assert!(e.path.ends_with(e.name), "name is the path's last component");
            assert!(e.path.len() == e.name.len() || e.path[e.path.len() - e.name.len() - 1] == b'/');
        }
        listing.iter().map(|e| ls_line(&e)).collect()
    }

    fn git_ls(dir: &Path, treeish: &str, prefix: Option<&str>, recursive: bool) -> Vec<Vec<u8>> {
        let mut args = vec!["ls-tree", "-z"];
        if recursive {
            args.push("-r");
        }
        args.push(treeish);
        args.extend(prefix);
        let out = git_output(dir, &args, None);
        if !out.status.success() {
            return Vec::new(); // "outside repository": nothing listed, as ours
        }
        records(&out.stdout).into_iter().map(<[u8]>::to_vec).collect()
    }

    /// A change as one `git diff-tree --raw -z` record pair, joined by a tab.
    fn raw_line(c: &Change) -> Vec<u8> {
        let z = ObjectId([0; 20]);
        let mut l = format!(
            ":{:06o} {:06o} {} {} {}\t",
            c.old_mode.unwrap_or(0),
            c.new_mode.unwrap_or(0),
            c.old_oid.unwrap_or(z),
            c.new_oid.unwrap_or(z),
            c.status.letter()
        )
        .into_bytes();
        l.extend_from_slice(&c.path);
        l
    }

    fn ours_diff(odb: &Store, a: Option<ObjectId>, b: ObjectId, recursive: bool) -> Vec<Vec<u8>> {
        let changes = diff_trees(odb, a, b, recursive).expect("diffs");
        for c in &changes {
            assert_eq!(c.old_oid.is_some(), c.old_mode.is_some());
            assert_eq!(c.new_oid.is_some(), c.new_mode.is_some());
            match c.status {
                Status::Added => assert!(c.old_oid.is_none() && c.new_oid.is_some()),
                Status::Deleted => assert!(c.old_oid.is_some() && c.new_oid.is_none()),
                _ => assert!(c.old_oid.is_some() && c.new_oid.is_some()),
            }
        }
        changes.iter().map(raw_line).collect()
    }

    /// Parse `git diff-tree -z --raw` records into lines like [`raw_line`].
    fn parse_raw(recs: &[&[u8]]) -> Vec<Vec<u8>> {
        recs.chunks(2)
            .map(|p| {
                let mut l = p[0].to_vec();
                l.push(b'\t');
                l.extend_from_slice(p[1]);
                l
            })
            .collect()
    }

    fn git_diff(dir: &Path, a: &str, b: &str, recursive: bool) -> Vec<Vec<u8>> {
        let mut args = vec!["diff-tree", "--raw", "-z"];
        if recursive {
            args.push("-r");
        }
        args.extend([a, b]);
        parse_raw(&records(&git_bytes(dir, &args, None)))
    }

    /// `git diff-tree --stdin` over many tree pairs at once: one result per pair.
    fn git_diff_many(dir: &Path, pairs: &[(ObjectId, ObjectId)], recursive: bool) -> Vec<Vec<Vec<u8>>> {
        let input: String = pairs.iter().map(|(a, b)| format!("{a} {b}\n")).collect();
        let mut args = vec!["diff-tree", "--stdin", "--raw", "-z"];
        if recursive {
            args.push("-r");
        }
        let out = git_bytes(dir, &args, Some(input.as_bytes()));
        let mut results: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut pos = 0;
        while pos < out.len() {
            if out[pos] == b':' {
                let meta_end = pos + out[pos..].iter().position(|&c| c == 0).expect("meta NUL");
                let path_end = meta_end + 1 + out[meta_end + 1..].iter().position(|&c| c == 0).expect("path NUL");
                let mut l = out[pos..meta_end].to_vec();
                l.push(b'\t');
                l.extend_from_slice(&out[meta_end + 1..path_end]);
                results.last_mut().expect("a header first").push(l);
                pos = path_end + 1;
            } else {
                // "<tree> <tree>\n" before each pair's records.
                let (a, b) = pairs[results.len()];
                assert_eq!(&out[pos..pos + 82], format!("{a} {b}\n").as_bytes());
                results.push(Vec::new());
                pos += 82;
            }
        }
        assert_eq!(results.len(), pairs.len());
        results
    }

    /// `git cat-file --batch-check` on many `<rev>:<path>` names: the id, or None when missing.
    fn git_resolve_many(dir: &Path, names: &[String]) -> Vec<Option<ObjectId>> {
        let input: String = names.iter().map(|n| format!("{n}\n")).collect();
        let out = git_bytes(dir, &["cat-file", "--batch-check=%(objectname)"], Some(input.as_bytes()));
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), names.len());
        lines.iter().map(|l| if l.ends_with(" missing") { None } else { Some(oid(l)) }).collect()
    }

    fn make_small(t: &TempDir) -> PathBuf {
        let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/make-repo");
        let dest = t.0.join("small");
        let out = command("python3", &t.0).arg(&tool).arg("small").arg(&dest).output().expect("python3 runs");
        assert!(out.status.success(), "make-repo small: {}", String::from_utf8_lossy(&out.stderr));
        dest
    }

    #[test]
    fn normalize_like_git() {
        let n = |p: &str| normalize_path(p.as_bytes()).map(|v| String::from_utf8(v).expect("utf-8"));
        for (p, want) in [
            ("", Some("")),
            (".", Some("")),
            ("./", Some("")),
            ("./.", Some("")),
            ("a", Some("a")),
            ("a/", Some("a/")),
            ("a//b", Some("a/b")),
            ("a//", Some("a/")),
            ("./a//b/../c", Some("a/c")),
            ("a/./b/.", Some("a/b/")),
            ("d/..", Some("")),
            ("d/../", Some("")),
            ("d/e/../..", Some("")),
            (".a/..b/...", Some(".a/..b/...")),
            ("..", None),
            ("../a", None),
            ("a/../..", None),
            ("/a", None),
        ] {
            assert_eq!(n(p).as_deref(), want, "{p:?}");
        }
    }

    const EDGES: &str = r#"
set -eu
git init -q -b main .
git config core.symlinks true
git config core.filemode true
mkdir -p b d/e gone/deep/er 'sp ace' 日本 same/s x
echo a > a; echo ab > a.b; echo a0 > a0; echo bx > b/x
echo f > d/e/f; echo g > d/g
echo x > exe; chmod +x exe
echo p > plain
ln -s d/g link
echo fl > file2link
echo f2s > f2sub
echo er > gone/deep/er/file; echo gx > gone/x
echo sp > 'sp ace/f'
echo ja > 日本/語.txt; echo u > ü.txt
echo s > same/s/t
echo xd > x/in; echo xm > x-; echo xy > x.y; echo x0 > x0
git add -- a a.b a0 b d exe plain link file2link f2sub gone 'sp ace' 日本 ü.txt same x x- x.y x0
git update-index --add --cacheinfo 160000,1111111111111111111111111111111111111111,sub
git update-index --add --cacheinfo 160000,2222222222222222222222222222222222222222,sub2
git update-index --add --cacheinfo 160000,3333333333333333333333333333333333333333,subdir
git commit -q -m one
git tag -a -m t1 t1
git rm -q --cached a; rm a; mkdir a; echo in > a/inner; git add a/inner
git rm -q -r b; echo b > b; git add b
echo f2 > d/e/f; git add d/e/f
chmod -x exe; git add exe
echo p2 > plain; chmod +x plain; git add plain
rm link; echo notalink > link; git add link
rm file2link; ln -s a.b file2link; git add file2link
git update-index --add --cacheinfo 160000,4444444444444444444444444444444444444444,sub
git rm -q --cached sub2; echo s2 > sub2; git add sub2
git rm -q --cached f2sub; rm f2sub
git update-index --add --cacheinfo 160000,5555555555555555555555555555555555555555,f2sub
git rm -q --cached subdir; mkdir subdir; echo sx > subdir/x; git add subdir/x
git rm -q -r gone
mkdir -p new/deeper; echo y > new/deeper/y; git add new
echo ja2 > 日本/語.txt; git add 日本
git commit -q -m two
"#;

    fn make_edges(t: &TempDir) -> PathBuf {
        let dir = t.0.join("edges");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let out = command("bash", &dir).args(["-c", EDGES]).output().expect("bash runs");
        assert!(out.status.success(), "fixture failed: {}", String::from_utf8_lossy(&out.stderr));
        dir
    }

    const PREFIXES: &[&str] = &[
        ".", "./", "a", "a/", "a.b", "a.b/", "a0", "b", "b/", "d", "d/", "d//", "d/e", "d/e/", "d//e", "./d", "d/.",
        "d/e/f", "d/e/f/", "d/e/../g", "sub", "sub/", "sub/x", "subdir", "subdir/", "x", "x/", "x-", "日本", "日本/",
        "日本/語.txt", "sp ace", "sp ace/f", "nope", "d/nope", "new/deeper", "new/deeper/", "link", "link/", "../a",
    ];

    #[test]
    fn edges_match_git() {
        let t = TempDir::new("treeops-edges");
        let dir = make_edges(&t);
        let repo = open(&dir);
        let odb = &repo.odb;
        let (c1, c2, t1) = (rev(&dir, "HEAD~1"), rev(&dir, "HEAD"), rev(&dir, "t1"));
        assert_ne!(t1, c1, "an annotated tag");

        // ls-tree, with and without -r, with every prefix.
        for c in ["HEAD~1", "HEAD", "t1"] {
            let id = rev(&dir, c);
            for recursive in [false, true] {
                let want = git_ls(&dir, c, None, recursive);
                assert!(!want.is_empty());
                assert_eq!(ours_ls(odb, id, None, recursive), want, "ls-tree {c} r={recursive}");
                assert_eq!(ours_ls(odb, id, Some(""), recursive), want, "empty prefix");
                for p in PREFIXES {
                    let want = git_ls(&dir, c, Some(p), recursive);
                    assert_eq!(ours_ls(odb, id, Some(p), recursive), want, "ls-tree {c} {p:?} r={recursive}");
                }
            }
        }
        let modes: Vec<(Vec<u8>, u32, Kind)> =
            list_files(odb, c1, None, true).expect("lists").iter().map(|e| (e.path.to_vec(), e.mode, e.kind())).collect();
        for (p, m, k) in [("exe", 0o100755, Kind::Blob), ("link", 0o120000, Kind::Blob), ("sub", 0o160000, Kind::Commit)] {
            assert!(modes.contains(&(p.as_bytes().to_vec(), m, k)), "{p}");
        }

        // diff-tree, both ways, from the empty tree, through a tag, and to itself.
        let empty = EMPTY_TREE.to_hex();
        let cases: &[(Option<ObjectId>, &str, ObjectId, &str)] = &[
            (Some(c1), "HEAD~1", c2, "HEAD"),
            (Some(c2), "HEAD", c1, "HEAD~1"),
            (None, &empty, c1, "HEAD~1"),
            (None, &empty, c2, "HEAD"),
            (Some(c2), "HEAD", EMPTY_TREE, &empty),
            (Some(t1), "t1", c2, "HEAD"),
            (Some(c1), "HEAD~1", c1, "HEAD~1"),
        ];
        for &(a, an, b, bn) in cases {
            for recursive in [false, true] {
                let want = git_diff(&dir, an, bn, recursive);
                assert_eq!(ours_diff(odb, a, b, recursive), want, "diff-tree {an} {bn} r={recursive}");
            }
        }
        let changes = diff_trees(odb, Some(c1), c2, true).expect("diffs");
        let status = |p: &str| changes.iter().filter(|c| c.path == p.as_bytes()).map(|c| c.status).collect::<Vec<_>>();
        assert_eq!(status("link"), [Status::TypeChange]);
        assert_eq!(status("file2link"), [Status::TypeChange]);
        assert_eq!(status("sub2"), [Status::TypeChange]);
        assert_eq!(status("f2sub"), [Status::TypeChange]);
        assert_eq!(status("sub"), [Status::Modified]);
        assert_eq!(status("exe"), [Status::Modified]);
        assert_eq!(status("a"), [Status::Deleted]);
        assert_eq!(status("a/inner"), [Status::Added]);
        assert_eq!(status("subdir"), [Status::Deleted]);
        assert_eq!(status("subdir/x"), [Status::Added]);
        assert!(status("same/s/t").is_empty());

        // rev:path, from the work tree's top like git (where ./ and ../ resolve).
        let paths = [
            "", "a", "./a", "a/", "a/x", "a.b", "a.b/", "d", "d/", "d/e", "d/e/", "d/e/f", "d/e/f/", "d//e", "d/./e",
            "./d//e", "./d/../a", "./d/e/./f", "./", "./.", ".", "/a", "../a", "./../a", "sub", "sub/", "sub/x", "link",
            "link/", "link/x", "日本/語.txt", "日本", "sp ace/f", "nope", "d/nope", "x/in", "x-", "x.y", "exe", "subdir",
            "subdir/x", "new/deeper/y", "gone/x", "ü.txt",
        ];
        for (c, id) in [("HEAD~1", c1), ("HEAD", c2), ("t1", t1)] {
            for p in paths {
                let out = git_output(&dir, &["rev-parse", "--verify", "-q", &format!("{c}:{p}")], None);
                let want = out.status.success().then(|| oid(String::from_utf8_lossy(&out.stdout).trim()));
                let got = resolve_path(odb, id, p).expect("resolves");
                assert_eq!(got.map(|e| e.oid), want, "{c}:{p}");
            }
        }
        let at = |p: &str| resolve_path(odb, c1, p).expect("resolves").expect("exists");
        assert_eq!(at("sub"), PathEntry { mode: 0o160000, oid: oid("1111111111111111111111111111111111111111"), kind: Kind::Commit });
        assert_eq!((at("link").mode, at("link").kind), (0o120000, Kind::Blob));
        assert_eq!((at("exe").mode, at("exe").kind), (0o100755, Kind::Blob));
        assert_eq!((at("d/").mode, at("d/").kind), (0o040000, Kind::Tree));
        assert_eq!(at("").oid, rev(&dir, "HEAD~1^{tree}"));

        // Loading what a path names.
        let blob = try_read_path(odb, c2, "日本/語.txt").expect("reads").expect("exists");
        assert_eq!((blob.kind, blob.data.as_slice()), (Kind::Blob, &b"ja2\n"[..]));
        let tree = try_read_path(odb, t1, "./d/").expect("reads").expect("exists");
        assert_eq!((tree.kind, tree.oid), (Kind::Tree, rev(&dir, "HEAD~1:d")));
        assert!(matches!(tree.parsed, crate::core::object::Parsed::Tree(_)));
        assert!(try_read_path(odb, c2, "a/x").expect("reads").is_none());
        assert_eq!(read_path(odb, c2, "a/x").expect_err("absent").code(), "ERR_PATH_NOT_FOUND");
        assert_eq!(read_path(odb, c2, "a/inner/").expect_err("a file").code(), "ERR_PATH_NOT_FOUND");
        assert_eq!(read_path(odb, c2, "a/inner").expect("a file").data, b"in\n");
        assert_eq!(read_path(odb, c2, "").expect("the root").oid, rev(&dir, "HEAD^{tree}"));
        assert!(try_read_path(odb, c2, "../x").expect("reads").is_none());
        assert_eq!(try_read_path(odb, c2, "sub").expect_err("gitlink").code(), "ERR_OBJECT_TYPE");
        let a_blob = rev(&dir, "HEAD:a.b");
        assert_eq!(try_read_path(odb, a_blob, "x").expect_err("blob").code(), "ERR_OBJECT_TYPE");
        assert_eq!(list_files(odb, a_blob, None, true).expect_err("blob").code(), "ERR_OBJECT_TYPE");
        assert_eq!(diff_trees(odb, None, a_blob, true).expect_err("blob").code(), "ERR_OBJECT_TYPE");
        let absent = oid("abababababababababababababababababababab");
        assert_eq!(resolve_path(odb, absent, "a").expect_err("missing").code(), "ERR_OBJECT_NOT_FOUND");
        assert_eq!(peel_to_tree(odb, t1).expect("peels"), rev(&dir, "HEAD~1^{tree}"));
        // The empty tree is known without being stored.
        assert!(list_files(odb, EMPTY_TREE, None, true).expect("lists").is_empty());
        assert_eq!(resolve_path(odb, EMPTY_TREE, "").expect("resolves").map(|e| e.oid), Some(EMPTY_TREE));
    }

    #[test]
    fn corrupt_and_missing_trees_are_errors() {
        let t = TempDir::new("treeops-corrupt");
        let dir = t.0.join("r");
        std::fs::create_dir_all(&dir).expect("mkdir");
        git_ok(&dir, &["init", "-q", "--bare"]);
        let hash = |content: &[u8]| {
            let out = git_bytes(&dir, &["hash-object", "-t", "tree", "--literally", "-w", "--stdin"], Some(content));
            oid(String::from_utf8_lossy(&out).trim())
        };
        let bad = [&b"100644 a\0short"[..], b"10x644 a\0aaaaaaaaaaaaaaaaaaaa", b"100644 \0aaaaaaaaaaaaaaaaaaaa", b"100644"];
        let repo_bad: Vec<ObjectId> = bad.iter().map(|b| hash(b)).collect();
        // A good tree whose subtree is missing.
        let dangling = {
            let out = git_bytes(&dir, &["mktree", "--missing"], Some(b"040000 tree abababababababababababababababababababab\tsub\n"));
            oid(String::from_utf8_lossy(&out).trim())
        };
        let repo = open(&dir);
        let odb = &repo.odb;
        for id in repo_bad {
            assert_eq!(list_files(odb, id, None, true).expect_err("corrupt").code(), "ERR_CORRUPT_OBJECT");
            assert_eq!(diff_trees(odb, None, id, true).expect_err("corrupt").code(), "ERR_CORRUPT_OBJECT");
            assert_eq!(resolve_path(odb, id, "zz").expect_err("corrupt").code(), "ERR_CORRUPT_OBJECT");
        }
        assert_eq!(list_files(odb, dangling, None, true).expect_err("missing").code(), "ERR_OBJECT_NOT_FOUND");
        assert_eq!(list_files(odb, dangling, None, false).expect("one level").len(), 1);
        assert_eq!(diff_trees(odb, None, dangling, true).expect_err("missing").code(), "ERR_OBJECT_NOT_FOUND");
        assert_eq!(diff_trees(odb, None, dangling, false).expect("one level").len(), 1);
        assert_eq!(resolve_path(odb, dangling, "sub/x").expect_err("missing").code(), "ERR_OBJECT_NOT_FOUND");
        assert!(resolve_path(odb, dangling, "sub").expect("resolves").is_some());
    }

    #[test]
    fn small_matches_git() {
        let t = TempDir::new("treeops-small");
        let dir = make_small(&t);
        let repo = open(&dir);
        let odb = &repo.odb;
        // Every commit with its tree and parents.
        let log = git_ok(&dir, &["log", "--all", "--format=%H %T %P"]);
        let commits: Vec<Vec<ObjectId>> = log.lines().map(|l| l.split(' ').map(oid).collect()).collect();
        assert!(commits.len() > 1000, "{} commits", commits.len());
        let tree_of: std::collections::HashMap<ObjectId, ObjectId> = commits.iter().map(|c| (c[0], c[1])).collect();

        // diff-tree along every parent edge (roots against the empty tree) and
        // between commits far apart, as trees and through commits.
        let mut pairs: Vec<(Option<ObjectId>, ObjectId)> = Vec::new();
        for c in &commits {
            if c.len() == 2 {
                pairs.push((None, c[0]));
            }
            for p in &c[2..] {
                pairs.push((Some(*p), c[0]));
            }
        }
        for i in (0..commits.len()).step_by(37) {
            let j = (i * 7 + 500) % commits.len();
            pairs.push((Some(commits[i][0]), commits[j][0]));
        }
        let tree_pairs: Vec<(ObjectId, ObjectId)> =
            pairs.iter().map(|(a, b)| (a.map_or(EMPTY_TREE, |a| tree_of[&a]), tree_of[b])).collect();
        let mut nonempty = 0;
        for recursive in [true, false] {
            let want = git_diff_many(&dir, &tree_pairs, recursive);
            for (k, ((a, b), w)) in pairs.iter().zip(&want).enumerate() {
                nonempty += usize::from(!w.is_empty());
                let through_trees = (a.map(|_| tree_pairs[k].0), tree_pairs[k].1);
                assert_eq!(&ours_diff(odb, *a, *b, recursive), w, "diff-tree {a:?} {b} r={recursive}");
                if k % 10 == 0 {
                    assert_eq!(&ours_diff(odb, through_trees.0, through_trees.1, recursive), w);
                }
            }
        }
        assert!(nonempty > pairs.len(), "most pairs differ");

        // ls-tree on a sample of commits, whole and under prefixes taken from the tree.
        let head = rev(&dir, "HEAD");
        let full = list_files(odb, head, None, true).expect("lists");
        let mut prefixes: Vec<String> = vec![".".into(), "nope".into()];
        for e in full.iter().step_by(41) {
            let p = String::from_utf8_lossy(e.path).to_string();
            if let Some((dir_part, _)) = p.rsplit_once('/') {
                prefixes.push(dir_part.to_string());
                prefixes.push(format!("{dir_part}/"));
                if let Some((top, _)) = dir_part.split_once('/') {
                    prefixes.push(top.to_string());
                    prefixes.push(format!("./{top}//"));
                }
            }
            prefixes.push(p.clone());
            prefixes.push(format!("{p}/"));
        }
        for (i, c) in commits.iter().enumerate().filter(|(i, _)| i % 97 == 0) {
            let name = c[0].to_hex();
            for recursive in [true, false] {
                assert_eq!(ours_ls(odb, c[0], None, recursive), git_ls(&dir, &name, None, recursive), "ls-tree {name}");
                if i % 3 == 0 {
                    for p in &prefixes {
                        let want = git_ls(&dir, &name, Some(p), recursive);
                        assert_eq!(ours_ls(odb, c[0], Some(p), recursive), want, "ls-tree {name} {p:?} r={recursive}");
                    }
                }
            }
        }

        // rev:path for every path of HEAD, the directories with a slash, and near misses.
        let mut names: Vec<String> = Vec::new();
        let mut paths: Vec<String> = vec![String::new()];
        let listing = git_bytes(&dir, &["ls-tree", "-r", "-t", "-z", "--name-only", "HEAD"], None);
        for p in records(&listing) {
            let p = String::from_utf8_lossy(p).to_string();
            paths.push(format!("{p}/"));
            paths.push(format!("{p}x"));
            paths.push(p.replacen('/', "//", 1));
            paths.push(p);
        }
        for p in &paths {
            names.push(format!("HEAD:{p}"));
        }
        let want = git_resolve_many(&dir, &names);
        for (p, w) in paths.iter().zip(want) {
            assert_eq!(resolve_path(odb, head, p).expect("resolves").map(|e| e.oid), w, "HEAD:{p}");
        }
    }

    /// `cargo test --release --lib treeops_bench -- --ignored --nocapture`:
    /// list_files and diff_trees on `FERROGIT_BENCH_REPO` (default
    /// /tmp/ferrogit-bench/medium) against `git ls-tree -r` and `git diff-tree -r`.
    #[test]
    #[ignore]
    fn treeops_bench() {
        let path = std::env::var("FERROGIT_BENCH_REPO").unwrap_or_else(|_| "/tmp/ferrogit-bench/medium".into());
        let dir = Path::new(&path);
        if !dir.exists() {
            eprintln!("no {path}");
            return;
        }
        let time = |f: &mut dyn FnMut()| {
            let mut best = std::time::Duration::MAX;
            for _ in 0..7 {
                let t = std::time::Instant::now();
                f();
                best = best.min(t.elapsed());
            }
            best
        };
        let head = rev(dir, "HEAD");
        let old = rev(dir, "HEAD~200");
        let cold = {
            let repo = open(dir);
            let t = std::time::Instant::now();
            let n = list_files(&repo.odb, head, None, true).expect("lists").len();
            eprintln!("list_files -r HEAD, fresh repository: {n} entries in {:?}", t.elapsed());
            t.elapsed()
        };
        let _ = cold;
        let repo = open(dir);
        let ours = time(&mut || {
            list_files(&repo.odb, head, None, true).expect("lists");
        });
        let fresh = time(&mut || {
            let r = open(dir);
            list_files(&r.odb, head, None, true).expect("lists");
        });
        let open_only = time(&mut || {
            open(dir);
        });
        let git = time(&mut || {
            git_bytes(dir, &["ls-tree", "-r", "HEAD"], None);
        });
        let git_start = time(&mut || {
            git_bytes(dir, &["rev-parse", "HEAD"], None);
        });
        eprintln!(
            "ls-tree -r HEAD: ours {ours:?} warm, {fresh:?} with a fresh open (the open alone {open_only:?}); \
             git {git:?} (git rev-parse HEAD alone {git_start:?})"
        );
        let n = diff_trees(&repo.odb, Some(old), head, true).expect("diffs").len();
        let ours = time(&mut || {
            diff_trees(&repo.odb, Some(old), head, true).expect("diffs");
        });
        let git = time(&mut || {
            git_bytes(dir, &["diff-tree", "-r", "--raw", "HEAD~200", "HEAD"], None);
        });
        eprintln!("diff-tree -r HEAD~200 HEAD ({n} changes): ours {ours:?}, git {git:?}");
    }
}
