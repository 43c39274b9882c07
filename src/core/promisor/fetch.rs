//! `git fetch`: list the remote's refs, map them through refspecs, fetch the
//! objects we lack in one pack (sending our ref tips as haves), and move the
//! local refs in one transaction, fast-forwards only unless forced, as git.

use std::collections::HashSet;
use std::sync::atomic::AtomicBool;

use crate::core::error::{Error, Result};
use crate::core::oid::ObjectId;
use crate::core::promisor::refspec::Refspec;
use crate::core::promisor::session::{self, Session};
use crate::core::promisor::{v2, OnProgress};
use crate::core::refs::transaction::{Change, Edit, Expect};
use crate::core::repo::Repository;

#[derive(Debug, Default, Clone)]
pub struct FetchOptions {
    /// Refspecs; default the remote's `remote.<name>.fetch`, or `HEAD` for a URL.
    pub refspecs: Vec<String>,
    /// A partial-clone filter; default the remote's `partialclonefilter`.
    pub filter: Option<String>,
    pub depth: Option<u32>,
    /// Delete local refs a refspec maps to whose remote ref is gone.
    pub prune: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefChange {
    pub name: String,
    pub old: Option<ObjectId>,
    pub new: Option<ObjectId>,
}

#[derive(Debug, Default)]
pub struct FetchOutcome {
    /// Refs moved, created or deleted, sorted by name.
    pub updated: Vec<RefChange>,
    /// Objects received.
    pub objects: usize,
    /// Bytes of pack received.
    pub bytes: u64,
    /// Bases the server left out of a thin pack, appended from our objects.
    pub thin_bases: usize,
}

/// Haves sent with a fetch: enough ref tips for the server to leave out what we have.
const MAX_HAVES: usize = 256;

/// A configured remote: its URL, fetch refspecs, and partial-clone settings.
pub struct Remote {
    pub name: Option<String>,
    pub url: String,
    pub refspecs: Vec<String>,
    pub promisor: bool,
    pub filter: Option<String>,
}

/// `remote_or_url` as a configured remote's name, else as a URL.
pub fn remote(repo: &Repository, remote_or_url: &str) -> Remote {
    let c = &repo.config;
    match c.get_sub("remote", Some(remote_or_url), "url").flatten() {
        Some(url) => {
            let name = remote_or_url.to_string();
            let promisor = crate::core::repo::is_promisor_remote(c, &name);
            Remote {
                url: url.to_string(),
                refspecs: c.get_all("remote", Some(&name), "fetch").into_iter().flatten().map(str::to_string).collect(),
                promisor,
                filter: c.get_sub("remote", Some(&name), "partialclonefilter").flatten().map(str::to_string),
                name: Some(name),
            }
        }
        None => Remote { name: None, url: remote_or_url.to_string(), refspecs: Vec::new(), promisor: false, filter: None },
    }
}

/// Fetch from `remote_or_url` into `repo` (on disk).
pub fn fetch(repo: &Repository, remote_or_url: &str, opts: &FetchOptions, progress: OnProgress<'_>, abort: &AtomicBool) -> Result<FetchOutcome> {
    if repo.is_in_memory() {
        return Err(Error::Io { path: None, message: "fetch needs a repository on disk".into() });
    }
    let r = remote(repo, remote_or_url);
    let specs: Vec<String> = if !opts.refspecs.is_empty() {
        opts.refspecs.clone()
    } else if !r.refspecs.is_empty() {
        r.refspecs.clone()
    } else {
        vec!["HEAD".to_string()]
    };
    let specs = specs.iter().map(|s| Refspec::parse(s)).collect::<Result<Vec<_>>>()?;
    let filter = opts.filter.clone().or_else(|| r.promisor.then(|| r.filter.clone()).flatten());
    let mut s = Session::connect(&r.url)?;
    let mut prefixes: Vec<String> = specs.iter().map(Refspec::prefix).collect();
    if prefixes.iter().any(String::is_empty) {
        prefixes.clear();
    }
    prefixes.sort();
    prefixes.dedup();
    let listed = s.ls_refs(&prefixes.iter().map(String::as_str).collect::<Vec<_>>())?;
    // (remote name, oid, local name, forced) for every ref a refspec takes.
    let mut taken: Vec<(String, ObjectId, Option<String>, bool)> = Vec::new();
    for rr in &listed {
        let Some(oid) = rr.oid else { continue };
        for spec in &specs {
            if let Some(dst) = spec.map(&rr.name) {
                taken.push((rr.name.clone(), oid, dst, spec.force));
                break;
            }
        }
    }
    let odb = &repo.odb;
    use crate::core::odb::ObjectStore;
    // One look for new packs, then no re-scan per missing want (`contains` would scan on every miss).
    odb.refresh();
    let mut wants: Vec<ObjectId> = taken.iter().map(|t| t.1).filter(|o| opts.depth.is_some() || !odb.has_without_refresh(o)).collect();
    wants.sort_by(|a, b| a.0.cmp(&b.0));
    wants.dedup();
    let mut out = FetchOutcome::default();
    if !wants.is_empty() {
        let mut haves: Vec<ObjectId> = repo.refs.list("")?.iter().filter_map(|r| r.leaf().oid()).filter(|o| odb.contains(o)).collect();
        haves.sort_by(|a, b| a.0.cmp(&b.0));
        haves.dedup();
        haves.truncate(MAX_HAVES);
        // With haves the server may send a thin pack (smaller): we complete it from our objects.
        let req = v2::FetchRequest { wants: &wants, haves: &haves, filter: filter.as_deref(), depth: opts.depth, thin: !haves.is_empty() };
        let promisor_text: Option<String> = (filter.is_some() || r.promisor).then(|| taken.iter().map(|t| format!("{} {}\n", t.1, t.0)).collect());
        let local = |id: &ObjectId| {
            let mut buf = Vec::new();
            match odb.read(id, &mut buf) {
                Ok(Some(k)) => Some((k, buf)),
                _ => None,
            }
        };
        let objects = repo.layout.common_dir.join("objects");
        let got = session::fetch_into_with(&mut s, &objects, &req, promisor_text.as_deref().map(str::as_bytes), progress, abort, &local)?;
        out.thin_bases = got.thin_bases;
        odb.refresh();
        if !got.shallow.is_empty() {
            write_shallow(repo, &got.shallow)?;
        }
        out.objects = got.objects;
        out.bytes = got.bytes;
    }
    let rla = format!("fetch {remote_or_url}");
    let mut edits = Vec::new();
    let mut seen = HashSet::new();
    for (_, new, dst, force) in &taken {
        let Some(dst) = dst else { continue };
        if !seen.insert(dst.clone()) {
            continue;
        }
        let old = repo.refs.get(dst)?.and_then(|r| r.leaf().oid());
        if old == Some(*new) {
            continue;
        }
        let how = match old {
            None => "storing head",
            Some(o) if repo.merge_base(&o, new).ok().flatten() == Some(o) => "fast-forward",
            Some(_) if *force => "forced-update",
            // git: "! [rejected] (non-fast-forward)" / "(would clobber existing tag)"
            Some(_) => continue,
        };
        if old.is_some() && dst.starts_with("refs/tags/") && !force {
            continue;
        }
        let expect = match old {
            Some(o) => Expect::MustMatch(o),
            None => Expect::MustNotExist { create: false },
        };
        let mut e = Edit::new(dst.clone(), Change::Update(*new), expect);
        e.message = Some(format!("{rla}: {how}"));
        edits.push(e);
        out.updated.push(RefChange { name: dst.clone(), old, new: Some(*new) });
    }
    if opts.prune {
        let remote_names: HashSet<&str> = listed.iter().map(|r| r.name.as_str()).collect();
        for spec in &specs {
            let Some(dst) = &spec.dst else { continue };
            let prefix = dst.split('*').next().unwrap_or(dst);
            for local in repo.refs.list(prefix)? {
                let name = local.name().to_string();
                let Some(src) = spec.source_of(&name) else { continue };
                if remote_names.contains(src.as_str()) || !seen.insert(name.clone()) || matches!(local, crate::core::refs::Ref::Symbolic { .. }) {
                    continue;
                }
                let old = local.leaf().oid();
                edits.push(Edit::new(name.clone(), Change::Delete, old.map(Expect::MustMatch).unwrap_or(Expect::Any)));
                out.updated.push(RefChange { name, old, new: None });
            }
        }
    }
    if !edits.is_empty() {
        repo.commit_ref_edits(edits)?;
    }
    out.updated.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Add `shallow` to `$GIT_DIR/shallow` (sorted, one id per line, as git keeps it).
pub fn write_shallow(repo: &Repository, shallow: &[ObjectId]) -> Result<()> {
    let path = repo.layout.common_dir.join("shallow");
    let mut all: Vec<String> = std::fs::read_to_string(&path).unwrap_or_default().lines().map(str::to_string).collect();
    all.extend(shallow.iter().map(|o| o.to_hex()));
    all.sort();
    all.dedup();
    let text: String = all.iter().map(|l| format!("{l}\n")).collect();
    // As git: through `shallow.lock`, renamed into place.
    let lock = repo.layout.common_dir.join("shallow.lock");
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&lock).map_err(|e| Error::io(&lock, e))?;
    let written = std::io::Write::write_all(&mut f, text.as_bytes()).and_then(|_| std::fs::rename(&lock, &path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&lock);
        return Err(Error::io(&path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::promisor::clone::{clone, CloneOptions};
    use crate::core::testutil::{git_ok, TempDir};

    fn commit(dir: &std::path::Path, file: &str, text: &str) {
        std::fs::write(dir.join(file), text).expect("write");
        git_ok(dir, &["add", "-A"]);
        git_ok(dir, &["commit", "-q", "-m", text]);
    }

    #[test]
    fn fetch_moves_refs_as_git_fetch_does() {
        let srv = TempDir::new("fetch-src");
        let s = &srv.0;
        git_ok(s, &["init", "-q", "-b", "main", "."]);
        commit(s, "a", "one");
        git_ok(s, &["branch", "gone"]);
        git_ok(s, &["branch", "rewritten"]);
        let url = format!("file://{}", s.display());
        let out = TempDir::new("fetch-out");
        let ours = out.0.join("ours");
        let theirs = out.0.join("theirs");
        clone(&url, &ours, &CloneOptions::default(), &mut |_| {}, &AtomicBool::new(false)).expect("clone");
        git_ok(&out.0, &["clone", "-q", &url, &theirs.display().to_string()]);
        // The remote moves on: a fast-forward, a new branch and tag, a deleted branch, a rewritten one.
        commit(s, "b", "two");
        git_ok(s, &["branch", "new"]);
        git_ok(s, &["tag", "-a", "-m", "t", "v2"]);
        git_ok(s, &["branch", "-D", "gone"]);
        git_ok(s, &["checkout", "-q", "rewritten"]);
        git_ok(s, &["commit", "-q", "--amend", "-m", "amended"]);
        git_ok(s, &["checkout", "-q", "main"]);
        let repo = Repository::open(&ours.join(".git"), &Default::default()).expect("open");
        let got = fetch(&repo, "origin", &FetchOptions { prune: true, ..Default::default() }, &mut |_| {}, &AtomicBool::new(false)).expect("fetch");
        git_ok(&theirs, &["fetch", "-q", "--prune", "origin"]);
        let refs = |d: &std::path::Path| git_ok(d, &["for-each-ref", "--format=%(objectname) %(refname)", "refs/remotes"]);
        assert_eq!(refs(&ours), refs(&theirs));
        let names: Vec<&str> = got.updated.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["refs/remotes/origin/gone", "refs/remotes/origin/main", "refs/remotes/origin/new", "refs/remotes/origin/rewritten"]);
        assert!(got.updated[0].new.is_none() && got.objects > 0 && got.bytes > 0);
        // Only what we lacked came: the commit "two", its tree and blob, the amended commit (its tree is known).
        assert_eq!(got.objects, 4, "{got:?}");
        git_ok(&ours, &["fsck", "--no-progress"]);
        let log = git_ok(&ours, &["reflog", "show", "--format=%gs", "refs/remotes/origin/main"]);
        assert_eq!(log.lines().next(), Some("fetch origin: fast-forward"));
        // Nothing new: nothing fetched, nothing moved.
        let again = fetch(&repo, "origin", &FetchOptions::default(), &mut |_| {}, &AtomicBool::new(false)).expect("fetch");
        assert!(again.updated.is_empty() && again.objects == 0);
        // Without '+', a rewritten branch is not moved (git: rejected, non-fast-forward).
        git_ok(s, &["checkout", "-q", "rewritten"]);
        git_ok(s, &["commit", "-q", "--amend", "-m", "again"]);
        let spec = vec!["refs/heads/rewritten:refs/remotes/origin/rewritten".to_string(), "refs/heads/main:refs/heads/copy".to_string()];
        let r = fetch(&repo, &url, &FetchOptions { refspecs: spec, ..Default::default() }, &mut |_| {}, &AtomicBool::new(false)).expect("fetch");
        assert_eq!(r.updated.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["refs/heads/copy"]);
        // A big file changed a little: the server sends a delta against the blob we have
        // (a thin pack), which we complete; git reads the result.
        git_ok(s, &["checkout", "-q", "main"]);
        commit(s, "big", &"line of text for a delta base\n".repeat(4000));
        fetch(&repo, "origin", &FetchOptions::default(), &mut |_| {}, &AtomicBool::new(false)).expect("fetch");
        commit(s, "big", &("line of text for a delta base\n".repeat(4000) + "one more\n"));
        let thin = fetch(&repo, "origin", &FetchOptions::default(), &mut |_| {}, &AtomicBool::new(false)).expect("fetch");
        assert!(thin.thin_bases > 0, "the pack was thin: {thin:?}");
        git_ok(&ours, &["fsck", "--no-progress", "--strict"]);
        for p in std::fs::read_dir(ours.join(".git/objects/pack")).expect("dir").flatten() {
            if p.path().extension().is_some_and(|x| x == "idx") {
                git_ok(&ours, &["verify-pack", &p.path().display().to_string()]);
            }
        }
        // Bad refspecs and unreachable remotes.
        let bad = fetch(&repo, "origin", &FetchOptions { refspecs: vec!["a*b*".into()], ..Default::default() }, &mut |_| {}, &AtomicBool::new(false));
        assert!(bad.is_err());
        let gone = fetch(&repo, "/nonexistent/ferrogit", &FetchOptions::default(), &mut |_| {}, &AtomicBool::new(false));
        assert_eq!(gone.unwrap_err().code(), "ERR_TRANSPORT");
    }

    #[test]
    fn a_shallow_fetch_is_what_git_fetch_depth_makes() {
        let srv = TempDir::new("fetch-depth-src");
        let s = &srv.0;
        git_ok(s, &["init", "-q", "-b", "main", "."]);
        for i in 0..5 {
            commit(s, "a", &format!("v{i}"));
        }
        let url = format!("file://{}", s.display());
        let out = TempDir::new("fetch-depth-out");
        let (ours, theirs) = (out.0.join("ours"), out.0.join("theirs"));
        let repo = Repository::init(&ours, false, Some("main")).expect("init");
        git_ok(&out.0, &["init", "-q", "-b", "main", &theirs.display().to_string()]);
        let spec = "+refs/heads/main:refs/remotes/o/main";
        let opts = FetchOptions { refspecs: vec![spec.into()], depth: Some(2), ..Default::default() };
        fetch(&repo, &url, &opts, &mut |_| {}, &AtomicBool::new(false)).expect("fetch");
        git_ok(&theirs, &["fetch", "-q", "--depth=2", &url, spec]);
        for args in [&["for-each-ref"][..], &["rev-list", "--objects", "refs/remotes/o/main"]] {
            assert_eq!(git_ok(&ours, args), git_ok(&theirs, args), "git {args:?}");
        }
        assert_eq!(std::fs::read_to_string(ours.join(".git/shallow")).ok(), std::fs::read_to_string(theirs.join(".git/shallow")).ok());
        git_ok(&ours, &["fsck", "--no-progress"]);
    }
}
