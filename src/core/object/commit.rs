//! Commits: `tree`, `parent`*, `author`, `committer`, then any other headers
//! (`encoding`, `gpgsig`, `mergetag`, unknown ones; multi-line values continue
//! with a leading space), a blank line, and the message, kept byte for byte.

use crate::core::object::signature::Signature;
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

impl Commit {
    /// Parse a commit's raw content.
    pub fn parse(data: &[u8]) -> Result<Commit, String> {
        let (hdrs, message_start) = headers(data)?;
        let mut it = hdrs.into_iter().peekable();
        let tree = match it.next() {
            Some((b"tree", v)) => ObjectId::from_hex(&v).ok_or("bad tree id")?,
            _ => return Err("commit does not start with a tree line".into()),
        };
        let mut parents = Vec::new();
        while let Some((b"parent", _)) = it.peek() {
            let (_, v) = it.next().expect("peeked");
            parents.push(ObjectId::from_hex(&v).ok_or("bad parent id")?);
        }
        let author = match it.next() {
            // An ident git cannot split (no `<...>`) reads as empty, as `git log` shows it.
            Some((b"author", v)) => Signature::parse(&v).unwrap_or_else(Signature::empty),
            _ => return Err("missing author line".into()),
        };
        let committer = match it.next() {
            Some((b"committer", v)) => Signature::parse(&v).unwrap_or_else(Signature::empty),
            _ => return Err("missing committer line".into()),
        };
        let mut encoding = None;
        let mut gpgsig = None;
        let mut extra_headers = Vec::new();
        for (k, v) in it {
            match k {
                b"encoding" if encoding.is_none() => encoding = Some(String::from_utf8_lossy(&v).into_owned()),
                b"gpgsig" if gpgsig.is_none() => gpgsig = Some(String::from_utf8_lossy(&v).into_owned()),
                _ => {}
            }
            extra_headers.push((String::from_utf8_lossy(k).into_owned(), v));
        }
        Ok(Commit { tree, parents, author, committer, encoding, gpgsig, extra_headers, message_start })
    }
}

/// The summary git shows in `--oneline`: the first paragraph, lines joined by spaces.
pub fn summary(message: &[u8]) -> String {
    let mut lines = Vec::new();
    let mut started = false;
    for line in message.split(|&c| c == b'\n') {
        let blank = line.iter().all(|c| c.is_ascii_whitespace());
        if blank {
            if started {
                break;
            }
            continue;
        }
        started = true;
        let t = trim_ws(line);
        lines.push(t);
    }
    let joined: Vec<u8> = lines.join(&b' ');
    String::from_utf8_lossy(&joined).into_owned()
}

fn trim_ws(mut s: &[u8]) -> &[u8] {
    while let [c, rest @ ..] = s {
        if c.is_ascii_whitespace() {
            s = rest
        } else {
            break;
        }
    }
    while let [rest @ .., c] = s {
        if c.is_ascii_whitespace() {
            s = rest
        } else {
            break;
        }
    }
    s
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
        assert_eq!(summary(&C[c.message_start..]), "Subject line second");
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
