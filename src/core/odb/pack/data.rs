//! `.pack` data: a `PACK` header (version 2 or 3, object count), entries, and a
//! trailing SHA-1 that must equal the one recorded in the `.idx`. Each entry
//! starts with a type/size varint; OFS_DELTA (6) adds a backwards offset and
//! REF_DELTA (7) a base id. Chains are resolved with a loop, never recursion
//! (within a pack); a base in another store is read through the whole database
//! with a shared depth counter so cycles across packs end too.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use memmap2::Mmap;

use crate::core::error::{Error, Result};
use crate::core::object::Kind;
use crate::core::odb::inflate;
use crate::core::odb::pack::cache::Cache;
use crate::core::odb::pack::delta;
use crate::core::odb::pack::index::Index;
use crate::core::odb::{ReadCtx, MAX_DELTA_DEPTH};
use crate::core::oid::{ObjectId, Prefix};

/// Cache one intermediate delta result in this many levels of a chain.
const CACHE_EVERY: usize = 8;

thread_local! {
    /// Each worker's reusable buffer for inflated delta data.
    static DELTA_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Entries inflating to at most this many bytes are read without knowing
/// where they end (the stream is read up to the pack's trailer and stops at
/// its own end), so that reading a few objects does not first sort every
/// entry offset of a large pack. Larger ones are checked against their exact
/// extent before their output is allocated.
const EXACT_END_FROM: u64 = 1 << 20;

/// The opened `.pack` file, checked against its index.
struct Data {
    map: Mmap,
    /// Where each entry ends, computed on first need.
    ends: OnceLock<std::result::Result<Ends, Error>>,
}

/// Every entry offset, sorted: an entry ends where the next one starts.
struct Ends {
    sorted: Vec<u64>,
    /// `buckets[b]` is the first position in `sorted` whose offset >> `shift` is at least b,
    /// so finding an entry's end searches a handful of offsets, not all of them.
    buckets: Vec<u32>,
    shift: u32,
}

impl Ends {
    fn new(len: u64, sorted: Vec<u64>) -> Ends {
        let mut shift = 0;
        while (len >> shift) >= 1 << 16 {
            shift += 1;
        }
        let nb = ((len >> shift) + 2) as usize;
        let mut buckets = Vec::with_capacity(nb);
        let mut i = 0usize;
        for b in 0..nb as u64 {
            while i < sorted.len() && (sorted[i] >> shift) < b {
                i += 1;
            }
            buckets.push(i as u32);
        }
        Ends { sorted, buckets, shift }
    }

    /// Where the entry at `offset` ends: the next entry's offset, or `trailer`.
    fn end_of(&self, offset: u64, trailer: usize) -> usize {
        let b = (offset >> self.shift) as usize;
        let lo = self.buckets.get(b).copied().unwrap_or(self.sorted.len() as u32) as usize;
        let hi = self.buckets.get(b + 1).copied().unwrap_or(self.sorted.len() as u32) as usize;
        let i = lo + self.sorted[lo..hi].partition_point(|&o| o <= offset);
        let next = self.sorted.get(i).map(|&o| o as usize).unwrap_or(trailer);
        next.min(trailer)
    }
}

/// One pack: its index (opened eagerly) and its data (opened on first use).
pub struct Pack {
    /// Distinguishes this pack's entries in the shared delta-base cache.
    pub id: u32,
    pub index: Index,
    pack_path: PathBuf,
    data: OnceLock<std::result::Result<Arc<Data>, Error>>,
    cache: Arc<Cache>,
}

/// A parsed entry header.
struct Entry {
    ty: u8,
    size: u64,
    /// Where the zlib stream starts.
    data_start: usize,
    /// Where the next entry (or the trailer) starts; just the trailer for
    /// entries below [`EXACT_END_FROM`], whose streams end themselves.
    end: usize,
    base: Base,
}

enum Base {
    None,
    Offset(u64),
    Id(ObjectId),
}

impl Pack {
    /// Open `xxx.idx` (validated now) and remember `xxx.pack` for later.
    pub fn open(idx_path: &Path, id: u32, cache: Arc<Cache>) -> Result<Pack> {
        let index = Index::open(idx_path)?;
        Ok(Pack { id, index, pack_path: idx_path.with_extension("pack"), data: OnceLock::new(), cache })
    }

    fn err(&self, reason: impl Into<String>) -> Error {
        Error::pack(&self.pack_path, reason)
    }

    fn data(&self) -> Result<Arc<Data>> {
        self.data.get_or_init(|| self.open_data().map(Arc::new)).clone()
    }

    fn open_data(&self) -> Result<Data> {
        let f = std::fs::File::open(&self.pack_path).map_err(|e| Error::io(&self.pack_path, e))?;
        // SAFETY: read-only mapping of a pack, which git never modifies in place.
        let map = unsafe { Mmap::map(&f) }.map_err(|e| Error::io(&self.pack_path, e))?;
        if map.len() < 32 || &map[..4] != b"PACK" {
            return Err(self.err("not a pack file (bad signature)"));
        }
        let version = u32::from_be_bytes(map[4..8].try_into().expect("4 bytes"));
        if version != 2 && version != 3 {
            return Err(self.err(format!("unsupported pack version {version}")));
        }
        let count = u32::from_be_bytes(map[8..12].try_into().expect("4 bytes"));
        if count != self.index.count {
            return Err(self.err(format!("pack has {count} objects, its index {}", self.index.count)));
        }
        if &map[map.len() - 20..] != self.index.pack_checksum() {
            return Err(self.err("pack trailer checksum does not match its index"));
        }
        Ok(Data { map, ends: OnceLock::new() })
    }

    fn ends<'d>(&self, d: &'d Data) -> Result<&'d Ends> {
        let len = d.map.len() as u64;
        // Offsets past the end are reported by the read that meets them, not here,
        // so one bad entry does not hide the rest of the pack.
        d.ends.get_or_init(|| self.index.sorted_offsets().map(|s| Ends::new(len, s))).as_ref().map_err(|e| e.clone())
    }

    /// Parse the entry header at `offset`.
    fn entry(&self, d: &Data, offset: u64) -> Result<Entry> {
        let trailer = d.map.len() - 20;
        if offset < 12 || offset >= trailer as u64 {
            return Err(self.err(format!("entry offset {offset} is outside the pack")));
        }
        let b = &d.map[..trailer];
        let mut pos = offset as usize;
        let mut c = b[pos];
        pos += 1;
        let ty = (c >> 4) & 7;
        let mut size = (c & 15) as u64;
        let mut shift = 4;
        while c & 0x80 != 0 {
            c = *b.get(pos).ok_or_else(|| self.err("truncated entry header"))?;
            pos += 1;
            if shift > 57 {
                return Err(self.err("entry size varint too long"));
            }
            size |= ((c & 0x7f) as u64) << shift;
            shift += 7;
        }
        let base = match ty {
            1..=4 => Base::None,
            6 => {
                let mut c = *b.get(pos).ok_or_else(|| self.err("truncated delta offset"))?;
                pos += 1;
                let mut rel = (c & 0x7f) as u64;
                while c & 0x80 != 0 {
                    c = *b.get(pos).ok_or_else(|| self.err("truncated delta offset"))?;
                    pos += 1;
                    if rel > (u64::MAX >> 8) {
                        return Err(self.err("delta offset overflows"));
                    }
                    rel = ((rel + 1) << 7) | (c & 0x7f) as u64;
                }
                if rel == 0 || rel > offset || offset - rel < 12 {
                    return Err(self.err(format!("OFS_DELTA at {offset} points to {rel} bytes back, outside the pack or at itself")));
                }
                Base::Offset(offset - rel)
            }
            7 => {
                let id = b.get(pos..pos + 20).ok_or_else(|| self.err("truncated REF_DELTA base"))?;
                pos += 20;
                Base::Id(ObjectId::from_bytes(id).expect("20 bytes"))
            }
            t => return Err(self.err(format!("unknown entry type {t} at {offset}"))),
        };
        // A large entry ends where the next one begins (or at the trailer).
        let end = if size < EXACT_END_FROM { trailer } else { self.ends(d)?.end_of(offset, trailer) };
        if pos > end {
            return Err(self.err(format!("entry at {offset} overlaps the next one")));
        }
        Ok(Entry { ty, size, data_start: pos, end, base })
    }

    fn inflate(&self, d: &Data, e: &Entry, out: &mut Vec<u8>) -> Result<()> {
        out.clear();
        inflate::inflate_exact(&d.map[e.data_start..e.end], e.size, out).map(|_| ()).map_err(|r| self.err(r))
    }

    /// The commit at `offset` into `out` if one is stored there whole (not as
    /// a delta) and below 1 MiB; false for anything else (another kind, a
    /// delta, a stream libdeflate does not take: [`Pack::read_at`] reads or
    /// diagnoses those). Other kinds are not inflated. For reading ahead.
    pub fn read_commit_at(&self, offset: u64, out: &mut Vec<u8>) -> bool {
        let Ok(d) = self.data() else { return false };
        let Ok(e) = self.entry(&d, offset) else { return false };
        if Kind::from_pack_type(e.ty) != Some(Kind::Commit) || e.size >= EXACT_END_FROM {
            return false;
        }
        inflate::whole_into(&d.map[e.data_start..e.end], e.size as usize, out).is_some()
    }

    /// Read the object at sorted index position `i` (resolving deltas) into `out`.
    pub fn read_at_index(&self, i: u32, out: &mut Vec<u8>, ctx: &ReadCtx<'_>) -> Result<Kind> {
        let offset = self.index.offset_at(i)?;
        self.read_at(offset, out, ctx)
    }

    /// Read the object at pack offset `offset` into `out`.
    pub fn read_at(&self, offset: u64, out: &mut Vec<u8>, ctx: &ReadCtx<'_>) -> Result<Kind> {
        let d = self.data()?;
        // Walk towards the base, remembering the deltas on the way.
        let mut chain: Vec<(u64, Entry)> = Vec::new();
        let mut cur = offset;
        let (kind, base): (Kind, Arc<Vec<u8>>) = loop {
            if !chain.is_empty() {
                if let Some(hit) = self.cache.get(self.id, cur) {
                    break hit;
                }
            }
            let e = self.entry(&d, cur)?;
            if let Some(kind) = Kind::from_pack_type(e.ty) {
                if chain.is_empty() {
                    self.inflate(&d, &e, out)?;
                    return Ok(kind);
                }
                let mut v = Vec::new();
                self.inflate(&d, &e, &mut v)?;
                let v = Arc::new(v);
                self.cache.put(self.id, cur, kind, v.clone());
                break (kind, v);
            }
            let depth = ctx.depth.get() + 1;
            ctx.depth.set(depth);
            if depth > MAX_DELTA_DEPTH {
                return Err(self.err("delta chain is too deep or cyclic"));
            }
            match e.base {
                Base::Offset(o) => {
                    chain.push((cur, e));
                    cur = o;
                }
                Base::Id(id) => {
                    chain.push((cur, e));
                    if let Some(j) = self.index.lookup(&id) {
                        cur = self.index.offset_at(j)?;
                    } else {
                        let mut v = Vec::new();
                        match ctx.root.try_read(&id, &mut v, ctx)? {
                            Some(k) => break (k, Arc::new(v)),
                            None => {
                                return Err(self.err(format!("REF_DELTA base {id} is missing")));
                            }
                        }
                    }
                }
                Base::None => unreachable!("non-delta types returned above"),
            }
        };
        // Apply the deltas from the base outwards.
        DELTA_BUF.with(|buf| {
            let mut delta_buf = buf.take();
            let r = self.apply_chain(&d, kind, base, &chain, &mut delta_buf, out);
            if delta_buf.capacity() <= 1 << 20 {
                buf.replace(delta_buf);
            }
            r
        })?;
        Ok(kind)
    }

    fn apply_chain(
        &self,
        d: &Data,
        kind: Kind,
        base: Arc<Vec<u8>>,
        chain: &[(u64, Entry)],
        delta_buf: &mut Vec<u8>,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        // Intermediate results go to two ping-pong buffers; only every
        // CACHE_EVERY-th level is copied into the cache. Chains in real packs are
        // ~40 deep and random reads rarely hit, so caching every level (as git
        // does) costs more in copies and evictions than it saves.
        let mut cached: Option<Arc<Vec<u8>>> = Some(base);
        let mut cur = Vec::new();
        let mut next = Vec::new();
        let last = chain.len() - 1;
        for (n, (off, e)) in chain.iter().rev().enumerate() {
            self.inflate(d, e, delta_buf)?;
            let src: &[u8] = match &cached {
                Some(a) => a,
                None => &cur,
            };
            let fail = |r: String| self.err(format!("delta at {off}: {r}"));
            if n == last {
                delta::apply(src, delta_buf, out).map_err(fail)?;
            } else if (n + 1) % CACHE_EVERY == 0 {
                let mut v = Vec::new();
                delta::apply(src, delta_buf, &mut v).map_err(fail)?;
                let v = Arc::new(v);
                self.cache.put(self.id, *off, kind, v.clone());
                cached = Some(v);
            } else {
                delta::apply(src, delta_buf, &mut next).map_err(fail)?;
                std::mem::swap(&mut cur, &mut next);
                cached = None;
            }
        }
        Ok(())
    }

    /// Kind and size of the object at `offset`, inflating only delta headers.
    pub fn header_at(&self, offset: u64, ctx: &ReadCtx<'_>) -> Result<(Kind, u64)> {
        let d = self.data()?;
        let first = self.entry(&d, offset)?;
        let size = if Kind::from_pack_type(first.ty).is_some() {
            first.size
        } else {
            let head = inflate::inflate_prefix(&d.map[first.data_start..first.end], 32).map_err(|r| self.err(r))?;
            delta::sizes(&head).ok_or_else(|| self.err("truncated delta header"))?.1
        };
        let mut e = first;
        let mut steps = 0;
        loop {
            if let Some(kind) = Kind::from_pack_type(e.ty) {
                return Ok((kind, size));
            }
            steps += 1;
            if steps > MAX_DELTA_DEPTH {
                return Err(self.err("delta chain is too deep or cyclic"));
            }
            let next = match e.base {
                Base::Offset(o) => o,
                Base::Id(id) => match self.index.lookup(&id) {
                    Some(j) => self.index.offset_at(j)?,
                    None => {
                        let depth = ctx.depth.get() + 1;
                        ctx.depth.set(depth);
                        if depth > MAX_DELTA_DEPTH {
                            return Err(self.err("delta chain is too deep or cyclic"));
                        }
                        return match ctx.root.try_header(&id, ctx)? {
                            Some((k, _)) => Ok((k, size)),
                            None => Err(self.err(format!("REF_DELTA base {id} is missing"))),
                        };
                    }
                },
                Base::None => unreachable!("non-delta types returned above"),
            };
            e = self.entry(&d, next)?;
        }
    }

    /// Find `oid` in this pack's index.
    pub fn lookup(&self, oid: &ObjectId) -> Option<u32> {
        self.index.lookup(oid)
    }

    /// Ids starting with `prefix`.
    pub fn find_prefix(&self, prefix: &Prefix, out: &mut Vec<ObjectId>, limit: usize) {
        self.index.find_prefix(prefix, out, limit)
    }
}
