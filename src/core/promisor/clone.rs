//! Cloning (so far: bare clones, from any transport, with an optional
//! partial-clone filter), writing what `git clone --bare [--filter]` writes:
//! the pack (a promisor pack when filtered) with its index, every branch and
//! tag, `HEAD` naming the remote's default branch, and the remote's config,
//! so that git works in our clones (its own lazy fetch included).

use std::path::{Path, PathBuf};

use crate::core::error::{Error, Result};
use crate::core::oid::ObjectId;
use crate::core::promisor::session::{self, Session};
use crate::core::promisor::transport::Version;
use crate::core::promisor::v2;
use crate::core::refs::transaction::{Change, Edit, Expect};

/// What to clone.
#[derive(Debug, Default, Clone)]
pub struct CloneOptions {
    /// A partial-clone filter (`blob:none`, `tree:0`, `blob:limit=<n>`).
    pub filter: Option<String>,
}

/// Clone `url` into a new bare repository at `path`; returns its git dir.
pub fn clone_bare(url: &str, path: &Path, opts: &CloneOptions, progress: &mut dyn FnMut(&[u8])) -> Result<PathBuf> {
    clone_bare_with(url, Version::preferred(), path, opts, progress)
}

/// [`clone_bare`] asking the server for protocol `version`.
pub fn clone_bare_with(url: &str, version: Version, path: &Path, opts: &CloneOptions, progress: &mut dyn FnMut(&[u8])) -> Result<PathBuf> {
    if path.exists() && std::fs::read_dir(path).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(Error::Io { path: Some(path.to_path_buf()), message: "destination exists and is not an empty directory".into() });
    }
    let mut s = Session::connect_with(url, version)?;
    let refs = s.ls_refs(&["HEAD", "refs/heads/", "refs/tags/"])?;
    let head_target = refs.iter().find(|r| r.name == "HEAD").and_then(|r| r.symref_target.clone());
    let branch = head_target.as_deref().and_then(|t| t.strip_prefix("refs/heads/"));
    let git_dir = crate::core::init::init(path, true, branch)?;
    write_remote_config(&git_dir, url, opts.filter.as_deref())?;
    let stored: Vec<&v2::RemoteRef> = refs.iter().filter(|r| r.name != "HEAD" && r.oid.is_some()).collect();
    let mut wants: Vec<ObjectId> = stored.iter().filter_map(|r| r.oid).collect();
    wants.sort_by(|a, b| a.0.cmp(&b.0));
    wants.dedup();
    if !wants.is_empty() {
        let req = v2::FetchRequest { wants: &wants, filter: opts.filter.as_deref(), ..Default::default() };
        // As git: a promisor pack lists the refs it was fetched for.
        let promisor: Option<String> = opts.filter.as_ref().map(|_| stored.iter().filter_map(|r| r.oid.map(|o| format!("{o} {}\n", r.name))).collect());
        session::fetch_into(&mut s, &git_dir.join("objects"), &req, promisor.as_deref().map(str::as_bytes), progress)?;
    }
    let repo = crate::core::repo::Repository::open(&git_dir, &Default::default())?;
    let edits: Vec<Edit> = stored.iter().filter_map(|r| Some(Edit::new(r.name.clone(), Change::Update(r.oid?), Expect::Any))).collect();
    if !edits.is_empty() {
        repo.commit_ref_edits(edits)?;
    }
    Ok(git_dir)
}

/// `[remote "origin"]` as `git clone --bare` writes it, and format version 1
/// for a partial clone (its `remote.<name>.promisor` needs it).
fn write_remote_config(git_dir: &Path, url: &str, filter: Option<&str>) -> Result<()> {
    let path = git_dir.join("config");
    let mut text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    if filter.is_some() {
        text = text.replacen("repositoryformatversion = 0", "repositoryformatversion = 1", 1);
    }
    let quote = |v: &str| if v.contains(['"', '\\']) { format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")) } else { v.to_string() };
    text.push_str(&format!("[remote \"origin\"]\n\turl = {}\n", quote(url)));
    if let Some(f) = filter {
        text.push_str(&format!("\tpromisor = true\n\tpartialclonefilter = {}\n", quote(f)));
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
        let opts = CloneOptions { filter: Some("blob:none".into()) };
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
}
