//! The files reference store, read side: loose refs (one file per ref under the
//! git dir) over `packed-refs`, as git's `refs/files-backend.c` layers a loose
//! store over `refs/packed-backend.c`. A linked worktree sends per-worktree
//! names (`HEAD`, `refs/bisect/`, `refs/worktree/`, `refs/rewritten/`, pseudo
//! refs) to its own git dir and everything else to the common dir, and honours
//! the `main-worktree/` and `worktrees/<id>/` prefixes (see [`name::location`]).
//!
//! `packed-refs` is read into a shared snapshot that is reused until the file's
//! stat changes, so a change made by another process is seen on the next call
//! and readers never block each other. Listing merge-joins the sorted loose
//! names with the packed records, loose winning.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::core::config::Config;
use crate::core::error::{Error, Result};
use crate::core::oid::ObjectId;
use crate::core::refs::name::{self, Location};
use crate::core::refs::packed::{self, StatKey};
use crate::core::refs::{pack, reflog, transaction, Prepared, Ref, RefStore, Storage, Stored, TxContext, Value};

/// Where loose refs and `packed-refs` live.
pub struct Store {
    git_dir: PathBuf,
    common_dir: PathBuf,
    /// The last `packed-refs` snapshot and the stat it was read with.
    packed: Mutex<Option<(Option<StatKey>, Option<Arc<packed::Buffer>>)>>,
}

/// A loose ref read from disk.
enum Loose {
    Missing,
    Found(Value),
}

fn corrupt(name: &str, path: &Path, reason: impl Into<String>) -> Error {
    Error::CorruptRef { name: Some(name.to_string()), path: Some(path.to_path_buf()), reason: reason.into() }
}

impl Store {
    /// The refs of a repository whose git dir and common dir are given (equal unless a linked worktree).
    pub fn new(git_dir: &Path, common_dir: &Path) -> Store {
        Store { git_dir: git_dir.to_path_buf(), common_dir: common_dir.to_path_buf(), packed: Mutex::new(None) }
    }

    /// Another handle on the same refs (its own `packed-refs` snapshot), for a
    /// prepared transaction that outlives the borrow it was made from.
    pub fn detached(&self) -> Store {
        Store::new(&self.git_dir, &self.common_dir)
    }

    /// The file a loose ref `name` is stored in.
    pub fn loose_path(&self, name: &str) -> PathBuf {
        match name::location(name) {
            Location::Current(n) => self.git_dir.join(n),
            Location::Shared(n) => self.common_dir.join(n),
            Location::Main(n) => self.common_dir.join(n),
            Location::Other { id, name: n } => self.common_dir.join("worktrees").join(id).join(n),
        }
    }

    /// The reflog file of `name` (`logs/<name>` beside the ref's own directory).
    pub fn log_path(&self, name: &str) -> PathBuf {
        match name::location(name) {
            Location::Current(n) => self.git_dir.join("logs").join(n),
            Location::Shared(n) | Location::Main(n) => self.common_dir.join("logs").join(n),
            Location::Other { id, name: n } => self.common_dir.join("worktrees").join(id).join("logs").join(n),
        }
    }

    /// `packed-refs` (always in the common dir).
    pub fn packed_path(&self) -> PathBuf {
        self.common_dir.join("packed-refs")
    }

    /// True if `name` can live in `packed-refs` (shared refs under `refs/`).
    pub fn packable(name: &str) -> bool {
        name.starts_with("refs/") && matches!(name::location(name), Location::Shared(_))
    }

    /// The current `packed-refs` snapshot (None if there is no file).
    pub fn packed(&self) -> Result<Option<Arc<packed::Buffer>>> {
        let path = self.common_dir.join("packed-refs");
        let key = packed::stat_key(&path);
        let mut g = self.packed.lock();
        if let Some((k, buf)) = g.as_ref() {
            if *k == key {
                return Ok(buf.clone());
            }
        }
        let buf = packed::Buffer::open(&path)?.map(Arc::new);
        // Key the snapshot by the stat of the file it was read from when known.
        let k = buf.as_ref().and_then(|b| b.stat()).or(key);
        *g = Some((k, buf.clone()));
        Ok(buf)
    }

    fn read_loose(&self, name: &str) -> Result<Loose> {
        if name.is_empty() || name.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
            return Ok(Loose::Missing);
        }
        let path = self.loose_path(name);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(20) => return Ok(Loose::Missing),
            Err(e) => return Err(Error::io(&path, e)),
        };
        if meta.file_type().is_symlink() {
            // git's legacy symlink refs (`HEAD -> refs/heads/main`) are symbolic refs;
            // a link that leaves the repository is refused, never followed.
            let target = std::fs::read_link(&path).map_err(|e| Error::io(&path, e))?;
            let t = target.to_string_lossy();
            if !target.is_absolute() && t.starts_with("refs/") && !t.split('/').any(|c| c == "..") {
                return Ok(Loose::Found(Value::Symbolic(t.into_owned())));
            }
            return Err(corrupt(name, &path, format!("symbolic link to {} is outside the repository's refs", target.display())));
        }
        if meta.is_dir() {
            return Ok(Loose::Missing);
        }
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        parse_loose(&bytes).map(Loose::Found).map_err(|r| corrupt(name, &path, r))
    }

    /// Read `name` itself (not following it): its value and storage, or None.
    pub fn read(&self, name: &str) -> Result<Option<(Value, Storage, Option<ObjectId>)>> {
        let packed = if Store::packable(name) {
            self.packed()?
        } else {
            None
        };
        let packed_rec = match &packed {
            Some(p) => p.find(name)?.map(|r| (r.oid, r.peeled)),
            None => None,
        };
        match self.read_loose(name)? {
            Loose::Found(v) => {
                let storage = if packed_rec.is_some() { Storage::LoosePacked } else { Storage::Loose };
                Ok(Some((v, storage, None)))
            }
            Loose::Missing => Ok(packed_rec.map(|(oid, peeled)| (Value::Oid(oid), Storage::Packed, peeled))),
        }
    }

    /// Loose ref names under `refs/` in `dir` that start with `prefix`. Only the
    /// directory the prefix names is walked (`refs/heads/x/` walks `refs/heads/x`),
    /// so a check of one name does not read every loose ref. `keep` filters by
    /// per-worktree-ness.
    fn loose_names(dir: &Path, prefix: &str, keep: &dyn Fn(&str) -> bool, out: &mut Vec<String>) {
        fn walk(base: &Path, rel: &str, prefix: &str, keep: &dyn Fn(&str) -> bool, out: &mut Vec<String>) {
            let Ok(rd) = std::fs::read_dir(base.join(rel)) else { return };
            for e in rd.flatten() {
                let Some(n) = e.file_name().to_str().map(str::to_string) else { continue };
                let full = format!("{rel}/{n}");
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_dir() {
                    // Descend only where names under the prefix can be.
                    let dir_prefix = format!("{full}/");
                    if dir_prefix.starts_with(prefix) || prefix.starts_with(&dir_prefix) {
                        walk(base, &full, prefix, keep, out);
                    }
                } else if full.starts_with(prefix) && !n.ends_with(".lock") && keep(&full) && name::check(&full, name::Check::default()).is_ok() {
                    out.push(full);
                }
            }
        }
        let start = match prefix.rfind('/') {
            Some(i) if prefix.starts_with("refs/") => &prefix[..i],
            _ => "refs",
        };
        if start == "refs" || start.starts_with("refs/") {
            walk(dir, start, prefix, keep, out);
        }
    }

    /// Every ref under `prefix` (all of `refs/` when empty), sorted by name,
    /// loose over packed, per-worktree and common merged. Symbolic refs keep their chain.
    pub fn list(&self, prefix: &str) -> Result<Vec<Ref>> {
        let mut loose = Vec::new();
        if self.git_dir == self.common_dir {
            Store::loose_names(&self.common_dir, prefix, &|_| true, &mut loose);
        } else {
            Store::loose_names(&self.common_dir, prefix, &|n| !name::is_per_worktree(n), &mut loose);
            Store::loose_names(&self.git_dir, prefix, &|n| name::is_per_worktree(n), &mut loose);
        }
        loose.sort();
        loose.dedup();
        let packed = self.packed()?;
        let mut out = Vec::new();
        let mut records = match &packed {
            Some(p) => Some(p.iter_prefix(prefix)),
            None => None,
        }
        .into_iter()
        .flatten()
        .peekable();
        let mut li = loose.into_iter().peekable();
        loop {
            let take_loose = match (li.peek(), records.peek()) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(l), Some(Ok(r))) => l.as_str() <= r.name,
                (Some(_), Some(Err(_))) => false,
            };
            if take_loose {
                let n = li.next().expect("peeked");
                let shadowed = matches!(records.peek(), Some(Ok(r)) if r.name == n);
                if shadowed {
                    records.next();
                }
                // A loose file can vanish between listing and reading (a concurrent
                // delete): skip it. A broken loose ref (garbage, a symref loop or a
                // chain too deep) is skipped too, as git's for-each-ref skips it;
                // get/resolve report it with its code.
                match self.get(&n) {
                    Ok(Some(r)) => out.push(r),
                    Ok(None) | Err(Error::SymrefCycle { .. }) | Err(Error::CorruptRef { .. }) => {}
                    Err(e) => return Err(e),
                }
            } else {
                let r = records.next().expect("peeked")?;
                if !r.name.starts_with(prefix) {
                    continue;
                }
                out.push(Ref::Direct { name: r.name.to_string(), oid: Some(r.oid), peeled: r.peeled, storage: Storage::Packed });
            }
        }
        Ok(out)
    }
}

impl RefStore for Store {
    fn read(&self, name: &str) -> Result<Option<Stored>> {
        Store::read(self, name)
    }

    fn list(&self, prefix: &str) -> Result<Vec<Ref>> {
        Store::list(self, prefix)
    }

    fn prepare(&self, edits: Vec<transaction::Edit>, ctx: &TxContext<'_>) -> Result<Box<dyn Prepared>> {
        Ok(Box::new(transaction::prepare(self, ctx, edits)?))
    }

    fn reflog(&self, name: &str) -> Result<Vec<reflog::Entry>> {
        reflog::read(&self.log_path(name), name)
    }

    fn pack_refs(&self, opts: pack::Options, odb: &crate::core::odb::composite::Store, config: &Config) -> Result<()> {
        pack::pack_refs(self, &self.common_dir, odb, opts, config)
    }
}

/// Parse a loose ref file: 40 hex (then optional whitespace), or `ref: <name>`.
pub fn parse_loose(bytes: &[u8]) -> std::result::Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
    if let Some(rest) = text.strip_prefix("ref:") {
        let target = rest.trim();
        if target.is_empty() {
            return Err("symbolic ref with no target".into());
        }
        if name::check(target, name::Check { allow_onelevel: true, refspec_pattern: false }).is_err() {
            return Err(format!("symbolic ref to an invalid name {target:?}"));
        }
        return Ok(Value::Symbolic(target.to_string()));
    }
    if text.is_empty() {
        return Err("empty ref file".into());
    }
    let hex = text.get(..40).ok_or("not an object id")?;
    let rest = &text[40..];
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return Err("trailing garbage after the object id".into());
    }
    ObjectId::from_hex(hex.as_bytes()).map(Value::Oid).ok_or_else(|| "not an object id".into())
}
