//! Reading commits ahead in pack order, for history walks without a
//! commit-graph. git writes a pack's commits first, newest first, so a walk
//! from a tip meets them nearly in pack order. A helper thread reads the
//! pack's entries in that order (from the `.rev`, or the index sorted by
//! offset) and inflates the commits ahead of the walk, by id: the walk stays
//! sequential, but its largest costs, finding an object in the index and
//! inflating it, move to another core.
//!
//! Bounded: the helper stays at most [`WINDOW`] commits ahead of the walk's
//! last hit, and what the walk leaves that far behind is dropped. When the
//! walk reads a commit the helper has not reached, the helper jumps ahead of it;
//! after [`MAX_SKIP`] entries in a row that are not commits (the trees and
//! blobs after the commits), it waits for such a jump.
//!
//! Nothing here can change what a read returns: an entry's id and offset come
//! from the same index position, as in any read, and the order only decides
//! which commits are read early.

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use super::Pack;
use crate::core::oid::{ObjectId, OidMap};

/// How many commits the helper reads beyond the walk's last hit.
const WINDOW: u64 = 1024;

/// Bytes of commits read ahead at most (commits can be up to 1 MiB each).
const BUDGET: usize = 32 << 20;

/// Entries in a row that are not whole commits before the helper stops to wait.
const MAX_SKIP: u32 = 256;

/// Entries the helper skips when the walk catches up with it.
const GAP: usize = 64;

/// A helper reading one pack's commits ahead of a walk; stops when dropped.
pub struct Readahead {
    shared: Arc<Shared>,
    pack_id: u32,
}

struct Shared {
    pack: Arc<Pack>,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// Commits read ahead: id → (reading order, content).
    ready: OidMap<(u64, Vec<u8>)>,
    /// (reading order, id) of what was read, oldest first, to drop what the walk passed by.
    order: VecDeque<(u64, ObjectId)>,
    /// Offset of the entry the helper reads next, or is reading.
    at: u64,
    /// It waits for the walk (to catch up, or to jump).
    waiting: bool,
    /// It ran out of commits to read, and waits for a jump.
    idle: bool,
    /// The walk read the entry at this offset itself: go on after it.
    jump: Option<u64>,
    /// Bytes in `ready`, and the most it may hold.
    bytes: usize,
    budget: usize,
    /// Commits read so far, and one past the reading order of the walk's last hit.
    produced: u64,
    consumed: u64,
    stop: bool,
}

impl State {
    /// Drop what the walk has left [`WINDOW`] commits behind its last hit.
    fn drop_passed(&mut self) {
        while let Some(&(s, o)) = self.order.front() {
            if s + WINDOW >= self.consumed {
                break;
            }
            self.order.pop_front();
            if self.ready.get(&o).is_some_and(|(s2, _)| *s2 == s) {
                if let Some((_, d)) = self.ready.remove(&o) {
                    self.bytes -= d.len();
                }
            }
        }
    }
}

/// Whether a helper thread may run beside the walk at all (`FERROGIT_THREADS`
/// or the cores: see [`crate::core::threads`]).
fn worthwhile() -> bool {
    crate::core::threads::available() >= 2
}

impl Readahead {
    /// Start reading `pack`'s commits after the entry at `offset` (which the
    /// walk reads itself) on a new thread; None with one thread allowed, or if the thread
    /// cannot be made (the walk then reads alone).
    pub fn start(pack: Arc<Pack>, offset: u64) -> Option<Readahead> {
        Readahead::start_within(pack, offset, BUDGET)
    }

    /// [`Readahead::start`], holding at most `budget` bytes of commits read ahead.
    fn start_within(pack: Arc<Pack>, offset: u64, budget: usize) -> Option<Readahead> {
        if !worthwhile() {
            return None;
        }
        let pack_id = pack.id;
        let state = State { at: offset, jump: Some(offset), budget, ..Default::default() };
        let shared = Arc::new(Shared { pack, state: Mutex::new(state), changed: Condvar::new() });
        let theirs = shared.clone();
        std::thread::Builder::new().name("ferrogit-readahead".into()).spawn(move || run(&theirs)).ok()?;
        Some(Readahead { shared, pack_id })
    }

    /// The pack it reads.
    pub fn pack_id(&self) -> u32 {
        self.pack_id
    }

    /// The content of commit `oid`, if it was read ahead. Never waits: a
    /// commit the helper is reading right now, the walk reads too.
    pub fn take(&self, oid: &ObjectId) -> Option<Vec<u8>> {
        let mut g = self.shared.state.lock();
        let (seq, data) = g.ready.remove(oid)?;
        g.bytes -= data.len();
        g.consumed = g.consumed.max(seq + 1);
        g.drop_passed();
        if g.waiting && g.produced < g.consumed + WINDOW / 2 && g.bytes <= g.budget / 2 {
            self.shared.changed.notify_one();
        }
        Some(data)
    }

    /// The walk read the entry at `offset` itself: a helper that has not got
    /// there (or waits) goes on [`GAP`] entries after it, which the walk
    /// reads meanwhile, so the two read side by side rather than the same
    /// entries.
    pub fn passed(&self, offset: u64) {
        let mut g = self.shared.state.lock();
        if g.idle || offset >= g.at {
            g.jump = Some(offset);
            if g.waiting {
                self.shared.changed.notify_one();
            }
        }
    }
}

#[cfg(test)]
impl Readahead {
    /// Wait up to ten seconds for the helper to have read `n` commits in all,
    /// or to wait itself (its window full, or nothing to read); how many it read.
    pub(crate) fn wait_for(&self, n: u64) -> u64 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let g = self.shared.state.lock();
            if g.produced >= n || g.waiting || std::time::Instant::now() > deadline {
                return g.produced;
            }
            drop(g);
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
}

impl Drop for Readahead {
    fn drop(&mut self) {
        self.shared.state.lock().stop = true;
        self.shared.changed.notify_all();
    }
}

/// The helper's loop.
fn run(sh: &Shared) {
    /// However the helper ends (a panic included), a walk waiting on it goes on.
    struct Ending<'a>(&'a Shared);
    impl Drop for Ending<'_> {
        fn drop(&mut self) {
            let mut g = self.0.state.lock();
            g.idle = true;
            g.stop = true;
            self.0.changed.notify_all();
        }
    }
    let _ending = Ending(sh);
    let index = &sh.pack.index;
    let Ok(order) = index.pack_order() else { return };
    let offset_of = |rank: usize| index.offset_at(order[rank]).unwrap_or(u64::MAX);
    let mut rank = order.len();
    let mut skipped = 0;
    let mut buf = Vec::new();
    let mut g = sh.state.lock();
    loop {
        if g.stop {
            return;
        }
        if let Some(off) = g.jump.take() {
            // Offsets grow with the rank: the first entry after `off`.
            rank = order.partition_point(|&i| index.offset_at(i).unwrap_or(u64::MAX) <= off) + if g.idle { 0 } else { GAP };
            if !g.idle {
                // The walk got ahead of the helper: what it read before is behind the walk.
                g.ready.clear();
                g.order.clear();
                g.bytes = 0;
            }
            g.idle = false;
            g.consumed = g.produced;
            skipped = 0;
        }
        if rank >= order.len() || skipped >= MAX_SKIP {
            g.idle = true;
        }
        if g.idle || g.produced >= g.consumed + WINDOW || g.bytes >= g.budget {
            g.waiting = true;
            sh.changed.wait(&mut g);
            g.waiting = false;
            continue;
        }
        let (oid, offset) = (index.oid_at(order[rank]), offset_of(rank));
        g.at = offset;
        drop(g);
        let got = sh.pack.read_commit_at(offset, &mut buf);
        g = sh.state.lock();
        if got {
            let seq = g.produced;
            g.produced += 1;
            g.bytes += buf.len();
            g.ready.insert(oid, (seq, std::mem::take(&mut buf)));
            g.order.push_back((seq, oid));
            skipped = 0;
        } else {
            skipped += 1;
        }
        rank += 1;
        g.at = if rank < order.len() { offset_of(rank) } else { u64::MAX };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::odb::pack::cache::Cache;
    use crate::core::testutil::{git_ok, TempDir};

    /// A repository of `n` commits (a file changed in each) in one pack git wrote.
    fn packed_history(tmp: &TempDir, n: usize) -> (std::path::PathBuf, Vec<ObjectId>) {
        let dir = tmp.0.join("r");
        std::fs::create_dir_all(&dir).expect("mkdir");
        git_ok(&dir, &["init", "-q", "-b", "main", "."]);
        let mut script = String::new();
        for i in 0..n {
            let body = format!("{i}\n");
            script.push_str(&format!(
                "commit refs/heads/main\ncommitter C <c@example.com> {} +0000\ndata 3\nc{}\nM 100644 inline f\ndata {}\n{body}\n",
                1_500_000_000 + i,
                i % 10,
                body.len()
            ));
        }
        crate::core::testutil::git_bytes(&dir, &["fast-import", "--quiet"], Some(script.as_bytes()));
        git_ok(&dir, &["-c", "pack.writeReverseIndex=true", "repack", "-adq"]);
        let newest_first = git_ok(&dir, &["rev-list", "main"]).lines().map(|l| ObjectId::parse(l).expect("oid")).collect();
        (dir.join(".git/objects/pack"), newest_first)
    }

    fn open_pack(pack_dir: &std::path::Path) -> Arc<Pack> {
        let idx = std::fs::read_dir(pack_dir).expect("pack dir").flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "idx")).expect("an index");
        Arc::new(Pack::open(&idx, 0, Arc::new(Cache::new(1 << 20))).expect("pack"))
    }

    fn content(pack: &Pack, oid: &ObjectId) -> Vec<u8> {
        let mut v = Vec::new();
        assert!(pack.read_commit_at(pack.index.offset_at(pack.index.lookup(oid).expect("in the pack")).expect("offset"), &mut v));
        v
    }

    /// However large the commits, the helper holds at most its byte budget of
    /// them (one commit over, the one that crossed it), and goes on as the walk takes them.
    #[test]
    fn holds_at_most_its_budget() {
        let tmp = TempDir::new("readahead-budget");
        let (pack_dir, commits) = packed_history(&tmp, 600);
        let pack = open_pack(&pack_dir);
        let offset = |oid: &ObjectId| pack.index.offset_at(pack.index.lookup(oid).expect("packed")).expect("offset");
        let size = content(&pack, &commits[1]).len();
        let ra = Readahead::start_within(pack.clone(), offset(&commits[0]), 20 * size).expect("a helper on this machine");
        let held = ra.wait_for(WINDOW);
        assert!((20..=22).contains(&held), "{held} commits of about {size} bytes held for a budget of 20");
        assert!(ra.shared.state.lock().bytes <= 22 * size);
        for c in &commits[1 + GAP..1 + GAP + 15] {
            assert_eq!(ra.take(c).as_deref(), Some(&content(&pack, c)[..]), "commit {c}");
        }
        // Taken down to half its budget, it reads on.
        assert!(ra.wait_for(held + 10) >= held + 10);
    }

    /// The helper reads the commits after the start in pack order (newest
    /// first, as git writes them), each with its exact content, stays within
    /// its window, and after a jump goes on ahead of where the walk read.
    #[test]
    fn reads_commits_ahead_in_pack_order() {
        let tmp = TempDir::new("readahead");
        let (pack_dir, commits) = packed_history(&tmp, 3000);
        for with_rev in [true, false] {
            if !with_rev {
                for e in std::fs::read_dir(&pack_dir).expect("pack dir").flatten() {
                    if e.path().extension().is_some_and(|x| x == "rev") {
                        std::fs::remove_file(e.path()).expect("remove .rev");
                    }
                }
            }
            let pack = open_pack(&pack_dir);
            let offset = |oid: &ObjectId| pack.index.offset_at(pack.index.lookup(oid).expect("packed")).expect("offset");
            let ra = Readahead::start(pack.clone(), offset(&commits[0])).expect("a helper on this machine");
            // It starts GAP commits on (the walk reads those itself), and stops at its window.
            assert_eq!(ra.wait_for(WINDOW + 1), WINDOW, "with .rev: {with_rev}");
            assert_eq!(ra.take(&commits[1]), None, "inside the gap");
            for c in &commits[1 + GAP..1 + GAP + 100] {
                assert_eq!(ra.take(c).as_deref(), Some(&content(&pack, c)[..]), "commit {c}");
            }
            // The walk read far ahead of the helper itself: it jumps GAP on.
            let k = 2000;
            ra.passed(offset(&commits[k]));
            let before = ra.wait_for(0);
            ra.wait_for(before + 10);
            for c in &commits[k + 1..=k + GAP] {
                assert_eq!(ra.take(c), None, "commit {c} in the gap");
            }
            let c = &commits[k + GAP + 1];
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            let got = loop {
                if let Some(v) = ra.take(c) {
                    break v;
                }
                assert!(std::time::Instant::now() < deadline, "commit after the gap never read");
                std::thread::sleep(std::time::Duration::from_millis(1));
            };
            assert_eq!(got, content(&pack, c));
        }
    }
}
