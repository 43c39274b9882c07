//! Checking out a tree into a work tree and writing the matching index, as
//! `git clone` does for its initial checkout (`unpack_trees` with a one-way
//! merge into an empty index, then `checkout_entry` for every path, in git's
//! `unpack-trees.c` and `entry.c`), and finding the blobs of a tree a partial
//! clone does not have yet ([`missing_blobs`], for one bulk prefetch before
//! such a checkout instead of one lazy fetch per file).
//!
//! What is written, per entry of the tree (recursively, in tree order):
//!
//! - a regular file, created with `O_CREAT|O_EXCL` and mode 0666, or 0777 when
//!   the entry is 100755, so the process umask decides the final permissions
//!   as it does for git (`create_file` in `entry.c`);
//! - a symlink (120000) whose target is the blob's content;
//! - a gitlink (160000, a submodule's commit) as an empty directory, as git
//!   clone leaves an uninitialised submodule; its index entry has zeroed stat
//!   data, as `git update-index --cacheinfo` gives it (git's clone records the
//!   directory's `lstat`, but git never compares stat data for a gitlink);
//! - the directories leading to these, created with mode 0777 (umask applies).
//!
//! Something already in the way (a file or symlink where a directory or
//! another file goes, a directory where a file goes) is removed first, as
//! git's forced checkout does; symlinks are never followed, so nothing is
//! written outside the work tree.
//!
//! Each index entry gets the stat data of the file just written (`fstat` of
//! the open file, `lstat` of a symlink), so `git diff-files`, which trusts
//! the index's stat data without refreshing it, finds every path unchanged.
//!
//! Before anything is written, every tree is read and checked as git's
//! `verify_path` checks index paths and fsck checks trees: no entry may be
//! named `.`, `..` or `.git` in any case (nor the HFS+ and NTFS spellings of
//! `.git`), contain `/`, or appear twice in one tree (which would make one
//! path both a file and a directory), and `.gitmodules` may not be a symlink.
//! A tree breaking this is `ERR_CORRUPT_OBJECT` and nothing is written.
//!
//! Not done: `.gitattributes` (no end-of-line conversion, no `ident`, no
//! filters or LFS smudging: files are written byte for byte as stored),
//! sparse checkout, `core.symlinks = false` (symlinks are always created)
//! and checking out submodules themselves.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::core::error::{Error, Result};
use crate::core::index::{self, Stat};
use crate::core::object::build::{is_dotgitmodules, tree_entry_name_problem};
use crate::core::object::{Kind, Tree};
use crate::core::odb::composite::Store;
use crate::core::oid::ObjectId;
use crate::core::repo::Repository;
use crate::core::treeops::{canon_mode, load_tree_ish, read_tree, MAX_DEPTH, MODE_GITLINK, MODE_SYMLINK, MODE_TREE};

/// Write every entry of `tree` (a tree, or a commit or tag peeled to its
/// tree) into `workdir`, then write the index listing them at `index_path`.
///
/// `workdir` must exist; what it holds already (its `.git`, say) is left
/// alone unless a path of the tree is in the way (see the module doc).
/// `progress` is called with (entries written, total entries), first with
/// (0, total) once the trees have been read and checked. Blobs are read from
/// `repo`'s object store, so a partial clone fetches each missing blob as it
/// is needed (see [`missing_blobs`] to fetch them all at once first).
/// Returns the number of entries written, which is the number of index
/// entries: files, symlinks and gitlinks (directories are not counted).
///
/// `.gitattributes` is ignored: no end-of-line conversion or filters.
///
/// Errors: `ERR_CORRUPT_OBJECT` for a tree git would refuse to check out
/// (nothing is written then); `ERR_OBJECT_NOT_FOUND` / `ERR_OBJECT_TYPE` for
/// a missing object, or one that is not what its entry says; `ERR_IO` when a
/// file cannot be written, or when `index.lock` exists (then nothing is
/// written). `index.lock` is taken before anything else and held until the
/// index is written. A failure while writing files leaves the files written
/// so far, the index untouched, and no `index.lock`.
pub fn checkout(
    repo: &Repository,
    tree: &ObjectId,
    workdir: &Path,
    index_path: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<usize> {
    let odb = &repo.odb;
    // Held from the start, as git holds it over the whole checkout.
    let lock = index::lock(index_path)?;
    let mut plan: Vec<Planned> = Vec::new();
    walk(odb, *tree, true, &mut |path, mode, oid| {
        if mode != MODE_TREE {
            plan.push(Planned { path: path.to_vec(), mode, oid });
        }
        Ok(true)
    })?;
    let total = plan.len();
    progress(0, total);
    let mut entries: Vec<index::Entry> = Vec::with_capacity(total);
    let mut dirs = Dirs { root: workdir.to_path_buf(), known: Vec::new() };
    let mut blob = Vec::new();
    for (done, p) in plan.into_iter().enumerate() {
        let parent = p.path.iter().rposition(|&c| c == b'/').map_or(&p.path[..0], |i| &p.path[..i]);
        dirs.ensure(parent)?;
        let full = workdir.join(OsStr::from_bytes(&p.path));
        let stat = match p.mode {
            MODE_GITLINK => {
                make_gitlink_dir(&full)?;
                Stat::default()
            }
            MODE_SYMLINK => {
                read_blob(odb, &p.oid, &mut blob)?;
                write_symlink(&full, &blob)?
            }
            mode => {
                read_blob(odb, &p.oid, &mut blob)?;
                write_file(&full, &blob, mode & 0o100 != 0)?
            }
        };
        entries.push(index::Entry { stage: 0, path: p.path, mode: p.mode, oid: p.oid, stat });
        progress(done + 1, total);
    }
    lock.commit(&mut entries)?;
    Ok(total)
}

/// The blob ids under `tree` (a tree, or a commit or tag peeled to its tree)
/// that `odb` does not have, in tree order without repeats: what a partial
/// clone has to fetch before checking that tree out.
///
/// `paths` restricts the walk to entries at or under any of them, matched at
/// `/` boundaries (`src` matches `src` and `src/a.c`, not `srcx`); a trailing
/// `/` is ignored, and no paths, or an empty one, means the whole tree.
/// Gitlinks are skipped (their commits live in another repository).
///
/// Presence is checked with `odb.header`, which never fetches; the trees
/// themselves are read with `odb.read`, which in a partial clone fetches a
/// missing tree (with a `blob:none` filter every tree is present already).
///
/// Errors: `ERR_OBJECT_NOT_FOUND` / `ERR_OBJECT_TYPE` / `ERR_CORRUPT_OBJECT`
/// for a tree that is missing, not a tree or unreadable.
pub fn missing_blobs(odb: &Store, tree: &ObjectId, paths: &[String]) -> Result<Vec<ObjectId>> {
    let specs: Vec<&[u8]> = paths
        .iter()
        .map(|p| {
            let b = p.as_bytes();
            &b[..b.len() - b.iter().rev().take_while(|&&c| c == b'/').count()]
        })
        .collect();
    let everything = specs.is_empty() || specs.iter().any(|s| s.is_empty());
    let mut seen: HashSet<ObjectId> = HashSet::new();
    let mut out = Vec::new();
    walk(odb, *tree, false, &mut |path, mode, oid| {
        let wanted = everything || specs.iter().any(|s| under(path, s));
        match mode {
            // Enter a directory inside a spec, or on the way to one.
            MODE_TREE => Ok(wanted || specs.iter().any(|s| under(s, path))),
            MODE_GITLINK => Ok(false),
            _ => {
                if wanted && !seen.contains(&oid) && odb.header(&oid)?.is_none() {
                    seen.insert(oid);
                    out.push(oid);
                }
                Ok(false)
            }
        }
    })?;
    Ok(out)
}

/// `path` is `dir` or lies under it at a `/` boundary.
fn under(path: &[u8], dir: &[u8]) -> bool {
    path.starts_with(dir) && (path.len() == dir.len() || path[dir.len()] == b'/')
}

/// An entry to write.
struct Planned {
    path: Vec<u8>,
    mode: u32,
    oid: ObjectId,
}

/// One entry of a loaded tree: canonical mode, name range in the tree's bytes, id.
#[derive(Clone, Copy)]
struct Item {
    mode: u32,
    name: (usize, usize),
    oid: ObjectId,
}

/// A tree being walked: its bytes and entries are `bufs[depth]` and `items[depth]`.
struct Frame {
    next: usize,
    /// Length of this tree's path (with its trailing `/`) in the path buffer.
    base_len: usize,
}

/// Walk the tree of `root` depth first in tree order, calling `visit` with
/// each entry's full path, canonical mode and id; a subtree is entered when
/// `visit` returns true for it. With `strict`, every tree is checked for
/// names git would refuse to check out (see the module doc) as it is loaded.
fn walk(
    odb: &Store,
    root: ObjectId,
    strict: bool,
    visit: &mut dyn FnMut(&[u8], u32, ObjectId) -> Result<bool>,
) -> Result<()> {
    let mut bufs: Vec<Vec<u8>> = vec![Vec::new()];
    let root = load_tree_ish(odb, root, &mut bufs[0])?;
    let mut items: Vec<Vec<Item>> = vec![Vec::new()];
    load_items(&root, &bufs[0], strict, b"", &mut items[0])?;
    let mut path: Vec<u8> = Vec::new();
    let mut frames = vec![Frame { next: 0, base_len: 0 }];
    while !frames.is_empty() {
        let depth = frames.len() - 1;
        let top = &mut frames[depth];
        let Some(&item) = items[depth].get(top.next) else {
            frames.pop();
            continue;
        };
        top.next += 1;
        path.truncate(top.base_len);
        path.extend_from_slice(&bufs[depth][item.name.0..item.name.1]);
        if !visit(&path, item.mode, item.oid)? || item.mode != MODE_TREE {
            continue;
        }
        if depth + 1 >= MAX_DEPTH {
            return Err(Error::object(Some(item.oid), "trees nested too deep"));
        }
        path.push(b'/');
        if bufs.len() <= depth + 1 {
            bufs.push(Vec::new());
            items.push(Vec::new());
        }
        read_tree(odb, &item.oid, &mut bufs[depth + 1])?;
        load_items(&item.oid, &bufs[depth + 1], strict, &path, &mut items[depth + 1])?;
        frames.push(Frame { next: 0, base_len: path.len() });
    }
    Ok(())
}

/// Parse tree `oid` (its bytes `data`, found at `base`, empty or ending in
/// `/`) into `out`, checking its names with `strict`.
fn load_items(oid: &ObjectId, data: &[u8], strict: bool, base: &[u8], out: &mut Vec<Item>) -> Result<()> {
    let tree = Tree::parse(data).map_err(|r| Error::object(Some(*oid), r))?;
    out.clear();
    let data_start = data.as_ptr() as usize;
    for e in tree.entries(data) {
        // `e.name` borrows from `data`: its offset there is its address minus the start.
        let start = e.name.as_ptr() as usize - data_start;
        out.push(Item { mode: canon_mode(e.mode), name: (start, start + e.name.len()), oid: e.oid });
    }
    if out.len() != tree.len() {
        return Err(Error::object(Some(*oid), "tree entries changed while reading"));
    }
    if !strict {
        return Ok(());
    }
    let refuse = |name: &[u8], why: &str| {
        let path = String::from_utf8_lossy(&[base, name].concat()).to_string();
        Error::object(Some(*oid), format!("refusing to check out {path:?}: {why}"))
    };
    let mut names: Vec<&[u8]> = Vec::with_capacity(out.len());
    for it in out.iter() {
        let name = &data[it.name.0..it.name.1];
        if let Some(problem) = tree_entry_name_problem(name) {
            return Err(refuse(name, problem));
        }
        if it.mode == MODE_SYMLINK && is_dotgitmodules(name) {
            return Err(refuse(name, ".gitmodules must not be a symbolic link"));
        }
        names.push(name);
    }
    // A name twice (a file and a directory `a`, say) is not always adjacent in tree order.
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(refuse(w[0], "the name appears more than once in the tree"));
    }
    Ok(())
}

/// Read blob `oid` into `buf`.
fn read_blob(odb: &Store, oid: &ObjectId, buf: &mut Vec<u8>) -> Result<()> {
    match odb.read(oid, buf)? {
        Some(Kind::Blob) => Ok(()),
        Some(k) => Err(Error::ObjectType { oid: *oid, expected: "blob", actual: k.as_str() }),
        None => Err(Error::ObjectNotFound { oid: *oid }),
    }
}

/// The directories of the work tree known to exist as real directories.
struct Dirs {
    root: PathBuf,
    /// The directory (relative, no trailing `/`; empty for the root) made or
    /// checked last: it and all its leading directories are real directories.
    /// Entries come in tree order, so each directory is made once.
    known: Vec<u8>,
}

impl Dirs {
    /// Make `dir` (relative to the root) and its leading directories exist.
    fn ensure(&mut self, dir: &[u8]) -> Result<()> {
        if dir == self.known.as_slice() {
            return Ok(());
        }
        // The longest leading part of `dir`, ending at a component boundary, known to exist.
        let n = dir.iter().zip(&self.known).take_while(|(a, b)| a == b).count();
        let at_boundary = |p: &[u8]| p.len() == n || p[n] == b'/';
        let common = if at_boundary(dir) && at_boundary(&self.known) {
            n
        } else {
            dir[..n].iter().rposition(|&c| c == b'/').unwrap_or(0)
        };
        let mut i = common;
        while i < dir.len() {
            let end = dir[i + 1..].iter().position(|&c| c == b'/').map_or(dir.len(), |k| i + 1 + k);
            make_dir(&self.root.join(OsStr::from_bytes(&dir[..end])))?;
            i = end;
        }
        self.known.clear();
        self.known.extend_from_slice(dir);
        Ok(())
    }
}

/// Create directory `path`; an existing directory is fine, an existing file
/// or symlink is replaced (git's `create_directories` in `entry.c`).
fn make_dir(path: &Path) -> Result<()> {
    match std::fs::create_dir(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            let m = std::fs::symlink_metadata(path).map_err(|e| Error::io(path, e))?;
            if m.is_dir() {
                return Ok(());
            }
            std::fs::remove_file(path).map_err(|e| Error::io(path, e))?;
            std::fs::create_dir(path).map_err(|e| Error::io(path, e))
        }
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Remove whatever is at `path` without following a symlink.
fn remove_in_the_way(path: &Path) -> Result<()> {
    let m = std::fs::symlink_metadata(path).map_err(|e| Error::io(path, e))?;
    let r = if m.is_dir() { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) };
    r.map_err(|e| Error::io(path, e))
}

/// Run `create` (an exclusive create of `path`); when something is already
/// there, remove it and try once more.
fn create_replacing<T>(path: &Path, create: &mut dyn FnMut() -> std::io::Result<T>) -> Result<T> {
    match create() {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            remove_in_the_way(path)?;
            create().map_err(|e| Error::io(path, e))
        }
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Write a regular file and return its stat data from `fstat`.
fn write_file(path: &Path, data: &[u8], executable: bool) -> Result<Stat> {
    let mode = if executable { 0o777 } else { 0o666 };
    let mut f = create_replacing(path, &mut || OpenOptions::new().write(true).create_new(true).mode(mode).open(path))?;
    f.write_all(data).map_err(|e| Error::io(path, e))?;
    let m = f.metadata().map_err(|e| Error::io(path, e))?;
    Ok(Stat::from_metadata(&m))
}

/// Create a symlink to `target` and return its stat data from `lstat`.
fn write_symlink(path: &Path, target: &[u8]) -> Result<Stat> {
    let target = OsStr::from_bytes(target);
    create_replacing(path, &mut || std::os::unix::fs::symlink(target, path))?;
    let m = std::fs::symlink_metadata(path).map_err(|e| Error::io(path, e))?;
    Ok(Stat::from_metadata(&m))
}

/// The empty directory of an uninitialised submodule; an existing directory
/// is kept as it is (it may be the submodule's checkout).
fn make_gitlink_dir(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Ok(()),
        _ => create_replacing(path, &mut || std::fs::create_dir(path)),
    }
}

#[cfg(test)]
mod tests;
