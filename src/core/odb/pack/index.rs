//! `.idx` version 2: magic `\377tOc`, version 2, a 256-entry fan-out, sorted
//! ids, CRC32s, 31-bit offsets (MSB set: index into the 64-bit table), 64-bit
//! offsets, the pack's checksum and the index's checksum. The file is mapped and
//! searched in place; its shape is checked once when opened.

use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::core::error::{Error, Result};
use crate::core::oid::{ObjectId, Prefix};

/// An opened, validated pack index.
pub struct Index {
    pub path: PathBuf,
    map: Mmap,
    /// Number of objects (the last fan-out entry).
    pub count: u32,
    /// Number of 64-bit offset entries present.
    large: u32,
}

const HEADER: usize = 8;
const FANOUT: usize = 256 * 4;

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Index {
    /// Open and validate `path`.
    pub fn open(path: &Path) -> Result<Index> {
        let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: the mapping is read-only; git never rewrites an .idx in place (new
        // packs get new names), so the bytes do not change under us.
        let map = unsafe { Mmap::map(&f) }.map_err(|e| Error::io(path, e))?;
        let b = &map[..];
        if b.len() < HEADER + FANOUT + 40 || b[..4] != [0xff, b't', b'O', b'c'] {
            return Err(Error::pack(path, "not a version 2 pack index (bad magic)"));
        }
        if be32(b, 4) != 2 {
            return Err(Error::pack(path, format!("unsupported pack index version {}", be32(b, 4))));
        }
        let mut prev = 0;
        for i in 0..256 {
            let v = be32(b, HEADER + i * 4);
            if v < prev {
                return Err(Error::pack(path, format!("pack index fan-out is not monotonic at entry {i}")));
            }
            prev = v;
        }
        let count = prev;
        let fixed = (HEADER + FANOUT) as u64 + count as u64 * 28 + 40;
        let len = b.len() as u64;
        if len < fixed || (len - fixed) % 8 != 0 || (len - fixed) / 8 > count as u64 {
            return Err(Error::pack(path, "pack index size does not match its object count"));
        }
        let large = ((len - fixed) / 8) as u32;
        Ok(Index { path: path.to_path_buf(), map, count, large })
    }

    fn ids_at(&self) -> usize {
        HEADER + FANOUT
    }

    /// The id at sorted position `i`.
    pub fn oid_at(&self, i: u32) -> ObjectId {
        let at = self.ids_at() + i as usize * 20;
        ObjectId::from_bytes(&self.map[at..at + 20]).expect("20 bytes because the size was validated on open")
    }

    /// The pack checksum the index was written for.
    pub fn pack_checksum(&self) -> &[u8] {
        let l = self.map.len();
        &self.map[l - 40..l - 20]
    }

    /// Pack offset of the object at sorted position `i`.
    pub fn offset_at(&self, i: u32) -> Result<u64> {
        let base = self.ids_at() + self.count as usize * 24;
        let v = be32(&self.map, base + i as usize * 4);
        if v & 0x8000_0000 == 0 {
            return Ok(v as u64);
        }
        let j = v & 0x7fff_ffff;
        if j >= self.large {
            return Err(Error::pack(&self.path, format!("64-bit offset index {j} out of range")));
        }
        let at = base + self.count as usize * 4 + j as usize * 8;
        Ok(u64::from_be_bytes(self.map[at..at + 8].try_into().expect("8 bytes")))
    }

    fn range(&self, first: u8) -> (u32, u32) {
        let lo = if first == 0 { 0 } else { be32(&self.map, HEADER + (first as usize - 1) * 4) };
        let hi = be32(&self.map, HEADER + first as usize * 4);
        (lo, hi)
    }

    /// Sorted position of `oid`, if present.
    pub fn lookup(&self, oid: &ObjectId) -> Option<u32> {
        let (mut lo, mut hi) = self.range(oid.0[0]);
        let ids = &self.map[self.ids_at()..];
        // Compare the first 8 bytes as a number first: one load instead of a
        // memcmp call per step (the binary search is most of a lookup).
        let key = u64::from_be_bytes(oid.0[..8].try_into().expect("8 bytes"));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let at = mid as usize * 20;
            let head = u64::from_be_bytes(ids[at..at + 8].try_into().expect("8 bytes"));
            let order = match head.cmp(&key) {
                std::cmp::Ordering::Equal => ids[at + 8..at + 20].cmp(&oid.0[8..]),
                o => o,
            };
            match order {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Sorted positions of `oids`, looked up in their order, each search
    /// starting from where the previous one ended (galloping): for ids that
    /// come mostly sorted, each search stays near the last, in memory already
    /// read, instead of a fresh binary search across the index.
    pub fn lookup_in_order(&self, oids: impl Iterator<Item = ObjectId>) -> Vec<Option<u32>> {
        let ids = &self.map[self.ids_at()..];
        let cmp = |i: u32, oid: &ObjectId| {
            let at = i as usize * 20;
            ids[at..at + 20].cmp(&oid.0[..])
        };
        let mut out = Vec::new();
        let mut from = 0u32;
        let mut prev: Option<ObjectId> = None;
        for oid in oids {
            if prev.is_some_and(|p| oid < p) {
                from = 0; // a new sorted run
            }
            prev = Some(oid);
            let (blo, bhi) = self.range(oid.0[0]);
            let mut lo = from.clamp(blo, bhi);
            let mut hi = lo;
            let mut step = 1u32;
            while hi < bhi && cmp(hi, &oid) == std::cmp::Ordering::Less {
                lo = hi + 1;
                hi = hi.saturating_add(step).min(bhi);
                step = step.saturating_mul(2);
            }
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if cmp(mid, &oid) == std::cmp::Ordering::Less {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            out.push((lo < bhi && cmp(lo, &oid) == std::cmp::Ordering::Equal).then_some(lo));
            from = lo;
        }
        out
    }

    /// Ids starting with `prefix`.
    pub fn find_prefix(&self, prefix: &Prefix, out: &mut Vec<ObjectId>, limit: usize) {
        let (mut lo, mut hi) = self.range(prefix.bytes.0[0]);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if prefix.cmp_oid(&self.oid_at(mid)) == std::cmp::Ordering::Less {
                lo = mid + 1
            } else {
                hi = mid
            }
        }
        let mut i = lo;
        while i < self.count && out.len() < limit {
            let id = self.oid_at(i);
            if !prefix.matches(&id) {
                break;
            }
            if !out.contains(&id) {
                out.push(id);
            }
            i += 1;
        }
    }

    /// All offsets, sorted (used to find where each entry ends). git's reverse
    /// index (`pack-*.rev`, written by default since git 2.41) lists the
    /// positions in pack order, which spares sorting every offset when a pack
    /// is first read (a 400,000-object pack: ~15 ms). A `.rev` that is not
    /// exactly right (size, header, checksum, a position out of range, offsets
    /// not increasing) is ignored and the offsets are sorted instead.
    pub fn sorted_offsets(&self) -> Result<Vec<u64>> {
        if let Some((_, offsets)) = self.order_from_rev()? {
            return Ok(offsets);
        }
        let mut v = Vec::with_capacity(self.count as usize);
        for i in 0..self.count {
            v.push(self.offset_at(i)?);
        }
        v.sort_unstable();
        Ok(v)
    }

    /// The index positions of the pack's entries in pack order (by offset):
    /// from the `.rev` when it is valid (as for [`Index::sorted_offsets`]),
    /// else sorted here.
    pub fn pack_order(&self) -> Result<Vec<u32>> {
        if let Some((positions, _)) = self.order_from_rev()? {
            return Ok(positions);
        }
        let mut v = Vec::with_capacity(self.count as usize);
        for i in 0..self.count {
            v.push((self.offset_at(i)?, i));
        }
        v.sort_unstable();
        Ok(v.into_iter().map(|(_, i)| i).collect())
    }

    /// The positions in pack order from the `.rev` and their offsets, if the
    /// `.rev` is well formed and the offsets do increase.
    fn order_from_rev(&self) -> Result<Option<(Vec<u32>, Vec<u64>)>> {
        let Some(positions) = self.positions_from_rev() else { return Ok(None) };
        let mut offsets = Vec::with_capacity(positions.len());
        for &i in &positions {
            let off = self.offset_at(i)?;
            if offsets.last().is_some_and(|&prev| prev >= off) {
                return Ok(None);
            }
            offsets.push(off);
        }
        Ok(Some((positions, offsets)))
    }

    /// The positions in pack order from the `.rev`, if it is there and well
    /// formed: "RIDX", version 1, hash id 1 (SHA-1), a position per object
    /// (each in range), then the pack's checksum and the .rev's own.
    fn positions_from_rev(&self) -> Option<Vec<u32>> {
        let n = self.count as usize;
        let f = std::fs::File::open(self.path.with_extension("rev")).ok()?;
        // SAFETY: read-only mapping; git writes a new .rev with a new pack, never in place.
        let map = unsafe { Mmap::map(&f) }.ok()?;
        let b = &map[..];
        if b.len() != 12 + n * 4 + 40 || &b[..4] != b"RIDX" || be32(b, 4) != 1 || be32(b, 8) != 1 {
            return None;
        }
        if &b[12 + n * 4..12 + n * 4 + 20] != self.pack_checksum() {
            return None;
        }
        let v: Vec<u32> = (0..n).map(|k| be32(b, 12 + k * 4)).collect();
        v.iter().all(|&i| i < self.count).then_some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::testutil::{git_ok, TempDir};

    /// Looking ids up in order gives what one look-up each gives: sorted, in
    /// several sorted runs (a split commit-graph), unsorted, with ids that are
    /// not there (before, between and after the index's), and at the edges of
    /// fan-out buckets.
    #[test]
    fn lookup_in_order_equals_lookup() {
        let t = TempDir::repo("lookup-in-order");
        for i in 0..60 {
            std::fs::write(t.0.join(format!("f{}", i % 7)), format!("{i}\n")).expect("write");
            git_ok(&t.0, &["add", "."]);
            git_ok(&t.0, &["commit", "-q", "-m", &format!("c{i}")]);
        }
        git_ok(&t.0, &["repack", "-adq"]);
        let pack_dir = t.0.join(".git/objects/pack");
        let idx = std::fs::read_dir(&pack_dir).expect("pack dir").flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|e| e == "idx")).expect("an idx");
        let index = Index::open(&idx).expect("idx");
        let mut ids: Vec<ObjectId> = (0..index.count).map(|i| index.oid_at(i)).collect();
        // Ids not in the index: next to each present one, and at both ends.
        for i in (0..ids.len()).step_by(3) {
            let mut o = ids[i];
            o.0[19] ^= 1;
            ids.push(o);
        }
        ids.push(ObjectId([0; 20]));
        ids.push(ObjectId([0xff; 20]));
        let check = |query: &[ObjectId]| {
            let one: Vec<Option<u32>> = query.iter().map(|o| index.lookup(o)).collect();
            assert_eq!(index.lookup_in_order(query.iter().copied()), one);
        };
        ids.sort();
        check(&ids);
        let (a, b) = ids.split_at(ids.len() / 3);
        check(&[b, a].concat());
        let mut shuffled = ids.clone();
        shuffled.reverse();
        check(&shuffled);
        check(&ids.iter().step_by(5).copied().collect::<Vec<_>>());
        check(&[]);
    }

    #[test]
    fn rev_file_gives_the_pack_order_and_a_bad_one_is_ignored() {
        let t = TempDir::repo("ridx");
        let dir = t.0.to_str().expect("utf-8 path");
        for i in 0..30 {
            std::fs::write(t.0.join(format!("f{i}")), format!("{i}\n").repeat(i + 1)).expect("write");
            git_ok(&t.0, &["add", "."]);
            git_ok(&t.0, &["commit", "-q", "-m", &format!("c{i}")]);
        }
        git_ok(&t.0, &["-c", "pack.writeReverseIndex=true", "repack", "-adq"]);
        let pack_dir = t.0.join(".git/objects/pack");
        let idx = std::fs::read_dir(&pack_dir).expect("pack dir").flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|e| e == "idx")).expect("an idx");
        let rev = idx.with_extension("rev");
        assert!(rev.exists(), "git wrote a .rev in {dir}");
        let index = Index::open(&idx).expect("open");
        let (positions, from_rev) = index.order_from_rev().expect("reads").expect("valid .rev is used");
        let mut sorted: Vec<u64> = (0..index.count).map(|i| index.offset_at(i).expect("offset")).collect();
        sorted.sort_unstable();
        assert_eq!(from_rev, sorted);
        assert_eq!(index.pack_order().expect("order"), positions);
        // The pack order, whatever it comes from, is the positions by increasing offset.
        let in_pack_order = |index: &Index| index.pack_order().expect("order").iter().map(|&i| index.offset_at(i).expect("offset")).collect::<Vec<_>>();
        // Two positions swapped: offsets no longer increase, so the .rev is ignored.
        let mut bytes = std::fs::read(&rev).expect("read .rev");
        let (a, b) = (12, 16);
        for k in 0..4 {
            bytes.swap(a + k, b + k);
        }
        std::fs::set_permissions(&rev, std::fs::Permissions::from(std::os::unix::fs::PermissionsExt::from_mode(0o644))).expect("chmod");
        std::fs::write(&rev, &bytes).expect("write .rev");
        assert_eq!(index.order_from_rev().expect("reads"), None);
        assert_eq!(index.sorted_offsets().expect("sorted"), sorted);
        assert_eq!(in_pack_order(&index), sorted);
        // Truncated: ignored too.
        std::fs::write(&rev, &bytes[..bytes.len() - 1]).expect("write .rev");
        assert_eq!(index.order_from_rev().expect("reads"), None);
        assert_eq!(index.sorted_offsets().expect("sorted"), sorted);
        assert_eq!(in_pack_order(&index), sorted);
    }
}
