//! Packfiles: `.idx` v2 look-up, `.pack` entries, delta resolution and the
//! delta-base cache (<https://git-scm.com/docs/gitformat-pack>).

pub mod cache;
pub mod data;
pub mod delta;
pub mod index;
pub mod ingest;
pub mod readahead;

pub use data::Pack;
