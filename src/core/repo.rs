//! Finding and opening a repository as git's `setup.c` does: a work tree with
//! `.git` (a directory, or a file `gitdir: <path>` for linked worktrees and
//! submodules), a bare git directory, `commondir`, `core.bare`,
//! `core.worktree`, and the format check of `core.repositoryformatversion` and
//! `extensions.*`: anything we do not implement is refused, never misread.
//! Also creating one (`init`, see [`crate::core::init`]), a repository held in
//! memory only (`in_memory`), and writing new objects (`write_blob`,
//! `write_tree`, `write_commit`, `write_tag`).

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

impl Layout {
    /// The layout of a repository held in memory: empty paths, no work tree.
    pub fn in_memory() -> Layout {
        Layout { git_dir: PathBuf::new(), common_dir: PathBuf::new(), workdir: None, is_bare: true }
    }

    /// True for [`Layout::in_memory`] (its git dir is empty; an opened one is always absolute).
    pub fn is_in_memory(&self) -> bool {
        self.git_dir.as_os_str().is_empty()
    }
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

pub(crate) fn is_git_dir(p: &Path) -> bool {
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
        // includeIf "gitdir:..." in the repository's config matches this git dir.
        let ctx = crate::core::config::ReadContext { git_dir: Some(&layout.git_dir) };
        let mut config = Config::read_with(&layout.common_dir.join("config"), &ctx);
        config.extend(Config::read_with(&layout.git_dir.join("config.worktree"), &ctx));
        check_format(&layout, &config)?;
        let cache = Arc::new(Cache::new(opts.cache_bytes));
        let mut odb = composite::Store::open(&layout.common_dir.join("objects"), cache);
        odb.set_write_options(crate::core::odb::write::Options::from_config(&config));
        if let Some(p) = promisor_remote(&config) {
            odb.set_promisor(p);
        }
        let refs = Box::new(crate::core::refs::files::Store::new(&layout.git_dir, &layout.common_dir));
        Ok(Repository { layout, config, odb, refs })
    }
}

/// The partial clone's promisor remote, as git finds it: a remote with
/// `promisor = true`, or the one `extensions.partialClone` names.
fn promisor_remote(config: &Config) -> Option<composite::Promisor> {
    let name = config.subsections("remote").into_iter().find(|r| is_promisor_remote(config, r))?;
    let url = config.get_sub("remote", Some(&name), "url").flatten()?.to_string();
    let filter = config.get_sub("remote", Some(&name), "partialclonefilter").flatten().map(str::to_string);
    Some(composite::Promisor::new(url, filter))
}

/// Whether remote `name` is a promisor remote: `remote.<name>.promisor`, or
/// the one `extensions.partialClone` names.
pub fn is_promisor_remote(config: &Config, name: &str) -> bool {
    config.get("extensions", "partialclone").flatten().is_some_and(|n| n == name)
        || config.get_sub("remote", Some(name), "promisor").flatten().and_then(crate::core::config::parse_bool) == Some(true)
}

impl Repository {
    /// Create a repository at `path` as `git init [--bare] [--initial-branch=<b>]`
    /// does, and open it: `<path>/.git` with `<path>` as work tree, or `<path>`
    /// itself when `bare` (see [`crate::core::init`] for what is created). The
    /// branch must make a valid `refs/heads/<b>` (`ERR_INVALID_REF_NAME`);
    /// none given is `init.defaultBranch` from the global config, else `master`.
    /// An existing repository there is opened untouched.
    pub fn init(path: &Path, bare: bool, initial_branch: Option<&str>) -> Result<Repository> {
        Repository::init_with(path, bare, initial_branch, &Options::default())
    }

    /// [`Repository::init`] with open options.
    pub fn init_with(path: &Path, bare: bool, initial_branch: Option<&str>, opts: &Options) -> Result<Repository> {
        let git_dir = crate::core::init::init(path, bare, initial_branch)?;
        Repository::open(&git_dir, opts)
    }

    /// A repository held in memory only: no directory, objects in a memory
    /// layer, refs in the memory ref store. `HEAD` is a symbolic ref to
    /// `refs/heads/main`, unborn until something writes that branch (`main`,
    /// not git's `master`: a fresh in-memory repository has no config or
    /// history to follow, and `main` is what most new repositories use now).
    /// The config is empty. Nothing ever touches the filesystem.
    pub fn in_memory() -> Repository {
        Repository::in_memory_with(&Options::default())
    }

    /// [`Repository::in_memory`] with open options (the delta-base cache size).
    pub fn in_memory_with(opts: &Options) -> Repository {
        use crate::core::refs::transaction::{Change, Edit, Expect};
        let odb = composite::Store::in_memory(Arc::new(Cache::new(opts.cache_bytes)));
        let config = Config::default();
        let refs = crate::core::refs::memory::Store::new();
        let ctx = crate::core::refs::TxContext {
            odb: &odb,
            config: &config,
            is_bare: true,
            committer: crate::core::object::Signature { name: String::new(), email: String::new(), seconds: 0, offset: 0 },
        };
        // Cannot fail on an empty store with a valid name; were it to, HEAD would just be missing.
        let head = Edit::new("HEAD", Change::Symbolic("refs/heads/main".into()), Expect::Any);
        let _ = crate::core::refs::RefStore::commit(&refs, vec![head], &ctx);
        Repository { layout: Layout::in_memory(), config, odb, refs: Box::new(refs) }
    }

    /// The context ref transactions run in: this repository's objects and
    /// config, and the committer reflog entries name (as `git var
    /// GIT_COMMITTER_IDENT`: environment, then config; the time now).
    pub fn tx_context(&self) -> crate::core::refs::TxContext<'_> {
        let git_dir = (!self.layout.is_in_memory()).then_some(self.layout.git_dir.as_path());
        crate::core::refs::TxContext {
            odb: &self.odb,
            config: &self.config,
            is_bare: self.layout.is_bare,
            committer: crate::core::identity::committer(&self.config, git_dir),
        }
    }

    /// Commit ref `edits`, all or nothing.
    pub fn commit_ref_edits(&self, edits: Vec<crate::core::refs::transaction::Edit>) -> Result<()> {
        self.refs.commit(edits, &self.tx_context())
    }

    /// True for a repository made by [`Repository::in_memory`].
    pub fn is_in_memory(&self) -> bool {
        self.odb.is_in_memory()
    }

    /// Fail with `ERR_OBJECT_NOT_FOUND` / `ERR_OBJECT_TYPE` unless `oid` is stored and is a `kind`.
    fn expect_kind(&self, oid: &crate::core::oid::ObjectId, kind: crate::core::object::Kind) -> Result<()> {
        let (actual, _) = self.odb.header(oid)?.ok_or(Error::ObjectNotFound { oid: *oid })?;
        if actual != kind {
            return Err(Error::ObjectType { oid: *oid, expected: kind.as_str(), actual: actual.as_str() });
        }
        Ok(())
    }

    /// Store `data` as a blob (`git hash-object -w`); returns its id.
    pub fn write_blob(&self, data: &[u8]) -> Result<crate::core::oid::ObjectId> {
        self.odb.write(crate::core::object::Kind::Blob, data)
    }

    /// Store a tree of `entries` (any order; sorted as git sorts trees), as
    /// `git mktree`: names and modes are checked as `git fsck --strict` would
    /// (`ERR_CORRUPT_OBJECT`), and every entry but a gitlink (mode 160000) must
    /// name a stored object of the kind its mode says (`ERR_OBJECT_NOT_FOUND`,
    /// `ERR_OBJECT_TYPE`).
    pub fn write_tree(&self, entries: &[crate::core::object::build::NewTreeEntry]) -> Result<crate::core::oid::ObjectId> {
        use crate::core::object::{tree::kind_of_mode, Kind};
        let data = crate::core::object::build::tree(entries)?;
        for e in entries {
            match kind_of_mode(e.mode) {
                Kind::Commit => {}
                k => self.expect_kind(&e.oid, k)?,
            }
        }
        self.odb.write(Kind::Tree, &data)
    }

    /// Store a commit, as `git commit-tree`: its tree must be a stored tree and
    /// its parents stored commits (`ERR_OBJECT_NOT_FOUND`, `ERR_OBJECT_TYPE`);
    /// identities are checked as fsck would (`ERR_CORRUPT_OBJECT`). Moves no ref.
    pub fn write_commit(&self, c: &crate::core::object::build::NewCommit) -> Result<crate::core::oid::ObjectId> {
        use crate::core::object::Kind;
        let data = crate::core::object::build::commit(c)?;
        self.expect_kind(&c.tree, Kind::Tree)?;
        for p in &c.parents {
            self.expect_kind(p, Kind::Commit)?;
        }
        self.odb.write(Kind::Commit, &data)
    }

    /// Store an annotated tag of `target` (which must be stored: its type is
    /// read from it) named `name` (a valid `refs/tags/<name>`, else
    /// `ERR_INVALID_REF_NAME`), as `git tag -a` writes it. Creates no ref.
    pub fn write_tag(
        &self,
        target: &crate::core::oid::ObjectId,
        name: &str,
        tagger: Option<crate::core::object::Signature>,
        message: &[u8],
    ) -> Result<crate::core::oid::ObjectId> {
        let (target_kind, _) = self.odb.header(target)?.ok_or(Error::ObjectNotFound { oid: *target })?;
        let t = crate::core::object::build::NewTag { target: *target, target_kind, name: name.to_string(), tagger, message: message.to_vec() };
        self.odb.write(crate::core::object::Kind::Tag, &crate::core::object::build::tag(&t)?)
    }

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
