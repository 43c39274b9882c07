//! Object ids: 20-byte SHA-1 names, their hex form, and abbreviations.

use std::fmt;

use crate::core::error::{Error, Result};

/// A SHA-1 object id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ObjectId(pub [u8; 20]);

const HEX: &[u8; 16] = b"0123456789abcdef";

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl ObjectId {
    /// The all-zero id git uses for "no object".
    pub const NULL: ObjectId = ObjectId([0; 20]);

    /// Parse exactly 40 hex characters (either case).
    pub fn from_hex(s: &[u8]) -> Option<ObjectId> {
        if s.len() != 40 {
            return None;
        }
        let mut out = [0u8; 20];
        for (i, pair) in s.chunks_exact(2).enumerate() {
            out[i] = nibble(pair[0])? << 4 | nibble(pair[1])?;
        }
        Some(ObjectId(out))
    }

    /// Parse a full id given by a caller, or fail with `ERR_INVALID_OID`.
    pub fn parse(s: &str) -> Result<ObjectId> {
        ObjectId::from_hex(s.as_bytes()).ok_or_else(|| Error::InvalidOid { input: s.to_string() })
    }

    /// From 20 raw bytes.
    pub fn from_bytes(b: &[u8]) -> Option<ObjectId> {
        Some(ObjectId(b.try_into().ok()?))
    }

    /// The 40-character lowercase hex form.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(40);
        self.push_hex(&mut s);
        s
    }

    /// Append the hex form to `out`.
    pub fn push_hex(&self, out: &mut String) {
        for b in self.0 {
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }

    /// Write the hex form into `out`.
    pub fn write_hex(&self, out: &mut Vec<u8>) {
        for b in self.0 {
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 15) as usize]);
        }
    }

    /// True for the all-zero id.
    pub fn is_null(&self) -> bool {
        self.0 == [0; 20]
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({})", self.to_hex())
    }
}

/// A hex prefix of 4 to 40 characters, for abbreviated lookups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    /// The id with the unknown nibbles zero.
    pub bytes: ObjectId,
    /// Number of hex characters given.
    pub hex_len: usize,
}

impl Prefix {
    /// Parse a 4..=40 character hex prefix.
    pub fn parse(s: &str) -> Result<Prefix> {
        let b = s.as_bytes();
        if b.len() < 4 || b.len() > 40 {
            return Err(Error::InvalidOid { input: s.to_string() });
        }
        let mut out = [0u8; 20];
        for (i, &c) in b.iter().enumerate() {
            let n = nibble(c).ok_or_else(|| Error::InvalidOid { input: s.to_string() })?;
            out[i / 2] |= if i % 2 == 0 { n << 4 } else { n };
        }
        Ok(Prefix { bytes: ObjectId(out), hex_len: b.len() })
    }

    /// True when `oid` starts with this prefix.
    pub fn matches(&self, oid: &ObjectId) -> bool {
        let full = self.hex_len / 2;
        if oid.0[..full] != self.bytes.0[..full] {
            return false;
        }
        self.hex_len % 2 == 0 || (oid.0[full] & 0xf0) == self.bytes.0[full]
    }

    /// Compare `oid` against the prefix on the prefix's length: Less when the oid sorts before every match.
    pub fn cmp_oid(&self, oid: &ObjectId) -> std::cmp::Ordering {
        let full = self.hex_len / 2;
        match oid.0[..full].cmp(&self.bytes.0[..full]) {
            std::cmp::Ordering::Equal if self.hex_len % 2 == 1 => (oid.0[full] & 0xf0).cmp(&self.bytes.0[full]),
            o => o,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_case() {
        let s = "0123456789abcdef0123456789abcdef01234567";
        let id = ObjectId::parse(s).expect("valid");
        assert_eq!(id.to_hex(), s);
        assert_eq!(ObjectId::parse(&s.to_uppercase()).expect("upper ok"), id);
        assert_eq!(ObjectId::parse("xyz").unwrap_err().code(), "ERR_INVALID_OID");
        assert_eq!(ObjectId::parse(&s[..39]).unwrap_err().code(), "ERR_INVALID_OID");
    }

    #[test]
    fn prefix_matching() {
        let id = ObjectId::parse("abcdef0123456789abcdef0123456789abcdef01").expect("valid");
        assert!(Prefix::parse("abcd").expect("ok").matches(&id));
        assert!(Prefix::parse("abcde").expect("ok").matches(&id));
        assert!(!Prefix::parse("abcdf").expect("ok").matches(&id));
        assert_eq!(Prefix::parse("abc").unwrap_err().code(), "ERR_INVALID_OID");
        assert_eq!(Prefix::parse("abcg").unwrap_err().code(), "ERR_INVALID_OID");
    }
}

/// A hasher for maps keyed by [`ObjectId`]: ids are already uniformly random, so
/// their first eight bytes are the hash (no SipHash on the hot paths).
#[derive(Default, Clone, Copy)]
pub struct OidHasher(u64);

impl std::hash::Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // `[u8; 20]` hashes as a length prefix then the bytes: keep the first 8 id bytes.
        if bytes.len() >= 8 {
            self.0 ^= u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
        } else {
            for &b in bytes {
                self.0 = self.0.rotate_left(8) ^ b as u64;
            }
        }
    }
}

/// `HashMap` keyed by object ids.
pub type OidMap<V> = std::collections::HashMap<ObjectId, V, std::hash::BuildHasherDefault<OidHasher>>;
