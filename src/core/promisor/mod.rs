//! Talking to git servers: pkt-line framing, transports (a local path or
//! `file://` through `git-upload-pack`; `git://` and smart HTTP to come) and
//! protocol v2 (`ls-refs` so far). Pack ingest, clone, fetch and the lazy
//! promisor store are built on these (issue 5; not yet).

pub mod clone;
pub mod pktline;
pub mod session;
pub mod transport;
pub mod v2;
