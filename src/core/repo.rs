//! Finding and opening a repository as git's `setup.c` does: a work tree with
//! `.git` (a directory, or a file `gitdir: <path>` for linked worktrees and
//! submodules), a bare git directory, `commondir`, `core.bare`,
//! `core.worktree`, and the format check of `core.repositoryformatversion` and
//! `extensions.*`: anything we do not implement is refused, never misread.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::core::config::Config;
use crate::core::error::{Error, Result};
use crate::core::odb::composite;
use crate::core::odb::pack::cache::{Cache, DEFAULT_LIMIT};

/// Where a repository lives.
#[derive(Debug, Clone)]
pub struct Layout {
    pub git_dir: PathBuf,
    pub common_dir: PathBuf,
    pub workdir: Option<PathBuf>,
    pub is_bare: bool,
}

/// An opened repository: its layout, config, objects and refs.
pub struct Repository {
    pub layout: Layout,
    pub config: Config,
    pub odb: composite::Store,
    /// The files store for a repository on disk.
    pub refs: Box<dyn crate::core::refs::RefStore>,
}

/// Options for opening.
#[derive(Debug, Clone)]
pub struct Options {
    /// Delta-base cache size in bytes.
    pub cache_bytes: usize,
}

impl Default for Options {
    /// git's defaults; `FERROGIT_DELTA_CACHE_BYTES` overrides the delta-base cache size
    /// (git's `core.deltaBaseCacheLimit`).
    fn default() -> Self {
        let cache_bytes = std::env::var("FERROGIT_DELTA_CACHE_BYTES")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(DEFAULT_LIMIT);
        Options { cache_bytes }
    }
}

fn is_git_dir(p: &Path) -> bool {
    // As git's is_git_directory: HEAD, plus objects/ and refs/ here or in the common dir.
    if !p.join("HEAD").is_file() && !p.join("HEAD").is_symlink() {
        return false;
    }
    let common = read_commondir(p).unwrap_or_else(|| p.to_path_buf());
    common.join("objects").is_dir() && common.join("refs").is_dir()
}

fn read_commondir(git_dir: &Path) -> Option<PathBuf> {
    let s = std::fs::read_to_string(git_dir.join("commondir")).ok()?;
    let s = s.trim_end_matches(['\n', '\r']);
    let p = Path::new(s);
    let p = if p.is_absolute() { p.to_path_buf() } else { git_dir.join(p) };
    Some(p.canonicalize().unwrap_or(p))
}

/// Read a `.git` file: `gitdir: <path>` (relative to the file's directory).
fn read_gitfile(file: &Path) -> Result<PathBuf> {
    let s = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
    let rest = s
        .strip_prefix("gitdir:")
        .ok_or_else(|| Error::NotARepository { path: file.to_path_buf() })?
        .trim();
    let p = Path::new(rest);
    let p = if p.is_absolute() { p.to_path_buf() } else { file.parent().unwrap_or(Path::new(".")).join(p) };
    p.canonicalize().map_err(|_| Error::NotARepository { path: file.to_path_buf() })
}

/// Work out the layout if `dir` is a work tree (with `.git`) or a git dir.
fn layout_at(dir: &Path) -> Result<Option<Layout>> {
    let dotgit = dir.join(".git");
    let (git_dir, workdir_guess) = if dir.is_file() {
        // The path of a `.git` file itself (linked worktree, submodule, --separate-git-dir).
        (read_gitfile(dir)?, dir.parent().map(Path::to_path_buf))
    } else if dotgit.is_file() {
        (read_gitfile(&dotgit)?, Some(dir.to_path_buf()))
    } else if dotgit.is_dir() && is_git_dir(&dotgit) {
        (dotgit, Some(dir.to_path_buf()))
    } else if is_git_dir(dir) {
        (dir.to_path_buf(), None)
    } else {
        return Ok(None);
    };
    if !is_git_dir(&git_dir) {
        return Ok(None);
    }
    let git_dir = git_dir.canonicalize().map_err(|e| Error::io(&git_dir, e))?;
    let common_dir = read_commondir(&git_dir).unwrap_or_else(|| git_dir.clone());
    let mut config = Config::read(&common_dir.join("config"));
    config.extend(Config::read(&git_dir.join("config.worktree")));
    let bare_cfg = config.get_bool("core", "bare");
    let core_worktree = config.get("core", "worktree").flatten().map(|w| {
        let p = Path::new(w);
        if p.is_absolute() { p.to_path_buf() } else { git_dir.join(p) }
    });
    let workdir = if let Some(w) = workdir_guess {
        Some(w)
    } else if git_dir != common_dir {
        // A linked worktree's git dir, opened directly: its `gitdir` file names `<wt>/.git`.
        std::fs::read_to_string(git_dir.join("gitdir"))
            .ok()
            .map(|s| PathBuf::from(s.trim()))
            .and_then(|p| p.parent().map(Path::to_path_buf))
    } else if let Some(w) = core_worktree.clone() {
        Some(w)
    } else if bare_cfg == Some(false) && git_dir.file_name().is_some_and(|n| n == ".git") {
        git_dir.parent().map(Path::to_path_buf)
    } else {
        None
    };
    let workdir = match (bare_cfg, git_dir == common_dir, workdir) {
        (Some(true), true, _) if core_worktree.is_none() => None,
        (_, _, w) => w.map(|w| w.canonicalize().unwrap_or(w)),
    };
    let is_bare = workdir.is_none();
    Ok(Some(Layout { git_dir, common_dir, workdir, is_bare }))
}

/// Refuse repository formats and extensions we do not implement.
pub fn check_format(layout: &Layout, config: &Config) -> Result<()> {
    let version = match config.get("core", "repositoryformatversion") {
        None | Some(None) => 0,
        Some(Some(v)) => v.trim().parse::<i64>().map_err(|_| Error::UnsupportedExtension {
            path: layout.git_dir.clone(),
            what: format!("core.repositoryformatversion={v}"),
        })?,
    };
    let unsupported = |what: String| Error::UnsupportedExtension { path: layout.git_dir.clone(), what };
    if !(0..=1).contains(&version) {
        return Err(unsupported(format!("repository format version {version}")));
    }
    for (key, value) in config.section("extensions") {
        let v = value.clone().unwrap_or_default().to_ascii_lowercase();
        match key.as_str() {
            "objectformat" if v == "sha1" => {}
            "objectformat" => return Err(unsupported(format!("extensions.objectFormat={v}"))),
            "refstorage" if v == "files" => {}
            "refstorage" => return Err(unsupported(format!("extensions.refStorage={v}"))),
            // Version 0 ignores the other extensions, as git does.
            _ if version == 0 => {}
            "noop" | "noop-v1" | "preciousobjects" | "partialclone" | "worktreeconfig" => {}
            other => return Err(unsupported(format!("extensions.{other}"))),
        }
    }
    Ok(())
}

impl Repository {
    /// Open the repository at `path` (a work tree, a `.git` file or dir, or a bare dir).
    pub fn open(path: &Path, opts: &Options) -> Result<Repository> {
        let abs = path.canonicalize().map_err(|_| Error::NotARepository { path: path.to_path_buf() })?;
        let layout = layout_at(&abs)?.ok_or(Error::NotARepository { path: abs })?;
        Repository::from_layout(layout, opts)
    }

    /// Find the repository containing `start`, walking up like git.
    pub fn discover(start: &Path, opts: &Options) -> Result<Repository> {
        let abs = start.canonicalize().map_err(|_| Error::NotARepository { path: start.to_path_buf() })?;
        let mut dir: Option<&Path> = Some(&abs);
        while let Some(d) = dir {
            if let Some(layout) = layout_at(d)? {
                return Repository::from_layout(layout, opts);
            }
            dir = d.parent();
        }
        Err(Error::NotARepository { path: abs })
    }

    fn from_layout(layout: Layout, opts: &Options) -> Result<Repository> {
        let mut config = Config::read(&layout.common_dir.join("config"));
        config.extend(Config::read(&layout.git_dir.join("config.worktree")));
        check_format(&layout, &config)?;
        let cache = Arc::new(Cache::new(opts.cache_bytes));
        let odb = composite::Store::open(&layout.common_dir.join("objects"), cache);
        let refs = Box::new(crate::core::refs::files::Store::new(&layout.git_dir, &layout.common_dir));
        Ok(Repository { layout, config, odb, refs })
    }
}

impl Repository {
    /// Read and parse `oid`, or fail with `ERR_OBJECT_NOT_FOUND` / `ERR_CORRUPT_*`.
    pub fn read_object(&self, oid: &crate::core::oid::ObjectId) -> Result<crate::core::object::Object> {
        let mut data = Vec::new();
        let kind = self.odb.read(oid, &mut data)?.ok_or(Error::ObjectNotFound { oid: *oid })?;
        crate::core::object::Object::parse(*oid, crate::core::object::RawObject { kind, data })
    }
}

#[cfg(test)]
mod bench {
    /// Time reading every object of `FERROGIT_BENCH_REPO` (ids from `git cat-file
    /// --batch-all-objects`) through the core alone: `cargo test --release --lib
    /// read_all_bench -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn read_all_bench() {
        let Ok(path) = std::env::var("FERROGIT_BENCH_REPO") else { return };
        let out = std::process::Command::new("git")
            .args(["-C", &path, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)"])
            .output()
            .expect("git runs");
        let oids: Vec<_> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| crate::core::oid::ObjectId::parse(l).expect("oid"))
            .collect();
        for _ in 0..3 {
            let repo = super::Repository::open(std::path::Path::new(&path), &Default::default()).expect("open");
            let t = std::time::Instant::now();
            let mut bytes = 0usize;
            let sorted = std::env::var("FERROGIT_BENCH_SORT").is_ok();
            for chunk in oids.chunks(10_000) {
                let mut c = chunk.to_vec();
                if sorted {
                    c.sort_by_key(|o| repo.odb.location(o).unwrap_or((u32::MAX, 0)));
                }
                for o in &c {
                    bytes += repo.read_object(o).expect("read").data.len();
                }
            }
            eprintln!("{} objects, {} bytes, {:?}", oids.len(), bytes, t.elapsed());
        }
        use std::sync::atomic::Ordering::Relaxed;
        eprintln!("cache hits {} misses {}", crate::core::odb::pack::cache::HITS.load(Relaxed), crate::core::odb::pack::cache::MISSES.load(Relaxed));
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        eprintln!("{}", status.lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("Rss")).collect::<Vec<_>>().join(" | "));
    }
}
