//! git's lockfile protocol for writing one file under the git dir (a loose ref,
//! `packed-refs`, `HEAD`, …), as in git `lockfile.c` / `tempfile.c`
//! (<https://git-scm.com/docs/api-lockfile>).
//!
//! To change `<path>`, a writer creates `<path>.lock` with `O_CREAT|O_EXCL`.
//! Whoever manages to create it holds the lock; everyone else sees "File
//! exists" and must fail (or retry for a while, see [`Lock::acquire_with_timeout`]).
//! The new content goes into the `.lock` file, which is then renamed over
//! `<path>`. `rename(2)` replaces the directory entry atomically, so a reader
//! sees either the old file or the new one, never a half-written one. If the
//! writer gives up (an error, a panic unwinding through it, or an explicit
//! [`Lock::rollback`]) the `.lock` is deleted and `<path>` is untouched.
//!
//! Because git uses exactly this protocol (and the same `.lock` names), a
//! [`Lock`] excludes `git update-ref`, `git pack-refs`, … in other processes
//! and they exclude us.
//!
//! Durability follows `core.fsync` (see [`fsync_refs`]): when references are
//! among its components, the `.lock` is fsync'd before the rename, as git's
//! `files-backend.c` does with `fsync_component(FSYNC_COMPONENT_REFERENCE, …)`.
//! We also fsync the containing directory after the rename so the rename
//! itself survives a crash; git does not do that step (its `rename_tempfile`
//! stops at `rename`), so this is strictly more durable than git, never less.
//!
//! What is not copied from git: its `atexit`/signal handlers that delete the
//! `.lock` when the process is killed. A `Lock` dropped by unwinding removes its
//! file, but a process killed outright leaves a stale `.lock`, exactly as a
//! killed git does after `SIGKILL`; it then reports `ERR_REF_LOCKED` until
//! someone removes the file. Symbolic links are not followed (git's
//! `LOCK_NO_DEREF`, which the ref backends use).

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::core::config::Config;
use crate::core::error::{Error, Result};

/// The suffix git appends to a file's path to lock it (`LOCK_SUFFIX`).
pub const LOCK_SUFFIX: &str = ".lock";

/// Default of `core.filesRefLockTimeout`: how long git retries a loose-ref lock.
pub const DEFAULT_FILES_REF_LOCK_TIMEOUT: Duration = Duration::from_millis(100);

/// Default of `core.packedRefsTimeout`: how long git retries the `packed-refs` lock.
pub const DEFAULT_PACKED_REFS_TIMEOUT: Duration = Duration::from_millis(1000);

/// git's cap on the backoff multiplier (`BACKOFF_MAX_MULTIPLIER` in `lockfile.c`).
const BACKOFF_MAX_MULTIPLIER: u64 = 1000;

/// How often [`Lock::acquire`] re-creates leading directories that a concurrent
/// process removed between our `mkdir` and our `open` (git's `raceproof_create_file`
/// retries the same way).
const CREATE_RETRIES: usize = 3;

/// A held lock on one file: `<path>.lock` exists and was created by us.
///
/// Write the new content with [`Lock::write_all`], then [`Lock::commit`] to
/// rename it over `<path>`, or [`Lock::rollback`] (or just drop the `Lock`) to
/// delete it and leave `<path>` unchanged.
#[derive(Debug)]
pub struct Lock {
    /// The file being replaced, e.g. `<gitdir>/refs/heads/main`.
    path: PathBuf,
    /// `path` + `.lock`. Exists on disk for as long as `file` is `Some` or
    /// `committed` is false; never removed by us once `committed` is true,
    /// because by then it has been renamed to `path`.
    lock_path: PathBuf,
    /// The ref (or file) name for error messages, e.g. `refs/heads/main`.
    name: String,
    /// The open `.lock` file; `None` once it is closed for commit.
    file: Option<File>,
    /// Set once the rename succeeded, so `Drop` must not delete anything.
    committed: bool,
    /// Written and closed by [`Lock::close`]: still held, ready to rename.
    closed: bool,
}

impl Lock {
    /// Lock `path` by creating `path.lock` with `O_EXCL`, creating missing parent
    /// directories first (git's `safe_create_leading_directories`).
    ///
    /// `name` is what errors call the file (the ref name, e.g. `refs/heads/main`).
    ///
    /// Errors:
    /// - `ERR_REF_LOCKED` ([`Error::RefLocked`]) when `path.lock` already exists:
    ///   another process (or another `Lock` in this one) holds it, or a crashed
    ///   writer left it behind.
    /// - `ERR_REF_NAME_CONFLICT` ([`Error::RefNameConflict`]) when a parent
    ///   directory of `path` exists as a file (`refs/heads/a` is a ref, so
    ///   `refs/heads/a/b` cannot be created), or `path` is a directory that holds
    ///   other refs (`refs/heads/a/b` exists, so `refs/heads/a` cannot be created).
    ///   `other` names the existing ref, derived from `name`. Nothing is left on disk.
    /// - `ERR_IO` for any other filesystem failure.
    pub fn acquire(path: &Path, name: &str) -> Result<Lock> {
        let lock_path = lock_path_for(path);
        let mut tries = 0;
        loop {
            match OpenOptions::new().write(true).create_new(true).open(&lock_path) {
                Ok(file) => {
                    let lock = Lock {
                        path: path.to_path_buf(),
                        lock_path,
                        name: name.to_string(),
                        file: Some(file),
                        committed: false,
                        closed: false,
                    };
                    // A directory where the file should go: either other refs
                    // live below it (a name conflict) or it is an empty leftover
                    // that git would remove too (`remove_empty_directories`).
                    lock.clear_directory_at_target()?;
                    return Ok(lock);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(Error::RefLocked { name: name.to_string(), path: Some(lock_path) });
                }
                Err(e) => {
                    // Missing or conflicting parents: find out which, and create
                    // the missing ones. A concurrent `rmdir` of an empty parent can
                    // undo our `mkdir` before the `open`, so retry a few times.
                    create_leading_directories(path, name)?;
                    tries += 1;
                    if e.kind() != io::ErrorKind::NotFound || tries > CREATE_RETRIES {
                        return Err(Error::io(&lock_path, e));
                    }
                }
            }
        }
    }

    /// Like [`Lock::acquire`], but while the lock is held by someone else keep
    /// retrying for up to `timeout`, with git's backoff
    /// (`hold_lock_file_for_update_timeout`): waits of about 1, 4, 9, 16, … ms
    /// (each randomised to 75–125 %), capped at 1 s per wait.
    ///
    /// A zero `timeout` tries once. git's ref code uses
    /// [`files_ref_lock_timeout`] for loose refs and [`packed_refs_timeout`] for
    /// `packed-refs`. Only `ERR_REF_LOCKED` is retried; other errors return at once.
    pub fn acquire_with_timeout(path: &Path, name: &str, timeout: Duration) -> Result<Lock> {
        let start = Instant::now();
        let mut n: u64 = 1;
        let mut multiplier: u64 = 1;
        let mut jitter = std::collections::hash_map::RandomState::new().build_hasher();
        loop {
            let err = match Lock::acquire(path, name) {
                Ok(lock) => return Ok(lock),
                Err(e @ Error::RefLocked { .. }) => e,
                Err(e) => return Err(e),
            };
            let elapsed = start.elapsed();
            if elapsed >= timeout {
                return Err(err);
            }
            // backoff_ms * (750 + rand % 500) / 1000, as in lockfile.c.
            jitter.write_u64(n);
            let wait_us = multiplier * (750 + jitter.finish() % 500);
            let wait = Duration::from_micros(wait_us).min(timeout - elapsed);
            std::thread::sleep(wait);
            multiplier += 2 * n + 1;
            if multiplier > BACKOFF_MAX_MULTIPLIER {
                multiplier = BACKOFF_MAX_MULTIPLIER;
            } else {
                n += 1;
            }
        }
    }

    /// The file this lock replaces on commit.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `.lock` file holding the new content.
    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    /// Append `bytes` to the new content.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        let file = self.file.as_mut().ok_or_else(|| Error::Internal {
            message: format!("write to closed lock {}", self.lock_path.display()),
        })?;
        file.write_all(bytes).map_err(|e| Error::io(&self.lock_path, e))
    }

    /// Close the `.lock` (after an fsync with `fsync`), keeping it held: a
    /// prepared transaction writes every new value and closes its locks, as
    /// git's `write_ref_to_lockfile` does, so a transaction of any size holds
    /// no open file; [`Lock::commit`] then only renames.
    pub fn close(&mut self, fsync: bool) -> Result<()> {
        if let Some(file) = self.file.take() {
            if fsync {
                file.sync_all().map_err(|e| Error::io(&self.lock_path, e))?;
            }
            self.closed = true;
        }
        Ok(())
    }

    /// Replace the target with what was written: optionally fsync the `.lock`,
    /// close it, rename it over the target, and (with `fsync`) fsync the
    /// directory so the rename is durable too.
    ///
    /// Readers never see a partial file: before the rename they read the old
    /// content, after it the new. On error the `.lock` is deleted and the target
    /// is unchanged (unless only the final directory fsync failed, in which case
    /// the new content is in place but might not survive a power loss).
    pub fn commit(mut self, fsync: bool) -> Result<()> {
        if !self.closed {
            let file = self.file.take().ok_or_else(|| Error::Internal {
                message: format!("commit of closed lock {}", self.lock_path.display()),
            })?;
            if fsync {
                file.sync_all().map_err(|e| Error::io(&self.lock_path, e))?;
            }
            // Close before renaming: Windows cannot rename an open file, and a
            // close error (NFS reports write errors there) must fail the commit.
            drop(file);
        }
        std::fs::rename(&self.lock_path, &self.path).map_err(|e| Error::io(&self.path, e))?;
        self.committed = true;
        if fsync {
            sync_parent_dir(&self.path)?;
        }
        Ok(())
    }

    /// Give up: delete the `.lock` and leave the target unchanged. Same as
    /// dropping the `Lock`, but reports a failure to delete.
    pub fn rollback(mut self) -> Result<()> {
        self.file = None;
        self.committed = true; // Drop has nothing left to do.
        match std::fs::remove_file(&self.lock_path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&self.lock_path, e)),
        }
    }

    /// After creating the `.lock`: if the target path is a directory, fail with
    /// a name conflict when it contains files, or remove it when it holds only
    /// empty directories (git's `remove_empty_directories`). On error `self`
    /// is dropped by the caller's `?`, which deletes the `.lock`.
    fn clear_directory_at_target(&self) -> Result<()> {
        match std::fs::symlink_metadata(&self.path) {
            Ok(m) if m.is_dir() => {}
            _ => return Ok(()),
        }
        if let Some(rel) = first_file_under(&self.path).map_err(|e| Error::io(&self.path, e))? {
            return Err(Error::RefNameConflict {
                name: self.name.clone(),
                other: format!("{}/{}", self.name, rel),
            });
        }
        match std::fs::remove_dir_all(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&self.path, e)),
        }
    }
}

impl Drop for Lock {
    /// An uncommitted lock deletes its `.lock`, so errors and panics never
    /// leave a stale lock behind.
    fn drop(&mut self) {
        if !self.committed {
            self.file = None;
            // Nothing useful to do with a failure while dropping; a leftover
            // `.lock` is reported as ERR_REF_LOCKED by the next writer.
            let _ = std::fs::remove_file(&self.lock_path);
        }
    }
}

/// `path` with `.lock` appended (`refs/heads/main` → `refs/heads/main.lock`).
pub fn lock_path_for(path: &Path) -> PathBuf {
    let mut s: OsString = path.as_os_str().to_owned();
    s.push(LOCK_SUFFIX);
    PathBuf::from(s)
}

/// Create the missing parent directories of `path`, like git's
/// `safe_create_leading_directories`: an existing non-directory parent is a
/// name conflict (`ERR_REF_NAME_CONFLICT`), a parent created concurrently by
/// someone else is fine.
fn create_leading_directories(path: &Path, name: &str) -> Result<()> {
    let Some(parent) = path.parent() else { return Ok(()) };
    // Walk up to the first ancestor that exists, remembering what to create.
    let mut missing = Vec::new();
    let mut cur = parent;
    loop {
        match std::fs::metadata(cur) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => return Err(name_conflict(path, cur, name)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                missing.push(cur);
                match cur.parent() {
                    Some(p) if !p.as_os_str().is_empty() => cur = p,
                    _ => break,
                }
            }
            // ENOTDIR: some ancestor further up is a file; keep walking to name it.
            Err(e) if e.kind() == io::ErrorKind::NotADirectory => match cur.parent() {
                Some(p) if !p.as_os_str().is_empty() => cur = p,
                _ => return Err(Error::io(cur, e)),
            },
            Err(e) => return Err(Error::io(cur, e)),
        }
    }
    for dir in missing.into_iter().rev() {
        match std::fs::create_dir(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => match std::fs::metadata(dir) {
                Ok(m) if m.is_dir() => {}
                _ => return Err(name_conflict(path, dir, name)),
            },
            Err(e) => return Err(Error::io(dir, e)),
        }
    }
    Ok(())
}

/// The conflict error for `file` (an ancestor of `path`) existing as a file:
/// `other` is `name` cut by as many components as `file` is above `path`
/// (`refs/heads/a/b` with `<gitdir>/refs/heads/a` a file → `refs/heads/a`).
fn name_conflict(path: &Path, file: &Path, name: &str) -> Error {
    let up = path.strip_prefix(file).map(|rel| rel.components().count()).unwrap_or(0);
    let parts: Vec<&str> = name.split('/').collect();
    let other = if up > 0 && up < parts.len() {
        parts[..parts.len() - up].join("/")
    } else {
        file.display().to_string()
    };
    Error::RefNameConflict { name: name.to_string(), other }
}

/// The `/`-joined path of some regular file (or symlink) under `dir`, if any.
fn first_file_under(dir: &Path) -> io::Result<Option<String>> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let fname = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() {
            if let Some(rest) = first_file_under(&entry.path())? {
                return Ok(Some(format!("{fname}/{rest}")));
            }
        } else {
            return Ok(Some(fname));
        }
    }
    Ok(None)
}

/// fsync the directory holding `path`, so a rename into it is durable. A
/// no-op where directories cannot be opened (Windows).
fn sync_parent_dir(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let f = File::open(dir).map_err(|e| Error::io(dir, e))?;
        f.sync_all().map_err(|e| Error::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Whether ref files (loose refs, `packed-refs`) must be fsync'd before their
/// lock is committed, following git's `core.fsync`
/// (<https://git-scm.com/docs/git-config#Documentation/git-config.txt-corefsync>,
/// parsed as in git's `parse_fsync_components`).
///
/// - Unset: **false**. git's default components are
///   `FSYNC_COMPONENTS_DEFAULT` = `pack`, `pack-metadata`, `commit-graph`
///   (`objects,derived-metadata` minus `loose-object`; Windows adds
///   `loose-object`). `reference` is not among them on any platform.
/// - The value is a comma list applied to that default: a component adds
///   itself, `-component` removes it *from the default only*, and `none`
///   clears the default. git computes `(default & !negative) | positive`, so a
///   component named anywhere without `-` is on: `all,-reference` still
///   fsyncs refs, exactly as git does. The aggregates
///   that include `reference` are `committed` (= `objects,reference`),
///   `added` (= `committed,index`) and `all`. Like git, a token matches every
///   component name it is a prefix of (`ref` means `reference`), names are
///   case-sensitive, unknown ones are ignored, and `none` is only recognised as
///   the last token (git compares it against the rest of the string).
/// - The deprecated `core.fsyncObjectFiles` only ever covered loose objects and
///   does not affect refs. `core.fsyncMethod` does not decide *whether* refs are
///   fsync'd; with `writeout-only` git merely starts writeback instead of a
///   full flush, and `batch` applies to loose objects only. We always use a
///   full `fsync` when this returns true.
/// - A bare `core.fsync` (no `=`) is an error for git; here it means the default.
///
/// Checked against git 2.47.3 by counting the `fsync` calls of `git update-ref`
/// under `strace` for each value in this function's tests (git fsyncs the
/// `.lock` once, and never the directory).
pub fn fsync_refs(config: &Config) -> bool {
    const REFERENCE: u8 = 1 << 5;
    // Bits as in git's write-or-die.h.
    const NAMES: &[(&str, u8)] = &[
        ("loose-object", 1),
        ("pack", 1 << 1),
        ("pack-metadata", 1 << 2),
        ("commit-graph", 1 << 3),
        ("index", 1 << 4),
        ("objects", 1 | 1 << 1),
        ("reference", REFERENCE),
        ("derived-metadata", 1 << 2 | 1 << 3),
        ("committed", 1 | 1 << 1 | REFERENCE),
        ("added", 1 | 1 << 1 | REFERENCE | 1 << 4),
        ("all", 0x3f),
    ];
    // FSYNC_COMPONENTS_DEFAULT; Windows' platform default adds loose-object,
    // which does not matter for the reference bit.
    let default: u8 = 1 << 1 | 1 << 2 | 1 << 3;
    let Some(Some(value)) = config.get("core", "fsync") else { return default & REFERENCE != 0 };
    let (mut current, mut positive, mut negative) = (default, 0u8, 0u8);
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([',', ' ', '\t', '\n', '\r']);
        let end = rest.find(',').unwrap_or(rest.len());
        if rest == "none" {
            current = 0;
            rest = &rest[end..];
            continue;
        }
        let (token, negated) = match rest[..end].strip_prefix('-') {
            Some(t) => (t, true),
            None => (&rest[..end], false),
        };
        if token.is_empty() {
            break;
        }
        for (n, bits) in NAMES {
            if n.starts_with(token) {
                if negated {
                    negative |= bits;
                } else {
                    positive |= bits;
                }
            }
        }
        rest = &rest[end..];
    }
    ((current & !negative) | positive) & REFERENCE != 0
}

/// `core.filesRefLockTimeout`: how long to retry a held loose-ref lock
/// (default 100 ms, negative means "forever", reported as [`Duration::MAX`]).
pub fn files_ref_lock_timeout(config: &Config) -> Duration {
    timeout_ms(config, "filesreflocktimeout", DEFAULT_FILES_REF_LOCK_TIMEOUT)
}

/// `core.packedRefsTimeout`: how long to retry a held `packed-refs` lock
/// (default 1 s, negative means "forever", reported as [`Duration::MAX`]).
pub fn packed_refs_timeout(config: &Config) -> Duration {
    timeout_ms(config, "packedrefstimeout", DEFAULT_PACKED_REFS_TIMEOUT)
}

/// An integer number of milliseconds with git's optional `k`/`m`/`g` suffix;
/// an unset or unparsable value gives `default`.
fn timeout_ms(config: &Config, key: &str, default: Duration) -> Duration {
    let Some(Some(v)) = config.get("core", key) else { return default };
    let v = v.trim();
    let (digits, factor) = match v.chars().last().map(|c| c.to_ascii_lowercase()) {
        Some('k') => (&v[..v.len() - 1], 1024i64),
        Some('m') => (&v[..v.len() - 1], 1024 * 1024),
        Some('g') => (&v[..v.len() - 1], 1024 * 1024 * 1024),
        _ => (v, 1),
    };
    match digits.parse::<i64>().ok().and_then(|n| n.checked_mul(factor)) {
        Some(n) if n < 0 => Duration::MAX,
        Some(n) => Duration::from_millis(n as u64),
        None => default,
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testutil::TempDir;
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};

    /// A fresh directory under the system temp dir, removed on drop.

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn second_acquire_is_locked_until_release() {
        let t = TempDir::new("lock");
        let path = t.0.join("refs/heads/main");
        let first = Lock::acquire(&path, "refs/heads/main").unwrap();
        assert!(first.lock_path().exists());

        let err = Lock::acquire(&path, "refs/heads/main").unwrap_err();
        assert_eq!(err.code(), "ERR_REF_LOCKED");
        assert_eq!(err.ref_name(), Some("refs/heads/main"));
        assert_eq!(err.path(), Some(first.lock_path()));
        assert!(first.lock_path().exists(), "a failed acquire must not remove the holder's lock");

        let lp = first.lock_path().to_path_buf();
        first.rollback().unwrap();
        assert!(!lp.exists());
        assert!(!path.exists(), "rollback must not create the target");

        let again = Lock::acquire(&path, "refs/heads/main").unwrap();
        drop(again);
        assert!(!lp.exists(), "drop without commit removes the lock");
        assert!(Lock::acquire(&path, "refs/heads/main").is_ok());
        assert_eq!(entries(&t.0.join("refs/heads")), Vec::<String>::new());
    }

    #[test]
    fn commit_replaces_target() {
        let t = TempDir::new("lock");
        let path = t.0.join("HEAD");
        std::fs::write(&path, b"ref: refs/heads/old\n").unwrap();
        let mut lock = Lock::acquire(&path, "HEAD").unwrap();
        lock.write_all(b"ref: refs/heads/").unwrap();
        // Before commit the target is untouched.
        assert_eq!(std::fs::read(&path).unwrap(), b"ref: refs/heads/old\n");
        lock.write_all(b"new\n").unwrap();
        lock.commit(true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"ref: refs/heads/new\n");
        assert_eq!(entries(&t.0), vec!["HEAD".to_string()]);

        let mut lock = Lock::acquire(&path, "HEAD").unwrap();
        lock.write_all(b"x\n").unwrap();
        lock.commit(false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"x\n");
        assert_eq!(entries(&t.0), vec!["HEAD".to_string()]);
    }

    #[test]
    fn stale_lock_is_refused_and_target_unchanged() {
        let t = TempDir::new("lock");
        let path = t.0.join("refs/heads/main");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"old\n").unwrap();
        std::fs::write(lock_path_for(&path), b"left by a crashed process\n").unwrap();

        let err = Lock::acquire(&path, "refs/heads/main").unwrap_err();
        assert_eq!(err.code(), "ERR_REF_LOCKED");
        let start = Instant::now();
        let err = Lock::acquire_with_timeout(&path, "refs/heads/main", Duration::from_millis(50)).unwrap_err();
        assert_eq!(err.code(), "ERR_REF_LOCKED");
        assert!(start.elapsed() >= Duration::from_millis(50));
        assert_eq!(std::fs::read(&path).unwrap(), b"old\n");
        assert_eq!(std::fs::read(lock_path_for(&path)).unwrap(), b"left by a crashed process\n");
    }

    #[test]
    fn acquire_with_timeout_waits_for_release() {
        let t = TempDir::new("lock");
        let path = t.0.join("packed-refs");
        let held = Lock::acquire(&path, "packed-refs").unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            drop(held);
        });
        let lock = Lock::acquire_with_timeout(&path, "packed-refs", Duration::from_secs(5)).unwrap();
        releaser.join().unwrap();
        lock.commit(false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"");
    }

    #[test]
    fn panic_while_holding_removes_lock() {
        let t = TempDir::new("lock");
        let path = t.0.join("refs/heads/main");
        let p2 = path.clone();
        let r = std::panic::catch_unwind(move || {
            let mut lock = Lock::acquire(&p2, "refs/heads/main").unwrap();
            lock.write_all(b"half").unwrap();
            panic!("boom");
        });
        assert!(r.is_err());
        assert!(!lock_path_for(&path).exists());
        assert!(!path.exists());
    }

    #[test]
    fn parent_is_a_file_is_a_name_conflict() {
        let t = TempDir::new("lock");
        let heads = t.0.join("refs/heads");
        std::fs::create_dir_all(&heads).unwrap();
        std::fs::write(heads.join("a"), b"x\n").unwrap();

        let err = Lock::acquire(&heads.join("a/b"), "refs/heads/a/b").unwrap_err();
        assert_eq!(err.code(), "ERR_REF_NAME_CONFLICT");
        match &err {
            Error::RefNameConflict { name, other } => {
                assert_eq!(name, "refs/heads/a/b");
                assert_eq!(other, "refs/heads/a");
            }
            e => panic!("unexpected {e:?}"),
        }
        // Deeper: refs/heads/a/b/c also conflicts with refs/heads/a.
        let err = Lock::acquire(&heads.join("a/b/c"), "refs/heads/a/b/c").unwrap_err();
        assert!(matches!(&err, Error::RefNameConflict { other, .. } if other == "refs/heads/a"), "{err:?}");
        assert_eq!(entries(&heads), vec!["a".to_string()]);
        assert_eq!(std::fs::read(heads.join("a")).unwrap(), b"x\n");
    }

    #[test]
    fn directory_at_target() {
        let t = TempDir::new("lock");
        let heads = t.0.join("refs/heads");
        // refs/heads/a/b exists, so refs/heads/a conflicts with it.
        std::fs::create_dir_all(heads.join("a")).unwrap();
        std::fs::write(heads.join("a/b"), b"x\n").unwrap();
        let err = Lock::acquire(&heads.join("a"), "refs/heads/a").unwrap_err();
        assert!(matches!(&err, Error::RefNameConflict { other, .. } if other == "refs/heads/a/b"), "{err:?}");
        assert_eq!(entries(&heads), vec!["a".to_string()]);

        // Only empty directories left over: removed, as git does.
        std::fs::create_dir_all(heads.join("c/d/e")).unwrap();
        let mut lock = Lock::acquire(&heads.join("c"), "refs/heads/c").unwrap();
        lock.write_all(b"y\n").unwrap();
        lock.commit(false).unwrap();
        assert_eq!(std::fs::read(heads.join("c")).unwrap(), b"y\n");
    }

    #[test]
    fn creates_missing_parents() {
        let t = TempDir::new("lock");
        let path = t.0.join("refs/remotes/origin/feature/x");
        let mut lock = Lock::acquire(&path, "refs/remotes/origin/feature/x").unwrap();
        lock.write_all(b"z\n").unwrap();
        lock.commit(true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"z\n");
    }

    #[test]
    fn threads_race_exactly_one_wins_each_round() {
        let t = TempDir::new("lock");
        let path = Arc::new(t.0.join("refs/heads/race"));
        const THREADS: usize = 8;
        const ROUNDS: usize = 25;
        let barrier = Arc::new(Barrier::new(THREADS));
        let wins: Arc<Vec<AtomicUsize>> = Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let (path, barrier, wins) = (path.clone(), barrier.clone(), wins.clone());
                std::thread::spawn(move || {
                    for round in 0..ROUNDS {
                        barrier.wait();
                        let got = match Lock::acquire(&path, "refs/heads/race") {
                            Ok(mut lock) => {
                                wins[round].fetch_add(1, Ordering::SeqCst);
                                lock.write_all(format!("{round} {i}\n").as_bytes()).unwrap();
                                Some(lock)
                            }
                            Err(e) => {
                                assert_eq!(e.code(), "ERR_REF_LOCKED");
                                None
                            }
                        };
                        // Everyone has tried before the winner lets go.
                        barrier.wait();
                        if let Some(lock) = got {
                            lock.commit(false).unwrap();
                        }
                        barrier.wait();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        for (round, w) in wins.iter().enumerate() {
            assert_eq!(w.load(Ordering::SeqCst), 1, "round {round}");
        }
        let last = std::fs::read_to_string(&*path).unwrap();
        assert!(last.starts_with(&format!("{} ", ROUNDS - 1)), "{last}");
        assert!(!lock_path_for(&path).exists());
    }

    #[test]
    fn readers_never_see_partial_writes() {
        let t = TempDir::new("lock");
        let path = Arc::new(t.0.join("packed-refs"));
        let a = vec![b'a'; 64 * 1024];
        let b = vec![b'b'; 96 * 1024];
        std::fs::write(&*path, &a).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (path, stop, a, b) = (path.clone(), stop.clone(), a.clone(), b.clone());
            std::thread::spawn(move || {
                let mut reads = 0usize;
                while !stop.load(Ordering::SeqCst) {
                    let got = std::fs::read(&*path).unwrap();
                    assert!(got == a || got == b, "partial read of {} bytes", got.len());
                    reads += 1;
                }
                reads
            })
        };
        for i in 0..200 {
            let mut lock = Lock::acquire(&path, "packed-refs").unwrap();
            let content = if i % 2 == 0 { &b } else { &a };
            for chunk in content.chunks(4096) {
                lock.write_all(chunk).unwrap();
            }
            lock.commit(false).unwrap();
        }
        stop.store(true, Ordering::SeqCst);
        assert!(reader.join().unwrap() > 0);
    }

    fn cfg(text: &str) -> Config {
        Config::parse(text)
    }

    #[test]
    fn fsync_refs_follows_core_fsync() {
        assert!(!fsync_refs(&cfg("")), "reference is not in git's default components");
        assert!(!fsync_refs(&cfg("[core]\n\tfsyncObjectFiles = true\n")));
        for on in ["reference", "committed", "added", "all", "objects,reference", "ref", "pack,reference,index"] {
            assert!(fsync_refs(&cfg(&format!("[core]\nfsync = {on}\n"))), "{on}");
        }
        for off in ["objects", "none", "default", "loose-object,index", "-reference", "", "Reference", "-"] {
            assert!(!fsync_refs(&cfg(&format!("[core]\nfsync = {off}\n"))), "{off:?}");
        }
        // As in git, `-x` only removes x from the default set: components named
        // positively anywhere in the list win (`(current & ~negative) | positive`).
        assert!(fsync_refs(&cfg("[core]\nfsync = all,-reference\n")));
        assert!(fsync_refs(&cfg("[core]\nfsync = -ref,committed\n")));
        // `none` only clears the default; named components still count.
        assert!(fsync_refs(&cfg("[core]\nfsync = reference,none\n")));
        // The last core.fsync wins (each one starts over from the default).
        assert!(!fsync_refs(&cfg("[core]\nfsync = all\nfsync = pack\n")));
        assert!(fsync_refs(&cfg("[core]\nfsync = pack\n[core]\nfsync = committed\n")));
        // fsyncMethod does not decide whether refs are synced.
        assert!(!fsync_refs(&cfg("[core]\nfsyncMethod = batch\n")));
    }

    #[test]
    fn lock_timeouts_from_config() {
        assert_eq!(files_ref_lock_timeout(&cfg("")), Duration::from_millis(100));
        assert_eq!(packed_refs_timeout(&cfg("")), Duration::from_millis(1000));
        assert_eq!(packed_refs_timeout(&cfg("[core]\npackedRefsTimeout = 250\n")), Duration::from_millis(250));
        assert_eq!(packed_refs_timeout(&cfg("[core]\npackedRefsTimeout = 2k\n")), Duration::from_millis(2048));
        assert_eq!(files_ref_lock_timeout(&cfg("[core]\nfilesRefLockTimeout = -1\n")), Duration::MAX);
        assert_eq!(files_ref_lock_timeout(&cfg("[core]\nfilesRefLockTimeout = 0\n")), Duration::ZERO);
    }

    // --- interop with the git CLI ---

    fn git(dir: &Path, args: &[&str]) -> std::process::Output {
        crate::core::testutil::git_output(dir, args, None)
    }

    fn git_ok(dir: &Path, args: &[&str]) -> String {
        let out = git(dir, args);
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A repo with `main` at commit A, and the oid of a second commit B.
    fn repo() -> (TempDir, String, String) {
        let t = TempDir::new("lock");
        git_ok(&t.0, &["init", "-q", "-b", "main", "."]);
        let tree = git_ok(&t.0, &["write-tree"]);
        let a = git_ok(&t.0, &["commit-tree", &tree, "-m", "a"]);
        let b = git_ok(&t.0, &["commit-tree", &tree, "-p", &a, "-m", "b"]);
        git_ok(&t.0, &["update-ref", "refs/heads/main", &a]);
        (t, a, b)
    }

    #[test]
    fn git_cli_respects_our_lock() {
        let (t, a, b) = repo();
        let path = t.0.join(".git/refs/heads/main");
        let lock = Lock::acquire(&path, "refs/heads/main").unwrap();

        let out = git(&t.0, &["update-ref", "refs/heads/main", &b]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("Unable to create") && stderr.contains("main.lock': File exists"), "{stderr}");
        assert_eq!(git_ok(&t.0, &["rev-parse", "refs/heads/main"]), a);
        assert!(lock.lock_path().exists(), "git must not remove a lock it does not own");

        drop(lock);
        git_ok(&t.0, &["update-ref", "refs/heads/main", &b]);
        assert_eq!(git_ok(&t.0, &["rev-parse", "refs/heads/main"]), b);
    }

    #[test]
    fn we_respect_git_lock_and_git_reads_our_commit() {
        let (t, a, b) = repo();
        let path = t.0.join(".git/refs/heads/main");
        // A lock as git leaves it while it updates the ref: the new oid plus LF.
        let git_lock = t.0.join(".git/refs/heads/main.lock");
        std::fs::write(&git_lock, format!("{b}\n")).unwrap();
        let err = Lock::acquire(&path, "refs/heads/main").unwrap_err();
        assert_eq!(err.code(), "ERR_REF_LOCKED");
        assert_eq!(err.path(), Some(git_lock.as_path()));
        assert_eq!(git_ok(&t.0, &["rev-parse", "refs/heads/main"]), a);
        std::fs::remove_file(&git_lock).unwrap();

        let mut lock = Lock::acquire(&path, "refs/heads/main").unwrap();
        lock.write_all(format!("{b}\n").as_bytes()).unwrap();
        lock.commit(true).unwrap();
        assert_eq!(git_ok(&t.0, &["rev-parse", "refs/heads/main"]), b);
        git_ok(&t.0, &["fsck", "--no-progress"]);

        // git's own name-conflict rule agrees with ours.
        let err = Lock::acquire(&t.0.join(".git/refs/heads/main/sub"), "refs/heads/main/sub").unwrap_err();
        assert_eq!(err.code(), "ERR_REF_NAME_CONFLICT");
        assert!(!git(&t.0, &["update-ref", "refs/heads/main/sub", &b]).status.success());
    }
}
