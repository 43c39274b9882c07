//! `objects/info/alternates`: one objects directory per line (relative lines are
//! relative to the objects directory that lists them), `#` comments, followed
//! recursively to depth 5 as git's `link_alt_odb_entries` does.

use std::path::{Path, PathBuf};

/// git's limit on alternate nesting.
pub const MAX_DEPTH: usize = 5;

/// The alternate objects directories listed by `objects_dir`, canonicalised.
pub fn read(objects_dir: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(objects_dir.join("info").join("alternates")) else { return Vec::new() };
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.strip_prefix('"').and_then(|x| x.strip_suffix('"')).unwrap_or(l);
            let p = Path::new(l);
            let p = if p.is_absolute() { p.to_path_buf() } else { objects_dir.join(p) };
            p.canonicalize().ok()
        })
        .collect()
}
