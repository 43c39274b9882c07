//! Smart HTTP remotes (`http://`, `https://`; gitprotocol-http): stateless
//! requests that we make look like one stream, as git's `remote-curl` does.
//!
//! - Connecting is `GET <url>/info/refs?service=git-upload-pack` (with
//!   `Git-Protocol: version=2` when asking for v2); its body is the server's
//!   first message (v2 capabilities or the v0 ref advertisement), after the
//!   optional `# service=git-upload-pack` packet and flush that smart servers
//!   put first.
//! - Every request after that is buffered by the writer; the first read after
//!   it sends it as `POST <url>/git-upload-pack` and reads the response body
//!   as the answer.
//!
//! A status other than 2xx or a content type other than git's is
//! `ERR_TRANSPORT` naming it (a "dumb" HTTP server is refused that way).
//! Redirects are followed, and the POSTs go where the advertisement came
//! from. Credentials in the URL (`https://user:pass@host/…`) are sent as
//! Basic auth (not across a redirect) and never shown in messages. TLS is
//! rustls with the webpki roots. Connecting is bounded by
//! [`CONNECT_TIMEOUT`], each read and write by [`IDLE_TIMEOUT`], and each
//! response body by [`MAX_BODY`] bytes.

use std::io::{self, BufReader, Cursor, Read, Write};
use std::sync::Arc;

use parking_lot::Mutex;
use ureq::ResponseExt;

use super::{redact, Connection, Version, CONNECT_TIMEOUT, IDLE_TIMEOUT};
use crate::core::error::{Error, Result};
use crate::core::promisor::pktline::{Reader, MAX_PACKET};
use crate::core::promisor::v2::MAX_FETCH_BYTES;

const ADVERTISEMENT: &str = "application/x-git-upload-pack-advertisement";
const REQUEST: &str = "application/x-git-upload-pack-request";
const RESULT: &str = "application/x-git-upload-pack-result";
const SERVICE_SUFFIX: &str = "/info/refs?service=git-upload-pack";

/// The most we read of one response body: the largest pack we accept and
/// room for the packets around it.
pub const MAX_BODY: u64 = MAX_FETCH_BYTES + (1 << 20);

/// The state shared by the connection's reader and writer.
struct Rpc {
    agent: ureq::Agent,
    /// `<base>/git-upload-pack`, where base is the URL the advertisement
    /// came from after any redirect (as remote-curl updates its base URL).
    post_url: String,
    /// The URL without credentials, for messages.
    shown: String,
    /// The version the server answered the GET in: the POSTs ask for it
    /// (a server that ignored `Git-Protocol` there must not see it later).
    version: Version,
    /// The request being written; sent by the next read.
    request: Vec<u8>,
    /// Bytes handed out before `body`: the advertisement's first packet,
    /// read to see whether it was the `# service=` header.
    prefix: Cursor<Vec<u8>>,
    /// The body of the last response, None before the first.
    body: Option<Box<dyn Read + Send>>,
}

pub(super) fn connect(url: &str, version: Version) -> Result<Connection> {
    let shown = redact(url);
    let err = |reason: String| Error::Transport { url: shown.clone(), reason };
    let base = url.trim_end_matches('/');
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_per_read(Some(IDLE_TIMEOUT))
        .timeout_per_write(Some(IDLE_TIMEOUT))
        // As libgit2 and JGit: some servers only speak the smart protocol to a "git/" agent.
        .user_agent(concat!("git/2.0 (ferrogit/", env!("CARGO_PKG_VERSION"), ")"))
        .build()
        .into();
    let refs_url = format!("{base}{SERVICE_SUFFIX}");
    let mut get = agent.get(&refs_url);
    if version == Version::V2 {
        get = get.header("Git-Protocol", "version=2");
    }
    let resp = get.call().map_err(|e| err(format!("GET info/refs failed: {e}")))?;
    check(&resp, "GET info/refs", ADVERTISEMENT).map_err(err)?;
    let came_from = resp.get_uri().to_string();
    let post_base = match came_from.strip_suffix(SERVICE_SUFFIX) {
        Some(b) if redact(&came_from) != redact(&refs_url) => b.to_string(),
        _ => base.to_string(),
    };
    let mut body: Box<dyn Read + Send> = Box::new(BufReader::with_capacity(1 << 16, resp.into_body().into_with_config().limit(MAX_BODY).reader()));
    let mut prefix = skip_service_header(&mut body).map_err(err)?;
    if prefix.is_empty() {
        prefix = read_packet_bytes(&mut body).map_err(err)?;
    }
    let first = prefix.get(4..).map(|p| p.strip_suffix(b"\n").unwrap_or(p));
    let version = if version == Version::V2 && first == Some(&b"version 2"[..]) { Version::V2 } else { Version::V0 };
    let rpc = Arc::new(Mutex::new(Rpc {
        agent,
        post_url: format!("{post_base}/git-upload-pack"),
        shown: shown.clone(),
        version,
        request: Vec::new(),
        prefix: Cursor::new(prefix),
        body: Some(body),
    }));
    Ok(Connection {
        url: shown,
        reader: Reader::new(Box::new(RpcReader(rpc.clone()))),
        writer: Box::new(RpcWriter(rpc)),
        child: None,
        flush_on_drop: false,
    })
}

/// A 2xx status and the content type `want`, or why not.
fn check(resp: &ureq::http::Response<ureq::Body>, what: &str, want: &str) -> std::result::Result<(), String> {
    let status = resp.status();
    if !status.is_success() {
        let reason = status.canonical_reason().unwrap_or("");
        let hint = match status.as_u16() {
            401 => " (authentication required)",
            403 => " (access denied)",
            404 => " (no repository there)",
            _ => "",
        };
        return Err(format!("{what}: HTTP {} {reason}{hint}", status.as_u16()));
    }
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case(want) {
        return Err(format!("{what}: content type {ct:?}, not {want} (not a smart git HTTP server?)"));
    }
    Ok(())
}

/// Read past `# service=git-upload-pack` and its flush if the body starts
/// with them; otherwise return what was read, to be read again.
fn skip_service_header(r: &mut dyn Read) -> std::result::Result<Vec<u8>, String> {
    let first = read_packet_bytes(r)?;
    let payload = first.get(4..).unwrap_or_default();
    let line = payload.strip_suffix(b"\n").unwrap_or(payload);
    if let Some(service) = line.strip_prefix(b"# service=") {
        if service != b"git-upload-pack" {
            return Err(format!("the server answered for service {:?}", String::from_utf8_lossy(service)));
        }
        let mut flush = [0u8; 4];
        if read_up_to(r, &mut flush)? != 4 || &flush != b"0000" {
            return Err("the smart HTTP header is not followed by a flush packet".into());
        }
        return Ok(Vec::new());
    }
    Ok(first)
}

/// The bytes of the next packet (length and payload), or whatever comes
/// before the stream ends or the length turns out bad.
fn read_packet_bytes(r: &mut dyn Read) -> std::result::Result<Vec<u8>, String> {
    let mut out = vec![0u8; 4];
    let n = read_up_to(r, &mut out)?;
    out.truncate(n);
    let len = std::str::from_utf8(&out).ok().and_then(|s| usize::from_str_radix(s, 16).ok());
    if let Some(len) = len.filter(|l| n == 4 && (5..=MAX_PACKET).contains(l)) {
        out.resize(len, 0);
        let got = read_up_to(r, &mut out[4..])?;
        out.truncate(4 + got);
    }
    Ok(out)
}

/// Fill `buf` unless the stream ends first; how much was read.
fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> std::result::Result<usize, String> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("read failed: {e}")),
        }
    }
    Ok(got)
}

impl Rpc {
    /// Send the buffered request; its response becomes what is read.
    fn post(&mut self) -> io::Result<()> {
        let request = std::mem::take(&mut self.request);
        self.body = None;
        self.prefix = Cursor::new(Vec::new());
        let mut p = self.agent.post(&self.post_url).header("Content-Type", REQUEST).header("Accept", RESULT);
        if self.version == Version::V2 {
            p = p.header("Git-Protocol", "version=2");
        }
        let resp = p.send(&request[..]).map_err(|e| io::Error::other(format!("POST git-upload-pack to {} failed: {e}", self.shown)))?;
        check(&resp, "POST git-upload-pack", RESULT).map_err(io::Error::other)?;
        self.body = Some(Box::new(BufReader::with_capacity(1 << 16, resp.into_body().into_with_config().limit(MAX_BODY).reader())));
        Ok(())
    }
}

/// Reads the current response, first sending a request written since.
struct RpcReader(Arc<Mutex<Rpc>>);

impl Read for RpcReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut rpc = self.0.lock();
        if !rpc.request.is_empty() {
            rpc.post()?;
        }
        let n = rpc.prefix.read(buf)?;
        if n > 0 {
            return Ok(n);
        }
        match &mut rpc.body {
            Some(b) => b.read(buf),
            None => Ok(0),
        }
    }
}

/// Buffers a request until the next read sends it.
struct RpcWriter(Arc<Mutex<Rpc>>);

impl Write for RpcWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().request.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_header_is_skipped_only_when_there() {
        let mut r: &[u8] = b"001e# service=git-upload-pack\n0000000eversion 2\n";
        assert_eq!(skip_service_header(&mut r).unwrap(), b"");
        assert_eq!(r, b"000eversion 2\n");
        let mut r: &[u8] = b"000eversion 2\n0000";
        assert_eq!(skip_service_header(&mut r).unwrap(), b"000eversion 2\n");
        assert_eq!(r, b"0000");
        // Anything else is handed back whole, to fail in the packet reader.
        for other in [&b""[..], b"00", b"0000", b"zzzzzz", b"0010abc", b"fff0xx"] {
            let mut r = other;
            let mut again = skip_service_header(&mut r).unwrap();
            again.extend_from_slice(r);
            assert_eq!(again, other, "{other:?}");
        }
        let mut r: &[u8] = b"001f# service=git-receive-pack\n0000";
        assert!(skip_service_header(&mut r).is_err());
        let mut r: &[u8] = b"001e# service=git-upload-pack\n0010";
        assert!(skip_service_header(&mut r).is_err());
    }
}
