//! History walks in exactly `git rev-list`'s order, and `git merge-base`.
//!
//! This follows git's `revision.c` step by step, because the order git prints
//! is a product of its algorithm, not of a specification:
//!
//! - **Default order** (`get_revision_1` unlimited): a queue of commits by
//!   committer date, newest first, ties in the order they were queued
//!   (`commit_list_insert_by_date`); each popped commit queues its parents
//!   (`process_parents`). Start commits are queued in the order given, stably
//!   sorted by date.
//! - **Limited** walks: with hidden commits (`^X`, `A..B`) git first runs
//!   `limit_list`, which walks in the same order but marks everything reachable
//!   from a hidden commit UNINTERESTING and stops once only uninteresting
//!   commits are left (plus git's `SLOP` of 5 extra commits, to tolerate clock
//!   skew). Without generation numbers, `--topo-order` / `--date-order` are
//!   limited too, and then `sort_in_topological_order` orders the whole list:
//!   a LIFO of ready commits (graph order) or a date queue (`--date-order`),
//!   a commit being ready once every child in the list was shown.
//! - **Incremental topo walk** (`init_topo_walk`): when a commit-graph provides
//!   generation numbers, `--topo-order` / `--date-order` (also with hidden
//!   commits) use git's three-queue walk (explore, in-degree, topo), which
//!   counts in-degrees only down to the generation it needs.
//! - **Paths**: git's default history simplification (`try_to_simplify_commit`):
//!   a commit whose tree matches a parent's on the paths (TREESAME) follows only
//!   the first such parent; a commit TREESAME to its parents (or a root whose
//!   tree has none of the paths) is not shown. No parent rewriting. Paths are
//!   literal prefixes on component boundaries (pathspecs without magic); a
//!   trailing `/` matches only directories; `.` or an empty path matches all.
//!
//! `--first-parent` follows only first parents (and, with paths, compares a
//! merge only with its first parent). `limit` is `-n`, counted on output.
//!
//! Commits are read from the commit-graph when there is one (`commit_graph.rs`)
//! and otherwise parsed minimally (tree, parents, committer time). As git's
//! `commit_graph_compatible`, a shallow repository or `core.commitGraph=false`
//! uses no graph; shallow commits have no parents. Replace refs and grafts are
//! not applied.
//!
//! `merge_base` is git's `get_merge_bases` (`paint_down_to_common`, then
//! `remove_redundant`, sorted by date): its first result is what
//! `git merge-base A B` prints.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::core::commit_graph::CommitGraph;
use crate::core::error::{Error, Result};
use crate::core::object::Kind;
use crate::core::odb::pack::readahead::Readahead;
use crate::core::oid::{ObjectId, OidMap};
use crate::core::repo::Repository;

/// The order of a walk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// `git rev-list`'s default: by committer date as the walk reaches commits.
    #[default]
    None,
    /// `--topo-order`: no parent before all its children; branches kept together.
    Topo,
    /// `--date-order`: no parent before all its children; otherwise by date.
    Date,
}

/// What to walk.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Start commits (tags must already be peeled).
    pub from: Vec<ObjectId>,
    /// Commits whose ancestors (and themselves) are left out: `^X`.
    pub hide: Vec<ObjectId>,
    /// `--first-parent`.
    pub first_parent: bool,
    /// `-n`: at most this many commits.
    pub limit: Option<usize>,
    /// `--topo-order` / `--date-order`.
    pub order: Order,
    /// `-- paths`: only commits that change these paths (git's default simplification).
    pub paths: Vec<String>,
    /// Keep the commit objects the walk reads (without a commit-graph it reads
    /// every commit it shows) for [`Walk::next_batch_kept`], so a caller that
    /// wants them does not read them twice. Bounded by [`KEEP_BUDGET`].
    pub keep_objects: bool,
}

/// At most this many bytes of commit objects are kept for `keep_objects`;
/// commits read past it are read again by whoever wants them.
pub const KEEP_BUDGET: usize = 64 << 20;

/// The commit objects a walk read and has not handed over yet, by node.
#[derive(Default)]
struct Kept {
    by_node: HashMap<u32, Vec<u8>>,
    bytes: usize,
}

/// [`Walk::worth_locating`] for a graph of `commits`, `walked` commits in,
/// with `remaining` left to the walk's limit if it has one.
fn worth_locating(commits: usize, walked: usize, remaining: Option<usize>) -> bool {
    walked >= (commits / 8).max(256) && remaining.is_none_or(|r| walked + r >= commits / 2)
}

/// Pack offsets of commits (see [`Walk::locate_commits`]).
pub struct Located {
    pub pack: std::sync::Arc<crate::core::odb::pack::Pack>,
    pub at: OidMap<u64>,
}

/// Counters of one walk, to see where its data came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Commits whose parents and date came from the commit-graph.
    pub commits_from_graph: u64,
    /// Commit objects read and parsed.
    pub commits_parsed: u64,
    /// Tree objects read to compare paths.
    pub trees_read: u64,
    /// Commits of those parsed that a helper had read ahead.
    pub commits_read_ahead: u64,
}

// Object flags, as git's `object.flags`.
const PARSED: u32 = 1 << 0;
const SEEN: u32 = 1 << 1;
const ADDED: u32 = 1 << 2;
const UNINTERESTING: u32 = 1 << 3;
const BOTTOM: u32 = 1 << 4;
const TREESAME: u32 = 1 << 5;
const EXPLORED: u32 = 1 << 6;
const INDEGREE: u32 = 1 << 7;
const PARENT1: u32 = 1 << 8;
const PARENT2: u32 = 1 << 9;
const STALE: u32 = 1 << 10;
const RESULT: u32 = 1 << 11;
const PAINT_FLAGS: u32 = PARENT1 | PARENT2 | STALE | RESULT;

/// git's `GENERATION_NUMBER_INFINITY`: commits not in the graph.
const GEN_INFINITY: u64 = u64::MAX;
const NO_POS: u32 = u32::MAX;
/// git's `SLOP` in `limit_list`.
const SLOP: u32 = 5;

/// One commit of the walk. Parents live in `Commits::parents[pstart..pstart+plen]`.
#[derive(Clone, Copy)]
struct Node {
    oid: ObjectId,
    tree: ObjectId,
    date: u64,
    generation: u64,
    pstart: u32,
    plen: u32,
    flags: u32,
    /// Position in the commit-graph, or NO_POS.
    gpos: u32,
}

/// The commits met so far (git's object table), loaded from the graph or the objects.
struct Commits {
    nodes: Vec<Node>,
    /// Id → node, for the commits not in the graph.
    by_oid: OidMap<u32>,
    /// Graph position → node, NO_POS if none yet.
    by_pos: Vec<u32>,
    parents: Vec<u32>,
    graph: Option<CommitGraph>,
    shallow: HashSet<ObjectId>,
    buf: Vec<u8>,
    pos_buf: Vec<u32>,
    oid_buf: Vec<ObjectId>,
    stats: Stats,
    kept: Option<Kept>,
    /// Commits read ahead in pack order (long walks without a graph).
    ahead: Option<Readahead>,
}

/// Commits a walk reads from objects before it starts reading ahead: short
/// walks never start the helper thread.
const READ_AHEAD_FROM: u64 = 256;

fn not_commit(oid: ObjectId, kind: Kind) -> Error {
    Error::ObjectType { oid, expected: "commit", actual: kind.as_str() }
}

/// Parse what a walk needs from a commit: tree, parents, committer time (git's
/// `parse_commit_buffer` and `parse_commit_date`). None if malformed.
fn parse_commit_min(data: &[u8], parents: &mut Vec<ObjectId>) -> Option<(ObjectId, u64)> {
    parents.clear();
    if data.len() < 46 || &data[..5] != b"tree " || data[45] != b'\n' {
        return None;
    }
    let tree = ObjectId::from_hex(&data[5..45])?;
    let mut pos = 46;
    while data.len() > pos + 48 && &data[pos..pos + 7] == b"parent " {
        if data[pos + 47] != b'\n' {
            return None;
        }
        parents.push(ObjectId::from_hex(&data[pos + 7..pos + 47])?);
        pos += 48;
    }
    Some((tree, parse_commit_date(&data[pos..])))
}

/// git's `parse_commit_date`: the number after the last `>` of the committer
/// line, which must follow the author line; 0 when anything is off.
fn parse_commit_date(buf: &[u8]) -> u64 {
    if buf.len() <= 6 || &buf[..6] != b"author" {
        return 0;
    }
    let Some(nl) = buf.iter().position(|&c| c == b'\n') else { return 0 };
    let buf = &buf[nl + 1..];
    if buf.len() <= 9 || &buf[..9] != b"committer" {
        return 0;
    }
    let Some(eol) = buf.iter().position(|&c| c == b'\n') else { return 0 };
    let line = &buf[..eol];
    let Some(gt) = line.iter().rposition(|&c| c == b'>') else { return 0 };
    let mut rest = &line[gt + 1..];
    while let [c, r @ ..] = rest {
        if c.is_ascii_whitespace() {
            rest = r;
        } else {
            break;
        }
    }
    let mut v: u64 = 0;
    for &c in rest.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add((c - b'0') as u64);
    }
    v
}

impl Commits {
    fn new(repo: &Repository, allow_graph: bool) -> Commits {
        let shallow: HashSet<ObjectId> = std::fs::read_to_string(repo.layout.common_dir.join("shallow"))
            .map(|s| s.lines().filter_map(|l| ObjectId::from_hex(l.trim().as_bytes())).collect())
            .unwrap_or_default();
        let use_graph = allow_graph && shallow.is_empty() && repo.config.get_bool("core", "commitgraph") != Some(false);
        let graph = if use_graph { CommitGraph::open(&repo.layout.common_dir.join("objects")) } else { None };
        let by_pos = vec![NO_POS; graph.as_ref().map_or(0, |g| g.len() as usize)];
        Commits {
            nodes: Vec::new(),
            by_oid: OidMap::default(),
            by_pos,
            parents: Vec::new(),
            graph,
            shallow,
            buf: Vec::new(),
            pos_buf: Vec::new(),
            oid_buf: Vec::new(),
            stats: Stats::default(),
            kept: None,
            ahead: None,
        }
    }

    fn push(&mut self, oid: ObjectId, gpos: u32) -> u32 {
        let idx = self.nodes.len() as u32;
        self.nodes.push(Node {
            oid,
            tree: ObjectId::NULL,
            date: 0,
            generation: GEN_INFINITY,
            pstart: 0,
            plen: 0,
            flags: 0,
            gpos,
        });
        // A commit of the graph is found through its position (see `node`).
        if gpos != NO_POS {
            self.by_pos[gpos as usize] = idx;
        } else {
            self.by_oid.insert(oid, idx);
        }
        idx
    }

    /// The node for `oid` (git's `lookup_commit`), created unparsed.
    fn node(&mut self, oid: &ObjectId) -> u32 {
        if let Some(&i) = self.by_oid.get(oid) {
            return i;
        }
        let gpos = self.graph.as_ref().and_then(|g| g.lookup(oid)).unwrap_or(NO_POS);
        if gpos != NO_POS && self.by_pos[gpos as usize] != NO_POS {
            return self.by_pos[gpos as usize];
        }
        self.push(*oid, gpos)
    }

    /// The node at a graph position.
    fn node_at(&mut self, pos: u32) -> Option<u32> {
        let i = *self.by_pos.get(pos as usize)?;
        if i != NO_POS {
            return Some(i);
        }
        let oid = self.graph.as_ref()?.oid_at(pos)?;
        if let Some(&i) = self.by_oid.get(&oid) {
            self.by_pos[pos as usize] = i;
            return Some(i);
        }
        Some(self.push(oid, pos))
    }

    fn parents_of(&self, i: u32) -> std::ops::Range<usize> {
        let n = &self.nodes[i as usize];
        n.pstart as usize..(n.pstart + n.plen) as usize
    }

    fn flags(&self, i: u32) -> u32 {
        self.nodes[i as usize].flags
    }

    fn set(&mut self, i: u32, f: u32) {
        self.nodes[i as usize].flags |= f;
    }

    fn date(&self, i: u32) -> u64 {
        self.nodes[i as usize].date
    }

    fn generation(&self, i: u32) -> u64 {
        self.nodes[i as usize].generation
    }

    /// Load a commit (git's `parse_commit`): from the graph, else the object.
    fn parse(&mut self, repo: &Repository, i: u32) -> Result<()> {
        if self.flags(i) & PARSED != 0 {
            return Ok(());
        }
        let gpos = self.nodes[i as usize].gpos;
        if gpos != NO_POS && self.load_from_graph(i, gpos) {
            return Ok(());
        }
        let oid = self.nodes[i as usize].oid;
        let kind = self.read_object(repo, &oid)?;
        if kind != Kind::Commit {
            return Err(not_commit(oid, kind));
        }
        let mut oids = std::mem::take(&mut self.oid_buf);
        let parsed = parse_commit_min(&self.buf, &mut oids);
        let Some((tree, date)) = parsed else {
            self.oid_buf = oids;
            return Err(Error::object(Some(oid), "bogus commit object"));
        };
        if self.shallow.contains(&oid) {
            oids.clear();
        }
        self.stats.commits_parsed += 1;
        let pstart = self.parents.len() as u32;
        for p in &oids {
            let pi = self.node(p);
            self.parents.push(pi);
        }
        let n = &mut self.nodes[i as usize];
        n.tree = tree;
        n.date = date;
        n.generation = GEN_INFINITY;
        n.pstart = pstart;
        n.plen = oids.len() as u32;
        n.flags |= PARSED;
        self.oid_buf = oids;
        if let Some(k) = self.kept.as_mut() {
            if k.bytes + self.buf.len() <= KEEP_BUDGET {
                k.bytes += self.buf.len();
                k.by_node.insert(i, std::mem::take(&mut self.buf));
            }
        }
        Ok(())
    }

    /// Read the object `oid` into `buf`. In a long walk, a commit comes from
    /// the helper reading the pack ahead when it got there first; one read
    /// here tells the helper where the walk is (and starts it).
    fn read_object(&mut self, repo: &Repository, oid: &ObjectId) -> Result<Kind> {
        if self.stats.commits_parsed >= READ_AHEAD_FROM {
            if let Some(data) = self.ahead.as_ref().and_then(|a| a.take(oid)) {
                self.stats.commits_read_ahead += 1;
                self.buf = data;
                return Ok(Kind::Commit);
            }
            if let Some((pack, off)) = repo.odb.packed_at(oid) {
                match &self.ahead {
                    Some(a) if a.pack_id() == pack.id => a.passed(off),
                    Some(_) => {}
                    None => {
                        self.ahead = Readahead::start(pack.clone(), off);
                        // Tests see the helper at work however the threads are scheduled.
                        #[cfg(test)]
                        if let Some(a) = &self.ahead {
                            a.wait_for(1);
                        }
                    }
                }
                // Found already: read it there rather than look it up again.
                return repo.odb.read_packed(&pack, off, &mut self.buf).map_err(|e| e.with_oid(*oid));
            }
        }
        repo.odb.read(oid, &mut self.buf)?.ok_or(Error::ObjectNotFound { oid: *oid })
    }

    /// Fill node `i` from graph position `pos`; false if the entry is unusable.
    fn load_from_graph(&mut self, i: u32, pos: u32) -> bool {
        let Some(g) = self.graph.as_ref() else { return false };
        let mut ps = std::mem::take(&mut self.pos_buf);
        let Some(e) = g.entry_at(pos, &mut ps) else {
            self.pos_buf = ps;
            return false;
        };
        let pstart = self.parents.len();
        for &p in &ps {
            match self.node_at(p) {
                Some(pi) => self.parents.push(pi),
                None => {
                    self.parents.truncate(pstart);
                    self.pos_buf = ps;
                    return false;
                }
            }
        }
        self.stats.commits_from_graph += 1;
        let n = &mut self.nodes[i as usize];
        n.tree = e.tree;
        n.date = e.commit_time;
        n.generation = if e.generation == 0 { GEN_INFINITY } else { e.generation };
        n.pstart = pstart as u32;
        n.plen = ps.len() as u32;
        n.flags |= PARSED;
        self.pos_buf = ps;
        true
    }

    /// `repo_parse_commit_gently`: true if the commit could be loaded.
    fn parse_gently(&mut self, repo: &Repository, i: u32) -> bool {
        self.parse(repo, i).is_ok()
    }

    fn uses_generations(&self) -> bool {
        self.graph.as_ref().is_some_and(|g| g.generation_numbers_enabled())
    }

    fn corrected_dates(&self) -> bool {
        self.graph.as_ref().is_some_and(|g| g.has_corrected_dates())
    }
}

/// git's `commit_list_insert_by_date` list as a heap: newest first, ties in
/// insertion order. Also git's date-ordered `prio_queue` (ties by insertion).
#[derive(Default)]
struct DateQueue {
    heap: BinaryHeap<(u64, Reverse<u64>, u32)>,
    seq: u64,
}

impl DateQueue {
    fn put(&mut self, i: u32, date: u64) {
        self.seq += 1;
        self.heap.push((date, Reverse(self.seq), i));
    }
    fn pop(&mut self) -> Option<u32> {
        self.heap.pop().map(|e| e.2)
    }
    fn peek_date(&self) -> Option<u64> {
        self.heap.peek().map(|e| e.0)
    }
}

/// git's `prio_queue` with `compare_commits_by_gen_then_commit_date`, copied
/// operation for operation: its keys are read live, and a commit queued before
/// it was parsed ranks as generation infinity, date 0 until it is (git queues
/// unparsed second parents in `explore_walk_step` under `--first-parent`), so
/// only git's exact heap moves give git's order.
#[derive(Default)]
struct GenQueue {
    /// (node, insertion counter).
    array: Vec<(u32, u64)>,
    ctr: u64,
}

impl GenQueue {
    /// Less: `a` comes out first.
    fn cmp(c: &Commits, a: (u32, u64), b: (u32, u64)) -> std::cmp::Ordering {
        let (ga, gb) = (c.generation(a.0), c.generation(b.0));
        if ga != gb {
            return gb.cmp(&ga);
        }
        let (da, db) = (c.date(a.0), c.date(b.0));
        if da != db {
            return db.cmp(&da);
        }
        a.1.cmp(&b.1)
    }

    fn put(&mut self, c: &Commits, i: u32) {
        self.array.push((i, self.ctr));
        self.ctr += 1;
        let mut ix = self.array.len() - 1;
        while ix > 0 {
            let parent = (ix - 1) / 2;
            if Self::cmp(c, self.array[parent], self.array[ix]).is_le() {
                break;
            }
            self.array.swap(parent, ix);
            ix = parent;
        }
    }

    fn pop(&mut self, c: &Commits) -> Option<u32> {
        if self.array.is_empty() {
            return None;
        }
        let result = self.array.swap_remove(0).0;
        let n = self.array.len();
        let mut ix = 0;
        while ix * 2 + 1 < n {
            let mut child = ix * 2 + 1;
            if child + 1 < n && Self::cmp(c, self.array[child], self.array[child + 1]).is_ge() {
                child += 1;
            }
            if Self::cmp(c, self.array[ix], self.array[child]).is_le() {
                break;
            }
            self.array.swap(child, ix);
            ix = child;
        }
        Some(result)
    }

    fn peek_gen(&self, c: &Commits) -> Option<u64> {
        self.array.first().map(|e| c.generation(e.0))
    }
}

/// The queue of commits ready to show in a topological sort.
enum Ready {
    /// Graph order: a LIFO.
    Stack(Vec<u32>),
    /// `--date-order`: by date, ties by insertion.
    Dates(DateQueue),
}

impl Ready {
    fn new(order: Order) -> Ready {
        match order {
            Order::Date => Ready::Dates(DateQueue::default()),
            _ => Ready::Stack(Vec::new()),
        }
    }
    fn put(&mut self, c: &Commits, i: u32) {
        match self {
            Ready::Stack(v) => v.push(i),
            Ready::Dates(q) => q.put(i, c.date(i)),
        }
    }
    fn get(&mut self) -> Option<u32> {
        match self {
            Ready::Stack(v) => v.pop(),
            Ready::Dates(q) => q.pop(),
        }
    }
    /// git's `prio_queue_reverse` of the initial tips (graph order only).
    fn reverse_tips(&mut self) {
        if let Ready::Stack(v) = self {
            v.reverse();
        }
    }
}

const EMPTY_TREE: ObjectId = ObjectId([
    0x4b, 0x82, 0x5d, 0xc6, 0x42, 0xcb, 0x6e, 0xb9, 0xa0, 0x60, 0xe5, 0x4b, 0xf8, 0xd6, 0x92, 0x88, 0xfb, 0xee, 0x49,
    0x04,
]);

/// One path of the filter, split into components.
struct Spec {
    comps: Vec<Vec<u8>>,
    /// Written with a trailing `/`: matches a directory only.
    dir_only: bool,
}

/// What a path names in a tree: (canonical mode, id), None if absent.
type Resolved = Option<(u32, ObjectId)>;

/// Decides whether two trees differ on the filter's paths, reading only the
/// trees along each path, with the answers for (tree, path, depth) remembered.
struct PathFilter {
    specs: Vec<Spec>,
    memo: HashMap<(ObjectId, u32, u32), Resolved>,
    buf: Vec<u8>,
    trees_read: u64,
}

/// git's `canon_mode`.
fn canon_mode(mode: u32) -> u32 {
    match mode & 0o170000 {
        0o100000 => 0o100000 | if mode & 0o100 != 0 { 0o755 } else { 0o644 },
        0o120000 => 0o120000,
        0o040000 => 0o040000,
        _ => 0o160000,
    }
}

/// Find `name` in raw tree bytes: (mode, id).
fn tree_find(data: &[u8], name: &[u8]) -> std::result::Result<Option<(u32, ObjectId)>, ()> {
    let mut pos = 0;
    while pos < data.len() {
        let sp = data[pos..].iter().position(|&c| c == b' ').ok_or(())? + pos;
        let mut mode = 0u32;
        for &c in &data[pos..sp] {
            if !(b'0'..=b'7').contains(&c) || mode > 0o7777777 {
                return Err(());
            }
            mode = mode * 8 + (c - b'0') as u32;
        }
        let nul = data[sp + 1..].iter().position(|&c| c == 0).ok_or(())? + sp + 1;
        let id = data.get(nul + 1..nul + 21).ok_or(())?;
        if &data[sp + 1..nul] == name {
            return Ok(Some((mode, ObjectId::from_bytes(id).ok_or(())?)));
        }
        pos = nul + 21;
    }
    Ok(None)
}

impl PathFilter {
    fn new(paths: &[String]) -> PathFilter {
        let specs = paths
            .iter()
            .map(|p| {
                let comps: Vec<Vec<u8>> =
                    p.split('/').filter(|c| !c.is_empty() && *c != ".").map(|c| c.as_bytes().to_vec()).collect();
                Spec { dir_only: p.ends_with('/') && !comps.is_empty(), comps }
            })
            .collect();
        PathFilter { specs, memo: HashMap::new(), buf: Vec::new(), trees_read: 0 }
    }

    fn resolve(&mut self, repo: &Repository, tree: ObjectId, spec: usize, depth: usize) -> Result<Resolved> {
        let s = &self.specs[spec];
        if s.comps.is_empty() {
            return Ok((tree != EMPTY_TREE).then_some((0o040000, tree)));
        }
        let key = (tree, spec as u32, depth as u32);
        if let Some(r) = self.memo.get(&key) {
            return Ok(*r);
        }
        let kind = repo.odb.read(&tree, &mut self.buf)?.ok_or(Error::ObjectNotFound { oid: tree })?;
        if kind != Kind::Tree {
            return Err(Error::ObjectType { oid: tree, expected: "tree", actual: kind.as_str() });
        }
        self.trees_read += 1;
        let s = &self.specs[spec];
        let last = depth + 1 == s.comps.len();
        let found = tree_find(&self.buf, &s.comps[depth]).map_err(|_| Error::object(Some(tree), "malformed tree"))?;
        let dir_only = s.dir_only;
        let r = match found {
            None => None,
            Some((mode, oid)) => {
                let is_tree = mode & 0o170000 == 0o040000;
                if last {
                    if dir_only && !is_tree {
                        None
                    } else {
                        Some((canon_mode(mode), oid))
                    }
                } else if is_tree {
                    self.resolve(repo, oid, spec, depth + 1)?
                } else {
                    None
                }
            }
        };
        // An empty directory holds no path: git's diff sees no change in it.
        let r = r.filter(|&(m, o)| !(m == 0o040000 && o == EMPTY_TREE));
        if self.memo.len() > 1 << 20 {
            self.memo.clear();
        }
        self.memo.insert(key, r);
        Ok(r)
    }

    /// True if `a` and `b` are the same on every path.
    fn same(&mut self, repo: &Repository, a: ObjectId, b: ObjectId) -> Result<bool> {
        if a == b {
            return Ok(true);
        }
        for s in 0..self.specs.len() {
            if self.resolve(repo, a, s, 0)? != self.resolve(repo, b, s, 0)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// True if `tree` has none of the paths (git's `rev_same_tree_as_empty`).
    fn empty(&mut self, repo: &Repository, tree: ObjectId) -> Result<bool> {
        for s in 0..self.specs.len() {
            if self.resolve(repo, tree, s, 0)?.is_some() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

fn check_abort(abort: &AtomicBool) -> Result<()> {
    if abort.load(Ordering::Relaxed) {
        Err(Error::Aborted)
    } else {
        Ok(())
    }
}

/// git's `rev_info` state shared by every way of walking.
struct Revs {
    c: Commits,
    first_parent: bool,
    filter: Option<PathFilter>,
}

impl Revs {
    fn relevant(&self, i: u32) -> bool {
        self.c.flags(i) & (UNINTERESTING | BOTTOM) != UNINTERESTING
    }

    /// git's `mark_parents_uninteresting`: through parsed commits only.
    fn mark_parents_uninteresting(&mut self, i: u32) {
        let mut pending: Vec<u32> = Vec::new();
        let mark_one = |c: &mut Commits, p: u32, pending: &mut Vec<u32>| {
            if c.flags(p) & UNINTERESTING != 0 {
                return;
            }
            c.set(p, UNINTERESTING);
            for k in c.parents_of(p) {
                pending.push(c.parents[k]);
            }
        };
        for k in self.c.parents_of(i) {
            let p = self.c.parents[k];
            mark_one(&mut self.c, p, &mut pending);
        }
        while let Some(p) = pending.pop() {
            mark_one(&mut self.c, p, &mut pending);
        }
    }

    /// git's `try_to_simplify_commit` in default mode (dense, simplify_history).
    fn try_to_simplify(&mut self, repo: &Repository, i: u32) -> Result<()> {
        let Some(filter) = self.filter.as_mut() else { return Ok(()) };
        let tree = self.c.nodes[i as usize].tree;
        let range = self.c.parents_of(i);
        if range.is_empty() {
            if filter.empty(repo, tree)? {
                self.c.set(i, TREESAME);
            }
            return Ok(());
        }
        let (mut relevant_parents, mut relevant_change, mut irrelevant_change) = (0, false, false);
        for (nth, k) in range.enumerate() {
            let p = self.c.parents[k];
            let relevant = self.relevant(p);
            if relevant {
                relevant_parents += 1;
            }
            if nth == 1 && self.first_parent {
                break;
            }
            self.c.parse(repo, p)?;
            let ptree = self.c.nodes[p as usize].tree;
            let filter = self.filter.as_mut().expect("checked above");
            if filter.same(repo, ptree, tree)? {
                if !relevant {
                    continue;
                }
                let n = &mut self.c.nodes[i as usize];
                n.pstart = k as u32;
                n.plen = 1;
                n.flags |= TREESAME;
                return Ok(());
            }
            if relevant {
                relevant_change = true;
            } else {
                irrelevant_change = true;
            }
        }
        if if relevant_parents > 0 { !relevant_change } else { !irrelevant_change } {
            self.c.set(i, TREESAME);
        }
        Ok(())
    }

    /// git's `process_parents`: mark and queue the parents of `i`.
    fn process_parents(&mut self, repo: &Repository, i: u32, mut list: Option<&mut DateQueue>) -> Result<()> {
        let flags = self.c.flags(i);
        if flags & ADDED != 0 {
            return Ok(());
        }
        self.c.set(i, ADDED);
        if flags & UNINTERESTING != 0 {
            for k in self.c.parents_of(i) {
                let p = self.c.parents[k];
                self.c.set(p, UNINTERESTING);
                if !self.c.parse_gently(repo, p) {
                    continue;
                }
                if !self.c.parents_of(p).is_empty() {
                    self.mark_parents_uninteresting(p);
                }
                if self.c.flags(p) & SEEN != 0 {
                    continue;
                }
                self.c.set(p, SEEN);
                if let Some(l) = list.as_deref_mut() {
                    l.put(p, self.c.date(p));
                }
            }
            return Ok(());
        }
        self.try_to_simplify(repo, i)?;
        for k in self.c.parents_of(i) {
            let p = self.c.parents[k];
            self.c.parse(repo, p)?;
            if self.c.flags(p) & SEEN == 0 {
                self.c.set(p, SEEN);
                if let Some(l) = list.as_deref_mut() {
                    l.put(p, self.c.date(p));
                }
            }
            if self.first_parent {
                break;
            }
        }
        Ok(())
    }

    /// git's `get_commit_action` for plain rev-list: show it?
    fn show(&self, i: u32) -> bool {
        let f = self.c.flags(i);
        f & UNINTERESTING == 0 && !(self.filter.is_some() && f & TREESAME != 0)
    }

    /// git's `limit_list`: the interesting commits in walk order.
    fn limit_list(&mut self, repo: &Repository, starts: &[u32], abort: &AtomicBool) -> Result<Vec<u32>> {
        let mut list = DateQueue::default();
        for &s in starts {
            list.put(s, self.c.date(s));
        }
        let mut out = Vec::new();
        let mut date = u64::MAX;
        let mut slop = SLOP;
        let mut cache: Option<u32> = None;
        while let Some(i) = list.pop() {
            check_abort(abort)?;
            if cache == Some(i) {
                cache = None;
            }
            self.process_parents(repo, i, Some(&mut list))?;
            if self.c.flags(i) & UNINTERESTING != 0 {
                self.mark_parents_uninteresting(i);
                slop = self.still_interesting(&list, date, slop, &mut cache);
                if slop > 0 {
                    continue;
                }
                break;
            }
            date = self.c.date(i);
            out.push(i);
        }
        Ok(out)
    }

    fn still_interesting(&self, list: &DateQueue, date: u64, slop: u32, cache: &mut Option<u32>) -> u32 {
        let Some(head) = list.peek_date() else { return 0 };
        if date <= head {
            return SLOP;
        }
        if let Some(c) = *cache {
            if self.c.flags(c) & UNINTERESTING == 0 {
                return SLOP;
            }
        }
        if let Some(&(_, _, c)) = list.heap.iter().find(|e| self.c.flags(e.2) & UNINTERESTING == 0) {
            *cache = Some(c);
            return SLOP;
        }
        slop - 1
    }

    /// git's `sort_in_topological_order` over a limited list.
    fn sort_topo(&mut self, list: &[u32], order: Order, abort: &AtomicBool) -> Result<Vec<u32>> {
        let mut indegree = vec![0i32; self.c.nodes.len()];
        for &i in list {
            indegree[i as usize] = 1;
        }
        for &i in list {
            for k in self.c.parents_of(i) {
                let p = self.c.parents[k] as usize;
                if indegree[p] != 0 {
                    indegree[p] += 1;
                }
            }
        }
        let mut ready = Ready::new(order);
        for &i in list {
            if indegree[i as usize] == 1 {
                ready.put(&self.c, i);
            }
        }
        ready.reverse_tips();
        let mut out = Vec::with_capacity(list.len());
        while let Some(i) = ready.get() {
            check_abort(abort)?;
            for k in self.c.parents_of(i) {
                let p = self.c.parents[k];
                let d = &mut indegree[p as usize];
                if *d == 0 {
                    continue;
                }
                *d -= 1;
                if *d == 1 {
                    ready.put(&self.c, p);
                }
            }
            indegree[i as usize] = 0;
            out.push(i);
        }
        Ok(out)
    }
}

/// git's incremental topological walk (`init_topo_walk`), used when the
/// commit-graph provides generation numbers.
struct TopoWalk {
    explore: GenQueue,
    indegree_queue: GenQueue,
    ready: Ready,
    min_generation: u64,
    indegree: Vec<i32>,
}

impl TopoWalk {
    fn indegree(&mut self, i: u32) -> &mut i32 {
        let i = i as usize;
        if i >= self.indegree.len() {
            self.indegree.resize(i + 1 + i / 2, 0);
        }
        &mut self.indegree[i]
    }

    fn insert_once(q: &mut GenQueue, c: &mut Commits, i: u32, flag: u32) {
        if c.flags(i) & flag != 0 {
            return;
        }
        c.set(i, flag);
        q.put(c, i);
    }

    fn init(revs: &mut Revs, repo: &Repository, starts: &[u32], order: Order, abort: &AtomicBool) -> Result<TopoWalk> {
        let mut t = TopoWalk {
            explore: GenQueue::default(),
            indegree_queue: GenQueue::default(),
            ready: Ready::new(order),
            min_generation: GEN_INFINITY,
            indegree: Vec::new(),
        };
        for &s in starts {
            if !revs.c.parse_gently(repo, s) {
                continue;
            }
            Self::insert_once(&mut t.explore, &mut revs.c, s, EXPLORED);
            Self::insert_once(&mut t.indegree_queue, &mut revs.c, s, INDEGREE);
            t.min_generation = t.min_generation.min(revs.c.generation(s));
            *t.indegree(s) = 1;
        }
        t.compute_indegrees_to_depth(revs, repo, t.min_generation, abort)?;
        for &s in starts {
            if *t.indegree(s) == 1 {
                t.ready.put(&revs.c, s);
            }
        }
        t.ready.reverse_tips();
        Ok(t)
    }

    fn explore_to_depth(&mut self, revs: &mut Revs, repo: &Repository, gen: u64, abort: &AtomicBool) -> Result<()> {
        while self.explore.peek_gen(&revs.c).is_some_and(|g| g >= gen) {
            check_abort(abort)?;
            let Some(i) = self.explore.pop(&revs.c) else { break };
            if !revs.c.parse_gently(repo, i) {
                continue;
            }
            revs.process_parents(repo, i, None)?;
            if revs.c.flags(i) & UNINTERESTING != 0 {
                revs.mark_parents_uninteresting(i);
            }
            // Queued unparsed, as git does: they rank as generation infinity.
            for k in revs.c.parents_of(i) {
                let p = revs.c.parents[k];
                Self::insert_once(&mut self.explore, &mut revs.c, p, EXPLORED);
            }
        }
        Ok(())
    }

    fn compute_indegrees_to_depth(&mut self, revs: &mut Revs, repo: &Repository, gen: u64, abort: &AtomicBool) -> Result<()> {
        while self.indegree_queue.peek_gen(&revs.c).is_some_and(|g| g >= gen) {
            check_abort(abort)?;
            let Some(i) = self.indegree_queue.pop(&revs.c) else { break };
            if !revs.c.parse_gently(repo, i) {
                continue;
            }
            self.explore_to_depth(revs, repo, revs.c.generation(i), abort)?;
            for k in revs.c.parents_of(i) {
                let p = revs.c.parents[k];
                if !revs.c.parse_gently(repo, p) {
                    break;
                }
                let d = self.indegree(p);
                *d = if *d != 0 { *d + 1 } else { 2 };
                Self::insert_once(&mut self.indegree_queue, &mut revs.c, p, INDEGREE);
                if revs.first_parent {
                    break;
                }
            }
        }
        Ok(())
    }

    fn next(&mut self, revs: &mut Revs, repo: &Repository, abort: &AtomicBool) -> Result<Option<u32>> {
        let Some(i) = self.ready.get() else { return Ok(None) };
        *self.indegree(i) = 0;
        revs.process_parents(repo, i, None)?;
        for k in revs.c.parents_of(i) {
            let p = revs.c.parents[k];
            if revs.c.flags(p) & UNINTERESTING != 0 {
                continue;
            }
            if !revs.c.parse_gently(repo, p) {
                continue;
            }
            let g = revs.c.generation(p);
            if g < self.min_generation {
                self.min_generation = g;
                self.compute_indegrees_to_depth(revs, repo, g, abort)?;
            }
            let d = self.indegree(p);
            *d -= 1;
            if *d == 1 {
                self.ready.put(&revs.c, p);
            }
            if revs.first_parent {
                break;
            }
        }
        Ok(Some(i))
    }
}

enum State {
    /// Not limited, not topological: the date queue.
    Queue(DateQueue),
    /// Limited: the list is computed on the first pull.
    Limited { starts: Vec<u32>, topo: Option<Order> },
    /// A computed list, shown from `pos`.
    List { list: Vec<u32>, pos: usize },
    /// The incremental topological walk.
    Topo(TopoWalk),
    /// Before the first pull of a topological walk.
    TopoPending { starts: Vec<u32>, order: Order },
    Done,
}

/// An incremental history walk: pull commits with [`Walk::next_batch`].
/// Owns (or borrows, with `R = &Repository`) its repository, so it can move to
/// a worker thread between batches.
pub struct Walk<R: Deref<Target = Repository>> {
    repo: R,
    revs: Revs,
    state: State,
    remaining: Option<usize>,
}

impl<R: Deref<Target = Repository>> Walk<R> {
    /// Prepare a walk (git's `setup_revisions` + `prepare_revision_walk`): the
    /// start and hidden commits are read now, so a missing one fails here.
    pub fn new(repo: R, opts: Options) -> Result<Walk<R>> {
        Walk::new_with(repo, opts, true)
    }

    /// As [`Walk::new`]; `allow_graph: false` ignores any commit-graph (for timing).
    fn new_with(repo: R, opts: Options, allow_graph: bool) -> Result<Walk<R>> {
        let mut c = Commits::new(&repo, allow_graph);
        if opts.keep_objects {
            c.kept = Some(Kept::default());
        }
        let filter = if opts.paths.is_empty() { None } else { Some(PathFilter::new(&opts.paths)) };
        let topo = opts.order != Order::None;
        let generations = c.uses_generations();
        let mut pending: Vec<u32> = Vec::with_capacity(opts.from.len() + opts.hide.len());
        for oid in &opts.from {
            pending.push(c.node(oid));
        }
        for oid in &opts.hide {
            let i = c.node(oid);
            c.set(i, UNINTERESTING | BOTTOM);
            pending.push(i);
        }
        let mut revs = Revs { c, first_parent: opts.first_parent, filter };
        let mut limited = topo && !generations;
        let mut starts = Vec::new();
        for &i in &pending {
            revs.c.parse(&repo, i)?;
            if revs.c.flags(i) & UNINTERESTING != 0 {
                revs.mark_parents_uninteresting(i);
                if !topo || !generations {
                    limited = true;
                }
            }
            if revs.c.flags(i) & SEEN == 0 {
                revs.c.set(i, SEEN);
                starts.push(i);
            }
        }
        // commit_list_sort_by_date: stable, newest first.
        starts.sort_by_key(|&i| Reverse(revs.c.date(i)));
        let state = if opts.limit == Some(0) {
            State::Done
        } else if limited {
            State::Limited { starts, topo: topo.then_some(opts.order) }
        } else if topo {
            State::TopoPending { starts, order: opts.order }
        } else {
            let mut q = DateQueue::default();
            for &s in &starts {
                q.put(s, revs.c.date(s));
            }
            State::Queue(q)
        };
        Ok(Walk { repo, revs, state, remaining: opts.limit })
    }

    /// The next commit to show, or None at the end.
    fn next_index(&mut self, abort: &AtomicBool) -> Result<Option<u32>> {
        let repo: &Repository = &self.repo;
        loop {
            check_abort(abort)?;
            match &mut self.state {
                State::Done => return Ok(None),
                State::Queue(q) => {
                    let Some(i) = q.pop() else { return Ok(None) };
                    self.revs.process_parents(repo, i, Some(q))?;
                    if self.revs.show(i) {
                        return Ok(Some(i));
                    }
                }
                State::Limited { starts, topo } => {
                    let starts = std::mem::take(starts);
                    let topo = *topo;
                    let mut list = self.revs.limit_list(repo, &starts, abort)?;
                    if let Some(order) = topo {
                        list = self.revs.sort_topo(&list, order, abort)?;
                    }
                    self.state = State::List { list, pos: 0 };
                }
                State::List { list, pos } => {
                    let Some(&i) = list.get(*pos) else { return Ok(None) };
                    *pos += 1;
                    if self.revs.show(i) {
                        return Ok(Some(i));
                    }
                }
                State::TopoPending { starts, order } => {
                    let starts = std::mem::take(starts);
                    let order = *order;
                    self.state = State::Topo(TopoWalk::init(&mut self.revs, repo, &starts, order, abort)?);
                }
                State::Topo(t) => {
                    let Some(i) = t.next(&mut self.revs, repo, abort)? else { return Ok(None) };
                    if self.revs.show(i) {
                        return Ok(Some(i));
                    }
                }
            }
        }
    }

    /// Up to `n` more commits; fewer (possibly none) only at the end.
    /// `abort` is checked at every step: once set, this fails with `ERR_ABORTED`.
    pub fn next_batch(&mut self, n: usize, abort: &AtomicBool) -> Result<Vec<ObjectId>> {
        let nodes = self.next_nodes(n, abort)?;
        Ok(nodes.iter().map(|&i| self.revs.c.nodes[i as usize].oid).collect())
    }

    /// [`Walk::next_batch`], each commit with its object's content when the walk
    /// read it and kept it (see [`Options::keep_objects`]).
    pub fn next_batch_kept(&mut self, n: usize, abort: &AtomicBool) -> Result<Vec<(ObjectId, Option<Vec<u8>>)>> {
        let nodes = self.next_nodes(n, abort)?;
        let c = &mut self.revs.c;
        let out = nodes
            .iter()
            .map(|&i| {
                let raw = c.kept.as_mut().and_then(|k| k.by_node.remove(&i));
                if let (Some(k), Some(r)) = (c.kept.as_mut(), &raw) {
                    k.bytes -= r.len();
                }
                (c.nodes[i as usize].oid, raw)
            })
            .collect();
        if matches!(self.state, State::Done) {
            c.kept = None;
        }
        Ok(out)
    }

    fn next_nodes(&mut self, n: usize, abort: &AtomicBool) -> Result<Vec<u32>> {
        let mut out = Vec::with_capacity(n.min(4096));
        while out.len() < n {
            if self.remaining == Some(0) {
                self.state = State::Done;
                break;
            }
            match self.next_index(abort)? {
                Some(i) => {
                    out.push(i);
                    if let Some(r) = self.remaining.as_mut() {
                        *r -= 1;
                    }
                }
                None => {
                    self.state = State::Done;
                    break;
                }
            }
        }
        Ok(out)
    }

    /// Where the walk's data came from so far.
    pub fn stats(&self) -> Stats {
        let mut s = self.revs.c.stats;
        s.trees_read = self.revs.filter.as_ref().map_or(0, |f| f.trees_read);
        s
    }

    /// True when the walk reads commits from a commit-graph.
    pub fn uses_commit_graph(&self) -> bool {
        self.revs.c.graph.is_some()
    }

    /// Whether locating every commit of the graph ([`Walk::locate_commits`])
    /// pays off now that `walked` commits were handed over: it costs about as
    /// much as looking up an eighth of the graph's commits one by one, so
    /// only once the walk has reached that many, and not when a limit will
    /// end it before it covers half the graph.
    pub fn worth_locating(&self, walked: usize) -> bool {
        let Some(g) = self.revs.c.graph.as_ref() else { return false };
        worth_locating(g.len() as usize, walked, self.remaining)
    }

    /// Where the commits of the commit-graph are in the pack holding `first`:
    /// for those who read the commits of a walk that uses the graph (which
    /// reads none itself). The graph lists its commits sorted, as the pack
    /// index does, so one pass that resumes each search where the last ended
    /// finds them all, instead of a binary search per commit. None without a
    /// graph, or if `first` is not in a pack.
    pub fn locate_commits(&self, first: &ObjectId) -> Option<Located> {
        let g = self.revs.c.graph.as_ref()?;
        let (pack, _) = self.repo.odb.packed_at(first)?;
        let oids: Vec<ObjectId> = (0..g.len()).filter_map(|p| g.oid_at(p)).collect();
        let positions = pack.index.lookup_in_order(oids.iter().copied());
        let mut at = OidMap::default();
        at.reserve(oids.len());
        for (oid, i) in oids.iter().zip(positions) {
            if let Some(off) = i.and_then(|i| pack.index.offset_at(i).ok()) {
                at.insert(*oid, off);
            }
        }
        Some(Located { pack, at })
    }
}

impl<R: Deref<Target = Repository>> Iterator for Walk<R> {
    type Item = Result<ObjectId>;

    fn next(&mut self) -> Option<Result<ObjectId>> {
        static NEVER: AtomicBool = AtomicBool::new(false);
        match self.next_batch(1, &NEVER) {
            Ok(v) => v.into_iter().next().map(Ok),
            Err(e) => {
                self.state = State::Done;
                Some(Err(e))
            }
        }
    }
}

/// git's `paint_down_to_common`: the common ancestors found, by date (ties in
/// the order found); flags are left on the commits for the caller.
fn paint_down_to_common(
    c: &mut Commits,
    repo: &Repository,
    one: u32,
    twos: &[u32],
    min_generation: u64,
    by_generation: bool,
) -> Result<Vec<u32>> {
    let mut result: Vec<u32> = Vec::new();
    c.set(one, PARENT1);
    if twos.is_empty() {
        result.push(one);
        return Ok(result);
    }
    let mut queue: BinaryHeap<(u64, u64, Reverse<u64>, u32)> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut put = |q: &mut BinaryHeap<_>, c: &Commits, i: u32| {
        seq += 1;
        let g = if by_generation { c.generation(i) } else { 0 };
        q.push((g, c.date(i), Reverse(seq), i));
    };
    put(&mut queue, c, one);
    for &t in twos {
        c.set(t, PARENT2);
        put(&mut queue, c, t);
    }
    while queue.iter().any(|e| c.flags(e.3) & STALE == 0) {
        let Some((_, _, _, i)) = queue.pop() else { break };
        if c.generation(i) < min_generation {
            break;
        }
        let mut flags = c.flags(i) & (PARENT1 | PARENT2 | STALE);
        if flags == PARENT1 | PARENT2 {
            if c.flags(i) & RESULT == 0 {
                c.set(i, RESULT);
                let d = c.date(i);
                let at = result.iter().position(|&r| c.date(r) < d).unwrap_or(result.len());
                result.insert(at, i);
            }
            flags |= STALE;
        }
        for k in c.parents_of(i) {
            let p = c.parents[k];
            if c.flags(p) & flags == flags {
                continue;
            }
            c.parse(repo, p)?;
            c.set(p, flags);
            put(&mut queue, c, p);
        }
    }
    Ok(result)
}

fn clear_paint(c: &mut Commits) {
    for n in &mut c.nodes {
        n.flags &= !PAINT_FLAGS;
    }
}

/// Every merge base of `a` and `b`, best first, as `git merge-base --all a b`
/// lists them (git's `get_merge_bases`).
pub fn merge_bases(repo: &Repository, a: &ObjectId, b: &ObjectId) -> Result<Vec<ObjectId>> {
    let mut c = Commits::new(repo, true);
    let one = c.node(a);
    let two = c.node(b);
    c.parse(repo, one)?;
    c.parse(repo, two)?;
    if one == two {
        return Ok(vec![*a]);
    }
    let by_generation = c.corrected_dates();
    let found = paint_down_to_common(&mut c, repo, one, &[two], 0, by_generation)?;
    let mut result: Vec<u32> = found.into_iter().filter(|&i| c.flags(i) & STALE == 0).collect();
    if result.len() > 1 {
        // remove_redundant: drop any base reachable from another.
        clear_paint(&mut c);
        let mut redundant = vec![false; result.len()];
        for i in 0..result.len() {
            if redundant[i] {
                continue;
            }
            let others: Vec<usize> = (0..result.len()).filter(|&j| j != i && !redundant[j]).collect();
            let work: Vec<u32> = others.iter().map(|&j| result[j]).collect();
            paint_down_to_common(&mut c, repo, result[i], &work, 0, by_generation)?;
            if c.flags(result[i]) & PARENT2 != 0 {
                redundant[i] = true;
            }
            for (n, &j) in others.iter().enumerate() {
                if c.flags(work[n]) & PARENT1 != 0 {
                    redundant[j] = true;
                }
            }
            clear_paint(&mut c);
        }
        let kept: Vec<u32> = result.iter().zip(&redundant).filter(|(_, &r)| !r).map(|(&i, _)| i).collect();
        // commit_list_insert_by_date, one by one: stable, newest first.
        result = Vec::with_capacity(kept.len());
        for i in kept {
            let d = c.date(i);
            let at = result.iter().position(|&r| c.date(r) < d).unwrap_or(result.len());
            result.insert(at, i);
        }
    }
    Ok(result.into_iter().map(|i| c.nodes[i as usize].oid).collect())
}

/// The merge base `git merge-base a b` prints, or None if they share no history.
pub fn merge_base(repo: &Repository, a: &ObjectId, b: &ObjectId) -> Result<Option<ObjectId>> {
    Ok(merge_bases(repo, a, b)?.into_iter().next())
}

impl Repository {
    /// Walk history as `git rev-list` would, all at once.
    pub fn log(&self, opts: Options, abort: &AtomicBool) -> Result<Vec<ObjectId>> {
        let mut w = Walk::new(self, opts)?;
        w.next_batch(usize::MAX, abort)
    }

    /// The merge base `git merge-base a b` prints (see [`merge_base`]).
    pub fn merge_base(&self, a: &ObjectId, b: &ObjectId) -> Result<Option<ObjectId>> {
        merge_base(self, a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testutil::{git_bytes, git_ok, git_output, TempDir};
    use std::path::Path;
    use std::sync::Arc;

    /// A small deterministic generator (xorshift).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }
    }

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Dates {
        /// Every commit at the same second: all ordering is tie-breaking.
        Equal,
        /// Increasing, three commits per second.
        Ties,
        /// Random: parents may be newer than children.
        Skewed,
    }

    struct PlanCommit {
        parents: Vec<usize>,
        date: u64,
        changes: Vec<(&'static str, Option<String>)>,
    }

    const FILES: [&str; 7] = ["a/x", "a/y", "a/b/z", "b/w", "c", "d/e/f", "g"];

    /// A random history: merges, octopus merges, a second root, unchanged commits.
    fn plan(seed: u64, n: usize, dates: Dates) -> Vec<PlanCommit> {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut out: Vec<PlanCommit> = Vec::new();
        for i in 0..n {
            let mut parents = Vec::new();
            if i > 0 && i != n / 3 {
                parents.push(i - 1 - rng.below(i.min(6)));
                if i > 2 && rng.chance(30) {
                    let p = rng.below(i);
                    if !parents.contains(&p) {
                        parents.push(p);
                    }
                    if rng.chance(15) {
                        let q = rng.below(i);
                        if !parents.contains(&q) {
                            parents.push(q);
                        }
                    }
                }
            }
            let date = match dates {
                Dates::Equal => 1_500_000_000,
                Dates::Ties => 1_500_000_000 + i as u64 / 3,
                Dates::Skewed => 1_500_000_000 + rng.below(n * 2) as u64,
            };
            let mut changes = Vec::new();
            for _ in 0..rng.below(3) {
                let f = FILES[rng.below(FILES.len())];
                let content = if rng.chance(10) { None } else { Some(format!("{i} {}\n", rng.below(3))) };
                changes.push((f, content));
            }
            out.push(PlanCommit { parents, date, changes });
        }
        out
    }

    /// Import commits `range` of `plan` (marks are indexes + 1) into the repo at `dir`.
    fn import(dir: &Path, plan: &[PlanCommit], range: std::ops::Range<usize>) {
        let mut s = String::new();
        for i in range {
            let c = &plan[i];
            s.push_str(&format!(
                "commit refs/heads/c{i}\nmark :{}\nauthor A <a@example.com> {} +0000\ncommitter C <c@example.com> {} +0000\ndata 3\nc{}\n",
                i + 1,
                c.date,
                c.date,
                i % 10
            ));
            for (k, p) in c.parents.iter().enumerate() {
                s.push_str(&format!("{} :{}\n", if k == 0 { "from" } else { "merge" }, p + 1));
            }
            for (f, content) in &c.changes {
                match content {
                    Some(t) => s.push_str(&format!("M 100644 inline {f}\ndata {}\n{t}\n", t.len())),
                    None => s.push_str(&format!("D {f}\n")),
                }
            }
            s.push('\n');
        }
        let marks = dir.join(".git/marks");
        let marks_s = marks.to_string_lossy().to_string();
        let mut args = vec!["fast-import".to_string(), "--quiet".to_string(), format!("--export-marks={marks_s}")];
        if marks.exists() {
            args.push(format!("--import-marks={marks_s}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        git_bytes(dir, &args, Some(s.as_bytes()));
    }

    fn oids_of_marks(dir: &Path) -> Vec<ObjectId> {
        let text = std::fs::read_to_string(dir.join(".git/marks")).expect("marks");
        let mut v: Vec<(usize, ObjectId)> = text
            .lines()
            .map(|l| {
                let (m, o) = l.split_once(' ').expect("mark line");
                (m[1..].parse().expect("mark"), ObjectId::parse(o).expect("oid"))
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, o)| o).collect()
    }

    fn parse_lines(s: &str) -> Vec<ObjectId> {
        s.lines().filter(|l| !l.is_empty()).map(|l| ObjectId::parse(l).expect("oid")).collect()
    }

    fn git_args(o: &Options) -> Vec<String> {
        let mut a = vec!["rev-list".to_string()];
        match o.order {
            Order::None => {}
            Order::Topo => a.push("--topo-order".into()),
            Order::Date => a.push("--date-order".into()),
        }
        if o.first_parent {
            a.push("--first-parent".into());
        }
        if let Some(n) = o.limit {
            a.push(format!("-n{n}"));
        }
        a.extend(o.from.iter().map(|f| f.to_hex()));
        a.extend(o.hide.iter().map(|h| format!("^{h}")));
        a.push("--".into());
        a.extend(o.paths.iter().cloned());
        a
    }

    fn git_rev_list(dir: &Path, o: &Options, config: &[&str]) -> Vec<ObjectId> {
        let mut args: Vec<String> = config.iter().flat_map(|c| ["-c".to_string(), c.to_string()]).collect();
        args.extend(git_args(o));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = git_output(dir, &args, None);
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        parse_lines(&String::from_utf8_lossy(&out.stdout))
    }

    fn ours(repo: &Repository, o: &Options) -> Vec<ObjectId> {
        let abort = AtomicBool::new(false);
        let mut w = Walk::new(repo, o.clone()).expect("walk starts");
        // Pull in uneven batches, as the JS side would.
        let mut out = Vec::new();
        let mut n = 1;
        loop {
            let b = w.next_batch(n, &abort).expect("walk");
            if b.is_empty() {
                break;
            }
            out.extend(b);
            n = n * 3 % 17 + 1;
        }
        assert!(w.next_batch(5, &abort).expect("done").is_empty());
        // Kept objects: the same commits, each handed over with its exact content.
        let mut w = Walk::new(repo, Options { keep_objects: true, ..o.clone() }).expect("walk starts");
        let mut kept_ids = Vec::new();
        let mut buf = Vec::new();
        loop {
            let b = w.next_batch_kept(7, &abort).expect("walk");
            if b.is_empty() {
                break;
            }
            for (oid, raw) in b {
                if let Some(raw) = raw {
                    repo.odb.read(&oid, &mut buf).expect("read").expect("present");
                    assert_eq!(raw, buf, "kept content of {oid}");
                }
                kept_ids.push(oid);
            }
        }
        assert_eq!(kept_ids, out);
        out
    }

    fn short(v: &[ObjectId], names: &HashMap<ObjectId, usize>) -> String {
        v.iter().map(|o| names.get(o).map_or_else(|| o.to_hex()[..7].to_string(), |i| format!("c{i}"))).collect::<Vec<_>>().join(" ")
    }

    /// Compare `count` random walks and merge-bases with git; returns how many were checked.
    fn compare_random(dir: &Path, commits: &[ObjectId], paths: &[&str], seed: u64, count: usize, config: &[&str]) {
        let repo = Repository::open(dir, &Default::default()).expect("open");
        let names: HashMap<ObjectId, usize> = commits.iter().enumerate().map(|(i, o)| (*o, i)).collect();
        let mut rng = Rng(seed | 1);
        let n = commits.len();
        let pick = |rng: &mut Rng| {
            // Mostly recent commits, so walks are long.
            if rng.chance(60) { commits[n - 1 - rng.below(n.min(8))] } else { commits[rng.below(n)] }
        };
        for round in 0..count {
            let mut o = Options {
                order: [Order::None, Order::Topo, Order::Date][rng.below(3)],
                first_parent: rng.chance(30),
                limit: if rng.chance(25) { Some(rng.below(12)) } else { None },
                ..Default::default()
            };
            for _ in 0..1 + rng.below(3) {
                o.from.push(pick(&mut rng));
            }
            if rng.chance(45) {
                for _ in 0..1 + rng.below(2) {
                    o.hide.push(commits[rng.below(n)]);
                }
            }
            if rng.chance(45) && !paths.is_empty() {
                for _ in 0..1 + rng.below(2) {
                    o.paths.push(paths[rng.below(paths.len())].to_string());
                }
            }
            let want = git_rev_list(dir, &o, config);
            let got = ours(&repo, &o);
            if got != want && std::env::var("FERROGIT_KEEP_FAILED").is_ok() {
                // Keep the repository for a look (the temp dir goes on panic).
                let _ = std::process::Command::new("cp").arg("-a").arg(dir).arg("/tmp/ferrogit-log-failed").status();
            }
            assert!(
                got == want,
                "round {round}: git {}\n git: {}\nours: {}",
                git_args(&o).join(" "),
                short(&want, &names),
                short(&got, &names)
            );
            if round % 3 == 0 {
                let (a, b) = (pick(&mut rng), commits[rng.below(n)]);
                let all = git_output(dir, &["merge-base", "--all", &a.to_hex(), &b.to_hex()], None);
                let want = parse_lines(&String::from_utf8_lossy(&all.stdout));
                let got = merge_bases(&repo, &a, &b).expect("merge-base");
                assert_eq!(short(&got, &names), short(&want, &names), "merge-base --all c{} c{}", names[&a], names[&b]);
                let first = git_output(dir, &["merge-base", &a.to_hex(), &b.to_hex()], None);
                let want1 = parse_lines(&String::from_utf8_lossy(&first.stdout)).into_iter().next();
                assert_eq!(repo.merge_base(&a, &b).expect("merge-base"), want1);
            }
        }
    }

    const PATHS: [&str; 10] = ["a", "a/x", "a/b", "a/b/z", "b/w", "c", "d/", "d/e/f", "nothing/here", "c/"];

    fn graph_file(dir: &Path) -> std::path::PathBuf {
        dir.join(".git/objects/info/commit-graph")
    }

    fn remove_graphs(dir: &Path) {
        let _ = std::fs::remove_file(graph_file(dir));
        let _ = std::fs::remove_dir_all(dir.join(".git/objects/info/commit-graphs"));
    }

    /// One random history checked without a graph, with a graph over part of it,
    /// with a split chain, and with version-1 generations.
    fn check_history(seed: u64, n: usize, dates: Dates, rounds: usize) {
        let tmp = TempDir::repo("log-synth");
        let dir = &tmp.0;
        let p = plan(seed, n, dates);
        import(dir, &p, 0..n * 2 / 3);
        git_ok(dir, &["commit-graph", "write", "--reachable", "--split"]);
        import(dir, &p, n * 2 / 3..n);
        let commits = oids_of_marks(dir);
        assert_eq!(commits.len(), n);
        // A chain covering two thirds; the rest read from objects.
        compare_random(dir, &commits, &PATHS, seed ^ 1, rounds, &[]);
        git_ok(dir, &["commit-graph", "write", "--reachable", "--split=no-merge"]);
        compare_random(dir, &commits, &PATHS, seed ^ 2, rounds, &[]);
        remove_graphs(dir);
        compare_random(dir, &commits, &PATHS, seed ^ 3, rounds, &[]);
        git_ok(dir, &["-c", "commitGraph.generationVersion=1", "commit-graph", "write", "--reachable"]);
        compare_random(dir, &commits, &PATHS, seed ^ 4, rounds, &[]);
        remove_graphs(dir);
        git_ok(dir, &["commit-graph", "write", "--reachable"]);
        compare_random(dir, &commits, &PATHS, seed ^ 5, rounds, &[]);
    }

    #[test]
    fn log_matches_git_equal_dates() {
        check_history(11, 60, Dates::Equal, 60);
        check_history(12, 25, Dates::Equal, 40);
    }

    #[test]
    fn log_matches_git_tied_dates() {
        check_history(21, 80, Dates::Ties, 60);
    }

    #[test]
    fn log_matches_git_skewed_dates() {
        check_history(31, 60, Dates::Skewed, 60);
    }

    /// A shallow clone (no graph; boundary commits have no parents) and a clone
    /// whose only commit-graph is in its alternate (git uses it).
    #[test]
    fn log_shallow_and_alternates() {
        let tmp = TempDir::new("log-shallow");
        let src = tmp.0.join("src");
        std::fs::create_dir_all(&src).expect("mkdir");
        git_ok(&src, &["init", "-q", "-b", "main", "."]);
        let p = plan(71, 60, Dates::Ties);
        import(&src, &p, 0..60);
        git_ok(&src, &["commit-graph", "write", "--reachable"]);
        let url = format!("file://{}", src.display());
        git_ok(&tmp.0, &["clone", "-q", "--bare", "--depth", "4", "--single-branch", "--branch", "c59", &url, "shallow"]);
        git_ok(&tmp.0, &["clone", "-q", "--bare", "--shared", &src.to_string_lossy(), "alt"]);
        for (name, expect_graph) in [("shallow", false), ("alt", true)] {
            let dir = tmp.0.join(name);
            if name == "shallow" {
                assert!(dir.join("shallow").exists());
                git_ok(&dir, &["commit-graph", "write", "--reachable"]);
            } else {
                assert!(!dir.join("objects/info/commit-graph").exists());
            }
            let repo = Repository::open(&dir, &Default::default()).expect("open");
            let head = repo.rev_parse("refs/heads/c59").expect("tip");
            assert_eq!(Walk::new(&repo, Options { from: vec![head], ..Default::default() }).expect("walk").uses_commit_graph(), expect_graph);
            let mut commits = parse_lines(&git_ok(&dir, &["rev-list", "--all"]));
            commits.reverse();
            compare_random(&dir, &commits, &PATHS, 72, 40, &[]);
        }
    }

    /// Long walks without a graph read commits ahead in pack order (from the
    /// `.rev`, or the index sorted when there is none), and nothing changes:
    /// every order and shape as git, with a pack git wrote (commits newest
    /// first), then with a second pack in fast-import's order (oldest first,
    /// the helper reading the wrong way) on top.
    #[test]
    fn log_reads_ahead_as_git() {
        let tmp = TempDir::repo("log-readahead");
        let dir = &tmp.0;
        let n = 1500;
        let p = plan(81, n, Dates::Skewed);
        import(dir, &p, 0..1200);
        git_ok(dir, &["-c", "pack.writeReverseIndex=true", "repack", "-adq"]);
        let packs = || std::fs::read_dir(dir.join(".git/objects/pack")).expect("pack dir").flatten().map(|e| e.path()).collect::<Vec<_>>();
        let revs: Vec<_> = packs().into_iter().filter(|p| p.extension().is_some_and(|x| x == "rev")).collect();
        assert_eq!(revs.len(), 1, "git wrote a .rev");
        let repo_dir = dir.join(".git");
        let walk_all = |label: &str, expect_ahead: bool| {
            let repo = Repository::open(&repo_dir, &Default::default()).expect("open");
            let tips = parse_lines(&git_ok(dir, &["for-each-ref", "--format=%(objectname)", "refs/heads/"]));
            let newest = *oids_of_marks(dir).last().expect("commits");
            let mut ahead = 0;
            for (from, hide) in [(vec![newest], vec![]), (tips.clone(), vec![]), (vec![newest], vec![tips[tips.len() / 2]])] {
                for order in [Order::None, Order::Topo, Order::Date] {
                    for first_parent in [false, true] {
                        let o = Options { from: from.clone(), hide: hide.clone(), order, first_parent, ..Default::default() };
                        assert_eq!(ours(&repo, &o), git_rev_list(dir, &o, &[]), "{label}: {o:?}");
                        let mut w = Walk::new(&repo, o).expect("walk");
                        w.by_ref().for_each(drop);
                        ahead += w.stats().commits_read_ahead;
                    }
                }
            }
            assert_eq!(ahead > 0, expect_ahead, "{label}: {ahead} commits read ahead");
        };
        walk_all("with .rev", true);
        for r in &revs {
            std::fs::remove_file(r).expect("remove .rev");
        }
        walk_all("index sorted", true);
        import(dir, &p, 1200..n);
        assert_eq!(packs().iter().filter(|p| p.extension().is_some_and(|x| x == "pack")).count(), 2);
        walk_all("two packs", true);
    }

    /// With a commit-graph (a split chain, so its ids come in sorted runs),
    /// the walk finds where every commit of the graph is in the pack, each at
    /// the offset a look-up gives; commits outside the pack are not located;
    /// without a graph there is nothing to locate.
    #[test]
    fn walk_locates_the_graph_commits_in_the_pack() {
        let tmp = TempDir::repo("log-locate");
        let dir = &tmp.0;
        let p = plan(91, 400, Dates::Skewed);
        import(dir, &p, 0..300);
        git_ok(dir, &["repack", "-adq"]);
        git_ok(dir, &["commit-graph", "write", "--reachable", "--split"]);
        import(dir, &p, 300..400);
        git_ok(dir, &["commit-graph", "write", "--reachable", "--split=no-merge"]);
        let repo = Repository::open(&dir.join(".git"), &Default::default()).expect("open");
        let commits = oids_of_marks(dir);
        let head = *commits.last().expect("commits");
        let w = Walk::new(&repo, Options { from: vec![head], ..Default::default() }).expect("walk");
        assert!(w.uses_commit_graph());
        let located = w.locate_commits(&commits[0]).expect("the first commit is packed");
        let mut inside = 0;
        for c in &commits {
            let want = located.pack.index.lookup(c).map(|i| located.pack.index.offset_at(i).expect("offset"));
            assert_eq!(located.at.get(c).copied(), want, "{c}");
            inside += want.is_some() as usize;
        }
        assert_eq!(inside, 300, "the first 300 commits are in the repacked pack");
        let w = Walk::new_with(&repo, Options { from: vec![head], ..Default::default() }, false).expect("walk");
        assert!(w.locate_commits(&commits[0]).is_none());
        assert!(!w.worth_locating(100_000), "nothing to locate without a graph");
    }

    /// Locating every commit of a graph is done once the walk has covered an
    /// eighth of it (at least 256 commits), and not for a walk whose limit
    /// ends it before half.
    #[test]
    fn locating_pays_off_only_for_long_walks() {
        assert!(!worth_locating(400, 255, None));
        assert!(worth_locating(400, 256, None));
        assert!(!worth_locating(1_000_000, 124_999, None));
        assert!(worth_locating(1_000_000, 125_000, None));
        assert!(!worth_locating(1_000_000, 200_000, Some(299_999)), "a limit ends it before half");
        assert!(worth_locating(1_000_000, 200_000, Some(300_000)));
    }

    /// Many more random histories: `FERROGIT_LOG_FUZZ=<seeds> cargo test --release
    /// --lib log_fuzz -- --ignored`.
    #[test]
    #[ignore]
    fn log_fuzz() {
        let seeds: u64 = std::env::var("FERROGIT_LOG_FUZZ").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
        for seed in 100..100 + seeds {
            let dates = [Dates::Equal, Dates::Ties, Dates::Skewed][seed as usize % 3];
            let n = 20 + (seed as usize * 37) % 90;
            eprintln!("seed {seed} {dates:?} n={n}");
            check_history(seed, n, dates, 40);
        }
    }

    /// Explicit shapes: a criss-cross merge and an octopus, every combination.
    #[test]
    fn log_criss_cross_and_octopus_every_combination() {
        // 0 root; 1,2 on two sides; 3 = merge(1,2), 4 = merge(2,1): criss-cross;
        // 5 on 3, 6 on 4; 7 = octopus(5, 6, 2); 8 = merge(7, 0).
        type Shape<'a> = (&'a [usize], &'a [(&'a str, &'a str)]);
        let spec: [Shape; 9] = [
            (&[], &[("a/x", "0"), ("c", "0")]),
            (&[0], &[("a/x", "1")]),
            (&[0], &[("c", "2")]),
            (&[1, 2], &[]),
            (&[2, 1], &[("b/w", "4")]),
            (&[3], &[("a/x", "5")]),
            (&[4], &[]),
            (&[5, 6, 2], &[("c", "7")]),
            (&[7, 0], &[]),
        ];
        for equal in [true, false] {
            let tmp = TempDir::repo("log-shapes");
            let dir = &tmp.0;
            let p: Vec<PlanCommit> = spec
                .iter()
                .enumerate()
                .map(|(i, (ps, ch))| PlanCommit {
                    parents: ps.to_vec(),
                    date: if equal { 1_600_000_000 } else { 1_600_000_000 + (i as u64 * 7) % 5 },
                    changes: ch.iter().map(|(f, t)| (*f, Some(format!("{t}{equal}\n")))).collect(),
                })
                .collect();
            import(dir, &p, 0..p.len());
            let c = oids_of_marks(dir);
            for graph in [false, true] {
                remove_graphs(dir);
                if graph {
                    git_ok(dir, &["commit-graph", "write", "--reachable"]);
                }
                let repo = Repository::open(dir, &Default::default()).expect("open");
                // Without a graph the walk reads every commit it shows, and hands each over.
                let mut w = Walk::new(&repo, Options { from: vec![c[8]], keep_objects: true, ..Default::default() }).expect("walk");
                let shown = w.next_batch_kept(100, &AtomicBool::new(false)).expect("walk");
                assert_eq!(shown.len(), 9);
                assert_eq!(shown.iter().all(|(_, raw)| raw.is_some()), !graph);
                let paths: [&[&str]; 4] = [&[], &["a"], &["c"], &["b", "a/x"]];
                for order in [Order::None, Order::Topo, Order::Date] {
                    for first_parent in [false, true] {
                        for from in [vec![c[8]], vec![c[6], c[5]], vec![c[3], c[4]]] {
                            for hide in [vec![], vec![c[4]], vec![c[1], c[6]]] {
                                for ps in paths {
                                    let o = Options {
                                        from: from.clone(),
                                        hide: hide.clone(),
                                        first_parent,
                                        limit: None,
                                        order,
                                        paths: ps.iter().map(|s| s.to_string()).collect(),
                                        keep_objects: false,
                                    };
                                    assert_eq!(ours(&repo, &o), git_rev_list(dir, &o, &[]), "{}", git_args(&o).join(" "));
                                }
                            }
                        }
                    }
                }
                for a in 0..c.len() {
                    for b in 0..c.len() {
                        let all = git_output(dir, &["merge-base", "--all", &c[a].to_hex(), &c[b].to_hex()], None);
                        let want = parse_lines(&String::from_utf8_lossy(&all.stdout));
                        assert_eq!(merge_bases(&repo, &c[a], &c[b]).expect("mb"), want, "merge-base c{a} c{b}");
                    }
                }
                // The criss-cross has two merge bases; git names one first.
                assert_eq!(merge_bases(&repo, &c[5], &c[6]).expect("mb").len(), 2);
            }
        }
    }

    /// The graph is read (no commit object parsed) and gives the same answers.
    #[test]
    fn log_uses_commit_graph_and_survives_corrupt_ones() {
        let tmp = TempDir::repo("log-graph");
        let dir = &tmp.0;
        let p = plan(41, 50, Dates::Ties);
        import(dir, &p, 0..50);
        let commits = oids_of_marks(dir);
        let tip = commits[49];
        let o = Options { from: vec![tip], ..Default::default() };
        let want = git_rev_list(dir, &o, &["core.commitGraph=false"]);
        let repo = Repository::open(dir, &Default::default()).expect("open");
        let mut w = Walk::new(&repo, o.clone()).expect("walk");
        assert!(!w.uses_commit_graph());
        assert_eq!(w.by_ref().collect::<Result<Vec<_>>>().expect("walk"), want);
        assert_eq!(w.stats().commits_from_graph, 0);
        assert!(w.stats().commits_parsed > 0);

        git_ok(dir, &["commit-graph", "write", "--reachable"]);
        let mut w = Walk::new(&repo, o.clone()).expect("walk");
        assert!(w.uses_commit_graph());
        assert_eq!(w.by_ref().collect::<Result<Vec<_>>>().expect("walk"), want);
        assert_eq!(w.stats().commits_parsed, 0, "{:?}", w.stats());
        assert!(w.stats().commits_from_graph >= want.len() as u64);
        // core.commitGraph=false turns it off, as in git.
        git_ok(dir, &["config", "core.commitGraph", "false"]);
        let repo2 = Repository::open(dir, &Default::default()).expect("open");
        assert!(!Walk::new(&repo2, o.clone()).expect("walk").uses_commit_graph());
        git_ok(dir, &["config", "--unset", "core.commitGraph"]);

        // Corrupt graphs: not used (or used only where sane), same answers, no panic.
        let good = std::fs::read(graph_file(dir)).expect("graph");
        let chunks = good[6] as usize;
        let mut bad_files: Vec<Vec<u8>> = vec![
            good[..good.len() / 2].to_vec(),
            good[..40].to_vec(),
            good[..7].to_vec(),
            Vec::new(),
        ];
        for c in 0..=chunks {
            for v in [0u64, 1, good.len() as u64 - 21, good.len() as u64 + 5, u64::MAX] {
                let mut b = good.clone();
                let at = 8 + c * 12 + 4;
                b[at..at + 8].copy_from_slice(&v.to_be_bytes());
                bad_files.push(b);
            }
        }
        // Parent positions out of range in every commit entry.
        let mut b = good.clone();
        let cdat = (0..chunks).map(|c| 8 + c * 12).find(|&at| &good[at..at + 4] == b"CDAT").expect("CDAT");
        let cdat_off = u64::from_be_bytes(good[cdat + 4..cdat + 12].try_into().expect("8")) as usize;
        for k in 0..50 {
            let at = cdat_off + k * 36 + 20;
            b[at..at + 4].copy_from_slice(&0x6fff_fff0u32.to_be_bytes());
        }
        bad_files.push(b);
        let mut orders = vec![];
        for order in [Order::None, Order::Topo, Order::Date] {
            let o = Options { from: vec![tip, commits[30]], hide: vec![commits[10]], order, ..Default::default() };
            orders.push((git_rev_list(dir, &o, &["core.commitGraph=false"]), o));
        }
        let mb_want = merge_bases(&repo, &commits[49], &commits[20]).expect("mb");
        for bad in &bad_files {
            std::fs::remove_file(graph_file(dir)).expect("rm");
            std::fs::write(graph_file(dir), bad).expect("write");
            for (want, o) in &orders {
                assert_eq!(&repo.log(o.clone(), &AtomicBool::new(false)).expect("walk"), want);
            }
            assert_eq!(merge_bases(&repo, &commits[49], &commits[20]).expect("mb"), mb_want);
        }
    }

    #[test]
    fn log_abort_and_send() {
        fn assert_send<T: Send>() {}
        assert_send::<Walk<Arc<Repository>>>();
        assert_send::<Walk<&Repository>>();
        let tmp = TempDir::repo("log-abort");
        let dir = &tmp.0;
        let p = plan(51, 30, Dates::Ties);
        import(dir, &p, 0..30);
        let commits = oids_of_marks(dir);
        let repo = Arc::new(Repository::open(dir, &Default::default()).expect("open"));
        for order in [Order::None, Order::Topo] {
            let mut w = Walk::new(repo.clone(), Options { from: vec![commits[29]], order, ..Default::default() }).expect("walk");
            let abort = AtomicBool::new(false);
            assert_eq!(w.next_batch(3, &abort).expect("batch").len(), 3);
            abort.store(true, Ordering::Relaxed);
            assert_eq!(w.next_batch(3, &abort).unwrap_err().code(), "ERR_ABORTED");
        }
        // A start that is not a commit, or is missing.
        let tree = ObjectId::parse(&git_ok(dir, &["rev-parse", &format!("{}^{{tree}}", commits[29])])).expect("tree");
        assert_eq!(Walk::new(&*repo, Options { from: vec![tree], ..Default::default() }).err().map(|e| e.code()), Some("ERR_OBJECT_TYPE"));
        let missing = ObjectId([7; 20]);
        assert_eq!(Walk::new(&*repo, Options { from: vec![missing], ..Default::default() }).err().map(|e| e.code()), Some("ERR_OBJECT_NOT_FOUND"));
        assert_eq!(repo.merge_base(&commits[29], &missing).unwrap_err().code(), "ERR_OBJECT_NOT_FOUND");
        // Threads: a walk moves to another thread between batches.
        let mut w = Walk::new(repo.clone(), Options { from: vec![commits[29]], ..Default::default() }).expect("walk");
        let first = w.next_batch(2, &AtomicBool::new(false)).expect("batch");
        let rest = std::thread::spawn(move || w.next_batch(usize::MAX, &AtomicBool::new(false)).expect("batch")).join().expect("thread");
        let all = git_rev_list(dir, &Options { from: vec![commits[29]], ..Default::default() }, &[]);
        assert_eq!([first, rest].concat(), all);
    }

    fn make_repo_tool() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/make-repo")
    }

    /// The `small` fixture: with its commit-graph, without, and with a split chain.
    #[test]
    fn log_matches_git_on_small_fixture() {
        let tmp = TempDir::new("log-small");
        let dir = tmp.0.join("small");
        let out = crate::core::testutil::command(&make_repo_tool().to_string_lossy(), &tmp.0)
            .arg("small")
            .arg(&dir)
            .output()
            .expect("make-repo runs");
        assert!(out.status.success(), "make-repo: {}", String::from_utf8_lossy(&out.stderr));
        let all = parse_lines(&git_ok(&dir, &["rev-list", "--all", "--date-order"]));
        let names: Vec<String> = git_ok(&dir, &["ls-tree", "-r", "--name-only", "HEAD"]).lines().map(String::from).collect();
        let mut paths: Vec<String> = vec!["src".into(), "docs/".into(), "README".into(), "lib".into(), "late".into()];
        for (i, n) in names.iter().enumerate() {
            if i % 97 == 0 {
                paths.push(n.clone());
                if let Some((d, _)) = n.rsplit_once('/') {
                    paths.push(d.to_string());
                }
            }
        }
        let path_refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        // Commits newest first; compare_random picks "recent" ones from the end.
        let commits: Vec<ObjectId> = all.iter().rev().copied().collect();
        let objects = dir.join("objects");
        let has_graph = objects.join("info/commit-graph").exists();
        compare_random(&dir, &commits, &path_refs, 61, 40, &[]);
        // Whole-history walks in every order, and the graph made no difference.
        let repo = Repository::open(&dir, &Default::default()).expect("open");
        let head = repo.rev_parse("HEAD").expect("HEAD");
        for order in [Order::None, Order::Topo, Order::Date] {
            let o = Options { from: vec![head], order, ..Default::default() };
            let mut w = Walk::new(&repo, o.clone()).expect("walk");
            let got = w.by_ref().collect::<Result<Vec<_>>>().expect("walk");
            assert_eq!(got, git_rev_list(&dir, &o, &[]));
            assert_eq!(got.len(), all.len());
            if has_graph {
                assert!(w.stats().commits_from_graph > 1000, "{:?}", w.stats());
            }
        }
        let _ = std::fs::remove_file(objects.join("info/commit-graph"));
        compare_random(&dir, &commits, &path_refs, 62, 30, &[]);
        git_ok(&dir, &["commit-graph", "write", "--reachable", "--split"]);
        compare_random(&dir, &commits, &path_refs, 63, 30, &[]);
    }

    /// Time a whole-history walk of the prebuilt medium repository against git:
    /// `cargo test --release --lib log_medium_bench -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn log_medium_bench() {
        let path = std::env::var("FERROGIT_BENCH_REPO").unwrap_or_else(|_| "/tmp/ferrogit-bench/medium".into());
        let dir = Path::new(&path);
        if !dir.exists() {
            return;
        }
        let repo = Repository::open(dir, &Default::default()).expect("open");
        let head = repo.rev_parse("HEAD").expect("HEAD");
        let time_git = |args: &[&str]| {
            let t = std::time::Instant::now();
            let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().expect("git");
            (t.elapsed(), out.stdout.iter().filter(|&&c| c == b'\n').count())
        };
        for round in 0..3 {
            for (label, graph, order) in [
                ("graph", true, Order::None),
                ("graph topo", true, Order::Topo),
                ("no graph", false, Order::None),
            ] {
                let t = std::time::Instant::now();
                let o = Options { from: vec![head], order, ..Default::default() };
                let mut w = Walk::new_with(&repo, o, graph).expect("walk");
                let n = w.next_batch(usize::MAX, &AtomicBool::new(false)).expect("walk").len();
                eprintln!("round {round} ours {label}: {n} commits in {:?} ({:?})", t.elapsed(), w.stats());
            }
            let (t, n) = time_git(&["rev-list", "HEAD"]);
            eprintln!("round {round} git rev-list HEAD: {n} in {t:?}");
            let (t, n) = time_git(&["rev-list", "--topo-order", "HEAD"]);
            eprintln!("round {round} git rev-list --topo-order HEAD: {n} in {t:?}");
            let (t, n) = time_git(&["-c", "core.commitGraph=false", "rev-list", "HEAD"]);
            eprintln!("round {round} git rev-list HEAD (no graph): {n} in {t:?}");
            let (t, n) = time_git(&["log", "--format=%H %ct"]);
            eprintln!("round {round} git log --format: {n} in {t:?}");
        }
        let base = repo.rev_parse("HEAD~20000").expect("old commit");
        let t = std::time::Instant::now();
        let mb = repo.merge_base(&head, &base).expect("merge-base");
        eprintln!("ours merge-base HEAD HEAD~20000: {mb:?} in {:?}", t.elapsed());
        let (t, _) = time_git(&["merge-base", "HEAD", "HEAD~20000"]);
        eprintln!("git merge-base HEAD HEAD~20000 in {t:?}");
        let paths = ["src"];
        let t = std::time::Instant::now();
        let o = Options { from: vec![head], paths: paths.iter().map(|s| s.to_string()).collect(), ..Default::default() };
        let n = repo.log(o, &AtomicBool::new(false)).expect("walk").len();
        eprintln!("ours -- src: {n} in {:?}", t.elapsed());
        let (t, n) = time_git(&["rev-list", "HEAD", "--", "src"]);
        eprintln!("git rev-list HEAD -- src: {n} in {t:?}");
    }
}
