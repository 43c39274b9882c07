//! `git clone`: a new repository (bare or with a work tree) holding the
//! remote's branches and tags, `HEAD` on the remote's default branch (or the
//! one asked for), the remote's config as git writes it (a partial clone's
//! `promisor` and `partialclonefilter` with format version 1; a shallow
//! clone's single-branch refspec and `shallow` file), and for a work tree the
//! checkout and index. git works in our clones, its own lazy fetch included.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::core::error::{Error, Result};
use crate::core::oid::ObjectId;
use crate::core::promisor::session::{self, Session};
use crate::core::promisor::transport::Version;
use crate::core::promisor::{v2, OnProgress, Progress};
use crate::core::refs::transaction::{Change, Edit, Expect};

/// What to clone.
#[derive(Debug, Default, Clone)]
pub struct CloneOptions {
    /// No work tree: the repository is `path` itself, refs mirror the remote's.
    pub bare: bool,
    /// A partial-clone filter (`blob:none`, `tree:0`, `blob:limit=<n>`).
    pub filter: Option<String>,
    /// A shallow clone of this many commits (implies one branch, as git).
    pub depth: Option<u32>,
    /// The branch (or tag, for a detached HEAD) to check out instead of the remote's HEAD.
    pub branch: Option<String>,
}

/// Clone `url` into `path` (which must not exist or be empty); returns the git dir.
/// On failure, what was made at `path` is removed again.
/// As git, a failed clone leaves nothing behind.
pub fn clone(url: &str, path: &Path, opts: &CloneOptions, progress: OnProgress<'_>, abort: &AtomicBool) -> Result<PathBuf> {
    clone_with(url, Version::preferred(), path, opts, progress, abort)
}

/// A bare clone.
pub fn clone_bare(url: &str, path: &Path, opts: &CloneOptions, progress: OnProgress<'_>) -> Result<PathBuf> {
    clone_bare_with(url, Version::preferred(), path, opts, progress)
}

/// [`clone_bare`] asking the server for protocol `version`.
pub fn clone_bare_with(url: &str, version: Version, path: &Path, opts: &CloneOptions, progress: OnProgress<'_>) -> Result<PathBuf> {
    clone_with(url, version, path, &CloneOptions { bare: true, ..opts.clone() }, progress, &AtomicBool::new(false))
}

/// [`clone`] asking the server for protocol `version`.
pub fn clone_with(url: &str, version: Version, path: &Path, opts: &CloneOptions, progress: OnProgress<'_>, abort: &AtomicBool) -> Result<PathBuf> {
    let existed = path.exists();
    if existed && std::fs::read_dir(path).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(Error::Io { path: Some(path.to_path_buf()), message: "destination exists and is not an empty directory".into() });
    }
    let r = clone_into(url, version, path, opts, progress, abort);
    if r.is_err() {
        remove_made(path, existed);
    }
    r
}

/// Undo a failed clone: remove `path`, or empty it if it existed before.
fn remove_made(path: &Path, existed: bool) {
    if !existed {
        let _ = std::fs::remove_dir_all(path);
        return;
    }
    if let Ok(d) = std::fs::read_dir(path) {
        for e in d.flatten() {
            let p = e.path();
            let _ = if p.is_dir() && !p.is_symlink() { std::fs::remove_dir_all(&p) } else { std::fs::remove_file(&p) };
        }
    }
}

fn clone_into(url: &str, version: Version, path: &Path, opts: &CloneOptions, progress: OnProgress<'_>, abort: &AtomicBool) -> Result<PathBuf> {
    let mut s = Session::connect_with(url, version)?;
    let refs = s.ls_refs(&["HEAD", "refs/heads/", "refs/tags/"])?;
    let remote_head = refs.iter().find(|r| r.name == "HEAD");
    let head_target = remote_head.and_then(|r| r.symref_target.clone());
    // The branch to check out: asked for (a branch, else a tag), or the remote's HEAD.
    let (branch, detached): (Option<String>, Option<ObjectId>) = match &opts.branch {
        Some(b) => {
            if refs.iter().any(|r| r.name == format!("refs/heads/{b}")) {
                (Some(b.clone()), None)
            } else if let Some(t) = refs.iter().find(|r| r.name == format!("refs/tags/{b}")) {
                (None, t.peeled.or(t.oid))
            } else {
                return Err(Error::Transport { url: url.to_string(), reason: format!("remote branch {b} not found") });
            }
        }
        None => (head_target.as_deref().and_then(|t| t.strip_prefix("refs/heads/")).map(str::to_string), None),
    };
    let single = opts.depth.is_some();
    let git_dir = crate::core::init::init(path, opts.bare, branch.as_deref())?;
    let branch_ref = branch.as_ref().map(|b| format!("refs/heads/{b}"));
    // What is fetched: every branch and tag, or one branch (and the tags
    // pointing into what it brings) for a shallow clone.
    let heads: Vec<&v2::RemoteRef> = refs
        .iter()
        .filter(|r| r.oid.is_some() && r.name.starts_with("refs/heads/"))
        .filter(|r| !single || branch_ref.as_deref().is_none_or(|b| b == r.name))
        .collect();
    let tags: Vec<&v2::RemoteRef> = refs.iter().filter(|r| r.oid.is_some() && r.name.starts_with("refs/tags/")).collect();
    let refspec = match (&branch_ref, single) {
        (Some(b), true) => format!("+{b}:refs/remotes/origin/{}", &b["refs/heads/".len()..]),
        _ => "+refs/heads/*:refs/remotes/origin/*".to_string(),
    };
    write_remote_config(&git_dir, url, opts, (!opts.bare).then_some(refspec.as_str()), branch.as_deref())?;
    let mut wants: Vec<ObjectId> = heads.iter().filter_map(|r| r.oid).collect();
    if !single {
        wants.extend(tags.iter().filter_map(|r| r.oid));
    }
    wants.extend(detached);
    wants.sort_by(|a, b| a.0.cmp(&b.0));
    wants.dedup();
    let repo_objects = git_dir.join("objects");
    if !wants.is_empty() {
        let req = v2::FetchRequest { wants: &wants, filter: opts.filter.as_deref(), depth: opts.depth, ..Default::default() };
        // As git: a promisor pack lists the refs it was fetched for.
        let promisor: Option<String> = opts.filter.as_ref().map(|_| heads.iter().chain(tags.iter()).filter_map(|r| r.oid.map(|o| format!("{o} {}\n", r.name))).collect());
        let got = session::fetch_into(&mut s, &repo_objects, &req, promisor.as_deref().map(str::as_bytes), progress, abort)?;
        drop(s);
        if !got.shallow.is_empty() {
            let repo = crate::core::repo::Repository::open(&git_dir, &Default::default())?;
            crate::core::promisor::fetch::write_shallow(&repo, &got.shallow)?;
        }
    }
    let repo = crate::core::repo::Repository::open(&git_dir, &Default::default())?;
    // Just opened: every pack is in its list, so no re-scan per missing tag.
    let have = |r: &v2::RemoteRef| r.peeled.or(r.oid).is_some_and(|o| repo.odb.has_without_refresh(&o));
    let msg = format!("clone: from {url}");
    let mut edits: Vec<Edit> = Vec::new();
    let mut edit = |name: String, change: Change| {
        let mut e = Edit::new(name, change, Expect::Any);
        e.message = Some(msg.clone());
        edits.push(e);
    };
    for h in &heads {
        let Some(oid) = h.oid else { continue };
        if opts.bare {
            edit(h.name.clone(), Change::Update(oid));
        } else {
            edit(format!("refs/remotes/origin/{}", &h.name["refs/heads/".len()..]), Change::Update(oid));
        }
    }
    for t in tags.iter().filter(|t| !single || have(t)) {
        if let Some(o) = t.oid {
            edit(t.name.clone(), Change::Update(o));
        }
    }
    let checkout_at: Option<ObjectId> = match (&branch_ref, detached) {
        (_, Some(d)) => Some(d),
        (Some(b), None) => refs.iter().find(|r| &r.name == b).and_then(|r| r.oid),
        (None, None) => None,
    };
    if !opts.bare {
        if let (Some(b), Some(oid), None) = (&branch_ref, checkout_at, detached) {
            edit(b.clone(), Change::Update(oid));
        }
        if let Some(t) = head_target.as_deref().and_then(|t| t.strip_prefix("refs/heads/")) {
            if !single || branch.as_deref() == Some(t) {
                edit("refs/remotes/origin/HEAD".into(), Change::Symbolic(format!("refs/remotes/origin/{t}")));
            }
        }
        if let Some(d) = detached {
            let mut e = Edit::new("HEAD", Change::Update(d), Expect::Any);
            e.deref = false;
            e.message = Some(msg.clone());
            edits.push(e);
        }
    }
    if !edits.is_empty() {
        repo.commit_ref_edits(edits)?;
    }
    if let (false, Some(commit)) = (opts.bare, checkout_at) {
        let workdir = repo.layout.workdir.clone().ok_or_else(|| Error::Internal { message: "a non-bare clone has a work tree".into() })?;
        let tree = crate::core::treeops::peel_to_tree(&repo.odb, commit)?;
        if opts.filter.is_some() {
            // One request for every blob the checkout needs, not one per file.
            let missing = crate::core::checkout::missing_blobs(&repo.odb, &tree, &[])?;
            repo.odb.fetch_objects(&missing, None, progress, abort)?;
        }
        if abort.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Aborted);
        }
        let index = repo.layout.git_dir.join("index");
        crate::core::checkout::checkout(&repo, &tree, &workdir, &index, &mut |done, total| {
            progress(&Progress { phase: "checkout".into(), done: done as u64, total: Some(total as u64), bytes: 0 })
        })?;
    }
    // Aborted during the last step: the caller asked for nothing to be left.
    if abort.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(Error::Aborted);
    }
    Ok(git_dir)
}

/// `[remote "origin"]` (and `[branch]`) as `git clone` writes them, and format
/// version 1 for a partial clone (its `remote.<name>.promisor` needs it).
fn write_remote_config(git_dir: &Path, url: &str, opts: &CloneOptions, refspec: Option<&str>, branch: Option<&str>) -> Result<()> {
    let path = git_dir.join("config");
    let mut text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    if opts.filter.is_some() {
        text = text.replacen("repositoryformatversion = 0", "repositoryformatversion = 1", 1);
    }
    let quote = |v: &str| if v.contains(['"', '\\']) || v.starts_with(' ') || v.ends_with(' ') { format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")) } else { v.to_string() };
    text.push_str(&format!("[remote \"origin\"]\n\turl = {}\n", quote(url)));
    if let Some(r) = refspec {
        text.push_str(&format!("\tfetch = {r}\n"));
    }
    if let Some(f) = &opts.filter {
        text.push_str(&format!("\tpromisor = true\n\tpartialclonefilter = {}\n", quote(f)));
    }
    if let (Some(b), Some(_)) = (branch, refspec) {
        text.push_str(&format!("[branch \"{b}\"]\n\tremote = origin\n\tmerge = refs/heads/{b}\n"));
    }
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testutil::{git_ok, TempDir};

    fn server() -> TempDir {
        let tmp = TempDir::new("clone-server");
        let dir = &tmp.0;
        git_ok(dir, &["init", "-q", "-b", "trunk", "."]);
        for i in 0..6 {
            std::fs::write(dir.join(format!("f{}", i % 3)), format!("content {i}\n").repeat(30)).expect("write");
            git_ok(dir, &["add", "-A"]);
            git_ok(dir, &["commit", "-q", "-m", &format!("c{i}")]);
            if i == 2 {
                git_ok(dir, &["tag", "-a", "-m", "t", "v1"]);
                git_ok(dir, &["branch", "old"]);
            }
        }
        git_ok(dir, &["tag", "light"]);
        git_ok(dir, &["config", "uploadpack.allowFilter", "true"]);
        tmp
    }

    #[test]
    fn bare_partial_clone_is_what_git_clone_makes_and_git_works_in_it() {
        let srv = server();
        let url = format!("file://{}", srv.0.display());
        let out = TempDir::new("clone-out");
        let ours = out.0.join("ours.git");
        let theirs = out.0.join("theirs.git");
        let opts = CloneOptions { filter: Some("blob:none".into()), ..Default::default() };
        clone_bare(&url, &ours, &opts, &mut |_| {}).expect("clone");
        git_ok(&out.0, &["clone", "-q", "--bare", "--filter=blob:none", &url, &theirs.display().to_string()]);
        for args in [
            &["for-each-ref", "--format=%(objectname) %(objecttype) %(refname)"][..],
            &["symbolic-ref", "HEAD"],
            &["config", "--local", "--get", "remote.origin.url"],
            &["config", "--local", "--get", "remote.origin.promisor"],
            &["config", "--local", "--get", "remote.origin.partialclonefilter"],
            &["config", "--local", "--get", "core.repositoryformatversion"],
            &["rev-list", "--objects", "--all", "--missing=print"],
        ] {
            assert_eq!(git_ok(&ours, args), git_ok(&theirs, args), "git {args:?}");
        }
        git_ok(&ours, &["fsck", "--no-progress"]);
        // Our lazy fetch: a missing blob is fetched, stored as a promisor pack, and read.
        let repo = crate::core::repo::Repository::open(&ours, &Default::default()).expect("open");
        let blob = ObjectId::from_hex(git_ok(&srv.0, &["rev-parse", "HEAD:f2"]).as_bytes()).expect("oid");
        assert_eq!(repo.odb.header(&blob).expect("header"), None, "a header read never fetches");
        let packs = || std::fs::read_dir(ours.join("objects/pack")).expect("dir").filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "promisor"))).count();
        assert_eq!(packs(), 1);
        let got = repo.read_object(&blob).expect("fetched");
        assert_eq!(String::from_utf8_lossy(&got.data), git_ok(&srv.0, &["cat-file", "-p", "HEAD:f2"]) + "\n");
        assert_eq!(packs(), 2);
        assert!(repo.odb.header(&blob).expect("header").is_some());
        git_ok(&ours, &["fsck", "--no-progress"]);
        // An object the server does not have: not found, after asking.
        let nowhere = ObjectId::from_hex(b"0123456789012345678901234567890123456789").expect("oid");
        assert_eq!(repo.read_object(&nowhere).map(|_| ()).unwrap_err().code(), "ERR_OBJECT_NOT_FOUND");
        // git's own lazy fetch works in our clone.
        let want = git_ok(&srv.0, &["cat-file", "-p", "v1:f1"]);
        assert_eq!(git_ok(&ours, &["cat-file", "-p", "v1:f1"]), want);
    }

    #[test]
    fn full_and_empty_clones() {
        let srv = server();
        let out = TempDir::new("clone-full");
        let ours = out.0.join("full.git");
        clone_bare(&srv.0.display().to_string(), &ours, &CloneOptions::default(), &mut |_| {}).expect("clone");
        git_ok(&ours, &["fsck", "--no-progress", "--strict"]);
        assert_eq!(git_ok(&ours, &["rev-list", "--objects", "--all"]), git_ok(&srv.0, &["rev-list", "--objects", "--all"]));
        assert!(git_ok(&ours, &["config", "--local", "--get-regexp", "remote"]).lines().all(|l| !l.contains("promisor")));
        let empty = TempDir::new("clone-empty-src");
        git_ok(&empty.0, &["init", "-q", "-b", "dev", "."]);
        let e = out.0.join("empty.git");
        clone_bare(&empty.0.display().to_string(), &e, &CloneOptions::default(), &mut |_| {}).expect("clone");
        assert_eq!(git_ok(&e, &["symbolic-ref", "HEAD"]), "refs/heads/dev");
        // Into a non-empty directory: refused, nothing touched.
        assert!(clone_bare(&empty.0.display().to_string(), &ours, &CloneOptions::default(), &mut |_| {}).is_err());
        git_ok(&ours, &["fsck", "--no-progress"]);
    }

    /// stdout of `git args` whatever its exit status.
    fn git_status(dir: &Path, args: &[&str]) -> String {
        String::from_utf8_lossy(&crate::core::testutil::git_output(dir, args, None).stdout).into_owned()
    }

    /// Run `args` in both clones and compare.
    fn same(ours: &Path, theirs: &Path, args: &[&str]) {
        assert_eq!(git_ok(ours, args), git_ok(theirs, args), "git {args:?}");
    }

    #[test]
    fn clones_with_a_work_tree_are_what_git_clone_makes() {
        let srv = server();
        std::fs::create_dir_all(srv.0.join("dir/sub")).expect("mkdir");
        std::fs::write(srv.0.join("dir/sub/deep.txt"), "deep\n").expect("write");
        git_ok(&srv.0, &["add", "-A"]);
        git_ok(&srv.0, &["commit", "-q", "-m", "deep"]);
        let url = format!("file://{}", srv.0.display());
        let out = TempDir::new("clone-wt");
        for (name, opts, git_args) in [
            ("full", CloneOptions::default(), vec![]),
            ("partial", CloneOptions { filter: Some("blob:none".into()), ..Default::default() }, vec!["--filter=blob:none"]),
            ("shallow", CloneOptions { depth: Some(2), ..Default::default() }, vec!["--depth=2"]),
            ("branch", CloneOptions { branch: Some("old".into()), ..Default::default() }, vec!["--branch=old"]),
            ("tag", CloneOptions { branch: Some("v1".into()), ..Default::default() }, vec!["--branch=v1"]),
        ] {
            let ours = out.0.join(format!("ours-{name}"));
            let theirs = out.0.join(format!("theirs-{name}"));
            clone(&url, &ours, &opts, &mut |_| {}, &AtomicBool::new(false)).unwrap_or_else(|e| panic!("{name}: {e}"));
            let mut args = vec!["clone", "-q"];
            args.extend(git_args.iter().copied());
            let (u, t) = (url.clone(), theirs.display().to_string());
            args.extend([u.as_str(), t.as_str()]);
            git_ok(&out.0, &args);
            same(&ours, &theirs, &["for-each-ref", "--format=%(objectname) %(refname) %(symref)"]);
            same(&ours, &theirs, &["config", "--local", "--list"]);
            same(&ours, &theirs, &["rev-parse", "HEAD"]);
            assert_eq!(git_status(&ours, &["symbolic-ref", "-q", "--short", "HEAD"]), git_status(&theirs, &["symbolic-ref", "-q", "--short", "HEAD"]));
            same(&ours, &theirs, &["ls-files", "-s"]);
            same(&ours, &theirs, &["rev-list", "--objects", "--all", "--missing=print"]);
            assert_eq!(git_ok(&ours, &["status", "--porcelain"]), "", "{name}: clean");
            assert_eq!(git_ok(&ours, &["diff-files"]), "", "{name}: stat data exact");
            assert_eq!(std::fs::read(ours.join("dir/sub/deep.txt")).ok(), std::fs::read(theirs.join("dir/sub/deep.txt")).ok(), "{name}");
            if opts.depth.is_some() {
                assert_eq!(std::fs::read_to_string(ours.join(".git/shallow")).ok(), std::fs::read_to_string(theirs.join(".git/shallow")).ok());
            }
            git_ok(&ours, &["fsck", "--no-progress"]);
        }
    }

    #[test]
    fn a_failed_clone_leaves_nothing() {
        let out = TempDir::new("clone-fail");
        let dest = out.0.join("x");
        let r = clone("/nonexistent/ferrogit/remote", &dest, &CloneOptions::default(), &mut |_| {}, &AtomicBool::new(false));
        assert_eq!(r.unwrap_err().code(), "ERR_TRANSPORT");
        assert!(!dest.exists());
        let srv = server();
        let r = clone(&srv.0.display().to_string(), &dest, &CloneOptions { branch: Some("nope".into()), ..Default::default() }, &mut |_| {}, &AtomicBool::new(false));
        assert_eq!(r.unwrap_err().code(), "ERR_TRANSPORT");
        assert!(!dest.exists());
        // Aborted before it starts: ERR_ABORTED, nothing left; an empty directory given stays, empty.
        std::fs::create_dir(&dest).expect("mkdir");
        let r = clone(&srv.0.display().to_string(), &dest, &CloneOptions::default(), &mut |_| {}, &AtomicBool::new(true));
        assert_eq!(r.unwrap_err().code(), "ERR_ABORTED");
        assert_eq!(std::fs::read_dir(&dest).expect("dir").count(), 0);
        // Aborted during the checkout (the signal fires as files are written): still nothing left.
        let flag = AtomicBool::new(false);
        let r = clone(&srv.0.display().to_string(), &dest, &CloneOptions::default(), &mut |p| {
            if p.phase == "checkout" {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }, &flag);
        assert_eq!(r.unwrap_err().code(), "ERR_ABORTED");
        assert_eq!(std::fs::read_dir(&dest).expect("dir").count(), 0);
    }

    #[test]
    fn readers_waiting_for_a_failed_lazy_fetch_get_its_error() {
        use crate::core::testutil::net::TcpServer;
        let srv = server();
        let out = TempDir::new("clone-flight");
        let ours = out.0.join("p.git");
        clone_bare(&srv.0.display().to_string(), &ours, &CloneOptions { filter: Some("blob:none".into()), ..Default::default() }, &mut |_| {}).expect("clone");
        // A "server" that takes its time and then hangs up: every reader is
        // waiting by then, all but one on the other's fetch.
        let slow = TcpServer::start(|mut conn| {
            use std::io::Read;
            let mut b = [0u8; 256];
            let _ = conn.read(&mut b);
            std::thread::sleep(std::time::Duration::from_millis(1500));
        });
        git_ok(&ours, &["config", "remote.origin.url", &format!("git://127.0.0.1:{}/x", slow.port)]);
        let repo = std::sync::Arc::new(crate::core::repo::Repository::open(&ours, &Default::default()).expect("open"));
        let blob = ObjectId::from_hex(git_ok(&srv.0, &["rev-parse", "HEAD:f2"]).as_bytes()).expect("oid");
        let start = std::sync::Arc::new(std::sync::Barrier::new(4));
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let (r, go) = (repo.clone(), start.clone());
                std::thread::spawn(move || {
                    go.wait();
                    r.read_object(&blob).map(|_| ()).unwrap_err().code()
                })
            })
            .collect();
        let codes: Vec<&str> = readers.into_iter().map(|h| h.join().expect("joined")).collect();
        assert_eq!(codes, ["ERR_TRANSPORT"; 4]);
        let p = repo.odb.promisor().expect("a promisor");
        assert_eq!(p.fetches.load(std::sync::atomic::Ordering::Relaxed), 1, "one fetch for all four");
        assert_eq!(p.joins.load(std::sync::atomic::Ordering::Relaxed), 3);
    }
}
