//! Reflogs: the history of one ref's values, kept in `logs/<refname>` (in the
//! git dir for per-worktree refs such as `HEAD`, in the common dir otherwise).
//! See <https://git-scm.com/docs/git-reflog> and git `refs/files-backend.c`
//! (`log_ref_write_fd`, `show_one_reflog_ent`, `files_log_ref_write`).
//!
//! The file is append-only, oldest entry first, one entry per line:
//!
//! ```text
//! <old-oid> SP <new-oid> SP <name> SP <<email>> SP <seconds> SP <+hhmm> TAB <message> LF
//! ```
//!
//! When the message is empty git writes neither the TAB nor the message. git
//! normalises every message before writing it (`copy_reflog_msg` in
//! `refs.c`): leading whitespace is dropped, each run of whitespace (git's
//! `isspace`: SP, TAB, LF, CR) becomes one space, and trailing whitespace is
//! removed, so a message never contains a newline.
//!
//! Reading follows `show_one_reflog_ent`, except that where git silently skips
//! a line it cannot parse (including one whose timestamp is 0, or a last line
//! without its LF), [`read`] reports `ERR_CORRUPT_REF`: an entry we skipped
//! would shift every `ref@{n}` index relative to what the caller expects.
//!
//! Whether an update is logged at all is `core.logAllRefUpdates`
//! (<https://git-scm.com/docs/git-config#Documentation/git-config.txt-corelogAllRefUpdates>,
//! git `should_autocreate_reflog`): see [`should_log`] and [`log_exists`].

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::core::config::Config;
use crate::core::error::{Error, Result};
use crate::core::object::signature::Signature;
use crate::core::oid::ObjectId;

/// One reflog line: the ref moved from `old` to `new`, done by `committer`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The previous value; [`ObjectId::NULL`] when the ref was created.
    pub old: ObjectId,
    /// The new value; [`ObjectId::NULL`] when the ref was deleted.
    pub new: ObjectId,
    /// Who made the change and when (name, email, seconds, offset).
    pub committer: Signature,
    /// Why, e.g. `commit: subject`. [`format_line`] normalises it as git does,
    /// so what is read back may differ from what was given.
    pub message: String,
}

/// git's `isspace` (`ctype.c`): only SP, TAB, LF and CR, never VT or FF.
fn is_git_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// The message as git stores it (`copy_reflog_msg`): cut at a NUL (git
/// handles it as a C string), leading whitespace dropped, each whitespace run
/// squashed into one space, trailing whitespace removed.
pub fn normalize_message(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut was_space = true;
    for c in msg.chars().take_while(|&c| c != '\0') {
        let space = is_git_space(c);
        if was_space && space {
            continue;
        }
        was_space = space;
        out.push(if space { ' ' } else { c });
    }
    let kept = out.trim_end_matches(is_git_space).len();
    out.truncate(kept);
    out
}

/// The line git's `log_ref_write_fd` writes for `e`, LF included, with the
/// message normalised by [`normalize_message`].
pub fn format_line(e: &Entry) -> Vec<u8> {
    let msg = normalize_message(&e.message);
    let c = &e.committer;
    let mut out = Vec::with_capacity(82 + c.name.len() + c.email.len() + 20 + msg.len() + 2);
    e.old.write_hex(&mut out);
    out.push(b' ');
    e.new.write_hex(&mut out);
    out.push(b' ');
    out.extend_from_slice(format!("{} <{}> {} {}", c.name, c.email, c.seconds, c.tz()).as_bytes());
    if !msg.is_empty() {
        out.push(b'\t');
        out.extend_from_slice(msg.as_bytes());
    }
    out.push(b'\n');
    out
}

/// Parse one reflog line (with or without its final LF) as git's
/// `show_one_reflog_ent` does; the error says what is wrong with it.
pub fn parse_line(line: &[u8]) -> std::result::Result<Entry, String> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    if line.contains(&b'\n') {
        return Err("more than one line".into());
    }
    let old = line
        .get(..40)
        .and_then(ObjectId::from_hex)
        .ok_or("old object id is not 40 hex digits")?;
    if line.get(40) != Some(&b' ') {
        return Err("no space after the old object id".into());
    }
    let new = line
        .get(41..81)
        .and_then(ObjectId::from_hex)
        .ok_or("new object id is not 40 hex digits")?;
    if line.get(81) != Some(&b' ') {
        return Err("no space after the new object id".into());
    }
    let rest = &line[82..];
    let gt = rest
        .iter()
        .position(|&c| c == b'>')
        .ok_or("no '>' closing the email")?;
    if rest.get(gt + 1) != Some(&b' ') {
        return Err("no space after the email".into());
    }
    let ident = Signature::parse(&rest[..=gt]).ok_or("no '<' opening the email")?;
    let mut after = &rest[gt + 2..];
    // strtoumax in git skips leading blanks.
    while let [b' ', tail @ ..] = after {
        after = tail;
    }
    let ndigits = after.iter().take_while(|c| c.is_ascii_digit()).count();
    let seconds = std::str::from_utf8(&after[..ndigits])
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or("bad timestamp")?;
    if seconds == 0 {
        return Err("timestamp 0 (git ignores such entries)".into());
    }
    let tz = &after[ndigits..];
    let offset = match tz {
        [b' ', sign @ (b'+' | b'-'), h1, h2, m1, m2, ..]
            if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) =>
        {
            let d = |c: &u8| i32::from(c - b'0');
            let v = (d(h1) * 10 + d(h2)) * 60 + d(m1) * 10 + d(m2);
            if *sign == b'-' {
                -v
            } else {
                v
            }
        }
        _ => return Err("bad timezone (expected ' +hhmm' after the timestamp)".into()),
    };
    let msg = &tz[6..];
    let msg = msg.strip_prefix(b"\t").unwrap_or(msg);
    Ok(Entry {
        old,
        new,
        committer: Signature {
            name: ident.name,
            email: ident.email,
            seconds,
            offset,
        },
        message: String::from_utf8_lossy(msg).into_owned(),
    })
}

/// Where the reflog of `name` lives under `dir` (the git dir for per-worktree
/// refs, the common dir otherwise; see `refs::name::location`).
pub fn log_path(dir: &Path, name: &str) -> PathBuf {
    dir.join("logs").join(name)
}

/// All entries of the reflog at `path`, newest first (the order of `ref@{n}`).
/// A missing file is an empty reflog; an unparsable line, or a last line
/// without its LF, is `ERR_CORRUPT_REF` naming `name` and `path`.
pub fn read(path: &Path, name: &str) -> Result<Vec<Entry>> {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let corrupt = |reason: String| Error::CorruptRef {
        name: Some(name.to_string()),
        path: Some(path.to_path_buf()),
        reason,
    };
    if data.is_empty() {
        return Ok(Vec::new());
    }
    let Some(body) = data.strip_suffix(b"\n") else {
        return Err(corrupt(
            "the last reflog line is not terminated by a newline".into(),
        ));
    };
    let mut out = Vec::new();
    for (i, line) in body.split(|&c| c == b'\n').enumerate() {
        out.push(parse_line(line).map_err(|r| corrupt(format!("reflog line {}: {r}", i + 1)))?);
    }
    out.reverse();
    Ok(out)
}

/// Append `e` to the reflog at `path` as one `write` on an `O_APPEND` file,
/// creating the file and its parent directories when missing, and fsync it
/// when `fsync` is set (git's `core.fsync` `reference` component). The caller
/// holds the ref's lock, as git does while it writes the log.
pub fn append(path: &Path, e: &Entry, fsync: bool) -> Result<()> {
    let open = || std::fs::OpenOptions::new().append(true).create(true).open(path);
    // Directories are made only when missing (most appends go to an existing log).
    let mut f = match open() {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|err| Error::io(parent, err))?;
            }
            open()
        }
        r => r,
    }
    .map_err(|err| Error::io(path, err))?;
    f.write_all(&format_line(e))
        .map_err(|err| Error::io(path, err))?;
    if fsync {
        f.sync_all().map_err(|err| Error::io(path, err))?;
    }
    Ok(())
}

/// True when a reflog file exists at `path`. git appends to an existing log
/// even when [`should_log`] says no (`log_ref_setup` opens it without
/// `O_CREAT`), so callers log when either is true.
pub fn log_exists(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.is_file())
        .unwrap_or(false)
}

/// Whether an update of `name` creates its reflog, per `core.logAllRefUpdates`
/// (git `should_autocreate_reflog`): unset means `true` in a non-bare
/// repository and `false` in a bare one; `true` logs `refs/heads/`,
/// `refs/remotes/`, `refs/notes/` and `HEAD`; `always` (any case) logs every
/// ref; `false` logs none. A value git would reject as a boolean (git dies on
/// it) is treated as unset.
pub fn should_log(name: &str, config: &Config, is_bare: bool) -> bool {
    let key = "logallrefupdates";
    let always =
        matches!(config.get("core", key), Some(Some(v)) if v.trim().eq_ignore_ascii_case("always"));
    if always {
        return true;
    }
    let normal = config.get_bool("core", key).unwrap_or(!is_bare);
    normal
        && (name.starts_with("refs/heads/")
            || name.starts_with("refs/remotes/")
            || name.starts_with("refs/notes/")
            || name == "HEAD")
}

#[cfg(test)]
mod tests {
    use crate::core::testutil::TempDir;
    use super::*;
    use std::process::{Command, Output};


    fn run(dir: &Path, args: &[&str], date: &str) -> Output {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "A U Thor")
            .env("GIT_AUTHOR_EMAIL", "author@example.com")
            .env("GIT_COMMITTER_NAME", "C O Mitter")
            .env("GIT_COMMITTER_EMAIL", "committer@example.com")
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn git(dir: &Path, args: &[&str]) -> String {
        String::from_utf8(run(dir, args, "1700000000 +0530").stdout).expect("utf-8")
    }

    fn lines(s: String) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    fn oid(hex: &str) -> ObjectId {
        ObjectId::parse(hex.trim()).expect("git prints full ids")
    }

    fn sig(seconds: i64, offset: i32) -> Signature {
        Signature {
            name: "Re Flog".into(),
            email: "reflog@example.com".into(),
            seconds,
            offset,
        }
    }

    /// What git itself reports for a ref's reflog, newest first:
    /// (new oid, name, email, `ref@{seconds tz}`, message).
    fn git_view(dir: &Path, name: &str) -> Vec<(String, String, String, String, String)> {
        let out = git(
            dir,
            &[
                "log",
                "-g",
                "--date=raw",
                "--format=%H%x01%gn%x01%ge%x01%gd%x01%gs",
                name,
            ],
        );
        lines(out)
            .into_iter()
            .map(|l| {
                let f: Vec<&str> = l.split('\x01').collect();
                assert_eq!(f.len(), 5, "{l:?}");
                (
                    f[0].into(),
                    f[1].into(),
                    f[2].into(),
                    f[3].into(),
                    f[4].into(),
                )
            })
            .collect()
    }

    /// Our view in the same shape as [`git_view`].
    fn our_view(
        entries: &[Entry],
        selector: &str,
    ) -> Vec<(String, String, String, String, String)> {
        entries
            .iter()
            .map(|e| {
                (
                    e.new.to_hex(),
                    e.committer.name.clone(),
                    e.committer.email.clone(),
                    format!(
                        "{selector}@{{{} {}}}",
                        e.committer.seconds,
                        e.committer.tz()
                    ),
                    e.message.clone(),
                )
            })
            .collect()
    }

    fn make_history(dir: &Path) {
        git(dir, &["init", "-q", "-b", "main", "."]);
        git(dir, &["commit", "-q", "--allow-empty", "-m", "one"]);
        run(
            dir,
            &["commit", "-q", "--allow-empty", "-m", "two\n\nbody"],
            "1700000100 -0800",
        );
        let head = git(dir, &["rev-parse", "HEAD~1"]);
        git(
            dir,
            &[
                "update-ref",
                "-m",
                "msg with\nnewline  ",
                "refs/heads/x",
                head.trim(),
            ],
        );
        git(dir, &["update-ref", "refs/heads/x", "HEAD"]);
        git(dir, &["checkout", "-q", "x"]);
        run(
            dir,
            &["commit", "-q", "--amend", "--allow-empty", "-m", "amended"],
            "1700000200 +0000",
        );
        git(dir, &["checkout", "-q", "-b", "topic"]);
        git(dir, &["branch", "-f", "main", "x"]);
        git(dir, &["checkout", "-q", "main"]);
    }

    #[test]
    fn git_writes_we_read() {
        let tmp = TempDir::new("gitwrites");
        let dir = &tmp.0;
        make_history(dir);
        let gd = dir.join(".git");
        for (name, sel) in [
            ("HEAD", "HEAD"),
            ("refs/heads/main", "main"),
            ("refs/heads/x", "x"),
            ("refs/heads/topic", "topic"),
        ] {
            let ours = read(&log_path(&gd, name), name).expect("reads");
            assert!(!ours.is_empty(), "{name}");
            let want = git_view(dir, sel);
            assert_eq!(our_view(&ours, sel), want, "{name}");
            // Old ids chain: each entry's old is the previous entry's new.
            for w in ours.windows(2) {
                assert_eq!(w[0].old, w[1].new, "{name}");
            }
            assert!(ours.last().expect("non-empty").old.is_null(), "{name}");
        }
        let x = read(&log_path(&gd, "refs/heads/x"), "refs/heads/x").expect("reads");
        assert_eq!(x.last().expect("created").message, "msg with newline");
        assert_eq!(
            x[x.len() - 2].message,
            "",
            "update-ref without -m logs no message"
        );
        assert_eq!(x.last().expect("created").committer.offset, 330);
    }

    #[test]
    fn format_reproduces_git_files_byte_for_byte() {
        let tmp = TempDir::new("bytes");
        let dir = &tmp.0;
        make_history(dir);
        let gd = dir.join(".git");
        for name in [
            "HEAD",
            "refs/heads/main",
            "refs/heads/x",
            "refs/heads/topic",
        ] {
            let path = log_path(&gd, name);
            let raw = std::fs::read(&path).expect("log exists");
            for line in raw.split_inclusive(|&c| c == b'\n') {
                let e = parse_line(line).expect("git's line parses");
                assert_eq!(format_line(&e), line, "{}", String::from_utf8_lossy(line));
            }
            let mut all = read(&path, name).expect("reads");
            all.reverse();
            let again: Vec<u8> = all.iter().flat_map(format_line).collect();
            assert_eq!(again, raw, "{name}");
        }
    }

    #[test]
    fn we_write_git_reads() {
        let tmp = TempDir::new("wewrite");
        let dir = &tmp.0;
        git(dir, &["init", "-q", "-b", "main", "."]);
        git(dir, &["commit", "-q", "--allow-empty", "-m", "one"]);
        git(dir, &["commit", "-q", "--allow-empty", "-m", "two"]);
        let c1 = oid(&git(dir, &["rev-parse", "HEAD~1"]));
        let c2 = oid(&git(dir, &["rev-parse", "HEAD"]));
        let gd = dir.join(".git");
        let name = "refs/heads/deep/mine";
        std::fs::create_dir_all(gd.join("refs/heads/deep")).expect("mkdir");
        std::fs::write(gd.join(name), format!("{c1}\n")).expect("ref file");
        let written = [
            Entry {
                old: ObjectId::NULL,
                new: c2,
                committer: sig(1_700_001_000, 330),
                message: "branch: Created from HEAD".into(),
            },
            Entry {
                old: c2,
                new: c1,
                committer: sig(1_700_002_000, -480),
                message: String::new(),
            },
            Entry {
                old: c1,
                new: c2,
                committer: sig(1_700_003_000, 0),
                message: "  multi\nline \t message\n\n".into(),
            },
            Entry {
                old: c2,
                new: c1,
                committer: sig(1_700_004_000, 345),
                message: "reset: moving to HEAD~1".into(),
            },
        ];
        let path = log_path(&gd, name);
        assert!(!log_exists(&path));
        for (i, e) in written.iter().enumerate() {
            append(&path, e, i % 2 == 0).expect("appends");
        }
        assert!(log_exists(&path));
        let raw = String::from_utf8(std::fs::read(&path).expect("written")).expect("utf-8");
        assert!(
            raw.lines().nth(1).is_some_and(|l| l.ends_with(" -0800")),
            "empty message has no TAB: {raw:?}"
        );

        let mut expected: Vec<Entry> = written
            .iter()
            .map(|e| Entry {
                message: normalize_message(&e.message),
                ..e.clone()
            })
            .collect();
        expected.reverse();
        assert_eq!(expected[1].message, "multi line message");
        assert_eq!(read(&path, name).expect("reads"), expected);
        assert_eq!(git_view(dir, name), our_view(&expected, "deep/mine"));
        let shown = lines(git(dir, &["reflog", "show", "--format=%H %gs", name]));
        let want: Vec<String> = expected
            .iter()
            .map(|e| format!("{} {}", e.new, e.message).trim_end().to_string())
            .collect();
        let shown: Vec<String> = shown.iter().map(|s| s.trim_end().to_string()).collect();
        assert_eq!(shown, want);
        let fsck = run(dir, &["fsck", "--no-progress"], "1700000000 +0000");
        assert!(
            fsck.stderr.is_empty(),
            "fsck: {}",
            String::from_utf8_lossy(&fsck.stderr)
        );
        assert!(!String::from_utf8_lossy(&fsck.stdout).contains("error"));
    }

    #[test]
    fn normalises_like_git() {
        // Observed from git 2.47 `update-ref -m`: VT is not whitespace to git.
        assert_eq!(
            normalize_message("  a\t\tb\n\nc \x0b d\r  "),
            "a b c \x0b d"
        );
        assert_eq!(normalize_message("   "), "");
        assert_eq!(normalize_message("cut\0here"), "cut");
        assert_eq!(normalize_message("ünï  côde\n"), "ünï côde");
        let tmp = TempDir::new("normalise");
        let dir = &tmp.0;
        git(dir, &["init", "-q", "."]);
        git(dir, &["commit", "-q", "--allow-empty", "-m", "one"]);
        let head = git(dir, &["rev-parse", "HEAD"]);
        let msg = "\n  lead\r\n\ttabs\t\there \x0c ff  \n";
        git(dir, &["update-ref", "-m", msg, "refs/heads/n", head.trim()]);
        let ours =
            read(&log_path(&dir.join(".git"), "refs/heads/n"), "refs/heads/n").expect("reads");
        assert_eq!(ours.len(), 1);
        assert_eq!(ours[0].message, normalize_message(msg));
        let e = Entry {
            message: msg.into(),
            ..ours[0].clone()
        };
        let raw = std::fs::read(log_path(&dir.join(".git"), "refs/heads/n")).expect("log");
        assert_eq!(format_line(&e), raw);
    }

    #[test]
    fn garbage_lines_are_corrupt_refs() {
        let id = "1234567890123456789012345678901234567890";
        let good = format!("{id} {id} N <e@x> 1700000000 +0100\tok\n");
        assert!(parse_line(good.as_bytes()).is_ok());
        let bad = [
            format!("{} {id} N <e@x> 1700000000 +0100\tmsg\n", &id[..39]),
            format!("{id} {} N <e@x> 1700000000 +0100\tmsg\n", &id[..38]),
            format!("{id}x{id} N <e@x> 1700000000 +0100\tmsg\n"),
            format!("{id} {id} N <e@x 1700000000 +0100\tmsg\n"),
            format!("{id} {id} N e@x> 1700000000 +0100\tmsg\n"),
            format!("{id} {id} N <e@x>1700000000 +0100\tmsg\n"),
            format!("{id} {id} N <e@x> soon +0100\tmsg\n"),
            format!("{id} {id} N <e@x> 0 +0100\tmsg\n"),
            format!("{id} {id} N <e@x> 99999999999999999999999 +0100\tmsg\n"),
            format!("{id} {id} N <e@x> 1700000000 0100\tmsg\n"),
            format!("{id} {id} N <e@x> 1700000000 +01\tmsg\n"),
            format!("{id} {id} N <e@x> 1700000000\n"),
            "\n".to_string(), // a blank line
        ];
        let tmp = TempDir::new("garbage");
        for (i, line) in bad.iter().enumerate() {
            assert!(parse_line(line.as_bytes()).is_err(), "{line:?}");
            let path = tmp.0.join(format!("log{i}"));
            std::fs::write(&path, format!("{good}{line}{good}")).expect("write");
            let err = read(&path, "refs/heads/g").expect_err("corrupt");
            assert_eq!(err.code(), "ERR_CORRUPT_REF", "{line:?}");
            assert_eq!(err.ref_name(), Some("refs/heads/g"));
            assert_eq!(err.path(), Some(path.as_path()));
        }
        // A torn last line (no LF) is reported too, though git skips it.
        let path = tmp.0.join("torn");
        std::fs::write(&path, format!("{good}{}", good.trim_end())).expect("write");
        assert_eq!(
            read(&path, "refs/heads/g").expect_err("torn").code(),
            "ERR_CORRUPT_REF"
        );
        // Missing and empty files are empty reflogs.
        assert!(read(&tmp.0.join("missing"), "refs/heads/g")
            .expect("missing ok")
            .is_empty());
        std::fs::write(&path, "").expect("write");
        assert!(read(&path, "refs/heads/g").expect("empty ok").is_empty());
        // git keeps whatever follows the timezone when the TAB is missing.
        let e = parse_line(format!("{id} {id} N <e@x> 1700000000 -0130 odd\n").as_bytes())
            .expect("lenient");
        assert_eq!(e.message, " odd");
        assert_eq!(e.committer.offset, -90);
    }

    #[test]
    fn should_log_table_matches_git() {
        let names = [
            "HEAD",
            "refs/heads/a",
            "refs/remotes/o/a",
            "refs/notes/commits",
            "refs/tags/t",
            "refs/foo/c",
        ];
        let cases: [(Option<&str>, [bool; 6]); 4] = [
            (None, [true, true, true, true, false, false]),
            (Some("true"), [true, true, true, true, false, false]),
            (Some("false"), [false; 6]),
            (Some("always"), [true; 6]),
        ];
        for bare in [false, true] {
            for (value, normal) in &cases {
                let text = value
                    .map(|v| format!("[core]\n\tlogAllRefUpdates = {v}\n"))
                    .unwrap_or_default();
                let cfg = Config::parse(&text);
                for (name, &want) in names.iter().zip(normal) {
                    let want = if value.is_none() && bare { false } else { want };
                    assert_eq!(
                        should_log(name, &cfg, bare),
                        want,
                        "{name} bare={bare} value={value:?}"
                    );
                }
            }
        }
        assert!(should_log(
            "refs/tags/t",
            &Config::parse("[core]\nlogallrefupdates = ALWAYS\n"),
            true
        ));
        assert!(should_log(
            "refs/heads/a",
            &Config::parse("[core]\nlogAllRefUpdates\n"),
            true
        ));

        // The same table against git: which refs get a log file when created.
        let tmp = TempDir::new("table");
        for bare in [false, true] {
            for (value, _) in &cases {
                let dir = tmp.0.join(format!("{bare}-{}", value.unwrap_or("unset")));
                std::fs::create_dir_all(&dir).expect("mkdir");
                let mut init = vec!["init", "-q"];
                if bare {
                    init.push("--bare");
                }
                init.push(".");
                git(&dir, &init);
                let gd = if bare { dir.clone() } else { dir.join(".git") };
                match value {
                    Some(v) => git(&dir, &["config", "core.logAllRefUpdates", v]),
                    // Non-bare `git init` writes `true`; remove it to test the default.
                    None if !bare => git(&dir, &["config", "--unset", "core.logAllRefUpdates"]),
                    None => String::new(),
                };
                let blob = git(
                    &dir,
                    &[
                        "commit-tree",
                        "-m",
                        "c",
                        "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
                    ],
                );
                let cfg = Config::read(&gd.join("config"));
                for name in &names[1..] {
                    git(&dir, &["update-ref", name, blob.trim()]);
                    let logged = log_exists(&log_path(&gd, name));
                    assert_eq!(
                        should_log(name, &cfg, bare),
                        logged,
                        "{name} bare={bare} value={value:?}"
                    );
                }
            }
        }
    }
}
