//! Talking to git servers: pkt-line framing, transports (a local path or
//! `file://` through `git-upload-pack`, `git://` to `git daemon`, smart
//! HTTP(S)), protocols v2 and v0 behind one [`session::Session`], and what is
//! built on it: storing fetched packs and bare clones (the lazy promisor
//! store lives in `odb::composite`).

pub mod clone;
pub mod pktline;
pub mod session;
pub mod transport;
pub mod v0;
pub mod v2;
