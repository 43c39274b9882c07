//! `git pack-refs`: move loose refs into `packed-refs` and (by default) delete
//! the loose files, as git 2.47's `files_pack_refs` in `refs/files-backend.c`
//! does (<https://git-scm.com/docs/git-pack-refs>).
//!
//! # What is packed
//!
//! Only loose refs are candidates (git iterates its loose-ref cache, which
//! holds `refs/` of the common dir). git's `should_pack_ref` skips:
//! - per-worktree refs (`refs/bisect/`, `refs/worktree/`, `refs/rewritten/`);
//! - symbolic refs (files `ref: …` and legacy symlinks), dangling or not;
//! - broken refs: unreadable contents, names that fail check-ref-format, and
//!   refs whose object is not in the object database (git prints "does not
//!   point to a valid object!" and carries on; the ref stays loose).
//!
//! Of the rest, `--all` packs every one, and the default only `refs/tags/`
//! (git's default include pattern `refs/tags/*`). In particular a branch that
//! is already in `packed-refs` and was updated since (a loose file over the
//! packed entry) is *not* repacked without `--all`: its loose file stays and so
//! does its stale packed entry, which the loose value hides.
//!
//! # What is written
//!
//! Under `packed-refs.lock` (retried for `core.packedRefsTimeout`), the file is
//! re-read and rewritten whole: every existing entry (broken ones too) plus the
//! refs being packed, a loose value replacing the packed one. The header is
//! [`packed::HEADER`] (`peeled fully-peeled sorted`), so every ref to an
//! annotated tag gets a `^` line with the fully peeled object (a tag of a tag
//! peels to what the innermost tag points at). An existing entry keeps its `^`
//! line when the old file already knew it (git's `REF_KNOWS_PEELED`) and is
//! peeled through the object database otherwise. git writes the file even
//! when nothing changed, and creates it (header only) when there was none; so
//! do we. git writes `packed-refs.new` and renames it while holding the lock;
//! we write into the lock and rename it, which readers cannot tell apart.
//!
//! Stricter than git: an object that cannot be read or parsed while peeling
//! (a corrupt pack, a malformed tag) fails the call with nothing changed,
//! where git would write the entry without its `^` line under a header that
//! promises one.
//!
//! # Pruning
//!
//! After `packed-refs` is committed and unlocked, each loose ref just packed is
//! deleted the way git's `prune_ref` does it: lock the loose ref (retried for
//! `core.filesRefLockTimeout`), check it still holds the value that was packed
//! (another process may have updated it meanwhile: then it is left alone),
//! delete the file, unlock, and remove the directories it leaves empty, up to
//! but never including `refs/<x>/` (git's `try_remove_empty_parents`; so
//! `refs/heads` and `refs/tags` always stay). Reflogs are kept. Empty
//! directories that were there before are left alone. As in git, a ref that
//! cannot be pruned (its lock is held, its value moved) just stays loose,
//! which is harmless: its value equals the packed one or hides it.

use std::path::Path;

use crate::core::config::Config;
use crate::core::error::{Error, Result};
use crate::core::object::{Kind, Tag};
use crate::core::odb::composite;
use crate::core::oid::ObjectId;
use crate::core::refs::files::{self, parse_loose};
use crate::core::refs::lock::{self, Lock};
use crate::core::refs::name;
use crate::core::refs::packed;
use crate::core::refs::Value;

/// How many tags deep peeling follows a chain before giving up (hashes make a
/// cycle impossible; this only bounds a corrupt or malicious object store).
const MAX_PEEL_DEPTH: usize = 1000;

/// What `git pack-refs` flags ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// `--all`: pack every shared loose ref, not only tags.
    pub all: bool,
    /// Delete the loose files of the refs packed (`--no-prune` is `false`).
    pub prune: bool,
}

impl Default for Options {
    /// git's defaults: tags only, prune.
    fn default() -> Options {
        Options { all: false, prune: true }
    }
}

/// Pack the loose refs of the repository whose common dir is `common_dir`
/// into its `packed-refs`, as `git pack-refs [--all] [--no-prune]` does (see
/// the module docs for which refs and how).
///
/// Errors: `ERR_REF_LOCKED` when `packed-refs.lock` stays held for
/// `core.packedRefsTimeout` (nothing is changed); `ERR_CORRUPT_REF` for an
/// unreadable `packed-refs`, `ERR_CORRUPT_OBJECT` / `ERR_CORRUPT_PACK` for an
/// object that cannot be peeled, `ERR_IO` otherwise. Once `packed-refs` is
/// committed, pruning never fails for contention; an unexpected filesystem
/// error while pruning is reported after every other ref was pruned.
pub fn pack_refs(store: &files::Store, common_dir: &Path, odb: &composite::Store, opts: Options, config: &Config) -> Result<()> {
    let packed_path = common_dir.join("packed-refs");
    let mut lock = Lock::acquire_with_timeout(&packed_path, "packed-refs", lock::packed_refs_timeout(config))?;
    // Re-read under the lock, never from a cached snapshot: a rewrite by
    // another process can keep size, mtime and inode (git's packed_refs_lock
    // drops its snapshot for the same reason).
    let old = packed::Buffer::open(&packed_path)?;

    let mut to_pack = Vec::new();
    for (name, oid) in loose_refs(store, common_dir)? {
        let wanted = opts.all || name.starts_with("refs/tags/");
        if !wanted || name::is_per_worktree(&name) {
            continue;
        }
        // git's ref_resolves_to_object: a ref to a missing object is broken.
        if odb.header(&oid)?.is_none() {
            continue;
        }
        to_pack.push((name, oid));
    }

    let records = merge(old.as_ref(), &to_pack, odb)?;
    let mut out = Vec::new();
    packed::write(&records, &mut out);
    lock.write_all(&out)?;
    lock.commit(lock::fsync_refs(config))?;

    if opts.prune {
        prune(store, &to_pack, config)?;
    }
    Ok(())
}

/// The loose refs under `refs/` of the common dir with a direct value, sorted
/// by name. Symbolic and broken ones are left out, as git's loose-ref cache
/// iteration without `DO_FOR_EACH_INCLUDE_BROKEN` leaves them out of packing.
fn loose_refs(store: &files::Store, common_dir: &Path) -> Result<Vec<(String, ObjectId)>> {
    let mut names = Vec::new();
    walk(common_dir, "refs", &mut names)?;
    names.sort();
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        if name::check(&n, name::Check::default()).is_err() {
            continue; // git: REF_BAD_NAME | REF_ISBROKEN
        }
        if let Some(Value::Oid(oid)) = read_loose(&store.loose_path(&n))? {
            out.push((n, oid));
        }
    }
    Ok(out)
}

/// Names of the regular files below `base/rel`, skipping what git's
/// `loose_fill_ref_dir` skips (names starting with `.`, ending with `.lock`)
/// and symbolic links (legacy symrefs, never packed).
fn walk(base: &Path, rel: &str, out: &mut Vec<String>) -> Result<()> {
    let dir = base.join(rel);
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(&dir, e)),
    };
    for e in rd {
        let e = e.map_err(|e| Error::io(&dir, e))?;
        // A name that is not UTF-8 fails check-ref-format anyway.
        let Some(n) = e.file_name().to_str().map(str::to_string) else { continue };
        if n.starts_with('.') || n.ends_with(lock::LOCK_SUFFIX) {
            continue;
        }
        let full = format!("{rel}/{n}");
        let ft = e.file_type().map_err(|err| Error::io(&e.path(), err))?;
        if ft.is_dir() {
            walk(base, &full, out)?;
        } else if ft.is_file() {
            out.push(full);
        }
    }
    Ok(())
}

/// The value of the loose ref file at `path`: None when it is missing, is not
/// a regular file, or cannot be parsed (a broken ref).
fn read_loose(path: &Path) -> Result<Option<Value>> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(20) => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    Ok(parse_loose(&bytes).ok())
}

/// The records of the new file: the old ones, with the values of `loose`
/// (sorted, unique) replacing or joining them, each with its peeled value.
fn merge(
    old: Option<&packed::Buffer>,
    loose: &[(String, ObjectId)],
    odb: &composite::Store,
) -> Result<Vec<(String, ObjectId, Option<ObjectId>)>> {
    let mut out = Vec::with_capacity(loose.len());
    let mut buf = Vec::new();
    let mut li = loose.iter().peekable();
    if let Some(old) = old {
        for rec in old.iter() {
            let rec = rec?;
            while let Some((n, oid)) = li.next_if(|(n, _)| n.as_str() < rec.name) {
                out.push((n.clone(), *oid, peel(odb, oid, &mut buf)?));
            }
            if li.peek().is_some_and(|(n, _)| n == rec.name) {
                continue; // the loose value wins; it is pushed with the next record or at the end
            }
            let peeled = if rec.peeled.is_some() || old.knows_peeled(rec.name) {
                rec.peeled
            } else {
                peel(odb, &rec.oid, &mut buf)?
            };
            out.push((rec.name.to_string(), rec.oid, peeled));
        }
    }
    for (n, oid) in li {
        out.push((n.clone(), *oid, peel(odb, oid, &mut buf)?));
    }
    Ok(out)
}

/// git's `peel_object`: for a tag, the object at the end of its chain of tags;
/// None for any other object, a missing one, or a chain through a missing tag.
fn peel(odb: &composite::Store, oid: &ObjectId, buf: &mut Vec<u8>) -> Result<Option<ObjectId>> {
    let mut cur = *oid;
    for _ in 0..MAX_PEEL_DEPTH {
        match odb.read(&cur, buf)? {
            Some(Kind::Tag) => {}
            // Not a tag (or, past the first, not the tag its referrer declared):
            // git's deref_tag_noverify gives up the same way.
            Some(_) | None => return Ok(None),
        }
        let tag = Tag::parse(buf).map_err(|r| Error::object(Some(cur), r))?;
        if tag.target_kind != Kind::Tag {
            return Ok(Some(tag.target));
        }
        cur = tag.target;
    }
    Err(Error::object(Some(*oid), format!("chain of tags deeper than {MAX_PEEL_DEPTH}")))
}

/// Delete the loose files of `refs` that still hold the packed value (git's
/// `prune_refs`), then their empty parent directories.
fn prune(store: &files::Store, refs: &[(String, ObjectId)], config: &Config) -> Result<()> {
    let timeout = lock::files_ref_lock_timeout(config);
    let mut first_err = None;
    for (name, oid) in refs {
        match prune_one(store, name, oid, timeout) {
            Ok(true) => remove_empty_parents(store, name),
            Ok(false) => {}
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// Delete the loose ref `name` if it still holds `oid`. True when it is gone
/// (deleted now, or already), false when it was left (locked, changed).
fn prune_one(store: &files::Store, name: &str, oid: &ObjectId, timeout: std::time::Duration) -> Result<bool> {
    let path = store.loose_path(name);
    let lock = match Lock::acquire_with_timeout(&path, name, timeout) {
        Ok(l) => l,
        Err(Error::RefLocked { .. } | Error::RefNameConflict { .. }) => return Ok(false),
        Err(e) => return Err(e),
    };
    let gone = match std::fs::symlink_metadata(&path) {
        // Deleted meanwhile: git then finds the value we just packed, so the
        // deletion "succeeds" and the parents are tidied.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(Error::io(&path, e)),
        Ok(_) => match read_loose(&path)? {
            Some(Value::Oid(now)) if now == *oid => match std::fs::remove_file(&path) {
                Ok(()) => true,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
                Err(e) => return Err(Error::io(&path, e)),
            },
            _ => false,
        },
    };
    lock.rollback()?;
    Ok(gone)
}

/// git's `try_remove_empty_parents`: remove the directories of `name` from the
/// deepest up while they are empty, keeping the first two components
/// (`refs/heads/a/b/c` may lose `refs/heads/a/b` and `refs/heads/a`).
fn remove_empty_parents(store: &files::Store, name: &str) {
    let parts: Vec<&str> = name.split('/').collect();
    for end in (3..parts.len()).rev() {
        let dir = store.loose_path(&parts[..end].join("/"));
        if std::fs::remove_dir(dir).is_err() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testutil::TempDir;
    use crate::core::testutil::command;
    use super::*;
    use crate::core::odb::pack::cache::Cache;
    use std::path::PathBuf;
    use std::process::Command;
    use std::sync::{Arc, OnceLock};



    /// Run git in `dir`; panics unless it succeeds. Returns stdout.
    fn git(dir: &Path, args: &[&str]) -> String {
        let out = command("git", dir).args(args).output().expect("git runs");
        assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// A repository with everything pack-refs distinguishes. `repo/` is the
    /// main worktree; its git dir is `repo/.git`.
    const FIXTURE: &str = r#"
set -eu -o pipefail
git init -q -b main repo
cd repo
git config advice.nestedTag false
commit() { echo "$1" > file; git add file; git commit -q -m "$1"; }
commit one
git branch already-packed
git branch nested/packed/deep
git tag light-packed
git tag -a -m "annotated, packed" annotated-packed
git pack-refs --all
commit two
git branch -f already-packed
git tag -f light-packed >/dev/null
git tag -f -a -m "annotated, packed then moved" annotated-packed >/dev/null
for i in $(seq 1 50); do
  case $((i % 4)) in
    0) git branch "b$i" ;;
    1) git branch "a/b/c$i" ;;
    2) git branch "deep/$i/x/y" ;;
    3) git branch "feature-$i" HEAD~1 ;;
  esac
done
commit three
git tag v1
git tag -a -m "version 2" v2
git tag -a -m "tag of a tag" v2-outer v2
git tag -a -m "tag of a tag of a tag" v2-outer2 v2-outer
git tag -a -m "tag of a tree" tree-tag 'HEAD^{tree}'
git tag blob-tag "$(git rev-parse HEAD:file)"
git tag -a -m "nested name" release/2024/v3
git symbolic-ref refs/heads/sym refs/heads/main
git symbolic-ref refs/tags/sym-tag refs/tags/v2
git update-ref refs/bisect/bad HEAD
git update-ref refs/worktree/x HEAD
git update-ref refs/rewritten/y HEAD
git update-ref refs/remotes/origin/main HEAD
git update-ref refs/remotes/origin/topic/one HEAD~1
git update-ref refs/notes/commits HEAD
git update-ref refs/stash HEAD
mkdir -p .git/refs/heads/empty/leftover
"#;

    /// Broken refs on top of [`FIXTURE`]: a ref to a missing object and an
    /// unparsable ref file (git skips both and fsck complains about them).
    const BROKEN: &str = r#"
set -eu -o pipefail
cd repo
echo 1234567890123456789012345678901234567890 > .git/refs/heads/missing-object
echo 1234567890123456789012345678901234567890 > .git/refs/tags/missing-tag
echo garbage > .git/refs/heads/garbage
git symbolic-ref refs/heads/dangling refs/heads/nowhere
echo 1234567890123456789012345678901234567890 > .git/refs/heads/.hidden
"#;

    /// The template repo, built once per test process.
    fn template() -> &'static Path {
        static T: OnceLock<TempDir> = OnceLock::new();
        &T.get_or_init(|| {
            let t = TempDir::new("template");
            let out = command("bash", &t.0).args(["-c", FIXTURE]).output().expect("bash runs");
            assert!(out.status.success(), "fixture failed: {}", String::from_utf8_lossy(&out.stderr));
            t
        })
        .0
    }

    /// Two copies of the template (with `extra` run in each parent dir):
    /// `<tmp>/git/repo` and `<tmp>/ours/repo`.
    fn copies(tag: &str, extra: &str) -> (TempDir, PathBuf, PathBuf) {
        let t = TempDir::new(tag);
        let mut repos = Vec::new();
        for side in ["git", "ours"] {
            let parent = t.0.join(side);
            std::fs::create_dir_all(&parent).expect("mkdir");
            let st = Command::new("cp").arg("-a").arg(template().join("repo")).arg(&parent).status().expect("cp runs");
            assert!(st.success());
            if !extra.is_empty() {
                let out = command("bash", &parent).args(["-c", extra]).output().expect("bash runs");
                assert!(out.status.success(), "extra failed: {}", String::from_utf8_lossy(&out.stderr));
            }
            repos.push(parent.join("repo"));
        }
        let ours = repos.pop().expect("two");
        let theirs = repos.pop().expect("two");
        (t, theirs, ours)
    }

    /// Run our pack_refs on the repository at `work` (git dir `work/.git`).
    fn ours(work: &Path, opts: Options) -> Result<()> {
        let gd = work.join(".git");
        let store = files::Store::new(&gd, &gd);
        let odb = composite::Store::open(&gd.join("objects"), Arc::new(Cache::new(1 << 20)));
        let config = Config::read(&gd.join("config"));
        pack_refs(&store, &gd, &odb, opts, &config)
    }

    /// Every path under `dir` (files and directories), relative, sorted.
    fn tree(dir: &Path) -> Vec<String> {
        fn go(base: &Path, rel: &Path, out: &mut Vec<String>) {
            let Ok(rd) = std::fs::read_dir(base.join(rel)) else { return };
            for e in rd.flatten() {
                let r = rel.join(e.file_name());
                out.push(r.display().to_string());
                if e.file_type().expect("type").is_dir() {
                    go(base, &r, out);
                }
            }
        }
        let mut out = Vec::new();
        go(dir, Path::new(""), &mut out);
        out.sort();
        out
    }

    /// The top-level entries of the git dir (a stray `.lock` or `.new` would show).
    fn top(gd: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(gd)
            .expect("git dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    const FOR_EACH: &str = "--format=%(objectname) %(objecttype) %(refname) %(*objectname) %(symref)";

    /// What `for-each-ref` can still show when some refs point at missing objects.
    const FOR_EACH_BROKEN: &str = "--format=%(objectname) %(refname) %(symref)";

    /// Everything observable about the refs of `work`. With broken refs git
    /// refuses to dereference, so only names and values are compared.
    fn state(work: &Path) -> (Vec<u8>, Vec<String>, Vec<String>, String, String) {
        let gd = work.join(".git");
        let packed = std::fs::read(gd.join("packed-refs")).unwrap_or_default();
        let broken = command("git", work).args(["for-each-ref", FOR_EACH]).output().expect("git runs");
        let (each, show) = if broken.status.success() {
            (String::from_utf8(broken.stdout).expect("utf-8"), git(work, &["show-ref", "-d"]))
        } else {
            (git(work, &["for-each-ref", FOR_EACH_BROKEN]), String::new())
        };
        (packed, tree(&gd.join("refs")), top(&gd), each, show)
    }

    fn fsck_clean(work: &Path) {
        let out = command("git", work).args(["fsck", "--no-dangling", "--no-progress"]).output().expect("git runs");
        assert!(out.status.success(), "fsck failed: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty() && out.stderr.is_empty(), "fsck says: {}{}",
            String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }

    /// Run `git pack-refs <args>` on one copy and ours on the other; compare.
    fn compare(tag: &str, extra: &str, args: &[&str], opts: Options, fsck: bool) -> (PathBuf, TempDir) {
        let (t, theirs, mine) = copies(tag, extra);
        let before = state(&mine);
        let mut a = vec!["pack-refs"];
        a.extend(args);
        git(&theirs, &a);
        ours(&mine, opts).expect("pack_refs");
        let (g, o) = (state(&theirs), state(&mine));
        assert_eq!(String::from_utf8_lossy(&o.0), String::from_utf8_lossy(&g.0), "packed-refs differ ({tag})");
        assert_eq!(o.1, g.1, "loose files under refs/ differ ({tag})");
        assert_eq!(o.2, g.2, "git dir entries differ ({tag})");
        assert_eq!(o.3, g.3, "for-each-ref differs ({tag})");
        assert_eq!(o.4, g.4, "show-ref -d differs ({tag})");
        // Packing never changes what the refs say.
        assert_eq!(o.3, before.3, "for-each-ref changed by packing ({tag})");
        if fsck {
            fsck_clean(&theirs);
            fsck_clean(&mine);
        }
        (mine, t)
    }

    #[test]
    fn all_prune_matches_git() {
        let (mine, _t) = compare("all", "", &["--all"], Options { all: true, prune: true }, true);
        let refs = tree(&mine.join(".git/refs"));
        // Spot checks of what the comparison covers.
        assert!(!refs.iter().any(|p| p.starts_with("heads/a/") || p.starts_with("heads/deep")), "{refs:?}");
        for kept in ["heads", "tags", "heads/sym", "tags/sym-tag", "bisect/bad", "worktree/x", "rewritten/y", "heads/empty/leftover"] {
            assert!(refs.iter().any(|p| p == kept), "{kept} missing from {refs:?}");
        }
        let packed = String::from_utf8(std::fs::read(mine.join(".git/packed-refs")).expect("packed")).expect("utf-8");
        assert!(packed.starts_with("# pack-refs with: peeled fully-peeled sorted \n"));
        let outer = git(&mine, &["rev-parse", "v2-outer2^{}"]);
        assert!(packed.contains(&format!(" refs/tags/v2-outer2\n^{outer}")), "{packed}");
        let tree_oid = git(&mine, &["rev-parse", "HEAD^{tree}"]);
        assert!(packed.contains(&format!(" refs/tags/tree-tag\n^{tree_oid}")), "{packed}");
    }

    #[test]
    fn default_prune_matches_git() {
        let (mine, _t) = compare("default", "", &[], Options::default(), true);
        // A branch packed earlier and updated since stays loose without --all.
        assert!(mine.join(".git/refs/heads/already-packed").is_file());
        assert!(!mine.join(".git/refs/tags/light-packed").exists());
    }

    #[test]
    fn all_no_prune_matches_git() {
        let (mine, _t) = compare("all-noprune", "", &["--all", "--no-prune"], Options { all: true, prune: false }, true);
        assert!(mine.join(".git/refs/heads/a/b/c1").is_file());
    }

    #[test]
    fn default_no_prune_matches_git() {
        compare("default-noprune", "", &["--no-prune"], Options { all: false, prune: false }, true);
    }

    #[test]
    fn broken_refs_are_skipped_like_git() {
        compare("broken-all", BROKEN, &["--all"], Options { all: true, prune: true }, false);
        compare("broken-default", BROKEN, &[], Options::default(), false);
    }

    #[test]
    fn old_packed_refs_without_peeled_lines_are_peeled_like_git() {
        // A file from an old writer: no header, no `^` lines, unsorted.
        let old = r#"
set -eu -o pipefail
cd repo
{ git for-each-ref --format='%(objectname) %(refname)' refs/tags | sort -r -k2; } > .git/packed-refs
"#;
        compare("old-all", old, &["--all"], Options { all: true, prune: true }, true);
        compare("old-default", old, &[], Options::default(), true);
        // `peeled` only: git trusts the absence of `^` for refs/tags/ only.
        let peeled_only = r#"
set -eu -o pipefail
cd repo
{ echo '# pack-refs with: peeled '; git for-each-ref --format='%(objectname) %(refname)' refs/tags refs/remotes; } > .git/packed-refs
"#;
        compare("peeled-only", peeled_only, &["--all"], Options { all: true, prune: true }, false);
    }

    #[test]
    fn empty_repository_gets_a_header_only_file_like_git() {
        let t = TempDir::new("empty");
        for side in ["git", "ours"] {
            git(&t.0, &["init", "-q", side]);
        }
        git(&t.0.join("git"), &["pack-refs", "--all"]);
        ours(&t.0.join("ours"), Options { all: true, prune: true }).expect("pack_refs");
        let g = std::fs::read(t.0.join("git/.git/packed-refs")).expect("git wrote it");
        let o = std::fs::read(t.0.join("ours/.git/packed-refs")).expect("we wrote it");
        assert_eq!(o, g);
        assert_eq!(o, packed::HEADER);
    }

    #[test]
    fn held_packed_refs_lock_is_ref_locked_and_changes_nothing() {
        let (_t, _theirs, mine) = copies("locked", "");
        let gd = mine.join(".git");
        std::fs::write(gd.join("packed-refs.lock"), b"someone else\n").expect("lock");
        // Keep the test fast: no retry (the default would retry for 1 s).
        git(&mine, &["config", "core.packedRefsTimeout", "0"]);
        let before = state(&mine);
        let err = ours(&mine, Options { all: true, prune: true }).expect_err("locked");
        assert_eq!(err.code(), "ERR_REF_LOCKED");
        assert_eq!(state(&mine), before);
        assert_eq!(std::fs::read(gd.join("packed-refs.lock")).expect("still there"), b"someone else\n");
    }

    #[test]
    fn held_packed_refs_lock_is_retried_for_the_timeout() {
        let (_t, _theirs, mine) = copies("locked-retry", "");
        let gd = mine.join(".git");
        std::fs::write(gd.join("packed-refs.lock"), b"").expect("lock");
        let release = {
            let p = gd.join("packed-refs.lock");
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(150));
                std::fs::remove_file(p).expect("release");
            })
        };
        // The default core.packedRefsTimeout (1 s) outlasts the holder.
        ours(&mine, Options { all: true, prune: true }).expect("pack_refs after the lock is released");
        release.join().expect("thread");
        assert!(!gd.join("refs/heads/b4").exists());
        fsck_clean(&mine);
    }

    #[test]
    fn prune_leaves_refs_that_moved_or_are_locked() {
        let (_t, _theirs, mine) = copies("prune-race", "");
        ours(&mine, Options { all: true, prune: false }).expect("pack_refs");
        let gd = mine.join(".git");
        let store = files::Store::new(&gd, &gd);
        let oid = |rev: &str| ObjectId::from_hex(git(&mine, &["rev-parse", rev]).trim().as_bytes()).expect("oid");
        let packed_b4 = oid("refs/heads/b4");
        // Moved after packing: another process updated it.
        git(&mine, &["update-ref", "refs/heads/b4", "HEAD"]);
        // Locked by someone else.
        let packed_c1 = oid("refs/heads/a/b/c1");
        std::fs::write(gd.join("refs/heads/a/b/c1.lock"), b"").expect("lock");
        // Already gone: counts as pruned, and its empty parents go.
        let packed_deep = oid("refs/heads/deep/2/x/y");
        std::fs::remove_file(gd.join("refs/heads/deep/2/x/y")).expect("rm");
        // Unchanged: deleted, with its now-empty parents.
        let packed_c5 = oid("refs/heads/a/b/c5");
        let refs = vec![
            ("refs/heads/a/b/c1".to_string(), packed_c1),
            ("refs/heads/a/b/c5".to_string(), packed_c5),
            ("refs/heads/b4".to_string(), packed_b4),
            ("refs/heads/deep/2/x/y".to_string(), packed_deep),
        ];
        let config = Config::parse("[core]\n\tfilesRefLockTimeout = 0\n");
        prune(&store, &refs, &config).expect("prune");
        assert!(gd.join("refs/heads/b4").is_file(), "moved ref kept");
        assert_ne!(packed_b4, oid("HEAD"));
        assert_eq!(oid("refs/heads/b4"), oid("HEAD"));
        assert!(gd.join("refs/heads/a/b/c1").is_file(), "locked ref kept");
        assert!(gd.join("refs/heads/a/b/c1.lock").is_file(), "their lock kept");
        assert!(!gd.join("refs/heads/a/b/c5").exists(), "unchanged ref pruned");
        assert!(gd.join("refs/heads/a/b").is_dir(), "a/b still holds c1 and others");
        assert!(!gd.join("refs/heads/deep/2").exists(), "empty parents of a vanished ref removed");
        assert!(gd.join("refs/heads/deep").is_dir(), "other deep/ refs remain");
        assert!(gd.join("refs/heads").is_dir());
        std::fs::remove_file(gd.join("refs/heads/a/b/c1.lock")).expect("unlock");
        fsck_clean(&mine);
    }

    #[test]
    fn remove_empty_parents_stops_at_the_second_component() {
        let t = TempDir::new("parents");
        let store = files::Store::new(&t.0, &t.0);
        std::fs::create_dir_all(t.0.join("refs/remotes/origin/x/y")).expect("mkdir");
        remove_empty_parents(&store, "refs/remotes/origin/x/y/z");
        assert!(!t.0.join("refs/remotes/origin").exists());
        assert!(t.0.join("refs/remotes").is_dir());
        std::fs::create_dir_all(t.0.join("refs/tags")).expect("mkdir");
        remove_empty_parents(&store, "refs/tags/v1");
        remove_empty_parents(&store, "refs/stash");
        assert!(t.0.join("refs/tags").is_dir());
    }

    #[test]
    fn packing_twice_changes_nothing_more() {
        let (_t, theirs, mine) = copies("twice", "");
        ours(&mine, Options { all: true, prune: true }).expect("first");
        let first = state(&mine);
        ours(&mine, Options { all: true, prune: true }).expect("second");
        assert_eq!(state(&mine), first);
        // And git agrees with a second run of its own.
        git(&theirs, &["pack-refs", "--all"]);
        git(&theirs, &["pack-refs", "--all"]);
        assert_eq!(state(&theirs).0, first.0);
    }
}
