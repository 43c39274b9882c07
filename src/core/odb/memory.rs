//! Objects held in memory (for `Repository.inMemory()`): a sorted map from id
//! to kind and content, so abbreviation look-ups are a range scan. Content is
//! shared (`Arc<[u8]>`), so [`Store::get`] hands it out without copying.
//! Nothing here touches the filesystem.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::core::error::Result;
use crate::core::object::{self, Kind};
use crate::core::odb::{ObjectStore, ReadCtx};
use crate::core::oid::{ObjectId, Prefix};

/// An in-memory object store.
#[derive(Default)]
pub struct Store {
    objects: RwLock<BTreeMap<ObjectId, (Kind, Arc<[u8]>)>>,
}

impl Store {
    /// An empty store.
    pub fn new() -> Store {
        Store::default()
    }

    /// Hash and keep `data` as an object of kind `kind`; returns its id. An
    /// object already held is left as it is.
    pub fn insert(&self, kind: Kind, data: &[u8]) -> ObjectId {
        let oid = object::hash(kind, data);
        self.insert_with_id(oid, kind, data.into());
        oid
    }

    /// Keep `data` under `oid`, which the caller has computed (not checked).
    pub fn insert_with_id(&self, oid: ObjectId, kind: Kind, data: Arc<[u8]>) {
        if self.objects.read().contains_key(&oid) {
            return;
        }
        self.objects.write().entry(oid).or_insert((kind, data));
    }

    /// The kind and shared content of `oid`.
    pub fn get(&self, oid: &ObjectId) -> Option<(Kind, Arc<[u8]>)> {
        self.objects.read().get(oid).cloned()
    }

    /// Drop `oid`; returns the bytes of content freed.
    pub fn remove(&self, oid: &ObjectId) -> usize {
        self.objects.write().remove(oid).map(|(_, d)| d.len()).unwrap_or(0)
    }

    /// Number of objects held.
    pub fn len(&self) -> usize {
        self.objects.read().len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of content held (not counting the map's own overhead).
    pub fn content_bytes(&self) -> usize {
        self.objects.read().values().map(|(_, d)| d.len()).sum()
    }
}

impl ObjectStore for Store {
    fn try_read(&self, oid: &ObjectId, out: &mut Vec<u8>, _ctx: &ReadCtx<'_>) -> Result<Option<Kind>> {
        let Some((kind, data)) = self.get(oid) else { return Ok(None) };
        out.clear();
        out.extend_from_slice(&data);
        Ok(Some(kind))
    }

    fn try_header(&self, oid: &ObjectId, _ctx: &ReadCtx<'_>) -> Result<Option<(Kind, u64)>> {
        Ok(self.objects.read().get(oid).map(|(k, d)| (*k, d.len() as u64)))
    }

    fn contains(&self, oid: &ObjectId) -> bool {
        self.objects.read().contains_key(oid)
    }

    fn find_prefix(&self, prefix: &Prefix, out: &mut Vec<ObjectId>, limit: usize) -> Result<()> {
        if out.len() >= limit {
            return Ok(());
        }
        let map = self.objects.read();
        // `prefix.bytes` has the unknown nibbles zero: it is the smallest id that matches.
        for id in map.range(prefix.bytes..).map(|(k, _)| k).take_while(|k| prefix.matches(k)) {
            if !out.contains(id) {
                out.push(*id);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(())
    }

    fn approx_count(&self) -> u64 {
        self.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn insert_read_prefix() {
        let s = Store::new();
        let ctx = ReadCtx { root: &s, depth: Cell::new(0) };
        let a = s.insert(Kind::Blob, b"hello\n");
        assert_eq!(a.to_hex(), "ce013625030ba8dba906f756967f9e9ca394464a");
        assert_eq!(s.insert(Kind::Blob, b"hello\n"), a);
        assert_eq!(s.len(), 1);
        let mut out = Vec::new();
        assert_eq!(s.try_read(&a, &mut out, &ctx).expect("read"), Some(Kind::Blob));
        assert_eq!(out, b"hello\n");
        assert_eq!(s.try_header(&a, &ctx).expect("header"), Some((Kind::Blob, 6)));
        assert!(s.contains(&a));
        let missing = ObjectId([0xce; 20]);
        assert!(!s.contains(&missing));
        assert_eq!(s.try_read(&missing, &mut out, &ctx).expect("read"), None);

        // Ids sharing a prefix: insert many, check every prefix length against a scan.
        let ids: Vec<ObjectId> = (0..2000).map(|i| s.insert(Kind::Blob, format!("{i}").as_bytes())).collect();
        for id in ids.iter().take(50) {
            for len in [4, 5, 7, 40] {
                let p = Prefix::parse(&id.to_hex()[..len]).expect("prefix");
                let mut found = Vec::new();
                s.find_prefix(&p, &mut found, usize::MAX).expect("find");
                let mut want: Vec<_> = ids.iter().chain([&a]).filter(|o| p.matches(o)).copied().collect();
                want.sort();
                want.dedup();
                assert_eq!(found, want, "prefix {}", &id.to_hex()[..len]);
            }
        }
        let mut found = Vec::new();
        s.find_prefix(&Prefix::parse("0000").expect("p"), &mut found, 1).expect("find");
        assert!(found.len() <= 1);
        assert_eq!(s.approx_count(), 2001);
    }
}
