//! A session with a remote's upload-pack: the transport for its URL, the
//! protocol it speaks, and the two commands everything else is built on,
//! listing refs and fetching a pack. Callers never see which transport or
//! protocol version carries them.

use std::cell::RefCell;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::core::error::{Error, Result};
use crate::core::oid::ObjectId;
use crate::core::promisor::transport::{self, Connection};
use crate::core::promisor::{parse_server_progress, OnProgress, Progress};
use crate::core::promisor::v2::{self, Capabilities, FetchRequest, FetchResponse, RemoteRef};

pub struct Session {
    conn: Connection,
    caps: Capabilities,
}

impl Session {
    /// Connect to the upload-pack behind `url` and read its advertisement.
    pub fn connect(url: &str) -> Result<Session> {
        let mut conn = transport::connect(url)?;
        let caps = v2::handshake(&mut conn)?;
        Ok(Session { conn, caps })
    }

    pub fn url(&self) -> &str {
        &self.conn.url
    }

    /// An `ERR_TRANSPORT` about this remote.
    pub fn err(&self, reason: impl Into<String>) -> Error {
        self.conn.err(reason)
    }

    /// The refs under `prefixes` (all when empty), HEAD when asked for by name.
    pub fn ls_refs(&mut self, prefixes: &[&str]) -> Result<Vec<RemoteRef>> {
        v2::ls_refs(&mut self.conn, &self.caps, prefixes)
    }

    /// Fetch the pack for `req` into `pack`, progress text to `progress`.
    pub fn fetch(&mut self, req: &FetchRequest<'_>, pack: &mut dyn std::io::Write, progress: &mut dyn FnMut(&[u8])) -> Result<FetchResponse> {
        v2::fetch(&mut self.conn, &self.caps, req, pack, progress)
    }
}

/// What [`fetch_into`] stored.
#[derive(Debug, Default)]
pub struct Received {
    /// The `.pack` placed in `objects/pack` (None when the server sent no objects).
    pub pack: Option<std::path::PathBuf>,
    pub objects: usize,
    pub bytes: u64,
    pub shallow: Vec<ObjectId>,
    /// Every object id in the pack, in pack order.
    pub oids: Vec<ObjectId>,
}

/// Progress reports at most this often while bytes arrive.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// The pack sink: counts bytes, reports `receiving`, and stops on abort.
struct Counting<'a, 'b, W> {
    inner: W,
    bytes: u64,
    abort: &'a AtomicBool,
    last: std::time::Instant,
    progress: &'a RefCell<OnProgress<'b>>,
}

impl<W: std::io::Write> std::io::Write for Counting<'_, '_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.abort.load(Ordering::Relaxed) {
            return Err(std::io::Error::other("aborted"));
        }
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        if self.last.elapsed() >= PROGRESS_EVERY {
            self.last = std::time::Instant::now();
            (self.progress.borrow_mut())(&Progress { phase: "receiving".into(), done: self.bytes, total: None, bytes: self.bytes });
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Split the server's progress text (which ends lines with `\r` or `\n`)
/// into lines for [`parse_server_progress`].
fn server_lines(pending: &mut Vec<u8>, text: &[u8], mut each: impl FnMut(&str)) {
    pending.extend_from_slice(text);
    while let Some(end) = pending.iter().position(|&c| c == b'\r' || c == b'\n') {
        let line: Vec<u8> = pending.drain(..=end).collect();
        each(String::from_utf8_lossy(&line[..end]).as_ref());
    }
    if pending.len() > 4096 {
        pending.clear(); // not progress text: don't let it grow
    }
}

/// Fetch `req` and store the pack in `objects_dir/pack`: received into a temp
/// file there (memory stays bounded whatever the pack's size), checked and
/// indexed, then moved into place with its `.idx` (and `.promisor` holding
/// `promisor`, for a promisor remote). On any failure nothing is left behind.
///
/// `progress` gets the server's phases, then `receiving` (bytes); `abort`
/// stops the transfer with `ERR_ABORTED`.
pub fn fetch_into(s: &mut Session, objects_dir: &Path, req: &FetchRequest<'_>, promisor: Option<&[u8]>, progress: OnProgress<'_>, abort: &AtomicBool) -> Result<Received> {
    use crate::core::odb::{pack::ingest, write};
    use std::io::Write;
    if abort.load(Ordering::Relaxed) {
        return Err(Error::Aborted);
    }
    let (file, tmp) = write::create_pack_tmpfile(objects_dir)?;
    let progress = RefCell::new(progress);
    let mut w = Counting { inner: std::io::BufWriter::with_capacity(1 << 16, file), bytes: 0, abort, last: std::time::Instant::now(), progress: &progress };
    let mut pending = Vec::new();
    let fetched = s.fetch(req, &mut w, &mut |t| {
        server_lines(&mut pending, t, |line| {
            if let Some(p) = parse_server_progress(line, 0) {
                (progress.borrow_mut())(&p);
            }
        })
    });
    if abort.load(Ordering::Relaxed) {
        return Err(Error::Aborted);
    }
    let resp = fetched?;
    let bytes = w.bytes;
    (progress.borrow_mut())(&Progress { phase: "receiving".into(), done: bytes, total: None, bytes });
    let file = w.inner.into_inner().map_err(|e| Error::io(tmp.path(), e.into_error()))?;
    (&file).flush().map_err(|e| Error::io(tmp.path(), e))?;
    // Written through a write-only descriptor: map it through a reading one.
    let reading = std::fs::File::open(tmp.path()).map_err(|e| Error::io(tmp.path(), e))?;
    // SAFETY: the temp file is ours alone (created O_EXCL, read-only mode) and not changed while mapped.
    let map = unsafe { memmap2::Mmap::map(&reading) }.map_err(|e| Error::io(tmp.path(), e))?;
    let bad = |r: String| s.err(format!("the server sent a bad pack: {r}"));
    let indexed = ingest::index_pack(&map, &|_| None).map_err(bad)?;
    drop(map);
    let n = indexed.entries.len() as u64;
    (progress.borrow_mut())(&Progress { phase: "indexing".into(), done: n, total: Some(n), bytes });
    let mut out = Received { bytes: resp.pack_bytes, shallow: resp.shallow, objects: indexed.entries.len(), ..Default::default() };
    out.oids = indexed.entries.iter().map(|e| e.oid).collect();
    if indexed.entries.is_empty() {
        return Ok(out);
    }
    file.sync_all().map_err(|e| Error::io(tmp.path(), e))?;
    drop(file);
    let idx = ingest::idx_v2(&indexed.entries, &indexed.checksum);
    let placed = write::write_pack(objects_dir, &indexed.checksum, write::PackData::File(tmp.path()), &idx, promisor)?;
    if !tmp.path().exists() {
        tmp.keep();
    }
    out.pack = Some(placed);
    Ok(out)
}

/// Bytes of pack a memory-only fetch holds at once (the pack is kept in
/// memory while it is indexed, so it is bounded more tightly than a fetch to disk).
pub const MAX_MEMORY_FETCH_BYTES: u64 = 4 << 30;

/// Fetch `req` into memory and hand every object in the pack to `each`
/// (a memory-only repository's cache); returns the number of objects.
pub fn fetch_objects(
    s: &mut Session,
    req: &FetchRequest<'_>,
    progress: OnProgress<'_>,
    abort: &AtomicBool,
    each: &mut dyn FnMut(&ObjectId, crate::core::object::Kind, &[u8]),
) -> Result<usize> {
    use crate::core::odb::pack::ingest;
    if abort.load(Ordering::Relaxed) {
        return Err(Error::Aborted);
    }
    let progress = RefCell::new(progress);
    let mut w = Counting { inner: Bounded(Vec::new()), bytes: 0, abort, last: std::time::Instant::now(), progress: &progress };
    let fetched = s.fetch(req, &mut w, &mut |_| {});
    if abort.load(Ordering::Relaxed) {
        return Err(Error::Aborted);
    }
    fetched?;
    let pack = std::mem::take(&mut w.inner.0);
    let bad = |r: String| s.err(format!("the server sent a bad pack: {r}"));
    let indexed = ingest::index_pack_with(&pack, &|_| None, each).map_err(bad)?;
    Ok(indexed.entries.len())
}

/// A Vec sink that refuses to grow past [`MAX_MEMORY_FETCH_BYTES`].
struct Bounded(Vec<u8>);

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if (self.0.len() + buf.len()) as u64 > MAX_MEMORY_FETCH_BYTES {
            return Err(std::io::Error::other(format!("the pack is larger than {MAX_MEMORY_FETCH_BYTES} bytes")));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
