//! The delta-base cache: recently unpacked bases, keyed by (pack, offset),
//! bounded by bytes (git's `core.deltaBaseCacheLimit`, default 96 MiB) with LRU
//! eviction, as git's `delta_base_cache` (a hash map plus an LRU list). Shared
//! by every worker; all operations are O(1).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::core::object::Kind;

/// git's default `core.deltaBaseCacheLimit`.
pub const DEFAULT_LIMIT: usize = 96 << 20;

const NIL: u32 = u32::MAX;

/// Keys are (pack id, offset): a multiply-shift hash is enough and far cheaper than SipHash.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = (self.0.rotate_left(29) ^ v as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(29) ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Map = HashMap<(u32, u64), u32, BuildHasherDefault<KeyHasher>>;

struct Node {
    key: (u32, u64),
    kind: Kind,
    /// None only while the node sits on the free list.
    data: Option<Arc<Vec<u8>>>,
    prev: u32,
    next: u32,
}

/// Nodes live in a slab; `head` is the most recently used, `tail` the least.
struct Inner {
    map: Map,
    nodes: Vec<Node>,
    free: Vec<u32>,
    head: u32,
    tail: u32,
    bytes: usize,
}

impl Inner {
    fn unlink(&mut self, i: u32) {
        let (p, n) = (self.nodes[i as usize].prev, self.nodes[i as usize].next);
        if p != NIL { self.nodes[p as usize].next = n } else { self.head = n }
        if n != NIL { self.nodes[n as usize].prev = p } else { self.tail = p }
    }

    fn push_front(&mut self, i: u32) {
        self.nodes[i as usize].prev = NIL;
        self.nodes[i as usize].next = self.head;
        if self.head != NIL {
            self.nodes[self.head as usize].prev = i;
        }
        self.head = i;
        if self.tail == NIL {
            self.tail = i;
        }
    }
}

#[cfg(test)]
pub static HITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
#[cfg(test)]
pub static MISSES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

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
            inner: Mutex::new(Inner { map: Map::default(), nodes: Vec::new(), free: Vec::new(), head: NIL, tail: NIL, bytes: 0 }),
        }
    }

    /// Look up a base, marking it recently used.
    pub fn get(&self, pack: u32, offset: u64) -> Option<(Kind, Arc<Vec<u8>>)> {
        let mut g = self.inner.lock();
        let Some(&i) = g.map.get(&(pack, offset)) else {
            #[cfg(test)]
            MISSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return None;
        };
        #[cfg(test)]
        HITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        g.unlink(i);
        g.push_front(i);
        let n = &g.nodes[i as usize];
        n.data.clone().map(|d| (n.kind, d))
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
        while g.bytes + size > self.limit && g.tail != NIL {
            let t = g.tail;
            g.unlink(t);
            let key = g.nodes[t as usize].key;
            g.map.remove(&key);
            let old = g.nodes[t as usize].data.take();
            g.bytes -= old.as_ref().map_or(0, |d| d.len());
            g.free.push(t);
            drop(old);
        }
        let node = Node { key: (pack, offset), kind, data: Some(data), prev: NIL, next: NIL };
        let i = match g.free.pop() {
            Some(i) => {
                g.nodes[i as usize] = node;
                i
            }
            None => {
                g.nodes.push(node);
                (g.nodes.len() - 1) as u32
            }
        };
        g.push_front(i);
        g.map.insert((pack, offset), i);
        g.bytes += size;
    }

    /// Forget a base that is no longer needed.
    pub fn remove(&self, pack: u32, offset: u64) {
        let mut g = self.inner.lock();
        if let Some(i) = g.map.remove(&(pack, offset)) {
            g.unlink(i);
            let old = g.nodes[i as usize].data.take();
            g.bytes -= old.as_ref().map_or(0, |d| d.len());
            g.free.push(i);
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
    fn evicts_least_recently_used_by_bytes() {
        let c = Cache::new(400);
        for i in 0..4u64 {
            c.put(0, i, Kind::Blob, Arc::new(vec![0; 100]));
        }
        assert!(c.get(0, 0).is_some()); // 0 is now the most recent
        c.put(0, 4, Kind::Blob, Arc::new(vec![0; 100]));
        assert!(c.bytes() <= 400);
        assert!(c.get(0, 1).is_none(), "least recently used goes first");
        assert!(c.get(0, 0).is_some());
        assert!(c.get(0, 4).is_some());
        c.put(0, 99, Kind::Blob, Arc::new(vec![0; 101])); // > limit/4: not kept
        assert!(c.get(0, 99).is_none());
    }
}
