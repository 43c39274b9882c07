//! Annotated tags: `object`, `type`, `tag`, optional `tagger`, other headers, then the message.

use crate::core::object::commit::headers;
use crate::core::object::signature::Signature;
use crate::core::object::Kind;
use crate::core::oid::ObjectId;

/// A parsed tag.
#[derive(Clone, Debug)]
pub struct Tag {
    pub target: ObjectId,
    pub target_kind: Kind,
    pub name: String,
    pub tagger: Option<Signature>,
    /// Byte offset of the message in the raw data.
    pub message_start: usize,
}

impl Tag {
    /// Parse a tag's raw content.
    pub fn parse(data: &[u8]) -> Result<Tag, String> {
        let (hdrs, message_start) = headers(data)?;
        let mut target = None;
        let mut target_kind = None;
        let mut name = None;
        let mut tagger = None;
        for (k, v) in hdrs {
            match k {
                b"object" if target.is_none() => target = Some(ObjectId::from_hex(&v).ok_or("bad tag object id")?),
                b"type" if target_kind.is_none() => target_kind = Some(Kind::from_bytes(&v).ok_or("bad tag type")?),
                b"tag" if name.is_none() => name = Some(String::from_utf8_lossy(&v).into_owned()),
                b"tagger" if tagger.is_none() => tagger = Some(Signature::parse(&v).ok_or("bad tagger line")?),
                _ => {}
            }
        }
        Ok(Tag {
            target: target.ok_or("tag without an object line")?,
            target_kind: target_kind.ok_or("tag without a type line")?,
            name: name.ok_or("tag without a tag line")?,
            tagger,
            message_start,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tag() {
        let d = b"object ce013625030ba8dba906f756967f9e9ca394464a\ntype blob\ntag v1\ntagger T <t@x> 5 +0000\n\nmsg\n";
        let t = Tag::parse(d).expect("parses");
        assert_eq!(t.target_kind, Kind::Blob);
        assert_eq!(t.name, "v1");
        assert_eq!(&d[t.message_start..], b"msg\n");
        assert!(Tag::parse(b"type blob\n\n").is_err());
    }
}
