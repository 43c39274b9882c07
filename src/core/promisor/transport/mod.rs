//! Transports: a connection to a remote's upload-pack, whatever carries it.
//!
//! - a local path or `file://` URL: `git-upload-pack` on stdio, as git itself
//!   does for local remotes ([`file`]);
//! - `git://`: a TCP connection to `git daemon` ([`git`]);
//! - `http://` and `https://`: git's smart HTTP protocol, stateless requests
//!   made to look like one stream ([`http`]).
//!
//! Each gives the same [`Connection`]: packets written to `writer` are
//! answered on `reader`. We ask for protocol v2 (or, when told to, for v0);
//! what the server actually speaks is read from its first packet by
//! [`crate::core::promisor::session`].

pub mod file;
pub mod git;
pub mod http;

use std::io::{Read, Write};
use std::process::Child;
use std::time::Duration;

use crate::core::error::{Error, Result};
use crate::core::promisor::pktline::Reader;

/// How long to wait for a TCP connection (git://, http://) to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a network read or write may wait with nothing moving before the
/// remote is taken for dead.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

/// The protocol version to ask the server for. It may answer with an older
/// one: a server without v2 (or one told not to speak it) answers in v0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Version {
    /// The original protocol: the server advertises every ref as soon as we
    /// connect, then we send wants and haves.
    V0,
    /// Protocol v2 (gitprotocol-v2): commands (`ls-refs`, `fetch`) on request.
    #[default]
    V2,
}

impl Version {
    /// What [`connect`] asks for: v2, unless `FERROGIT_PROTOCOL=0` is set in
    /// the environment (for tests of the v0 path from outside the crate).
    pub fn preferred() -> Version {
        match std::env::var("FERROGIT_PROTOCOL").as_deref() {
            Ok("0") | Ok("1") => Version::V0,
            _ => Version::V2,
        }
    }
}

/// A bidirectional byte stream to an upload-pack.
pub struct Connection {
    /// The URL as given, without any credentials, for errors.
    pub url: String,
    pub reader: Reader<Box<dyn Read + Send>>,
    pub writer: Box<dyn Write + Send>,
    /// The local `git-upload-pack` we spawned, killed on drop.
    child: Option<Child>,
    /// Send a flush packet on drop: it ends a v2 session and says "nothing
    /// wanted" to a v0 server, so a daemon's upload-pack exits cleanly
    /// instead of reporting a hang-up.
    flush_on_drop: bool,
}

impl Connection {
    /// An `ERR_TRANSPORT` about this connection.
    pub fn err(&self, reason: impl Into<String>) -> Error {
        Error::Transport { url: self.url.clone(), reason: reason.into() }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.flush_on_drop {
            // Best effort: the server may be gone already.
            let _ = self.writer.write_all(b"0000").and_then(|_| self.writer.flush());
        }
        if let Some(mut c) = self.child.take() {
            // Closing our end of stdin ends upload-pack; don't leave it running if it has not.
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Where a URL points.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    Local(std::path::PathBuf),
    Git { host: String, port: u16, path: String },
    Http(String),
}

/// Classify `url` as git does: `file://`, `git://`, `http(s)://`, or a plain path.
pub fn parse_url(url: &str) -> Result<Target> {
    let bad = |reason: &str| Error::Transport { url: redact(url), reason: reason.to_string() };
    if let Some(rest) = url.strip_prefix("file://") {
        if !rest.starts_with('/') {
            return Err(bad("a file:// URL needs an absolute path"));
        }
        return Ok(Target::Local(rest.into()));
    }
    if let Some(rest) = url.strip_prefix("git://") {
        let (hostport, path) = rest.split_once('/').ok_or_else(|| bad("a git:// URL needs a path"))?;
        // An IPv6 literal is bracketed: git://[::1]:9418/r
        let (host, port) = match hostport.strip_prefix('[').and_then(|h| h.split_once(']')) {
            Some((h, "")) => (h, 9418),
            Some((h, p)) => (h, p.strip_prefix(':').and_then(|p| p.parse::<u16>().ok()).ok_or_else(|| bad("bad port"))?),
            None => match hostport.rsplit_once(':') {
                Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad("bad port"))?),
                None => (hostport, 9418),
            },
        };
        if host.is_empty() {
            return Err(bad("a git:// URL needs a host"));
        }
        return Ok(Target::Git { host: host.to_string(), port, path: format!("/{path}") });
    }
    if url.starts_with("http://") || url.starts_with("https://") {
        return Ok(Target::Http(url.to_string()));
    }
    if url.contains("://") {
        return Err(bad("unsupported URL scheme"));
    }
    Ok(Target::Local(url.into()))
}

/// `url` without the `user:password@` part of its authority, for messages
/// (as git's `transport_anonymize_url`).
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// Connect to the upload-pack behind `url`, asking for [`Version::preferred`].
pub fn connect(url: &str) -> Result<Connection> {
    connect_with(url, Version::preferred())
}

/// Connect to the upload-pack behind `url`, asking for protocol `version`.
pub fn connect_with(url: &str, version: Version) -> Result<Connection> {
    match parse_url(url)? {
        Target::Local(path) => file::connect(url, &path, version),
        Target::Git { host, port, path } => git::connect(url, &host, port, &path, version),
        Target::Http(u) => http::connect(&u, version),
    }
}

#[cfg(test)]
mod tests;
