//! Serializing new objects byte for byte as git writes them: trees as
//! `git mktree` (entries sorted as git sorts them, modes in octal without a
//! leading zero), commits as `git commit-tree`, tags as `git mktag` / `git tag -a`.
//!
//! Everything written here passes `git fsck --strict` silently: whatever fsck
//! would report as an error or a warning (`badFilemode` stays a warning even
//! with `--strict`) is refused up front with `ERR_CORRUPT_OBJECT` (the object
//! would be corrupt) and a message naming the bad entry or field; a bad tag name is `ERR_INVALID_REF_NAME`.
//! Not checked here (they need the object database): that the objects named
//! exist and have the right types (see `Repository::write_tree` and friends),
//! and the content of `.gitmodules` blobs, which fsck also parses.

use crate::core::error::{Error, Result};
use crate::core::object::{Kind, Signature};
use crate::core::oid::ObjectId;

/// A tree entry to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTreeEntry {
    /// The name: one path component, as bytes (a JS string's UTF-8).
    pub name: Vec<u8>,
    /// One of git's canonical modes: 0o100644, 0o100755, 0o120000, 0o040000, 0o160000.
    pub mode: u32,
    pub oid: ObjectId,
}

/// A commit to write. The message is written exactly as given (git adds nothing).
#[derive(Clone, Debug)]
pub struct NewCommit {
    pub tree: ObjectId,
    pub parents: Vec<ObjectId>,
    pub author: Signature,
    pub committer: Signature,
    /// An `encoding` header (for a message that is not UTF-8).
    pub encoding: Option<String>,
    /// More headers after `encoding`, in order (e.g. `gpgsig`); a value's
    /// newlines become continuation lines (`\n ` in the object), as git folds them.
    pub extra_headers: Vec<(String, Vec<u8>)>,
    pub message: Vec<u8>,
}

/// An annotated tag to write.
#[derive(Clone, Debug)]
pub struct NewTag {
    pub target: ObjectId,
    pub target_kind: Kind,
    /// The tag's name without `refs/tags/`.
    pub name: String,
    /// None only for the tagger-less tags of very old git; `git tag` always writes one.
    pub tagger: Option<Signature>,
    pub message: Vec<u8>,
}

/// The modes git writes in trees (fsck's `badFilemode` refuses others under `--strict`).
pub const CANONICAL_MODES: [u32; 5] = [0o100644, 0o100755, 0o120000, 0o040000, 0o160000];

fn invalid(reason: String) -> Error {
    Error::CorruptObject { oid: None, path: None, reason }
}

fn show(name: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(name))
}

/// The next character as git's `next_hfs_char` sees it: HFS+ ignores some
/// zero-width code points in names, so `.g\u{200c}it` is `.git` there.
fn next_hfs_char(it: &mut std::str::Chars<'_>) -> Option<char> {
    loop {
        let c = it.next()?;
        match c as u32 {
            0x200c..=0x200f | 0x202a..=0x202e | 0x206a..=0x206f | 0xfeff => continue,
            _ => return Some(c),
        }
    }
}

/// git's `is_hfs_dot_generic`: `.<needle>` ignoring HFS-ignorable characters and ASCII case.
fn is_hfs_dot(name: &[u8], needle: &str) -> bool {
    let Ok(s) = std::str::from_utf8(name) else { return false };
    let mut it = s.chars();
    if next_hfs_char(&mut it) != Some('.') {
        return false;
    }
    for n in needle.chars() {
        match next_hfs_char(&mut it) {
            Some(c) if c.is_ascii() && c.to_ascii_lowercase() == n => {}
            _ => return false,
        }
    }
    next_hfs_char(&mut it).is_none()
}

/// git's `is_ntfs_dot_generic`: `.<needle>` in any case followed only by spaces
/// and dots (or an NTFS stream `:`), or an 8.3 short name (`GIT~1`, `GI7EBA~1`).
fn is_ntfs_dot(name: &[u8], needle: &[u8], short_prefix: &[u8]) -> bool {
    let at = |i: usize| name.get(i).copied().unwrap_or(0);
    let only_spaces_and_periods = |mut i: usize| loop {
        match at(i) {
            0 | b':' => return true,
            b' ' | b'.' => i += 1,
            _ => return false,
        }
    };
    let len = needle.len();
    if at(0) == b'.' && name.len() > len && name[1..=len].eq_ignore_ascii_case(needle) {
        return only_spaces_and_periods(len + 1);
    }
    if name.len() >= 8 && name[..6].eq_ignore_ascii_case(&needle[..6]) && name[6] == b'~' && (b'1'..=b'4').contains(&name[7]) {
        return only_spaces_and_periods(8);
    }
    let mut saw_tilde = false;
    let mut i = 0;
    while i < 8 {
        let c = at(i);
        if c == 0 {
            return false;
        } else if saw_tilde {
            if !c.is_ascii_digit() {
                return false;
            }
        } else if c == b'~' {
            i += 1;
            if !(b'1'..=b'9').contains(&at(i)) {
                return false;
            }
            saw_tilde = true;
        } else if i >= 6 || c & 0x80 != 0 || c.to_ascii_lowercase() != short_prefix[i] {
            return false;
        }
        i += 1;
    }
    only_spaces_and_periods(8)
}

/// git's `is_ntfs_dotgit`: `.git` or `git~1` in any case, then only spaces and
/// dots up to the end, a backslash or a colon.
fn is_ntfs_dotgit(name: &[u8]) -> bool {
    let rest = if name.len() >= 4 && name[0] == b'.' && name[1..4].eq_ignore_ascii_case(b"git") {
        &name[4..]
    } else if name.len() >= 5 && name[..3].eq_ignore_ascii_case(b"git") && &name[3..5] == b"~1" {
        &name[5..]
    } else {
        return false;
    };
    for &c in rest {
        match c {
            b'\\' | b'/' | b':' => return true,
            b'.' | b' ' => {}
            _ => return false,
        }
    }
    true
}

/// Why `name` cannot be a tree entry name, as git's fsck (`hasDot`, `hasDotdot`,
/// `hasDotgit` with its HFS+ and NTFS spellings, `fullPathname`, `emptyName`)
/// and `verify_path` see it; None when it is fine.
pub fn tree_entry_name_problem(name: &[u8]) -> Option<&'static str> {
    if name.is_empty() {
        Some("the name is empty")
    } else if name.contains(&0) {
        Some("the name contains a NUL byte")
    } else if name.contains(&b'/') {
        Some("the name contains '/' (a tree entry is one path component)")
    } else if name == b"." || name == b".." {
        Some("'.' and '..' are not allowed")
    } else if name.eq_ignore_ascii_case(b".git") || is_hfs_dot(name, "git") || is_ntfs_dotgit(name) {
        Some("'.git' (in any case or spelling) is not allowed")
    } else {
        None
    }
}

/// `.gitmodules` in any spelling fsck recognizes (it must not be a symlink).
pub(crate) fn is_dotgitmodules(name: &[u8]) -> bool {
    is_hfs_dot(name, "gitmodules") || is_ntfs_dot(name, b"gitmodules", b"gi7eba")
}

/// Compare tree entry names as git sorts a tree (`base_name_compare`): a
/// directory compares as if its name ended with '/'.
pub fn tree_order(a_name: &[u8], a_is_dir: bool, b_name: &[u8], b_is_dir: bool) -> std::cmp::Ordering {
    let n = a_name.len().min(b_name.len());
    match a_name[..n].cmp(&b_name[..n]) {
        std::cmp::Ordering::Equal => {}
        o => return o,
    }
    let end = |name: &[u8], dir: bool| name.get(n).copied().unwrap_or(if dir { b'/' } else { 0 });
    end(a_name, a_is_dir).cmp(&end(b_name, b_is_dir))
}

/// The raw content of a tree holding `entries` (in any order): validated,
/// sorted as git sorts trees, each `<octal mode> <name>\0<20-byte id>`.
pub fn tree(entries: &[NewTreeEntry]) -> Result<Vec<u8>> {
    for e in entries {
        if let Some(problem) = tree_entry_name_problem(&e.name) {
            return Err(invalid(format!("invalid tree entry {}: {problem}", show(&e.name))));
        }
        if !CANONICAL_MODES.contains(&e.mode) {
            return Err(invalid(format!(
                "invalid tree entry {}: mode {:o} is not one of 100644, 100755, 120000, 40000, 160000",
                show(&e.name),
                e.mode
            )));
        }
        if e.oid.is_null() {
            return Err(invalid(format!("invalid tree entry {}: it names the null object id", show(&e.name))));
        }
        if e.mode == 0o120000 && is_dotgitmodules(&e.name) {
            return Err(invalid(format!("invalid tree entry {}: .gitmodules must not be a symbolic link", show(&e.name))));
        }
    }
    let mut sorted: Vec<&NewTreeEntry> = entries.iter().collect();
    // Duplicate names (whatever their modes) are an fsck error: find them in name order.
    sorted.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    if let Some(w) = sorted.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(invalid(format!("invalid tree: the name {} appears more than once", show(&w[0].name))));
    }
    sorted.sort_unstable_by(|a, b| tree_order(&a.name, a.mode == 0o040000, &b.name, b.mode == 0o040000));
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.name.len() + 28).sum());
    for e in sorted {
        out.extend_from_slice(format!("{:o} ", e.mode).as_bytes());
        out.extend_from_slice(&e.name);
        out.push(0);
        out.extend_from_slice(&e.oid.0);
    }
    Ok(out)
}

/// Append `Name <email> seconds +hhmm` (what follows `author ` in a commit).
/// Refused (git's fsck would): `<`, `>`, newline or NUL in the name or email,
/// a negative time, an offset of 100 hours or more.
pub fn write_signature(sig: &Signature, out: &mut Vec<u8>) -> Result<()> {
    for (what, v) in [("name", &sig.name), ("email", &sig.email)] {
        if let Some(c) = v.chars().find(|c| matches!(c, '<' | '>' | '\n' | '\0')) {
            return Err(invalid(format!("invalid signature {what} {v:?}: it contains {c:?}")));
        }
    }
    if sig.seconds < 0 {
        return Err(invalid(format!("invalid signature time {}: before 1970", sig.seconds)));
    }
    if sig.offset.unsigned_abs() >= 100 * 60 {
        return Err(invalid(format!("invalid signature time zone offset {} minutes: beyond ±99:59", sig.offset)));
    }
    out.extend_from_slice(sig.name.as_bytes());
    out.extend_from_slice(b" <");
    out.extend_from_slice(sig.email.as_bytes());
    out.extend_from_slice(b"> ");
    out.extend_from_slice(format!("{} {}", sig.seconds, sig.tz()).as_bytes());
    Ok(())
}

fn header_line(out: &mut Vec<u8>, key: &str, value: &[u8]) -> Result<()> {
    if key.is_empty() || key.bytes().any(|c| matches!(c, b' ' | b'\n' | b'\0')) {
        return Err(invalid(format!("invalid header name {key:?}")));
    }
    if value.contains(&0) {
        return Err(invalid(format!("invalid header {key}: its value contains a NUL byte")));
    }
    out.extend_from_slice(key.as_bytes());
    out.push(b' ');
    for (i, line) in value.split(|&c| c == b'\n').enumerate() {
        if i > 0 {
            out.extend_from_slice(b"\n ");
        }
        out.extend_from_slice(line);
    }
    out.push(b'\n');
    Ok(())
}

/// The raw content of a commit, as `git commit-tree` writes it.
pub fn commit(c: &NewCommit) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(256 + c.message.len());
    out.extend_from_slice(b"tree ");
    c.tree.write_hex(&mut out);
    out.push(b'\n');
    for p in &c.parents {
        out.extend_from_slice(b"parent ");
        p.write_hex(&mut out);
        out.push(b'\n');
    }
    out.extend_from_slice(b"author ");
    write_signature(&c.author, &mut out)?;
    out.extend_from_slice(b"\ncommitter ");
    write_signature(&c.committer, &mut out)?;
    out.push(b'\n');
    if let Some(e) = &c.encoding {
        if e.is_empty() || e.contains(['\n', '\0']) {
            return Err(invalid(format!("invalid commit encoding {e:?}")));
        }
        header_line(&mut out, "encoding", e.as_bytes())?;
    }
    for (k, v) in &c.extra_headers {
        header_line(&mut out, k, v)?;
    }
    out.push(b'\n');
    out.extend_from_slice(&c.message);
    Ok(out)
}

/// The raw content of an annotated tag, as `git tag -a` / `git mktag` write it.
/// The name must make a valid `refs/tags/<name>` (`ERR_INVALID_REF_NAME`).
pub fn tag(t: &NewTag) -> Result<Vec<u8>> {
    crate::core::refs::name::check(&format!("refs/tags/{}", t.name), Default::default()).map_err(|e| match e {
        Error::InvalidRefName { reason, .. } => Error::InvalidRefName { name: t.name.clone(), reason },
        e => e,
    })?;
    let mut out = Vec::with_capacity(256 + t.message.len());
    out.extend_from_slice(b"object ");
    t.target.write_hex(&mut out);
    out.extend_from_slice(b"\ntype ");
    out.extend_from_slice(t.target_kind.as_str().as_bytes());
    out.extend_from_slice(b"\ntag ");
    out.extend_from_slice(t.name.as_bytes());
    out.push(b'\n');
    if let Some(s) = &t.tagger {
        out.extend_from_slice(b"tagger ");
        write_signature(s, &mut out)?;
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(&t.message);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::object::{self, Commit, Tag, Tree};
    use crate::core::testutil::{git_bytes, git_ok, git_output, TempDir};

    fn sig(name: &str, email: &str, seconds: i64, offset: i32) -> Signature {
        Signature { name: name.into(), email: email.into(), seconds, offset }
    }

    fn entry(name: &str, mode: u32, oid: ObjectId) -> NewTreeEntry {
        NewTreeEntry { name: name.as_bytes().to_vec(), mode, oid }
    }

    /// Write `data` as `kind` with git itself; returns its id.
    fn git_write(dir: &std::path::Path, kind: Kind, data: &[u8]) -> ObjectId {
        let out = git_bytes(dir, &["hash-object", "-w", "--literally", "-t", kind.as_str(), "--stdin"], Some(data));
        ObjectId::parse(String::from_utf8_lossy(&out).trim()).expect("oid")
    }

    #[test]
    fn tree_matches_git_mktree_and_fsck() {
        let tmp = TempDir::new("build-tree");
        let d = &tmp.0;
        git_ok(d, &["init", "-q", "--bare"]);
        let blob = git_write(d, Kind::Blob, b"hello\n");
        let blob2 = git_write(d, Kind::Blob, b"target");
        let sub = git_write(d, Kind::Tree, &tree(&[entry("x", 0o100644, blob)]).expect("sub"));
        let commit_id = ObjectId([0x11; 20]);
        // Names chosen so the directory rule matters: "a" (dir) sorts after "a.b" and before "a0".
        let entries = vec![
            entry("a0", 0o100644, blob),
            entry("a", 0o040000, sub),
            entry("a.b", 0o100755, blob),
            entry("link", 0o120000, blob2),
            entry("sm", 0o160000, commit_id),
            entry("Z", 0o100644, blob),
            entry("é", 0o100644, blob),
        ];
        let mut mktree_in = String::new();
        for e in &entries {
            let kind = object::tree::kind_of_mode(e.mode).as_str();
            mktree_in.push_str(&format!("{:06o} {kind} {}\t{}\n", e.mode, e.oid, String::from_utf8_lossy(&e.name)));
        }
        let want = String::from_utf8_lossy(&git_bytes(d, &["mktree", "--missing"], Some(mktree_in.as_bytes()))).trim().to_string();
        let data = tree(&entries).expect("builds");
        assert_eq!(object::hash(Kind::Tree, &data).to_hex(), want);
        assert_eq!(git_bytes(d, &["cat-file", "tree", &want], None), data);
        let parsed = Tree::parse(&data).expect("parses");
        let names: Vec<_> = parsed.entries(&data).map(|e| String::from_utf8_lossy(e.name).into_owned()).collect();
        assert_eq!(names, ["Z", "a.b", "a", "a0", "link", "sm", "é"]);
        // The empty tree.
        assert_eq!(object::hash(Kind::Tree, &tree(&[]).expect("empty")).to_hex(), "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
        // fsck --strict accepts it (the gitlink's commit need not exist).
        git_write(d, Kind::Tree, &data);
        let fsck = git_output(d, &["fsck", "--strict", "--no-dangling"], None);
        assert!(fsck.status.success(), "fsck: {}", String::from_utf8_lossy(&fsck.stderr));
    }

    #[test]
    fn tree_rejects_what_fsck_rejects() {
        let b = ObjectId([1; 20]);
        let bad_names = [
            "", ".", "..", ".git", ".GIT", ".Git", "a/b", "a\0b", ".git.", ".git ", "git~1", "GIT~1", ".g\u{200c}it",
            ".git\u{feff}", ".git::$INDEX_ALLOCATION",
        ];
        for n in bad_names {
            let e = tree(&[entry(n, 0o100644, b)]).expect_err(n);
            assert_eq!(e.code(), "ERR_CORRUPT_OBJECT", "{n:?}");
            assert!(e.to_string().contains("invalid tree entry"), "{e}");
        }
        for n in [".gitx", "git", ".gi", "x.git", "...", ".github", "git~2x"] {
            tree(&[entry(n, 0o100644, b)]).unwrap_or_else(|e| panic!("{n:?}: {e}"));
        }
        for m in [0o100664, 0o100600, 0o644, 0o040755, 0o120777, 0] {
            let e = tree(&[entry("f", m, b)]).expect_err("mode");
            assert!(e.to_string().contains(&format!("mode {m:o}")), "{e}");
        }
        let e = tree(&[entry("f", 0o100644, b), entry("g", 0o100644, b), entry("f", 0o040000, b)]).expect_err("dup");
        assert!(e.to_string().contains("\"f\" appears more than once"), "{e}");
        assert!(tree(&[entry("f", 0o100644, ObjectId::NULL)]).is_err());
        assert!(tree(&[entry(".gitmodules", 0o120000, b)]).is_err());
        assert!(tree(&[entry(".GITMOD~1", 0o120000, b)]).is_ok(), "a dot then an 8.3 name is not .gitmodules");
        assert!(tree(&[entry("GITMOD~1", 0o120000, b)]).is_err());
        assert!(tree(&[entry(".gitmodules", 0o100644, b)]).is_ok());
    }

    #[test]
    fn commit_and_tag_match_git() {
        let tmp = TempDir::new("build-commit");
        let d = &tmp.0;
        git_ok(d, &["init", "-q", "--bare"]);
        let t = git_write(d, Kind::Tree, b"");
        // git commit-tree with the identities and dates of testutil's environment.
        let mut cmd = crate::core::testutil::command("git", d);
        cmd.args(["commit-tree", &t.to_hex(), "-m", "first"])
            .env("GIT_AUTHOR_DATE", "1700000000 -0130")
            .env("GIT_COMMITTER_DATE", "1700000123 +0545");
        let out = cmd.output().expect("git runs");
        assert!(out.status.success());
        let first = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let c = NewCommit {
            tree: t,
            parents: vec![],
            author: sig("A", "a@example.com", 1_700_000_000, -90),
            committer: sig("C", "c@example.com", 1_700_000_123, 345),
            encoding: None,
            extra_headers: vec![],
            message: b"first\n".to_vec(),
        };
        let data = commit(&c).expect("builds");
        assert_eq!(object::hash(Kind::Commit, &data).to_hex(), first);
        assert_eq!(git_bytes(d, &["cat-file", "commit", &first], None), data);
        let parent = ObjectId::parse(&first).expect("oid");

        // Two parents, an encoding, a folded header, an empty name and email.
        let c2 = NewCommit {
            parents: vec![parent, parent],
            author: sig("", "", 0, 0),
            encoding: Some("ISO-8859-1".into()),
            extra_headers: vec![("x-note".into(), b"line one\nline two".to_vec())],
            message: b"no newline at end".to_vec(),
            ..c.clone()
        };
        let data2 = commit(&c2).expect("builds");
        let parsed = Commit::parse(&data2).expect("parses");
        assert_eq!(parsed.parents, vec![parent, parent]);
        assert_eq!(parsed.encoding.as_deref(), Some("ISO-8859-1"));
        assert_eq!(parsed.extra_headers[1], ("x-note".to_string(), b"line one\nline two".to_vec()));
        assert_eq!(&data2[parsed.message_start..], b"no newline at end");
        let id2 = git_write(d, Kind::Commit, &data2);

        // A tag, against git mktag.
        let tg = NewTag {
            target: id2,
            target_kind: Kind::Commit,
            name: "v1.0".into(),
            tagger: Some(sig("T", "t@example.com", 1_700_000_500, 0)),
            message: b"release\n".to_vec(),
        };
        let tag_data = tag(&tg).expect("builds");
        let want = String::from_utf8_lossy(&git_bytes(d, &["mktag"], Some(&tag_data))).trim().to_string();
        assert_eq!(object::hash(Kind::Tag, &tag_data).to_hex(), want);
        let parsed = Tag::parse(&tag_data).expect("parses");
        assert_eq!((parsed.target, parsed.name.as_str()), (id2, "v1.0"));
        let fsck = git_output(d, &["fsck", "--strict", "--no-dangling"], None);
        assert!(fsck.status.success(), "fsck: {}", String::from_utf8_lossy(&fsck.stderr));
        let err = String::from_utf8_lossy(&fsck.stderr);
        assert!(err.lines().all(|l| l.starts_with("notice:")), "fsck: {err}");

        // Refusals.
        let bad = |s: Signature| commit(&NewCommit { author: s, ..c.clone() }).expect_err("bad ident");
        assert_eq!(bad(sig("A <x>", "a@x", 1, 0)).code(), "ERR_CORRUPT_OBJECT");
        assert!(bad(sig("A", "a>@x", 1, 0)).to_string().contains("email"));
        assert!(bad(sig("A\nB", "a@x", 1, 0)).to_string().contains("name"));
        bad(sig("A", "a@x", -1, 0));
        bad(sig("A", "a@x", 1, 6000));
        assert!(commit(&NewCommit { encoding: Some("a\nb".into()), ..c.clone() }).is_err());
        assert!(commit(&NewCommit { extra_headers: vec![("a b".into(), vec![])], ..c.clone() }).is_err());
        let e = tag(&NewTag { name: "bad..name".into(), ..tg.clone() }).expect_err("bad name");
        assert_eq!(e.code(), "ERR_INVALID_REF_NAME");
        assert!(tag(&NewTag { name: "".into(), ..tg.clone() }).is_err());
        assert!(tag(&NewTag { name: "a\nb".into(), ..tg.clone() }).is_err());
    }

    /// What we refuse, git's `fsck --strict` refuses or warns about, and what we accept it accepts silently.
    #[test]
    fn tree_checks_agree_with_git_fsck() {
        let tmp = TempDir::new("build-fsck");
        let d = &tmp.0;
        git_ok(d, &["init", "-q", "--bare"]);
        let blob = git_write(d, Kind::Blob, b"x\n");
        let raw = |entries: &[(&[u8], u32, ObjectId)]| {
            let mut out = Vec::new();
            for (n, m, o) in entries {
                out.extend_from_slice(format!("{m:o} ").as_bytes());
                out.extend_from_slice(n);
                out.push(0);
                out.extend_from_slice(&o.0);
            }
            out
        };
        let fsck_ok = |data: &[u8]| {
            let id = git_write(d, Kind::Tree, data);
            let out = git_output(d, &["fsck", "--strict", "--no-dangling", "--no-progress"], None);
            // Remove it again so the next check sees only its own tree.
            let hex = id.to_hex();
            std::fs::remove_file(d.join("objects").join(&hex[..2]).join(&hex[2..])).expect("remove");
            // Clean: success and nothing but notices (badFilemode is only a warning, even with --strict).
            out.status.success() && String::from_utf8_lossy(&out.stderr).lines().all(|l| l.starts_with("notice:"))
        };
        let mut cases: Vec<(Vec<(&[u8], u32, ObjectId)>, bool)> = Vec::new();
        for n in [&b"."[..], b"..", b".git", b".GiT", b"a/b", b".git.", b".git ", b"git~1", b"GIT~1", ".g\u{200c}it".as_bytes()] {
            cases.push((vec![(n, 0o100644, blob)], false));
        }
        for n in [&b".gitx"[..], b"git", b"x.git", b"...", b".github", b"git~2", ".\u{e9}".as_bytes()] {
            cases.push((vec![(n, 0o100644, blob)], true));
        }
        for m in [0o100664, 0o100600, 0o644] {
            cases.push((vec![(b"f", m, blob)], false));
        }
        cases.push((vec![(b".gitmodules", 0o120000, blob)], false));
        cases.push((vec![(b"f", 0o100644, blob), (b"f", 0o100644, blob)], false));
        cases.push((vec![(b"f", 0o100644, ObjectId::NULL)], false));
        for (entries, ok) in cases {
            let ours: Vec<NewTreeEntry> = entries.iter().map(|(n, m, o)| NewTreeEntry { name: n.to_vec(), mode: *m, oid: *o }).collect();
            let name = String::from_utf8_lossy(entries[0].0).into_owned();
            assert_eq!(tree(&ours).is_ok(), ok, "ours on {name:?} {:o}", entries[0].1);
            assert_eq!(fsck_ok(&raw(&entries)), ok, "git fsck --strict on {name:?} {:o}", entries[0].1);
        }
    }

    #[test]
    fn tree_order_is_gits() {
        use std::cmp::Ordering::*;
        assert_eq!(tree_order(b"a", true, b"a.b", false), Greater);
        assert_eq!(tree_order(b"a", false, b"a.b", false), Less);
        assert_eq!(tree_order(b"a", true, b"a0", false), Less);
        assert_eq!(tree_order(b"a", true, b"a", false), Greater);
    }
}
