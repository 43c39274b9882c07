//! The commit-graph: `objects/info/commit-graph`, or a split chain listed in
//! `objects/info/commit-graphs/commit-graph-chain` whose layers are
//! `graph-<hash>.graph` (base first). Format: git's
//! `Documentation/gitformat-commit-graph.txt`
//! (<https://git-scm.com/docs/gitformat-commit-graph>).
//!
//! A file is `CGPH`, version 1, hash version 1 (SHA-1), a chunk count and a
//! base-graph count, then a table of `(4-byte id, 8-byte offset)` ending with a
//! zero id, the chunks, and a trailing checksum. We read:
//!
//! - `OIDF`: 256 cumulative counts by first byte; `OIDL`: the sorted ids;
//! - `CDAT`: per commit the tree id, two parent positions (`0x70000000` none;
//!   a second parent with the top bit set indexes `EDGE`), and 64 bits holding
//!   the topological level (top 30) and the commit time (low 34);
//! - `EDGE`: the 2nd..nth parents of octopus merges, the last one flagged with
//!   the top bit;
//! - `GDA2` / `GDO2`: corrected commit-date offsets (generation numbers v2),
//!   used only when every layer has them, as git's `validate_mixed_generation_chain`;
//! - `BASE`: the checksums of the layers below (chains only).
//!
//! `BIDX`/`BDAT` (changed-path Bloom filters) are ignored. Positions in a chain
//! are global: layer `i` numbers its commits after all commits of layers
//! `0..i`, and parents may point into any lower layer.
//!
//! Everything is checked before use: the header, that chunk offsets are in
//! order and inside the file, each chunk's exact size, the fan-out's order and
//! total. A file that fails is not used (a chain keeps the layers below the
//! first bad one, as git does); a commit whose entry points out of range is
//! reported as absent, so callers read the commit object instead. Nothing is
//! allocated from sizes read from the file. Like git, we do not verify the
//! trailing checksum when opening (`git commit-graph verify` does).
//!
//! As in git (`read_commit_graph_one`), a single `commit-graph` file wins over a
//! chain, and the first objects directory (the repository's, then its
//! alternates) that has a graph provides it.

use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::core::oid::ObjectId;

const HASH_LEN: usize = 20;
const HEADER_LEN: usize = 8;
const CHUNK_ENTRY: usize = 12;
const FANOUT_LEN: usize = 256 * 4;
const CDAT_WIDTH: usize = HASH_LEN + 16;

const PARENT_NONE: u32 = 0x7000_0000;
const EDGE_FLAG: u32 = 0x8000_0000;
const OFFSET_OVERFLOW: u32 = 0x8000_0000;

/// Files up to this size are read whole, bigger ones mapped (git's `SMALL_FILE_SIZE`).
const SMALL_FILE_SIZE: u64 = 32 * 1024;

/// A file's bytes: read into memory or mapped.
enum Bytes {
    Owned(Vec<u8>),
    Mapped(Mmap),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

/// One graph file: its bytes and where each chunk we use lies in them.
struct Layer {
    data: Bytes,
    /// Commits in this layer.
    count: u32,
    /// Commits in the layers below: this layer's first global position.
    base: u32,
    oidf: usize,
    oidl: usize,
    cdat: usize,
    /// (offset, number of u32 entries).
    edge: Option<(usize, usize)>,
    gda2: Option<usize>,
    /// (offset, number of u64 entries).
    gdo2: Option<(usize, usize)>,
    /// The file's trailing checksum, which names it in a chain.
    checksum: [u8; HASH_LEN],
    /// The `BASE` chunk: checksums of the layers below, base first.
    bases: Option<(usize, usize)>,
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn be64(b: &[u8], at: usize) -> u64 {
    (be32(b, at) as u64) << 32 | be32(b, at + 4) as u64
}

impl Layer {
    /// Parse and check a graph file; None if it is missing or malformed.
    fn open(path: &Path) -> Option<Layer> {
        let mut file = std::fs::File::open(path).ok()?;
        let len = file.metadata().ok()?.len();
        let data = if len > SMALL_FILE_SIZE {
            // SAFETY: a read-only mapping; git writes commit-graph files to a
            // lock file and renames them into place, never modifying one in
            // place, so the mapped inode keeps its bytes (git maps them too).
            Bytes::Mapped(unsafe { Mmap::map(&file) }.ok()?)
        } else {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut file, &mut v).ok()?;
            Bytes::Owned(v)
        };
        Layer::parse(data)
    }

    fn parse(data: Bytes) -> Option<Layer> {
        let b = &data[..];
        if b.len() < HEADER_LEN + CHUNK_ENTRY + HASH_LEN || &b[..4] != b"CGPH" || b[4] != 1 || b[5] != 1 {
            return None;
        }
        let chunks = b[6] as usize;
        let table_end = HEADER_LEN + (chunks + 1) * CHUNK_ENTRY;
        let data_end = b.len() - HASH_LEN;
        if table_end > data_end {
            return None;
        }
        // (id, start, end) of each chunk: offsets must be in order and inside the data.
        let mut found: Vec<([u8; 4], usize, usize)> = Vec::with_capacity(chunks);
        for i in 0..chunks {
            let at = HEADER_LEN + i * CHUNK_ENTRY;
            let id: [u8; 4] = b[at..at + 4].try_into().ok()?;
            let start = be64(b, at + 4);
            let end = be64(b, at + 4 + CHUNK_ENTRY);
            if id == [0; 4] || start < table_end as u64 || end < start || end > data_end as u64 {
                return None;
            }
            if found.iter().any(|f| f.0 == id) {
                return None;
            }
            found.push((id, start as usize, end as usize));
        }
        if b[HEADER_LEN + chunks * CHUNK_ENTRY..HEADER_LEN + chunks * CHUNK_ENTRY + 4] != [0; 4] {
            return None;
        }
        let chunk = |id: &[u8; 4]| found.iter().find(|f| &f.0 == id).map(|f| (f.1, f.2 - f.1));
        let (oidf, oidf_len) = chunk(b"OIDF")?;
        if oidf_len != FANOUT_LEN {
            return None;
        }
        let mut prev = 0;
        for i in 0..256 {
            let v = be32(b, oidf + 4 * i);
            if v < prev {
                return None;
            }
            prev = v;
        }
        let count = prev;
        let n = count as usize;
        let (oidl, oidl_len) = chunk(b"OIDL")?;
        let (cdat, cdat_len) = chunk(b"CDAT")?;
        if oidl_len != n.checked_mul(HASH_LEN)? || cdat_len != n.checked_mul(CDAT_WIDTH)? {
            return None;
        }
        let edge = match chunk(b"EDGE") {
            Some((at, l)) if l % 4 == 0 => Some((at, l / 4)),
            Some(_) => return None,
            None => None,
        };
        let gda2 = match chunk(b"GDA2") {
            Some((at, l)) if l == n.checked_mul(4)? => Some(at),
            Some(_) => return None,
            None => None,
        };
        let gdo2 = match chunk(b"GDO2") {
            Some((at, l)) if l % 8 == 0 => Some((at, l / 8)),
            Some(_) => return None,
            None => None,
        };
        let base_layers = b[7] as usize;
        let bases = match chunk(b"BASE") {
            Some((at, l)) if l == base_layers * HASH_LEN => Some((at, base_layers)),
            Some(_) => return None,
            None if base_layers == 0 => None,
            None => return None,
        };
        let checksum: [u8; HASH_LEN] = b[data_end..].try_into().ok()?;
        Some(Layer { count, base: 0, oidf, oidl, cdat, edge, gda2, gdo2, checksum, bases, data })
    }

    fn oid_at(&self, local: u32) -> ObjectId {
        let at = self.oidl + local as usize * HASH_LEN;
        ObjectId(self.data[at..at + HASH_LEN].try_into().expect("20 bytes, inside OIDL because local < count"))
    }

    /// Binary search inside the fan-out bucket of `oid`'s first byte.
    fn lookup(&self, oid: &ObjectId) -> Option<u32> {
        let first = oid.0[0] as usize;
        let mut lo = if first == 0 { 0 } else { be32(&self.data, self.oidf + 4 * (first - 1)) };
        let mut hi = be32(&self.data, self.oidf + 4 * first);
        let b = &self.data[..];
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let at = self.oidl + mid as usize * HASH_LEN;
            match b[at..at + HASH_LEN].cmp(&oid.0[..]) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

/// What the graph records for one commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The root tree.
    pub tree: ObjectId,
    /// Committer time, seconds (34 bits in the file).
    pub commit_time: u64,
    /// The generation number git compares: the corrected commit date when every
    /// layer has `GDA2`, else the topological level (0 means "not computed").
    pub generation: u64,
}

/// A commit as the graph records it, with parents as ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphCommit {
    pub tree: ObjectId,
    pub parents: Vec<ObjectId>,
    pub commit_time: u64,
    pub generation: u64,
}

/// An opened commit-graph: a single file or a chain of layers.
pub struct CommitGraph {
    /// Base first.
    layers: Vec<Layer>,
    /// Commits in all layers.
    total: u32,
    /// Every layer has `GDA2`: generations are corrected commit dates.
    corrected_dates: bool,
    /// Where it was read from (for messages and tests).
    path: PathBuf,
}

impl std::fmt::Debug for CommitGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitGraph")
            .field("path", &self.path)
            .field("layers", &self.layers.len())
            .field("commits", &self.total)
            .finish()
    }
}

impl CommitGraph {
    /// The graph of the objects directory `objects_dir`, or of the first of its
    /// alternates (depth first, as git lists them) that has one. None if there is
    /// none or it is unusable.
    pub fn open(objects_dir: &Path) -> Option<CommitGraph> {
        let mut visited = Vec::new();
        Self::open_with_alternates(objects_dir, 0, &mut visited)
    }

    fn open_with_alternates(dir: &Path, depth: usize, visited: &mut Vec<PathBuf>) -> Option<CommitGraph> {
        let canon = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        if visited.contains(&canon) {
            return None;
        }
        visited.push(canon);
        if let Some(g) = Self::open_dir(dir) {
            return Some(g);
        }
        if depth >= crate::core::odb::alternates::MAX_DEPTH {
            return None;
        }
        crate::core::odb::alternates::read(dir)
            .into_iter()
            .find_map(|alt| Self::open_with_alternates(&alt, depth + 1, visited))
    }

    /// The graph of `objects_dir` alone: `info/commit-graph`, else the chain.
    pub fn open_dir(objects_dir: &Path) -> Option<CommitGraph> {
        let info = objects_dir.join("info");
        let single = info.join("commit-graph");
        if let Some(layer) = Layer::open(&single) {
            if layer.bases.is_none() {
                return CommitGraph::from_layers(vec![layer], single);
            }
        }
        Self::open_chain(&info.join("commit-graphs"))
    }

    /// A split chain: each listed layer must name the layers below it in `BASE`.
    fn open_chain(dir: &Path) -> Option<CommitGraph> {
        let chain_path = dir.join("commit-graph-chain");
        let text = std::fs::read_to_string(&chain_path).ok()?;
        let mut layers: Vec<Layer> = Vec::new();
        let mut base = 0u32;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let Some(hash) = ObjectId::from_hex(line.as_bytes()) else { break };
            let Some(mut layer) = Layer::open(&dir.join(format!("graph-{line}.graph"))) else { break };
            // As git's add_graph_to_chain: the file is the one named, and its
            // BASE lists exactly the layers already loaded; otherwise stop here.
            let bases_ok = match layer.bases {
                None => layers.is_empty(),
                Some((at, n)) => {
                    n == layers.len()
                        && layers
                            .iter()
                            .enumerate()
                            .all(|(i, l)| layer.data[at + i * HASH_LEN..at + (i + 1) * HASH_LEN] == l.checksum)
                }
            };
            if layer.checksum != hash.0 || !bases_ok {
                break;
            }
            let Some(total) = base.checked_add(layer.count) else { break };
            if total >= PARENT_NONE {
                break;
            }
            layer.base = base;
            base = total;
            layers.push(layer);
        }
        if layers.is_empty() {
            return None;
        }
        CommitGraph::from_layers(layers, chain_path)
    }

    fn from_layers(layers: Vec<Layer>, path: PathBuf) -> Option<CommitGraph> {
        let total = layers.iter().try_fold(0u32, |t, l| t.checked_add(l.count))?;
        if total >= PARENT_NONE {
            return None;
        }
        let corrected_dates = layers.iter().all(|l| l.gda2.is_some());
        Some(CommitGraph { layers, total, corrected_dates, path })
    }

    /// Parse graph bytes (a single file) from memory: for tests and tools.
    pub fn from_bytes(bytes: Vec<u8>) -> Option<CommitGraph> {
        let layer = Layer::parse(Bytes::Owned(bytes))?;
        if layer.bases.is_some() {
            return None;
        }
        CommitGraph::from_layers(vec![layer], PathBuf::new())
    }

    /// Where the graph was read from (the file, or the chain file).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of layers (1 for a single file).
    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// Number of commits in all layers.
    pub fn len(&self) -> u32 {
        self.total
    }

    /// True if the graph holds no commit.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// True when generations are corrected commit dates (v2) rather than topological levels.
    pub fn has_corrected_dates(&self) -> bool {
        self.corrected_dates
    }

    /// git's `generation_numbers_enabled`: the graph has commits and the newest
    /// layer's first commit has a non-zero topological level.
    pub fn generation_numbers_enabled(&self) -> bool {
        let Some(top) = self.layers.last() else { return false };
        top.count > 0 && be32(&top.data, top.cdat + HASH_LEN + 8) >> 2 != 0
    }

    fn layer_of(&self, pos: u32) -> Option<(&Layer, u32)> {
        // Few layers: a linear scan from the top is as fast as anything.
        self.layers.iter().rev().find(|l| pos >= l.base).and_then(|l| {
            let local = pos - l.base;
            (local < l.count).then_some((l, local))
        })
    }

    /// The global position of `oid`, if the graph has it.
    pub fn lookup(&self, oid: &ObjectId) -> Option<u32> {
        self.layers.iter().rev().find_map(|l| l.lookup(oid).map(|i| l.base + i))
    }

    /// The id at a global position.
    pub fn oid_at(&self, pos: u32) -> Option<ObjectId> {
        let (l, local) = self.layer_of(pos)?;
        Some(l.oid_at(local))
    }

    /// The entry at `pos`, with its parents' global positions appended to
    /// `parents` (cleared first). None if `pos` or anything the entry points at
    /// is out of range (the caller should then read the commit object).
    pub fn entry_at(&self, pos: u32, parents: &mut Vec<u32>) -> Option<Entry> {
        parents.clear();
        let (l, local) = self.layer_of(pos)?;
        let b = &l.data[..];
        let at = l.cdat + local as usize * CDAT_WIDTH;
        let tree = ObjectId(b[at..at + HASH_LEN].try_into().expect("inside CDAT because local < count"));
        // Parents may be in this layer or any below it.
        let limit = l.base + l.count;
        let p1 = be32(b, at + HASH_LEN);
        let p2 = be32(b, at + HASH_LEN + 4);
        if p1 != PARENT_NONE {
            if p1 >= limit {
                return None;
            }
            parents.push(p1);
        }
        if p2 != PARENT_NONE {
            if p1 == PARENT_NONE {
                return None;
            }
            if p2 & EDGE_FLAG == 0 {
                if p2 >= limit {
                    return None;
                }
                parents.push(p2);
            } else {
                let (edge_at, edge_len) = l.edge?;
                let mut i = (p2 & !EDGE_FLAG) as usize;
                loop {
                    if i >= edge_len {
                        return None;
                    }
                    let v = be32(b, edge_at + 4 * i);
                    let p = v & !EDGE_FLAG;
                    if p >= limit {
                        return None;
                    }
                    parents.push(p);
                    if v & EDGE_FLAG != 0 {
                        break;
                    }
                    i += 1;
                }
            }
        }
        let hi = be32(b, at + HASH_LEN + 8);
        let lo = be32(b, at + HASH_LEN + 12);
        let commit_time = ((hi & 3) as u64) << 32 | lo as u64;
        let level = (hi >> 2) as u64;
        let generation = if self.corrected_dates {
            let gda2 = l.gda2.expect("corrected_dates means every layer has GDA2");
            let off = be32(b, gda2 + 4 * local as usize);
            if off & OFFSET_OVERFLOW != 0 {
                let (gdo2, n) = l.gdo2?;
                let i = (off & !OFFSET_OVERFLOW) as usize;
                if i >= n {
                    return None;
                }
                commit_time.saturating_add(be64(b, gdo2 + 8 * i))
            } else {
                commit_time + off as u64
            }
        } else {
            level
        };
        Some(Entry { tree, commit_time, generation })
    }

    /// Look `oid` up: its tree, parents (as ids), time and generation.
    pub fn find(&self, oid: &ObjectId) -> Option<GraphCommit> {
        let pos = self.lookup(oid)?;
        let mut ps = Vec::new();
        let e = self.entry_at(pos, &mut ps)?;
        let parents = ps.iter().map(|&p| self.oid_at(p)).collect::<Option<Vec<_>>>()?;
        Some(GraphCommit { tree: e.tree, parents, commit_time: e.commit_time, generation: e.generation })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testutil::{git_ok, TempDir};

    /// A history with merges, an octopus and a root; returns every commit.
    fn build(dir: &Path) -> Vec<ObjectId> {
        git_ok(dir, &["init", "-q", "-b", "main", "."]);
        let mut stream = String::new();
        let mut mark = 0;
        let mut commit = |stream: &mut String, branch: &str, from: &[usize], t: u64| -> usize {
            mark += 1;
            stream.push_str(&format!(
                "commit refs/heads/{branch}\nmark :{mark}\ncommitter C <c@example.com> {t} +0000\ndata 2\nc\n"
            ));
            for (i, f) in from.iter().enumerate() {
                stream.push_str(&format!("{} :{f}\n", if i == 0 { "from" } else { "merge" }));
            }
            stream.push_str(&format!("M 100644 inline f{mark}\ndata 2\n{mark}\n\n"));
            mark
        };
        let a = commit(&mut stream, "main", &[], 1_000);
        let b = commit(&mut stream, "x", &[a], 2_000);
        let c = commit(&mut stream, "y", &[a], 3_000);
        let d = commit(&mut stream, "z", &[a], 4_000);
        let e = commit(&mut stream, "main", &[b, c, d], 5_000);
        let f = commit(&mut stream, "main", &[e, b], 6_000);
        let _ = f;
        crate::core::testutil::git_bytes(dir, &["fast-import", "--quiet"], Some(stream.as_bytes()));
        git_ok(dir, &["rev-list", "--all"]).lines().map(|l| ObjectId::parse(l).expect("oid")).collect()
    }

    fn check_against_git(dir: &Path, g: &CommitGraph, all: &[ObjectId]) {
        assert_eq!(g.len() as usize, all.len());
        for oid in all {
            let got = g.find(oid).expect("in graph");
            let hex = oid.to_hex();
            let tree = git_ok(dir, &["rev-parse", &format!("{hex}^{{tree}}")]);
            let parents: Vec<String> = git_ok(dir, &["rev-list", "--parents", "-n1", &hex])
                .split(' ')
                .skip(1)
                .map(str::to_string)
                .collect();
            let time: u64 = git_ok(dir, &["log", "-1", "--format=%ct", &hex]).parse().expect("number");
            assert_eq!(got.tree.to_hex(), tree);
            assert_eq!(got.parents.iter().map(|p| p.to_hex()).collect::<Vec<_>>(), parents);
            assert_eq!(got.commit_time, time);
            assert!(got.generation > 0);
        }
        assert!(g.lookup(&ObjectId([0x42; 20])).is_none());
    }

    #[test]
    fn commit_graph_reads_single_file_and_split_chain() {
        let tmp = TempDir::new("cg");
        let all = build(&tmp.0);
        let objects = tmp.0.join(".git/objects");
        assert!(CommitGraph::open(&objects).is_none());
        git_ok(&tmp.0, &["commit-graph", "write", "--reachable"]);
        let g = CommitGraph::open(&objects).expect("graph");
        assert_eq!(g.layer_count(), 1);
        assert!(g.has_corrected_dates() && g.generation_numbers_enabled());
        check_against_git(&tmp.0, &g, &all);

        // Version 1 generations only (topological levels).
        git_ok(&tmp.0, &["-c", "commitGraph.generationVersion=1", "commit-graph", "write", "--reachable"]);
        let g = CommitGraph::open(&objects).expect("graph");
        assert!(!g.has_corrected_dates());
        check_against_git(&tmp.0, &g, &all);

        // A chain of two layers: the second written after more commits.
        std::fs::remove_file(objects.join("info/commit-graph")).expect("rm");
        git_ok(&tmp.0, &["commit-graph", "write", "--reachable", "--split"]);
        git_ok(&tmp.0, &["commit", "-q", "--allow-empty", "-m", "more"]);
        git_ok(&tmp.0, &["commit", "-q", "--allow-empty", "-m", "more2"]);
        git_ok(&tmp.0, &["commit-graph", "write", "--reachable", "--split=no-merge"]);
        let all: Vec<ObjectId> =
            git_ok(&tmp.0, &["rev-list", "--all"]).lines().map(|l| ObjectId::parse(l).expect("oid")).collect();
        let g = CommitGraph::open(&objects).expect("chain");
        assert_eq!(g.layer_count(), 2, "{g:?}");
        check_against_git(&tmp.0, &g, &all);

        // A chain whose top layer is missing keeps the base layer.
        let chain = std::fs::read_to_string(objects.join("info/commit-graphs/commit-graph-chain")).expect("chain");
        let top = chain.lines().last().expect("two lines").to_string();
        std::fs::rename(
            objects.join(format!("info/commit-graphs/graph-{top}.graph")),
            objects.join("info/commit-graphs/moved"),
        )
        .expect("mv");
        let g = CommitGraph::open(&objects).expect("base layer");
        assert_eq!(g.layer_count(), 1);
        assert_eq!(g.len() as usize, all.len() - 2);
    }

    #[test]
    fn commit_graph_rejects_corruption_without_panicking() {
        let tmp = TempDir::new("cg-corrupt");
        let all = build(&tmp.0);
        git_ok(&tmp.0, &["commit-graph", "write", "--reachable"]);
        let good = std::fs::read(tmp.0.join(".git/objects/info/commit-graph")).expect("read");
        assert!(CommitGraph::from_bytes(good.clone()).is_some());
        // Every truncation, and every single-byte change of the header and chunk
        // table, either is rejected or still answers without panicking.
        for len in 0..good.len() {
            if let Some(g) = CommitGraph::from_bytes(good[..len].to_vec()) {
                for o in &all {
                    let _ = g.find(o);
                }
            }
        }
        let table_end = HEADER_LEN + (good[6] as usize + 1) * CHUNK_ENTRY;
        for i in 0..good.len() {
            for v in [0u8, 1, 0x7f, 0x80, 0xff] {
                if i >= table_end && i % 7 != 0 {
                    continue; // chunk contents: sample
                }
                let mut bad = good.clone();
                bad[i] = v;
                if let Some(g) = CommitGraph::from_bytes(bad) {
                    for o in &all {
                        if let Some(pos) = g.lookup(o) {
                            let mut ps = Vec::new();
                            let _ = g.entry_at(pos, &mut ps);
                        }
                        let _ = g.find(o);
                    }
                    for pos in [0, 1, g.len(), u32::MAX] {
                        let _ = g.oid_at(pos);
                        let _ = g.entry_at(pos, &mut Vec::new());
                    }
                }
            }
        }
        // A chunk offset beyond the file is rejected.
        let mut bad = good.clone();
        bad[HEADER_LEN + 4..HEADER_LEN + 12].copy_from_slice(&(good.len() as u64 * 2).to_be_bytes());
        assert!(CommitGraph::from_bytes(bad).is_none());
    }
}
