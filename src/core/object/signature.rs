//! Signatures: `Name <email> seconds +hhmm`, parsed as leniently as git's
//! `split_ident_line` (ident.c).

/// An author, committer or tagger line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub email: String,
    /// Seconds since the epoch.
    pub seconds: i64,
    /// Minutes east of UTC.
    pub offset: i32,
}

/// A signature's parts, borrowed from the object (see [`Signature::parse`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignatureRef<'a> {
    pub name: &'a [u8],
    pub email: &'a [u8],
    pub seconds: i64,
    pub offset: i32,
}

impl<'a> SignatureRef<'a> {
    /// Parse an ident line (the part after `author `); None if git cannot split it.
    pub fn parse(line: &'a [u8]) -> Option<SignatureRef<'a>> {
        let lt = line.iter().position(|&c| c == b'<')?;
        let gt = lt + line[lt..].iter().position(|&c| c == b'>')?;
        let name = trim(&line[..lt]);
        let email = &line[lt + 1..gt];
        let rest = trim(&line[gt + 1..]);
        let mut parts = rest.split(|&c| c == b' ').filter(|p| !p.is_empty());
        let seconds = parts
            .next()
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0);
        let offset = parts.next().map(parse_tz).unwrap_or(0);
        Some(SignatureRef { name, email, seconds, offset })
    }

    /// The empty signature git shows for an ident line it cannot split.
    pub fn empty() -> SignatureRef<'a> {
        SignatureRef { name: b"", email: b"", seconds: 0, offset: 0 }
    }
}

impl Signature {
    /// Parse an ident line (the part after `author `).
    pub fn parse(line: &[u8]) -> Option<Signature> {
        SignatureRef::parse(line).map(|s| Signature::from(&s))
    }

    /// The empty signature git shows for an ident line it cannot split.
    pub fn empty() -> Signature {
        Signature { name: String::new(), email: String::new(), seconds: 0, offset: 0 }
    }

    /// The `+hhmm` form of the offset.
    pub fn tz(&self) -> String {
        let sign = if self.offset < 0 { '-' } else { '+' };
        let a = self.offset.unsigned_abs();
        format!("{sign}{:02}{:02}", a / 60, a % 60)
    }
}

impl From<&SignatureRef<'_>> for Signature {
    fn from(s: &SignatureRef<'_>) -> Signature {
        Signature {
            name: String::from_utf8_lossy(s.name).into_owned(),
            email: String::from_utf8_lossy(s.email).into_owned(),
            seconds: s.seconds,
            offset: s.offset,
        }
    }
}

fn parse_tz(s: &[u8]) -> i32 {
    let (sign, digits) = match s.first() {
        Some(b'-') => (-1, &s[1..]),
        Some(b'+') => (1, &s[1..]),
        _ => (1, s),
    };
    let Some(v) = std::str::from_utf8(digits).ok().and_then(|d| d.parse::<i32>().ok()) else { return 0 };
    sign * ((v / 100) * 60 + v % 100)
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' '] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ident() {
        let s = Signature::parse(b"A U Thor <a@b.c> 1600000000 -0130").expect("parses");
        assert_eq!(s.name, "A U Thor");
        assert_eq!(s.email, "a@b.c");
        assert_eq!(s.seconds, 1_600_000_000);
        assert_eq!(s.offset, -90);
        assert_eq!(s.tz(), "-0130");
        assert!(Signature::parse(b"no email here").is_none());
    }
}
