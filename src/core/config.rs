//! Just enough of git's config format (<https://git-scm.com/docs/git-config#_syntax>):
//! `[section]` / `[section "sub"]` / `[section.sub]` headers, `key = value`
//! lines, bare `key` (true), `;`/`#` comments, quoted values with `\"`, `\\`,
//! `\n`, `\t`, `\b` escapes and `\` line continuations. Section and key names
//! are case-insensitive; subsections are not.
//!
//! Files are read with git's `include.path` / `includeIf` directives
//! ([`Config::read_with`]), and [`Config::system_and_global`] loads the system
//! and global files in git's order. Lookups return the last value, as git does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// One entry: lowercase section, subsection, lowercase key, value (`None` for a bare key).
type Entry = (String, Option<String>, String, Option<String>);

/// A parsed config: (`section`, `subsection`, `key`, `value`), in file order.
#[derive(Debug, Default, Clone)]
pub struct Config {
    entries: Vec<Entry>,
}

impl Config {
    /// Parse config text; malformed lines are skipped rather than failing the open.
    /// Includes are not followed (text has no file to be relative to): see
    /// [`Config::read_with`].
    pub fn parse(text: &str) -> Config {
        let mut entries = Vec::new();
        let mut section = String::new();
        let mut sub: Option<String> = None;
        let mut lines = text.lines();
        while let Some(raw) = lines.next() {
            let line = raw.trim_start();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            let mut rest = line;
            if let Some(r) = rest.strip_prefix('[') {
                let Some((sec, subsection, after)) = parse_header(r) else { continue };
                section = sec;
                sub = subsection;
                rest = after.trim_start();
                if rest.is_empty() || rest.starts_with('#') || rest.starts_with(';') {
                    continue;
                }
            }
            let (key, value) = match rest.find('=') {
                Some(eq) => (rest[..eq].trim(), Some(rest[eq + 1..].to_string())),
                None => (rest.split(['#', ';']).next().unwrap_or("").trim(), None),
            };
            if key.is_empty() {
                continue;
            }
            let value = value.map(|v| {
                let mut v = v;
                // Continuation lines end with an unescaped backslash.
                while v.trim_end().ends_with('\\') && !v.trim_end().ends_with("\\\\") {
                    let t = v.trim_end();
                    v = t[..t.len() - 1].to_string();
                    match lines.next() {
                        Some(n) => v.push_str(n),
                        None => break,
                    }
                }
                unquote(&v)
            });
            entries.push((section.clone(), sub.clone(), key.to_ascii_lowercase(), value));
        }
        Config { entries }
    }

    /// Read and parse a file; a missing file is an empty config. `include.path`
    /// is followed as git does (see [`Config::read_with`]); without a git dir,
    /// `includeIf "gitdir:…"` and `"onbranch:…"` never match (as in git outside a
    /// repository). `$HOME` for `~/` comes from the process environment.
    pub fn read(path: &Path) -> Config {
        Config::read_with(path, &ReadContext::default())
    }

    /// Read and parse a file with git's includes
    /// (<https://git-scm.com/docs/git-config#_includes>): `include.path` and the
    /// `path` of an `includeIf "<condition>"` section whose condition holds are
    /// read at the point of the directive (the directive itself is kept as an
    /// entry too, as git keeps it). Include paths expand `~/` (`$HOME`) and
    /// `~user/`; relative ones are relative to the including file's directory.
    /// Missing or unreadable files are skipped. Nesting stops at
    /// [`MAX_INCLUDE_DEPTH`] (git dies there; we ignore the deeper includes, so
    /// a cycle reads each file a bounded number of times and terminates).
    ///
    /// Conditions: `gitdir:` / `gitdir/i:` (matched against `ctx.git_dir`, see
    /// [`ReadContext`]) and `onbranch:` (the branch `HEAD` in `ctx.git_dir`
    /// names). `hasconfig:remote.*.url:` and unknown conditions are false.
    pub fn read_with(path: &Path, ctx: &ReadContext) -> Config {
        Config::read_with_env(path, ctx, &process_env)
    }

    /// [`Config::read_with`] with an explicit environment (for `$HOME`).
    pub(crate) fn read_with_env(path: &Path, ctx: &ReadContext, env: Env) -> Config {
        let mut out = Config::default();
        read_into(&mut out.entries, path, ctx, env, 0);
        out
    }

    /// What git calls the system and global config, in git's order (later
    /// entries win): system (`$GIT_CONFIG_SYSTEM`, else `/etc/gitconfig`; not
    /// read at all when `$GIT_CONFIG_NOSYSTEM` is a true boolean), then global
    /// (`$GIT_CONFIG_GLOBAL` alone when set, else `$XDG_CONFIG_HOME/git/config`
    /// — `~/.config/git/config` when `XDG_CONFIG_HOME` is unset or empty — then
    /// `~/.gitconfig`). Includes are followed with `ctx` as in
    /// [`Config::read_with`]. Reads the files on every call: see
    /// [`system_and_global_cached`] for the once-per-process form.
    /// `git -c` / `GIT_CONFIG_PARAMETERS` / `GIT_CONFIG_COUNT` are not read.
    pub fn system_and_global(ctx: &ReadContext) -> Config {
        Config::system_and_global_with_env(ctx, &process_env)
    }

    /// [`Config::system_and_global`] with an explicit environment.
    pub(crate) fn system_and_global_with_env(ctx: &ReadContext, env: Env) -> Config {
        let mut out = Config::default();
        for p in system_and_global_paths(env) {
            read_into(&mut out.entries, &p, ctx, env, 0);
        }
        out
    }

    /// The last value of `section.key` (no subsection). `Some(None)` is a bare key.
    /// Section and key compare case-insensitively.
    pub fn get(&self, section: &str, key: &str) -> Option<Option<&str>> {
        self.get_sub(section, None, key)
    }

    /// The last value of `section.sub.key` (`sub: None` is no subsection, as
    /// [`Config::get`]); later entries win, as in git. Section and key compare
    /// case-insensitively, the subsection exactly.
    pub fn get_sub(&self, section: &str, sub: Option<&str>, key: &str) -> Option<Option<&str>> {
        self.entries.iter().rev().find(|e| matches(e, section, sub, key)).map(|(_, _, _, v)| v.as_deref())
    }

    /// Every value of `section.sub.key` in order (as `git config --get-all`).
    pub fn get_all(&self, section: &str, sub: Option<&str>, key: &str) -> Vec<Option<&str>> {
        self.entries.iter().filter(|e| matches(e, section, sub, key)).map(|(_, _, _, v)| v.as_deref()).collect()
    }

    /// `section.key` as a boolean with git's spellings.
    pub fn get_bool(&self, section: &str, key: &str) -> Option<bool> {
        match self.get(section, key)? {
            None => Some(true),
            Some(v) => parse_bool(v),
        }
    }

    /// The subsections of `section` (`remote "origin"` → `origin`), in first-seen order.
    pub fn subsections(&self, section: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (s, sub, _, _) in &self.entries {
            if let Some(sub) = sub {
                if s.eq_ignore_ascii_case(section) && !out.contains(sub) {
                    out.push(sub.clone());
                }
            }
        }
        out
    }

    /// Every key and last value of a section without subsection (for `extensions`).
    pub fn section(&self, section: &str) -> Vec<(String, Option<String>)> {
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        for (s, sub, k, v) in &self.entries {
            if s.eq_ignore_ascii_case(section) && sub.is_none() {
                out.retain(|(k2, _)| k2 != k);
                out.push((k.clone(), v.clone()));
            }
        }
        out
    }

    /// Merge `other` after this one (its values win).
    pub fn extend(&mut self, other: Config) {
        self.entries.extend(other.entries);
    }
}

fn matches(e: &Entry, section: &str, sub: Option<&str>, key: &str) -> bool {
    e.0.eq_ignore_ascii_case(section) && e.1.as_deref() == sub && e.2.eq_ignore_ascii_case(key)
}

/// git's boolean spellings (`git_parse_maybe_bool`): true/yes/on, false/no/off,
/// the empty string (false) and integers (non-zero is true).
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => Some(true),
        "false" | "no" | "off" | "" => Some(false),
        n => n.parse::<i64>().ok().map(|n| n != 0),
    }
}

/// Where a config file is read for: what `includeIf` conditions are evaluated against.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadContext<'a> {
    /// The repository's git dir (for a linked worktree, its own dir under
    /// `worktrees/`, as git's `$GIT_DIR`). `includeIf "gitdir:…"` patterns are
    /// matched against its real path and then its absolute path as given;
    /// `"onbranch:…"` reads its `HEAD`. `None`: both conditions are false.
    pub git_dir: Option<&'a Path>,
}

/// git's `MAX_INCLUDE_DEPTH`: how deeply includes nest.
pub const MAX_INCLUDE_DEPTH: usize = 10;

/// An environment lookup (the process's, or a test's).
pub(crate) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment as an [`Env`].
pub(crate) fn process_env(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

/// The files of [`Config::system_and_global`], in order (whether they exist or not).
pub(crate) fn system_and_global_paths(env: Env) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let nosystem = env("GIT_CONFIG_NOSYSTEM").and_then(|v| parse_bool(&v)).unwrap_or(false);
    if !nosystem {
        out.push(PathBuf::from(env("GIT_CONFIG_SYSTEM").unwrap_or_else(|| "/etc/gitconfig".into())));
    }
    if let Some(g) = env("GIT_CONFIG_GLOBAL") {
        out.push(PathBuf::from(g));
        return out;
    }
    let home = env("HOME");
    match env("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        Some(x) => out.push(Path::new(&x).join("git/config")),
        None => {
            if let Some(h) = &home {
                out.push(Path::new(h).join(".config/git/config"));
            }
        }
    }
    if let Some(h) = &home {
        out.push(Path::new(h).join(".gitconfig"));
    }
    out
}

/// [`Config::system_and_global`] read once per process for each git dir and
/// each value of the environment variables that choose the files
/// (`GIT_CONFIG_NOSYSTEM`, `GIT_CONFIG_SYSTEM`, `GIT_CONFIG_GLOBAL`,
/// `XDG_CONFIG_HOME`, `HOME`): those are read on every call (cheap), the files
/// only the first time a combination is seen, so later edits to the files are
/// not picked up by a running process. The git dir is part of the key because
/// `includeIf "gitdir:…"` in a global config depends on it; an
/// `includeIf "onbranch:…"` there is evaluated for the branch checked out at
/// that first read.
pub fn system_and_global_cached(git_dir: Option<&Path>) -> Arc<Config> {
    type Key = (Option<PathBuf>, Vec<Option<String>>);
    static CACHE: OnceLock<Mutex<HashMap<Key, Arc<Config>>>> = OnceLock::new();
    const VARS: [&str; 5] =
        ["GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_GLOBAL", "XDG_CONFIG_HOME", "HOME"];
    let key: Key = (git_dir.map(Path::to_path_buf), VARS.iter().map(|v| process_env(v)).collect());
    let cache = CACHE.get_or_init(Default::default);
    if let Some(c) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return c.clone();
    }
    // Read outside the lock; a concurrent first use may read twice, harmlessly.
    let c = Arc::new(Config::system_and_global(&ReadContext { git_dir }));
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= 256 {
        map.clear();
    }
    map.entry(key).or_insert(c).clone()
}

/// Parse `path` and append its entries to `out`, following includes.
fn read_into(out: &mut Vec<Entry>, path: &Path, ctx: &ReadContext, env: Env, depth: usize) {
    let Ok(bytes) = std::fs::read(path) else { return };
    for e in Config::parse(&String::from_utf8_lossy(&bytes)).entries {
        let target = include_target(&e, path, ctx, env);
        out.push(e);
        if let Some(t) = target {
            if depth < MAX_INCLUDE_DEPTH {
                read_into(out, &t, ctx, env, depth + 1);
            }
        }
    }
}

/// The file an `include.path` / `includeIf.<cond>.path` entry read from `from` names, if any.
fn include_target(e: &Entry, from: &Path, ctx: &ReadContext, env: Env) -> Option<PathBuf> {
    let (section, sub, key, value) = e;
    if key != "path" {
        return None;
    }
    match (section.as_str(), sub) {
        ("include", None) => {}
        ("includeif", Some(cond)) => {
            if !condition_holds(cond, from, ctx, env) {
                return None;
            }
        }
        _ => return None,
    }
    // A bare `path` is an error in git; skip it.
    let p = PathBuf::from(interpolate_path(value.as_deref()?, env, false)?);
    if p.is_absolute() {
        return Some(p);
    }
    Some(match from.parent() {
        Some(dir) => dir.join(p),
        None => p,
    })
}

/// git's `interpolate_path`: `~` / `~/…` is `$HOME` (its real path when
/// `real_home`, as for `gitdir:` patterns), `~user/…` that user's home.
/// `None` when it cannot be expanded (also for `%(prefix)/`, not supported).
fn interpolate_path(p: &str, env: Env, real_home: bool) -> Option<String> {
    if p.starts_with("%(prefix)/") {
        return None;
    }
    let Some(rest) = p.strip_prefix('~') else { return Some(p.to_string()) };
    let (user, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let home = if user.is_empty() {
        let h = env("HOME")?;
        if real_home {
            std::fs::canonicalize(&h).map(|r| r.to_string_lossy().into_owned()).unwrap_or(h)
        } else {
            h
        }
    } else {
        user_home(user)?
    };
    Some(format!("{home}{tail}"))
}

/// The home directory of `user` from the password database.
fn user_home(user: &str) -> Option<String> {
    let name = std::ffi::CString::new(user).ok()?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: `passwd` is plain data that getpwnam_r fills in.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call and `buf.len()` is its size.
    let rc = unsafe { libc::getpwnam_r(name.as_ptr(), &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
    if rc != 0 || result.is_null() || pwd.pw_dir.is_null() {
        return None;
    }
    // SAFETY: on success pw_dir points to a NUL-terminated string inside `buf`.
    Some(unsafe { std::ffi::CStr::from_ptr(pwd.pw_dir) }.to_string_lossy().into_owned())
}

/// git's `include_condition_is_true`.
fn condition_holds(cond: &str, from: &Path, ctx: &ReadContext, env: Env) -> bool {
    if let Some(p) = cond.strip_prefix("gitdir:") {
        include_by_gitdir(p, false, from, ctx, env)
    } else if let Some(p) = cond.strip_prefix("gitdir/i:") {
        include_by_gitdir(p, true, from, ctx, env)
    } else if let Some(p) = cond.strip_prefix("onbranch:") {
        include_by_branch(p, ctx)
    } else {
        false
    }
}

/// git's `include_by_gitdir`: the pattern (after `prepare_include_condition_pattern`)
/// against the git dir's real path, then against its absolute path.
fn include_by_gitdir(cond: &str, icase: bool, from: &Path, ctx: &ReadContext, env: Env) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Some(git_dir) = ctx.git_dir else { return false };
    let abs = std::path::absolute(git_dir).unwrap_or_else(|_| git_dir.to_path_buf());
    let real = std::fs::canonicalize(git_dir).unwrap_or_else(|_| abs.clone());
    let mut pat = interpolate_path(cond, env, true).unwrap_or_else(|| cond.to_string()).into_bytes();
    let mut prefix = 0;
    if pat.starts_with(b"./") {
        let Ok(file) = std::fs::canonicalize(from) else { return false };
        let file = file.as_os_str().as_bytes();
        let slash = file.iter().rposition(|&c| c == b'/').unwrap_or(0);
        let mut p = file[..slash].to_vec();
        p.extend_from_slice(&pat[1..]);
        pat = p;
        prefix = slash + 1;
    } else if !pat.starts_with(b"/") {
        pat.splice(0..0, b"**/".iter().copied());
    }
    if pat.ends_with(b"/") {
        pat.extend_from_slice(b"**");
    }
    [real, abs].iter().any(|text| {
        let text = text.as_os_str().as_bytes();
        if prefix > 0 {
            if text.len() < prefix {
                return false;
            }
            let same = if icase {
                pat[..prefix].eq_ignore_ascii_case(&text[..prefix])
            } else {
                pat[..prefix] == text[..prefix]
            };
            if !same {
                return false;
            }
        }
        wildmatch(&pat[prefix..], &text[prefix..], true, icase)
    })
}

/// git's `include_by_branch`: the branch `HEAD` names (born or not), matched
/// with a trailing `/` meaning `/**`. Reads `HEAD` as a file, so a reftable
/// repository (whose `HEAD` file names `refs/heads/.invalid`) never matches.
fn include_by_branch(cond: &str, ctx: &ReadContext) -> bool {
    let Some(git_dir) = ctx.git_dir else { return false };
    let Ok(head) = std::fs::read_to_string(git_dir.join("HEAD")) else { return false };
    let Some(target) = head.trim_end().strip_prefix("ref:") else { return false };
    let Some(short) = target.trim().strip_prefix("refs/heads/") else { return false };
    if short == ".invalid" {
        return false;
    }
    let mut pat = cond.as_bytes().to_vec();
    if pat.ends_with(b"/") {
        pat.extend_from_slice(b"**");
    }
    wildmatch(&pat, short.as_bytes(), true, false)
}

/// git's `wildmatch` (wildmatch.c): `*`, `?`, `[...]` (with `!`/`^`, ranges,
/// `[:class:]`), `\` escapes; with `pathname`, `*` and `?` do not match `/`
/// and `**` between slashes (or at either end) matches any number of
/// directories. `casefold` compares ASCII case-insensitively.
pub fn wildmatch(pattern: &[u8], text: &[u8], pathname: bool, casefold: bool) -> bool {
    dowild(pattern, text, pathname, casefold) == Wild::Match
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Wild {
    Match,
    NoMatch,
    AbortAll,
    AbortToStarStar,
}

fn is_glob_special(c: u8) -> bool {
    matches!(c, b'*' | b'?' | b'[' | b'\\')
}

fn dowild(pat: &[u8], text: &[u8], pathname: bool, casefold: bool) -> Wild {
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let fold = |c: u8| if casefold { c.to_ascii_lowercase() } else { c };
    let (mut p, mut t) = (0usize, 0usize);
    while p < pat.len() {
        let mut p_ch = fold(pat[p]);
        let mut t_ch = fold(at(text, t));
        if t >= text.len() && p_ch != b'*' {
            return Wild::AbortAll;
        }
        match p_ch {
            b'?' => {
                if pathname && t_ch == b'/' {
                    return Wild::NoMatch;
                }
            }
            b'*' => {
                let match_slash;
                p += 1;
                if at(pat, p) == b'*' {
                    let before = p.checked_sub(2);
                    while at(pat, p) == b'*' {
                        p += 1;
                    }
                    if !pathname {
                        match_slash = true;
                    } else if before.is_none_or(|b| pat[b] == b'/')
                        && (p == pat.len() || pat[p] == b'/' || (pat[p] == b'\\' && at(pat, p + 1) == b'/'))
                    {
                        if at(pat, p) == b'/' && dowild(&pat[p + 1..], &text[t..], pathname, casefold) == Wild::Match {
                            return Wild::Match;
                        }
                        match_slash = true;
                    } else {
                        match_slash = false;
                    }
                } else {
                    match_slash = !pathname;
                }
                if p == pat.len() {
                    // Trailing "**" matches everything; trailing "*" only without more slashes.
                    if !match_slash && text[t..].contains(&b'/') {
                        return Wild::NoMatch;
                    }
                    return Wild::Match;
                } else if !match_slash && pat[p] == b'/' {
                    // One star followed by a slash matches the rest of this directory.
                    let Some(slash) = text[t..].iter().position(|&c| c == b'/') else { return Wild::NoMatch };
                    t += slash;
                    // The slash itself is consumed by the loop step below.
                    p += 1;
                    t += 1;
                    continue;
                }
                loop {
                    if t >= text.len() {
                        break;
                    }
                    if !is_glob_special(pat[p]) {
                        // Skip ahead to the next occurrence of the literal that follows.
                        let lit = fold(pat[p]);
                        while t < text.len() && (match_slash || text[t] != b'/') {
                            t_ch = fold(text[t]);
                            if t_ch == lit {
                                break;
                            }
                            t += 1;
                        }
                        if t >= text.len() || fold(text[t]) != lit {
                            return Wild::NoMatch;
                        }
                        t_ch = fold(text[t]);
                    }
                    let m = dowild(&pat[p..], &text[t..], pathname, casefold);
                    if m != Wild::NoMatch {
                        if !match_slash || m != Wild::AbortToStarStar {
                            return m;
                        }
                    } else if !match_slash && t_ch == b'/' {
                        return Wild::AbortToStarStar;
                    }
                    t += 1;
                    t_ch = fold(at(text, t));
                }
                return Wild::AbortAll;
            }
            b'[' => {
                p += 1;
                p_ch = at(pat, p);
                if p_ch == b'^' {
                    p_ch = b'!';
                }
                let negated = p_ch == b'!';
                if negated {
                    p += 1;
                    p_ch = at(pat, p);
                }
                let mut prev_ch = 0u8;
                let mut matched = false;
                loop {
                    if p_ch == 0 {
                        return Wild::AbortAll;
                    }
                    if p_ch == b'\\' {
                        p += 1;
                        p_ch = at(pat, p);
                        if p_ch == 0 {
                            return Wild::AbortAll;
                        }
                        if t_ch == p_ch {
                            matched = true;
                        }
                    } else if p_ch == b'-' && prev_ch != 0 && at(pat, p + 1) != 0 && at(pat, p + 1) != b']' {
                        p += 1;
                        p_ch = at(pat, p);
                        if p_ch == b'\\' {
                            p += 1;
                            p_ch = at(pat, p);
                            if p_ch == 0 {
                                return Wild::AbortAll;
                            }
                        }
                        if t_ch <= p_ch && t_ch >= prev_ch {
                            matched = true;
                        } else if casefold && t_ch.is_ascii_lowercase() {
                            let up = t_ch.to_ascii_uppercase();
                            if up <= p_ch && up >= prev_ch {
                                matched = true;
                            }
                        }
                        p_ch = 0; // so that prev_ch becomes 0
                    } else if p_ch == b'[' && at(pat, p + 1) == b':' {
                        let s = p + 2;
                        let mut q = s;
                        while at(pat, q) != 0 && at(pat, q) != b']' {
                            q += 1;
                        }
                        if at(pat, q) == 0 {
                            return Wild::AbortAll;
                        }
                        if q == s || pat[q - 1] != b':' {
                            // No ":]": a literal '['.
                            p_ch = b'[';
                            if t_ch == p_ch {
                                matched = true;
                            }
                        } else {
                            let class = &pat[s..q - 1];
                            let hit = match class {
                                b"alnum" => t_ch.is_ascii_alphanumeric(),
                                b"alpha" => t_ch.is_ascii_alphabetic(),
                                b"blank" => t_ch == b' ' || t_ch == b'\t',
                                b"cntrl" => t_ch.is_ascii_control(),
                                b"digit" => t_ch.is_ascii_digit(),
                                b"graph" => t_ch.is_ascii_graphic(),
                                b"lower" => t_ch.is_ascii_lowercase(),
                                b"print" => t_ch.is_ascii_graphic() || t_ch == b' ',
                                b"punct" => t_ch.is_ascii_punctuation(),
                                b"space" => matches!(t_ch, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
                                b"upper" => t_ch.is_ascii_uppercase() || (casefold && t_ch.is_ascii_lowercase()),
                                b"xdigit" => t_ch.is_ascii_hexdigit(),
                                _ => return Wild::AbortAll,
                            };
                            if hit {
                                matched = true;
                            }
                            p = q;
                            p_ch = 0;
                        }
                    } else if t_ch == p_ch {
                        matched = true;
                    }
                    prev_ch = p_ch;
                    p += 1;
                    p_ch = at(pat, p);
                    if p_ch == b']' {
                        break;
                    }
                }
                if matched == negated || (pathname && t_ch == b'/') {
                    return Wild::NoMatch;
                }
            }
            _ => {
                if p_ch == b'\\' {
                    // An escaped character is compared as written (git does not fold it).
                    p += 1;
                    p_ch = at(pat, p);
                }
                if t_ch != p_ch {
                    return Wild::NoMatch;
                }
            }
        }
        p += 1;
        t += 1;
    }
    if t < text.len() {
        Wild::NoMatch
    } else {
        Wild::Match
    }
}

/// A section header after its `[`: (lowercase section, subsection, the rest of
/// the line after `]`). A quoted subsection may hold any character (`]`
/// included); `\\x` in it is `x`, as in git. The legacy `[section.sub]` form
/// lowercases the subsection.
fn parse_header(r: &str) -> Option<(String, Option<String>, &str)> {
    let stop = r.find(['"', ']'])?;
    if r.as_bytes()[stop] == b']' {
        let head = &r[..stop];
        let (section, sub) = match head.find('.') {
            Some(dot) => (head[..dot].to_ascii_lowercase(), Some(head[dot + 1..].to_ascii_lowercase())),
            None => (head.trim().to_ascii_lowercase(), None),
        };
        return Some((section, sub, &r[stop + 1..]));
    }
    let section = r[..stop].trim().to_ascii_lowercase();
    let quoted = &r[stop + 1..];
    let mut sub = String::new();
    let mut end = None;
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    sub.push(n);
                }
            }
            '"' => {
                end = Some(i + 1);
                break;
            }
            c => sub.push(c),
        }
    }
    let end = end?;
    let close = end + quoted[end..].find(']')?;
    Some((section, Some(sub), &quoted[close + 1..]))
}

fn unquote(v: &str) -> String {
    let mut out = String::new();
    let mut in_q = false;
    let mut chars = v.chars().peekable();
    let mut pending_ws = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push_str(&pending_ws);
                pending_ws.clear();
                in_q = !in_q;
            }
            '\\' => {
                out.push_str(&pending_ws);
                pending_ws.clear();
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('b') => {
                        out.pop();
                    }
                    Some(o) => out.push(o),
                    None => {}
                }
            }
            '#' | ';' if !in_q => break,
            c if c.is_whitespace() && !in_q => {
                if !out.is_empty() {
                    pending_ws.push(c)
                }
            }
            c => {
                out.push_str(&pending_ws);
                pending_ws.clear();
                out.push(c)
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testutil::{self, TempDir};
    use std::process::Output;

    /// Variables that choose config files: removed from git's environment unless a test sets them.
    const CONFIG_VARS: [&str; 9] = [
        "GIT_CONFIG_NOSYSTEM",
        "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_GLOBAL",
        "XDG_CONFIG_HOME",
        "HOME",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
        "GIT_DIR",
        "GIT_COMMON_DIR",
    ];

    /// git with exactly `env` for the config variables.
    fn git_env(dir: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
        let mut c = testutil::command("git", dir);
        for v in CONFIG_VARS {
            c.env_remove(v);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        c.args(args).output().expect("git runs")
    }

    /// `git config --get-all key` in `dir`: every value, or empty when unset.
    fn git_get_all(dir: &Path, env: &[(&str, String)], key: &str) -> Vec<String> {
        let out = git_env(dir, env, &["config", "--get-all", key]);
        if out.status.code() == Some(1) {
            return Vec::new();
        }
        assert!(out.status.success(), "git config {key}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
    }

    fn split_key(key: &str) -> (&str, Option<&str>, &str) {
        let first = key.find('.').expect("section");
        let last = key.rfind('.').expect("key");
        let sub = (first != last).then(|| &key[first + 1..last]);
        (&key[..first], sub, &key[last + 1..])
    }

    /// Our last value and all values of each key equal git's.
    fn assert_same(c: &Config, dir: &Path, env: &[(&str, String)], keys: &[&str]) {
        for key in keys {
            let expected = git_get_all(dir, env, key);
            let (s, sub, k) = split_key(key);
            let all: Vec<String> = c.get_all(s, sub, k).into_iter().map(|v| v.unwrap_or("").to_string()).collect();
            assert_eq!(all, expected, "all values of {key}");
            assert_eq!(c.get_sub(s, sub, k).map(|v| v.unwrap_or("").to_string()), expected.last().cloned(), "{key}");
        }
    }

    fn lookup<'a>(env: &'a [(&'a str, String)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write config");
    }

    fn append(path: &Path, text: &str) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(path).expect("open");
        f.write_all(text.as_bytes()).expect("append");
    }

    /// A fresh repository at `<root>/work/proj`; returns its git dir.
    fn init_repo(root: &Path) -> PathBuf {
        let repo = root.join("work/proj");
        std::fs::create_dir_all(&repo).expect("mkdir");
        testutil::git_ok(&repo, &["init", "-q", "-b", "main"]);
        repo.join(".git")
    }

    #[test]
    fn includes_match_git() {
        let t = TempDir::new("config-includes");
        let root = std::fs::canonicalize(&t.0).expect("realpath");
        let gd = init_repo(&root);
        let repo = gd.parent().expect("work tree").to_path_buf();
        let r = root.display().to_string();
        let upper = r.to_uppercase();
        let env =
            vec![("HOME", r.clone()), ("GIT_CONFIG_NOSYSTEM", "1".into()), ("GIT_CONFIG_GLOBAL", "/dev/null".into())];

        write(&root.join("home.cfg"), "[t]\n\thome = yes\n\torder = home\n");
        write(
            &root.join("abs.cfg"),
            "[t]\n\tabs = yes\n\torder = abs\n[include]\n\tpath = nested/n1.cfg\n[t]\n\tafterNested = yes\n",
        );
        write(&root.join("nested/n1.cfg"), "[t]\n\tnested = n1\n\torder = n1\n[include]\n\tpath = n2.cfg\n");
        write(&root.join("nested/n2.cfg"), "[t]\n\tnested2 = n2\n\torder = n2\n");
        write(&gd.join("rel.cfg"), "[t]\n\trel = yes\n\torder = rel\n");
        let conds = [
            ("gdabs", format!("gitdir:{r}/work/proj/.git")),
            ("gdrel", "gitdir:proj/.git".to_string()),
            ("gddir", format!("gitdir:{r}/work/")),
            ("gdhome", "gitdir:~/work/*/.git".to_string()),
            ("gdhomedir", "gitdir:~/work/".to_string()),
            ("gdicase", format!("gitdir/i:{upper}/WORK/PROJ/.git")),
            ("gdcase", format!("gitdir:{upper}/WORK/PROJ/.git")),
            ("gddot", "gitdir:./".to_string()),
            ("gddotdot", "gitdir:./../.git".to_string()),
            ("gdglob", "gitdir:**/w?rk/pro[a-j]/.git".to_string()),
            ("gdnotglob", "gitdir:**/w?rk/pro[!j]/.git".to_string()),
            ("gdstar", format!("gitdir:{r}/*/.git")),
            ("gdstarstar", format!("gitdir:{r}/**/.git")),
            ("gdmiss", "gitdir:/nonexistent/".to_string()),
            ("brmain", "onbranch:main".to_string()),
            ("brfeat", "onbranch:feat/".to_string()),
            ("brglob", "onbranch:f*/x".to_string()),
            ("remote", "hasconfig:remote.*.url:https://**".to_string()),
            ("unknown", "nonsense:x".to_string()),
        ];
        let mut text = String::from("[t]\n\torder = before\n[include]\n\tpath = rel.cfg\n");
        text += &format!("\tpath = {r}/abs.cfg\n\tpath = ~/home.cfg\n\tpath = missing.cfg\n[t]\n\tafter = 1\n");
        for (name, cond) in &conds {
            write(&root.join(format!("cond/{name}.cfg")), &format!("[t]\n\t{name} = yes\n\torder = {name}\n"));
            text += &format!("[includeIf \"{cond}\"]\n\tpath = {r}/cond/{name}.cfg\n");
        }
        text += "[t]\n\tlast = yes\n";
        append(&gd.join("config"), &text);

        let mut keys: Vec<String> = [
            "t.order",
            "t.home",
            "t.abs",
            "t.afternested",
            "t.nested",
            "t.nested2",
            "t.rel",
            "t.after",
            "t.last",
            "include.path",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        keys.extend(conds.iter().map(|(n, _)| format!("t.{n}")));
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();

        let ctx = ReadContext { git_dir: Some(&gd) };
        for head in ["refs/heads/main", "refs/heads/feat/x", "refs/heads/other"] {
            testutil::git_ok(&repo, &["symbolic-ref", "HEAD", head]);
            let c = Config::read_with_env(&gd.join("config"), &ctx, &lookup(&env));
            assert_same(&c, &repo, &env, &keys);
        }
        // Spot checks that the comparison covered both outcomes.
        testutil::git_ok(&repo, &["symbolic-ref", "HEAD", "refs/heads/feat/x"]);
        let c = Config::read_with_env(&gd.join("config"), &ctx, &lookup(&env));
        for yes in
            ["gdabs", "gdrel", "gddir", "gdhome", "gdhomedir", "gdicase", "gdglob", "gdstarstar", "brfeat", "brglob"]
        {
            assert_eq!(c.get("t", yes), Some(Some("yes")), "{yes}");
        }
        for no in ["gdcase", "gdnotglob", "gdstar", "gdmiss", "remote", "unknown", "brmain"] {
            assert_eq!(c.get("t", no), None, "{no}");
        }
        // Without a git dir no condition holds, but plain includes do.
        let c = Config::read_with_env(&gd.join("config"), &ReadContext::default(), &lookup(&env));
        assert_eq!(c.get("t", "gdabs"), None);
        assert_eq!(c.get("t", "nested2"), Some(Some("n2")));
        assert_eq!(c.get("t", "order"), Some(Some("home")));
        // Config::parse does not follow includes.
        assert_eq!(Config::parse(&text).get("t", "rel"), None);
    }

    #[test]
    fn gitdir_matches_real_and_symlinked_paths() {
        // git tries the real path of the git dir, then its absolute path as given
        // (so both `gitdir:~/link/` and the resolved path match through a symlink).
        let t = TempDir::new("config-symlink");
        let root = std::fs::canonicalize(&t.0).expect("realpath");
        let gd = init_repo(&root);
        std::os::unix::fs::symlink(root.join("work"), root.join("link")).expect("symlink");
        let r = root.display().to_string();
        write(&root.join("real.cfg"), "[t]\n\treal = yes\n");
        write(&root.join("link.cfg"), "[t]\n\tlink = yes\n");
        append(
            &gd.join("config"),
            &format!("[includeIf \"gitdir:{r}/work/\"]\n\tpath = {r}/real.cfg\n[includeIf \"gitdir:~/link/\"]\n\tpath = {r}/link.cfg\n"),
        );
        let env = vec![("HOME", r.clone())];
        let via_link = root.join("link/proj/.git");
        let c = Config::read_with_env(&gd.join("config"), &ReadContext { git_dir: Some(&via_link) }, &lookup(&env));
        assert_eq!((c.get("t", "real"), c.get("t", "link")), (Some(Some("yes")), Some(Some("yes"))));
        let c = Config::read_with_env(&gd.join("config"), &ReadContext { git_dir: Some(&gd) }, &lookup(&env));
        assert_eq!((c.get("t", "real"), c.get("t", "link")), (Some(Some("yes")), None));
    }

    #[test]
    fn include_depth_is_bounded() {
        let t = TempDir::new("config-depth");
        let root = std::fs::canonicalize(&t.0).expect("realpath");
        let gd = init_repo(&root);
        let repo = gd.parent().expect("work tree").to_path_buf();
        let env = vec![("GIT_CONFIG_NOSYSTEM", "1".to_string()), ("GIT_CONFIG_GLOBAL", "/dev/null".into())];
        // config -> d1 -> ... -> d10: the deepest git allows.
        append(&gd.join("config"), "[include]\n\tpath = d1.cfg\n");
        for i in 1..=10 {
            write(
                &gd.join(format!("d{i}.cfg")),
                &format!("[d]\n\tk{i} = yes\n\tlast = {i}\n[include]\n\tpath = d{}.cfg\n", i + 1),
            );
        }
        let keys: Vec<String> = (1..=11).map(|i| format!("d.k{i}")).chain(["d.last".to_string()]).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let c = Config::read_with_env(&gd.join("config"), &ReadContext { git_dir: Some(&gd) }, &lookup(&env));
        assert_same(&c, &repo, &env, &keys);
        assert_eq!(c.get("d", "last"), Some(Some("10")));

        // One more level: git refuses ("exceeded maximum include depth"); we stop there.
        write(&gd.join("d11.cfg"), "[d]\n\tk11 = yes\n\tlast = 11\n");
        assert!(!git_env(&repo, &env, &["config", "--get", "d.last"]).status.success());
        let c = Config::read(&gd.join("config"));
        assert_eq!(c.get("d", "last"), Some(Some("10")));
        assert_eq!(c.get("d", "k11"), None);

        // A cycle terminates, each file read a bounded number of times.
        write(&gd.join("d1.cfg"), "[d]\n\tloop = a\n[include]\n\tpath = d2.cfg\n");
        write(&gd.join("d2.cfg"), "[d]\n\tloop = b\n[include]\n\tpath = d1.cfg\n");
        let c = Config::read(&gd.join("config"));
        assert_eq!(c.get_all("d", None, "loop").len(), MAX_INCLUDE_DEPTH);
    }

    #[test]
    fn system_and_global_match_git() {
        let t = TempDir::new("config-global");
        let root = std::fs::canonicalize(&t.0).expect("realpath");
        let gd = init_repo(&root);
        let repo = gd.parent().expect("work tree").to_path_buf();
        let r = root.display().to_string();
        let sys = root.join("etc/gitconfig");
        let glob = root.join("global.cfg");
        let xdg = root.join("xdg/git/config");
        let dot_config = root.join(".config/git/config");
        let home_cfg = root.join(".gitconfig");
        write(&sys, "[s]\n\tsys = yes\n\twho = sys\n\tall = sys\n");
        write(&glob, &format!("[s]\n\tglob = yes\n\twho = global\n\tall = global\n[includeIf \"gitdir:{r}/work/\"]\n\tpath = work.cfg\n"));
        write(&root.join("work.cfg"), "[s]\n\twork = yes\n\twho = work\n");
        write(&xdg, "[s]\n\txdg = yes\n\twho = xdg\n\tall = xdg\n");
        write(&dot_config, "[s]\n\tdotconfig = yes\n\twho = dotconfig\n\tall = dotconfig\n");
        write(&home_cfg, "[s]\n\thome = yes\n\twho = home\n\tall = home\n");
        append(&gd.join("config"), "[s]\n\tall = repo\n");
        let keys = ["s.sys", "s.glob", "s.work", "s.xdg", "s.dotconfig", "s.home", "s.who", "s.all"];
        let sys_s = sys.display().to_string();
        let cases: Vec<Vec<(&str, String)>> = vec![
            vec![
                ("GIT_CONFIG_SYSTEM", sys_s.clone()),
                ("GIT_CONFIG_GLOBAL", glob.display().to_string()),
                ("HOME", r.clone()),
            ],
            vec![
                ("GIT_CONFIG_SYSTEM", sys_s.clone()),
                ("GIT_CONFIG_NOSYSTEM", "true".into()),
                ("GIT_CONFIG_GLOBAL", glob.display().to_string()),
            ],
            vec![("GIT_CONFIG_SYSTEM", sys_s.clone()), ("GIT_CONFIG_NOSYSTEM", "0".into()), ("HOME", r.clone())],
            vec![("GIT_CONFIG_SYSTEM", sys_s.clone()), ("HOME", r.clone()), ("XDG_CONFIG_HOME", format!("{r}/xdg"))],
            vec![("GIT_CONFIG_NOSYSTEM", "1".into()), ("HOME", r.clone()), ("XDG_CONFIG_HOME", String::new())],
            vec![("GIT_CONFIG_NOSYSTEM", "1".into()), ("GIT_CONFIG_GLOBAL", String::new()), ("HOME", r.clone())],
        ];
        let ctx = ReadContext { git_dir: Some(&gd) };
        for env in &cases {
            let mut c = Config::system_and_global_with_env(&ctx, &lookup(env));
            c.extend(Config::read_with_env(&gd.join("config"), &ctx, &lookup(env)));
            assert_same(&c, &repo, env, &keys);
        }
        // The global file's includeIf depends on the git dir it is read for.
        let c = Config::system_and_global_with_env(&ReadContext::default(), &lookup(&cases[0]));
        assert_eq!(c.get("s", "work"), None);
        assert_eq!(c.get("s", "who"), Some(Some("global")));
        assert_eq!(system_and_global_paths(&lookup(&cases[3])), vec![sys.clone(), xdg.clone(), home_cfg.clone()]);
        assert_eq!(system_and_global_paths(&lookup(&[])), vec![PathBuf::from("/etc/gitconfig")]);
    }

    #[test]
    fn cached_system_and_global_is_read_once() {
        let t = TempDir::new("config-cache");
        let a = system_and_global_cached(Some(&t.0));
        let b = system_and_global_cached(Some(&t.0));
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn subsections_and_case() {
        let c = Config::parse(
            "[remote \"origin\"]\n\turl = a\n\tURL = b\n[remote \"Origin\"]\n\turl = c\n[Remote.Up]\n\tUrl = d\n",
        );
        assert_eq!(c.get_sub("remote", Some("origin"), "url"), Some(Some("b")));
        assert_eq!(c.get_sub("REMOTE", Some("origin"), "Url"), Some(Some("b")));
        assert_eq!(c.get_all("remote", Some("origin"), "url"), vec![Some("a"), Some("b")]);
        assert_eq!(c.get_sub("remote", Some("Origin"), "url"), Some(Some("c")));
        assert_eq!(c.get_sub("remote", Some("up"), "url"), Some(Some("d")));
        assert_eq!(c.get_sub("remote", None, "url"), None);
        assert_eq!(c.get("remote", "url"), None);
        let c = Config::parse("[a \"x]\\\"y\\\\z\"] k = v\n");
        assert_eq!(c.get_sub("a", Some("x]\"y\\z"), "k"), Some(Some("v")));
    }

    #[test]
    fn wildmatch_cases() {
        // (pattern, text, pathname, casefold, expected): from git's t3070-wildmatch.
        let cases: &[(&str, &str, bool, bool, bool)] = &[
            ("foo", "foo", true, false, true),
            ("bar", "foo", true, false, false),
            ("???", "foo", true, false, true),
            ("*f", "foo", true, false, false),
            ("*foo*", "foo", true, false, true),
            ("foo/*", "foo/bar/baz", true, false, false),
            ("foo/*", "foo/bar/baz", false, false, true),
            ("foo/**", "foo/bar/baz", true, false, true),
            ("**/foo", "foo", true, false, true),
            ("**/foo", "a/b/foo", true, false, true),
            ("**/foo", "afoo", true, false, false),
            ("foo/**/bar", "foo/bar", true, false, true),
            ("foo/**/bar", "foo/a/b/bar", true, false, true),
            ("foo**bar", "foo/baz/bar", true, false, false),
            ("foo?bar", "foo/bar", true, false, false),
            ("foo/*/bar", "foo/a/bar", true, false, true),
            ("foo/*/bar", "foo/a/b/bar", true, false, false),
            ("[ab]", "a", true, false, true),
            ("[!ab]", "a", true, false, false),
            ("[^ab]", "c", true, false, true),
            ("[a-c]x", "bx", true, false, true),
            ("[]]", "]", true, false, true),
            ("[[:digit:]]", "5", true, false, true),
            ("[[:alpha:]]", "5", true, false, false),
            ("a[/]b", "a/b", true, false, false),
            ("\\*", "*", true, false, true),
            ("\\*", "x", true, false, false),
            ("FOO", "foo", true, true, true),
            ("FOO", "foo", true, false, false),
            ("[A-Z]", "q", true, true, true),
            ("**/.git", "/tmp/x/.git", true, false, true),
            ("/tmp/**", "/tmp/x/.git", true, false, true),
            ("*/x/.git", "/tmp/x/.git", true, false, false),
        ];
        for &(p, t, pathname, fold, want) in cases {
            assert_eq!(wildmatch(p.as_bytes(), t.as_bytes(), pathname, fold), want, "{p} vs {t}");
        }
    }

    #[test]
    fn parses_git_syntax() {
        let c = Config::parse(
            "[core]\n\trepositoryformatversion = 1\n\tbare = false ; comment\n\tflag\n[extensions]\n\tobjectFormat = sha256\n[remote \"origin\"]\n\turl = \"a b\\\"c\" # x\n[Core]\n\tBare = TRUE\n",
        );
        assert_eq!(c.get("core", "repositoryformatversion"), Some(Some("1")));
        assert_eq!(c.get_bool("core", "bare"), Some(true));
        assert_eq!(c.get_bool("core", "flag"), Some(true));
        assert_eq!(c.section("extensions"), vec![("objectformat".to_string(), Some("sha256".to_string()))]);
        assert_eq!(c.get("remote", "url"), None);
    }
}
