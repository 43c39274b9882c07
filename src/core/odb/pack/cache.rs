//! The delta-base cache: recently unpacked bases, keyed by (pack, offset),
//! bounded by bytes (git's `core.deltaBaseCacheLimit`, default 96 MiB) with LRU
//! eviction. Shared by every worker.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::core::object::Kind;

/// git's default `core.deltaBaseCacheLimit`.
pub const DEFAULT_LIMIT: usize = 96 << 20;

struct Inner {
    map: HashMap<(u32, u64), (Kind, Arc<Vec<u8>>, u64)>,
    lru: BTreeMap<u64, (u32, u64)>,
    tick: u64,
    bytes: usize,
}

/// A byte-bounded LRU of unpacked delta bases.
pub struct Cache {
    limit: usize,
    inner: Mutex<Inner>,
}

impl Cache {
    /// A cache holding at most `limit` bytes of object data.
    pub fn new(limit: usize) -> Cache {
        Cache {
            limit,
            inner: Mutex::new(Inner { map: HashMap::new(), lru: BTreeMap::new(), tick: 0, bytes: 0 }),
        }
    }

    /// Look up a base, marking it recently used.
    pub fn get(&self, pack: u32, offset: u64) -> Option<(Kind, Arc<Vec<u8>>)> {
        let mut g = self.inner.lock();
        g.tick += 1;
        let tick = g.tick;
        let (kind, data, old) = {
            let e = g.map.get_mut(&(pack, offset))?;
            let old = e.2;
            e.2 = tick;
            (e.0, e.1.clone(), old)
        };
        g.lru.remove(&old);
        g.lru.insert(tick, (pack, offset));
        Some((kind, data))
    }

    /// Remember a base; objects larger than a quarter of the cache are not kept.
    pub fn put(&self, pack: u32, offset: u64, kind: Kind, data: Arc<Vec<u8>>) {
        let size = data.len();
        if size > self.limit / 4 {
            return;
        }
        let mut g = self.inner.lock();
        if g.map.contains_key(&(pack, offset)) {
            return;
        }
        g.tick += 1;
        let tick = g.tick;
        g.map.insert((pack, offset), (kind, data, tick));
        g.lru.insert(tick, (pack, offset));
        g.bytes += size;
        while g.bytes > self.limit {
            let Some((_, key)) = g.lru.pop_first() else { break };
            if let Some((_, d, _)) = g.map.remove(&key) {
                g.bytes -= d.len();
            }
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.inner.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_oldest_by_bytes() {
        let c = Cache::new(400);
        for i in 0..5u64 {
            c.put(0, i, Kind::Blob, Arc::new(vec![0; 100]));
        }
        assert!(c.bytes() <= 400);
        assert!(c.get(0, 0).is_none());
        assert!(c.get(0, 4).is_some());
        c.put(0, 99, Kind::Blob, Arc::new(vec![0; 101])); // > limit/4: not kept
        assert!(c.get(0, 99).is_none());
    }
}
