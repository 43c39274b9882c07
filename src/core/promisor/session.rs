//! A session with a remote's upload-pack: the transport for its URL, the
//! protocol it speaks, and the two commands everything else is built on,
//! listing refs and fetching a pack. Callers never see which transport or
//! protocol version carries them.

use std::cell::RefCell;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::core::error::{Error, Result};
use crate::core::oid::ObjectId;
use crate::core::promisor::pktline::Packet;
use crate::core::promisor::transport::{self, Connection, Version};
use crate::core::promisor::v0::{self, Advertisement};
use crate::core::promisor::v2::{self, Capabilities, FetchRequest, FetchResponse, RemoteRef};
use crate::core::promisor::{parse_server_progress, OnProgress, Progress};

/// What the server speaks, learnt from its first message.
enum Protocol {
    V2(Capabilities),
    /// `spent`: a fetch was made, after which a v0 server is done; the next
    /// fetch connects again.
    V0 { adv: Advertisement, spent: bool },
}

pub struct Session {
    conn: Connection,
    proto: Protocol,
    /// The URL as given (with any credentials), to connect again.
    url: String,
    /// The version asked for.
    asked: Version,
}

impl Session {
    /// Connect to the upload-pack behind `url` and read its advertisement,
    /// asking for [`Version::preferred`] (v2 unless told otherwise).
    pub fn connect(url: &str) -> Result<Session> {
        Session::connect_with(url, Version::preferred())
    }

    /// Connect asking for protocol `version`. The server may answer in v0
    /// whatever we ask; the session works the same either way.
    pub fn connect_with(url: &str, version: Version) -> Result<Session> {
        let mut conn = transport::connect_with(url, version)?;
        let proto = handshake(&mut conn)?;
        Ok(Session { conn, proto, url: url.to_string(), asked: version })
    }

    /// The URL, without any credentials.
    pub fn url(&self) -> &str {
        &self.conn.url
    }

    /// The protocol version the server speaks: 2, or 0 (v1 is v0 with a
    /// version line in front, and counts as 0).
    pub fn protocol_version(&self) -> u8 {
        match self.proto {
            Protocol::V2(_) => 2,
            Protocol::V0 { .. } => 0,
        }
    }

    /// An `ERR_TRANSPORT` about this remote.
    pub fn err(&self, reason: impl Into<String>) -> Error {
        self.conn.err(reason)
    }

    /// The refs under `prefixes` (all when empty; HEAD is listed when one of
    /// the prefixes is `HEAD`, or when there are none).
    pub fn ls_refs(&mut self, prefixes: &[&str]) -> Result<Vec<RemoteRef>> {
        match &self.proto {
            Protocol::V2(caps) => v2::ls_refs(&mut self.conn, caps, prefixes),
            Protocol::V0 { adv, .. } => Ok(v0::ls_refs(adv, prefixes)),
        }
    }

    /// Fetch the pack for `req` into `pack`, progress text to `progress`.
    pub fn fetch(&mut self, req: &FetchRequest<'_>, pack: &mut dyn std::io::Write, progress: &mut dyn FnMut(&[u8])) -> Result<FetchResponse> {
        if matches!(self.proto, Protocol::V0 { spent: true, .. }) {
            let mut conn = transport::connect_with(&self.url, self.asked)?;
            self.proto = handshake(&mut conn)?;
            self.conn = conn;
        }
        match &mut self.proto {
            Protocol::V2(caps) => v2::fetch(&mut self.conn, caps, req, pack, progress),
            Protocol::V0 { adv, spent } => {
                *spent = true;
                v0::fetch(&mut self.conn, adv, req, pack, progress)
            }
        }
    }
}

/// Read the server's first message: v2's capabilities after `version 2`, or
/// a v0 ref advertisement (after `version 1`, or straight away).
fn handshake(conn: &mut Connection) -> Result<Protocol> {
    let first = {
        let url = &conn.url;
        let p = conn.reader.read().map_err(|r| Error::Transport { url: url.clone(), reason: r })?;
        match p {
            Packet::Data(_) => Some(p.line().unwrap_or_default().to_vec()),
            // A v0 server with nothing to advertise (every ref hidden).
            Packet::Flush => None,
            _ => return Err(conn.err("unexpected packet at the start of the advertisement")),
        }
    };
    let proto = match first.as_deref() {
        Some(b"version 2") => Protocol::V2(v2::read_capabilities(conn)?),
        Some(b"version 1") => Protocol::V0 { adv: v0::read_advertisement(conn, None)?, spent: false },
        Some(_) => Protocol::V0 { adv: v0::read_advertisement(conn, first)?, spent: false },
        None => Protocol::V0 { adv: Advertisement::default(), spent: false },
    };
    Ok(proto)
}

/// What [`fetch_into`] stored.
#[derive(Debug, Default)]
pub struct Received {
    /// The `.pack` placed in `objects/pack` (None when the server sent no objects).
    pub pack: Option<std::path::PathBuf>,
    pub objects: usize,
    pub bytes: u64,
    pub shallow: Vec<ObjectId>,
    /// Bases a thin pack left out, appended from our own objects.
    pub thin_bases: usize,
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
///
/// A thin pack (`req.thin`) is completed as `git index-pack --fix-thin` does:
/// the bases it leaves out are read through `local` and appended.
pub fn fetch_into(s: &mut Session, objects_dir: &Path, req: &FetchRequest<'_>, promisor: Option<&[u8]>, progress: OnProgress<'_>, abort: &AtomicBool) -> Result<Received> {
    fetch_into_with(s, objects_dir, req, promisor, progress, abort, &|_| None)
}

/// [`fetch_into`] with `local`, the objects a thin pack's deltas may use as bases.
pub fn fetch_into_with(
    s: &mut Session,
    objects_dir: &Path,
    req: &FetchRequest<'_>,
    promisor: Option<&[u8]>,
    progress: OnProgress<'_>,
    abort: &AtomicBool,
    local: crate::core::odb::pack::ingest::External<'_>,
) -> Result<Received> {
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
    // Indexing a large pack takes a while: report it (objects from the pack's header).
    let total = map.get(8..12).map(|b| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])));
    let mut seen = 0u64;
    let mut indexed = ingest::index_pack_with(&map, local, &mut |_, _, _| {
        seen += 1;
        if seen % 4096 == 0 {
            (progress.borrow_mut())(&Progress { phase: "indexing".into(), done: seen, total, bytes });
        }
    })
    .map_err(bad)?;
    drop(map);
    let mut file = file;
    let thin_bases = indexed.external_bases.len();
    if thin_bases > 0 {
        // Complete the thin pack with its bases, then index what is now a whole pack.
        ingest::fix_thin(&mut file, tmp.path(), &indexed.external_bases, local).map_err(|r| Error::io(tmp.path(), std::io::Error::other(r)))?;
        let reading = std::fs::File::open(tmp.path()).map_err(|e| Error::io(tmp.path(), e))?;
        // SAFETY: as above.
        let map = unsafe { memmap2::Mmap::map(&reading) }.map_err(|e| Error::io(tmp.path(), e))?;
        indexed = ingest::index_pack(&map, &|_| None).map_err(bad)?;
    }
    let n = indexed.entries.len() as u64;
    (progress.borrow_mut())(&Progress { phase: "indexing".into(), done: n, total: Some(n), bytes });
    let mut out = Received { bytes: resp.pack_bytes, shallow: resp.shallow, objects: indexed.entries.len() - thin_bases, thin_bases, ..Default::default() };
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
