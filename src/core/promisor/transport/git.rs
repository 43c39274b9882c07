//! `git://` remotes: a TCP connection to `git daemon`, opened with a
//! git-proto-request packet naming the service, the path and the host, with
//! `version=2` as an extra parameter when we ask for protocol v2
//! (gitprotocol-pack "Git Transport", gitprotocol-v2 "git transport").
//! After that the stream is upload-pack's, as for a local remote.
//!
//! A dead or silent server cannot hang us: connecting is bounded by
//! [`CONNECT_TIMEOUT`] and every read and write by [`IDLE_TIMEOUT`].

use std::io::BufReader;
use std::net::{TcpStream, ToSocketAddrs};

use super::{redact, Connection, Version, CONNECT_TIMEOUT, IDLE_TIMEOUT};
use crate::core::error::{Error, Result};
use crate::core::promisor::pktline::{self, Reader};

pub(super) fn connect(url: &str, host: &str, port: u16, path: &str, version: Version) -> Result<Connection> {
    let err = |reason: String| Error::Transport { url: redact(url), reason };
    let addrs: Vec<_> = (host, port).to_socket_addrs().map_err(|e| err(format!("cannot resolve {host}: {e}")))?.collect();
    let mut last = None;
    let mut stream = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, CONNECT_TIMEOUT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let stream = stream.ok_or_else(|| match last {
        Some(e) => err(format!("cannot connect to {host}:{port}: {e}")),
        None => err(format!("{host} has no address")),
    })?;
    let setup = |e: std::io::Error| err(format!("cannot set up the connection: {e}"));
    stream.set_read_timeout(Some(IDLE_TIMEOUT)).map_err(setup)?;
    stream.set_write_timeout(Some(IDLE_TIMEOUT)).map_err(setup)?;
    let _ = stream.set_nodelay(true);
    let mut writer = stream.try_clone().map_err(setup)?;
    // git-proto-request = request-command SP pathname NUL [ host-parameter NUL ] [ NUL extra-parameters ]
    let mut req = format!("git-upload-pack {path}\0host=");
    req.push_str(&if host.contains(':') { format!("[{host}]") } else { host.to_string() });
    if port != 9418 {
        req.push_str(&format!(":{port}"));
    }
    req.push('\0');
    if version == Version::V2 {
        req.push_str("\0version=2\0");
    }
    let mut out = Vec::new();
    pktline::data(&mut out, req.as_bytes());
    pktline::send(&mut writer, &out).map_err(err)?;
    Ok(Connection {
        url: redact(url),
        reader: Reader::new(Box::new(BufReader::with_capacity(1 << 16, QuickAck(stream)))),
        writer: Box::new(writer),
        child: None,
        flush_on_drop: true,
    })
}

/// The read half of a `git://` connection, acknowledging at once what it
/// reads (Linux `TCP_QUICKACK`, which the kernel clears again, so it is set
/// before every read). upload-pack sends its reply in several small writes
/// with Nagle's algorithm on, so each one after the first waits for our ACK;
/// a delayed ACK (40 ms) would stall every small fetch, a lazy read's above all.
struct QuickAck(TcpStream);

impl std::io::Read for QuickAck {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let one: libc::c_int = 1;
            // SAFETY: a valid socket descriptor and a c_int option of the right size; failure is harmless.
            unsafe {
                libc::setsockopt(
                    self.0.as_raw_fd(),
                    libc::IPPROTO_TCP,
                    libc::TCP_QUICKACK,
                    (&one as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                );
            }
        }
        self.0.read(buf)
    }
}
