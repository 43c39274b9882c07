//! `packed-refs`: many refs in one text file in the common git dir, read in
//! place and searched without parsing it all, as git `refs/packed-backend.c`
//! does (<https://git-scm.com/docs/git-pack-refs>).
//!
//! # Format
//!
//! ```text
//! # pack-refs with: peeled fully-peeled sorted ␠
//! <40-hex oid> SP <refname> LF
//! ^<40-hex peeled oid> LF        (only right after the record of a ref to a tag object)
//! ```
//!
//! - The header is optional and only ever the first line. It starts with
//!   `# pack-refs with:` and lists space-separated traits; unknown traits are
//!   ignored. git (2.47) writes it with a space after the last trait.
//! - `sorted`: records are in byte order of refname, so lookups binary-search
//!   the raw bytes. Without it (old writers, hand edits) git sorts a copy in
//!   memory when it loads the file (`sort_snapshot`); so does [`Buffer`], once,
//!   when opened, keeping the bytes as they are if they turn out sorted anyway.
//! - `fully-peeled`: every record whose object is a tag has a `^` line, so no
//!   `^` line means "not a tag". `peeled`: the same, but only for `refs/tags/`.
//!   Neither: a missing `^` line says nothing. See [`Buffer::knows_peeled`].
//!   The `^` value is the fully peeled object (a tag of a tag peels to the
//!   commit, a tag of a tree to the tree).
//!
//! # Reading
//!
//! Files up to 32 KiB are read whole and larger ones mapped (git's
//! `SMALL_FILE_SIZE`). On Windows we always read: a live mapping would stop git
//! from renaming `packed-refs.lock` over the file (git's `MMAP_PREVENTS_DELETE`),
//! and [`Buffer`]s are long-lived snapshots.
//!
//! A lookup probes a midpoint, scans back to the previous LF, steps back over
//! `^` lines to the record they belong to, and compares the name there (git
//! `find_reference_location`). Only the lines touched are parsed; garbage on
//! them is `ERR_CORRUPT_REF`, and [`Buffer::validate`] checks every line. As in
//! git's `verify_buffer_safe`, a file whose last byte is not LF is rejected when
//! opened.
//!
//! Stricter than git: git accepts any whitespace after the oid, and keeps a
//! name that fails check-ref-format as a "broken" ref that it hides from
//! listings; we require one SP and a UTF-8 name without control bytes (a CRLF
//! file would otherwise yield names ending in CR) and report anything else as
//! corrupt.

use std::fs::Metadata;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::core::error::{Error, Result};
use crate::core::oid::ObjectId;

/// git's `SMALL_FILE_SIZE`: files up to this many bytes are read whole, larger ones mapped.
pub const SMALL_FILE_SIZE: u64 = 32 * 1024;

/// The header git writes, byte for byte (note the space before the LF).
pub const HEADER: &[u8] = b"# pack-refs with: peeled fully-peeled sorted \n";

/// What every header line starts with.
const HEADER_PREFIX: &[u8] = b"# pack-refs with:";

/// Hex characters of an id.
const HEX: usize = 40;

/// Whether large files may be mapped (see the module docs for Windows).
const MMAP_ALLOWED: bool = !cfg!(windows);

/// What identifies one version of the file on disk: a snapshot is still
/// current while the path's `StatKey` equals the one it was read with. git
/// replaces `packed-refs` by renaming a new file over it, so the inode changes
/// on every rewrite even when size and mtime (coarse on some filesystems) do not.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct StatKey {
    /// File size in bytes.
    pub len: u64,
    /// Modification time, nanoseconds since the Unix epoch (negative before it; 0 if unknown).
    pub mtime_ns: i128,
    /// Inode number (0 where the platform has none).
    pub inode: u64,
}

impl StatKey {
    fn of(m: &Metadata) -> StatKey {
        let mtime_ns = match m.modified() {
            Ok(t) => match t.duration_since(std::time::UNIX_EPOCH) {
                Ok(d) => d.as_nanos() as i128,
                Err(e) => -(e.duration().as_nanos() as i128),
            },
            Err(_) => 0,
        };
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(m);
        #[cfg(not(unix))]
        let inode = 0;
        StatKey { len: m.len(), mtime_ns, inode }
    }
}

/// The [`StatKey`] of the file at `path` (following symlinks, as git's `stat`),
/// or None if it does not exist or cannot be stat'ed.
pub fn stat_key(path: &Path) -> Option<StatKey> {
    std::fs::metadata(path).ok().map(|m| StatKey::of(&m))
}

/// One packed ref.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Full refname, e.g. `refs/heads/main`.
    pub name: &'a str,
    /// The object the ref points at.
    pub oid: ObjectId,
    /// The fully peeled object, from the `^` line after the record, if any.
    pub peeled: Option<ObjectId>,
}

/// The file's bytes.
enum Data {
    /// Small files, and sorted copies of unsorted ones.
    Owned(Vec<u8>),
    /// Files over [`SMALL_FILE_SIZE`].
    Mapped(Mmap),
}

impl Data {
    fn bytes(&self) -> &[u8] {
        match self {
            Data::Owned(v) => v,
            Data::Mapped(m) => m,
        }
    }
}

/// One snapshot of a `packed-refs` file, sorted and ready for binary search.
/// Immutable, so readers share it as `Arc<Buffer>` and check it against the
/// file with [`Buffer::stat`] / [`stat_key`].
pub struct Buffer {
    /// Invariant: the records, `bytes()[start..]`, are sorted by name and are
    /// empty or end with LF (so every line there is terminated).
    data: Data,
    /// Where the records start: after the header line, or 0 (always 0 for a
    /// sorted copy, which drops the header).
    start: usize,
    /// The header's `peeled` trait.
    peeled: bool,
    /// The header's `fully-peeled` trait.
    fully_peeled: bool,
    /// The header's `sorted` trait (what the file claimed, not what we did).
    sorted: bool,
    /// The file, for errors; None from [`Buffer::from_bytes`].
    path: Option<PathBuf>,
    /// The file's stat when read (taken on the open handle), None from bytes.
    stat: Option<StatKey>,
}

impl std::fmt::Debug for Buffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buffer")
            .field("path", &self.path)
            .field("len", &self.bytes().len())
            .field("mapped", &self.is_mapped())
            .field("peeled", &self.peeled)
            .field("fully_peeled", &self.fully_peeled)
            .field("sorted", &self.sorted)
            .finish()
    }
}

/// A line for an error message: lossy, quoted, cut at 80 characters.
fn show(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{:?}...", &text[..at]),
        None => format!("{text:?}"),
    }
}

fn corrupt_at(path: Option<&Path>, name: Option<&str>, reason: impl Into<String>) -> Error {
    Error::CorruptRef { name: name.map(str::to_string), path: path.map(Path::to_path_buf), reason: reason.into() }
}

/// Position of the first LF at or after `from`.
fn find_lf(b: &[u8], from: usize) -> Option<usize> {
    b.get(from..)?.iter().position(|&c| c == b'\n').map(|i| from + i)
}

/// The id of a `^` line (without its LF).
fn parse_peeled(line: &[u8]) -> Option<ObjectId> {
    match line {
        [b'^', hex @ ..] => ObjectId::from_hex(hex),
        _ => None,
    }
}

impl Buffer {
    /// Read the `packed-refs` file at `path`; None if it does not exist.
    pub fn open(path: &Path) -> Result<Option<Buffer>> {
        let mut file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, e)),
        };
        let meta = file.metadata().map_err(|e| Error::io(path, e))?;
        let stat = StatKey::of(&meta);
        let data = if MMAP_ALLOWED && meta.len() > SMALL_FILE_SIZE {
            // SAFETY: the mapping is read-only, and git (like our writer) never
            // modifies packed-refs in place: it writes packed-refs.lock and renames
            // it over the file, so the inode we mapped keeps its bytes. git maps
            // this file on the same assumption.
            let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
            Data::Mapped(map)
        } else {
            let mut v = Vec::new();
            v.try_reserve(meta.len() as usize)
                .map_err(|_| corrupt_at(Some(path), None, format!("cannot allocate {} bytes to read it", meta.len())))?;
            std::io::Read::read_to_end(&mut file, &mut v).map_err(|e| Error::io(path, e))?;
            Data::Owned(v)
        };
        Buffer::with_data(data, Some(path.to_path_buf()), Some(stat)).map(Some)
    }

    /// A buffer over the contents of a `packed-refs` file (errors name no path).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Buffer> {
        Buffer::with_data(Data::Owned(bytes), None, None)
    }

    fn with_data(data: Data, path: Option<PathBuf>, stat: Option<StatKey>) -> Result<Buffer> {
        let b = data.bytes();
        let (mut start, mut peeled, mut fully_peeled, mut sorted) = (0, false, false, false);
        if b.first() == Some(&b'#') {
            let eol = find_lf(b, 0).ok_or_else(|| corrupt_at(path.as_deref(), None, "unterminated header line"))?;
            let traits = b[..eol].strip_prefix(HEADER_PREFIX).ok_or_else(|| {
                corrupt_at(path.as_deref(), None, format!("unexpected header line {}", show(&b[..eol])))
            })?;
            for t in traits.split(|&c| c == b' ') {
                match t {
                    b"peeled" => peeled = true,
                    b"fully-peeled" => fully_peeled = true,
                    b"sorted" => sorted = true,
                    _ => {}
                }
            }
            start = eol + 1;
        }
        if start < b.len() && b[b.len() - 1] != b'\n' {
            let last = &b[b.iter().rposition(|&c| c == b'\n').map_or(start, |i| i + 1)..];
            let name = last.get(HEX + 1..).and_then(|n| std::str::from_utf8(n).ok());
            return Err(corrupt_at(path.as_deref(), name, format!("last line {} does not end with LF", show(last))));
        }
        let mut buf = Buffer { data, start, peeled, fully_peeled, sorted, path, stat };
        if !sorted {
            buf.sort_in_memory()?;
        }
        Ok(buf)
    }

    /// For a file that does not claim `sorted`: parse every record (so garbage is
    /// reported now) and, unless they are in order already, replace the bytes
    /// with a sorted copy of the records, each with its `^` line.
    fn sort_in_memory(&mut self) -> Result<()> {
        // (name start, name end, record start, record end)
        let mut recs: Vec<(usize, usize, usize, usize)> = Vec::new();
        let mut in_order = true;
        let mut pos = self.start;
        let len = self.bytes().len();
        while pos < len {
            let (rec, next) = self.record_at(pos)?;
            let name = (pos + HEX + 1, pos + HEX + 1 + rec.name.len());
            if let Some(&(s, e, _, _)) = recs.last() {
                in_order &= self.bytes()[s..e] <= self.bytes()[name.0..name.1];
            }
            recs.try_reserve(1).map_err(|_| self.corrupt(None, "too many records to sort"))?;
            recs.push((name.0, name.1, pos, next));
            pos = next;
        }
        if in_order {
            return Ok(());
        }
        let b = self.bytes();
        // Stable, so duplicate names keep their file order.
        recs.sort_by(|x, y| b[x.0..x.1].cmp(&b[y.0..y.1]));
        let mut out = Vec::new();
        out.try_reserve_exact(len - self.start).map_err(|_| self.corrupt(None, "cannot allocate a sorted copy"))?;
        for &(_, _, s, e) in &recs {
            out.extend_from_slice(&b[s..e]);
        }
        self.data = Data::Owned(out);
        self.start = 0;
        Ok(())
    }

    fn bytes(&self) -> &[u8] {
        self.data.bytes()
    }

    fn corrupt(&self, name: Option<&str>, reason: impl Into<String>) -> Error {
        corrupt_at(self.path.as_deref(), name, reason)
    }

    /// True when the bytes are a memory map of the file (large files), false
    /// when they were read (small files, Windows, sorted copies).
    pub fn is_mapped(&self) -> bool {
        matches!(self.data, Data::Mapped(_))
    }

    /// The file this was read from, None from bytes.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The file's [`StatKey`] when it was read (None from bytes): the snapshot
    /// is stale once [`stat_key`] of the path differs.
    pub fn stat(&self) -> Option<StatKey> {
        self.stat
    }

    /// The header's `peeled` trait.
    pub fn peeled(&self) -> bool {
        self.peeled
    }

    /// The header's `fully-peeled` trait.
    pub fn fully_peeled(&self) -> bool {
        self.fully_peeled
    }

    /// Whether the file claimed `sorted` (either way the buffer is sorted).
    pub fn sorted_on_disk(&self) -> bool {
        self.sorted
    }

    /// True when a record of `name` without a `^` line is known not to point at
    /// a tag (git's `REF_KNOWS_PEELED`): always under `fully-peeled`, only for
    /// `refs/tags/` under `peeled`, never without either.
    pub fn knows_peeled(&self, name: &str) -> bool {
        self.fully_peeled || (self.peeled && name.starts_with("refs/tags/"))
    }

    /// True when the file holds no records.
    pub fn is_empty(&self) -> bool {
        self.start >= self.bytes().len()
    }

    /// The line at `pos` without its LF, and where the next line starts.
    fn line_at(&self, pos: usize) -> (&[u8], usize) {
        let b = self.bytes();
        // Every record line ends with LF (checked at open); the fallback cannot happen.
        let eol = find_lf(b, pos).unwrap_or(b.len());
        (&b[pos.min(eol)..eol], eol + 1)
    }

    /// The name bytes of a record line, checking only its shape.
    fn name_bytes<'a>(&self, line: &'a [u8]) -> Result<&'a [u8]> {
        if line.first() == Some(&b'^') {
            return Err(self.corrupt(None, format!("peeled line {} does not follow a ref", show(line))));
        }
        if line.len() < HEX + 2 || line[HEX] != b' ' {
            return Err(self.corrupt(None, format!("unexpected line {}", show(line))));
        }
        Ok(&line[HEX + 1..])
    }

    /// Parse the record starting at `pos` (with its `^` line) and return where the next one starts.
    fn record_at(&self, pos: usize) -> Result<(Record<'_>, usize)> {
        // Fast path for a well-formed line: the id, a space, then name bytes up to
        // the LF, scanned once (LF and every control character are below b' ', so
        // the scan stops at the first of them). Anything else takes the checked
        // path below, which names the fault.
        let b = self.bytes();
        if let (Some(hex), Some(&b' ')) = (b.get(pos..pos + HEX), b.get(pos + HEX)) {
            if let Some(oid) = ObjectId::from_hex(hex) {
                let start = pos + HEX + 1;
                let len = b[start..].iter().position(|&c| c < b' ' || c == 0x7f);
                if let Some(len) = len.filter(|&l| l > 0 && b[start + l] == b'\n') {
                    if let Ok(name) = std::str::from_utf8(&b[start..start + len]) {
                        let mut next = start + len + 1;
                        let mut peeled = None;
                        if b.get(next) == Some(&b'^') {
                            let (pline, after) = self.line_at(next);
                            let id = parse_peeled(pline)
                                .ok_or_else(|| self.corrupt(Some(name), format!("bad peeled line {}", show(pline))))?;
                            peeled = Some(id);
                            next = after;
                        }
                        return Ok((Record { name, oid, peeled }, next));
                    }
                }
            }
        }
        let (line, mut next) = self.line_at(pos);
        let raw = self.name_bytes(line)?;
        let name = std::str::from_utf8(raw)
            .map_err(|_| self.corrupt(None, format!("ref name is not UTF-8 in {}", show(line))))?;
        if raw.iter().any(|&c| c < b' ' || c == 0x7f) {
            return Err(self.corrupt(Some(name), format!("control character in ref name in {}", show(line))));
        }
        let oid = ObjectId::from_hex(&line[..HEX])
            .ok_or_else(|| self.corrupt(Some(name), format!("bad object id in {}", show(line))))?;
        let mut peeled = None;
        if self.bytes().get(next) == Some(&b'^') {
            let (pline, after) = self.line_at(next);
            let id = parse_peeled(pline)
                .ok_or_else(|| self.corrupt(Some(name), format!("bad peeled line {}", show(pline))))?;
            peeled = Some(id);
            next = after;
        }
        Ok((Record { name, oid, peeled }, next))
    }

    /// Start of the record containing `p`: back to the start of its line, then
    /// back over `^` lines (git `find_start_of_record`), never before `lo`.
    fn record_start(&self, lo: usize, mut p: usize) -> usize {
        let b = self.bytes();
        loop {
            while p > lo && b[p - 1] != b'\n' {
                p -= 1;
            }
            if p > lo && b[p] == b'^' {
                p -= 1;
                continue;
            }
            return p;
        }
    }

    /// End of the record starting at `p`: past its line and any `^` lines (git `find_end_of_record`).
    fn record_end(&self, p: usize) -> usize {
        let b = self.bytes();
        let (_, mut next) = self.line_at(p);
        while b.get(next) == Some(&b'^') {
            next = self.line_at(next).1;
        }
        next
    }

    /// Offset of the first record whose name is not less than `key` (the end if none).
    fn lower_bound(&self, key: &[u8]) -> Result<usize> {
        let (mut lo, mut hi) = (self.start, self.bytes().len());
        // Invariant: lo and hi are record boundaries; records before lo are < key, from hi on >= key.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let rec = self.record_start(lo, mid);
            let name = self.name_bytes(self.line_at(rec).0)?;
            if name < key {
                lo = self.record_end(rec);
            } else {
                hi = rec;
            }
        }
        Ok(lo)
    }

    /// The record of `name`, by binary search on the bytes; None if absent.
    pub fn find(&self, name: &str) -> Result<Option<Record<'_>>> {
        let pos = self.lower_bound(name.as_bytes())?;
        if pos >= self.bytes().len() || self.name_bytes(self.line_at(pos).0)? != name.as_bytes() {
            return Ok(None);
        }
        self.record_at(pos).map(|(r, _)| Some(r))
    }

    /// Every record in name order. Garbage is reported when reached, and ends the iteration.
    pub fn iter(&self) -> Iter<'_> {
        Iter { buf: self, pos: self.start, prefix: None, pending: None }
    }

    /// The records whose names start with `prefix`, in name order, found by
    /// binary search for the first name `>= prefix`.
    pub fn iter_prefix(&self, prefix: &str) -> Iter<'_> {
        let end = self.bytes().len();
        match self.lower_bound(prefix.as_bytes()) {
            Ok(pos) => Iter { buf: self, pos, prefix: Some(prefix.to_string()), pending: None },
            Err(e) => Iter { buf: self, pos: end, prefix: None, pending: Some(e) },
        }
    }

    /// Check every line: records and `^` lines well formed, names strictly
    /// increasing (which a file claiming `sorted` must be for lookups to work).
    pub fn validate(&self) -> Result<()> {
        let mut prev: Option<&str> = None;
        for r in self.iter() {
            let r = r?;
            if let Some(p) = prev {
                if p >= r.name {
                    let what = if p == r.name { "duplicate ref".to_string() } else { format!("ref out of order after {p}") };
                    return Err(self.corrupt(Some(r.name), what));
                }
            }
            prev = Some(r.name);
        }
        Ok(())
    }
}

/// Records of a [`Buffer`] in name order, from [`Buffer::iter`] or [`Buffer::iter_prefix`].
pub struct Iter<'a> {
    buf: &'a Buffer,
    /// The next record's start; the buffer's end once finished.
    pos: usize,
    /// Stop at the first name without it.
    prefix: Option<String>,
    /// An error from the initial search, to yield first.
    pending: Option<Error>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Result<Record<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let end = self.buf.bytes().len();
        if let Some(e) = self.pending.take() {
            return Some(Err(e));
        }
        if self.pos >= end {
            return None;
        }
        let outside = |n: &[u8]| matches!(&self.prefix, Some(p) if !n.starts_with(p.as_bytes()));
        match self.buf.record_at(self.pos) {
            Ok((r, next)) => {
                if outside(r.name.as_bytes()) {
                    self.pos = end;
                    return None;
                }
                self.pos = next;
                Some(Ok(r))
            }
            Err(e) => {
                // A broken record past the prefix's range ends the walk quietly,
                // as it would have been never reached.
                let past = matches!(self.buf.name_bytes(self.buf.line_at(self.pos).0), Ok(n) if outside(n));
                self.pos = end;
                if past {
                    None
                } else {
                    Some(Err(e))
                }
            }
        }
    }
}

/// Append a whole `packed-refs` file to `out`, exactly as git writes it: the
/// [`HEADER`], then the records sorted by name (byte order; stable for equal
/// names, which callers should not pass), each peeled one followed by its `^`
/// line. The header claims `fully-peeled`, so callers must give `peeled` for
/// every ref whose object is a tag, and only for those.
pub fn write(records: &[(String, ObjectId, Option<ObjectId>)], out: &mut Vec<u8>) {
    let mut order: Vec<&(String, ObjectId, Option<ObjectId>)> = records.iter().collect();
    if !records.windows(2).all(|w| w[0].0 <= w[1].0) {
        order.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let size: usize = records.iter().map(|r| HEX + 2 + r.0.len() + if r.2.is_some() { HEX + 2 } else { 0 }).sum();
    out.reserve(HEADER.len() + size);
    out.extend_from_slice(HEADER);
    for (name, oid, peeled) in order {
        oid.write_hex(out);
        out.push(b' ');
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
        if let Some(p) = peeled {
            out.push(b'^');
            p.write_hex(out);
            out.push(b'\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::core::testutil::TempDir;
    use super::*;
    use std::collections::HashSet;


    fn git(dir: &Path, args: &[&str], input: Option<&[u8]>) -> Vec<u8> {
        crate::core::testutil::git_bytes(dir, args, input)
    }

    fn lines(out: Vec<u8>) -> Vec<String> {
        String::from_utf8(out).expect("utf-8").lines().map(str::to_string).collect()
    }

    /// `git for-each-ref` as (name, oid), in git's order.
    fn for_each_ref(dir: &Path, pattern: Option<&str>) -> Vec<(String, ObjectId)> {
        let mut args = vec!["for-each-ref", "--format=%(objectname) %(refname)"];
        args.extend(pattern);
        lines(git(dir, &args, None))
            .into_iter()
            .map(|l| {
                let (oid, name) = l.split_once(' ').expect("oid SP name");
                (name.to_string(), ObjectId::parse(oid).expect("oid"))
            })
            .collect()
    }

    /// Every ref with git's answer for its peeled value: `rev-parse <ref>^{}` when that differs.
    fn expected(dir: &Path) -> Vec<(String, ObjectId, Option<ObjectId>)> {
        let refs = for_each_ref(dir, None);
        let specs: Vec<String> = refs.iter().map(|(n, _)| format!("{n}^{{}}")).collect();
        let mut args = vec!["rev-parse"];
        args.extend(specs.iter().map(String::as_str));
        let peeled = lines(git(dir, &args, None));
        assert_eq!(peeled.len(), refs.len());
        refs.into_iter()
            .zip(peeled)
            .map(|((n, oid), p)| {
                let p = ObjectId::parse(&p).expect("oid");
                (n, oid, (p != oid).then_some(p))
            })
            .collect()
    }

    const LONG: &str = "with-a-rather-long-descriptive-name-to-pass-32k";

    /// A repository with ~330 refs, all packed by git; returns its git dir.
    fn build(dir: &Path) -> PathBuf {
        git(dir, &["init", "-q", "-b", "main", "."], None);
        let mut commits = Vec::new();
        for i in 0..3 {
            git(dir, &["commit", "-q", "--allow-empty", "-m", &format!("commit {i}")], None);
            commits.push(lines(git(dir, &["rev-parse", "HEAD"], None))[0].clone());
        }
        let mut stdin = String::new();
        for i in 0..300 {
            stdin.push_str(&format!("create refs/heads/topic/area-{}/branch-{i:03}-{LONG} {}\n", i % 7, commits[i % 3]));
        }
        for name in ["a-b", "a.b", "a/b", "Zed", "é", "日本/ブランチ", "z"] {
            stdin.push_str(&format!("create refs/heads/{name} {}\n", commits[1]));
        }
        stdin.push_str(&format!("create refs/remotes/origin/main {}\n", commits[2]));
        git(dir, &["update-ref", "--stdin"], Some(stdin.as_bytes()));
        let tag = |args: &[&str]| git(dir, &[&["-c", "advice.nestedTag=false", "tag"][..], args].concat(), None);
        tag(&["light", &commits[0]]);
        tag(&["ünï-light", &commits[2]]);
        tag(&["-a", "-m", "v1", "v1.0", &commits[0]]);
        tag(&["-a", "-m", "v2", "v2.0", &commits[2]]);
        tag(&["-a", "-m", "ü", "ünïcode-annotated", &commits[1]]);
        tag(&["-a", "-m", "outer", "v1.0-outer", "v1.0"]);
        tag(&["-a", "-m", "outer 2", "v1.0-outer-outer", "v1.0-outer"]);
        tag(&["-a", "-m", "tree", "tree-tag", &format!("{}^{{tree}}", commits[2])]);
        // Refs to tag objects outside refs/tags/ (git refuses them under refs/heads/) get `^` lines too under fully-peeled.
        let v1 = lines(git(dir, &["rev-parse", "refs/tags/v1.0"], None))[0].clone();
        git(dir, &["update-ref", "refs/remotes/origin/points-at-a-tag", &v1], None);
        git(dir, &["update-ref", "refs/tags/light-to-tag", &v1], None);
        git(dir, &["pack-refs", "--all"], None);
        dir.join(".git")
    }

    fn owned(r: Record<'_>) -> (String, ObjectId, Option<ObjectId>) {
        (r.name.to_string(), r.oid, r.peeled)
    }

    /// Every way of reading `buf` agrees with git's refs `want` (in git's order).
    fn check(buf: &Buffer, want: &[(String, ObjectId, Option<ObjectId>)]) {
        buf.validate().expect("valid");
        for (name, oid, peeled) in want {
            let r = buf.find(name).expect("no error").unwrap_or_else(|| panic!("{name} found"));
            assert_eq!((r.name, r.oid, r.peeled), (name.as_str(), *oid, *peeled), "{name}");
        }
        let all: Vec<_> = buf.iter().map(|r| owned(r.expect("record"))).collect();
        assert_eq!(all, want, "iter() is for-each-ref's order");

        // Names before, between and after the records, and prefixes of them.
        let names: HashSet<&str> = want.iter().map(|r| r.0.as_str()).collect();
        let mut missing = vec![String::new(), "\u{1}".into(), "A".into(), "refs".into(), "refs/".into(), "refs/heads/".into()];
        missing.extend(["refs/heads/nope", "refs/tags/v1", "refs/tags/v3.0", "zzz", "\u{10FFFF}"].map(String::from));
        for (name, _, _) in want {
            let mut cut = name.clone();
            cut.pop();
            missing.extend([cut, format!("{name}-"), format!("{name}0"), format!("{name}~"), format!("{name}\u{10FFFF}")]);
        }
        let mut checked = 0;
        for m in missing.iter().filter(|m| !names.contains(m.as_str())) {
            assert_eq!(buf.find(m).expect("no error"), None, "{m:?} is not a ref");
            checked += 1;
        }
        assert!(checked > want.len() * 4, "{checked}");

        for prefix in ["", "refs/", "refs/heads/", "refs/heads/a", "refs/heads/topic/area-3/", "refs/heads/é", "refs/tags/v1.0", "refs/tags/ü", "refs/z", "~"] {
            let got: Vec<_> = buf.iter_prefix(prefix).map(|r| owned(r.expect("record"))).collect();
            let exp: Vec<_> = want.iter().filter(|r| r.0.starts_with(prefix)).cloned().collect();
            assert_eq!(got, exp, "prefix {prefix:?}");
        }
    }

    #[test]
    fn reads_what_git_packed_and_writes_it_back_byte_for_byte() {
        let tmp = TempDir::new("git");
        let git_dir = build(&tmp.0);
        let path = git_dir.join("packed-refs");
        let on_disk = std::fs::read(&path).expect("packed-refs");
        assert!(on_disk.starts_with(HEADER), "git's header is {:?}", show(&on_disk[..50]));
        assert!(on_disk.len() as u64 > SMALL_FILE_SIZE, "big enough to be mapped: {}", on_disk.len());
        // Nothing is left loose: everything comes from packed-refs.
        assert!(!git_dir.join("refs/heads/main").exists());

        let want = expected(&tmp.0);
        assert!(want.len() > 310, "{} refs", want.len());
        assert!(want.iter().filter(|r| r.2.is_some()).count() >= 8, "annotated tags peel");
        let tags: Vec<_> = for_each_ref(&tmp.0, Some("refs/tags/"));

        let mapped = Buffer::open(&path).expect("opens").expect("exists");
        assert_eq!(mapped.is_mapped(), MMAP_ALLOWED);
        assert!(mapped.sorted_on_disk() && mapped.peeled() && mapped.fully_peeled());
        assert_eq!(mapped.stat(), stat_key(&path));
        assert_eq!(mapped.path(), Some(path.as_path()));
        check(&mapped, &want);
        let got: Vec<_> = mapped.iter_prefix("refs/tags/").map(|r| r.map(|r| (r.name.to_string(), r.oid))).collect::<Result<_>>().expect("tags");
        assert_eq!(got, tags, "iter_prefix(refs/tags/) is for-each-ref refs/tags/");

        let from_bytes = Buffer::from_bytes(on_disk.clone()).expect("parses");
        assert!(!from_bytes.is_mapped());
        check(&from_bytes, &want);

        // Written back from what we read: git's bytes exactly, whatever the input order.
        let mut out = Vec::new();
        write(&want, &mut out);
        assert_eq!(show(&out[..100]), show(&on_disk[..100]));
        assert!(out == on_disk, "write() is byte-identical to git's packed-refs");
        let mut reversed = want.clone();
        reversed.reverse();
        let mut out2 = Vec::new();
        write(&reversed, &mut out2);
        assert!(out2 == on_disk);

        // Unsorted (no `sorted` trait, shuffled): git reads it the same, and so do we.
        let records = split_records(&on_disk[HEADER.len()..]);
        let shuffled = shuffle(records.clone());
        let mut unsorted = b"# pack-refs with: peeled fully-peeled \n".to_vec();
        unsorted.extend(shuffled.concat());
        std::fs::write(&path, &unsorted).expect("write unsorted");
        assert_eq!(expected(&tmp.0), want, "git sorts an unsorted packed-refs");
        let buf = Buffer::open(&path).expect("opens").expect("exists");
        assert!(!buf.is_mapped(), "a sorted copy");
        assert!(!buf.sorted_on_disk() && buf.fully_peeled());
        check(&buf, &want);

        // No header at all: nothing is known about peeling, but `^` lines still count.
        let bare = shuffled.concat();
        std::fs::write(&path, &bare).expect("write bare");
        assert_eq!(expected(&tmp.0), want);
        let buf = Buffer::open(&path).expect("opens").expect("exists");
        assert!(!buf.peeled() && !buf.fully_peeled() && !buf.knows_peeled("refs/tags/v1.0"));
        check(&buf, &want);

        // No header but sorted anyway: kept as is (still mapped).
        std::fs::write(&path, records.concat()).expect("write sorted bare");
        let buf = Buffer::open(&path).expect("opens").expect("exists");
        assert_eq!(buf.is_mapped(), MMAP_ALLOWED);
        check(&buf, &want);
    }

    /// Records of a packed-refs body, each with its `^` line.
    fn split_records(body: &[u8]) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        for line in body.split_inclusive(|&c| c == b'\n') {
            match out.last_mut() {
                Some(last) if line[0] == b'^' => last.extend_from_slice(line),
                _ => out.push(line.to_vec()),
            }
        }
        out
    }

    /// A fixed pseudo-random permutation.
    fn shuffle<T>(mut v: Vec<T>) -> Vec<T> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in (1..v.len()).rev() {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            v.swap(i, (x >> 33) as usize % (i + 1));
        }
        v
    }

    fn id(n: u8) -> ObjectId {
        ObjectId([n; 20])
    }

    #[test]
    fn small_files_are_read_and_large_ones_mapped() {
        let tmp = TempDir::new("mmap");
        let path = tmp.0.join("packed-refs");
        assert!(Buffer::open(&path).expect("no error").is_none(), "missing file");
        assert_eq!(stat_key(&path), None);

        let small = vec![("refs/heads/main".to_string(), id(1), None)];
        let mut bytes = Vec::new();
        write(&small, &mut bytes);
        std::fs::write(&path, &bytes).expect("write");
        let buf = Buffer::open(&path).expect("opens").expect("exists");
        assert!(!buf.is_mapped());
        let before = stat_key(&path).expect("stat");
        assert_eq!(buf.stat(), Some(before));
        assert_eq!(before.len, bytes.len() as u64);

        // Exactly SMALL_FILE_SIZE is still read, one byte more is mapped (git: `size <= SMALL_FILE_SIZE`).
        for (extra, mapped) in [(0, false), (1, MMAP_ALLOWED)] {
            let mut recs = Vec::new();
            let mut size = HEADER.len();
            let mut i = 0u32;
            while size < SMALL_FILE_SIZE as usize - 200 {
                let name = format!("refs/heads/b{i:06}");
                size += HEX + 2 + name.len();
                recs.push((name, id((i % 250) as u8), i.is_multiple_of(3).then(|| id(7))));
                if i.is_multiple_of(3) {
                    size += HEX + 2;
                }
                i += 1;
            }
            // Pad with one record whose name fills the file to the byte.
            let pad = SMALL_FILE_SIZE as usize + extra - size - (HEX + 2);
            recs.push((format!("refs/heads/z{}", "x".repeat(pad - "refs/heads/z".len())), id(9), None));
            let mut bytes = Vec::new();
            write(&recs, &mut bytes);
            assert_eq!(bytes.len() as u64, SMALL_FILE_SIZE + extra as u64);
            // Written via a new file renamed over the old one, as git does.
            let lock = tmp.0.join("packed-refs.lock");
            std::fs::write(&lock, &bytes).expect("write");
            std::fs::rename(&lock, &path).expect("rename");
            let buf = Buffer::open(&path).expect("opens").expect("exists");
            assert_eq!(buf.is_mapped(), mapped, "{} bytes", bytes.len());
            assert_ne!(buf.stat(), Some(before), "a rewrite changes the stat key");
            for (name, oid, peeled) in &recs {
                let r = buf.find(name).expect("no error").expect("found");
                assert_eq!((r.oid, r.peeled), (*oid, *peeled));
            }
            assert_eq!(buf.iter().count(), recs.len());
            buf.validate().expect("valid");
        }
    }

    #[test]
    fn peel_knowledge_follows_the_header() {
        let body = format!("{} refs/heads/a\n{} refs/tags/t\n^{}\n", id(1), id(2), id(3));
        let b = Buffer::from_bytes(format!("# pack-refs with: peeled \n{body}").into_bytes()).expect("parses");
        assert!(b.knows_peeled("refs/tags/x") && !b.knows_peeled("refs/heads/a"));
        let b = Buffer::from_bytes(format!("# pack-refs with: fully-peeled sorted\n{body}").into_bytes()).expect("parses");
        assert!(b.knows_peeled("refs/heads/a") && b.sorted_on_disk());
        assert_eq!(b.find("refs/tags/t").expect("ok"), Some(Record { name: "refs/tags/t", oid: id(2), peeled: Some(id(3)) }));
        assert_eq!(b.find("refs/heads/a").expect("ok").map(|r| r.peeled), Some(None));
        // Empty and header-only files hold no refs.
        for bytes in [&b""[..], HEADER] {
            let b = Buffer::from_bytes(bytes.to_vec()).expect("parses");
            assert!(b.is_empty() && b.iter().next().is_none() && b.find("refs/heads/a").expect("ok").is_none());
            b.validate().expect("valid");
        }
    }

    fn corrupt_code<T: std::fmt::Debug>(r: Result<T>) -> Error {
        let e = r.expect_err("corrupt");
        assert_eq!(e.code(), "ERR_CORRUPT_REF", "{e}");
        e
    }

    /// `body` after git's header: the first error of iterating it all.
    fn iter_error(bytes: &[u8]) -> Error {
        let b = Buffer::from_bytes(bytes.to_vec()).expect("sorted files are checked lazily");
        corrupt_code(b.validate());
        corrupt_code(b.iter().collect::<Result<Vec<_>>>())
    }

    #[test]
    fn garbage_is_a_corrupt_ref_naming_the_file_and_ref() {
        let good_a = format!("{} refs/heads/a\n", id(1));
        let good_z = format!("{} refs/heads/z\n", id(2));
        let h = std::str::from_utf8(HEADER).expect("ascii");
        let cases: Vec<(&str, String, Option<&str>)> = vec![
            ("junk line", format!("{h}{good_a}hello world\n{good_z}"), None),
            ("blank line", format!("{h}{good_a}\n{good_z}"), None),
            ("short hex", format!("{h}{good_a}{} refs/heads/m\n{good_z}", &id(3).to_hex()[..39]), None),
            ("bad hex", format!("{h}{good_a}{}g refs/heads/m\n{good_z}", &id(3).to_hex()[..39]), Some("refs/heads/m")),
            ("tab separator", format!("{h}{good_a}{}\trefs/heads/m\n{good_z}", id(3)), None),
            ("peeled first", format!("{h}^{}\n{good_a}{good_z}", id(3)), None),
            ("two peeled lines", format!("{h}{good_a}^{}\n^{}\n{good_z}", id(3), id(4)), None),
            ("bad peeled line", format!("{h}{good_a}^{}\n{good_z}", &id(3).to_hex()[..30]), Some("refs/heads/a")),
            ("CR in name", format!("{h}{good_a}{} refs/heads/m\r\n{good_z}", id(3)), Some("refs/heads/m\r")),
            ("out of order", format!("{h}{good_z}{good_a}"), Some("refs/heads/a")),
            ("duplicate", format!("{h}{good_a}{good_a}"), Some("refs/heads/a")),
        ];
        for (what, bytes, name) in &cases {
            let e = if what == &"out of order" || what == &"duplicate" {
                // Well-formed lines: only validate() can tell.
                let b = Buffer::from_bytes(bytes.clone().into_bytes()).expect("lazy");
                assert!(b.iter().all(|r| r.is_ok()));
                corrupt_code(b.validate())
            } else {
                iter_error(bytes.as_bytes())
            };
            assert_eq!(e.ref_name(), *name, "{what}: {e}");
        }

        // Lookups report garbage on the lines they touch.
        let b = Buffer::from_bytes(format!("{h}hello world\n").into_bytes()).expect("lazy");
        corrupt_code(b.find("refs/heads/a"));
        corrupt_code(b.iter_prefix("refs/").next().expect("an item"));
        let b = Buffer::from_bytes(format!("{h}^{}\n", id(3)).into_bytes()).expect("lazy");
        corrupt_code(b.find("refs/heads/a"));
        let b = Buffer::from_bytes(format!("{h}{good_a}{}g refs/heads/m\n{good_z}", &id(3).to_hex()[..39]).into_bytes()).expect("lazy");
        assert_eq!(corrupt_code(b.find("refs/heads/m")).ref_name(), Some("refs/heads/m"));
        assert!(b.find("refs/heads/z").expect("not touched").is_some());
        let mut it = b.iter();
        assert!(it.next().expect("a").is_ok());
        assert!(it.next().expect("the bad line").is_err());
        assert!(it.next().is_none(), "iteration ends at the error");

        // Caught when the file is opened: a missing final LF (git's verify_buffer_safe),
        // a bad header, and anything in an unsorted file (sorting reads every line).
        let mut non_utf8 = format!("{}{} refs/heads/", good_z, id(3)).into_bytes();
        non_utf8.extend_from_slice(b"\xff\xfe\n");
        let opened: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
            ("missing LF", format!("{h}{good_a}{}", good_z.trim_end()).into_bytes(), Some("refs/heads/z")),
            ("missing LF, no header", good_a.trim_end().as_bytes().to_vec(), Some("refs/heads/a")),
            ("unterminated header", b"# pack-refs with: peeled".to_vec(), None),
            ("bad header", format!("# packed refs\n{good_a}").into_bytes(), None),
            ("unsorted junk", format!("{good_z}junk\n{good_a}").into_bytes(), None),
            ("unsorted peeled first", format!("^{}\n{good_z}{good_a}", id(3)).into_bytes(), None),
            ("unsorted non-UTF-8 name", non_utf8, None),
        ];
        let tmp = TempDir::new("corrupt");
        let path = tmp.0.join("packed-refs");
        for (what, bytes, name) in opened {
            let e = corrupt_code(Buffer::from_bytes(bytes.clone()));
            assert_eq!(e.ref_name(), name, "{what}: {e}");
            std::fs::write(&path, &bytes).expect("write");
            let e = corrupt_code(Buffer::open(&path));
            assert_eq!(e.path(), Some(path.as_path()), "{what}: the error names the file");
        }
        // A non-UTF-8 name in a sorted file, found on the way.
        let mut bytes = format!("{h}{good_a}{} refs/heads/m", id(3)).into_bytes();
        bytes.extend_from_slice(b"\xff\n");
        iter_error(&bytes);
    }
}
