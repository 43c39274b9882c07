//! Writing loose objects as git's `object-file.c` does (`write_loose_object`,
//! `create_tmpfile`, `finalize_object_file`):
//!
//! 1. `"<type> <size>\0" + content` is zlib-compressed at the loose level
//!    (`core.looseCompression`, else `core.compression`, else 1 = best speed,
//!    git's default) into a new temp file `objects/xx/tmp_obj_XXXXXX`, created
//!    with O_EXCL and mode 0444 (less the umask), making the fan-out directory
//!    `objects/xx` if it is missing;
//! 2. the file is fsynced only when the config asks for it
//!    (`core.fsyncObjectFiles = true`, or `core.fsync` naming `loose-object`,
//!    `objects`, `committed`, `added` or `all`), as git, which by default does
//!    not fsync loose objects; `core.fsyncMethod = batch` is treated as a plain
//!    fsync per object;
//! 3. it is hard-linked to its final name `objects/xx/yyyy…` and unlinked (a
//!    rename where hard links fail); if the final name already exists someone
//!    else wrote the same object, which is fine: the temp file just goes.
//!
//! An object is never rewritten: callers check first that it is not already
//! stored anywhere (see `composite::Store::write`). Unlike git we do not
//! "freshen" (touch) an existing object's mtime.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::ZlibEncoder;
use flate2::Compression;

use crate::core::config::Config;
use crate::core::error::{Error, Result};
use crate::core::object::Kind;
use crate::core::oid::ObjectId;

/// How loose objects are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// zlib level 0..=9.
    pub compression: u32,
    /// fsync each object file before linking it into place.
    pub fsync: bool,
}

impl Default for Options {
    /// git's defaults: level 1 (`Z_BEST_SPEED`), no fsync of loose objects.
    fn default() -> Self {
        Options { compression: 1, fsync: false }
    }
}

/// A zlib level as git reads `core.compression`: -1 is zlib's default (6).
fn level(v: &str) -> Option<u32> {
    match v.trim().parse::<i32>().ok()? {
        -1 => Some(6),
        n @ 0..=9 => Some(n as u32),
        _ => None,
    }
}

/// Whether `core.fsync`'s component list covers loose objects (git's
/// `parse_fsync_components`: the default excludes them; a component named
/// without `-` adds it).
fn fsync_components_cover_loose(v: &str) -> bool {
    v.split(',').map(str::trim).any(|c| matches!(c, "loose-object" | "objects" | "committed" | "added" | "all"))
}

impl Options {
    /// The options a repository's config asks for (bad values are ignored: git would refuse them).
    pub fn from_config(config: &Config) -> Options {
        let val = |k: &str| config.get("core", k).flatten();
        let compression = val("loosecompression")
            .and_then(level)
            .or_else(|| val("compression").and_then(level))
            .unwrap_or(Options::default().compression);
        let fsync = config.get_bool("core", "fsyncobjectfiles").unwrap_or(false)
            || val("fsync").is_some_and(fsync_components_cover_loose);
        Options { compression, fsync }
    }
}

/// Where the object `oid` lives under `objects_dir`.
pub fn loose_path(objects_dir: &Path, oid: &ObjectId) -> PathBuf {
    let hex = oid.to_hex();
    objects_dir.join(&hex[..2]).join(&hex[2..])
}

/// Six characters for a temp file name, different per process, call and time.
fn tmp_suffix(attempt: u32) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let mut x = nanos
        ^ (std::process::id() as u64).rotate_left(32)
        ^ COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ attempt as u64;
    // splitmix64 finalizer
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..6).map(|i| CHARS[((x >> (i * 8)) % CHARS.len() as u64) as usize] as char).collect()
}

/// Create a new temp file in `dir` (O_EXCL, mode 0444), making `dir` if it is missing.
fn create_tmpfile(dir: &Path) -> Result<(std::fs::File, PathBuf)> {
    let mut made_dir = false;
    let mut attempt = 0;
    loop {
        let p = dir.join(format!("tmp_obj_{}", tmp_suffix(attempt)));
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o444);
        match o.open(&p) {
            Ok(f) => return Ok((f, p)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !made_dir => {
                made_dir = true;
                match std::fs::create_dir(dir) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(Error::io(dir, e)),
                }
            }
            Err(e) => return Err(Error::io(&p, e)),
        }
    }
}

/// Removes the temp file unless it was moved into place.
struct TmpGuard(Option<PathBuf>);

impl Drop for TmpGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Write `data` as the loose object `oid` (the caller's hash of it as `kind`)
/// under `objects_dir`. Returns false when the final file already existed (a
/// concurrent writer of the same object got there first), true when this call
/// put it there.
pub fn write_loose(objects_dir: &Path, oid: &ObjectId, kind: Kind, data: &[u8], opts: &Options) -> Result<bool> {
    let path = loose_path(objects_dir, oid);
    let dir = path.parent().expect("a loose path has a fan-out dir");
    let (file, tmp) = create_tmpfile(dir)?;
    let mut guard = TmpGuard(Some(tmp.clone()));
    let io = |e: std::io::Error| Error::io(&tmp, e);
    let mut z = ZlibEncoder::new(std::io::BufWriter::with_capacity(64 * 1024, file), Compression::new(opts.compression.min(9)));
    z.write_all(format!("{} {}\0", kind.as_str(), data.len()).as_bytes()).map_err(io)?;
    z.write_all(data).map_err(io)?;
    let file = z.finish().map_err(io)?.into_inner().map_err(|e| io(e.into_error()))?;
    if opts.fsync {
        file.sync_all().map_err(io)?;
    }
    drop(file);
    let written = match std::fs::hard_link(&tmp, &path) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
        // No hard links here (some network or FAT filesystems): rename, as git falls back to.
        Err(_) => match std::fs::rename(&tmp, &path) {
            Ok(()) => {
                guard.0 = None;
                true
            }
            Err(e) => return Err(Error::io(&path, e)),
        },
    };
    drop(guard);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::object;
    use crate::core::testutil::{git_bytes, git_ok, TempDir};

    #[test]
    fn options_from_config() {
        let c = |s: &str| Options::from_config(&Config::parse(s));
        assert_eq!(c(""), Options { compression: 1, fsync: false });
        assert_eq!(c("[core]\ncompression = 9\n").compression, 9);
        assert_eq!(c("[core]\ncompression = 9\nlooseCompression = 0\n").compression, 0);
        assert_eq!(c("[core]\nlooseCompression = -1\n").compression, 6);
        assert_eq!(c("[core]\nlooseCompression = 42\n").compression, 1);
        assert!(c("[core]\nfsyncObjectFiles = true\n").fsync);
        assert!(c("[core]\nfsync = reference,loose-object\n").fsync);
        assert!(c("[core]\nfsync = all\n").fsync);
        assert!(!c("[core]\nfsync = reference,-loose-object\n").fsync);
        assert!(!c("[core]\nfsync = pack\n").fsync);
    }

    #[test]
    fn git_reads_what_we_write() {
        let tmp = TempDir::new("write-loose");
        let d = &tmp.0;
        git_ok(d, &["init", "-q", "--bare"]);
        let objects = d.join("objects");
        let big: Vec<u8> = (0..300_000u32).flat_map(|i| i.to_le_bytes()).collect();
        for (i, data) in [&b""[..], b"hello\n", &big].into_iter().enumerate() {
            let oid = object::hash(Kind::Blob, data);
            let opts = Options { compression: [1, 9, 0][i], fsync: i == 1 };
            assert!(write_loose(&objects, &oid, Kind::Blob, data, &opts).expect("writes"));
            assert_eq!(git_bytes(d, &["cat-file", "blob", &oid.to_hex()], None), data);
            let p = loose_path(&objects, &oid);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                assert_eq!(std::fs::metadata(&p).expect("stat").permissions().mode() & 0o222, 0, "read-only");
            }
            // The same object again: the existing file stays, no temp file is left.
            assert!(!write_loose(&objects, &oid, Kind::Blob, data, &opts).expect("writes"));
        }
        let leftovers: Vec<_> = walk(&objects).into_iter().filter(|p| p.to_string_lossy().contains("tmp_obj_")).collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        let fsck = crate::core::testutil::git_output(d, &["fsck", "--strict"], None);
        assert!(fsck.status.success(), "{}", String::from_utf8_lossy(&fsck.stderr));
    }

    fn walk(d: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
        out
    }
}

/// A received pack: bytes in memory, or a file already written in the
/// same `objects/pack` directory (by [`create_pack_tmpfile`]), which is
/// renamed into place.
pub enum PackData<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
}

/// Put a received pack into `objects_dir/pack` as `pack-<checksum>.pack`, its
/// `.idx` and, for a promisor remote's pack, a `.promisor` file holding
/// `promisor` (git writes the refs it fetched there; empty is fine). Each file
/// is written to a temp file and renamed into place, the `.idx` last, because
/// readers find packs by their index: until it appears nothing sees the pack,
/// and a failure leaves nothing behind. A pack already there is kept as is.
pub fn write_pack(objects_dir: &Path, checksum: &[u8; 20], pack: PackData<'_>, idx: &[u8], promisor: Option<&[u8]>) -> Result<PathBuf> {
    use std::io::Write;
    let dir = objects_dir.join("pack");
    let hex: String = checksum.iter().map(|b| format!("{b:02x}")).collect();
    let base = dir.join(format!("pack-{hex}"));
    let idx_path = base.with_extension("idx");
    if idx_path.exists() {
        return Ok(base.with_extension("pack"));
    }
    let mut files: Vec<(PackData<'_>, PathBuf)> = vec![(pack, base.with_extension("pack"))];
    if let Some(p) = promisor {
        files.push((PackData::Bytes(p), base.with_extension("promisor")));
    }
    files.push((PackData::Bytes(idx), idx_path));
    let mut placed: Vec<PathBuf> = Vec::new();
    let result = (|| -> Result<()> {
        for (data, dest) in &files {
            match data {
                PackData::Bytes(bytes) => {
                    let (mut f, tmp) = create_tmpfile(&dir)?;
                    let mut guard = TmpGuard(Some(tmp.clone()));
                    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| Error::io(&tmp, e))?;
                    drop(f);
                    std::fs::rename(&tmp, dest).map_err(|e| Error::io(dest, e))?;
                    guard.0 = None;
                }
                PackData::File(tmp) => std::fs::rename(tmp, dest).map_err(|e| Error::io(dest, e))?,
            }
            placed.push(dest.clone());
        }
        Ok(())
    })();
    if let Err(e) = result {
        for p in placed {
            let _ = std::fs::remove_file(p);
        }
        return Err(e);
    }
    Ok(base.with_extension("pack"))
}

/// A new temp file in `objects_dir/pack` for a pack being received, removed
/// when the returned guard drops unless [`TmpFile::keep`] was called (after
/// [`write_pack`] renamed it).
pub fn create_pack_tmpfile(objects_dir: &Path) -> Result<(std::fs::File, TmpFile)> {
    let (f, p) = create_tmpfile(&objects_dir.join("pack"))?;
    Ok((f, TmpFile(TmpGuard(Some(p)))))
}

/// A temp file that is removed on drop unless kept.
pub struct TmpFile(TmpGuard);

impl TmpFile {
    pub fn path(&self) -> &Path {
        self.0 .0.as_deref().unwrap_or(Path::new(""))
    }
    /// It was moved into place: do not remove it.
    pub fn keep(mut self) {
        self.0 .0 = None;
    }
}
