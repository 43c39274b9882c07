//! Revisions: a subset of git's `rev-parse` grammar (gitrevisions(7)) — a full
//! or abbreviated (4+ hex) object id or a ref name by DWIM, followed by any of
//! `~N`, `^N`, `^{}`, `^{commit|tree|blob|tag}`, or `rev:path` (a tree entry,
//! resolved as git does by `treeops::resolve_path`). History walks are in `log`.

use crate::core::error::{Error, Result};
use crate::core::object::{Kind, Parsed};
use crate::core::odb::ObjectStore;
use crate::core::oid::{ObjectId, Prefix};
use crate::core::repo::Repository;

fn invalid(spec: &str, reason: impl Into<String>) -> Error {
    Error::InvalidRevision { spec: spec.to_string(), reason: reason.into() }
}

impl Repository {
    /// Resolve an abbreviated id: `ERR_AMBIGUOUS_OID` if it matches several objects.
    pub fn resolve_prefix(&self, hex: &str) -> Result<Option<ObjectId>> {
        let p = Prefix::parse(hex)?;
        let mut found = Vec::new();
        self.odb.find_prefix(&p, &mut found, 2)?;
        if found.is_empty() && self.odb.refresh() {
            self.odb.find_prefix(&p, &mut found, 2)?;
        }
        match found.len() {
            0 => Ok(None),
            1 => Ok(Some(found[0])),
            _ => Err(Error::AmbiguousOid { input: hex.to_string() }),
        }
    }

    fn peel_to(&self, spec: &str, mut id: ObjectId, want: Option<Kind>) -> Result<ObjectId> {
        for _ in 0..64 {
            let obj = self.read_object(&id)?;
            if want == Some(obj.kind) {
                return Ok(id);
            }
            match (&obj.parsed, want) {
                (Parsed::Tag(t), _) => id = t.target,
                (_, None) => return Ok(id),
                (Parsed::Commit(c), Some(Kind::Tree)) => return Ok(c.tree),
                _ => return Err(invalid(spec, format!("{id} cannot be peeled to a {}", want.map_or("", |k| k.as_str())))),
            }
        }
        Err(invalid(spec, "tag chain too deep"))
    }

    /// Resolve a revision to an object id (`rev:path` names an entry of its tree).
    pub fn rev_parse(&self, spec: &str) -> Result<ObjectId> {
        if let Some((rev, path)) = spec.split_once(':') {
            let rev = if rev.is_empty() { "HEAD" } else { rev };
            let treeish = self.rev_parse(rev)?;
            return match crate::core::treeops::resolve_path(&self.odb, treeish, path)? {
                Some(e) => Ok(e.oid),
                None => Err(invalid(spec, format!("path '{path}' does not exist in '{rev}'"))),
            };
        }
        self.rev_parse_plain(spec)
    }

    fn rev_parse_plain(&self, spec: &str) -> Result<ObjectId> {
        let end = spec.find(['~', '^']).unwrap_or(spec.len());
        let (base, mut rest) = spec.split_at(end);
        if base.is_empty() {
            return Err(invalid(spec, "empty revision"));
        }
        let mut id = if base.len() == 40 && ObjectId::from_hex(base.as_bytes()).is_some() {
            ObjectId::parse(base)?
        } else if let Some(id) = self.refs.dwim(base)?.and_then(|r| r.leaf().oid()) {
            id
        } else if base.len() >= 4 && base.bytes().all(|c| c.is_ascii_hexdigit()) {
            self.resolve_prefix(base)?.ok_or_else(|| invalid(spec, "unknown revision"))?
        } else {
            return Err(invalid(spec, "unknown revision"));
        };
        while !rest.is_empty() {
            let op = rest.as_bytes()[0];
            rest = &rest[1..];
            if op == b'^' && rest.starts_with('{') {
                let close = rest.find('}').ok_or_else(|| invalid(spec, "unclosed ^{"))?;
                let want = &rest[1..close];
                rest = &rest[close + 1..];
                id = match want {
                    "" => self.peel_to(spec, id, None)?,
                    w => self.peel_to(spec, id, Some(Kind::from_bytes(w.as_bytes()).ok_or_else(|| invalid(spec, "unknown peel type"))?))?,
                };
                continue;
            }
            // Only a number, another `~`/`^`, or the end may follow; `^@`, `^!`,
            // `^-` and the like are range syntax, not a single revision.
            if let Some(c) = rest.bytes().next() {
                if !c.is_ascii_digit() && c != b'~' && c != b'^' {
                    return Err(invalid(spec, format!("unexpected {:?} after {:?}", c as char, op as char)));
                }
            }
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let n: usize = if digits == 0 { 1 } else { rest[..digits].parse().map_err(|_| invalid(spec, "bad number"))? };
            rest = &rest[digits..];
            let commit = self.peel_to(spec, id, Some(Kind::Commit))?;
            id = commit;
            if op == b'^' {
                if n == 0 {
                    continue;
                }
                id = self.parents(&id)?.get(n - 1).copied().ok_or_else(|| invalid(spec, "no such parent"))?;
            } else {
                for _ in 0..n {
                    id = *self.parents(&id)?.first().ok_or_else(|| invalid(spec, "no such ancestor"))?;
                }
            }
        }
        Ok(id)
    }

    fn parents(&self, id: &ObjectId) -> Result<Vec<ObjectId>> {
        match self.read_object(id)?.parsed {
            Parsed::Commit(c) => Ok(c.parents),
            _ => Err(Error::ObjectType { oid: *id, expected: "commit", actual: "other" }),
        }
    }

    /// The abbreviation `git log --oneline` prints for `id` (core.abbrev=auto).
    pub fn abbrev(&self, id: &ObjectId) -> Result<String> {
        let count = self.odb.packed_count().max(1);
        let msb = 63 - count.leading_zeros() as usize;
        let mut len = ((msb + 1) + 1) / 2;
        len = len.max(7);
        let hex = id.to_hex();
        while len < 40 {
            let p = Prefix::parse(&hex[..len])?;
            let mut found = Vec::new();
            self.odb.find_prefix(&p, &mut found, 2)?;
            if found.len() <= 1 {
                break;
            }
            len += 1;
        }
        Ok(hex[..len].to_string())
    }
}
