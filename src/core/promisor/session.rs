//! A session with a remote's upload-pack: the transport for its URL, the
//! protocol it speaks, and the two commands everything else is built on,
//! listing refs and fetching a pack. Callers never see which transport or
//! protocol version carries them.

use std::path::Path;

use crate::core::error::{Error, Result};
use crate::core::oid::ObjectId;
use crate::core::promisor::transport::{self, Connection};
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

/// Fetch `req` and store the pack in `objects_dir/pack`: received into a temp
/// file there (memory stays bounded whatever the pack's size), checked and
/// indexed, then moved into place with its `.idx` (and `.promisor` holding
/// `promisor`, for a promisor remote). On any failure nothing is left behind.
pub fn fetch_into(s: &mut Session, objects_dir: &Path, req: &FetchRequest<'_>, promisor: Option<&[u8]>, progress: &mut dyn FnMut(&[u8])) -> Result<Received> {
    use crate::core::odb::{pack::ingest, write};
    use std::io::Write;
    let (file, tmp) = write::create_pack_tmpfile(objects_dir)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
    let resp = s.fetch(req, &mut w, progress)?;
    let file = w.into_inner().map_err(|e| Error::io(tmp.path(), e.into_error()))?;
    (&file).flush().map_err(|e| Error::io(tmp.path(), e))?;
    // Written through a write-only descriptor: map it through a reading one.
    let reading = std::fs::File::open(tmp.path()).map_err(|e| Error::io(tmp.path(), e))?;
    // SAFETY: the temp file is ours alone (created O_EXCL, read-only mode) and not changed while mapped.
    let map = unsafe { memmap2::Mmap::map(&reading) }.map_err(|e| Error::io(tmp.path(), e))?;
    let bad = |r: String| s.err(format!("the server sent a bad pack: {r}"));
    let indexed = ingest::index_pack(&map, &|_| None).map_err(bad)?;
    drop(map);
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
