//! Just enough of git's config format (<https://git-scm.com/docs/git-config#_syntax>):
//! `[section]` / `[section "sub"]` / `[section.sub]` headers, `key = value`
//! lines, bare `key` (true), `;`/`#` comments, quoted values with `\"`, `\\`,
//! `\n`, `\t`, `\b` escapes and `\` line continuations. Section and key names
//! are case-insensitive; subsections are not.

/// A parsed config: (`section`, `subsection`, `key`, `value`), in file order.
#[derive(Debug, Default, Clone)]
pub struct Config {
    entries: Vec<(String, Option<String>, String, Option<String>)>,
}

impl Config {
    /// Parse config text; malformed lines are skipped rather than failing the open.
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
                let Some(close) = r.find(']') else { continue };
                let head = &r[..close];
                if let Some(q) = head.find('"') {
                    section = head[..q].trim().to_ascii_lowercase();
                    let s = head[q + 1..].trim_end().trim_end_matches('"');
                    sub = Some(s.replace("\\\"", "\"").replace("\\\\", "\\"));
                } else if let Some(dot) = head.find('.') {
                    section = head[..dot].to_ascii_lowercase();
                    sub = Some(head[dot + 1..].to_ascii_lowercase());
                } else {
                    section = head.trim().to_ascii_lowercase();
                    sub = None;
                }
                rest = r[close + 1..].trim_start();
                if rest.is_empty() || rest.starts_with('#') || rest.starts_with(';') {
                    continue;
                }
            }
            let (key, value) = match rest.find('=') {
                Some(eq) => (rest[..eq].trim(), Some(rest[eq + 1..].to_string())),
                None => (rest.split(|c: char| c == '#' || c == ';').next().unwrap_or("").trim(), None),
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

    /// Read and parse a file; a missing file is an empty config.
    pub fn read(path: &std::path::Path) -> Config {
        std::fs::read(path).map(|b| Config::parse(&String::from_utf8_lossy(&b))).unwrap_or_default()
    }

    /// The last value of `section.key` (no subsection). `Some(None)` is a bare key.
    pub fn get(&self, section: &str, key: &str) -> Option<Option<&str>> {
        self.entries
            .iter()
            .rev()
            .find(|(s, sub, k, _)| s == section && sub.is_none() && k == key)
            .map(|(_, _, _, v)| v.as_deref())
    }

    /// `section.key` as a boolean with git's spellings.
    pub fn get_bool(&self, section: &str, key: &str) -> Option<bool> {
        match self.get(section, key)? {
            None => Some(true),
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Some(true),
                "false" | "no" | "off" | "0" | "" => Some(false),
                n => n.parse::<i64>().ok().map(|n| n != 0),
            },
        }
    }

    /// Every key and last value of a section without subsection (for `extensions`).
    pub fn section(&self, section: &str) -> Vec<(String, Option<String>)> {
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        for (s, sub, k, v) in &self.entries {
            if s == section && sub.is_none() {
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
