//! The index (git's "dircache", `.git/index`): the staged tree as a flat,
//! sorted list of paths with the stat data of their work-tree files, so git
//! can tell an unchanged file by its `lstat` alone
//! (<https://git-scm.com/docs/index-format>, git's `read-cache.c`).
//!
//! Version 2, the one written here, is:
//!
//! - a 12-byte header: `DIRC`, the version (2), the number of entries, all
//!   big-endian 32-bit;
//! - the entries sorted by path bytes (`memcmp`, a shorter path first when one
//!   is a prefix of the other, then by stage: git's `cache_name_compare`),
//!   each: ctime sec, ctime nsec, mtime sec, mtime nsec, dev, ino, mode, uid,
//!   gid, size (ten big-endian 32-bit fields, each truncated to 32 bits as
//!   git's `fill_stat_data` does), the 20-byte object id, 16 bits of flags
//!   (assume-valid, extended, a 2-bit stage, and the path length, 0xFFF when
//!   it is longer), the path, then 1 to 8 NUL bytes so the entry's length is
//!   a multiple of 8;
//! - extensions (none written here);
//! - the SHA-1 of everything before it.
//!
//! Version 3 adds a second 16-bit flags word to entries with the extended
//! flag (skip-worktree, intent-to-add); [`read`] accepts it. Version 4
//! (prefix-compressed paths) is not read.

pub mod read;
pub mod write;

use crate::core::oid::ObjectId;

pub use read::read;
pub use write::{lock, write, Locked};

/// The stat data git keeps per entry, each field truncated to 32 bits as
/// git's `fill_stat_data` stores it (`(unsigned int)st->st_size` and so on).
/// All zero for an entry whose file git has not looked at (a gitlink added
/// with `update-index --cacheinfo`, or one whose directory is empty).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub ctime_sec: u32,
    pub ctime_nsec: u32,
    pub mtime_sec: u32,
    pub mtime_nsec: u32,
    pub dev: u32,
    pub ino: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u32,
}

impl Stat {
    /// The stat data of `m`, as git records it: from `fstat` of the file just
    /// written, or `lstat` for a symlink (never `stat`, which would follow it).
    #[cfg(unix)]
    pub fn from_metadata(m: &std::fs::Metadata) -> Stat {
        use std::os::unix::fs::MetadataExt;
        // Truncation to 32 bits is the format: git compares the low bits only.
        Stat {
            ctime_sec: m.ctime() as u32,
            ctime_nsec: m.ctime_nsec() as u32,
            mtime_sec: m.mtime() as u32,
            mtime_nsec: m.mtime_nsec() as u32,
            dev: m.dev() as u32,
            ino: m.ino() as u32,
            uid: m.uid(),
            gid: m.gid(),
            size: m.size() as u32,
        }
    }
}

/// One entry of the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// 0 for a merged path (all a checkout writes); 1 to 3 for the base,
    /// ours and theirs of a conflict.
    pub stage: u8,
    /// The path from the top of the work tree, `/`-separated, no leading or trailing `/`.
    pub path: Vec<u8>,
    /// 0o100644, 0o100755, 0o120000 (symlink) or 0o160000 (gitlink).
    pub mode: u32,
    /// The blob (the commit for a gitlink).
    pub oid: ObjectId,
    /// The work-tree file's stat data when it was written.
    pub stat: Stat,
}

/// The signature opening every index file.
pub(crate) const SIGNATURE: &[u8; 4] = b"DIRC";
/// Bytes of an entry before its path: ten 32-bit stat fields, the id, the flags.
pub(crate) const ENTRY_FIXED: usize = 40 + 20 + 2;
/// The path length stored in the flags when the path is at least this long.
pub(crate) const NAME_MASK: u16 = 0x0FFF;
/// Flags bit of an entry carrying a second flags word (version 3 and up).
pub(crate) const FLAG_EXTENDED: u16 = 0x4000;
/// The stage bits of the flags.
pub(crate) const STAGE_MASK: u16 = 0x3000;
