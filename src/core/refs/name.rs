//! Reference names: which strings may name a ref, which names the reference
//! database will write, where a name lives in a linked worktree, and the short
//! forms git shows and accepts.
//!
//! Follows git 2.47's `refs.c`: `check_refname_format` /
//! `check_refname_component` for the syntax (documented at
//! <https://git-scm.com/docs/git-check-ref-format>), `ref_transaction_update`,
//! `refname_is_safe`, `is_pseudo_ref` and `is_root_ref` for what may be written,
//! `parse_worktree_ref` / `is_per_worktree_ref` for worktrees, and
//! `ref_rev_parse_rules` / `refs_shorten_unambiguous_ref` for short names.
//! The tests compare [`check`] with `git check-ref-format` and
//! [`check_for_update`] / [`is_per_worktree`] with `git update-ref`.

use crate::core::error::{Error, Result};

/// Options of [`check`], the flags of `git check-ref-format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Check {
    /// Accept a name without `/` (`HEAD`, `main`): `--allow-onelevel`.
    pub allow_onelevel: bool,
    /// Accept one `*` anywhere in the name, for either side of a refspec:
    /// `--refspec-pattern`.
    pub refspec_pattern: bool,
}

/// Check `name` against git's reference-name rules, exactly as
/// `git check-ref-format` does. A name is refused if
///
/// - it is empty, or is the single character `@`;
/// - it begins with `/`, ends with `/`, or contains `//` (an empty component);
/// - a component begins with `.` or ends with `.lock`;
/// - it contains `..` or `@{`;
/// - it contains an ASCII control character (below 0x20, or 0x7f), a space,
///   `~`, `^`, `:`, `?`, `[` or `\`;
/// - it contains `*`, unless `opts.refspec_pattern` is set, and then only one;
/// - it ends with `.`;
/// - it has no `/`, unless `opts.allow_onelevel` is set.
///
/// Anything else is allowed, including non-ASCII characters and a leading `-`
/// (git's branch commands refuse `-x` for branch names, but that is not a
/// ref-name rule). The error is `ERR_INVALID_REF_NAME` and its reason names the
/// first rule broken, in the order git checks them.
pub fn check(name: &str, opts: Check) -> Result<()> {
    match problem(name, opts) {
        None => Ok(()),
        Some(reason) => Err(invalid(name, reason)),
    }
}

/// Check a name that the reference database is asked to write (create or
/// update, as a direct or a symbolic ref). Accepted are:
///
/// - a full name under `refs/` that passes [`check`] (`refs/heads/main`,
///   `refs/stash`);
/// - a root ref: one or more uppercase ASCII letters and `_` (`HEAD`,
///   `ORIG_HEAD`, `CHERRY_PICK_HEAD`), except the pseudo-refs `FETCH_HEAD` and
///   `MERGE_HEAD`, which git 2.47 refuses to update ("refusing to update
///   pseudoref") because their files hold several ids and extra text and are
///   written directly by `fetch` and `merge`, never through the ref database;
/// - `main-worktree/<ref>` or `worktrees/<id>/<ref>`, where `<id>` is one valid
///   component and `<ref>` is a name that lives in a worktree's own git dir: a
///   root ref as above, or a valid name under `refs/bisect/`, `refs/worktree/`
///   or `refs/rewritten/`.
///
/// This is deliberately stricter than `git update-ref`, which writes any name
/// that passes `check_refname_format` with `REFNAME_ALLOW_ONELEVEL`: git 2.47
/// happily writes `foo`, `a/b`, `FOO-BAR`, `main-worktree/refs/heads/x` (to a
/// literal `main-worktree/refs/heads/x` file) and even `packed-refs` or
/// `objects/info/alternates`, corrupting the repository. It then refuses to
/// delete `foo`, `a/b` and `FOO-BAR`, because deletion goes through
/// `refname_is_safe`, which allows only `refs/…` and uppercase-and-`_` names.
/// So the names accepted here are the ones git can both write and delete
/// (plus the worktree prefixes, which git can write but, through
/// `refname_is_safe`, not delete by that name), and every one of them `git
/// update-ref` also accepts.
pub fn check_for_update(name: &str) -> Result<()> {
    match update_problem(name) {
        None => Ok(()),
        Some(reason) => Err(invalid(name, reason)),
    }
}

/// The full names git tries for a short name, in `ref_rev_parse_rules` order:
/// `x`, `refs/x`, `refs/tags/x`, `refs/heads/x`, `refs/remotes/x`,
/// `refs/remotes/x/HEAD`. The first that exists wins (and git warns when more
/// than one does).
pub fn dwim_candidates(short: &str) -> [String; 6] {
    [
        short.to_string(),
        format!("refs/{short}"),
        format!("refs/tags/{short}"),
        format!("refs/heads/{short}"),
        format!("refs/remotes/{short}"),
        format!("refs/remotes/{short}/HEAD"),
    ]
}

/// Whether the ref `name` lives in the current worktree's own git dir rather
/// than in the common dir (git `refs.c` `is_current_worktree_ref`): root-ref
/// syntax (only uppercase ASCII letters, `_` and `-`: `HEAD`, `ORIG_HEAD`,
/// `REBASE-HEAD`), or a name under `refs/bisect/`, `refs/worktree/` or
/// `refs/rewritten/`.
///
/// Like git, any other name is shared, including a lowercase name outside
/// `refs/` such as `foo` (which [`check_for_update`] refuses anyway). Names
/// with a `main-worktree/` or `worktrees/<id>/` prefix are not per-worktree
/// either, but they are not plain common-dir paths: use [`location`] to find
/// the directory and the name within it.
pub fn is_per_worktree(name: &str) -> bool {
    is_root_ref_syntax(name) || is_per_worktree_ref(name)
}

/// Where a ref lives in a repository with linked worktrees, git `refs.c`
/// `parse_worktree_ref`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location<'a> {
    /// In the current worktree's git dir, under this name.
    Current(&'a str),
    /// In the common dir, under this name.
    Shared(&'a str),
    /// `main-worktree/<name>`: the main worktree's git dir (which is the common
    /// dir), under `name`.
    Main(&'a str),
    /// `worktrees/<id>/<name>`: `<common dir>/worktrees/<id>/`, under `name`.
    /// `name` is empty for `worktrees/<id>` alone, which names no ref.
    Other {
        /// The worktree's id, its directory under `<common dir>/worktrees/`.
        id: &'a str,
        /// The ref's name inside that worktree.
        name: &'a str,
    },
}

/// Split `name` into the store that holds it and the name within that store,
/// as git's files backend does (`files_ref_path`). A prefix is only honoured
/// when what follows it is a per-worktree name; otherwise the whole name is
/// [`Location::Shared`], as in git (so `main-worktree/refs/heads/x` is a common
/// ref of that literal name).
pub fn location(name: &str) -> Location<'_> {
    if let Some(rest) = name.strip_prefix("worktrees/") {
        match rest.split_once('/') {
            None => return Location::Other { id: rest, name: "" },
            Some((id, bare)) if is_per_worktree(bare) => return Location::Other { id, name: bare },
            Some(_) => {}
        }
    }
    if let Some(bare) = name.strip_prefix("main-worktree/") {
        if is_per_worktree(bare) {
            return Location::Main(bare);
        }
    }
    if is_per_worktree(name) {
        Location::Current(name)
    } else {
        Location::Shared(name)
    }
}

/// The short form of a full ref name, for display: git's
/// `refs_shorten_unambiguous_ref` without its check that the short form is
/// unambiguous. Tries, in git's order, `refs/remotes/x/HEAD` → `x`, then strips
/// `refs/remotes/`, `refs/heads/`, `refs/tags/` or `refs/`; a name matching
/// none (or where stripping would leave nothing) is returned whole.
pub fn shorten(full: &str) -> String {
    if let Some(remote) = full.strip_prefix("refs/remotes/").and_then(|r| r.strip_suffix("/HEAD")) {
        if !remote.is_empty() {
            return remote.to_string();
        }
    }
    for prefix in ["refs/remotes/", "refs/heads/", "refs/tags/", "refs/"] {
        if let Some(short) = full.strip_prefix(prefix) {
            if !short.is_empty() {
                return short.to_string();
            }
        }
    }
    full.to_string()
}

/// The pseudo-refs of git 2.47 (`is_pseudo_ref`): files in the git dir that
/// are not refs and are never written through the ref database.
const PSEUDO_REFS: [&str; 2] = ["FETCH_HEAD", "MERGE_HEAD"];

fn invalid(name: &str, reason: String) -> Error {
    Error::InvalidRefName { name: name.to_string(), reason }
}

/// git's `is_root_ref_syntax`: only `A`–`Z`, `-` and `_` (vacuously true for
/// the empty string, as in git).
fn is_root_ref_syntax(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_uppercase() || b == b'-' || b == b'_')
}

/// git's `is_per_worktree_ref`.
fn is_per_worktree_ref(name: &str) -> bool {
    name.starts_with("refs/worktree/") || name.starts_with("refs/bisect/") || name.starts_with("refs/rewritten/")
}

/// Why `name` fails [`check`], or None if it passes. Same order as git's
/// `check_or_sanitize_refname`.
fn problem(name: &str, opts: Check) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".into());
    }
    if name == "@" {
        return Some("is the single character '@'".into());
    }
    // One `*` is allowed in the whole name, not one per component.
    let mut star_allowed = opts.refspec_pattern;
    let mut components = 0usize;
    let mut parts = name.split('/').peekable();
    while let Some(part) = parts.next() {
        let last = parts.peek().is_none();
        if part.is_empty() {
            let reason = if components == 0 {
                "begins with '/'"
            } else if last {
                "ends with '/'"
            } else {
                "contains '//' (an empty component)"
            };
            return Some(reason.into());
        }
        if let Some(reason) = component_problem(part, opts, &mut star_allowed) {
            return Some(reason);
        }
        components += 1;
    }
    if name.ends_with('.') {
        return Some("ends with '.'".into());
    }
    if !opts.allow_onelevel && components < 2 {
        return Some("has only one component (a '/' is required)".into());
    }
    None
}

/// Why one non-empty component fails, git's `check_refname_component`.
fn component_problem(part: &str, opts: Check, star_allowed: &mut bool) -> Option<String> {
    let mut last = 0u8;
    for b in part.bytes() {
        match b {
            b'.' if last == b'.' => return Some("contains '..'".into()),
            b'{' if last == b'@' => return Some("contains '@{'".into()),
            // NUL ends a C string, so git never sees one inside a name; here it
            // is refused like every other control character.
            0x00..=0x1f | 0x7f => return Some(format!("contains the control character {:?}", b as char)),
            b' ' => return Some("contains a space".into()),
            b'~' | b'^' | b':' | b'?' | b'[' | b'\\' => {
                return Some(format!("contains the forbidden character '{}'", b as char));
            }
            b'*' if !*star_allowed => {
                let reason = if opts.refspec_pattern {
                    "contains more than one '*'"
                } else {
                    "contains '*' (allowed only in a refspec pattern)"
                };
                return Some(reason.into());
            }
            b'*' => *star_allowed = false,
            _ => {}
        }
        last = b;
    }
    if part.starts_with('.') {
        return Some(format!("has a component beginning with '.' ({part:?})"));
    }
    if part.ends_with(".lock") {
        return Some(format!("has a component ending with '.lock' ({part:?})"));
    }
    None
}

/// Why the reference database must not write `name`, or None.
fn update_problem(name: &str) -> Option<String> {
    if let Some(bare) = name.strip_prefix("main-worktree/") {
        return worktree_local_problem(bare).map(|r| format!("after 'main-worktree/': {r}"));
    }
    if let Some(rest) = name.strip_prefix("worktrees/") {
        let Some((id, bare)) = rest.split_once('/') else {
            return Some("names a worktree ('worktrees/<id>') but no ref in it".into());
        };
        if let Some(r) = problem(id, Check { allow_onelevel: true, refspec_pattern: false }) {
            return Some(format!("has a bad worktree id {id:?}: it {r}"));
        }
        return worktree_local_problem(bare).map(|r| format!("after 'worktrees/{id}/': {r}"));
    }
    if name.starts_with("refs/") {
        return problem(name, Check::default());
    }
    root_ref_problem(name)
}

/// Why `name` is not a writable root ref (uppercase and `_`, not a pseudo-ref);
/// None if it is one.
fn root_ref_problem(name: &str) -> Option<String> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
        return Some(not_a_ref_name());
    }
    if PSEUDO_REFS.contains(&name) {
        return Some(format!(
            "is a pseudo-ref: git refuses to update {name} through the ref database (fetch and merge write that file directly)"
        ));
    }
    None
}

fn not_a_ref_name() -> String {
    "is neither a full name under 'refs/' nor a root ref such as HEAD (uppercase letters and '_' only)".into()
}

/// What may follow a `main-worktree/` or `worktrees/<id>/` prefix.
fn worktree_local_problem(bare: &str) -> Option<String> {
    if is_per_worktree_ref(bare) {
        return problem(bare, Check::default());
    }
    if bare.starts_with("refs/") {
        return Some(format!(
            "{bare:?} is a shared ref; only HEAD-like root refs and refs under refs/bisect/, refs/worktree/ and refs/rewritten/ belong to one worktree"
        ));
    }
    root_ref_problem(bare)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    const DEFAULT: Check = Check { allow_onelevel: false, refspec_pattern: false };
    const ONE: Check = Check { allow_onelevel: true, refspec_pattern: false };
    const PAT: Check = Check { allow_onelevel: false, refspec_pattern: true };
    const BOTH: Check = Check { allow_onelevel: true, refspec_pattern: true };
    const ALL_FLAGS: [Check; 4] = [DEFAULT, ONE, PAT, BOTH];

    /// Names, the flags of the interesting case, and the expected answer under
    /// those flags. Every entry is also run under all four flag combinations
    /// and compared with `git check-ref-format`.
    const TABLE: &[(&str, Check, bool)] = &[
        // Plain valid names.
        ("refs/heads/main", DEFAULT, true),
        ("refs/heads/feature/x", DEFAULT, true),
        ("a/b", DEFAULT, true),
        ("refs/stash", DEFAULT, true),
        ("refs/heads/a.b", DEFAULT, true),
        ("refs/heads/a_b-c+d=e,f;g", DEFAULT, true),
        ("refs/heads/a\"b'c`d", DEFAULT, true),
        ("refs/heads/a<b>|c!#$%&()", DEFAULT, true),
        ("refs/heads/a]b}c{d", DEFAULT, true),
        ("refs/heads/{", DEFAULT, true),
        // Non-ASCII is allowed (bytes >= 0x80, including U+00A0 no-break space).
        ("refs/heads/ü", DEFAULT, true),
        ("refs/heads/ä/ö", DEFAULT, true),
        ("refs/tags/🦀", DEFAULT, true),
        ("refs/heads/a\u{a0}b", DEFAULT, true),
        // A leading '-' is fine for check-ref-format (only branch commands mind).
        ("refs/heads/-x", DEFAULT, true),
        ("a/-", DEFAULT, true),
        // One level.
        ("HEAD", DEFAULT, false),
        ("HEAD", ONE, true),
        ("main", DEFAULT, false),
        ("main", ONE, true),
        ("", ONE, false),
        // '@' alone, '@{', and other uses of '@'.
        ("@", ONE, false),
        ("@", DEFAULT, false),
        ("@@", ONE, true),
        ("a@b", ONE, true),
        ("refs/heads/a@b", DEFAULT, true),
        ("refs/heads/@", DEFAULT, true),
        ("@/a", DEFAULT, true),
        ("a/b@", DEFAULT, true),
        ("a@{b", ONE, false),
        ("refs/heads/a@{b", DEFAULT, false),
        ("refs/heads/@{u}", DEFAULT, false),
        ("@{", ONE, false),
        ("a/@{", DEFAULT, false),
        // Components beginning with '.' or ending with '.lock'.
        ("a/.b", DEFAULT, false),
        (".a/b", DEFAULT, false),
        ("a/b/.c", DEFAULT, false),
        ("./a", DEFAULT, false),
        ("a/.lock", DEFAULT, false),
        ("a/b.lock", DEFAULT, false),
        ("a.lock/b", DEFAULT, false),
        ("a/b.lock.lock", DEFAULT, false),
        ("refs/heads/x.lock/y", DEFAULT, false),
        ("a/b.locka", DEFAULT, true),
        ("a/b.LOCK", DEFAULT, true),
        ("refs/heads/lock", DEFAULT, true),
        // '..' and trailing '.'.
        ("a..b", ONE, false),
        ("a/..b", DEFAULT, false),
        ("a/b..c", DEFAULT, false),
        ("a/..", DEFAULT, false),
        ("a/...", DEFAULT, false),
        ("a/b.", DEFAULT, false),
        ("a/.", DEFAULT, false),
        ("a./b", DEFAULT, true),
        ("a.b/c.d", DEFAULT, true),
        // Slashes.
        ("a/b/", DEFAULT, false),
        ("a/", ONE, false),
        ("a//b", DEFAULT, false),
        ("/a", ONE, false),
        ("/a/b", DEFAULT, false),
        ("/", ONE, false),
        ("//", ONE, false),
        // Control characters, space and the forbidden punctuation.
        ("a/b\tc", DEFAULT, false),
        ("a/b\nc", DEFAULT, false),
        ("a/b\rc", DEFAULT, false),
        ("a/b\x01", DEFAULT, false),
        ("a/\x1fb", DEFAULT, false),
        ("a/b\x7fc", DEFAULT, false),
        ("a/b c", DEFAULT, false),
        ("a/b~1", DEFAULT, false),
        ("~", ONE, false),
        ("a/b^", DEFAULT, false),
        ("a/b^{}", DEFAULT, false),
        ("a/b:c", DEFAULT, false),
        ("a/b?", DEFAULT, false),
        ("a/b[c", DEFAULT, false),
        ("a\\b", ONE, false),
        ("a/b\\c", DEFAULT, false),
        // '*' and refspec patterns.
        ("a/*", DEFAULT, false),
        ("a/*", PAT, true),
        ("*", PAT, false),
        ("*", BOTH, true),
        ("a/*/b", DEFAULT, false),
        ("a/*/b", PAT, true),
        ("refs/heads/b*c", PAT, true),
        ("*/a", PAT, true),
        ("a/*/*", PAT, false),
        ("a/**", PAT, false),
        ("a/.*", PAT, false),
        ("a/*.lock", PAT, false),
        ("a/*.", PAT, false),
        ("a/x*y/z", PAT, true),
    ];

    /// Names `git check-ref-format` cannot be asked about: it takes every
    /// argument that starts with `-` as an option (and has no `--`), and argv
    /// cannot hold NUL. The answers are git's, read from `check_refname_format`
    /// in refs.c: a leading `-` breaks no rule; a NUL would end git's C string,
    /// so a name holding one can never be a real ref and we refuse it.
    const NOT_ARGV: &[(&str, Check, bool)] = &[
        ("-foo", ONE, true),
        ("-foo", DEFAULT, false),
        ("-", ONE, true),
        ("--allow-onelevel", ONE, true),
        ("-a/b", DEFAULT, true),
        ("a/b\0c", DEFAULT, false),
        ("\0", ONE, false),
        ("refs/heads/x\0", DEFAULT, false),
    ];

    fn git_check_ref_format(name: &str, opts: Check) -> bool {
        let mut cmd = Command::new("git");
        cmd.arg("check-ref-format");
        if opts.allow_onelevel {
            cmd.arg("--allow-onelevel");
        }
        if opts.refspec_pattern {
            cmd.arg("--refspec-pattern");
        }
        let out = cmd.arg(name).output().expect("git check-ref-format runs");
        match out.status.code() {
            Some(0) => true,
            Some(1) => false,
            other => panic!("git check-ref-format {opts:?} {name:?} exited with {other:?}"),
        }
    }

    #[test]
    fn check_agrees_with_git_check_ref_format() {
        assert!(TABLE.len() >= 60, "the table covers every rule");
        let mut disagreements = Vec::new();
        for &(name, opts, expected) in TABLE {
            assert!(!name.starts_with('-') && !name.contains('\0'), "{name:?} belongs in NOT_ARGV");
            let git = git_check_ref_format(name, opts);
            assert_eq!(git, expected, "the table is wrong about {name:?} under {opts:?}: git says {git}");
            for flags in ALL_FLAGS {
                let git = git_check_ref_format(name, flags);
                let ours = check(name, flags);
                if git != ours.is_ok() {
                    disagreements.push(format!("{name:?} {flags:?}: git {git}, ferrogit {ours:?}"));
                }
            }
        }
        assert!(disagreements.is_empty(), "ferrogit and git disagree:\n{}", disagreements.join("\n"));
    }

    #[test]
    fn check_names_the_cli_cannot_take() {
        for &(name, opts, expected) in NOT_ARGV {
            assert_eq!(check(name, opts).is_ok(), expected, "{name:?} under {opts:?}");
        }
        // The same leading '-' in a later component does reach the CLI.
        assert!(git_check_ref_format("a/-foo", DEFAULT));
        assert!(check("a/-foo", DEFAULT).is_ok());
    }

    #[test]
    fn check_reports_the_rule_broken() {
        let reason = |name: &str, opts: Check| {
            let e = check(name, opts).expect_err(name);
            assert_eq!(e.code(), "ERR_INVALID_REF_NAME");
            assert_eq!(e.ref_name(), Some(name));
            let Error::InvalidRefName { reason, .. } = e else { panic!("{name:?}: {e:?}") };
            reason
        };
        assert!(reason("", ONE).contains("empty"));
        assert!(reason("@", ONE).contains("'@'"));
        assert!(reason("/a", ONE).contains("begins with '/'"));
        assert!(reason("a/", ONE).contains("ends with '/'"));
        assert!(reason("a//b", ONE).contains("'//'"));
        assert!(reason("a/.b", ONE).contains("beginning with '.'"));
        assert!(reason("a/b.lock", ONE).contains(".lock"));
        assert!(reason("a..b", ONE).contains("'..'"));
        assert!(reason("a@{b", ONE).contains("'@{'"));
        assert!(reason("a\tb", ONE).contains("control character '\\t'"));
        assert!(reason("a\x7fb", ONE).contains("control character"));
        assert!(reason("a b", ONE).contains("space"));
        for c in ['~', '^', ':', '?', '[', '\\'] {
            assert!(reason(&format!("a{c}b"), ONE).contains(&format!("'{c}'")), "{c}");
        }
        assert!(reason("a/*", DEFAULT).contains("refspec pattern"));
        assert!(reason("a/*/*", PAT).contains("more than one '*'"));
        assert!(reason("a/b.", ONE).contains("ends with '.'"));
        assert!(reason("main", DEFAULT).contains("only one component"));
        // The first rule broken, scanning left to right as git does.
        assert!(reason("a..b/c d", DEFAULT).contains("'..'"));
        assert!(reason("a/b c.lock", DEFAULT).contains("space"));
    }

    /// What `check_for_update` says, and what `git update-ref` says.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Update {
        /// We accept it; git writes it too.
        Both,
        /// Both refuse it.
        Neither,
        /// git 2.47 writes it, we refuse it on purpose (see `check_for_update`).
        OnlyGit,
    }

    const UPDATES: &[(&str, Update)] = &[
        ("refs/heads/main", Update::Both),
        ("refs/heads/ü", Update::Both),
        ("refs/tags/v1.0", Update::Both),
        ("refs/stash", Update::Both),
        ("refs/bisect/bad", Update::Both),
        ("refs/worktree/x", Update::Both),
        ("refs/rewritten/onto", Update::Both),
        ("HEAD", Update::Both),
        ("ORIG_HEAD", Update::Both),
        ("CHERRY_PICK_HEAD", Update::Both),
        ("AUTO_MERGE", Update::Both),
        ("_", Update::Both),
        ("main-worktree/HEAD", Update::Both),
        ("main-worktree/ORIG_HEAD", Update::Both),
        ("main-worktree/refs/bisect/a", Update::Both),
        ("worktrees/wt/HEAD", Update::Both),
        ("worktrees/wt/refs/worktree/a", Update::Both),
        ("worktrees/wt/refs/rewritten/b", Update::Both),
        ("FETCH_HEAD", Update::Neither),
        ("MERGE_HEAD", Update::Neither),
        ("refs/", Update::Neither),
        ("refs/heads/a..b", Update::Neither),
        ("refs/heads/*", Update::Neither),
        ("refs/heads/x.lock", Update::Neither),
        ("refs//heads/x", Update::Neither),
        ("@", Update::Neither),
        ("", Update::Neither),
        ("main-worktree/refs/heads/a..b", Update::Neither),
        ("worktrees/wt/refs/bisect/a b", Update::Neither),
        ("foo", Update::OnlyGit),
        ("Foo_BAR", Update::OnlyGit),
        ("a/b", Update::OnlyGit),
        ("FOO-BAR", Update::OnlyGit),
        ("main-worktree/refs/heads/y", Update::OnlyGit),
        ("main-worktree/foo", Update::OnlyGit),
        ("main-worktree/FETCH_HEAD", Update::OnlyGit),
        ("worktrees/wt/refs/heads/a", Update::OnlyGit),
        ("worktrees/wt/foo", Update::OnlyGit),
        ("worktrees/.wt/HEAD", Update::Neither),
    ];

    /// Names we refuse that git would also write, but that must not be tried
    /// on a repository the test still uses (`git update-ref packed-refs <oid>`
    /// and `objects/info/alternates` break it), or that git refuses only
    /// because the file already exists with other content.
    const UPDATE_REFUSED_UNTRIED: &[&str] =
        &["packed-refs", "objects/info/alternates", "config", "index", "description", "worktrees/wt", "HEAD.lock", "refs"];

    /// A scratch directory under the system temp dir, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Scratch {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("ferrogit-refname-{tag}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("create scratch dir");
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn git(dir: &Path, args: &[&str]) -> std::process::Output {
        crate::core::testutil::git_output(dir, args, None)
    }

    fn git_ok(dir: &Path, args: &[&str]) -> String {
        let out = git(dir, args);
        assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A repository with one commit; returns the commit's id.
    fn init_repo(dir: &Path) -> String {
        git_ok(dir, &["init", "-q", "-b", "main", "."]);
        git_ok(dir, &["commit", "-q", "--allow-empty", "-m", "one"]);
        git_ok(dir, &["rev-parse", "HEAD"])
    }

    #[test]
    fn check_for_update_is_within_git_update_ref() {
        let scratch = Scratch::new("update");
        let repo = scratch.0.as_path();
        let oid = init_repo(repo);
        let mut wrong = Vec::new();
        for &(name, expected) in UPDATES {
            let ours = check_for_update(name);
            let out = git(repo, &["update-ref", "--no-deref", name, &oid]);
            let git_wrote = out.status.success();
            let actual = match (ours.is_ok(), git_wrote) {
                (true, true) => Update::Both,
                (false, false) => Update::Neither,
                (false, true) => Update::OnlyGit,
                (true, false) => {
                    wrong.push(format!("{name:?}: we accept it but git refuses: {}", String::from_utf8_lossy(&out.stderr)));
                    continue;
                }
            };
            if actual != expected {
                wrong.push(format!("{name:?}: expected {expected:?}, got {actual:?} ({ours:?})"));
            }
            if let Err(e) = &ours {
                assert_eq!(e.code(), "ERR_INVALID_REF_NAME");
                assert_eq!(e.ref_name(), Some(name));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        for name in UPDATE_REFUSED_UNTRIED {
            assert!(check_for_update(name).is_err(), "{name:?}");
        }
    }

    #[test]
    fn names_we_accept_git_can_delete() {
        // Deletion goes through git's `refname_is_safe`; every name we let the
        // ref database write, except the worktree-prefixed ones, passes it.
        // (Not HEAD: without it the directory stops being a repository.)
        let scratch = Scratch::new("delete");
        let repo = scratch.0.as_path();
        let oid = init_repo(repo);
        for &(name, expected) in UPDATES {
            if expected != Update::Both || name == "HEAD" || name.starts_with("main-worktree/") || name.starts_with("worktrees/") {
                continue;
            }
            git_ok(repo, &["update-ref", "--no-deref", name, &oid]);
            git_ok(repo, &["update-ref", "--no-deref", "-d", name]);
        }
        // git refuses to delete names it was willing to write.
        for name in ["foo", "a/b", "FOO-BAR"] {
            git_ok(repo, &["update-ref", name, &oid]);
            assert!(!git(repo, &["update-ref", "-d", name]).status.success(), "{name}");
        }
    }

    #[test]
    fn check_for_update_reasons() {
        let reason = |name: &str| match check_for_update(name) {
            Err(Error::InvalidRefName { name: n, reason }) => {
                assert_eq!(n, name);
                reason
            }
            other => panic!("{name:?}: {other:?}"),
        };
        assert!(reason("FETCH_HEAD").contains("pseudo-ref"));
        assert!(reason("foo").contains("refs/"));
        assert!(reason("refs/heads/a..b").contains("'..'"));
        assert!(reason("worktrees/wt").contains("no ref"));
        assert!(reason("worktrees/.x/HEAD").contains("worktree id"));
        assert!(reason("main-worktree/refs/heads/x").contains("shared ref"));
        assert!(reason("main-worktree/MERGE_HEAD").contains("pseudo-ref"));
    }

    #[test]
    fn dwim_candidates_in_git_order() {
        assert_eq!(
            dwim_candidates("main"),
            [
                "main",
                "refs/main",
                "refs/tags/main",
                "refs/heads/main",
                "refs/remotes/main",
                "refs/remotes/main/HEAD",
            ]
        );
        assert_eq!(dwim_candidates("origin/x")[5], "refs/remotes/origin/x/HEAD");
    }

    #[test]
    fn per_worktree_names() {
        for name in ["HEAD", "ORIG_HEAD", "FETCH_HEAD", "REBASE-HEAD", "refs/bisect/bad", "refs/worktree/x", "refs/rewritten/onto"] {
            assert!(is_per_worktree(name), "{name}");
        }
        for name in [
            "refs/heads/main",
            "refs/tags/v1",
            "refs/bisect",
            "refs/worktreex/a",
            "refs/stash",
            "foo",
            "Head",
            "main-worktree/HEAD",
            "worktrees/wt/HEAD",
        ] {
            assert!(!is_per_worktree(name), "{name}");
        }
    }

    #[test]
    fn locations() {
        assert_eq!(location("HEAD"), Location::Current("HEAD"));
        assert_eq!(location("refs/bisect/a"), Location::Current("refs/bisect/a"));
        assert_eq!(location("refs/heads/a"), Location::Shared("refs/heads/a"));
        assert_eq!(location("foo"), Location::Shared("foo"));
        assert_eq!(location("main-worktree/HEAD"), Location::Main("HEAD"));
        assert_eq!(location("main-worktree/refs/heads/a"), Location::Shared("main-worktree/refs/heads/a"));
        assert_eq!(location("worktrees/wt/HEAD"), Location::Other { id: "wt", name: "HEAD" });
        assert_eq!(location("worktrees/wt/refs/bisect/x"), Location::Other { id: "wt", name: "refs/bisect/x" });
        assert_eq!(location("worktrees/wt"), Location::Other { id: "wt", name: "" });
        assert_eq!(location("worktrees/wt/refs/heads/a"), Location::Shared("worktrees/wt/refs/heads/a"));
    }

    /// Write each name with `git update-ref` from inside a linked worktree and
    /// see which directory git put it in.
    #[test]
    fn per_worktree_agrees_with_git() {
        let scratch = Scratch::new("worktree");
        let main = scratch.0.join("main");
        std::fs::create_dir_all(&main).expect("mkdir");
        let oid = init_repo(&main);
        git_ok(&main, &["worktree", "add", "-q", "--detach", "../wt"]);
        let wt = scratch.0.join("wt");
        let common = main.join(".git");
        let own = common.join("worktrees").join("wt");
        for name in [
            "ORIG_HEAD",
            "FOO-BAR",
            "foo",
            "refs/bisect/x",
            "refs/worktree/y",
            "refs/rewritten/z",
            "refs/heads/b",
            "refs/tags/t",
            "main-worktree/CHERRY_PICK_HEAD",
            "main-worktree/refs/bisect/m",
            "worktrees/other/refs/worktree/o",
        ] {
            git_ok(&wt, &["update-ref", "--no-deref", name, &oid]);
            let expected = match location(name) {
                Location::Current(n) => own.join(n),
                Location::Shared(n) | Location::Main(n) => common.join(n),
                Location::Other { id, name: n } => common.join("worktrees").join(id).join(n),
            };
            assert!(expected.is_file(), "{name}: git did not write {}", expected.display());
            assert_eq!(is_per_worktree(name), expected.starts_with(&own), "{name}");
        }
    }

    #[test]
    fn shorten_for_display() {
        for (full, short) in [
            ("refs/heads/main", "main"),
            ("refs/heads/feature/x", "feature/x"),
            ("refs/tags/v1", "v1"),
            ("refs/remotes/origin/main", "origin/main"),
            ("refs/remotes/origin/HEAD", "origin"),
            ("refs/remotes/HEAD", "HEAD"),
            ("refs/stash", "stash"),
            ("refs/notes/commits", "notes/commits"),
            ("refs/heads/refs/heads/x", "refs/heads/x"),
            ("HEAD", "HEAD"),
            ("FETCH_HEAD", "FETCH_HEAD"),
            ("refs/heads/", "heads/"),
            ("refs/", "refs/"),
        ] {
            assert_eq!(shorten(full), short, "{full}");
        }
    }

    /// `shorten` matches `git for-each-ref --format=%(refname:short)` where no
    /// name is ambiguous.
    #[test]
    fn shorten_agrees_with_git() {
        let scratch = Scratch::new("shorten");
        let repo = scratch.0.as_path();
        let oid = init_repo(repo);
        for name in ["refs/remotes/origin/HEAD", "refs/remotes/origin/main", "refs/tags/v1", "refs/stash", "refs/x/y", "refs/heads/a/b"] {
            git_ok(repo, &["update-ref", name, &oid]);
        }
        let listing = git_ok(repo, &["for-each-ref", "--format=%(refname) %(refname:short)"]);
        let mut n = 0;
        for line in listing.lines() {
            let (full, short) = line.split_once(' ').expect("two fields");
            assert_eq!(shorten(full), short, "{full}");
            n += 1;
        }
        assert_eq!(n, 7);
    }
}
