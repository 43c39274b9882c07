//! The logical object store of a repository: packs first, then loose objects,
//! then each alternate (itself packs + loose), as git's `oid_object_info_extended`
//! searches. A miss re-scans `objects/pack` for packs written since (git's
//! `reprepare_packed_git`).
//!
//! A store made by [`Store::in_memory`] has no directory at all: no packs, no
//! loose objects, no alternates, only a [`memory::Store`] layer, and never
//! touches the filesystem. [`Store::write`] adds objects to the loose
//! directory (or to the memory layer).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex, RwLock};

use crate::core::error::Result;
use crate::core::object::{self as obj, Kind};
use crate::core::odb::pack::cache::Cache;
use crate::core::odb::pack::Pack;
use crate::core::odb::{alternates, loose, memory, write, ObjectStore, ReadCtx};
use crate::core::oid::{ObjectId, Prefix};

/// Packs, loose objects and alternates of one objects directory.
pub struct Store {
    dir: PathBuf,
    /// Copy-on-write list: readers clone the Arc, a re-scan swaps in a new list.
    packs: RwLock<Arc<Vec<Arc<Pack>>>>,
    /// Index files already opened (or failed), so a re-scan only opens new ones.
    seen: Mutex<HashSet<PathBuf>>,
    /// Packs whose index could not be opened: a miss reports them, not "not found".
    broken: Mutex<Vec<crate::core::error::Error>>,
    /// The pack that answered last: most reads hit the same pack again.
    last_hit: AtomicUsize,
    /// None in memory: there is no directory.
    loose: Option<loose::Store>,
    /// Some only in memory.
    memory: Option<memory::Store>,
    alternates: Vec<Store>,
    cache: Arc<Cache>,
    next_pack_id: Arc<AtomicU32>,
    /// How [`Store::write`] writes loose objects.
    write_opts: write::Options,
    /// The remote a partial clone fetches missing objects from.
    promisor: Option<Promisor>,
}

/// A partial clone's promisor remote: reading an object that is not here
/// fetches it (as git's lazy fetch), then reads it from the new pack.
pub struct Promisor {
    pub url: String,
    /// `remote.<name>.partialclonefilter`, used for the lazy fetch too, so a
    /// missing tree does not bring every blob under it.
    pub filter: Option<String>,
    /// Objects being fetched: a second reader of one of them waits for that
    /// fetch instead of starting another.
    inflight: Mutex<HashMap<ObjectId, Arc<Flight>>>,
    /// Fetches made (lazy reads and prefetches).
    pub fetches: AtomicU64,
    /// Reads that waited for another reader's fetch of the same object.
    pub joins: AtomicU64,
    /// Some for a memory-only repository: fetched objects go to the memory layer.
    cache: Option<MemCache>,
}

/// One object's fetch in flight.
#[derive(Default)]
struct Flight {
    done: Mutex<bool>,
    ready: Condvar,
    /// Why the fetch failed, for the readers that waited for it.
    failed: Mutex<Option<crate::core::error::Error>>,
}

/// Ends a flight however the fetch ends (error or panic included): wakes its
/// waiters and forgets it.
struct Landing<'a> {
    map: &'a Mutex<HashMap<ObjectId, Arc<Flight>>>,
    oid: ObjectId,
    flight: Arc<Flight>,
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        self.map.lock().remove(&self.oid);
        *self.flight.done.lock() = true;
        self.flight.ready.notify_all();
    }
}

impl Promisor {
    pub fn new(url: String, filter: Option<String>) -> Promisor {
        Promisor { url, filter, inflight: Mutex::new(HashMap::new()), fetches: AtomicU64::new(0), joins: AtomicU64::new(0), cache: None }
    }

    /// A promisor for a memory-only repository (`openRemote`): what it fetches
    /// is kept in the memory layer, bounded by `cache`.
    pub fn in_memory(url: String, filter: Option<String>, cache: MemCache) -> Promisor {
        Promisor { cache: Some(cache), ..Promisor::new(url, filter) }
    }
}

/// What to do when the memory cache is over its cap with no commit left to evict.
pub enum Overfull {
    /// Say so on stderr (once each time it goes over) and keep going.
    Log,
    /// Refuse reads that would grow the cache (`ERR_CACHE_OVERFULL`).
    Error,
    /// Call this with the cache's bytes; keep going.
    Callback(Box<dyn Fn(u64) + Send + Sync>),
}

/// The bound on a memory-only promisor's objects: `max` bytes of content,
/// kept by evicting the oldest commits first (FIFO by commit); trees and
/// blobs are never evicted.
pub struct MemCache {
    max: Option<u64>,
    on_overfull: Overfull,
    /// Commits in the order they arrived.
    commits: Mutex<std::collections::VecDeque<ObjectId>>,
    bytes: AtomicU64,
    evictions: AtomicU64,
    overfull: std::sync::atomic::AtomicBool,
}

impl MemCache {
    pub fn new(max: Option<u64>, on_overfull: Overfull) -> MemCache {
        MemCache {
            max,
            on_overfull,
            commits: Mutex::new(Default::default()),
            bytes: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            overfull: Default::default(),
        }
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// Account for an object just added to `mem`.
    fn added(&self, oid: ObjectId, kind: Kind, len: usize) {
        self.bytes.fetch_add(len as u64, Ordering::Relaxed);
        if kind == Kind::Commit {
            self.commits.lock().push_back(oid);
        }
    }

    /// Evict the oldest commits until under the cap (never one of `wanted`,
    /// which a reader is about to read); if that is not enough, apply the
    /// overfull policy.
    fn enforce(&self, mem: &memory::Store, wanted: &[ObjectId]) {
        let Some(max) = self.max else { return };
        let mut commits = self.commits.lock();
        let mut kept = Vec::new();
        while self.bytes() > max {
            let Some(c) = commits.pop_front() else { break };
            if wanted.contains(&c) {
                kept.push(c);
                continue;
            }
            let freed = mem.remove(&c) as u64;
            self.bytes.fetch_sub(freed.min(self.bytes()), Ordering::Relaxed);
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
        // The wanted ones are now the newest.
        commits.extend(kept);
        drop(commits);
        let over = self.bytes() > max;
        let was = self.overfull.swap(over, Ordering::Relaxed);
        if over {
            match &self.on_overfull {
                Overfull::Log if !was => eprintln!("ferrogit: the promisor cache holds {} bytes, over its cap of {max} bytes, and has no commit left to evict", self.bytes()),
                Overfull::Callback(f) => f(self.bytes()),
                _ => {}
            }
        }
    }

    /// `ERR_CACHE_OVERFULL` when the policy is `Error` and the cache is over.
    fn check_room(&self) -> Result<()> {
        match (&self.on_overfull, self.max) {
            (Overfull::Error, Some(max)) if self.overfull.load(Ordering::Relaxed) => Err(crate::core::error::Error::CacheOverfull { bytes: self.bytes(), max }),
            _ => Ok(()),
        }
    }
}

impl Store {
    /// Open the objects directory `dir` with its alternates.
    pub fn open(dir: &Path, cache: Arc<Cache>) -> Store {
        Store::open_at_depth(dir, cache, Arc::new(AtomicU32::new(0)), 0, &mut vec![])
    }

    fn open_at_depth(dir: &Path, cache: Arc<Cache>, ids: Arc<AtomicU32>, depth: usize, chain: &mut Vec<PathBuf>) -> Store {
        let canon = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        chain.push(canon);
        let mut alts = Vec::new();
        if depth < alternates::MAX_DEPTH {
            for a in alternates::read(dir) {
                if chain.contains(&a) {
                    continue; // a loop of alternates: git skips repeats too
                }
                alts.push(Store::open_at_depth(&a, cache.clone(), ids.clone(), depth + 1, chain));
            }
        }
        let s = Store {
            dir: dir.to_path_buf(),
            packs: RwLock::new(Arc::new(Vec::new())),
            seen: Mutex::new(HashSet::new()),
            broken: Mutex::new(Vec::new()),
            last_hit: AtomicUsize::new(0),
            loose: Some(loose::Store::new(dir)),
            memory: None,
            alternates: alts,
            cache,
            next_pack_id: ids,
            write_opts: write::Options::default(),
            promisor: None,
        };
        s.scan_packs();
        s
    }

    /// A store held in memory only: objects are written to and read from a
    /// [`memory::Store`]; nothing is ever read from or written to disk.
    pub fn in_memory(cache: Arc<Cache>) -> Store {
        Store {
            dir: PathBuf::new(),
            packs: RwLock::new(Arc::new(Vec::new())),
            seen: Mutex::new(HashSet::new()),
            broken: Mutex::new(Vec::new()),
            last_hit: AtomicUsize::new(0),
            loose: None,
            memory: Some(memory::Store::new()),
            alternates: Vec::new(),
            cache,
            next_pack_id: Arc::new(AtomicU32::new(0)),
            write_opts: write::Options::default(),
            promisor: None,
        }
    }

    /// True for a store made by [`Store::in_memory`].
    pub fn is_in_memory(&self) -> bool {
        self.memory.is_some()
    }

    /// The memory layer of an in-memory store.
    pub fn memory(&self) -> Option<&memory::Store> {
        self.memory.as_ref()
    }

    /// The objects directory (empty in memory).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Set how loose objects are written (compression, fsync); see [`write::Options::from_config`].
    pub fn set_write_options(&mut self, opts: write::Options) {
        self.write_opts = opts;
    }

    /// Make reads of missing objects fetch them from `p` (a partial clone).
    pub fn set_promisor(&mut self, p: Promisor) {
        self.promisor = Some(p);
    }

    /// The promisor remote, for a partial clone.
    pub fn promisor(&self) -> Option<&Promisor> {
        self.promisor.as_ref()
    }

    /// Fetch the missing `oid` from the promisor remote with no haves, store
    /// the pack as a promisor pack and read the object from it. Only `read`
    /// fetches: `header` and `has` never do. Concurrent reads of one missing
    /// object make one fetch: the others wait for it, then read.
    fn lazy_fetch(&self, oid: &ObjectId, out: &mut Vec<u8>, p: &Promisor) -> Result<Option<Kind>> {
        let ctx = ReadCtx { root: self, depth: std::cell::Cell::new(0) };
        let joined = {
            let mut m = p.inflight.lock();
            match m.get(oid) {
                Some(f) => Some(f.clone()),
                None => {
                    m.insert(*oid, Arc::new(Flight::default()));
                    None
                }
            }
        };
        if let Some(f) = joined {
            p.joins.fetch_add(1, Ordering::Relaxed);
            let mut done = f.done.lock();
            while !*done {
                f.ready.wait(&mut done);
            }
            drop(done);
            // The fetcher added its pack to our list (try_read re-scans on a miss).
            return match self.try_read(oid, out, &ctx)? {
                Some(k) => Ok(Some(k)),
                // The fetch we waited for failed: its error is ours too.
                None => match f.failed.lock().clone() {
                    Some(e) => Err(e),
                    None => Ok(None),
                },
            };
        }
        let flight = p.inflight.lock().get(oid).cloned().unwrap_or_default();
        let _landing = Landing { map: &p.inflight, oid: *oid, flight: flight.clone() };
        // A reader here may have fetched it just before we took the flight (its
        // pack is in our list already: no need to scan the directory again).
        if let Some(k) = self.read_here(oid, out, &ctx)? {
            return Ok(Some(k));
        }
        match self.fetch_objects(std::slice::from_ref(oid), p.filter.as_deref(), &mut |_| {}, &std::sync::atomic::AtomicBool::new(false)) {
            Ok(_) => {}
            // The server does not have it (or will not give it): not found, after the fetch.
            Err(crate::core::error::Error::Transport { reason, .. }) if reason.starts_with("the server refused") => return Ok(None),
            Err(e) => {
                *flight.failed.lock() = Some(e.clone());
                return Err(e);
            }
        }
        self.try_read(oid, out, &ctx)
    }

    /// Fetch `oids` from the promisor remote in one request with no haves,
    /// stored as a promisor pack (a prefetch, or one lazy read). Returns the
    /// number of objects received.
    pub fn fetch_objects(&self, oids: &[ObjectId], filter: Option<&str>, progress: crate::core::promisor::OnProgress<'_>, abort: &std::sync::atomic::AtomicBool) -> Result<usize> {
        use crate::core::promisor::{session, v2};
        let Some(p) = &self.promisor else {
            return Err(crate::core::error::Error::Io { path: None, message: "this repository has no promisor remote to fetch from".into() });
        };
        if oids.is_empty() {
            return Ok(0);
        }
        if let (Some(c), Some(mem)) = (&p.cache, &self.memory) {
            c.check_room()?;
            p.fetches.fetch_add(1, Ordering::Relaxed);
            let mut s = session::Session::connect(&p.url)?;
            let req = v2::FetchRequest { wants: oids, filter, ..Default::default() };
            let n = session::fetch_objects(&mut s, &req, progress, abort, &mut |oid, kind, data| {
                if !mem.contains(oid) {
                    mem.insert_with_id(*oid, kind, data.into());
                    c.added(*oid, kind, data.len());
                }
            })?;
            c.enforce(mem, oids);
            return Ok(n);
        }
        p.fetches.fetch_add(1, Ordering::Relaxed);
        let mut s = session::Session::connect(&p.url)?;
        let req = v2::FetchRequest { wants: oids, filter, ..Default::default() };
        let got = session::fetch_into(&mut s, &self.dir, &req, Some(b""), progress, abort)?;
        // Open the new pack by name: with many promisor packs a directory scan costs more than the fetch.
        if let Some(pack) = &got.pack {
            self.add_pack(&pack.with_extension("idx"));
        }
        Ok(got.objects)
    }

    /// Objects evicted from a memory-only promisor's cache.
    pub fn evictions(&self) -> u64 {
        self.promisor.as_ref().and_then(|p| p.cache.as_ref()).map(MemCache::evictions).unwrap_or(0)
    }

    /// Store `data` as an object of kind `kind` and return its id: into the
    /// loose objects directory (as git's `write_object_file`), or into the
    /// memory layer of an in-memory store. An object already stored anywhere
    /// (packs, loose, alternates, memory) is not written again and its file is
    /// left untouched.
    pub fn write(&self, kind: Kind, data: &[u8]) -> Result<ObjectId> {
        let oid = obj::hash(kind, data);
        if let Some(m) = &self.memory {
            m.insert_with_id(oid, kind, data.into());
            return Ok(oid);
        }
        if self.has_without_refresh(&oid) {
            return Ok(oid);
        }
        write::write_loose(&self.dir, &oid, kind, data, &self.write_opts)?;
        Ok(oid)
    }

    /// `oid` is here, in the packs already open, loose, in memory or in an alternate
    /// (no re-scan of the pack directories: like git's `freshen_*` checks).
    pub fn has_without_refresh(&self, oid: &ObjectId) -> bool {
        self.find_packed(oid).is_some()
            || self.loose.as_ref().is_some_and(|l| l.contains(oid))
            || self.memory.as_ref().is_some_and(|m| m.contains(oid))
            || self.alternates.iter().any(|a| a.has_without_refresh(oid))
    }

    /// Open packs not seen before; true if any was added.
    fn scan_packs(&self) -> bool {
        if self.loose.is_none() {
            return false; // in memory: no directory to scan
        }
        let pack_dir = self.dir.join("pack");
        let Ok(rd) = std::fs::read_dir(&pack_dir) else { return false };
        let mut seen = self.seen.lock();
        let mut new = Vec::new();
        let mut names: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "idx"))
            .collect();
        names.sort();
        for p in names {
            if seen.contains(&p) || !p.with_extension("pack").exists() {
                continue;
            }
            seen.insert(p.clone());
            let id = self.next_pack_id.fetch_add(1, Ordering::Relaxed);
            // An unreadable index is skipped, as git warns and goes on; a miss reports it.
            match Pack::open(&p, id, self.cache.clone()) {
                Ok(pack) => new.push(Arc::new(pack)),
                Err(e) => self.broken.lock().push(e),
            }
        }
        if new.is_empty() {
            return false;
        }
        let mut w = self.packs.write();
        let mut list: Vec<Arc<Pack>> = (**w).clone();
        list.extend(new);
        *w = Arc::new(list);
        true
    }

    /// Add the pack whose index is `idx` (just written by us) to the list, unless it is there.
    fn add_pack(&self, idx: &Path) {
        let mut seen = self.seen.lock();
        if !seen.insert(idx.to_path_buf()) {
            return;
        }
        let id = self.next_pack_id.fetch_add(1, Ordering::Relaxed);
        match Pack::open(idx, id, self.cache.clone()) {
            Ok(pack) => {
                let mut w = self.packs.write();
                let mut list: Vec<Arc<Pack>> = (**w).clone();
                list.push(Arc::new(pack));
                *w = Arc::new(list);
            }
            Err(e) => self.broken.lock().push(e),
        }
    }

    fn packs(&self) -> Arc<Vec<Arc<Pack>>> {
        self.packs.read().clone()
    }

    /// Find `oid` in the packs: (pack, index position).
    fn find_packed(&self, oid: &ObjectId) -> Option<(Arc<Pack>, u32)> {
        let packs = self.packs();
        let hint = self.last_hit.load(Ordering::Relaxed);
        if let Some(p) = packs.get(hint) {
            if let Some(i) = p.lookup(oid) {
                return Some((p.clone(), i));
            }
        }
        for (n, p) in packs.iter().enumerate() {
            if n == hint {
                continue;
            }
            if let Some(i) = p.lookup(oid) {
                self.last_hit.store(n, Ordering::Relaxed);
                return Some((p.clone(), i));
            }
        }
        None
    }

    fn read_here(&self, oid: &ObjectId, out: &mut Vec<u8>, ctx: &ReadCtx<'_>) -> Result<Option<Kind>> {
        if let Some((p, i)) = self.find_packed(oid) {
            return p.read_at_index(i, out, ctx).map(Some).map_err(|e| e.with_oid(*oid));
        }
        if let Some(l) = &self.loose {
            if let Some(k) = l.try_read(oid, out, ctx)? {
                return Ok(Some(k));
            }
        }
        if let Some(m) = &self.memory {
            if let Some(k) = m.try_read(oid, out, ctx)? {
                return Ok(Some(k));
            }
        }
        for a in &self.alternates {
            if let Some(k) = a.read_here(oid, out, ctx)? {
                return Ok(Some(k));
            }
        }
        Ok(None)
    }

    fn header_here(&self, oid: &ObjectId, ctx: &ReadCtx<'_>) -> Result<Option<(Kind, u64)>> {
        if let Some((p, i)) = self.find_packed(oid) {
            let off = p.index.offset_at(i)?;
            return p.header_at(off, ctx).map(Some).map_err(|e| e.with_oid(*oid));
        }
        if let Some(l) = &self.loose {
            if let Some(h) = l.try_header(oid, ctx)? {
                return Ok(Some(h));
            }
        }
        if let Some(m) = &self.memory {
            if let Some(h) = m.try_header(oid, ctx)? {
                return Ok(Some(h));
            }
        }
        for a in &self.alternates {
            if let Some(h) = a.header_here(oid, ctx)? {
                return Ok(Some(h));
            }
        }
        Ok(None)
    }

    fn refresh_all(&self) -> bool {
        let mut any = self.scan_packs();
        for a in &self.alternates {
            any |= a.refresh_all();
        }
        any
    }

    /// Read `oid` with this store as the root of REF_DELTA look-ups.
    pub fn read(&self, oid: &ObjectId, out: &mut Vec<u8>) -> Result<Option<Kind>> {
        let ctx = ReadCtx { root: self, depth: std::cell::Cell::new(0) };
        match self.try_read(oid, out, &ctx)? {
            Some(k) => Ok(Some(k)),
            // git knows the empty tree without storing it (`find_cached_object`).
            None if *oid == crate::core::treeops::EMPTY_TREE => {
                out.clear();
                Ok(Some(Kind::Tree))
            }
            None => match &self.promisor {
                Some(p) => match self.lazy_fetch(oid, out, p)? {
                    Some(k) => Ok(Some(k)),
                    None => self.miss(oid),
                },
                None => self.miss(oid),
            },
        }
    }

    /// Kind and size of `oid`.
    pub fn header(&self, oid: &ObjectId) -> Result<Option<(Kind, u64)>> {
        let ctx = ReadCtx { root: self, depth: std::cell::Cell::new(0) };
        match self.try_header(oid, &ctx)? {
            Some(h) => Ok(Some(h)),
            None if *oid == crate::core::treeops::EMPTY_TREE => Ok(Some((Kind::Tree, 0))),
            None => self.miss(oid),
        }
    }

    /// Not found anywhere: if a pack could not be opened, the object may be in it.
    fn miss<T>(&self, oid: &ObjectId) -> Result<Option<T>> {
        match self.first_broken() {
            Some(e) => Err(e.with_oid(*oid)),
            None => Ok(None),
        }
    }

    fn first_broken(&self) -> Option<crate::core::error::Error> {
        if let Some(e) = self.broken.lock().first() {
            return Some(e.clone());
        }
        self.alternates.iter().find_map(|a| a.first_broken())
    }

    /// The pack here holding `oid` and the offset of its entry (alternates not searched).
    pub fn packed_at(&self, oid: &ObjectId) -> Option<(Arc<Pack>, u64)> {
        let (p, i) = self.find_packed(oid)?;
        let off = p.index.offset_at(i).ok()?;
        Some((p, off))
    }

    /// The object at `offset` in `pack` (one of this store's), with this store
    /// as the root of REF_DELTA look-ups, as [`Store::read`] would read it.
    pub fn read_packed(&self, pack: &Pack, offset: u64, out: &mut Vec<u8>) -> Result<Kind> {
        let ctx = ReadCtx { root: self, depth: std::cell::Cell::new(0) };
        pack.read_at(offset, out, &ctx)
    }

    /// Where `oid` sits in the packs, as a sort key (pack id, offset); None if not packed here.
    /// Batch reads load in this order: deltas then meet their bases in the cache.
    pub fn location(&self, oid: &ObjectId) -> Option<(u32, u64)> {
        let (p, i) = self.find_packed(oid)?;
        Some((p.id, p.index.offset_at(i).ok()?))
    }

    /// Objects in packs here and in alternates (git's `approximate_object_count`).
    pub fn packed_count(&self) -> u64 {
        self.packs().iter().map(|p| p.index.count as u64).sum::<u64>()
            + self.alternates.iter().map(|a| a.packed_count()).sum::<u64>()
    }

    /// Bytes held by the delta-base cache.
    /// Bytes held in caches: a memory-only promisor's objects, else the delta-base cache.
    pub fn cache_bytes(&self) -> usize {
        match self.promisor.as_ref().and_then(|p| p.cache.as_ref()) {
            Some(c) => c.bytes() as usize,
            None => self.cache.bytes(),
        }
    }

    /// Every object id in the packs of this store and its alternates, plus loose ones (for tests/tools).
    pub fn for_each_packed(&self, f: &mut dyn FnMut(&ObjectId)) {
        for p in self.packs().iter() {
            for i in 0..p.index.count {
                f(&p.index.oid_at(i));
            }
        }
        for a in &self.alternates {
            a.for_each_packed(f);
        }
    }
}

impl ObjectStore for Store {
    fn try_read(&self, oid: &ObjectId, out: &mut Vec<u8>, ctx: &ReadCtx<'_>) -> Result<Option<Kind>> {
        if let Some(k) = self.read_here(oid, out, ctx)? {
            return Ok(Some(k));
        }
        if self.refresh_all() {
            return self.read_here(oid, out, ctx);
        }
        Ok(None)
    }

    fn try_header(&self, oid: &ObjectId, ctx: &ReadCtx<'_>) -> Result<Option<(Kind, u64)>> {
        if let Some(h) = self.header_here(oid, ctx)? {
            return Ok(Some(h));
        }
        if self.refresh_all() {
            return self.header_here(oid, ctx);
        }
        Ok(None)
    }

    fn contains(&self, oid: &ObjectId) -> bool {
        self.has_without_refresh(oid) || (self.refresh_all() && self.has_without_refresh(oid))
    }

    fn find_prefix(&self, prefix: &Prefix, out: &mut Vec<ObjectId>, limit: usize) -> Result<()> {
        for p in self.packs().iter() {
            p.find_prefix(prefix, out, limit);
        }
        if let Some(l) = &self.loose {
            l.find_prefix(prefix, out, limit)?;
        }
        if let Some(m) = &self.memory {
            m.find_prefix(prefix, out, limit)?;
        }
        for a in &self.alternates {
            a.find_prefix(prefix, out, limit)?;
        }
        Ok(())
    }

    fn refresh(&self) -> bool {
        self.refresh_all()
    }

    fn approx_count(&self) -> u64 {
        let packed: u64 = self.packs().iter().map(|p| p.index.count as u64).sum();
        let loose = self.loose.as_ref().map_or(0, |l| l.approx_count());
        let memory = self.memory.as_ref().map_or(0, |m| m.approx_count());
        packed + loose + memory + self.alternates.iter().map(|a| a.approx_count()).sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::object::{self, Kind};

    /// Fill `mem` and `cache` as a fetch does.
    fn add(mem: &memory::Store, cache: &MemCache, kind: Kind, data: &[u8]) -> ObjectId {
        let oid = mem.insert(kind, data);
        cache.added(oid, kind, data.len());
        oid
    }

    #[test]
    fn memory_cache_evicts_the_oldest_commits_first_and_never_trees_or_blobs() {
        let mem = memory::Store::new();
        let cache = MemCache::new(Some(250), Overfull::Log);
        let c1 = add(&mem, &cache, Kind::Commit, &[b'a'; 100]);
        let blob = add(&mem, &cache, Kind::Blob, &[b'b'; 100]);
        let c2 = add(&mem, &cache, Kind::Commit, &[b'c'; 100]);
        let c3 = add(&mem, &cache, Kind::Commit, &[b'd'; 100]);
        // 400 bytes over a cap of 250: the two oldest commits go; c3, being read, is kept.
        cache.enforce(&mem, &[c3]);
        assert_eq!((mem.contains(&c1), mem.contains(&c2), mem.contains(&c3), mem.contains(&blob)), (false, false, true, true));
        assert_eq!((cache.bytes(), cache.evictions()), (200, 2));
        assert!(cache.check_room().is_ok());
        // Only c3 is left to evict; with trees and blobs alone over the cap the cache is overfull.
        let tree = add(&mem, &cache, Kind::Tree, &[b'e'; 100]);
        cache.enforce(&mem, &[]);
        assert!(!mem.contains(&c3) && mem.contains(&tree) && mem.contains(&blob));
        assert_eq!((cache.bytes(), cache.evictions()), (200, 3));
        // 'log' keeps going; 'error' refuses reads that would grow the cache; a callback is called with the bytes.
        assert!(cache.check_room().is_ok());
        let strict = MemCache::new(Some(50), Overfull::Error);
        add(&mem, &strict, Kind::Blob, &[b'f'; 100]);
        assert!(strict.check_room().is_ok(), "not over until enforced");
        strict.enforce(&mem, &[]);
        assert_eq!(strict.check_room().unwrap_err().code(), "ERR_CACHE_OVERFULL");
        let seen = Arc::new(AtomicU64::new(0));
        let s2 = seen.clone();
        let called = MemCache::new(Some(50), Overfull::Callback(Box::new(move |b| s2.store(b, Ordering::Relaxed))));
        add(&mem, &called, Kind::Tree, &[b'g'; 100]);
        called.enforce(&mem, &[]);
        assert_eq!(seen.load(Ordering::Relaxed), 100);
        // No cap: nothing is ever evicted.
        let unbounded = MemCache::new(None, Overfull::Error);
        let c = add(&mem, &unbounded, Kind::Commit, &[b'h'; 1000]);
        unbounded.enforce(&mem, &[]);
        assert!(mem.contains(&c) && unbounded.check_room().is_ok());
    }

    fn git(dir: &Path, args: &[&str], input: Option<&[u8]>) -> Vec<u8> {
        crate::core::testutil::git_bytes(dir, args, input)
    }

    /// Every object git lists, as (oid, kind, content).
    fn expected(dir: &Path) -> Vec<(ObjectId, Kind, Vec<u8>)> {
        let buf = git(dir, &["cat-file", "--batch-all-objects", "--batch"], None);
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < buf.len() {
            let nl = pos + buf[pos..].iter().position(|&c| c == b'\n').expect("header line");
            let head = String::from_utf8_lossy(&buf[pos..nl]).to_string();
            let mut parts = head.split(' ');
            let oid = ObjectId::parse(parts.next().expect("oid")).expect("valid oid");
            let kind = Kind::from_bytes(parts.next().expect("type").as_bytes()).expect("kind");
            let size: usize = parts.next().expect("size").parse().expect("number");
            out.push((oid, kind, buf[nl + 1..nl + 1 + size].to_vec()));
            pos = nl + 1 + size + 1;
        }
        out
    }

    /// A repository with history whose files change a little each commit (so packs hold deltas).
    fn build(dir: &Path) {
        git(dir, &["init", "-q", "--bare", "."], None);
        let mut stream = String::new();
        let mut text = String::new();
        for i in 0..60 {
            text.push_str(&format!("line {i} of a file that grows and changes a little each time\n"));
            let t = 1_700_000_000 + i;
            stream.push_str(&format!(
                "commit refs/heads/main\ncommitter C <c@example.com> {t} +0000\ndata 8\ncommit{:>2}\nM 100644 inline a.txt\ndata {}\n{text}\nM 100644 inline dir/b.txt\ndata {}\n{}\n\n",
                i % 100,
                text.len(),
                text.len() / 2,
                &text[..text.len() / 2]
            ));
        }
        git(dir, &["fast-import", "--quiet"], Some(stream.as_bytes()));
    }

    fn read_all_and_compare(dir: &Path) -> usize {
        let want = expected(dir);
        let store = Store::open(&dir.join("objects"), Arc::new(Cache::new(1 << 20)));
        for (oid, kind, data) in &want {
            let mut got = Vec::new();
            assert_eq!(store.read(oid, &mut got).expect("reads"), Some(*kind), "kind of {oid}");
            assert_eq!(&got, data, "content of {oid}");
            assert_eq!(object::hash(*kind, &got), *oid);
            assert_eq!(store.header(oid).expect("header"), Some((*kind, data.len() as u64)));
            assert!(store.contains(oid));
        }
        want.len()
    }

    #[test]
    fn reads_what_git_wrote_loose_and_packed_with_deep_deltas() {
        let tmp = std::env::temp_dir().join(format!("ferrogit-odb-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).expect("temp dir");
        build(&tmp);
        // fast-import writes a pack; explode it to loose objects first.
        let packs: Vec<_> = std::fs::read_dir(tmp.join("objects/pack"))
            .expect("pack dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        for p in &packs {
            if p.extension().is_some_and(|x| x == "pack") {
                let data = std::fs::read(p).expect("read pack");
                for q in &packs {
                    let _ = std::fs::remove_file(q);
                }
                git(&tmp, &["unpack-objects", "-q"], Some(&data));
                break;
            }
        }
        let n = read_all_and_compare(&tmp);
        assert!(n > 150, "{n} objects");
        // Now packed, with long delta chains.
        git(&tmp, &["repack", "-q", "-a", "-d", "-f", "--depth=50", "--window=50"], None);
        let verify = String::from_utf8_lossy(&git(&tmp, &["count-objects", "-v"], None)).to_string();
        assert!(verify.contains("count: 0"), "all packed: {verify}");
        assert_eq!(read_all_and_compare(&tmp), n);
        let missing = ObjectId([0xab; 20]);
        assert_eq!(Store::open(&tmp.join("objects"), Arc::new(Cache::new(1 << 20))).read(&missing, &mut Vec::new()).expect("no error"), None);
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
