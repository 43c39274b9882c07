//! Creating a repository as `git init` does (builtin/init-db.c, setup.c's
//! `init_db` / `create_default_files`), without shelling out to git.
//!
//! Created in the git dir (`<path>/.git`, or `<path>` itself when bare):
//! `objects/info`, `objects/pack`, `refs/heads`, `refs/tags`, `hooks` (empty:
//! no sample hooks), `info/exclude` and `description` with git's template
//! text, `config`, and last `HEAD` (`ref: refs/heads/<branch>`), so another
//! process never sees a git dir without its config. `config` holds
//!
//! ```text
//! [core]
//! 	repositoryformatversion = 0
//! 	filemode = true
//! 	bare = false
//! 	logallrefupdates = true
//! ```
//!
//! (`bare = true` and no `logallrefupdates` when bare), with `filemode`
//! probed as git does (can the executable bit of a file be flipped?), plus
//! `symlinks = false` where a symlink cannot be made and `ignorecase = true`
//! on a case-insensitive filesystem. Not done: template directories
//! (`init.templateDir`, `--template`), `core.sharedRepository`,
//! `--separate-git-dir`, `--object-format`, `--ref-format`, macOS's
//! `precomposeunicode` probe.
//!
//! The branch HEAD names is the one given, else `init.defaultBranch` from the
//! system and global config, else `master` (git's default); it must make a
//! valid `refs/heads/<branch>` (`ERR_INVALID_REF_NAME`, checked before
//! anything is created).
//!
//! Re-initializing never destroys anything: when the target already is a git
//! dir (or `<path>/.git` is a gitfile) nothing is touched (git would rewrite a
//! few `core.*` settings and ignore the branch, with a warning); a partly
//! created git dir is completed, each missing file or directory created and
//! every existing one left as it is (files are created with O_EXCL-style
//! links, so concurrent inits of one path agree on one content).

use std::path::{Path, PathBuf};

use crate::core::error::{Error, Result};

/// git's template `description`.
pub const DESCRIPTION: &str = "Unnamed repository; edit this file 'description' to name the repository.\n";

/// git's template `info/exclude`.
pub const INFO_EXCLUDE: &str = "# git ls-files --others --exclude-from=.git/info/exclude\n\
# Lines that start with '#' are comments.\n\
# For a project mostly in C, the following would be a good set of\n\
# exclude patterns (uncomment them if you want to use them):\n\
# *.[oa]\n\
# *~\n";

/// The branch a new repository's HEAD names when none is given:
/// `init.defaultBranch` from the system and global config, else `master`.
pub fn default_branch() -> String {
    crate::core::config::system_and_global_cached(None)
        .get("init", "defaultbranch")
        .flatten()
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .unwrap_or("master")
        .to_string()
}

/// Check that `branch` makes a valid `refs/heads/<branch>`.
pub fn check_branch(branch: &str) -> Result<String> {
    let full = format!("refs/heads/{branch}");
    crate::core::refs::name::check(&full, Default::default())?;
    Ok(full)
}

/// Where `init` puts the git dir for `path`.
pub fn git_dir_for(path: &Path, bare: bool) -> PathBuf {
    if bare {
        path.to_path_buf()
    } else {
        path.join(".git")
    }
}

/// Create (or complete) the repository at `path` and return its git dir.
/// Does nothing when one is already there.
pub fn init(path: &Path, bare: bool, initial_branch: Option<&str>) -> Result<PathBuf> {
    let branch = match initial_branch {
        Some(b) => b.to_string(),
        None => default_branch(),
    };
    let head_target = check_branch(&branch)?;
    let git_dir = git_dir_for(path, bare);
    if !bare && git_dir.is_file() {
        return Ok(git_dir); // a gitfile: an existing repository elsewhere
    }
    if crate::core::repo::is_git_dir(&git_dir) {
        return Ok(git_dir);
    }
    std::fs::create_dir_all(&git_dir).map_err(|e| Error::io(&git_dir, e))?;
    for d in ["objects", "objects/info", "objects/pack", "refs", "refs/heads", "refs/tags", "hooks", "info"] {
        let p = git_dir.join(d);
        match std::fs::create_dir(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && p.is_dir() => {}
            Err(e) => return Err(Error::io(&p, e)),
        }
    }
    create_if_missing(&git_dir.join("description"), DESCRIPTION.as_bytes())?;
    create_if_missing(&git_dir.join("info/exclude"), INFO_EXCLUDE.as_bytes())?;
    if !git_dir.join("config").exists() {
        let config = config_text(&git_dir, bare);
        create_if_missing(&git_dir.join("config"), config.as_bytes())?;
    }
    create_if_missing(&git_dir.join("HEAD"), format!("ref: {head_target}\n").as_bytes())?;
    Ok(git_dir)
}

/// The `config` git writes for a new repository in `git_dir`, probing the filesystem.
fn config_text(git_dir: &Path, bare: bool) -> String {
    let mut s = String::from("[core]\n\trepositoryformatversion = 0\n");
    s.push_str(&format!("\tfilemode = {}\n", probe_filemode(git_dir)));
    s.push_str(&format!("\tbare = {bare}\n"));
    if !bare {
        s.push_str("\tlogallrefupdates = true\n");
    }
    if !probe_symlinks(git_dir) {
        s.push_str("\tsymlinks = false\n");
    }
    if probe_ignorecase(git_dir) {
        s.push_str("\tignorecase = true\n");
    }
    s
}

/// A scratch file in `dir` that is removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(dir: &Path, tag: &str) -> Option<Scratch> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        for _ in 0..10 {
            let n = N.fetch_add(1, Ordering::Relaxed);
            let p = dir.join(format!("{tag}{}-{n}", std::process::id()));
            if std::fs::OpenOptions::new().write(true).create_new(true).open(&p).is_ok() {
                return Some(Scratch(p));
            }
        }
        None
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// git's probe: can the user-executable bit be flipped (and is it seen flipped)?
fn probe_filemode(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Some(f) = Scratch::new(dir, "probe-filemode-") else { return true };
        let Ok(m1) = std::fs::symlink_metadata(&f.0).map(|m| m.permissions().mode()) else { return true };
        if std::fs::set_permissions(&f.0, std::fs::Permissions::from_mode(m1 ^ 0o100)).is_err() {
            return false;
        }
        std::fs::symlink_metadata(&f.0).map(|m| m.permissions().mode() != m1).unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        false
    }
}

/// Can a symlink be made here?
fn probe_symlinks(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        let Some(f) = Scratch::new(dir, "probe-symlink-") else { return true };
        let link = f.0.with_extension("lnk");
        let ok = std::os::unix::fs::symlink("testing", &link).is_ok();
        let _ = std::fs::remove_file(&link);
        ok
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        false
    }
}

/// git's probe: with `config` missing, does `CoNfIg` resolve to a scratch `config`-like file?
fn probe_ignorecase(dir: &Path) -> bool {
    let Some(f) = Scratch::new(dir, "probe-case-") else { return false };
    let name = f.0.file_name().map(|n| n.to_string_lossy().to_uppercase()).unwrap_or_default();
    dir.join(name).exists()
}

/// Create `path` with `content` unless it exists: written to a temp file, then
/// hard-linked into place (which fails rather than replace), so a reader never
/// sees a half-written file and an existing one is never touched.
fn create_if_missing(path: &Path, content: &[u8]) -> Result<()> {
    if path.exists() || path.is_symlink() {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = Scratch::new(dir, "init-tmp-").ok_or_else(|| Error::Io {
        path: Some(dir.to_path_buf()),
        message: "could not create a temporary file".into(),
    })?;
    std::fs::write(&tmp.0, content).map_err(|e| Error::io(&tmp.0, e))?;
    match std::fs::hard_link(&tmp.0, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // No hard links on this filesystem: create it directly, still never replacing.
        Err(_) => match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(mut f) => std::io::Write::write_all(&mut f, content).map_err(|e| Error::io(path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(Error::io(path, e)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::object::build::{NewCommit, NewTreeEntry};
    use crate::core::object::{Kind, Signature};
    use crate::core::odb::ObjectStore;
    use crate::core::oid::{ObjectId, Prefix};
    use crate::core::refs::Ref;
    use crate::core::repo::Repository;
    use crate::core::testutil::{git_bytes, git_ok, git_output, TempDir};

    fn fsck_clean(dir: &Path) {
        let out = git_output(dir, &["fsck", "--strict", "--no-dangling"], None);
        let err = String::from_utf8_lossy(&out.stderr);
        // Only notices (an unborn HEAD, no refs) may appear: no warning, no error.
        assert!(out.status.success() && err.lines().all(|l| l.starts_with("notice:")), "fsck: {err}");
    }

    fn sig(name: &str, seconds: i64) -> Signature {
        Signature { name: name.into(), email: format!("{}@example.com", name.to_lowercase()), seconds, offset: 60 }
    }

    #[test]
    fn init_non_bare_works_with_git() {
        let tmp = TempDir::new("init-worktree");
        let path = tmp.0.join("repo");
        let repo = Repository::init(&path, false, Some("trunk")).expect("init");
        assert!(!repo.layout.is_bare);
        assert_eq!(repo.layout.workdir.as_deref(), Some(path.canonicalize().expect("abs").as_path()));
        assert_eq!(repo.layout.git_dir, path.join(".git").canonicalize().expect("abs"));
        assert!(!repo.is_in_memory());
        assert_eq!(git_ok(&path, &["rev-parse", "--git-dir"]), ".git");
        assert_eq!(git_ok(&path, &["rev-parse", "--is-bare-repository"]), "false");
        assert_eq!(git_ok(&path, &["symbolic-ref", "HEAD"]), "refs/heads/trunk");
        assert_eq!(git_ok(&path, &["config", "core.logallrefupdates"]), "true");
        assert_eq!(git_ok(&path, &["config", "core.filemode"]), "true");
        fsck_clean(&path);
        git_ok(&path, &["status"]);
        // Our view of HEAD: symbolic, to an unborn branch.
        match repo.refs.get("HEAD").expect("read").expect("HEAD") {
            Ref::Symbolic { target, .. } => assert_eq!((target.name(), target.oid()), ("refs/heads/trunk", None)),
            r => panic!("{r:?}"),
        }
        // git commits into it; we read the commit.
        std::fs::write(path.join("f.txt"), "hi\n").expect("write");
        git_ok(&path, &["add", "f.txt"]);
        git_ok(&path, &["commit", "-q", "-m", "one"]);
        git_ok(&path, &["commit", "-q", "--allow-empty", "-m", "two"]);
        let head = repo.refs.resolve("HEAD").expect("born").oid().expect("oid");
        assert_eq!(head.to_hex(), git_ok(&path, &["rev-parse", "HEAD"]));
        repo.read_object(&head).expect("reads git's commit");
        fsck_clean(&path);
    }

    #[test]
    fn init_bare_and_default_branch() {
        let tmp = TempDir::new("init-bare");
        let path = tmp.0.join("r.git");
        let repo = Repository::init(&path, true, None).expect("init");
        assert!(repo.layout.is_bare && repo.layout.workdir.is_none());
        assert_eq!(git_ok(&path, &["rev-parse", "--is-bare-repository"]), "true");
        assert_eq!(git_ok(&path, &["rev-parse", "--git-dir"]), ".");
        assert_eq!(git_ok(&path, &["symbolic-ref", "HEAD"]), format!("refs/heads/{}", default_branch()));
        assert_eq!(git_ok(&path, &["config", "core.bare"]), "true");
        assert!(git_output(&path, &["config", "core.logallrefupdates"], None).stdout.is_empty());
        for d in ["objects/info", "objects/pack", "refs/heads", "refs/tags", "hooks", "info"] {
            assert!(path.join(d).is_dir(), "{d}");
        }
        assert_eq!(std::fs::read_to_string(path.join("description")).expect("description"), DESCRIPTION);
        let leftovers: Vec<_> = std::fs::read_dir(&path)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("probe-") || n.starts_with("init-tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        fsck_clean(&path);
        // A commit made by git in a bare repository (commit-tree + update-ref).
        let c = git_ok(&path, &["commit-tree", "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "-m", "x"]);
        let branch = format!("refs/heads/{}", default_branch());
        git_ok(&path, &["update-ref", &branch, &c]);
        assert_eq!(git_ok(&path, &["rev-parse", "HEAD"]), c);
        // Same config as git's own bare init (modulo probes git makes identically here).
        let theirs = tmp.0.join("theirs.git");
        git_ok(&tmp.0, &["init", "-q", "--bare", &theirs.to_string_lossy()]);
        assert_eq!(
            std::fs::read_to_string(path.join("config")).expect("ours"),
            std::fs::read_to_string(theirs.join("config")).expect("theirs")
        );
    }

    #[test]
    fn init_config_matches_git_non_bare() {
        let tmp = TempDir::new("init-config");
        Repository::init(&tmp.0.join("ours"), false, Some("main")).expect("init");
        git_ok(&tmp.0, &["init", "-q", "theirs"]);
        assert_eq!(
            std::fs::read_to_string(tmp.0.join("ours/.git/config")).expect("ours"),
            std::fs::read_to_string(tmp.0.join("theirs/.git/config")).expect("theirs")
        );
    }

    #[test]
    fn reinit_keeps_everything_and_bad_branch_creates_nothing() {
        let tmp = TempDir::new("init-again");
        let path = tmp.0.join("repo");
        let e = Repository::init(&path, false, Some("a..b")).err().expect("bad name");
        assert_eq!(e.code(), "ERR_INVALID_REF_NAME");
        assert!(!path.exists(), "nothing created for a bad branch name");
        for bad in ["", "x.lock", "-/../x", "has space", "HEAD@{1}"] {
            assert_eq!(Repository::init(&path, true, Some(bad)).err().expect(bad).code(), "ERR_INVALID_REF_NAME", "{bad:?}");
        }

        Repository::init(&path, false, Some("one")).expect("init");
        std::fs::write(path.join("f"), "x").expect("write");
        git_ok(&path, &["add", "f"]);
        git_ok(&path, &["commit", "-q", "-m", "c"]);
        std::fs::write(path.join(".git/description"), "mine\n").expect("write");
        git_ok(&path, &["config", "user.name", "Someone"]);
        let before = git_ok(&path, &["rev-parse", "HEAD"]);
        let config_before = std::fs::read(path.join(".git/config")).expect("config");
        let repo = Repository::init(&path, false, Some("two")).expect("reinit");
        assert_eq!(git_ok(&path, &["symbolic-ref", "HEAD"]), "refs/heads/one");
        assert_eq!(git_ok(&path, &["rev-parse", "HEAD"]), before);
        assert_eq!(std::fs::read(path.join(".git/config")).expect("config"), config_before);
        assert_eq!(std::fs::read_to_string(path.join(".git/description")).expect("d"), "mine\n");
        assert_eq!(repo.refs.resolve("HEAD").expect("head").oid().map(|o| o.to_hex()), Some(before));

        // A partly created git dir (no HEAD yet) is completed, existing files kept.
        let partial = tmp.0.join("partial.git");
        std::fs::create_dir_all(partial.join("refs")).expect("mkdir");
        std::fs::write(partial.join("description"), "kept\n").expect("write");
        Repository::init(&partial, true, Some("p")).expect("completes");
        assert_eq!(std::fs::read_to_string(partial.join("description")).expect("d"), "kept\n");
        assert_eq!(git_ok(&partial, &["symbolic-ref", "HEAD"]), "refs/heads/p");
        fsck_clean(&partial);
    }

    #[test]
    fn objects_written_through_the_api_pass_git_fsck() {
        let tmp = TempDir::new("init-write");
        let path = tmp.0.join("repo");
        let repo = Repository::init(&path, false, Some("main")).expect("init");
        let blob = repo.write_blob(b"hello\n").expect("blob");
        assert_eq!(blob.to_hex(), "ce013625030ba8dba906f756967f9e9ca394464a");
        let exe = repo.write_blob(b"#!/bin/sh\necho hi\n").expect("blob");
        let sub = repo.write_tree(&[NewTreeEntry { name: b"inner.txt".to_vec(), mode: 0o100644, oid: blob }]).expect("tree");
        let root = repo
            .write_tree(&[
                NewTreeEntry { name: b"run.sh".to_vec(), mode: 0o100755, oid: exe },
                NewTreeEntry { name: b"dir".to_vec(), mode: 0o040000, oid: sub },
                NewTreeEntry { name: b"dir.txt".to_vec(), mode: 0o100644, oid: blob },
                NewTreeEntry { name: b"link".to_vec(), mode: 0o120000, oid: blob },
            ])
            .expect("tree");
        let base = NewCommit {
            tree: root,
            parents: vec![],
            author: sig("A", 1_700_000_000),
            committer: sig("C", 1_700_000_001),
            encoding: None,
            extra_headers: vec![],
            message: b"first\n\nbody\n".to_vec(),
        };
        let c1 = repo.write_commit(&base).expect("commit");
        let c2 = repo.write_commit(&NewCommit { parents: vec![c1], message: b"second\n".to_vec(), ..base.clone() }).expect("commit");
        let tag = repo.write_tag(&c2, "v1", Some(sig("T", 1_700_000_002)), b"tag message\n").expect("tag");
        let tag_of_tree = repo.write_tag(&root, "tree-tag", Some(sig("T", 1_700_000_003)), b"").expect("tag");
        git_ok(&path, &["update-ref", "refs/heads/main", &c2.to_hex()]);
        git_ok(&path, &["update-ref", "refs/tags/v1", &tag.to_hex()]);
        git_ok(&path, &["update-ref", "refs/tags/tree-tag", &tag_of_tree.to_hex()]);
        fsck_clean(&path);
        assert_eq!(git_ok(&path, &["cat-file", "-t", &tag.to_hex()]), "tag");
        assert_eq!(git_ok(&path, &["rev-parse", "v1^{commit}"]), c2.to_hex());
        assert_eq!(git_ok(&path, &["log", "--format=%s", "main"]), "second\nfirst");
        assert_eq!(git_ok(&path, &["ls-tree", "-r", "--name-only", "main"]), "dir.txt\ndir/inner.txt\nlink\nrun.sh");
        for (oid, kind) in [(blob, "blob"), (root, "tree"), (c1, "commit"), (c2, "commit"), (tag, "tag")] {
            let theirs = git_bytes(&path, &["cat-file", kind, &oid.to_hex()], None);
            assert_eq!(repo.read_object(&oid).expect("reads").data, theirs, "{kind} {oid}");
        }
        // git checks out what we wrote.
        git_ok(&path, &["checkout", "-q", "-f", "main"]);
        assert_eq!(std::fs::read_to_string(path.join("dir/inner.txt")).expect("file"), "hello\n");
        git_ok(&path, &["status"]);

        // Dangling references are refused before anything is written.
        let missing = ObjectId([0x42; 20]);
        let e = repo.write_tree(&[NewTreeEntry { name: b"x".to_vec(), mode: 0o100644, oid: missing }]).expect_err("missing");
        assert_eq!(e.code(), "ERR_OBJECT_NOT_FOUND");
        let e = repo.write_tree(&[NewTreeEntry { name: b"x".to_vec(), mode: 0o040000, oid: blob }]).expect_err("type");
        assert_eq!(e.code(), "ERR_OBJECT_TYPE");
        repo.write_tree(&[NewTreeEntry { name: b"sm".to_vec(), mode: 0o160000, oid: missing }]).expect("gitlinks need no object");
        assert_eq!(repo.write_commit(&NewCommit { tree: blob, ..base.clone() }).expect_err("type").code(), "ERR_OBJECT_TYPE");
        assert_eq!(repo.write_commit(&NewCommit { parents: vec![root], ..base.clone() }).expect_err("type").code(), "ERR_OBJECT_TYPE");
        assert_eq!(repo.write_commit(&NewCommit { parents: vec![missing], ..base.clone() }).expect_err("nf").code(), "ERR_OBJECT_NOT_FOUND");
        assert_eq!(repo.write_tag(&missing, "x", None, b"").expect_err("nf").code(), "ERR_OBJECT_NOT_FOUND");
        assert_eq!(repo.write_tag(&c2, "bad..name", None, b"").expect_err("name").code(), "ERR_INVALID_REF_NAME");
        fsck_clean(&path);
    }

    #[cfg(unix)]
    #[test]
    fn writing_an_existing_object_leaves_its_file_alone() {
        use std::os::unix::fs::MetadataExt;
        let tmp = TempDir::new("init-rewrite");
        let repo = Repository::init(&tmp.0, true, Some("main")).expect("init");
        let oid = repo.write_blob(b"same\n").expect("blob");
        let hex = oid.to_hex();
        let file = tmp.0.join("objects").join(&hex[..2]).join(&hex[2..]);
        let old = std::fs::metadata(&file).expect("stat");
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(repo.write_blob(b"same\n").expect("again"), oid);
        let new = std::fs::metadata(&file).expect("stat");
        assert_eq!((old.ino(), old.mtime(), old.mtime_nsec()), (new.ino(), new.mtime(), new.mtime_nsec()));
        assert_eq!(old.mode() & 0o777 & !0o444, 0, "read-only object file");
        // Objects that are only packed are not written loose again.
        let tree = repo.write_tree(&[NewTreeEntry { name: b"f".to_vec(), mode: 0o100644, oid }]).expect("tree");
        let commit = NewCommit {
            tree,
            parents: vec![],
            author: sig("A", 1),
            committer: sig("C", 2),
            encoding: None,
            extra_headers: vec![],
            message: b"m\n".to_vec(),
        };
        let c = repo.write_commit(&commit).expect("commit");
        git_ok(&tmp.0, &["update-ref", "refs/heads/main", &c.to_hex()]);
        git_ok(&tmp.0, &["repack", "-q", "-a", "-d"]);
        assert!(git_ok(&tmp.0, &["count-objects"]).starts_with("0 objects"));
        let reopened = Repository::open(&tmp.0, &Default::default()).expect("open");
        assert_eq!(reopened.write_blob(b"same\n").expect("blob"), oid);
        assert_eq!(reopened.write_commit(&commit).expect("commit"), c);
        assert_eq!(reopened.odb.write(Kind::Tree, &reopened.read_object(&tree).expect("read").data).expect("tree"), tree);
        assert!(git_ok(&tmp.0, &["count-objects"]).starts_with("0 objects"), "packed objects were written loose");
    }

    /// Runs `in_memory_child` in a separate process whose cwd is an empty temp
    /// dir (the cwd is process-wide, so not changed here), then checks the dir is still empty.
    #[test]
    fn in_memory_repository_never_touches_the_filesystem() {
        let tmp = TempDir::new("in-memory");
        let exe = std::env::current_exe().expect("test binary");
        let out = std::process::Command::new(exe)
            .args(["--exact", "core::init::tests::in_memory_child", "--ignored", "--test-threads=1"])
            .env("FERROGIT_IN_MEMORY_CHILD", "1")
            .current_dir(&tmp.0)
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("1 passed"), "{text}{}", String::from_utf8_lossy(&out.stderr));
        let left: Vec<_> = std::fs::read_dir(&tmp.0).expect("dir").flatten().map(|e| e.path()).collect();
        assert!(left.is_empty(), "in-memory repository wrote {left:?}");
    }

    #[test]
    #[ignore = "run by in_memory_repository_never_touches_the_filesystem"]
    fn in_memory_child() {
        assert!(std::env::var_os("FERROGIT_IN_MEMORY_CHILD").is_some(), "run through its parent test");
        let repo = Repository::in_memory();
        assert!(repo.is_in_memory() && repo.layout.is_in_memory() && repo.layout.is_bare);
        match repo.refs.get("HEAD").expect("read").expect("HEAD exists") {
            Ref::Symbolic { target, .. } => assert_eq!((target.name(), target.oid()), ("refs/heads/main", None)),
            r => panic!("{r:?}"),
        }
        let blob = repo.write_blob(b"hello\n").expect("blob");
        assert_eq!(blob.to_hex(), "ce013625030ba8dba906f756967f9e9ca394464a");
        let tree = repo.write_tree(&[NewTreeEntry { name: b"hello.txt".to_vec(), mode: 0o100644, oid: blob }]).expect("tree");
        let commit = repo
            .write_commit(&NewCommit {
                tree,
                parents: vec![],
                author: sig("A", 1),
                committer: sig("C", 2),
                encoding: None,
                extra_headers: vec![],
                message: b"m\n".to_vec(),
            })
            .expect("commit");
        let tag = repo.write_tag(&commit, "v1", Some(sig("T", 3)), b"t\n").expect("tag");
        assert_eq!(repo.write_blob(b"hello\n").expect("again"), blob);
        assert_eq!(repo.read_object(&blob).expect("read").data, b"hello\n");
        assert_eq!(repo.read_object(&tag).expect("read").kind, Kind::Tag);
        assert_eq!(repo.odb.header(&tree).expect("header"), Some((Kind::Tree, 37)));
        assert!(repo.odb.contains(&commit));
        let mut found = Vec::new();
        repo.odb.find_prefix(&Prefix::parse(&commit.to_hex()[..7]).expect("prefix"), &mut found, 10).expect("find");
        assert_eq!(found, vec![commit]);
        assert_eq!(repo.odb.approx_count(), 4);
        assert_eq!(repo.odb.read(&ObjectId([9; 20]), &mut Vec::new()).expect("miss"), None);
        // Refs work in memory too.
        let ctx = crate::core::refs::TxContext { odb: &repo.odb, config: &repo.config, is_bare: true, committer: sig("C", 4) };
        use crate::core::refs::transaction::{Change, Edit, Expect};
        repo.refs.commit(vec![Edit::new("HEAD", Change::Update(commit), Expect::Any)], &ctx).expect("update");
        assert_eq!(repo.refs.resolve("HEAD").expect("born").oid(), Some(commit));
    }
}
