//! The one error type of the core. Every variant carries its context and maps
//! to a stable `ERR_*` code (the table in API.md); the JS layer turns it into a
//! `GitError` with that `code` and the `oid` / `ref` / `path` it names.

use std::fmt;
use std::path::PathBuf;

use crate::core::oid::ObjectId;

/// Every failure the core can report.
#[derive(Debug, Clone)]
pub enum Error {
    /// `open` / `discover` found no repository at or above `path`.
    NotARepository { path: PathBuf },
    /// The repository uses a format version or extension we do not implement.
    UnsupportedExtension { path: PathBuf, what: String },
    /// Not 4–40 hex characters.
    InvalidOid { input: String },
    /// An abbreviation matches more than one object.
    AmbiguousOid { input: String },
    /// No such object.
    ObjectNotFound { oid: ObjectId },
    /// The object exists but has another type than the caller asked for.
    ObjectType { oid: ObjectId, expected: &'static str, actual: &'static str },
    /// Bad zlib, size, header, hash or parse of an object.
    CorruptObject { oid: Option<ObjectId>, path: Option<PathBuf>, reason: String },
    /// Bad pack, index, delta or checksum.
    CorruptPack { oid: Option<ObjectId>, path: Option<PathBuf>, reason: String },
    /// No such ref.
    RefNotFound { name: String },
    /// The name breaks git's check-ref-format rules.
    InvalidRefName { name: String, reason: String },
    /// A symbolic chain loops or is deeper than 5.
    SymrefCycle { name: String },
    /// An unreadable loose ref, packed-refs line or reflog line.
    CorruptRef { name: Option<String>, path: Option<PathBuf>, reason: String },
    /// An expected old value did not match.
    RefConflict { name: String, reason: String },
    /// Create on an existing ref.
    RefExists { name: String },
    /// `a/b` against `a` (either way).
    RefNameConflict { name: String, other: String },
    /// A `.lock` is held by someone else.
    /// `path` is the lock file; None in an in-memory store (held by a prepared transaction).
    RefLocked { name: String, path: Option<PathBuf> },
    /// Revision could not be parsed or resolved.
    InvalidRevision { spec: String, reason: String },
    /// No such path in the tree of `rev`.
    PathNotFound { rev: String, path: String },
    /// A remote could not be reached, or broke the protocol (`url` as given).
    Transport { url: String, reason: String },
    /// Asked not to fetch (`hasObject`, `objectHeader`), and the object is not here.
    NotLocal { oid: ObjectId },
    /// `onOverfull: 'error'` and the promisor cache is over its cap.
    CacheOverfull { bytes: u64, max: u64 },
    /// The repository was closed.
    Closed,
    /// An `AbortSignal` fired.
    Aborted,
    /// Any other filesystem error.
    Io { path: Option<PathBuf>, message: String },
    /// A bug caught at a boundary.
    Internal { message: String },
}

/// Result with the core error.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The stable code of API.md's table.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotARepository { .. } => "ERR_NOT_A_REPOSITORY",
            Error::UnsupportedExtension { .. } => "ERR_UNSUPPORTED_EXTENSION",
            Error::InvalidOid { .. } => "ERR_INVALID_OID",
            Error::AmbiguousOid { .. } => "ERR_AMBIGUOUS_OID",
            Error::ObjectNotFound { .. } => "ERR_OBJECT_NOT_FOUND",
            Error::ObjectType { .. } => "ERR_OBJECT_TYPE",
            Error::CorruptObject { .. } => "ERR_CORRUPT_OBJECT",
            Error::CorruptPack { .. } => "ERR_CORRUPT_PACK",
            Error::RefNotFound { .. } => "ERR_REF_NOT_FOUND",
            Error::InvalidRefName { .. } => "ERR_INVALID_REF_NAME",
            Error::SymrefCycle { .. } => "ERR_SYMREF_CYCLE",
            Error::CorruptRef { .. } => "ERR_CORRUPT_REF",
            Error::RefConflict { .. } => "ERR_REF_CONFLICT",
            Error::RefExists { .. } => "ERR_REF_EXISTS",
            Error::RefNameConflict { .. } => "ERR_REF_NAME_CONFLICT",
            Error::RefLocked { .. } => "ERR_REF_LOCKED",
            Error::InvalidRevision { .. } => "ERR_INVALID_REVISION",
            Error::Transport { .. } => "ERR_TRANSPORT",
            Error::NotLocal { .. } => "ERR_NOT_LOCAL",
            Error::CacheOverfull { .. } => "ERR_CACHE_OVERFULL",
            Error::Closed => "ERR_CLOSED",
            Error::Aborted => "ERR_ABORTED",
            Error::PathNotFound { .. } => "ERR_PATH_NOT_FOUND",
            Error::Io { .. } => "ERR_IO",
            Error::Internal { .. } => "ERR_INTERNAL",
        }
    }

    /// The object id the error is about, if any.
    pub fn oid(&self) -> Option<ObjectId> {
        match self {
            Error::ObjectNotFound { oid } | Error::ObjectType { oid, .. } | Error::NotLocal { oid } => Some(*oid),
            Error::CorruptObject { oid, .. } | Error::CorruptPack { oid, .. } => *oid,
            _ => None,
        }
    }

    /// The ref the error is about, if any.
    pub fn ref_name(&self) -> Option<&str> {
        match self {
            Error::RefNotFound { name }
            | Error::InvalidRefName { name, .. }
            | Error::SymrefCycle { name }
            | Error::RefConflict { name, .. }
            | Error::RefExists { name }
            | Error::RefNameConflict { name, .. }
            | Error::RefLocked { name, .. } => Some(name),
            Error::CorruptRef { name, .. } => name.as_deref(),
            _ => None,
        }
    }

    /// The file the error is about, if any.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Error::NotARepository { path } | Error::UnsupportedExtension { path, .. } => Some(path),
            Error::CorruptObject { path, .. }
            | Error::CorruptPack { path, .. }
            | Error::Io { path, .. }
            | Error::CorruptRef { path, .. }
            | Error::RefLocked { path, .. } => path.as_deref(),
            _ => None,
        }
    }

    /// A corrupt-pack error about `path`.
    pub fn pack(path: &std::path::Path, reason: impl Into<String>) -> Error {
        Error::CorruptPack { oid: None, path: Some(path.to_path_buf()), reason: reason.into() }
    }

    /// A corrupt-object error about `oid`.
    pub fn object(oid: Option<ObjectId>, reason: impl Into<String>) -> Error {
        Error::CorruptObject { oid, path: None, reason: reason.into() }
    }

    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, e: std::io::Error) -> Error {
        Error::Io { path: Some(path.to_path_buf()), message: e.to_string() }
    }

    /// Attach an oid to a corrupt-object or corrupt-pack error that lacks one.
    pub fn with_oid(mut self, id: ObjectId) -> Error {
        match &mut self {
            Error::CorruptObject { oid, .. } | Error::CorruptPack { oid, .. } if oid.is_none() => *oid = Some(id),
            _ => {}
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |p: &Option<PathBuf>| p.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default();
        let of = |o: &Option<ObjectId>| o.map(|o| format!(" {o}")).unwrap_or_default();
        match self {
            Error::NotARepository { path } => {
                write!(f, "not a git repository (or any of the parent directories): {}", path.display())
            }
            Error::UnsupportedExtension { path, what } => {
                write!(f, "repository {} uses {what}, which ferrogit does not support", path.display())
            }
            Error::InvalidOid { input } => write!(f, "invalid object id {input:?}: expected 4 to 40 hex characters"),
            Error::AmbiguousOid { input } => write!(f, "short object id {input} is ambiguous"),
            Error::ObjectNotFound { oid } => write!(f, "object {oid} not found"),
            Error::ObjectType { oid, expected, actual } => {
                write!(f, "object {oid} is a {actual}, not a {expected}")
            }
            Error::CorruptObject { oid, path, reason } => write!(f, "corrupt object{}{}: {reason}", of(oid), at(path)),
            Error::CorruptPack { oid, path, reason } => {
                write!(f, "corrupt pack{}{}: {reason}", at(path), o_for(oid))
            }
            Error::RefNotFound { name } => write!(f, "ref {name} not found"),
            Error::InvalidRefName { name, reason } => write!(f, "invalid ref name {name:?}: {reason}"),
            Error::SymrefCycle { name } => write!(f, "symbolic ref {name} loops or is nested deeper than 5"),
            Error::CorruptRef { name, path, reason } => {
                write!(f, "corrupt ref{}{}: {reason}", name.as_ref().map(|n| format!(" {n}")).unwrap_or_default(), at(path))
            }
            Error::RefConflict { name, reason } => write!(f, "ref {name} was not as expected: {reason}"),
            Error::RefExists { name } => write!(f, "ref {name} already exists"),
            Error::RefNameConflict { name, other } => write!(f, "ref {name} conflicts with existing ref {other}"),
            Error::RefLocked { name, path: Some(path) } => {
                write!(f, "ref {name} is locked: {} exists (another process is updating it, or it is stale)", path.display())
            }
            Error::RefLocked { name, path: None } => write!(f, "ref {name} is locked by a prepared transaction"),
            Error::InvalidRevision { spec, reason } => write!(f, "invalid revision {spec:?}: {reason}"),
            Error::Transport { url, reason } => write!(f, "transport error talking to {url}: {reason}"),
            Error::Closed => write!(f, "the repository is closed"),
            Error::Aborted => write!(f, "the operation was aborted"),
            Error::NotLocal { oid } => write!(f, "object {oid} is not stored locally (it would have to be fetched)"),
            Error::CacheOverfull { bytes, max } => write!(f, "the promisor cache holds {bytes} bytes, over its cap of {max} bytes, with no commit left to evict"),
            Error::PathNotFound { rev, path } => write!(f, "path {path:?} does not exist in {rev}"),
            Error::Io { path, message } => write!(f, "I/O error{}: {message}", at(path)),
            Error::Internal { message } => write!(f, "internal error in ferrogit: {message}"),
        }
    }
}

fn o_for(oid: &Option<ObjectId>) -> String {
    oid.map(|o| format!(" (reading object {o})")).unwrap_or_default()
}

impl std::error::Error for Error {}
