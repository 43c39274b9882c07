//! Transports: a connection to a remote's upload-pack, whatever carries it.
//! So far a local path or `file://` URL, served by `git-upload-pack` on
//! stdio (as git itself does for local remotes); `git://` and smart HTTP come
//! next and give the same [`Connection`].

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};

use crate::core::error::{Error, Result};
use crate::core::promisor::pktline::Reader;

/// A bidirectional byte stream to an upload-pack speaking protocol v2.
pub struct Connection {
    /// The URL as given, for errors.
    pub url: String,
    pub reader: Reader<Box<dyn Read + Send>>,
    pub writer: Box<dyn Write + Send>,
    child: Option<Child>,
}

impl Connection {
    /// An `ERR_TRANSPORT` about this connection.
    pub fn err(&self, reason: impl Into<String>) -> Error {
        Error::Transport { url: self.url.clone(), reason: reason.into() }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
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
    let bad = |reason: &str| Error::Transport { url: url.to_string(), reason: reason.to_string() };
    if let Some(rest) = url.strip_prefix("file://") {
        if !rest.starts_with('/') {
            return Err(bad("a file:// URL needs an absolute path"));
        }
        return Ok(Target::Local(rest.into()));
    }
    if let Some(rest) = url.strip_prefix("git://") {
        let (hostport, path) = rest.split_once('/').ok_or_else(|| bad("a git:// URL needs a path"))?;
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad("bad port"))?),
            None => (hostport, 9418),
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

/// Connect to the upload-pack behind `url`, asking for protocol v2.
pub fn connect(url: &str) -> Result<Connection> {
    match parse_url(url)? {
        Target::Local(path) => connect_local(url, &path),
        Target::Git { .. } | Target::Http(_) => {
            Err(Error::Transport { url: url.to_string(), reason: "git:// and http(s):// are not supported yet".into() })
        }
    }
}

fn connect_local(url: &str, path: &std::path::Path) -> Result<Connection> {
    let err = |reason: String| Error::Transport { url: url.to_string(), reason };
    if !path.exists() {
        return Err(err(format!("{} does not exist", path.display())));
    }
    let mut child = Command::new("git-upload-pack")
        .arg(path)
        .env("GIT_PROTOCOL", "version=2")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| err(format!("cannot run git-upload-pack: {e}")))?;
    let stdout = child.stdout.take().ok_or_else(|| err("no stdout".into()))?;
    let stdin = child.stdin.take().ok_or_else(|| err("no stdin".into()))?;
    Ok(Connection { url: url.to_string(), reader: Reader::new(Box::new(stdout)), writer: Box::new(stdin), child: Some(child) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(parse_url("file:///srv/r.git").unwrap(), Target::Local("/srv/r.git".into()));
        assert_eq!(parse_url("../r").unwrap(), Target::Local("../r".into()));
        assert_eq!(parse_url("git://h:9000/a/b").unwrap(), Target::Git { host: "h".into(), port: 9000, path: "/a/b".into() });
        assert_eq!(parse_url("git://h/a").unwrap(), Target::Git { host: "h".into(), port: 9418, path: "/a".into() });
        assert_eq!(parse_url("http://h/r").unwrap(), Target::Http("http://h/r".into()));
        for bad in ["file://rel", "git://h", "git://:1/x", "git://h:x/y", "ssh://h/r"] {
            assert_eq!(parse_url(bad).unwrap_err().code(), "ERR_TRANSPORT", "{bad}");
        }
    }
}
