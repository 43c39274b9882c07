//! Commits: `tree`, `parent`*, `author`, `committer`, then any other headers
//! (`encoding`, `gpgsig`, `mergetag`, unknown ones; multi-line values continue
//! with a leading space), a blank line, and the message, kept byte for byte.

use std::borrow::Cow;

use crate::core::object::signature::{Signature, SignatureRef};
use crate::core::oid::ObjectId;

/// A parsed commit. The raw bytes stay with the object; this holds the fields.
#[derive(Clone, Debug)]
pub struct Commit {
    pub tree: ObjectId,
    pub parents: Vec<ObjectId>,
    pub author: Signature,
    pub committer: Signature,
    pub encoding: Option<String>,
    pub gpgsig: Option<String>,
    /// Every header other than tree/parent/author/committer, in order, values unfolded.
    pub extra_headers: Vec<(String, Vec<u8>)>,
    /// Byte offset of the message in the raw data.
    pub message_start: usize,
}

/// Split headers: yields (name, value with continuation lines joined by '\n'),
/// and returns the offset of the message.
pub(crate) fn headers(data: &[u8]) -> Result<(Vec<(&[u8], Vec<u8>)>, usize), String> {
    let mut out: Vec<(&[u8], Vec<u8>)> = Vec::new();
    let mut pos = 0;
    loop {
        if pos >= data.len() {
            return Ok((out, data.len()));
        }
        let end = data[pos..].iter().position(|&c| c == b'\n').map(|e| pos + e);
        let line = &data[pos..end.unwrap_or(data.len())];
        let next = end.map(|e| e + 1).unwrap_or(data.len());
        if line.is_empty() {
            return Ok((out, next));
        }
        if line[0] == b' ' {
            let last = out.last_mut().ok_or("continuation line before any header")?;
            last.1.push(b'\n');
            last.1.extend_from_slice(&line[1..]);
        } else {
            let sp = line.iter().position(|&c| c == b' ');
            let (k, v) = match sp {
                Some(i) => (&line[..i], &line[i + 1..]),
                None => (line, &line[line.len()..]),
            };
            out.push((k, v.to_vec()));
        }
        pos = next;
    }
}

/// One header of an object: its name, and its value with any continuation
/// lines joined by '\n' (borrowed unless it has some).
pub type Header<'a> = (&'a [u8], Cow<'a, [u8]>);

/// The headers of an object, borrowed, as [`headers`] splits them; the
/// message starts at [`HeaderIter::message_start`] once the iterator is done.
pub struct HeaderIter<'a> {
    data: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> HeaderIter<'a> {
    pub fn new(data: &'a [u8]) -> HeaderIter<'a> {
        HeaderIter { data, pos: 0, done: false }
    }

    /// Where the message starts (the end of the data if there is no blank line).
    pub fn message_start(&self) -> usize {
        self.pos
    }

    fn line(&self, at: usize) -> (&'a [u8], usize) {
        let data = self.data;
        match data[at..].iter().position(|&c| c == b'\n') {
            Some(e) => (&data[at..at + e], at + e + 1),
            None => (&data[at..], data.len()),
        }
    }
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = Result<Header<'a>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.data.len() {
            self.done = true;
            self.pos = self.pos.min(self.data.len());
            return None;
        }
        let (line, next) = self.line(self.pos);
        if line.is_empty() {
            self.done = true;
            self.pos = next;
            return None;
        }
        if line[0] == b' ' {
            self.done = true;
            return Some(Err("continuation line before any header".into()));
        }
        let (k, v) = match line.iter().position(|&c| c == b' ') {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, &line[line.len()..]),
        };
        let mut value = Cow::Borrowed(v);
        self.pos = next;
        while self.pos < self.data.len() && self.data[self.pos] == b' ' {
            let (cont, next) = self.line(self.pos);
            let v = value.to_mut();
            v.push(b'\n');
            v.extend_from_slice(&cont[1..]);
            self.pos = next;
        }
        Some(Ok((k, value)))
    }
}

/// A commit's fields, borrowed from its raw content: what [`Commit::parse`]
/// gives, without copying (for making many commits at once).
pub struct CommitRef<'a> {
    pub tree: ObjectId,
    pub parents: Vec<ObjectId>,
    /// The `author` and `committer` values (see [`CommitRef::author`]).
    pub author_line: Cow<'a, [u8]>,
    pub committer_line: Cow<'a, [u8]>,
    pub encoding: Option<Cow<'a, [u8]>>,
    pub gpgsig: Option<Cow<'a, [u8]>>,
    /// Every header other than tree/parent/author/committer, in order.
    pub extra_headers: Vec<Header<'a>>,
    pub message_start: usize,
}

impl<'a> CommitRef<'a> {
    /// Parse a commit's raw content (the one commit parser).
    pub fn parse(data: &'a [u8]) -> Result<CommitRef<'a>, String> {
        let mut it = HeaderIter::new(data);
        let mut next = || it.next().transpose();
        let tree = match next()? {
            Some((b"tree", v)) => ObjectId::from_hex(&v).ok_or("bad tree id")?,
            _ => return Err("commit does not start with a tree line".into()),
        };
        let mut parents = Vec::new();
        let mut h = next()?;
        while let Some((b"parent", v)) = &h {
            parents.push(ObjectId::from_hex(v).ok_or("bad parent id")?);
            h = next()?;
        }
        let author_line = match h {
            Some((b"author", v)) => v,
            _ => return Err("missing author line".into()),
        };
        let committer_line = match next()? {
            Some((b"committer", v)) => v,
            _ => return Err("missing committer line".into()),
        };
        let mut encoding = None;
        let mut gpgsig = None;
        let mut extra_headers = Vec::new();
        while let Some((k, v)) = next()? {
            match k {
                b"encoding" if encoding.is_none() => encoding = Some(v.clone()),
                b"gpgsig" if gpgsig.is_none() => gpgsig = Some(v.clone()),
                _ => {}
            }
            extra_headers.push((k, v));
        }
        drop(next);
        Ok(CommitRef { tree, parents, author_line, committer_line, encoding, gpgsig, extra_headers, message_start: it.message_start() })
    }

    /// The author. An ident git cannot split (no `<...>`) reads as empty, as `git log` shows it.
    pub fn author(&self) -> SignatureRef<'_> {
        SignatureRef::parse(&self.author_line).unwrap_or_else(SignatureRef::empty)
    }

    /// The committer, as [`CommitRef::author`].
    pub fn committer(&self) -> SignatureRef<'_> {
        SignatureRef::parse(&self.committer_line).unwrap_or_else(SignatureRef::empty)
    }
}

impl Commit {
    /// Parse a commit's raw content.
    pub fn parse(data: &[u8]) -> Result<Commit, String> {
        let c = CommitRef::parse(data)?;
        let text = |v: &Cow<[u8]>| String::from_utf8_lossy(v).into_owned();
        let author = Signature::from(&c.author());
        let committer = Signature::from(&c.committer());
        Ok(Commit {
            tree: c.tree,
            parents: c.parents,
            author,
            committer,
            encoding: c.encoding.as_ref().map(text),
            gpgsig: c.gpgsig.as_ref().map(text),
            extra_headers: c.extra_headers.into_iter().map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), v.into_owned())).collect(),
            message_start: c.message_start,
        })
    }
}

/// git's `isspace` (sane-ctype.h): space, tab, CR and LF only.
fn is_git_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// The summary git shows for `%s` and `--oneline` (pretty.c `format_subject`):
/// leading blank lines skipped, then the lines of the first paragraph, each
/// without its trailing whitespace, joined by spaces.
pub fn summary(message: &[u8]) -> String {
    let mut out: Vec<u8> = Vec::new();
    summary_into(message, &mut out);
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// [`summary`]'s bytes, appended to `out` as they are (not checked as UTF-8).
pub fn summary_into(message: &[u8], out: &mut Vec<u8>) {
    let mut started = false;
    for line in message.split(|&c| c == b'\n') {
        let end = line.iter().rposition(|&c| !is_git_space(c)).map_or(0, |p| p + 1);
        if end == 0 {
            if started {
                break;
            }
            continue;
        }
        if started {
            out.push(b' ');
        }
        started = true;
        out.extend_from_slice(&line[..end]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: &[u8] = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
parent ce013625030ba8dba906f756967f9e9ca394464a\n\
author A <a@x> 1 +0000\n\
committer C <c@x> 2 +0100\n\
encoding ISO-8859-1\n\
gpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\
x-unknown value\n\
\n\
Subject line\n  second\n\nbody\n";

    #[test]
    fn parses_all_headers() {
        let c = Commit::parse(C).expect("parses");
        assert_eq!(c.parents.len(), 1);
        assert_eq!(c.encoding.as_deref(), Some("ISO-8859-1"));
        assert_eq!(
            c.gpgsig.as_deref(),
            Some("-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----")
        );
        assert_eq!(c.extra_headers.len(), 3);
        assert_eq!(&C[c.message_start..], b"Subject line\n  second\n\nbody\n");
        // As `git log --format=%s` shows it: the second line keeps its indent.
        assert_eq!(summary(&C[c.message_start..]), "Subject line   second");
        // As git's %s: leading blank lines skipped, leading spaces kept, trailing
        // ones (space, tab, CR) dropped, a form feed is not a space.
        assert_eq!(summary(b"\n \t\n  indented \t\r\nnext\x0c\n\nbody"), "  indented next\x0c");
        assert_eq!(summary(b""), "");
        assert_eq!(summary(b"\n\n"), "");
        assert_eq!(c.committer.offset, 60);
    }

    #[test]
    fn rejects_garbage() {
        assert!(Commit::parse(b"garbage").is_err());
        assert!(Commit::parse(b"tree 123\n").is_err());
    }

    #[test]
    fn an_ident_git_cannot_split_reads_as_empty() {
        let raw = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Just A Name\ncommitter C <c@d> 1700000000 +0000\n\nmsg\n";
        let c = Commit::parse(raw).expect("git log shows it, so it parses");
        assert_eq!(c.author, Signature::empty());
        assert_eq!(c.committer.email, "c@d");
    }
}
