//! Who commits and reflog entries name, as git's ident.c computes
//! `git var GIT_COMMITTER_IDENT` / `GIT_AUTHOR_IDENT`:
//!
//! - name: `GIT_<ROLE>_NAME`, else `<role>.name`, else `user.name` (config
//!   values: the last one in system, global, repository order);
//! - email: `GIT_<ROLE>_EMAIL`, else `<role>.email`, else `user.email`, else
//!   (only if no `user.email` / `author.email` / `committer.email` is configured
//!   at all, as git) `$EMAIL`;
//! - date: `GIT_<ROLE>_DATE` in any form git's `parse_date` reads (the raw
//!   `<seconds> <+hhmm>` and `@<seconds> <+hhmm>`, RFC 2822, ISO 8601, ...),
//!   else now in the local time zone.
//!
//! Name and email lose leading and trailing "crud" (whitespace, `,:;<>"\'`
//! and backslash) and any `<`, `>` or newline inside, as git's
//! `strbuf_addstr_without_crud`.
//!
//! Where git would instead guess from the system (the passwd entry's full
//! name, `user@hostname`) or refuse (an empty name), we use [`FALLBACK_NAME`]
//! and [`FALLBACK_EMAIL`]; an unparseable date, which git refuses, is now.

use std::path::Path;

use crate::core::config::{self, Config, Env};
use crate::core::object::signature::Signature;

/// The name used when none is set anywhere (or it is empty): git would take the
/// passwd entry's full name, or refuse.
pub const FALLBACK_NAME: &str = "ferrogit";
/// The email used when none is set anywhere: git would guess `user@hostname`.
pub const FALLBACK_EMAIL: &str = "ferrogit@localhost";

/// Which identity: the author or the committer of a commit (reflogs use the committer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Author,
    Committer,
}

impl Role {
    fn env_prefix(self) -> &'static str {
        match self {
            Role::Author => "GIT_AUTHOR_",
            Role::Committer => "GIT_COMMITTER_",
        }
    }
}

/// The identity settings of a repository's merged config (system, global,
/// repository), resolved once; the environment (`GIT_<ROLE>_*`, `EMAIL`) and
/// the clock are read at each [`Identity::signature`], so the values can be
/// kept for the life of a repository handle.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    user_name: Option<String>,
    user_email: Option<String>,
    author_name: Option<String>,
    author_email: Option<String>,
    committer_name: Option<String>,
    committer_email: Option<String>,
    /// Any of `user.email`, `author.email`, `committer.email` has a value (git's
    /// `IDENT_MAIL_GIVEN`): then `$EMAIL` is not consulted.
    email_given: bool,
}

impl Identity {
    /// The identity of a repository whose config (its `config` and
    /// `config.worktree`, already read) is `repo_config`, over the system and
    /// global config, which come from [`config::system_and_global_cached`]
    /// (read once per process for `git_dir` and the environment variables that
    /// locate them; `git_dir` also decides their `includeIf "gitdir:…"`).
    pub fn new(repo_config: &Config, git_dir: Option<&Path>) -> Identity {
        let base = config::system_and_global_cached(git_dir);
        Identity::from_configs(&[&base, repo_config])
    }

    /// The identity of `configs` merged in order (later ones win), with no
    /// system or global config read.
    pub fn from_configs(configs: &[&Config]) -> Identity {
        let last = |section: &str, key: &str| -> Option<String> {
            // The last occurrence wins; a bare key (an error in git) counts as unset.
            configs.iter().rev().find_map(|c| c.get(section, key)).flatten().map(str::to_string)
        };
        let email_given = ["user", "author", "committer"]
            .iter()
            .any(|s| configs.iter().any(|c| c.get_all(s, None, "email").iter().any(Option::is_some)));
        Identity {
            user_name: last("user", "name"),
            user_email: last("user", "email"),
            author_name: last("author", "name"),
            author_email: last("author", "email"),
            committer_name: last("committer", "name"),
            committer_email: last("committer", "email"),
            email_given,
        }
    }

    /// The committer (`git var GIT_COMMITTER_IDENT`), for commits and reflog entries.
    pub fn committer(&self) -> Signature {
        self.signature(Role::Committer)
    }

    /// The author (`git var GIT_AUTHOR_IDENT`).
    pub fn author(&self) -> Signature {
        self.signature(Role::Author)
    }

    /// The signature of `role`, reading the process environment now.
    pub fn signature(&self, role: Role) -> Signature {
        self.signature_with(role, &config::process_env)
    }

    /// [`Identity::signature`] with an explicit environment.
    pub(crate) fn signature_with(&self, role: Role, env: Env) -> Signature {
        let var = |what: &str| env(&format!("{}{what}", role.env_prefix()));
        let set = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        let (role_name, role_email) = match role {
            Role::Author => (&self.author_name, &self.author_email),
            Role::Committer => (&self.committer_name, &self.committer_email),
        };
        // An environment variable wins even when empty, as in git.
        let name = var("NAME")
            .or_else(|| set(role_name))
            .or_else(|| set(&self.user_name))
            .map(|n| without_crud(&n))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| FALLBACK_NAME.to_string());
        let email = var("EMAIL")
            .or_else(|| set(role_email))
            .or_else(|| set(&self.user_email))
            .or_else(|| if self.email_given { Some(String::new()) } else { env("EMAIL").filter(|e| !e.is_empty()) })
            .map(|e| without_crud(&e))
            .unwrap_or_else(|| FALLBACK_EMAIL.to_string());
        let (seconds, offset) = var("DATE").filter(|d| !d.is_empty()).and_then(|d| parse_date(&d)).unwrap_or_else(now);
        Signature { name, email, seconds, offset }
    }
}

/// The committer of a repository: `Identity::new(repo_config, git_dir).committer()`.
pub fn committer(repo_config: &Config, git_dir: Option<&Path>) -> Signature {
    Identity::new(repo_config, git_dir).committer()
}

/// The author of a repository: `Identity::new(repo_config, git_dir).author()`.
pub fn author(repo_config: &Config, git_dir: Option<&Path>) -> Signature {
    Identity::new(repo_config, git_dir).author()
}

/// git's `crud()`.
fn is_crud(c: u8) -> bool {
    c <= 32 || matches!(c, b',' | b':' | b';' | b'<' | b'>' | b'"' | b'\\' | b'\'')
}

/// git's `strbuf_addstr_without_crud`: trim crud at both ends, drop `<`, `>`
/// and newlines inside.
fn without_crud(s: &str) -> String {
    let b = s.as_bytes();
    let start = b.iter().position(|&c| !is_crud(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|&c| !is_crud(c)).map_or(start, |i| i + 1);
    // Only ASCII bytes are removed, so the rest stays valid UTF-8.
    let kept: Vec<u8> = b[start..end].iter().copied().filter(|c| !matches!(c, b'\n' | b'<' | b'>')).collect();
    String::from_utf8_lossy(&kept).into_owned()
}

/// Now, in seconds since the epoch, with the local time zone's offset (minutes east).
pub fn now() -> (i64, i32) {
    let s = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    (s, local_offset_minutes(s))
}

/// The local time zone's offset from UTC at `seconds`, in minutes east (as git
/// writes in reflogs), from the C library's `localtime_r` (honours `TZ`).
pub fn local_offset_minutes(seconds: i64) -> i32 {
    let t: libc::time_t = seconds as libc::time_t;
    // SAFETY: `tm` is plain data that localtime_r fills in.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; localtime_r is the thread-safe form.
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if ok {
        (tm.tm_gmtoff / 60) as i32
    } else {
        0
    }
}

/// A date as git's `parse_date` (date.c `parse_date_basic`) reads
/// `GIT_AUTHOR_DATE` / `GIT_COMMITTER_DATE`: `@<seconds> <±hhmm>`, a number of
/// seconds of 9 digits or more, ISO 8601 (`2005-04-07T22:13:13`, `20050407T221313`),
/// RFC 2822 (`Thu, 07 Apr 2005 22:13:13 +0200`), ctime-like forms, with
/// numeric (`+0200`, `+02:00`, `+02`) or named (`UTC`, `CEST`, ...) zones; no
/// zone means the local one at that time. Returns (seconds since the epoch,
/// minutes east of UTC), or `None` where git says "invalid date format".
/// The relative forms of `approxidate` ("yesterday") are not accepted here, as
/// in git for these variables.
pub fn parse_date(s: &str) -> Option<(i64, i32)> {
    date::parse(s.as_bytes())
}

/// A port of the parts of git's date.c that `parse_date_basic` uses.
mod date {
    #[derive(Clone, Copy, Debug)]
    struct Tm {
        year: i64,
        mon: i64,
        mday: i64,
        hour: i64,
        min: i64,
        sec: i64,
        wday: i64,
    }

    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const WEEKDAYS: [&str; 7] = ["Sundays", "Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays"];
    /// (name, hours east, dst): git's table, including its "we like summer" quirk.
    const ZONES: &[(&str, i64, i64)] = &[
        ("IDLW", -12, 0),
        ("NT", -11, 0),
        ("CAT", -10, 0),
        ("HST", -10, 0),
        ("HDT", -10, 1),
        ("YST", -9, 0),
        ("YDT", -9, 1),
        ("PST", -8, 0),
        ("PDT", -8, 1),
        ("MST", -7, 0),
        ("MDT", -7, 1),
        ("CST", -6, 0),
        ("CDT", -6, 1),
        ("EST", -5, 0),
        ("EDT", -5, 1),
        ("AST", -3, 0),
        ("ADT", -3, 1),
        ("WAT", -1, 0),
        ("GMT", 0, 0),
        ("UTC", 0, 0),
        ("Z", 0, 0),
        ("WET", 0, 0),
        ("BST", 0, 1),
        ("CET", 1, 0),
        ("MET", 1, 0),
        ("MEWT", 1, 0),
        ("MEST", 1, 1),
        ("CEST", 1, 1),
        ("MESZ", 1, 1),
        ("FWT", 1, 0),
        ("FST", 1, 1),
        ("EET", 2, 0),
        ("EEST", 2, 1),
        ("WAST", 7, 0),
        ("WADT", 7, 1),
        ("CCT", 8, 0),
        ("JST", 9, 0),
        ("EAST", 10, 0),
        ("EADT", 10, 1),
        ("GST", 10, 0),
        ("NZT", 12, 0),
        ("NZST", 12, 0),
        ("NZDT", 12, 1),
        ("IDLE", 12, 0),
    ];

    /// The byte at `i`, 0 past the end (C string semantics).
    fn at(s: &[u8], i: usize) -> u8 {
        s.get(i).copied().unwrap_or(0)
    }

    /// Decimal digits from `i`: (value, saturating; index after them). No digits: (0, i).
    fn digits(s: &[u8], i: usize) -> (u64, usize) {
        let mut v: u64 = 0;
        let mut j = i;
        while at(s, j).is_ascii_digit() {
            v = v.saturating_mul(10).saturating_add(u64::from(s[j] - b'0'));
            j += 1;
        }
        (v, j)
    }

    fn time_now() -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
    }

    fn gmtime(t: i64) -> Option<Tm> {
        let t = t as libc::time_t;
        // SAFETY: plain data filled in by gmtime_r.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are valid for the call.
        if unsafe { libc::gmtime_r(&t, &mut tm) }.is_null() {
            return None;
        }
        Some(Tm {
            year: tm.tm_year.into(),
            mon: tm.tm_mon.into(),
            mday: tm.tm_mday.into(),
            hour: tm.tm_hour.into(),
            min: tm.tm_min.into(),
            sec: tm.tm_sec.into(),
            wday: tm.tm_wday.into(),
        })
    }

    /// `mktime` (local time zone, DST looked up).
    fn mktime(tm: &Tm) -> i64 {
        // SAFETY: plain data.
        let mut c: libc::tm = unsafe { std::mem::zeroed() };
        c.tm_year = tm.year as libc::c_int;
        c.tm_mon = tm.mon as libc::c_int;
        c.tm_mday = tm.mday as libc::c_int;
        c.tm_hour = tm.hour as libc::c_int;
        c.tm_min = tm.min as libc::c_int;
        c.tm_sec = tm.sec as libc::c_int;
        c.tm_wday = tm.wday as libc::c_int;
        c.tm_isdst = -1;
        // SAFETY: `c` is a valid, initialised tm.
        unsafe { libc::mktime(&mut c) as i64 }
    }

    /// git's `tm_to_time_t`: the fields as UTC, -1 when incomplete or before 1970.
    fn tm_to_time_t(tm: &Tm) -> i64 {
        const MDAYS: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let year = tm.year - 70;
        let mut day = tm.mday;
        if year < 0 || !(0..=11).contains(&tm.mon) {
            return -1;
        }
        if tm.mon < 2 || (year + 2) % 4 != 0 {
            day -= 1;
        }
        if tm.hour < 0 || tm.min < 0 || tm.sec < 0 {
            return -1;
        }
        (year * 365 + (year + 1) / 4 + MDAYS[tm.mon as usize] + day) * 86400 + (year + 369) / 400 - (year + 69) / 100
            + tm.hour * 3600
            + tm.min * 60
            + tm.sec
    }

    /// git's `match_string`: how many leading characters of `date` match `s`
    /// case-insensitively, up to the end of the word; 0 if the word differs.
    fn match_string(date: &[u8], s: &str) -> usize {
        let s = s.as_bytes();
        let mut i = 0;
        while i < date.len() && date[i] != 0 {
            let (d, c) = (date[i], at(s, i));
            if d.eq_ignore_ascii_case(&c) {
                i += 1;
                continue;
            }
            if !d.is_ascii_alphanumeric() {
                break;
            }
            return 0;
        }
        i
    }

    fn skip_alpha(date: &[u8]) -> usize {
        let mut i = 1;
        while at(date, i).is_ascii_alphabetic() {
            i += 1;
        }
        i
    }

    fn match_alpha(date: &[u8], tm: &mut Tm, offset: &mut i64) -> usize {
        for (i, m) in MONTHS.iter().enumerate() {
            let n = match_string(date, m);
            if n >= 3 {
                tm.mon = i as i64;
                return n;
            }
        }
        for (i, d) in WEEKDAYS.iter().enumerate() {
            let n = match_string(date, d);
            if n >= 3 {
                tm.wday = i as i64;
                return n;
            }
        }
        for &(name, hours, dst) in ZONES {
            let n = match_string(date, name);
            if n >= 3 || n == name.len() {
                if *offset == -1 {
                    *offset = 60 * (hours + dst);
                }
                return n;
            }
        }
        if match_string(date, "PM") == 2 {
            tm.hour = (tm.hour % 12) + 12;
            return 2;
        }
        if match_string(date, "AM") == 2 {
            tm.hour %= 12;
            return 2;
        }
        // ISO 8601 allows yyyymmDD'T'HHMMSS, with less precision.
        if at(date, 0) == b'T' && at(date, 1).is_ascii_digit() && tm.hour == -1 {
            tm.min = 0;
            tm.sec = 0;
            return 1;
        }
        skip_alpha(date)
    }

    fn set_date(year: i64, month: i64, day: i64, now_tm: Option<&Tm>, now: i64, tm: &mut Tm) -> i32 {
        if !(month > 0 && month < 13 && day > 0 && day < 32) {
            return -1;
        }
        let mut r = *tm;
        r.mon = month - 1;
        r.mday = day;
        let rc = if year == -1 {
            match now_tm {
                None => 1,
                Some(n) => {
                    r.year = n.year;
                    0
                }
            }
        } else if year >= 1970 {
            r.year = year - 1900;
            0
        } else if year > 70 && year < 100 {
            r.year = year;
            0
        } else if year < 38 {
            r.year = year + 100;
            0
        } else {
            -1
        };
        if now_tm.is_none() {
            // git works on `tm` itself in this case, whatever the outcome.
            *tm = r;
            return rc;
        }
        if rc != 0 {
            return rc;
        }
        let specified = tm_to_time_t(&r);
        // No dates more than ten days in the future.
        if specified != -1 && now + 10 * 24 * 3600 < specified {
            return -1;
        }
        tm.mon = r.mon;
        tm.mday = r.mday;
        if year != -1 {
            tm.year = r.year;
        }
        0
    }

    fn set_time(hour: i64, minute: i64, second: i64, tm: &mut Tm) -> i32 {
        if (0..=24).contains(&hour) && (0..60).contains(&minute) && (0..=60).contains(&second) {
            tm.hour = hour;
            tm.min = minute;
            tm.sec = second;
            return 0;
        }
        -1
    }

    fn is_date_known(tm: &Tm) -> bool {
        tm.year != -1 && tm.mon != -1 && tm.mday != -1
    }

    fn match_multi_number(num: i64, c: u8, date: &[u8], end: usize, tm: &mut Tm) -> usize {
        let (num2, mut end) = digits(date, end + 1);
        let num2 = num2 as i64;
        let mut num3: i64 = -1;
        if at(date, end) == c && at(date, end + 1).is_ascii_digit() {
            let (n3, e) = digits(date, end + 1);
            num3 = n3 as i64;
            end = e;
        }
        match c {
            b':' => {
                if num3 < 0 {
                    num3 = 0;
                }
                if set_time(num, num2, num3, tm) != 0 {
                    return 0;
                }
                // A fraction of a second after a full date and time is skipped.
                if at(date, end) == b'.' && at(date, end + 1).is_ascii_digit() && is_date_known(tm) {
                    end = digits(date, end + 1).1;
                }
            }
            _ => {
                let now = time_now();
                let now_tm = gmtime(now);
                let refuse_future = now_tm.as_ref();
                let ok = (num > 70
                    && (set_date(num, num2, num3, None, now, tm) == 0
                        || set_date(num, num3, num2, None, now, tm) == 0))
                    || (c != b'.' && set_date(num3, num, num2, refuse_future, now, tm) == 0)
                    || set_date(num3, num2, num, refuse_future, now, tm) == 0
                    || (c == b'.' && set_date(num3, num, num2, refuse_future, now, tm) == 0);
                if !ok {
                    return 0;
                }
            }
        }
        end
    }

    fn nodate(tm: &Tm) -> bool {
        (tm.year & tm.mon & tm.mday & tm.hour & tm.min & tm.sec) < 0
    }

    fn maybe_iso8601(tm: &Tm) -> bool {
        tm.hour == -1 && tm.min == 0 && tm.sec == 0
    }

    fn match_digit(date: &[u8], tm: &mut Tm, offset: &mut i64, tm_gmt: &mut bool) -> usize {
        let (unum, mut end) = digits(date, 0);
        // Seconds since the epoch: any number of more than 8 digits.
        if unum >= 100_000_000 && nodate(tm) {
            if let Some(g) = gmtime(unum as i64) {
                *tm = g;
                *tm_gmt = true;
                return end;
            }
        }
        let num = unum as i64;
        let sep = at(date, end);
        if matches!(sep, b':' | b'.' | b'/' | b'-') && at(date, end + 1).is_ascii_digit() {
            let m = match_multi_number(num, sep, date, end, tm);
            if m != 0 {
                return m;
            }
        }
        let n = end;
        // 8 digits: compact ISO 8601 date YYYYmmDD; 6 digits: time HHMMSS.
        if n == 8 || n == 6 {
            let (n1, n2, n3) = (num / 10000, (num % 10000) / 100, num % 100);
            if n == 8 {
                set_date(n1, n2, n3, None, time_now(), tm);
            } else if set_time(n1, n2, n3, tm) == 0 && at(date, end) == b'.' && at(date, end + 1).is_ascii_digit() {
                end = digits(date, end + 1).1;
            }
            return end;
        }
        // Reduced precision ISO 8601 time after a 'T': HHMM or HH.
        if maybe_iso8601(tm) {
            let (n1, n2) = if n == 4 { (num / 100, num % 100) } else { (num, 0) };
            if (n == 4 || n == 2) && !nodate(tm) && set_time(n1, n2, 0, tm) == 0 {
                return n;
            }
            tm.min = -1;
            tm.sec = -1;
        }
        // Four-digit year or a time zone?
        if n == 4 {
            if num <= 1400 && *offset == -1 {
                *offset = (num / 100) * 60 + num % 100;
            } else if num > 1900 && num < 2100 {
                tm.year = num - 1900;
            }
            return n;
        }
        if n > 2 {
            return n;
        }
        // Day of month first: "01 Apr 05" is April 1st, 2005.
        if num > 0 && num < 32 && tm.mday < 0 {
            tm.mday = num;
            return n;
        }
        if n == 2 && tm.year < 0 {
            if num < 10 && tm.mday >= 0 {
                tm.year = num + 100;
                return n;
            }
            if num >= 70 {
                tm.year = num;
                return n;
            }
        }
        if num > 0 && num < 13 && tm.mon < 0 {
            tm.mon = num - 1;
        }
        n
    }

    fn match_tz(date: &[u8], offset: &mut i64) -> usize {
        let (h, mut end) = digits(date, 1);
        let n = end - 1;
        let mut hour = h as i64;
        let mut min: i64 = 0;
        if n == 4 {
            min = hour % 100;
            hour /= 100;
        } else if n != 2 {
            min = 99;
        } else if at(date, end) == b':' {
            let (m, e) = digits(date, end + 1);
            min = m as i64;
            end = e;
            if end - 1 != 5 {
                min = 99;
            }
        }
        if min < 60 && hour < 24 {
            let o = hour * 60 + min;
            *offset = if date[0] == b'-' { -o } else { o };
        }
        end
    }

    /// `<digits> <±hhmm>` exactly (after an `@`).
    fn match_object_header_date(date: &[u8]) -> Option<(i64, i32)> {
        if !at(date, 0).is_ascii_digit() {
            return None;
        }
        let (stamp, end) = digits(date, 0);
        if at(date, end) != b' ' || stamp == u64::MAX || !matches!(at(date, end + 1), b'+' | b'-') {
            return None;
        }
        let d = end + 2;
        let (ofs, e) = digits(date, d);
        if (at(date, e) != 0 && at(date, e) != b'\n') || e != d + 4 {
            return None;
        }
        let ofs = ofs as i64;
        let mut ofs = (ofs / 100) * 60 + ofs % 100;
        if date[d - 1] == b'-' {
            ofs = -ofs;
        }
        Some((i64::try_from(stamp).ok()?, ofs as i32))
    }

    /// git's `parse_date_basic`.
    pub(super) fn parse(date: &[u8]) -> Option<(i64, i32)> {
        let mut tm = Tm { year: -1, mon: -1, mday: -1, hour: -1, min: -1, sec: -1, wday: 0 };
        let mut offset: i64 = -1;
        let mut tm_gmt = false;
        if at(date, 0) == b'@' {
            if let Some(r) = match_object_header_date(&date[1..]) {
                return Some(r);
            }
        }
        let mut i = 0;
        while i < date.len() {
            let c = date[i];
            if c == 0 || c == b'\n' {
                break;
            }
            let rest = &date[i..];
            let m = if c.is_ascii_alphabetic() {
                match_alpha(rest, &mut tm, &mut offset)
            } else if c.is_ascii_digit() {
                match_digit(rest, &mut tm, &mut offset, &mut tm_gmt)
            } else if (c == b'-' || c == b'+') && at(rest, 1).is_ascii_digit() {
                match_tz(rest, &mut offset)
            } else {
                0
            };
            i += m.max(1);
        }
        let mut ts = tm_to_time_t(&tm);
        if ts == -1 {
            return None;
        }
        if offset == -1 {
            let local = mktime(&tm);
            offset = if ts > local { (ts - local) / 60 } else { -((local - ts) / 60) };
        }
        if !tm_gmt {
            if offset > 0 && offset * 60 > ts {
                return None;
            }
            ts -= offset * 60;
        }
        Some((ts, i32::try_from(offset).ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testutil::{self, TempDir};
    use std::path::PathBuf;

    /// Variables that matter to `git var`: removed unless a case sets them.
    const VARS: [&str; 17] = [
        "GIT_CONFIG_NOSYSTEM",
        "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_GLOBAL",
        "XDG_CONFIG_HOME",
        "HOME",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
        "GIT_DIR",
        "EMAIL",
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_AUTHOR_DATE",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_COMMITTER_DATE",
        "GIT_TEST_DATE_NOW",
        "GIT_CONFIG",
    ];

    /// `git var <what>` in `dir` with exactly `env` for [`VARS`]; `None` when git refuses.
    fn git_var(dir: &std::path::Path, env: &[(&str, String)], what: &str) -> Option<Signature> {
        let mut c = testutil::command("git", dir);
        for v in VARS {
            c.env_remove(v);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.args(["var", what]).output().expect("git runs");
        if !out.status.success() {
            return None;
        }
        Signature::parse(String::from_utf8_lossy(&out.stdout).trim_end_matches('\n').as_bytes())
    }

    fn lookup<'a>(env: &'a [(&'a str, String)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
    }

    struct Setup {
        _t: TempDir,
        root: PathBuf,
        repo: PathBuf,
        git_dir: PathBuf,
    }

    fn setup(tag: &str) -> Setup {
        let t = TempDir::new(tag);
        let root = std::fs::canonicalize(&t.0).expect("realpath");
        let repo = root.join("work/proj");
        std::fs::create_dir_all(&repo).expect("mkdir");
        testutil::git_ok(&repo, &["init", "-q"]);
        let git_dir = repo.join(".git");
        Setup { _t: t, root, repo, git_dir }
    }

    /// Our identity for `env` (system + global as `env` locates them, then the repository's config).
    fn ours(s: &Setup, env: &[(&str, String)], role: Role) -> Signature {
        let ctx = config::ReadContext { git_dir: Some(&s.git_dir) };
        let base = Config::system_and_global_with_env(&ctx, &lookup(env));
        let repo = Config::read_with_env(&s.git_dir.join("config"), &ctx, &lookup(env));
        Identity::from_configs(&[&base, &repo]).signature_with(role, &lookup(env))
    }

    #[test]
    fn identities_match_git_var() {
        let s = setup("identity");
        let r = s.root.display().to_string();
        let sys = s.root.join("system.cfg");
        let glob = s.root.join("global.cfg");
        let repo_cfg = s.git_dir.join("config");
        let base_repo_cfg = std::fs::read_to_string(&repo_cfg).expect("config");
        let date = ("GIT_COMMITTER_DATE", "1700000000 +0130".to_string());
        let adate = ("GIT_AUTHOR_DATE", "1600000000 -0700".to_string());
        let files = |env: &mut Vec<(&str, String)>| {
            env.push(("GIT_CONFIG_SYSTEM", sys.display().to_string()));
            env.push(("GIT_CONFIG_GLOBAL", glob.display().to_string()));
            env.push(("HOME", r.clone()));
        };
        // (system, global, repository config, extra environment)
        type Case<'a> = (&'a str, &'a str, &'a str, Vec<(&'a str, String)>);
        let work_if = format!("[includeIf \"gitdir:{r}/work/\"]\n\tpath = {r}/work.cfg\n");
        std::fs::write(s.root.join("work.cfg"), "[user]\n\tname = Work Name\n\temail = work@example.com\n")
            .expect("write");
        let global_with_if = format!("[user]\n\tname = Global\n\temail = global@example.com\n{work_if}");
        let cases: Vec<Case> = vec![
            ("[user]\n\tname = Sys Name\n", "[user]\n\temail = g@example.com\n", "", vec![]),
            (
                "[user]\n\tname = Sys\n\temail = s@x\n",
                "[user]\n\tname = Glob\n",
                "[user]\n\tname = Repo Name\n",
                vec![],
            ),
            (
                "",
                "[committer]\n\tname = Comm\n[author]\n\temail = auth@x\n",
                "[user]\n\tname = U\n\temail = u@x\n",
                vec![],
            ),
            (
                "",
                "[user]\n\tname = U\n\temail = u@x\n",
                "",
                vec![("GIT_COMMITTER_NAME", "Env C".into()), ("GIT_AUTHOR_EMAIL", "env@a".into())],
            ),
            ("", "[user]\n\tname = U\n", "", vec![("EMAIL", "from-env@x".into())]),
            ("", "[user]\n\tname = U\n[author]\n\temail = a@x\n", "", vec![("EMAIL", "from-env@x".into())]),
            ("", "[user]\n\tname = U\n\temail = \n", "", vec![("EMAIL", "from-env@x".into())]),
            ("", "[user]\n\tname = \" ,\\\"Al <b>\\\\ice.; \"\n\temail = \" <x@y>.\"\n", "", vec![]),
            ("", "[user]\n\tname = U\n\temail = u@x\n", "", vec![("GIT_COMMITTER_EMAIL", String::new())]),
            ("", &global_with_if, "", vec![]),
            ("", &global_with_if, "[user]\n\tname = Repo\n", vec![]),
            ("", "[committer]\n\tname = \n[user]\n\tname = U\n\temail = u@x\n", "", vec![]),
            ("[user]\n\tname = S\n\temail = s@x\n", "", "", vec![("GIT_CONFIG_NOSYSTEM", "1".into())]),
        ];
        for (i, (sys_text, glob_text, repo_text, extra)) in cases.iter().enumerate() {
            std::fs::write(&sys, sys_text).expect("write");
            std::fs::write(&glob, glob_text).expect("write");
            std::fs::write(&repo_cfg, format!("{base_repo_cfg}{repo_text}")).expect("write");
            let mut env = vec![date.clone(), adate.clone()];
            files(&mut env);
            env.extend(extra.iter().cloned());
            for (role, what) in [(Role::Committer, "GIT_COMMITTER_IDENT"), (Role::Author, "GIT_AUTHOR_IDENT")] {
                let mine = ours(&s, &env, role);
                match git_var(&s.repo, &env, what) {
                    Some(expected) => assert_eq!(mine, expected, "case {i} {what}"),
                    // git refuses (no name at all, or an empty one): we fall back.
                    None => assert_eq!(mine.name, FALLBACK_NAME, "case {i} {what}"),
                }
            }
        }
    }

    #[test]
    fn falls_back_when_nothing_is_set() {
        let empty = Identity::default();
        let s = empty.signature_with(Role::Committer, &|_| None);
        assert_eq!((s.name.as_str(), s.email.as_str()), (FALLBACK_NAME, FALLBACK_EMAIL));
        let (now_s, now_off) = now();
        assert!((s.seconds - now_s).abs() < 60);
        assert_eq!(s.offset, now_off);
        // Only crud in the name: git refuses; we fall back too.
        let c = Config::parse("[user]\n\tname = \" ;<> \"\n\temail = e@x\n");
        let s = Identity::from_configs(&[&c]).signature_with(Role::Author, &|_| None);
        assert_eq!((s.name.as_str(), s.email.as_str()), (FALLBACK_NAME, "e@x"));
        // An unparseable date is now (git refuses it).
        let s = Identity::from_configs(&[&c])
            .signature_with(Role::Author, &|k| (k == "GIT_AUTHOR_DATE").then(|| "garbage".to_string()));
        assert!((s.seconds - now_s).abs() < 60);
    }

    #[test]
    fn current_time_matches_git() {
        // No GIT_COMMITTER_DATE: now, in the local zone (both read the same TZ).
        let s = setup("identity-now");
        let env = vec![("GIT_COMMITTER_NAME", "C".to_string()), ("GIT_COMMITTER_EMAIL", "c@x".to_string())];
        let before = now().0;
        let expected = git_var(&s.repo, &env, "GIT_COMMITTER_IDENT").expect("git var");
        let mine = ours(&s, &env, Role::Committer);
        assert!(expected.seconds >= before && mine.seconds >= expected.seconds && mine.seconds - expected.seconds < 60);
        assert_eq!(mine.offset, expected.offset);
        assert_eq!(local_offset_minutes(mine.seconds), mine.offset);
    }

    #[test]
    fn dates_match_git() {
        let s = setup("identity-dates");
        let dates = [
            "1700000000 +0000",
            "1700000000 +0530",
            "1700000000 -0845",
            "1700000000 +0090",
            "1700000000",
            "@1700000000 +0530",
            "@1700000000",
            "@0 +0000",
            "@123 -0100",
            "123 +0000",
            "2005-04-07T22:13:13",
            "2005-04-07T22:13:13Z",
            "2005-04-07T22:13:13.019+02:00",
            "2005-04-07 22:13:13 +0200",
            "2005-04-07 22:13:13 -02",
            "2005-04-07",
            "2005.04.07 22:13:13 UTC",
            "04/07/2005 22:13:13 +0000",
            "07.04.2005 22:13:13 +0000",
            "Thu, 07 Apr 2005 22:13:13 +0200",
            "Thu Apr 7 22:13:13 2005 -0700",
            "Thu Apr 7 22:13:13 2005 CEST",
            "Apr 7 2005 10:13:13 PM EST",
            "20050407T221313",
            "20050407T2213 +0100",
            "7 April 2005 22:13 -0000",
            "1969-12-31 23:59:59 +0000",
            "1970-01-01 01:00:00 +0100",
            "2099-01-01 00:00:00 +0000",
            "garbage",
            "12:00",
            "yesterday",
        ];
        for d in dates {
            let env = vec![
                ("GIT_COMMITTER_NAME", "C".to_string()),
                ("GIT_COMMITTER_EMAIL", "c@x".to_string()),
                ("GIT_COMMITTER_DATE", d.to_string()),
            ];
            let expected = git_var(&s.repo, &env, "GIT_COMMITTER_IDENT").map(|sig| (sig.seconds, sig.offset));
            assert_eq!(parse_date(d), expected, "{d}");
        }
    }

    #[test]
    fn crud_is_stripped_as_git_does() {
        assert_eq!(without_crud(" ,\"Al <b>\\ice.; "), "Al b\\ice.");
        assert_eq!(without_crud("\n<x@y>\n"), "x@y");
        assert_eq!(without_crud("Jöhn\nDoe"), "JöhnDoe");
        assert_eq!(without_crud(";;"), "");
    }
}
