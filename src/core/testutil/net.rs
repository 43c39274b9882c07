//! Servers for transport tests, all on 127.0.0.1 with a port of their own,
//! stopped (and their processes killed) when dropped, even by a panic:
//!
//! - [`GitDaemon`]: `git daemon` exporting a directory (`git://`);
//! - [`HttpServer`]: a small HTTP/1.1 server running `git http-backend` as a
//!   CGI for each request (smart HTTP), with a hook to answer some requests
//!   itself (errors, redirects, authentication);
//! - [`TcpServer`]: any handler per connection (garbage, cut connections);
//! - [`CutProxy`]: forwards to another port, and closes after N bytes back.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::command;

/// Kills and reaps a child process when dropped.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A git program run directly from git's exec path (`git-daemon`, not
/// `git daemon`): killing `git daemon` would leave its `git-daemon` child running.
fn git_program(name: &str, dir: &Path) -> std::process::Command {
    static EXEC_PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let exec = EXEC_PATH.get_or_init(|| {
        let out = std::process::Command::new("git").arg("--exec-path").output().expect("git --exec-path");
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    });
    command(&exec.join(name).display().to_string(), dir)
}

/// A port nothing listens on right now (another process may take it).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

/// `git daemon` serving the repositories under `base` (as `git://127.0.0.1:<port>/<name>`).
pub struct GitDaemon {
    pub port: u16,
    _child: ChildGuard,
}

impl GitDaemon {
    pub fn start(base: &Path) -> GitDaemon {
        for _ in 0..5 {
            let port = free_port();
            let child = git_program("git-daemon", base)
                .args(["--reuseaddr", "--listen=127.0.0.1", "--informative-errors", "--export-all", "--enable=upload-pack"])
                .arg(format!("--port={port}"))
                .arg(format!("--base-path={}", base.display()))
                .arg(base)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("git daemon runs");
            let mut guard = ChildGuard(child);
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return GitDaemon { port, _child: guard };
                }
                if guard.0.try_wait().ok().flatten().is_some() {
                    break; // it could not listen there: try another port
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("git daemon did not start");
    }

    /// The `git://` URL of `name` under the base path.
    pub fn url(&self, name: &str) -> String {
        format!("git://127.0.0.1:{}/{name}", self.port)
    }
}

/// Accepts connections on 127.0.0.1 and hands each to `handler` on its own
/// thread, until dropped.
pub struct TcpServer {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TcpServer {
    pub fn start(handler: impl Fn(TcpStream) + Send + Sync + 'static) -> TcpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
                let _ = conn.set_write_timeout(Some(Duration::from_secs(30)));
                let h = handler.clone();
                std::thread::spawn(move || h(conn));
            }
        });
        TcpServer { port, stop, thread: Some(thread) }
    }
}

impl Drop for TcpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A request as the HTTP server read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A response the hook gives instead of running `git http-backend`.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Response {
        Response { status, headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), body: body.to_vec() }
    }
}

/// Answers a request itself (Some) or lets `git http-backend` answer it (None).
pub type Hook = dyn Fn(&Request) -> Option<Response> + Send + Sync;

/// An HTTP/1.1 server running `git http-backend` as a CGI over the
/// repositories under `root` (`http://127.0.0.1:<port>/<name>`), one request
/// per connection (`Connection: close`), responses streamed chunked.
pub struct HttpServer {
    server: TcpServer,
    /// `METHOD path?query git-protocol` of every request, in order.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl HttpServer {
    pub fn start(root: &Path, hook: Option<Box<Hook>>) -> HttpServer {
        HttpServer::start_with(root, hook, false)
    }

    /// With `v0_get`, the `Git-Protocol` header of a GET is not passed to
    /// git (a server that does not forward it): the advertisement is v0.
    pub fn start_with(root: &Path, hook: Option<Box<Hook>>, v0_get: bool) -> HttpServer {
        let root: PathBuf = root.to_path_buf();
        let log = Arc::new(Mutex::new(Vec::new()));
        let logged = log.clone();
        let server = TcpServer::start(move |conn| {
            let _ = serve_one(conn, &root, hook.as_deref(), v0_get, &logged);
        });
        HttpServer { server, log }
    }

    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// The URL of `name` under the root.
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.server.port)
    }

    /// The requests so far.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

fn serve_one(conn: TcpStream, root: &Path, hook: Option<&Hook>, v0_get: bool, log: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut out = conn.try_clone()?;
    let mut r = BufReader::new(conn);
    let req = read_request(&mut r)?;
    if let Ok(mut l) = log.lock() {
        l.push(format!("{} {}?{} {}", req.method, req.path, req.query, req.header("git-protocol").unwrap_or("-")));
    }
    if let Some(resp) = hook.and_then(|h| h(&req)) {
        let mut head = format!("HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n", resp.status, resp.body.len());
        for (k, v) in &resp.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        out.write_all(head.as_bytes())?;
        out.write_all(&resp.body)?;
        return out.flush();
    }
    let mut cgi = git_program("git-http-backend", root);
    cgi.env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", &req.path)
        .env("QUERY_STRING", &req.query)
        .env("REQUEST_METHOD", &req.method)
        .env("CONTENT_TYPE", req.header("content-type").unwrap_or(""))
        .env("CONTENT_LENGTH", req.body.len().to_string())
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    match req.header("git-protocol") {
        Some(p) if !(v0_get && req.method == "GET") => cgi.env("GIT_PROTOCOL", p),
        _ => cgi.env_remove("GIT_PROTOCOL"),
    };
    let mut child = ChildGuard(cgi.spawn()?);
    let mut stdin = child.0.stdin.take().ok_or_else(|| std::io::Error::other("no stdin"))?;
    let body = req.body.clone();
    let writer = std::thread::spawn(move || stdin.write_all(&body));
    let mut stdout = BufReader::new(child.0.stdout.take().ok_or_else(|| std::io::Error::other("no stdout"))?);
    // CGI headers, up to a blank line; `Status:` becomes the status line.
    let mut status = "200 OK".to_string();
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        match line.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_string(),
            Some(_) => head.push_str(&format!("{line}\r\n")),
            None => {}
        }
    }
    out.write_all(format!("HTTP/1.1 {status}\r\n{head}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").as_bytes())?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = stdout.read(&mut buf)?;
        if n == 0 {
            break;
        }
        out.write_all(format!("{n:x}\r\n").as_bytes())?;
        out.write_all(&buf[..n])?;
        out.write_all(b"\r\n")?;
    }
    out.write_all(b"0\r\n\r\n")?;
    out.flush()?;
    let _ = writer.join();
    let _ = out.shutdown(Shutdown::Both);
    Ok(())
}

/// Read one request: its head (at most 64 KiB) and a body given by
/// `Content-Length` or chunked.
fn read_request(r: &mut BufReader<TcpStream>) -> std::io::Result<Request> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().ok_or_else(|| bad("no method"))?.to_string();
    let target = parts.next().ok_or_else(|| bad("no target"))?.to_string();
    let (path, query) = target.split_once('?').map(|(p, q)| (p.to_string(), q.to_string())).unwrap_or((target.clone(), String::new()));
    let mut headers = Vec::new();
    let mut total = line.len();
    loop {
        let mut h = String::new();
        let n = r.read_line(&mut h)?;
        total += n;
        if n == 0 || total > 1 << 16 {
            return Err(bad("bad head"));
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let get = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v): &(String, String)| v.clone());
    let mut body = Vec::new();
    if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            r.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16).map_err(|_| bad("bad chunk"))?;
            let mut chunk = vec![0u8; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = get("content-length") {
        let n: usize = n.parse().map_err(|_| bad("bad length"))?;
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    }
    Ok(Request { method, path, query, headers, body })
}

/// A proxy to `127.0.0.1:<upstream>` that passes the client's bytes through
/// and closes both connections after `limit` bytes back (a server that dies
/// mid-answer).
pub struct CutProxy {
    pub server: TcpServer,
}

impl CutProxy {
    pub fn start(upstream: u16, limit: usize) -> CutProxy {
        let server = TcpServer::start(move |client| {
            let Ok(up) = TcpStream::connect(("127.0.0.1", upstream)) else { return };
            let (Ok(mut client_r), Ok(mut up_w)) = (client.try_clone(), up.try_clone()) else { return };
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut client_r, &mut up_w);
                let _ = up_w.shutdown(Shutdown::Write);
            });
            let mut up_r = up;
            let mut client_w = client;
            let mut left = limit;
            let mut buf = [0u8; 4096];
            while left > 0 {
                let n = match up_r.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n.min(left),
                };
                if client_w.write_all(&buf[..n]).is_err() {
                    break;
                }
                left -= n;
            }
            let _ = client_w.shutdown(Shutdown::Both);
            let _ = up_r.shutdown(Shutdown::Both);
        });
        CutProxy { server }
    }

    pub fn port(&self) -> u16 {
        self.server.port
    }
}

/// Deterministic pseudo-random bytes (xorshift), for garbage.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
