//! Checkouts compared with `git clone`'s, read back by git itself.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::*;
use crate::core::testutil::{command, git_bytes, git_ok, git_output, TempDir};

/// A source repository with nested directories, an executable, symlinks (one
/// dangling, one absolute), an empty file, names with a space and UTF-8,
/// names around a directory's in sort order (`a-b`, `a.b`, `a/`, `a0`),
/// identical contents under several paths, a larger file, 300 small files,
/// and a gitlink `sub` (added with `update-index --cacheinfo`, as an
/// uninitialised submodule is).
const MAKE_SOURCE: &str = r#"
set -eu
git init -q -b main src
cd src
mkdir -p a/b/c many deep/x/y/z/w
echo deep > a/b/c/deep.txt
echo one > a/one
echo ab > a-b
echo adotb > a.b
echo a0 > a0
printf '#!/bin/sh\necho run\n' > run.sh
chmod +x run.sh
printf 'exec\n' > a/b/tool
chmod 755 a/b/tool
ln -s a/b/c/deep.txt link
ln -s ../../nowhere/at/all a/b/dangling
ln -s /etc/passwd absolute
: > empty
echo 'spaced out' > 'with space.txt'
echo 'unicode' > 'ünïcödé ☃.txt'
echo same > deep/x/y/z/w/same
echo same > deep/same
i=0
while [ $i -lt 1000 ]; do echo "line $i of a larger file"; i=$((i+1)); done > big.txt
i=0
while [ $i -lt 300 ]; do
  d=many/d$((i % 7))
  mkdir -p $d
  echo "file $i" > $d/f$i.txt
  i=$((i+1))
done
git add -A
git commit -q -m one
git update-index --add --cacheinfo 160000,$(git rev-parse HEAD),sub
git commit -q -m two
"#;

fn make_source(t: &TempDir) -> PathBuf {
    let out = command("sh", &t.0).arg("-c").arg(MAKE_SOURCE).output().expect("sh runs");
    assert!(out.status.success(), "fixture: {}", String::from_utf8_lossy(&out.stderr));
    t.0.join("src")
}

fn open(dir: &Path) -> Repository {
    Repository::open(&dir.join(".git"), &Default::default()).expect("opens")
}

fn head_tree(dir: &Path) -> ObjectId {
    ObjectId::parse(&git_ok(dir, &["rev-parse", "HEAD^{tree}"])).expect("oid")
}

/// What a work tree holds, `.git` aside: per path, the kind with the
/// permission bits of files, and the content or link target.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (char, u32, Vec<u8>)> {
    fn go(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, (char, u32, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let e = e.expect("dir entry");
            let p = e.path();
            let rel = p.strip_prefix(root).expect("under root").to_path_buf();
            if rel == Path::new(".git") {
                continue;
            }
            let m = std::fs::symlink_metadata(&p).expect("lstat");
            if m.file_type().is_symlink() {
                let target = std::fs::read_link(&p).expect("readlink");
                out.insert(rel, ('l', 0, target.into_os_string().into_encoded_bytes()));
            } else if m.is_dir() {
                out.insert(rel, ('d', m.permissions().mode() & 0o7777, Vec::new()));
                go(root, &p, out);
            } else {
                out.insert(rel, ('f', m.permissions().mode() & 0o7777, std::fs::read(&p).expect("read")));
            }
        }
    }
    let mut out = BTreeMap::new();
    go(root, root, &mut out);
    out
}

#[test]
fn checkout_matches_git_clone() {
    let t = TempDir::new("checkout");
    let src = make_source(&t);
    let url = src.display().to_string();
    let dst = t.0.join("dst");
    let reference = t.0.join("reference");
    git_ok(&t.0, &["clone", "-q", "--no-checkout", &url, &dst.display().to_string()]);
    git_ok(&t.0, &["clone", "-q", &url, &reference.display().to_string()]);

    let repo = open(&dst);
    let mut calls: Vec<(usize, usize)> = Vec::new();
    let n = checkout(&repo, &head_tree(&dst), &dst, &dst.join(".git/index"), &mut |d, t| calls.push((d, t)))
        .expect("checks out");

    let listed = git_bytes(&reference, &["ls-files", "-s", "-z"], None);
    assert_eq!(n, listed.split(|&c| c == 0).filter(|r| !r.is_empty()).count());
    assert!(n > 310, "{n} entries");
    assert_eq!(calls.first(), Some(&(0, n)));
    assert_eq!(calls.last(), Some(&(n, n)));
    assert!(calls.windows(2).all(|w| w[1].0 == w[0].0 + 1 && w[1].1 == n));

    // diff-files trusts the stat data as written: nothing may differ.
    assert_eq!(git_ok(&dst, &["diff-files"]), "");
    assert!(!dst.join(".git/index.lock").exists());
    assert_eq!(git_bytes(&dst, &["ls-files", "-s", "-z"], None), listed);
    assert_eq!(git_ok(&dst, &["status", "--porcelain", "--ignored"]), "");
    assert_eq!(snapshot(&dst), snapshot(&reference));
    assert!(dst.join("sub").is_dir() && std::fs::read_dir(dst.join("sub")).expect("sub").next().is_none());
    let fsck = git_output(&dst, &["fsck", "--no-progress"], None);
    assert!(fsck.status.success(), "fsck: {}", String::from_utf8_lossy(&fsck.stderr));

    // Our reader sees git's index and ours alike; ours has the files' exact
    // stat data (the gitlink's zeroed), and is a version 2 index as git reads it.
    let ours = index::read(&dst.join(".git/index")).expect("reads ours");
    let theirs = index::read(&reference.join(".git/index")).expect("reads git's");
    let key = |e: &index::Entry| (e.path.clone(), e.mode, e.oid, e.stage);
    assert_eq!(ours.iter().map(key).collect::<Vec<_>>(), theirs.iter().map(key).collect::<Vec<_>>());
    for e in &ours {
        let p = dst.join(OsStr::from_bytes(&e.path));
        let m = std::fs::symlink_metadata(&p).expect("lstat");
        if e.mode == MODE_GITLINK {
            assert_eq!(e.stat, Stat::default());
        } else {
            assert_eq!(e.stat, Stat::from_metadata(&m), "{p:?}");
            assert_eq!((e.stat.ino, e.stat.size), (m.ino() as u32, m.size() as u32));
        }
    }
    assert_eq!(git_ok(&dst, &["update-index", "--show-index-version"]), "2");
}

#[test]
fn checkout_honours_umask_like_git() {
    // The umask is per process: run git under the same one as our files got.
    let t = TempDir::new("checkout-umask");
    let src = make_source(&t);
    let dst = t.0.join("dst");
    git_ok(&t.0, &["clone", "-q", "--no-checkout", &src.display().to_string(), &dst.display().to_string()]);
    let repo = open(&dst);
    checkout(&repo, &head_tree(&dst), &dst, &dst.join(".git/index"), &mut |_, _| {}).expect("checks out");
    // SAFETY: umask only reads and sets this process's file mode mask.
    let mask = unsafe {
        let m = libc::umask(0);
        libc::umask(m);
        m
    } as u32;
    let run = std::fs::metadata(dst.join("run.sh")).expect("stat").permissions().mode() & 0o777;
    let plain = std::fs::metadata(dst.join("a/one")).expect("stat").permissions().mode() & 0o777;
    let dir = std::fs::metadata(dst.join("a/b")).expect("stat").permissions().mode() & 0o777;
    assert_eq!((run, plain, dir), (0o777 & !mask, 0o666 & !mask, 0o777 & !mask));
}

#[test]
fn checkout_replaces_what_is_in_the_way_without_following_symlinks() {
    let t = TempDir::new("checkout-in-the-way");
    let src = make_source(&t);
    let dst = t.0.join("dst");
    let outside = t.0.join("outside");
    std::fs::create_dir(&outside).expect("mkdir");
    git_ok(&t.0, &["clone", "-q", "--no-checkout", &src.display().to_string(), &dst.display().to_string()]);
    // A symlink where a directory goes, one where a file goes, a directory
    // where a file goes, a file where the gitlink's directory goes, and a
    // stale file with other content and mode.
    std::os::unix::fs::symlink(&outside, dst.join("a")).expect("symlink");
    std::os::unix::fs::symlink(outside.join("victim"), dst.join("a0")).expect("symlink");
    std::fs::create_dir_all(dst.join("run.sh/inner")).expect("mkdir");
    std::fs::write(dst.join("sub"), b"not a dir").expect("write");
    std::fs::write(dst.join("big.txt"), b"old").expect("write");
    std::fs::set_permissions(dst.join("big.txt"), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let repo = open(&dst);
    checkout(&repo, &head_tree(&dst), &dst, &dst.join(".git/index"), &mut |_, _| {}).expect("checks out");
    assert_eq!(std::fs::read_dir(&outside).expect("outside").count(), 0, "nothing written through a symlink");
    assert_eq!(git_ok(&dst, &["diff-files"]), "");
    assert_eq!(git_ok(&dst, &["status", "--porcelain"]), "");
    let reference = t.0.join("reference");
    git_ok(&t.0, &["clone", "-q", &src.display().to_string(), &reference.display().to_string()]);
    assert_eq!(snapshot(&dst), snapshot(&reference));
}

/// A tree of raw `(mode, name, id)` entries, stored without any check.
fn raw_tree(repo: &Repository, entries: &[(&str, &[u8], ObjectId)]) -> ObjectId {
    let mut data = Vec::new();
    for (mode, name, oid) in entries {
        data.extend_from_slice(mode.as_bytes());
        data.push(b' ');
        data.extend_from_slice(name);
        data.push(0);
        data.extend_from_slice(&oid.0);
    }
    repo.odb.write(Kind::Tree, &data).expect("writes")
}

#[test]
fn checkout_refuses_hostile_trees() {
    let t = TempDir::new("checkout-hostile");
    let dir = t.0.join("repo");
    git_ok(&t.0, &["init", "-q", &dir.display().to_string()]);
    let repo = open(&dir);
    let blob = repo.write_blob(b"pwned\n").expect("blob");
    let target = repo.write_blob(t.0.join("outside").as_os_str().as_bytes()).expect("blob");
    let ok_file = ("100644", &b"fine"[..], blob);
    let inner = raw_tree(&repo, &[("100644", b"escaped", blob)]);
    let hook = raw_tree(&repo, &[("100755", b"post-checkout", blob)]);
    let hooks = raw_tree(&repo, &[("40000", b"hooks", hook)]);
    let evil_names: Vec<Vec<(&str, &[u8], ObjectId)>> = vec![
        vec![ok_file, ("40000", b"..", inner)],
        vec![ok_file, ("100644", b"..", blob)],
        vec![("100644", b".", blob)],
        vec![("40000", b".git", hooks)],
        vec![("40000", b".GIT", hooks)],
        vec![("40000", b".Git", hooks)],
        vec![("40000", b"git~1", hooks)],
        vec![("40000", b".git ", hooks)],
        vec![("40000", ".g\u{200c}it".as_bytes(), hooks)],
        vec![("100644", b"a/../../escaped", blob)],
        vec![("100644", b"/tmp/escaped", blob)],
        vec![("120000", b".gitmodules", blob)],
        // `d` twice: a symlink leading outside, then a directory through it.
        vec![("120000", b"d", target), ("100644", b"d-", blob), ("40000", b"d", inner)],
        vec![("100644", b"x", blob), ("100644", b"x", blob)],
    ];
    let mut trees: Vec<ObjectId> = Vec::new();
    for entries in &evil_names {
        trees.push(raw_tree(&repo, entries));
    }
    // The same, one and two levels down (after a file that would be written first).
    let nested: Vec<ObjectId> = trees
        .iter()
        .flat_map(|&evil| {
            let one = raw_tree(&repo, &[("100644", b"aaa", blob), ("40000", b"sub", evil)]);
            let two = raw_tree(&repo, &[("40000", b"deeper", one), ("100644", b"zzz", blob)]);
            [one, two]
        })
        .collect();
    trees.extend(nested);
    // Not a tree at all, and a truncated tree.
    trees.push(repo.odb.write(Kind::Tree, b"100644 trunc\0abc").expect("writes"));
    let before = snapshot(&t.0);
    for tree in &trees {
        let work = t.0.join("work");
        std::fs::create_dir(&work).expect("mkdir");
        let index_path = work.join("index");
        let err = checkout(&repo, tree, &work, &index_path, &mut |_, _| panic!("nothing is written")).expect_err("refused");
        assert_eq!(err.code(), "ERR_CORRUPT_OBJECT", "{tree}: {err}");
        assert!(err.oid().is_some(), "{err}");
        assert_eq!(std::fs::read_dir(&work).expect("work").count(), 0, "{tree}: nothing written");
        std::fs::remove_dir(&work).expect("rmdir");
        assert_eq!(snapshot(&t.0), before, "{tree}: nothing written outside");
    }
    // The error names the path from the top of the checkout.
    let two_down = trees[evil_names.len() + 1];
    let index_path = t.0.join("scratch-index");
    let err = checkout(&repo, &two_down, &t.0.join("nowhere"), &index_path, &mut |_, _| {}).expect_err("refused");
    assert!(!index_path.exists() && !t.0.join("scratch-index.lock").exists());
    assert!(err.to_string().contains("\"deeper/sub/..\""), "{err}");
    // git agrees that these trees are bad: read-tree refuses them, or fsck names them.
    let fsck = git_output(&dir, &["fsck", "--no-dangling", "--no-progress"], None);
    let fsck = String::from_utf8_lossy(&[fsck.stdout, fsck.stderr].concat()).to_string();
    for tree in &trees[..evil_names.len()] {
        let scratch = t.0.join("scratch-index");
        let out = command("git", &dir).env("GIT_INDEX_FILE", &scratch).args(["read-tree", &tree.to_hex()]).output().expect("git runs");
        let _ = std::fs::remove_file(&scratch);
        assert!(!out.status.success() || fsck.contains(&tree.to_hex()), "git takes {tree}: {fsck}");
    }
    // And a fine tree next to them is checked out.
    let fine = raw_tree(&repo, &[ok_file, ("40000", b"dir", inner), ("100644", b".gitx", blob), ("100644", b"...", blob)]);
    let work = t.0.join("work");
    std::fs::create_dir(&work).expect("mkdir");
    assert_eq!(checkout(&repo, &fine, &work, &work.join("index"), &mut |_, _| {}).expect("checks out"), 4);
    assert_eq!(std::fs::read(work.join("dir/escaped")).expect("read"), b"pwned\n");
}

#[test]
fn checkout_missing_and_mistyped_objects() {
    let t = TempDir::new("checkout-missing");
    let dir = t.0.join("repo");
    git_ok(&t.0, &["init", "-q", &dir.display().to_string()]);
    let repo = open(&dir);
    let nowhere = ObjectId([0x42; 20]);
    let dangling = raw_tree(&repo, &[("100644", b"f", nowhere)]);
    let work = t.0.join("work");
    std::fs::create_dir(&work).expect("mkdir");
    let err = checkout(&repo, &dangling, &work, &work.join("index"), &mut |_, _| {}).expect_err("missing");
    assert_eq!((err.code(), err.oid()), ("ERR_OBJECT_NOT_FOUND", Some(nowhere)));
    assert!(!work.join("index").exists());
    assert!(!work.join("index.lock").exists());
    let tree = raw_tree(&repo, &[]);
    let tree_as_blob = raw_tree(&repo, &[("100644", b"f", tree)]);
    let err = checkout(&repo, &tree_as_blob, &work, &work.join("index"), &mut |_, _| {}).expect_err("a tree");
    assert_eq!(err.code(), "ERR_OBJECT_TYPE");
    let blob = repo.write_blob(b"x").expect("blob");
    let err = checkout(&repo, &blob, &work, &work.join("index"), &mut |_, _| {}).expect_err("a blob");
    assert_eq!(err.code(), "ERR_OBJECT_TYPE");
    // The empty tree checks out to nothing, with an empty index git reads.
    assert_eq!(checkout(&repo, &crate::core::treeops::EMPTY_TREE, &work, &work.join("index"), &mut |_, _| {}).expect("empty"), 0);
    assert_eq!(index::read(&work.join("index")).expect("reads"), Vec::new());
}

#[test]
fn index_lock_is_exclusive() {
    let t = TempDir::new("index-lock");
    let dir = t.0.join("repo");
    git_ok(&t.0, &["init", "-q", &dir.display().to_string()]);
    let repo = open(&dir);
    let blob = repo.write_blob(b"x\n").expect("blob");
    std::fs::write(dir.join("f"), b"x\n").expect("write");
    let stat = Stat::from_metadata(&std::fs::symlink_metadata(dir.join("f")).expect("lstat"));
    let index_path = dir.join(".git/index");
    let mut entries = vec![index::Entry { stage: 0, path: b"f".to_vec(), mode: 0o100644, oid: blob, stat }];
    std::fs::write(dir.join(".git/index.lock"), b"held").expect("lock");
    let err = index::write(&index_path, &mut entries).expect_err("locked");
    assert_eq!(err.code(), "ERR_IO");
    assert_eq!(std::fs::read(dir.join(".git/index.lock")).expect("still there"), b"held");
    assert!(!index_path.exists());
    // A checkout takes the lock first: with it held, nothing is written.
    let tree = raw_tree(&repo, &[("100644", b"f", blob)]);
    let work = t.0.join("work");
    std::fs::create_dir(&work).expect("mkdir");
    let err = checkout(&repo, &tree, &work, &index_path, &mut |_, _| {}).expect_err("locked");
    assert_eq!(err.code(), "ERR_IO");
    assert_eq!(std::fs::read_dir(&work).expect("work").count(), 0);
    assert_eq!(std::fs::read(dir.join(".git/index.lock")).expect("still there"), b"held");
    std::fs::remove_file(dir.join(".git/index.lock")).expect("unlock");
    index::write(&index_path, &mut entries).expect("writes");
    assert!(!dir.join(".git/index.lock").exists());
    assert_eq!(git_ok(&dir, &["ls-files", "-s"]), format!("100644 {blob} 0\tf"));
    assert_eq!(git_ok(&dir, &["diff-files"]), "");
}

#[test]
fn index_bytes_match_git() {
    // Entries git wrote with --index-info (zeroed stat, no extensions) read
    // and written back give git's bytes.
    let t = TempDir::new("index-bytes");
    let dir = t.0.join("repo");
    git_ok(&t.0, &["init", "-q", &dir.display().to_string()]);
    let blob = git_ok(&dir, &["hash-object", "-w", "--stdin"]);
    let long = "l/".repeat(2100) + "f";
    let mut info = String::new();
    for (mode, path) in [
        ("100644", "a"),
        ("100755", "a.b"),
        ("120000", "ab/c"),
        ("160000", "sub"),
        ("100644", "ünï code"),
        ("100644", long.as_str()),
        ("100644", "1234567"),
        ("100644", "12345678"),
    ] {
        info.push_str(&format!("{mode} {blob}\t{path}\n"));
    }
    let idx = t.0.join("git-index");
    let out = command("git", &dir)
        .env("GIT_INDEX_FILE", &idx)
        .args(["update-index", "--add", "--index-info"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            c.stdin.take().expect("piped").write_all(info.as_bytes())?;
            c.wait_with_output()
        })
        .expect("git runs");
    assert!(out.status.success());
    let theirs = std::fs::read(&idx).expect("git's index");
    let entries = index::read(&idx).expect("reads");
    assert_eq!(entries.len(), 8);
    assert_eq!(index::write::encode(&entries).expect("encodes"), theirs);
}

fn partial_clone(t: &TempDir, src: &Path) -> PathBuf {
    git_ok(src, &["config", "uploadpack.allowFilter", "true"]);
    git_ok(src, &["config", "uploadpack.allowAnySHA1InWant", "true"]);
    let url = format!("file://{}", src.display());
    let dst = t.0.join("partial");
    git_ok(&t.0, &["clone", "-q", "--filter=blob:none", "--no-checkout", &url, &dst.display().to_string()]);
    dst
}

/// The blobs `git ls-tree -r HEAD -- paths` lists, first occurrences in order.
fn git_blobs(dir: &Path, paths: &[&str]) -> Vec<ObjectId> {
    let mut args = vec!["ls-tree", "-r", "-z", "HEAD", "--"];
    args.extend_from_slice(paths);
    let out = git_bytes(dir, &args, None);
    let mut seen = HashSet::new();
    let mut ids = Vec::new();
    for rec in out.split(|&c| c == 0).filter(|r| !r.is_empty()) {
        let head = String::from_utf8_lossy(&rec[..rec.iter().position(|&c| c == b'\t').expect("tab")]).to_string();
        let f: Vec<&str> = head.split(' ').collect();
        let id = ObjectId::parse(f[2]).expect("oid");
        if f[1] == "blob" && seen.insert(id) {
            ids.push(id);
        }
    }
    ids
}

#[test]
fn missing_blobs_of_a_partial_clone() {
    let t = TempDir::new("missing-blobs");
    let src = make_source(&t);
    let pc = partial_clone(&t, &src);
    let repo = open(&pc);
    let tree = head_tree(&pc);
    let odb = &repo.odb;
    let s = |v: &[&str]| v.iter().map(|p| p.to_string()).collect::<Vec<_>>();

    let all = missing_blobs(odb, &tree, &[]).expect("walks");
    assert_eq!(all, git_blobs(&pc, &[]));
    assert!(all.len() > 300);
    assert_eq!(missing_blobs(odb, &tree, &s(&[""])).expect("walks"), all);
    for paths in [
        vec!["a"],
        vec!["a/"],
        vec!["a/b", "run.sh"],
        vec!["a/b/c/deep.txt"],
        vec!["deep", "many/d3"],
        vec!["a.b", "a-b"],
        vec!["many/d1/f1.txt", "many/d1/f1.tx"],
        vec!["nope", "a/nope", "sub", "su"],
    ] {
        assert_eq!(missing_blobs(odb, &tree, &s(&paths)).expect("walks"), git_blobs(&pc, &paths), "{paths:?}");
    }
    assert_eq!(missing_blobs(odb, &tree, &s(&["a/b/c/deep.txt/"])).expect("walks"), git_blobs(&pc, &["a/b/c/deep.txt"]));
    assert!(missing_blobs(odb, &tree, &s(&["sub", "a0x", "a/b/c/deep"])).expect("walks").is_empty());

    // git's own lazy fetch of one blob: it is no longer missing.
    let run = ObjectId::parse(&git_ok(&pc, &["rev-parse", "HEAD:run.sh"])).expect("oid");
    assert!(all.contains(&run));
    git_ok(&pc, &["cat-file", "-p", "HEAD:run.sh"]);
    let after = missing_blobs(odb, &tree, &[]).expect("walks");
    assert_eq!(after, all.iter().copied().filter(|o| *o != run).collect::<Vec<_>>());
    let reopened = open(&pc);
    assert_eq!(missing_blobs(&reopened.odb, &tree, &[]).expect("walks"), after);
}

#[test]
fn checkout_of_a_partial_clone_fetches_lazily() {
    // A small source: one lazy fetch per blob.
    let t = TempDir::new("checkout-partial");
    let script = r#"
set -eu
git init -q -b main src
cd src
mkdir -p d/e
echo one > d/e/one
printf '#!/bin/sh\n' > run.sh
chmod +x run.sh
ln -s d/e/one link
: > empty
git add -A
git commit -q -m one
"#;
    let out = command("sh", &t.0).arg("-c").arg(script).output().expect("sh runs");
    assert!(out.status.success(), "fixture: {}", String::from_utf8_lossy(&out.stderr));
    let src = t.0.join("src");
    let pc = partial_clone(&t, &src);
    let repo = open(&pc);
    let tree = head_tree(&pc);
    assert_eq!(missing_blobs(&repo.odb, &tree, &[]).expect("walks").len(), 4);
    assert_eq!(checkout(&repo, &tree, &pc, &pc.join(".git/index"), &mut |_, _| {}).expect("checks out"), 4);
    assert!(missing_blobs(&repo.odb, &tree, &[]).expect("walks").is_empty());
    assert_eq!(git_ok(&pc, &["diff-files"]), "");
    assert_eq!(git_ok(&pc, &["status", "--porcelain"]), "");
    let reference = t.0.join("reference");
    git_ok(&t.0, &["clone", "-q", &src.display().to_string(), &reference.display().to_string()]);
    assert_eq!(snapshot(&pc), snapshot(&reference));
}

/// Build a `make-repo` profile into `t` (a bare repository).
fn make_profile(t: &TempDir, profile: &str) -> PathBuf {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/make-repo");
    let dest = t.0.join(profile);
    let out = command("python3", &t.0).arg(&tool).arg(profile).arg(&dest).output().expect("python3 runs");
    assert!(out.status.success(), "make-repo {profile}: {}", String::from_utf8_lossy(&out.stderr));
    dest
}

#[test]
fn checkout_fixtures_match_git_clone() {
    let t = TempDir::new("checkout-fixtures");
    for profile in ["tiny", "small"] {
        let bare = make_profile(&t, profile);
        let url = bare.display().to_string();
        let dst = t.0.join(format!("{profile}-ours"));
        let reference = t.0.join(format!("{profile}-git"));
        git_ok(&t.0, &["clone", "-q", "--no-checkout", &url, &dst.display().to_string()]);
        git_ok(&t.0, &["clone", "-q", &url, &reference.display().to_string()]);
        // Every tagged commit too (tags differ from HEAD in files and modes), into fresh work trees.
        let tags = git_ok(&dst, &["tag", "--list"]);
        let mut revs: Vec<String> = vec!["HEAD".into()];
        revs.extend(tags.lines().step_by(10).map(str::to_string));
        let repo = open(&dst);
        for rev in &revs {
            let commit = ObjectId::parse(&git_ok(&dst, &["rev-parse", &format!("{rev}^{{commit}}")])).expect("oid");
            let work = t.0.join("work");
            let _ = std::fs::remove_dir_all(&work);
            let want = t.0.join("want");
            let _ = std::fs::remove_dir_all(&want);
            std::fs::create_dir(&work).expect("mkdir");
            // git's own checkout of the same commit, into a work tree of the reference clone.
            git_ok(&reference, &["worktree", "add", "-q", "--detach", &want.display().to_string(), &commit.to_hex()]);
            let index_path = t.0.join("work.index");
            let _ = std::fs::remove_file(&index_path);
            let n = checkout(&repo, &commit, &work, &index_path, &mut |_, _| {}).expect("checks out");
            assert_eq!(snapshot(&work), snapshot(&want), "{profile} {rev}");
            let theirs = index::read(&reference.join(".git/worktrees/want/index")).expect("reads git's");
            let ours = index::read(&index_path).expect("reads ours");
            assert_eq!(n, ours.len());
            let key = |e: &index::Entry| (e.path.clone(), e.mode, e.oid);
            assert_eq!(ours.iter().map(key).collect::<Vec<_>>(), theirs.iter().map(key).collect::<Vec<_>>(), "{profile} {rev}");
            // git reads our index against our work tree and finds nothing changed.
            let diff = command("git", &dst)
                .env("GIT_INDEX_FILE", &index_path)
                .env("GIT_WORK_TREE", &work)
                .args(["diff-files"])
                .output()
                .expect("git runs");
            assert!(diff.status.success() && diff.stdout.is_empty(), "{profile} {rev}: {}", String::from_utf8_lossy(&diff.stdout));
            git_ok(&reference, &["worktree", "remove", "--force", &want.display().to_string()]);
        }
    }
}

#[test]
fn missing_blobs_of_the_partial_fixture() {
    let t = TempDir::new("missing-blobs-fixture");
    let bare = make_profile(&t, "partial");
    let repo = Repository::open(&bare, &Default::default()).expect("opens");
    let tree = ObjectId::parse(&git_ok(&bare, &["rev-parse", "HEAD^{tree}"])).expect("oid");
    let ours = missing_blobs(&repo.odb, &tree, &[]).expect("walks");
    // What git lists as missing, in ls-tree order.
    let missing: HashSet<String> = git_ok(&bare, &["rev-list", "--objects", "--missing=print", "HEAD"])
        .lines()
        .filter_map(|l| l.strip_prefix('?').map(str::to_string))
        .collect();
    let want: Vec<ObjectId> = git_blobs(&bare, &[]).into_iter().filter(|o| missing.contains(&o.to_hex())).collect();
    assert!(!want.is_empty());
    assert_eq!(ours, want);
}

/// `cargo test --release --lib checkout_bench -- --ignored --nocapture`: our
/// checkout of HEAD against `git reset --hard` in a `--no-checkout` clone of
/// `FERROGIT_BENCH_REPO` (default /tmp/ferrogit-bench/medium).
#[test]
#[ignore]
fn checkout_bench() {
    let path = std::env::var("FERROGIT_BENCH_REPO").unwrap_or_else(|_| "/tmp/ferrogit-bench/medium".into());
    if !Path::new(&path).exists() {
        eprintln!("no {path}");
        return;
    }
    let t = TempDir::new("checkout-bench");
    let ours = t.0.join("ours");
    let theirs = t.0.join("theirs");
    git_ok(&t.0, &["clone", "-q", "--no-checkout", &path, &ours.display().to_string()]);
    git_ok(&t.0, &["clone", "-q", "--no-checkout", &path, &theirs.display().to_string()]);
    // CPU time (user + system) of this process or of its finished children:
    // wall time on a shared machine mostly measures the other processes.
    let cpu = |who: i32| {
        // SAFETY: getrusage only writes the struct it is given.
        let u = unsafe {
            let mut u: libc::rusage = std::mem::zeroed();
            libc::getrusage(who, &mut u);
            u
        };
        let t = |v: libc::timeval| std::time::Duration::new(v.tv_sec as u64, v.tv_usec as u32 * 1000);
        t(u.ru_utime) + t(u.ru_stime)
    };
    let repo = open(&ours);
    let (start, cpu0) = (std::time::Instant::now(), cpu(libc::RUSAGE_SELF));
    let n = checkout(&repo, &head_tree(&ours), &ours, &ours.join(".git/index"), &mut |_, _| {}).expect("checks out");
    let (ours_time, ours_cpu) = (start.elapsed(), cpu(libc::RUSAGE_SELF) - cpu0);
    let (start, cpu0) = (std::time::Instant::now(), cpu(libc::RUSAGE_CHILDREN));
    git_ok(&theirs, &["reset", "-q", "--hard"]);
    let (git_time, git_cpu) = (start.elapsed(), cpu(libc::RUSAGE_CHILDREN) - cpu0);
    assert_eq!(git_ok(&ours, &["diff-files"]), "");
    eprintln!("checkout of {n} entries: ours {ours_time:?} ({ours_cpu:?} CPU), git reset --hard {git_time:?} ({git_cpu:?} CPU)");
}
