//! Writing an index file, version 2, as git's `do_write_index` does, through
//! git's lockfile protocol: the new content goes to `index.lock`, created with
//! `O_CREAT|O_EXCL` (so a running git, or another writer of ours, excludes us
//! and we exclude it), which is then renamed over `index`. A reader sees the
//! old index or the new one, never a partial one; on any error the `.lock` is
//! removed and the old index is untouched.
//!
//! Not done (git does them, and nothing here needs them): extensions (cached
//! tree, untracked cache, …), splitting the index, and fsync (git only
//! fsyncs the index when `core.fsync` names it, which its default does not).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};

use super::{Entry, ENTRY_FIXED, NAME_MASK, SIGNATURE};
use crate::core::error::{Error, Result};

/// The bytes of a version 2 index holding `entries`, which must be sorted by
/// path bytes, then stage (as [`write`] sorts them), with no (path, stage) twice.
pub fn encode(entries: &[Entry]) -> Result<Vec<u8>> {
    let count = u32::try_from(entries.len())
        .map_err(|_| Error::Internal { message: format!("{} index entries do not fit the format", entries.len()) })?;
    let size = 12 + entries.iter().map(|e| padded_len(e.path.len())).sum::<usize>() + 20;
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(SIGNATURE);
    out.extend_from_slice(&2u32.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    let mut previous: Option<(&[u8], u8)> = None;
    for e in entries {
        check_path(&e.path)?;
        let key = (e.path.as_slice(), e.stage);
        if let Some(p) = previous {
            if p >= key {
                let what = if p == key { "appears twice" } else { "is out of order" };
                return Err(Error::Internal {
                    message: format!("index entry {:?} (stage {}) {what}", String::from_utf8_lossy(&e.path), e.stage),
                });
            }
        }
        previous = Some(key);
        if e.stage > 3 {
            return Err(Error::Internal { message: format!("index stage {} is not 0 to 3", e.stage) });
        }
        let s = &e.stat;
        for v in [s.ctime_sec, s.ctime_nsec, s.mtime_sec, s.mtime_nsec, s.dev, s.ino, e.mode, s.uid, s.gid, s.size] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&e.oid.0);
        // Not assume-valid, not extended: the stage and the name length.
        let len = u16::try_from(e.path.len()).map_or(NAME_MASK, |n| n.min(NAME_MASK));
        let flags = (u16::from(e.stage) << 12) | len;
        out.extend_from_slice(&flags.to_be_bytes());
        out.extend_from_slice(&e.path);
        let pad = padded_len(e.path.len()) - ENTRY_FIXED - e.path.len();
        out.resize(out.len() + pad, 0);
    }
    let sum: [u8; 20] = Sha1::digest(&out).into();
    out.extend_from_slice(&sum);
    Ok(out)
}

/// An entry's length on disk: the fixed part and the path, NUL-padded (by at
/// least one byte) to a multiple of 8 (`ondisk_ce_size` in git's `read-cache.c`).
pub(crate) fn padded_len(path_len: usize) -> usize {
    (ENTRY_FIXED + path_len + 8) & !7
}

/// A path git would accept in the index: not empty, relative, no empty
/// component, no NUL. (Which names are safe to check out is the caller's
/// business: see `checkout`.)
fn check_path(path: &[u8]) -> Result<()> {
    let bad = path.is_empty()
        || path.first() == Some(&b'/')
        || path.last() == Some(&b'/')
        || path.contains(&0)
        || path.windows(2).any(|w| w == b"//");
    if bad {
        return Err(Error::Internal { message: format!("invalid index path {:?}", String::from_utf8_lossy(path)) });
    }
    Ok(())
}

/// Sort `entries` by path as git does and write them as the index at
/// `index_path` (see the module doc for the locking): [`lock`] then
/// [`Locked::commit`].
///
/// Errors: `ERR_IO` when `index.lock` exists (another process is writing the
/// index, or one crashed and left it; git then says "Unable to create
/// '…/index.lock': File exists") or the file cannot be written;
/// `ERR_INTERNAL` for a path given twice (at one stage), a stage above 3, or a
/// path that is not a valid index path.
pub fn write(index_path: &Path, entries: &mut [Entry]) -> Result<()> {
    lock(index_path)?.commit(entries)
}

/// Take the index at `index_path` for writing: create `index.lock`, as git
/// does before it starts changing the work tree, so a git running at the same
/// time fails instead of writing an index that our work tree does not match.
/// Dropping the [`Locked`] without committing removes the lock.
///
/// Errors: `ERR_IO`, as [`write`].
pub fn lock(index_path: &Path) -> Result<Locked> {
    Ok(Locked(IndexLock::acquire(index_path)?))
}

/// A held `index.lock`, waiting for the new entries.
pub struct Locked(IndexLock);

impl Locked {
    /// Sort `entries`, write them to the `.lock` and rename it over the index.
    /// On error the lock is removed and the index left as it was.
    pub fn commit(self, entries: &mut [Entry]) -> Result<()> {
        let mut lock = self.0;
        entries.sort_unstable_by(|a, b| (&a.path, a.stage).cmp(&(&b.path, b.stage)));
        let bytes = encode(entries)?;
        lock.file()?.write_all(&bytes).map_err(|e| Error::io(&lock.lock_path, e))?;
        lock.commit()
    }
}

/// `<index>.lock`, held from its exclusive creation until renamed or removed.
struct IndexLock {
    target: PathBuf,
    lock_path: PathBuf,
    file: Option<File>,
    /// Set once renamed over the target: nothing left to remove.
    done: bool,
}

impl IndexLock {
    fn acquire(target: &Path) -> Result<IndexLock> {
        let lock_path = crate::core::refs::lock::lock_path_for(target);
        match OpenOptions::new().write(true).create_new(true).open(&lock_path) {
            Ok(file) => Ok(IndexLock { target: target.to_path_buf(), lock_path, file: Some(file), done: false }),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::Io {
                message: format!(
                    "unable to create {}: file exists (another git process seems to be running in this \
                     repository, or one crashed and left it behind)",
                    lock_path.display()
                ),
                path: Some(lock_path),
            }),
            Err(e) => Err(Error::io(&lock_path, e)),
        }
    }

    fn file(&mut self) -> Result<&mut File> {
        self.file.as_mut().ok_or_else(|| Error::Internal { message: "index lock already closed".into() })
    }

    /// Close the `.lock` and rename it over the target.
    fn commit(mut self) -> Result<()> {
        // Closed before the rename, as git does (Windows cannot rename an open file).
        drop(self.file.take());
        std::fs::rename(&self.lock_path, &self.target).map_err(|e| Error::io(&self.target, e))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for IndexLock {
    fn drop(&mut self) {
        if !self.done {
            self.file = None;
            // Nothing better to do on failure; a leftover lock is reported by the next writer.
            let _ = std::fs::remove_file(&self.lock_path);
        }
    }
}
