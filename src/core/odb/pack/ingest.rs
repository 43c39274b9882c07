//! Indexing a received pack, as `git index-pack` does: check the header and
//! the trailing checksum, inflate every entry, resolve OFS and REF deltas
//! (REF bases outside the pack, as in a thin pack, come from the caller),
//! compute every object id and CRC, and write the `.idx` v2 git would write
//! for the same pack, byte for byte.
//!
//! This first version works on a pack held whole in memory and keeps each
//! entry's inflated data until its deltas are resolved; streaming from the
//! wire with bounded memory is built on it next (issue 5).

use std::collections::HashMap;

use sha1::{Digest, Sha1};

use crate::core::object::{self, Kind};
use crate::core::odb::inflate;
use crate::core::odb::pack::delta;
use crate::core::oid::ObjectId;

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

enum Base {
    None(Kind),
    Offset(u64),
    Id(ObjectId),
}

struct Raw {
    offset: u64,
    base: Base,
    /// The object, or the delta for delta entries.
    data: Vec<u8>,
    crc: u32,
}

/// A base outside the pack: its kind and content, if the caller has it.
pub type External<'a> = &'a dyn Fn(&ObjectId) -> Option<(Kind, Vec<u8>)>;

/// Index the pack `pack` (all of it, trailer included).
pub fn index_pack(pack: &[u8], external: External<'_>) -> Result<Indexed, String> {
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
    if Sha1::digest(&pack[..trailer])[..] != checksum[..] {
        return Err("pack checksum does not match its contents".into());
    }
    // Every entry needs at least two bytes (header and a zlib stream), so a
    // count the pack cannot hold is refused before anything is reserved for it.
    if count > trailer / 2 {
        return Err(format!("pack claims {count} objects in {trailer} bytes"));
    }
    let mut raws: Vec<Raw> = Vec::with_capacity(count);
    let mut pos = 12usize;
    for _ in 0..count {
        let offset = pos;
        let at = |p: usize| pack[..trailer].get(p).copied().ok_or_else(|| format!("entry at {offset} runs past the end of the pack"));
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
        let base = match ty {
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
                    return Err(format!("entry at {offset}: OFS_DELTA base outside the pack"));
                }
                Base::Offset(offset as u64 - rel)
            }
            7 => {
                let id = pack[..trailer].get(pos..pos + 20).ok_or_else(|| format!("entry at {offset}: truncated REF_DELTA base"))?;
                pos += 20;
                Base::Id(ObjectId::from_bytes(id).expect("20 bytes"))
            }
            t => Base::None(Kind::from_pack_type(t).ok_or_else(|| format!("entry at {offset}: unknown type {t}"))?),
        };
        let mut data = Vec::new();
        let used = inflate::inflate_counted(&pack[pos..trailer], size, &mut data).map_err(|r| format!("entry at {offset}: {r}"))?;
        pos += used;
        let crc = libdeflater::crc32(&pack[offset..pos]);
        raws.push(Raw { offset: offset as u64, base, data, crc });
    }
    if pos != trailer {
        return Err(format!("{} bytes after the last entry", trailer - pos));
    }
    resolve(raws, checksum, external)
}

fn resolve(mut raws: Vec<Raw>, checksum: [u8; 20], external: External<'_>) -> Result<Indexed, String> {
    let n = raws.len();
    let by_offset: HashMap<u64, usize> = raws.iter().enumerate().map(|(i, r)| (r.offset, i)).collect();
    let mut children_at: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut children_of: HashMap<ObjectId, Vec<usize>> = HashMap::new();
    let mut stack: Vec<(usize, Kind, Vec<u8>)> = Vec::new();
    for (i, r) in raws.iter_mut().enumerate() {
        match r.base {
            Base::None(kind) => stack.push((i, kind, std::mem::take(&mut r.data))),
            Base::Offset(o) => {
                let b = *by_offset.get(&o).ok_or_else(|| format!("entry at {}: OFS_DELTA base {o} is not an entry", r.offset))?;
                children_at.entry(b).or_default().push(i);
            }
            Base::Id(id) => children_of.entry(id).or_default().push(i),
        }
    }
    let mut oids: Vec<Option<ObjectId>> = vec![None; n];
    let mut external_bases = Vec::new();
    loop {
        // Depth first from each resolved object: an object's content lives
        // only until its own deltas are resolved.
        while let Some((i, kind, content)) = stack.pop() {
            let oid = object::hash(kind, &content);
            oids[i] = Some(oid);
            let kids: Vec<usize> = children_at.remove(&i).into_iter().flatten().chain(children_of.remove(&oid).into_iter().flatten()).collect();
            for k in kids {
                let mut out = Vec::new();
                delta::apply(&content, &raws[k].data, &mut out).map_err(|r| format!("delta at {}: {r}", raws[k].offset))?;
                raws[k].data = Vec::new();
                stack.push((k, kind, out));
            }
        }
        // What is left waits on bases outside the pack (a thin pack).
        let Some(id) = children_of.keys().next().copied() else { break };
        let (kind, content) = external(&id).ok_or_else(|| format!("REF_DELTA base {id} is neither in the pack nor here"))?;
        if object::hash(kind, &content) != id {
            return Err(format!("external base {id} does not hash to its id"));
        }
        external_bases.push(id);
        for k in children_of.remove(&id).unwrap_or_default() {
            let mut out = Vec::new();
            delta::apply(&content, &raws[k].data, &mut out).map_err(|r| format!("delta at {}: {r}", raws[k].offset))?;
            raws[k].data = Vec::new();
            stack.push((k, kind, out));
        }
    }
    let mut entries = Vec::with_capacity(n);
    for (i, r) in raws.iter().enumerate() {
        let oid = oids[i].ok_or_else(|| format!("entry at {}: its delta base never resolved (a cycle)", r.offset))?;
        entries.push(IndexEntry { oid, offset: r.offset, crc: r.crc });
    }
    Ok(Indexed { entries, checksum, external_bases })
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

    /// Timing and peak memory on a real pack (not run by default):
    /// `FERROGIT_BENCH_PACK=x.pack cargo test --release --lib bench_index_pack -- --ignored --nocapture`,
    /// `FERROGIT_BENCH_RUNS` times (3 by default).
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
