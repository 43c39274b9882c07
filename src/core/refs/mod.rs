//! References, read side only for now: loose refs under `refs/`, `packed-refs`
//! (with `^` peeled lines), symbolic refs (`ref: <name>`) followed to depth 5,
//! and git's DWIM order for short names. The transactional reference database
//! of API.md builds on this.

pub mod name;
pub mod packed;

use std::path::{Path, PathBuf};

use crate::core::error::{Error, Result};
use crate::core::oid::ObjectId;

/// git's limit on symbolic-ref chains.
pub const MAX_SYMREF_DEPTH: usize = 5;

/// The refs of one repository (its git dir and common dir).
pub struct Reader {
    git_dir: PathBuf,
    common_dir: PathBuf,
}

/// What a ref holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Oid(ObjectId),
    Symbolic(String),
}

/// Names that live in the worktree's own git dir rather than the common dir.
fn per_worktree(name: &str) -> bool {
    !name.starts_with("refs/")
        || name.starts_with("refs/bisect/")
        || name.starts_with("refs/worktree/")
        || name.starts_with("refs/rewritten/")
}

impl Reader {
    /// Refs of the repository with these directories.
    pub fn new(git_dir: &Path, common_dir: &Path) -> Reader {
        Reader { git_dir: git_dir.to_path_buf(), common_dir: common_dir.to_path_buf() }
    }

    fn dir_for(&self, name: &str) -> &Path {
        if per_worktree(name) { &self.git_dir } else { &self.common_dir }
    }

    /// Read one ref without following it.
    pub fn read(&self, name: &str) -> Result<Option<Value>> {
        if name.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
            return Ok(None);
        }
        let path = self.dir_for(name).join(name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => {
                let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
                let t = String::from_utf8_lossy(&text);
                let t = t.trim_end();
                if let Some(target) = t.strip_prefix("ref:") {
                    return Ok(Some(Value::Symbolic(target.trim().to_string())));
                }
                if let Some(id) = ObjectId::from_hex(t.as_bytes()) {
                    return Ok(Some(Value::Oid(id)));
                }
                return Err(Error::InvalidRevision { spec: name.into(), reason: format!("unreadable ref {}", path.display()) });
            }
            _ => {}
        }
        if name.starts_with("refs/") {
            if let Some(id) = self.packed(name)? {
                return Ok(Some(Value::Oid(id)));
            }
        }
        Ok(None)
    }

    fn packed(&self, name: &str) -> Result<Option<ObjectId>> {
        let path = self.common_dir.join("packed-refs");
        let Ok(text) = std::fs::read(&path) else { return Ok(None) };
        for line in text.split(|&c| c == b'\n') {
            if line.len() > 41 && line[40] == b' ' && &line[41..] == name.as_bytes() {
                return Ok(ObjectId::from_hex(&line[..40]));
            }
        }
        Ok(None)
    }

    /// Follow `name` to an object id; None if it (or the end of its chain) does not exist.
    pub fn resolve(&self, name: &str) -> Result<Option<ObjectId>> {
        let mut cur = name.to_string();
        for _ in 0..=MAX_SYMREF_DEPTH {
            match self.read(&cur)? {
                None => return Ok(None),
                Some(Value::Oid(id)) => return Ok(Some(id)),
                Some(Value::Symbolic(t)) => cur = t,
            }
        }
        Err(Error::InvalidRevision { spec: name.into(), reason: "symbolic ref chain too deep or cyclic".into() })
    }

    /// git's DWIM for a short name: the first of `x`, `refs/x`, `refs/tags/x`,
    /// `refs/heads/x`, `refs/remotes/x`, `refs/remotes/x/HEAD` that exists.
    pub fn dwim(&self, short: &str) -> Result<Option<(String, ObjectId)>> {
        let candidates = [
            short.to_string(),
            format!("refs/{short}"),
            format!("refs/tags/{short}"),
            format!("refs/heads/{short}"),
            format!("refs/remotes/{short}"),
            format!("refs/remotes/{short}/HEAD"),
        ];
        for c in candidates {
            // A bare name like `main` is only a pseudo-ref if all caps (HEAD, FETCH_HEAD, ...).
            if c == short && !short.starts_with("refs/") && !short.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_') {
                continue;
            }
            if let Some(id) = self.resolve(&c)? {
                return Ok(Some((c, id)));
            }
        }
        Ok(None)
    }
}
