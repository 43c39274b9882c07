//! Indexing a received pack, as `git index-pack` does: check the header and
//! the trailing checksum, inflate every entry, resolve OFS and REF deltas
//! (REF bases outside the pack, as in a thin pack, come from the caller),
//! compute every object id and CRC, and write the `.idx` v2 git would write
//! for the same pack, byte for byte.
//!
//! Memory stays bounded whatever the pack's size, as in git's
//! `builtin/index-pack.c`, in two passes over the pack (a memory map, so the
//! pack itself need not be in RAM):
//!
//! 1. Every entry in order: its header is parsed and its zlib stream inflated
//!    without keeping the result, to find where it ends (the next entry starts
//!    there) and to check its declared size; its CRC32 is taken over the raw
//!    bytes, and a whole object (not a delta) is hashed as it inflates. Only a
//!    few bytes per entry are kept (offset, type, size, base, CRC, id).
//! 2. Deltas are resolved depth first from each base (git's
//!    `find_unresolved_deltas`): a base's children (OFS_DELTA by its offset,
//!    REF_DELTA by its id) are inflated again from the pack, applied, hashed,
//!    and become bases in turn. Only the base in use is held; the others on
//!    the current path live in a byte-bounded LRU cache ([`BASE_CACHE_LIMIT`])
//!    and are rebuilt from the pack (their own base chain) when evicted. A
//!    base's last child takes its place on the path, so a long linear chain
//!    costs one object, not its depth. REF bases that are not in the pack come
//!    from the caller last, as `--fix-thin` takes them from the repository.
//!
//! Nothing is allocated from a size the pack declares before that size is
//! checked: entry sizes against what their compressed bytes can produce (and
//! big entries are inflated a piece at a time), delta results against what the
//! delta's commands produce.

use std::sync::Arc;

use sha1::{Digest, Sha1};

use crate::core::object::{self, Kind};
use crate::core::odb::inflate;
use crate::core::odb::pack::cache::Cache;
use crate::core::odb::pack::delta;
use crate::core::oid::ObjectId;

/// Bytes of inflated bases cached for resolving their deltas, besides the
/// object in use (git's `core.deltaBaseCacheLimit` is 96 MiB); objects above a
/// quarter of it are not cached but rebuilt when needed again.
pub const BASE_CACHE_LIMIT: usize = 64 << 20;

/// Entries declaring at most this many bytes are inflated whole, by
/// libdeflate, into one reused buffer in pass 1; larger ones go through zlib a
/// piece at a time. Bounds the buffer a lying header can make us allocate.
const WHOLE_MAX: u64 = 4 << 20;

/// Packs at least this big have their trailing checksum computed on another
/// thread while pass 1 runs.
const PARALLEL_SUM_FROM: usize = 1 << 20;

/// In [`Meta::base`], marks an index into the external bases.
const EXTERNAL: u32 = 1 << 31;

/// In [`Meta::base`], a REF delta not resolved yet.
const UNRESOLVED: u32 = u32::MAX;

/// Deltified bases rebuilt from their chain after leaving the cache.
#[cfg(test)]
static REBUILT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// One indexed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub oid: ObjectId,
    pub offset: u64,
    pub crc: u32,
}

/// What [`index_pack`] found.
#[derive(Debug)]
pub struct Indexed {
    /// In pack order.
    pub entries: Vec<IndexEntry>,
    /// The pack's trailing SHA-1.
    pub checksum: [u8; 20],
    /// REF-delta bases taken from the caller: a thin pack's, or any base the
    /// caller had before the pack resolved it (the content is the same).
    pub external_bases: Vec<ObjectId>,
}

/// A base outside the pack: its kind and content, if the caller has it.
pub type External<'a> = &'a dyn Fn(&ObjectId) -> Option<(Kind, Vec<u8>)>;

/// Receives an object of the pack: its id, kind and full content.
pub type OnObject<'a> = &'a mut dyn FnMut(&ObjectId, Kind, &[u8]);

/// What pass 1 keeps of an entry: enough to find it again, inflate it and
/// place it in the resolution.
struct Meta {
    offset: u64,
    /// The inflated size declared by the header and checked in pass 1: the
    /// object's, or the delta's for delta entries.
    size: u64,
    crc: u32,
    /// For a delta, the index of the entry it applies to (OFS_DELTA: from pass
    /// 1; REF_DELTA: [`UNRESOLVED`] until resolved), or [`EXTERNAL`] | the
    /// index of an external base. Base chains lead to a whole object or an
    /// external base, and bases always resolve before their deltas: no cycles.
    base: u32,
    /// Header bytes before the zlib stream.
    header: u8,
    /// Pack type: 1..=4, 6 (OFS_DELTA) or 7 (REF_DELTA).
    ty: u8,
    /// The object's kind; None for a delta not resolved yet.
    kind: Option<Kind>,
}

/// Index the pack `pack` (all of it, trailer included): [`index_pack_with`]
/// without looking at the objects.
pub fn index_pack(pack: &[u8], external: External<'_>) -> Result<Indexed, String> {
    index_pack_as(pack, external, None, BASE_CACHE_LIMIT)
}

/// Index the pack `pack` (all of it, trailer included), handing every object
/// to `on_object` as it is found: its id, kind and full content, once per
/// entry of the pack (an object stored twice comes twice; external bases do
/// not come, only what the pack holds). Whole objects come in pack order
/// during the first pass and deltified ones during resolution, each after its
/// base; the content is only borrowed for the call, so memory stays bounded
/// unless the callback keeps it. On an error, the objects already given may be
/// only part of the pack, and the pack must not be trusted.
pub fn index_pack_with(pack: &[u8], external: External<'_>, on_object: OnObject<'_>) -> Result<Indexed, String> {
    index_pack_as(pack, external, Some(on_object), BASE_CACHE_LIMIT)
}

/// The two passes, with `cache_limit` bytes of cached bases.
fn index_pack_as<'a, 'o>(pack: &'a [u8], external: External<'a>, on_object: Option<OnObject<'o>>, cache_limit: usize) -> Result<Indexed, String> {
    if pack.len() < 32 || &pack[..4] != b"PACK" {
        return Err("not a pack (bad signature or too short)".into());
    }
    let version = u32::from_be_bytes(pack[4..8].try_into().expect("4 bytes"));
    if version != 2 && version != 3 {
        return Err(format!("unsupported pack version {version}"));
    }
    let count = u32::from_be_bytes(pack[8..12].try_into().expect("4 bytes")) as usize;
    let trailer = pack.len() - 20;
    let checksum: [u8; 20] = pack[trailer..].try_into().expect("20 bytes");
    let sum_ok = || Sha1::digest(&pack[..trailer])[..] == checksum[..];
    let mut on_object = on_object;
    let (sum_ok, scanned) = if trailer >= PARALLEL_SUM_FROM {
        std::thread::scope(|s| match std::thread::Builder::new().spawn_scoped(s, sum_ok) {
            Ok(sum) => {
                let scanned = scan(pack, count, &mut on_object);
                (sum.join().map_err(|_| "the pack checksum could not be computed".to_string()), scanned)
            }
            Err(_) => (Ok(sum_ok()), scan(pack, count, &mut on_object)),
        })
    } else {
        (Ok(sum_ok()), scan(pack, count, &mut on_object))
    };
    // A damaged pack says so first, whatever pass 1 made of it.
    if !sum_ok? {
        return Err("pack checksum does not match its contents".into());
    }
    let (metas, oids, refs) = scanned?;
    let mut r = Resolver::new(pack, metas, oids, refs, external, on_object, cache_limit);
    r.resolve_all()?;
    let entries = r.metas.iter().zip(&r.oids).map(|(m, &oid)| IndexEntry { oid, offset: m.offset, crc: m.crc }).collect();
    Ok(Indexed { entries, checksum, external_bases: r.external_ids })
}

/// Pass 1: every entry's header, extent, CRC and declared size, and the id of
/// every whole object. Returns the entries, their ids (zero for deltas) and the
/// REF deltas as (base id, entry).
#[allow(clippy::type_complexity)]
fn scan(pack: &[u8], count: usize, on_object: &mut Option<OnObject<'_>>) -> Result<(Vec<Meta>, Vec<ObjectId>, Vec<(ObjectId, u32)>), String> {
    let trailer = pack.len() - 20;
    // Every entry needs at least two bytes (header and a zlib stream), so a
    // count the pack cannot hold is refused before anything is reserved for it.
    if count > trailer / 2 {
        return Err(format!("pack claims {count} objects in {trailer} bytes"));
    }
    if count >= EXTERNAL as usize {
        return Err(format!("pack claims {count} objects, more than we index"));
    }
    let body = &pack[..trailer];
    // Room for the count the header claims, up to what packs of this size
    // usually hold: beyond it, what the entries really are decides.
    let room = count.min(trailer / 16);
    let mut metas: Vec<Meta> = Vec::with_capacity(room);
    let mut oids: Vec<ObjectId> = Vec::with_capacity(room);
    let mut refs: Vec<(ObjectId, u32)> = Vec::new();
    // Whole inflation of entries up to WHOLE_MAX bytes; grows to the largest seen.
    let mut scratch: Vec<u8> = Vec::new();
    let mut pos = 12usize;
    for i in 0..count {
        let offset = pos;
        let at = |p: usize| body.get(p).copied().ok_or_else(|| format!("entry at {offset} runs past the end of the pack"));
        let mut c = at(pos)?;
        pos += 1;
        let ty = (c >> 4) & 7;
        let mut size = (c & 15) as u64;
        let mut shift = 4;
        while c & 0x80 != 0 {
            c = at(pos)?;
            pos += 1;
            if shift > 57 {
                return Err(format!("entry at {offset}: size varint too long"));
            }
            size |= ((c & 0x7f) as u64) << shift;
            shift += 7;
        }
        let mut base = 0;
        let mut oid = ObjectId([0; 20]);
        match ty {
            6 => {
                let mut c = at(pos)?;
                pos += 1;
                let mut rel = (c & 0x7f) as u64;
                while c & 0x80 != 0 {
                    c = at(pos)?;
                    pos += 1;
                    if rel > (u64::MAX >> 8) {
                        return Err(format!("entry at {offset}: delta offset overflows"));
                    }
                    rel = ((rel + 1) << 7) | (c & 0x7f) as u64;
                }
                if rel == 0 || rel > offset as u64 - 12 {
                    return Err(format!("entry at {offset}: OFS_DELTA base outside the pack or at itself"));
                }
                let o = offset as u64 - rel;
                // Entries so far are in offset order.
                base = metas.binary_search_by_key(&o, |m| m.offset).map_err(|_| format!("entry at {offset}: OFS_DELTA base {o} is not an entry"))? as u32;
            }
            7 => {
                let id = body.get(pos..pos + 20).ok_or_else(|| format!("entry at {offset}: truncated REF_DELTA base"))?;
                pos += 20;
                refs.push((ObjectId::from_bytes(id).expect("20 bytes"), i as u32));
                base = UNRESOLVED;
            }
            t => {
                Kind::from_pack_type(t).ok_or_else(|| format!("entry at {offset}: unknown type {t}"))?;
            }
        }
        let kind = Kind::from_pack_type(ty);
        let stream = &body[pos..];
        if size > inflate::max_output(stream.len()) {
            return Err(format!("entry at {offset}: declared size {size} cannot come from the {} bytes left", stream.len()));
        }
        let mut whole = None;
        if size <= WHOLE_MAX {
            let n = size as usize;
            // Room past the object lets libdeflate's fast loop run to its end.
            if scratch.len() < n + inflate::OUT_SLACK {
                scratch.resize(n + inflate::OUT_SLACK, 0);
            }
            whole = inflate::whole_counted(stream, &mut scratch[..n + inflate::OUT_SLACK], n);
        }
        let used = match (whole, kind) {
            (Some(used), None) => used,
            (Some(used), Some(kind)) => {
                let data = &scratch[..size as usize];
                oid = object::hash(kind, data);
                if let Some(f) = on_object.as_mut() {
                    f(&oid, kind, data);
                }
                used
            }
            (None, None) => inflate::inflate_each(stream, size, &mut |_| Ok(())).map_err(|r| format!("entry at {offset}: {r}"))?,
            (None, Some(kind)) => {
                // Hashed as it inflates; kept whole only for the callback, and
                // then grown by what inflation produces, not by the header.
                let mut h = Sha1::new();
                h.update(kind.as_str().as_bytes());
                h.update(format!(" {size}\0").as_bytes());
                let keep = on_object.is_some();
                let mut content = Vec::new();
                let used = inflate::inflate_each(stream, size, &mut |piece| {
                    h.update(piece);
                    if keep {
                        content.try_reserve(piece.len()).map_err(|_| format!("cannot allocate {} bytes", content.len() + piece.len()))?;
                        content.extend_from_slice(piece);
                    }
                    Ok(())
                })
                .map_err(|r| format!("entry at {offset}: {r}"))?;
                oid = ObjectId(h.finalize().into());
                if let Some(f) = on_object.as_mut() {
                    f(&oid, kind, &content);
                }
                used
            }
        };
        let header = (pos - offset) as u8;
        pos += used;
        let crc = inflate::crc32(&body[offset..pos]);
        metas.push(Meta { offset: offset as u64, size, crc, base, header, ty, kind });
        oids.push(oid);
    }
    if pos != trailer {
        return Err(format!("{} bytes after the last entry", trailer - pos));
    }
    Ok((metas, oids, refs))
}

/// A base on the current path of the resolution, with the children not yet
/// resolved against it.
struct Frame {
    /// The entry, or [`EXTERNAL`] | the index of an external base.
    at: u32,
    kind: Kind,
    /// Held only while this is the top of the path; otherwise in the cache
    /// (or rebuilt).
    data: Option<Arc<Vec<u8>>>,
    /// The next and end positions in `Resolver::kids` (OFS children).
    ofs: (u32, u32),
    /// The next and end positions in `Resolver::refs` (REF children).
    refs: (u32, u32),
}

/// Pass 2.
struct Resolver<'a, 'o> {
    pack: &'a [u8],
    metas: Vec<Meta>,
    oids: Vec<ObjectId>,
    /// The OFS children of entry `i` are `kids[kids_at[i]..kids_at[i + 1]]`, in pack order.
    kids_at: Vec<u32>,
    kids: Vec<u32>,
    /// REF deltas as (base id, entry), sorted.
    refs: Vec<(ObjectId, u32)>,
    /// Inflated bases, keyed by (0, entry) or (1, external index).
    cache: Cache,
    external: External<'a>,
    external_ids: Vec<ObjectId>,
    on_object: Option<OnObject<'o>>,
    /// Reused for inflated deltas and for results that are no base.
    delta_buf: Vec<u8>,
    out_buf: Vec<u8>,
}

fn key(at: u32) -> (u32, u64) {
    if at & EXTERNAL != 0 {
        (1, (at & !EXTERNAL) as u64)
    } else {
        (0, at as u64)
    }
}

impl<'a, 'o> Resolver<'a, 'o> {
    fn new(pack: &'a [u8], metas: Vec<Meta>, oids: Vec<ObjectId>, mut refs: Vec<(ObjectId, u32)>, external: External<'a>, on_object: Option<OnObject<'o>>, cache_limit: usize) -> Resolver<'a, 'o> {
        let n = metas.len();
        let mut kids_at = vec![0u32; n + 1];
        for m in metas.iter().filter(|m| m.ty == 6) {
            kids_at[m.base as usize + 1] += 1;
        }
        for i in 0..n {
            kids_at[i + 1] += kids_at[i];
        }
        let mut kids = vec![0u32; kids_at[n] as usize];
        let mut fill = kids_at.clone();
        for (i, m) in metas.iter().enumerate().filter(|(_, m)| m.ty == 6) {
            let b = m.base as usize;
            kids[fill[b] as usize] = i as u32;
            fill[b] += 1;
        }
        refs.sort_unstable();
        Resolver {
            pack,
            metas,
            oids,
            kids_at,
            kids,
            refs,
            cache: Cache::new(cache_limit),
            external,
            external_ids: Vec::new(),
            on_object,
            delta_buf: Vec::new(),
            out_buf: Vec::new(),
        }
    }

    /// The entry's zlib stream: up to the next entry, or the trailer.
    fn stream(&self, i: u32) -> &'a [u8] {
        let m = &self.metas[i as usize];
        let end = self.metas.get(i as usize + 1).map_or(self.pack.len() - 20, |n| n.offset as usize);
        &self.pack[m.offset as usize + m.header as usize..end]
    }

    /// Inflate entry `i` into `out` (cleared first); its size was checked in pass 1.
    fn inflate(&self, i: u32, out: &mut Vec<u8>) -> Result<(), String> {
        out.clear();
        inflate::inflate_exact(self.stream(i), self.metas[i as usize].size, out).map_err(|r| format!("entry at {}: {r}", self.metas[i as usize].offset))
    }

    /// Where the REF children of `oid` are in `refs`.
    fn ref_range(&self, oid: &ObjectId) -> (u32, u32) {
        if self.refs.is_empty() {
            return (0, 0);
        }
        let lo = self.refs.partition_point(|r| r.0 < *oid);
        let hi = lo + self.refs[lo..].partition_point(|r| r.0 == *oid);
        (lo as u32, hi as u32)
    }

    /// Apply delta entry `i` to `base`, leaving the result in `out`.
    fn apply(&mut self, i: u32, base: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        let mut d = std::mem::take(&mut self.delta_buf);
        let r = self.inflate(i, &mut d).and_then(|()| delta::apply(base, &d, out).map_err(|r| format!("delta at {}: {r}", self.metas[i as usize].offset)));
        self.delta_buf = d;
        r
    }

    /// The content of `at` (an entry already resolved, or an external base):
    /// from the cache, or rebuilt from the nearest cached or whole object on
    /// its base chain.
    fn content(&mut self, at: u32, kind: Kind) -> Result<Arc<Vec<u8>>, String> {
        let mut chain = Vec::new();
        let mut x = at;
        let mut data = loop {
            if let Some((_, d)) = self.cache.get(key(x).0, key(x).1) {
                break d;
            }
            if x & EXTERNAL != 0 {
                let id = self.external_ids[(x & !EXTERNAL) as usize];
                let (k, content) = (self.external)(&id).ok_or_else(|| format!("external base {id} is gone"))?;
                if object::hash(k, &content) != id {
                    return Err(format!("external base {id} does not hash to its id"));
                }
                break Arc::new(content);
            }
            let m = &self.metas[x as usize];
            if m.ty <= 4 {
                let mut v = Vec::new();
                self.inflate(x, &mut v)?;
                break Arc::new(v);
            }
            chain.push(x);
            x = m.base;
        };
        #[cfg(test)]
        if !chain.is_empty() {
            REBUILT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        // Each step is cached: the bases below `at` on the path are next.
        if chain.is_empty() {
            self.cache.put(key(at).0, key(at).1, kind, data.clone());
        }
        for &x in chain.iter().rev() {
            let mut out = Vec::new();
            self.apply(x, &data, &mut out)?;
            data = Arc::new(out);
            self.cache.put(0, x as u64, kind, data.clone());
        }
        Ok(data)
    }

    fn resolve_all(&mut self) -> Result<(), String> {
        // From every whole object that is a base.
        for i in 0..self.metas.len() as u32 {
            let Some(kind) = self.metas[i as usize].kind.filter(|_| self.metas[i as usize].ty <= 4) else { continue };
            let ofs = (self.kids_at[i as usize], self.kids_at[i as usize + 1]);
            let refs = self.ref_range(&self.oids[i as usize]);
            if ofs.0 == ofs.1 && refs.0 == refs.1 {
                continue;
            }
            let data = self.content(i, kind)?;
            self.resolve_from(Frame { at: i, kind, data: Some(data), ofs, refs })?;
        }
        // Then from bases outside the pack (a thin pack's).
        let mut missing = None;
        let mut j = 0;
        while j < self.refs.len() {
            let id = self.refs[j].0;
            let end = j + self.refs[j..].partition_point(|r| r.0 == id);
            if self.refs[j..end].iter().any(|r| self.metas[r.1 as usize].kind.is_none()) {
                match (self.external)(&id) {
                    Some((kind, content)) => {
                        if object::hash(kind, &content) != id {
                            return Err(format!("external base {id} does not hash to its id"));
                        }
                        let at = EXTERNAL | self.external_ids.len() as u32;
                        self.external_ids.push(id);
                        let data = Arc::new(content);
                        self.cache.put(key(at).0, key(at).1, kind, data.clone());
                        self.resolve_from(Frame { at, kind, data: Some(data), ofs: (0, 0), refs: (j as u32, end as u32) })?;
                    }
                    None => {
                        missing.get_or_insert(id);
                    }
                }
            }
            j = end;
        }
        if let Some(m) = self.metas.iter().find(|m| m.kind.is_none()) {
            return Err(match missing {
                Some(id) => format!("REF_DELTA base {id} is neither in the pack nor here"),
                None => format!("entry at {}: its delta base never resolved (a cycle)", m.offset),
            });
        }
        Ok(())
    }

    /// Resolve every delta that descends from `root`, depth first.
    fn resolve_from(&mut self, root: Frame) -> Result<(), String> {
        let mut path = vec![root];
        while let Some(top) = path.last_mut() {
            let kid = if top.ofs.0 < top.ofs.1 {
                top.ofs.0 += 1;
                self.kids[top.ofs.0 as usize - 1]
            } else if top.refs.0 < top.refs.1 {
                top.refs.0 += 1;
                let k = self.refs[top.refs.0 as usize - 1].1;
                // Resolved already against another copy of the same base.
                if self.metas[k as usize].kind.is_some() {
                    continue;
                }
                k
            } else {
                let (p, o) = key(top.at);
                self.cache.remove(p, o);
                path.pop();
                continue;
            };
            let last = top.ofs.0 == top.ofs.1 && top.refs.0 == top.refs.1;
            let (at, kind) = (top.at, top.kind);
            let base = match &top.data {
                Some(d) => d.clone(),
                None => {
                    let d = self.content(at, kind)?;
                    path.last_mut().expect("the top is there").data = Some(d.clone());
                    d
                }
            };
            let mut out = std::mem::take(&mut self.out_buf);
            self.apply(kid, &base, &mut out)?;
            drop(base);
            let oid = object::hash(kind, &out);
            let m = &mut self.metas[kid as usize];
            m.kind = Some(kind);
            m.base = at;
            self.oids[kid as usize] = oid;
            if let Some(f) = self.on_object.as_mut() {
                f(&oid, kind, &out);
            }
            let ofs = (self.kids_at[kid as usize], self.kids_at[kid as usize + 1]);
            let refs = self.ref_range(&oid);
            if ofs.0 == ofs.1 && refs.0 == refs.1 {
                self.out_buf = out;
                continue;
            }
            if last {
                // The child takes its base's place, which is needed no more
                // (a rebuild of the child goes back along its base chain).
                let (p, o) = key(at);
                self.cache.remove(p, o);
                path.pop();
            } else {
                path.last_mut().expect("the top is there").data = None;
            }
            // The reused buffer may have grown for a bigger object earlier:
            // what is cached holds no more than it counts.
            if out.capacity() > out.len() + out.len() / 4 + 4096 {
                out.shrink_to_fit();
            }
            let data = Arc::new(out);
            self.cache.put(0, kid as u64, kind, data.clone());
            path.push(Frame { at: kid, kind, data: Some(data), ofs, refs });
        }
        Ok(())
    }
}

/// The `.idx` v2 of `entries` (any order) for the pack with `checksum`.
pub fn idx_v2(entries: &[IndexEntry], checksum: &[u8; 20]) -> Vec<u8> {
    let mut sorted: Vec<&IndexEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.oid.0.cmp(&b.oid.0));
    let mut out = Vec::with_capacity(8 + 1024 + sorted.len() * 28 + 40);
    out.extend_from_slice(b"\xfftOc");
    out.extend_from_slice(&2u32.to_be_bytes());
    let mut fan = [0u32; 256];
    for e in &sorted {
        fan[e.oid.0[0] as usize] += 1;
    }
    let mut total = 0u32;
    for f in fan {
        total += f;
        out.extend_from_slice(&total.to_be_bytes());
    }
    for e in &sorted {
        out.extend_from_slice(&e.oid.0);
    }
    for e in &sorted {
        out.extend_from_slice(&e.crc.to_be_bytes());
    }
    let mut large = Vec::new();
    for e in &sorted {
        if e.offset < 0x8000_0000 {
            out.extend_from_slice(&(e.offset as u32).to_be_bytes());
        } else {
            out.extend_from_slice(&(0x8000_0000u32 | large.len() as u32).to_be_bytes());
            large.push(e.offset);
        }
    }
    for o in large {
        out.extend_from_slice(&o.to_be_bytes());
    }
    out.extend_from_slice(checksum);
    let sum = Sha1::digest(&out);
    out.extend_from_slice(&sum);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testutil::{git_bytes, git_ok, TempDir};

    /// A repository with history worth delta-compressing.
    fn repo() -> TempDir {
        let tmp = TempDir::new("ingest");
        let dir = &tmp.0;
        git_ok(dir, &["init", "-q", "-b", "main", "."]);
        let mut text = String::new();
        for i in 0..40 {
            text.push_str(&format!("line {i} of a file that grows a little every commit\n"));
            std::fs::write(dir.join("f.txt"), &text).expect("write");
            std::fs::write(dir.join(format!("n{}.txt", i % 5)), format!("{i}\n").repeat(50)).expect("write");
            git_ok(dir, &["add", "-A"]);
            git_ok(dir, &["commit", "-q", "-m", &format!("commit {i}")]);
        }
        tmp
    }

    fn no_external(_: &ObjectId) -> Option<(Kind, Vec<u8>)> {
        None
    }

    #[test]
    fn idx_equals_git_index_pack_for_ofs_and_ref_deltas() {
        let tmp = repo();
        let dir = &tmp.0;
        let all = git_bytes(dir, &["rev-list", "--objects", "--all"], None);
        for extra in [&[][..], &["--no-delta-base-offset"][..]] {
            let mut args = vec!["pack-objects", "--stdout", "-q"];
            args.extend_from_slice(extra);
            let pack = git_bytes(dir, &args, Some(&all));
            let got = index_pack(&pack, &no_external).expect("indexes");
            assert!(got.external_bases.is_empty());
            let pack_path = dir.join("t.pack");
            std::fs::write(&pack_path, &pack).expect("write");
            git_ok(dir, &["index-pack", "-o", "t.idx", "t.pack"]);
            let want = std::fs::read(dir.join("t.idx")).expect("read idx");
            assert_eq!(idx_v2(&got.entries, &got.checksum), want, "{extra:?}");
            std::fs::remove_file(dir.join("t.idx")).expect("rm");
        }
    }

    #[test]
    fn thin_packs_take_bases_from_the_caller() {
        let tmp = repo();
        let dir = &tmp.0;
        // Objects of the last 5 commits, deltified against what the first 35 have.
        let objs = git_bytes(dir, &["rev-list", "--objects", "main~5..main"], None);
        let mut input = b"^main~5\n".to_vec();
        input.extend_from_slice(&git_bytes(dir, &["rev-parse", "main"], None));
        let pack = git_bytes(dir, &["pack-objects", "--stdout", "-q", "--thin", "--revs"], Some(&input));
        assert!(!objs.is_empty());
        let repo = crate::core::repo::Repository::open(dir, &Default::default()).expect("open");
        let from_repo = |id: &ObjectId| {
            let mut v = Vec::new();
            repo.odb.read(id, &mut v).ok().flatten().map(|k| (k, v))
        };
        assert!(index_pack(&pack, &no_external).is_err(), "a thin pack needs its bases");
        let got = index_pack(&pack, &from_repo).expect("indexes");
        assert!(!got.external_bases.is_empty(), "the pack is thin");
        // Every object id equals git's own listing of the pack's objects.
        std::fs::write(dir.join("thin.pack"), &pack).expect("write");
        let listed = git_bytes(dir, &["index-pack", "--stdin", "--fix-thin", "-o", "fixed.idx"], Some(&pack));
        assert!(!listed.is_empty());
        let mut ours: Vec<String> = got.entries.iter().map(|e| e.oid.to_hex()).collect();
        ours.sort();
        let shown = git_bytes(dir, &["show-index"], Some(&std::fs::read(dir.join("fixed.idx")).expect("idx")));
        let mut theirs: Vec<String> = String::from_utf8_lossy(&shown).lines().map(|l| l.split(' ').nth(1).unwrap_or("").to_string()).collect();
        theirs.sort();
        // --fix-thin appends the missing bases to the pack; ours lists the received objects.
        for o in &ours {
            assert!(theirs.contains(o), "{o}");
        }
        let bases: Vec<String> = got.external_bases.iter().map(|o| o.to_hex()).collect();
        for t in &theirs {
            assert!(ours.contains(t) || bases.contains(t), "{t} is neither received nor a base we were given");
        }
        assert!(theirs.len() > ours.len());
    }

    #[test]
    fn a_stored_pack_is_read_by_git_and_by_us() {
        let src = repo();
        let all = git_bytes(&src.0, &["rev-list", "--objects", "--all"], None);
        let pack = git_bytes(&src.0, &["pack-objects", "--stdout", "-q"], Some(&all));
        let got = index_pack(&pack, &no_external).expect("indexes");
        let dst = TempDir::new("ingest-store");
        git_ok(&dst.0, &["init", "-q", "--bare", "."]);
        let objects = dst.0.join("objects");
        let path = crate::core::odb::write::write_pack(&objects, &got.checksum, crate::core::odb::write::PackData::Bytes(&pack), &idx_v2(&got.entries, &got.checksum), Some(b"")).expect("stored");
        // Only the three files: no temp file left.
        let mut names: Vec<String> = std::fs::read_dir(objects.join("pack")).expect("dir").map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        let stem = path.file_stem().expect("stem").to_string_lossy().into_owned();
        assert_eq!(names, [format!("{stem}.idx"), format!("{stem}.pack"), format!("{stem}.promisor")]);
        git_ok(&dst.0, &["verify-pack", &path.with_extension("idx").display().to_string()]);
        let repo = crate::core::repo::Repository::open(&dst.0, &Default::default()).expect("open");
        let mut v = Vec::new();
        for e in &got.entries {
            let kind = repo.odb.read(&e.oid, &mut v).expect("read").expect("present");
            assert_eq!(object::hash(kind, &v), e.oid);
        }
        let listed = git_ok(&dst.0, &["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"]);
        assert_eq!(listed.lines().count(), got.entries.len());
        // Storing it again keeps what is there.
        assert_eq!(crate::core::odb::write::write_pack(&objects, &got.checksum, crate::core::odb::write::PackData::Bytes(&pack), b"garbage", None).expect("kept"), path);
        git_ok(&dst.0, &["verify-pack", &path.with_extension("idx").display().to_string()]);
    }

    /// Every object git has in the repository at `dir`, sorted: (id, kind, content).
    fn git_objects(dir: &std::path::Path) -> Vec<(ObjectId, Kind, Vec<u8>)> {
        let out = git_bytes(dir, &["cat-file", "--batch-all-objects", "--batch"], None);
        let mut objects = Vec::new();
        let mut rest = &out[..];
        while !rest.is_empty() {
            let nl = rest.iter().position(|&b| b == b'\n').expect("a header line");
            let header = std::str::from_utf8(&rest[..nl]).expect("utf-8 header");
            let mut f = header.split(' ');
            let id = ObjectId::parse(f.next().expect("id")).expect("hex id");
            let kind = Kind::from_bytes(f.next().expect("type").as_bytes()).expect("a kind");
            let size: usize = f.next().expect("size").parse().expect("a number");
            objects.push((id, kind, rest[nl + 1..nl + 1 + size].to_vec()));
            rest = &rest[nl + 1 + size + 1..];
        }
        objects.sort_by(|x, y| (x.0 .0, &x.2).cmp(&(y.0 .0, &y.2)));
        objects
    }

    /// `index_pack_as` with `limit` bytes of cache, collecting what the callback gets, sorted.
    #[allow(clippy::type_complexity)]
    fn index_collecting(pack: &[u8], external: External<'_>, limit: usize) -> (Indexed, Vec<(ObjectId, Kind, Vec<u8>)>) {
        let mut got = Vec::new();
        let mut collect = |id: &ObjectId, kind: Kind, data: &[u8]| got.push((*id, kind, data.to_vec()));
        let indexed = index_pack_as(pack, external, Some(&mut collect), limit).expect("indexes");
        got.sort_by(|x, y| (x.0 .0, &x.2).cmp(&(y.0 .0, &y.2)));
        (indexed, got)
    }

    /// The `.idx` git index-pack writes for `pack`.
    fn git_idx(dir: &std::path::Path, pack: &[u8]) -> Vec<u8> {
        std::fs::write(dir.join("check.pack"), pack).expect("write");
        let _ = std::fs::remove_file(dir.join("check.idx"));
        git_ok(dir, &["index-pack", "-o", "check.idx", "check.pack"]);
        std::fs::read(dir.join("check.idx")).expect("read idx")
    }

    /// One file edited 200 times, packed with chains up to 250 deep.
    fn chain_repo() -> TempDir {
        use std::fmt::Write;
        let tmp = TempDir::new("ingest-chain");
        let dir = &tmp.0;
        git_ok(dir, &["init", "-q", "-b", "main", "."]);
        let mut lines: Vec<String> = (0..300).map(|i| format!("line {i} of a file that is edited one line at a time\n")).collect();
        let mut stream = String::new();
        for c in 0..200 {
            let l = (c * 7) % 300;
            lines[l] = format!("line {l} as edited by commit {c}\n");
            let content = lines.concat();
            let msg = format!("edit {c}\n");
            write!(stream, "commit refs/heads/main\ncommitter C <c@example.com> {} +0000\ndata {}\n{msg}M 100644 inline f.txt\ndata {}\n{content}\n", 1_700_000_000 + c, msg.len(), content.len()).expect("to a string");
        }
        git_bytes(dir, &["fast-import", "--quiet"], Some(stream.as_bytes()));
        git_ok(dir, &["repack", "-adfq", "--depth=250", "--window=250"]);
        tmp
    }

    fn only_pack(dir: &std::path::Path) -> Vec<u8> {
        let packs: Vec<_> = std::fs::read_dir(dir.join(".git/objects/pack")).expect("pack dir").map(|e| e.expect("entry").path()).filter(|p| p.extension().is_some_and(|e| e == "pack")).collect();
        assert_eq!(packs.len(), 1, "{packs:?}");
        std::fs::read(&packs[0]).expect("read pack")
    }

    #[test]
    fn long_delta_chains_index_as_git_does_and_every_object_comes_to_the_callback() {
        let tmp = chain_repo();
        let dir = &tmp.0;
        let pack = only_pack(dir);
        let idx = std::fs::read_dir(dir.join(".git/objects/pack")).expect("dir").map(|e| e.expect("entry").path()).find(|p| p.extension().is_some_and(|e| e == "idx")).expect("an idx");
        let verify = git_ok(dir, &["verify-pack", "-v", &idx.display().to_string()]);
        let deepest = verify.lines().filter_map(|l| l.strip_prefix("chain length = ")).filter_map(|l| l.split(':').next()?.parse::<usize>().ok()).max().unwrap_or(0);
        assert!(deepest >= 100, "chains of {deepest} only");
        let want_idx = git_idx(dir, &pack);
        let want = git_objects(dir);
        // The default cache, a small one, and none (every base rebuilt from its chain).
        for limit in [BASE_CACHE_LIMIT, 64 << 10, 0] {
            let rebuilt = REBUILT.load(std::sync::atomic::Ordering::Relaxed);
            let (got, objects) = index_collecting(&pack, &no_external, limit);
            if limit == 0 {
                assert!(REBUILT.load(std::sync::atomic::Ordering::Relaxed) > rebuilt, "no base was rebuilt");
            }
            assert_eq!(idx_v2(&got.entries, &got.checksum), want_idx, "cache {limit}");
            assert_eq!(objects.len(), got.entries.len());
            assert!(objects == want, "cache {limit}: the callback's objects differ from git's");
        }
        assert_eq!(idx_v2(&index_pack(&pack, &no_external).expect("indexes").entries, &pack[pack.len() - 20..].try_into().expect("20")), want_idx);
    }

    #[test]
    fn the_callback_gets_every_object_of_a_pack_with_ofs_and_ref_deltas() {
        let tmp = repo();
        let dir = &tmp.0;
        let want = git_objects(dir);
        let all = git_bytes(dir, &["rev-list", "--objects", "--all"], None);
        for extra in [&[][..], &["--no-delta-base-offset"][..]] {
            let mut args = vec!["pack-objects", "--stdout", "-q"];
            args.extend_from_slice(extra);
            let pack = git_bytes(dir, &args, Some(&all));
            let want_idx = git_idx(dir, &pack);
            for limit in [BASE_CACHE_LIMIT, 0] {
                let (got, objects) = index_collecting(&pack, &no_external, limit);
                assert_eq!(idx_v2(&got.entries, &got.checksum), want_idx, "{extra:?} cache {limit}");
                assert!(objects == want, "{extra:?} cache {limit}: the callback's objects differ from git's");
            }
        }
    }

    #[test]
    fn thin_packs_resolve_with_the_callback_and_no_cache() {
        let tmp = repo();
        let dir = &tmp.0;
        let mut input = b"^main~5\n".to_vec();
        input.extend_from_slice(&git_bytes(dir, &["rev-parse", "main"], None));
        let pack = git_bytes(dir, &["pack-objects", "--stdout", "-q", "--thin", "--revs"], Some(&input));
        let repo = crate::core::repo::Repository::open(dir, &Default::default()).expect("open");
        let from_repo = |id: &ObjectId| {
            let mut v = Vec::new();
            repo.odb.read(id, &mut v).ok().flatten().map(|k| (k, v))
        };
        let plain = index_pack(&pack, &from_repo).expect("indexes");
        for limit in [BASE_CACHE_LIMIT, 0] {
            let (got, objects) = index_collecting(&pack, &from_repo, limit);
            assert_eq!(got.entries, plain.entries);
            assert_eq!(got.external_bases, plain.external_bases);
            // The pack's objects, not the bases it was given.
            let mut ids: Vec<ObjectId> = got.entries.iter().map(|e| e.oid).collect();
            ids.sort();
            assert_eq!(objects.iter().map(|o| o.0).collect::<Vec<_>>(), ids);
            for (id, kind, data) in &objects {
                assert_eq!(object::hash(*kind, data), *id);
            }
        }
    }

    // Hand-made packs.

    fn zlib(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("to a vec");
        e.finish().expect("finish")
    }

    /// An entry header: type and size, then `extra` (an OFS offset or a REF id).
    fn header(ty: u8, size: u64, extra: &[u8]) -> Vec<u8> {
        let mut out = vec![(ty << 4) | (size & 15) as u8];
        let mut rest = size >> 4;
        while rest != 0 {
            *out.last_mut().expect("one byte at least") |= 0x80;
            out.push((rest & 0x7f) as u8);
            rest >>= 7;
        }
        out.extend_from_slice(extra);
        out
    }

    fn entry(ty: u8, size: u64, extra: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = header(ty, size, extra);
        out.extend_from_slice(&zlib(data));
        out
    }

    /// git's OFS_DELTA offset encoding.
    fn ofs(mut rel: u64) -> Vec<u8> {
        let mut out = vec![(rel & 0x7f) as u8];
        rel >>= 7;
        while rel != 0 {
            rel -= 1;
            out.insert(0, 0x80 | (rel & 0x7f) as u8);
            rel >>= 7;
        }
        out
    }

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// A delta from a `base_len`-byte base to `result` inserted whole.
    fn insert_delta(base_len: u64, result: &[u8]) -> Vec<u8> {
        let mut d = Vec::new();
        varint(base_len, &mut d);
        varint(result.len() as u64, &mut d);
        for piece in result.chunks(127) {
            d.push(piece.len() as u8);
            d.extend_from_slice(piece);
        }
        d
    }

    /// A pack claiming `count` objects, holding `entries`, with a valid trailer.
    fn pack_of(count: u32, entries: &[Vec<u8>]) -> Vec<u8> {
        let mut p = b"PACK".to_vec();
        p.extend_from_slice(&2u32.to_be_bytes());
        p.extend_from_slice(&count.to_be_bytes());
        for e in entries {
            p.extend_from_slice(e);
        }
        let sum = Sha1::digest(&p);
        p.extend_from_slice(&sum);
        p
    }

    /// Index with and without a callback: both must fail; returns the reason.
    fn refused(pack: &[u8], external: External<'_>) -> String {
        let plain = index_pack(pack, external).expect_err("refused");
        let mut seen = 0;
        let with = index_pack_as(pack, external, Some(&mut |_: &ObjectId, _: Kind, _: &[u8]| seen += 1), 0).expect_err("refused with a callback too");
        assert_eq!(plain, with);
        plain
    }

    #[test]
    fn hand_made_packs_index_as_git_does() {
        let tmp = TempDir::new("ingest-hand");
        let dir = &tmp.0;
        git_ok(dir, &["init", "-q", "--bare", "."]);
        let a = b"the first version of a blob\n".repeat(3);
        let b = b"a second blob, made from the first by a delta\n";
        let blob = entry(3, a.len() as u64, &[], &a);
        let d = insert_delta(a.len() as u64, b);
        let ofs_delta = entry(6, d.len() as u64, &ofs(blob.len() as u64), &d);
        let a_id = object::hash(Kind::Blob, &a);
        let ref_delta = entry(7, d.len() as u64, &a_id.0, &d);
        let pack = pack_of(3, &[blob.clone(), ofs_delta, ref_delta.clone()]);
        let got = index_pack(&pack, &no_external).expect("indexes");
        assert_eq!(idx_v2(&got.entries, &got.checksum), git_idx(dir, &pack));
        // A REF delta resolved from a delta resolved from a base outside the pack.
        let c = b"a third blob";
        let b_id = object::hash(Kind::Blob, b);
        let d2 = insert_delta(b.len() as u64, c);
        let thin = pack_of(2, &[entry(7, d2.len() as u64, &b_id.0, &d2), entry(7, d.len() as u64, &a_id.0, &d)]);
        let has_a = |id: &ObjectId| (*id == a_id).then(|| (Kind::Blob, a.clone()));
        let got = index_pack(&thin, &has_a).expect("indexes");
        assert_eq!(got.external_bases, [a_id]);
        assert_eq!(got.entries.iter().map(|e| e.oid).collect::<Vec<_>>(), [object::hash(Kind::Blob, c), b_id]);
    }

    #[test]
    fn hostile_packs_are_refused_without_panic_or_huge_allocation() {
        let a = b"some blob content\n".repeat(4);
        let blob = entry(3, a.len() as u64, &[], &a);
        let t = std::time::Instant::now();
        // A header claiming 2^32-1 objects.
        assert!(refused(&pack_of(u32::MAX, &[blob.clone()]), &no_external).contains("claims"));
        // Fewer or more objects than the header says.
        assert!(refused(&pack_of(1, &[blob.clone(), blob.clone()]), &no_external).contains("after the last entry"));
        assert!(refused(&pack_of(3, &[blob.clone(), blob.clone()]), &no_external).contains("past the end"));
        // Sizes: 2^60 (past what the size varint may hold) and 2^59 for an
        // object and for a delta, one byte off either way.
        let mut e = header(3, 1 << 60, &[]);
        e.extend_from_slice(&zlib(&a));
        assert!(refused(&pack_of(1, &[e]), &no_external).contains("size varint too long"));
        let mut e = header(3, 1 << 59, &[]);
        e.extend_from_slice(&zlib(&a));
        assert!(refused(&pack_of(1, &[e]), &no_external).contains("cannot come"));
        for huge in [1u64 << 60, 1 << 59] {
            let mut e = header(6, huge, &ofs(blob.len() as u64));
            e.extend_from_slice(&zlib(&a));
            refused(&pack_of(2, &[blob.clone(), e]), &no_external);
        }
        refused(&pack_of(1, &[entry(3, a.len() as u64 + 1, &[], &a)]), &no_external);
        refused(&pack_of(1, &[entry(3, a.len() as u64 - 1, &[], &a)]), &no_external);
        // A size only 1 GiB, reachable from the bytes after it: inflated a piece
        // at a time, so the lie costs no gigabyte.
        let mut noise = vec![0u8; 1_100_000];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for b in noise.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let big = entry(3, noise.len() as u64, &[], &noise);
        assert!(refused(&pack_of(2, &[entry(3, 1 << 30, &[], &a), big.clone()]), &no_external).contains("shorter"));
        let d = insert_delta(a.len() as u64, b"x");
        assert!(refused(&pack_of(3, &[blob.clone(), entry(6, 1 << 30, &ofs(blob.len() as u64), &d), big]), &no_external).contains("shorter"));
        // OFS_DELTA bases before the pack, at the entry itself, inside another entry.
        let d = insert_delta(a.len() as u64, b"new");
        for rel in [blob.len() as u64 + 1, blob.len() as u64 + 12, 1 << 40, 0, blob.len() as u64 - 3] {
            let e = entry(6, d.len() as u64, &ofs(rel), &d);
            refused(&pack_of(2, &[blob.clone(), e]), &no_external);
        }
        // An OFS offset varint that overflows.
        let mut e = header(6, d.len() as u64, &[0xff; 12]);
        e.extend_from_slice(&[0x01]);
        e.extend_from_slice(&zlib(&d));
        assert!(refused(&pack_of(2, &[blob.clone(), e]), &no_external).contains("overflows"));
        // A REF delta whose base is the object it makes (so it is in no pack).
        let same = object::hash(Kind::Blob, &a);
        let copy = {
            let mut d = Vec::new();
            varint(a.len() as u64, &mut d);
            varint(a.len() as u64, &mut d);
            d.extend_from_slice(&[0x80 | 0x10, a.len() as u8]);
            d
        };
        assert!(refused(&pack_of(1, &[entry(7, copy.len() as u64, &same.0, &copy)]), &no_external).contains("neither"));
        // A REF cycle: A is made from B, B from A; neither is anywhere else.
        let (x, y) = (b"xxxxxxxx".to_vec(), b"yyyyyyyyyyyy".to_vec());
        let (x_id, y_id) = (object::hash(Kind::Blob, &x), object::hash(Kind::Blob, &y));
        let to_x = insert_delta(y.len() as u64, &x);
        let to_y = insert_delta(x.len() as u64, &y);
        let cycle = pack_of(2, &[entry(7, to_x.len() as u64, &y_id.0, &to_x), entry(7, to_y.len() as u64, &x_id.0, &to_y)]);
        assert!(refused(&cycle, &no_external).contains("neither"));
        // A caller that answers anything with the wrong content.
        let liar = |_: &ObjectId| Some((Kind::Blob, b"not that".to_vec()));
        assert!(refused(&cycle, &liar).contains("does not hash"));
        // Given one of them, both resolve.
        let has_y = |id: &ObjectId| (*id == y_id).then(|| (Kind::Blob, y.clone()));
        let got = index_pack(&cycle, &has_y).expect("resolves");
        assert_eq!(got.entries.iter().map(|e| e.oid).collect::<Vec<_>>(), [x_id, y_id]);
        // Deltas that do not apply: a base of the wrong size, a result of 2^40
        // bytes declared, a copy beyond the base, opcode 0.
        let mut bad = Vec::new();
        bad.push(insert_delta(a.len() as u64 + 1, b"x"));
        let mut d = Vec::new();
        varint(a.len() as u64, &mut d);
        varint(1 << 40, &mut d);
        d.extend_from_slice(&[0x80 | 0x10, 4]);
        bad.push(d);
        let mut d = Vec::new();
        varint(a.len() as u64, &mut d);
        varint(8, &mut d);
        d.extend_from_slice(&[0x80 | 0x01 | 0x10, a.len() as u8 - 4, 8]);
        bad.push(d);
        let mut d = Vec::new();
        varint(a.len() as u64, &mut d);
        varint(1, &mut d);
        d.push(0);
        bad.push(d);
        for d in bad {
            assert!(refused(&pack_of(2, &[blob.clone(), entry(6, d.len() as u64, &ofs(blob.len() as u64), &d)]), &no_external).contains("delta"));
        }
        // Unknown types, garbage in place of a zlib stream, a truncated REF id.
        let mut e = header(5, 3, &[]);
        e.extend_from_slice(&zlib(b"abc"));
        assert!(refused(&pack_of(1, &[e]), &no_external).contains("unknown type"));
        let mut e = header(3, 3, &[]);
        e.extend_from_slice(b"not zlib at all");
        refused(&pack_of(1, &[e]), &no_external);
        refused(&pack_of(1, &[header(7, 3, &[1; 10])]), &no_external);
        assert!(t.elapsed() < std::time::Duration::from_secs(20), "hostile packs took {:?}", t.elapsed());
    }

    /// Timing and peak memory on a real pack (not run by default):
    /// `FERROGIT_BENCH_PACK=x.pack cargo test --release --lib bench_index_pack -- --ignored --nocapture`,
    /// `FERROGIT_BENCH_RUNS` times (3 by default); then the `.idx` is compared
    /// with the file `FERROGIT_BENCH_IDX` names, if set, and the pack indexed
    /// once more with a callback if `FERROGIT_BENCH_CALLBACK` is set.
    #[test]
    #[ignore]
    fn bench_index_pack() {
        let Ok(path) = std::env::var("FERROGIT_BENCH_PACK") else { return };
        let runs: usize = std::env::var("FERROGIT_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
        let f = std::fs::File::open(&path).expect("open the pack");
        // SAFETY: a read-only map of a file nothing else writes while the test runs.
        let map = unsafe { memmap2::Mmap::map(&f) }.expect("map the pack");
        for _ in 0..runs {
            let t = std::time::Instant::now();
            let got = index_pack(&map, &no_external).expect("indexes");
            eprintln!("index_pack {path}: {} objects in {} ms", got.entries.len(), t.elapsed().as_millis());
        }
        if let Ok(idx) = std::env::var("FERROGIT_BENCH_IDX") {
            let got = index_pack(&map, &no_external).expect("indexes");
            assert!(idx_v2(&got.entries, &got.checksum) == std::fs::read(&idx).expect("read the idx"), "differs from {idx}");
            eprintln!("the .idx equals {idx}");
        }
        if std::env::var_os("FERROGIT_BENCH_CALLBACK").is_some() {
            let t = std::time::Instant::now();
            let (mut objects, mut bytes) = (0usize, 0usize);
            let got = index_pack_with(&map, &no_external, &mut |_, _, data| {
                objects += 1;
                bytes += data.len();
            })
            .expect("indexes");
            eprintln!("index_pack_with {path}: {} entries, {objects} objects of {bytes} bytes to the callback in {} ms", got.entries.len(), t.elapsed().as_millis());
        }
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        for l in status.lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("RssAnon") || l.starts_with("RssFile")) {
            eprintln!("{l}");
        }
    }

    #[test]
    fn damaged_packs_are_refused() {
        let tmp = repo();
        let dir = &tmp.0;
        let all = git_bytes(dir, &["rev-list", "--objects", "--all"], None);
        let pack = git_bytes(dir, &["pack-objects", "--stdout", "-q"], Some(&all));
        let mut flipped = pack.clone();
        flipped[100] ^= 0x40;
        assert!(index_pack(&flipped, &no_external).unwrap_err().contains("checksum"));
        assert!(index_pack(&pack[..pack.len() / 2], &no_external).is_err());
        // A count the bytes cannot hold, with a valid checksum.
        let mut lying = pack[..pack.len() - 20].to_vec();
        lying[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        let sum = Sha1::digest(&lying);
        lying.extend_from_slice(&sum);
        assert!(index_pack(&lying, &no_external).unwrap_err().contains("claims"));
        assert!(index_pack(b"PACK", &no_external).is_err());
    }
}

/// Complete a thin pack, as `git index-pack --fix-thin`: append `bases` (read
/// through `external`) as whole objects to the pack in `file` (at `path`),
/// raise the header's object count and write a new trailing checksum.
pub fn fix_thin(file: &mut std::fs::File, path: &std::path::Path, bases: &[ObjectId], external: External<'_>) -> Result<(), String> {
    use std::io::{Read, Seek, SeekFrom, Write};
    let io = |e: std::io::Error| format!("completing the thin pack: {e}");
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len < 32 {
        return Err("the pack is too short".into());
    }
    let mut head = [0u8; 12];
    let mut reader = std::fs::File::open(path).map_err(io)?;
    reader.read_exact(&mut head).map_err(io)?;
    let count = u32::from_be_bytes([head[8], head[9], head[10], head[11]]);
    let added = u32::try_from(bases.len()).map_err(|_| "too many bases".to_string())?;
    let total = count.checked_add(added).ok_or("too many objects")?;
    // Drop the old trailer, append the bases.
    file.set_len(len - 20).map_err(io)?;
    file.seek(SeekFrom::End(0)).map_err(io)?;
    let mut w = std::io::BufWriter::new(&mut *file);
    for id in bases {
        let (kind, content) = external(id).ok_or_else(|| format!("thin-pack base {id} is not here"))?;
        let type_bits: u8 = match kind {
            Kind::Commit => 1,
            Kind::Tree => 2,
            Kind::Blob => 3,
            Kind::Tag => 4,
        };
        // The entry header: type and size, size in 4 then 7-bit groups.
        let mut size = content.len() as u64;
        let mut first = (type_bits << 4) | (size & 0x0f) as u8;
        size >>= 4;
        let mut hdr = Vec::new();
        while size > 0 {
            hdr.push(first | 0x80);
            first = (size & 0x7f) as u8;
            size >>= 7;
        }
        hdr.push(first);
        w.write_all(&hdr).map_err(io)?;
        let mut z = flate2::write::ZlibEncoder::new(&mut w, flate2::Compression::default());
        z.write_all(&content).map_err(io)?;
        z.finish().map_err(io)?;
    }
    w.flush().map_err(io)?;
    drop(w);
    file.seek(SeekFrom::Start(8)).map_err(io)?;
    file.write_all(&total.to_be_bytes()).map_err(io)?;
    file.flush().map_err(io)?;
    // The new checksum over everything.
    let mut all = std::fs::File::open(path).map_err(io)?;
    let mut h = Sha1::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = all.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    file.seek(SeekFrom::End(0)).map_err(io)?;
    file.write_all(&h.finalize()).map_err(io)?;
    file.flush().map_err(io)
}
