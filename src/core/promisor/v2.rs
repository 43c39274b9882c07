//! Protocol v2 (gitprotocol-v2): the capability advertisement, `ls-refs`
//! and `fetch` (with `done`: no negotiation rounds), and the sideband pack
//! stream that v0 shares.

use crate::core::error::{Error, Result};
use crate::core::oid::ObjectId;
use crate::core::promisor::pktline::{self, Packet};
use crate::core::promisor::transport::Connection;

/// What the server advertised: `key` or `key=value` lines after `version 2`.
#[derive(Debug, Default)]
pub struct Capabilities {
    pub lines: Vec<String>,
}

impl Capabilities {
    /// The value of capability `key`: `Some("")` for a bare key, None if absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        capability(&self.lines, key)
    }
}

/// The value of `key` among capability lines (`key` or `key=value`, v2's
/// advertisement or v0's first ref line): `Some("")` for a bare key.
pub fn capability<'a>(lines: &'a [String], key: &str) -> Option<&'a str> {
    lines.iter().find_map(|l| match l.split_once('=') {
        Some((k, v)) if k == key => Some(v),
        None if l == key => Some(""),
        _ => None,
    })
}

/// Read the capability advertisement; it must be protocol v2.
pub fn handshake(c: &mut Connection) -> Result<Capabilities> {
    let p = c.reader.read().map_err(|r| Error::Transport { url: c.url.clone(), reason: r })?;
    if p.line() != Some(b"version 2") {
        let got = String::from_utf8_lossy(p.line().unwrap_or_default()).into_owned();
        return Err(c.err(format!("the server does not speak protocol v2 (it said {got:?})")));
    }
    read_capabilities(c)
}

/// The capability lines after `version 2`, up to the flush.
pub fn read_capabilities(c: &mut Connection) -> Result<Capabilities> {
    let mut caps = Capabilities::default();
    loop {
        let url = &c.url;
        let p = c.reader.read().map_err(|r| Error::Transport { url: url.clone(), reason: r })?;
        match p.line() {
            Some(l) => caps.lines.push(String::from_utf8_lossy(l).into_owned()),
            None if p == Packet::Flush => return Ok(caps),
            None => return Err(Error::Transport { url: url.clone(), reason: "unexpected packet in the capability advertisement".into() }),
        }
    }
}

/// The start of a v2 request: the command, our agent, the object format when
/// the server names one, and the delimiter before the arguments.
fn command(name: &str, caps: &Capabilities) -> Vec<u8> {
    let mut req = Vec::new();
    pktline::line(&mut req, &format!("command={name}"));
    pktline::line(&mut req, concat!("agent=ferrogit/", env!("CARGO_PKG_VERSION")));
    if caps.get("object-format").is_some() {
        pktline::line(&mut req, "object-format=sha1");
    }
    pktline::delim(&mut req);
    req
}

/// One ref as `ls-refs` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRef {
    pub name: String,
    /// None for an unborn ref (HEAD of an empty repository).
    pub oid: Option<ObjectId>,
    pub symref_target: Option<String>,
    pub peeled: Option<ObjectId>,
}

/// `ls-refs` with `symrefs`, `peel` (and `unborn` when offered), for refs
/// under `prefixes` (all refs when empty; HEAD is only listed when asked for).
pub fn ls_refs(c: &mut Connection, caps: &Capabilities, prefixes: &[&str]) -> Result<Vec<RemoteRef>> {
    let mut req = command("ls-refs", caps);
    pktline::line(&mut req, "symrefs");
    pktline::line(&mut req, "peel");
    if caps.get("ls-refs").is_some_and(|v| v.split(' ').any(|f| f == "unborn")) {
        pktline::line(&mut req, "unborn");
    }
    for p in prefixes {
        pktline::line(&mut req, &format!("ref-prefix {p}"));
    }
    pktline::flush(&mut req);
    pktline::send(&mut c.writer, &req).map_err(|r| c.err(r))?;
    let mut out = Vec::new();
    loop {
        let url = &c.url;
        let p = c.reader.read().map_err(|r| Error::Transport { url: url.clone(), reason: r })?;
        let line = match p {
            Packet::Flush => return Ok(out),
            Packet::Data(_) => String::from_utf8_lossy(p.line().unwrap_or_default()).into_owned(),
            _ => return Err(Error::Transport { url: url.clone(), reason: "unexpected packet in the ls-refs response".into() }),
        };
        let bad = || c.err(format!("bad ls-refs line {line:?}"));
        let mut parts = line.split(' ');
        let (first, name) = (parts.next().ok_or_else(bad)?, parts.next().ok_or_else(bad)?);
        let oid = if first == "unborn" { None } else { Some(ObjectId::from_hex(first.as_bytes()).ok_or_else(bad)?) };
        let mut r = RemoteRef { name: name.to_string(), oid, symref_target: None, peeled: None };
        for attr in parts {
            if let Some(t) = attr.strip_prefix("symref-target:") {
                r.symref_target = Some(t.to_string());
            } else if let Some(p) = attr.strip_prefix("peeled:") {
                r.peeled = Some(ObjectId::from_hex(p.as_bytes()).ok_or_else(bad)?);
            }
        }
        out.push(r);
    }
}

/// What to ask `fetch` for.
#[derive(Debug, Default)]
pub struct FetchRequest<'a> {
    pub wants: &'a [ObjectId],
    pub haves: &'a [ObjectId],
    /// A partial-clone filter spec (`blob:none`, `tree:0`, `blob:limit=<n>`).
    pub filter: Option<&'a str>,
    /// `deepen <n>`: a shallow fetch.
    pub depth: Option<u32>,
    /// Accept a thin pack (deltas against objects the haves say we have);
    /// the receiver must complete it with those bases ([`crate::core::promisor::session::fetch_into`] does).
    pub thin: bool,
}

/// What `fetch` sent back besides the pack.
#[derive(Debug, Default)]
pub struct FetchResponse {
    /// Bytes of pack written to the sink.
    pub pack_bytes: u64,
    /// `shallow <oid>` lines of a deepened fetch.
    pub shallow: Vec<ObjectId>,
}

/// Bytes of pack the server may send in one fetch before it is refused.
pub const MAX_FETCH_BYTES: u64 = 16 << 30;

/// `fetch` with `done` (no negotiation rounds): the pack for `req` is written
/// to `pack` as it arrives (sideband band 1), progress text (band 2) handed
/// to `progress`. We do not ask for a thin pack: what arrives is complete.
pub fn fetch(c: &mut Connection, caps: &Capabilities, req: &FetchRequest<'_>, pack: &mut dyn std::io::Write, progress: &mut dyn FnMut(&[u8])) -> Result<FetchResponse> {
    let features: Vec<&str> = caps.get("fetch").unwrap_or_default().split(' ').collect();
    if req.filter.is_some() && !features.contains(&"filter") {
        return Err(c.err("the server does not allow filters (uploadpack.allowFilter)"));
    }
    if req.depth.is_some() && !features.contains(&"shallow") {
        return Err(c.err("the server does not allow shallow fetches"));
    }
    let mut out = command("fetch", caps);
    if req.thin {
        pktline::line(&mut out, "thin-pack");
    }
    pktline::line(&mut out, "ofs-delta");
    if let Some(f) = req.filter {
        pktline::line(&mut out, &format!("filter {f}"));
    }
    if let Some(d) = req.depth {
        pktline::line(&mut out, &format!("deepen {d}"));
    }
    for w in req.wants {
        pktline::line(&mut out, &format!("want {w}"));
    }
    for h in req.haves {
        pktline::line(&mut out, &format!("have {h}"));
    }
    pktline::line(&mut out, "done");
    pktline::flush(&mut out);
    pktline::send(&mut c.writer, &out).map_err(|r| c.err(r))?;
    let mut resp = FetchResponse::default();
    loop {
        let url = &c.url;
        let fail = |reason: String| Error::Transport { url: url.clone(), reason };
        let p = c.reader.read().map_err(fail)?;
        match p {
            Packet::Flush => return Err(fail("the server ended the fetch without a pack".into())),
            Packet::Delim | Packet::ResponseEnd => {}
            Packet::Data(_) => {
                let line = p.line().unwrap_or_default();
                if line == b"packfile" {
                    resp.pack_bytes = read_pack(c, pack, progress)?;
                    return Ok(resp);
                } else if let Some(id) = line.strip_prefix(b"shallow ") {
                    let id = ObjectId::from_hex(id).ok_or_else(|| fail("bad shallow line".into()))?;
                    resp.shallow.push(id);
                } else if let Some(msg) = line.strip_prefix(b"ERR ") {
                    return Err(fail(format!("the server refused: {}", String::from_utf8_lossy(msg))));
                }
                // Section headers and other lines (acknowledgments, wanted-refs) need nothing here.
            }
        }
    }
}

/// The sideband-multiplexed pack stream, up to its flush (v2's `packfile`
/// section, and v0's pack with `side-band-64k`): band 1 is written to
/// `pack`, band 2 (progress text) handed to `progress`, band 3 is the
/// server's error. Returns the bytes of pack written.
pub(crate) fn read_pack(c: &mut Connection, pack: &mut dyn std::io::Write, progress: &mut dyn FnMut(&[u8])) -> Result<u64> {
    let mut bytes = 0u64;
    loop {
        let url = &c.url;
        let fail = |reason: String| Error::Transport { url: url.clone(), reason };
        let p = c.reader.read().map_err(fail)?;
        match p {
            Packet::Flush => return Ok(bytes),
            Packet::Delim | Packet::ResponseEnd => {}
            Packet::Data(d) => match d.split_first() {
                Some((1, data)) => {
                    bytes += data.len() as u64;
                    if bytes > MAX_FETCH_BYTES {
                        return Err(fail(format!("the pack is larger than {MAX_FETCH_BYTES} bytes")));
                    }
                    pack.write_all(data).map_err(|e| fail(format!("cannot store the pack: {e}")))?;
                }
                Some((2, text)) => progress(text),
                Some((3, text)) => return Err(fail(format!("the server failed: {}", String::from_utf8_lossy(text).trim_end()))),
                _ => return Err(fail("bad sideband packet".into())),
            },
        }
    }
}

/// Our listing in `git ls-remote --symref` form (tests compare it with git's).
#[cfg(test)]
pub(crate) fn as_ls_remote(refs: &[RemoteRef]) -> String {
    let mut out = String::new();
    for r in refs {
        if let Some(t) = &r.symref_target {
            out.push_str(&format!("ref: {t}\t{}\n", r.name));
        }
        if let Some(o) = r.oid {
            out.push_str(&format!("{o}\t{}\n", r.name));
        }
        if let Some(p) = r.peeled {
            out.push_str(&format!("{p}\t{}^{{}}\n", r.name));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::promisor::transport::connect;
    use crate::core::testutil::{git_bytes, git_ok, TempDir};


    #[test]
    fn ls_refs_equals_git_ls_remote() {
        let tmp = TempDir::new("v2-ls-refs");
        let dir = &tmp.0;
        git_ok(dir, &["init", "-q", "-b", "main", "."]);
        git_ok(dir, &["commit", "-q", "--allow-empty", "-m", "one"]);
        git_ok(dir, &["tag", "-a", "-m", "annotated", "v1"]);
        git_ok(dir, &["tag", "light"]);
        git_ok(dir, &["branch", "side"]);
        git_ok(dir, &["symbolic-ref", "refs/heads/alias", "refs/heads/side"]);
        let url = format!("file://{}", dir.display());
        let mut c = connect(&url).expect("connect");
        let caps = handshake(&mut c).expect("v2");
        assert!(caps.get("ls-refs").is_some() && caps.get("fetch").is_some(), "{:?}", caps.lines);
        let refs = ls_refs(&mut c, &caps, &["HEAD", "refs/"]).expect("ls-refs");
        let want = git_bytes(dir, &["ls-remote", "--symref", &url], None);
        assert_eq!(as_ls_remote(&refs), String::from_utf8_lossy(&want));
        // A second command on the same connection, with a narrower prefix.
        let tags = ls_refs(&mut c, &caps, &["refs/tags/"]).expect("ls-refs");
        assert_eq!(tags.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["refs/tags/light", "refs/tags/v1"]);
        // An empty repository: HEAD is unborn.
        let empty = TempDir::new("v2-empty");
        git_ok(&empty.0, &["init", "-q", "-b", "trunk", "."]);
        let mut c = connect(&empty.0.display().to_string()).expect("connect");
        let caps = handshake(&mut c).expect("v2");
        let refs = ls_refs(&mut c, &caps, &["HEAD"]).expect("ls-refs");
        assert_eq!(refs, [RemoteRef { name: "HEAD".into(), oid: None, symref_target: Some("refs/heads/trunk".into()), peeled: None }]);
    }

    #[test]
    fn fetch_with_a_filter_then_one_missing_blob() {
        let tmp = TempDir::new("v2-fetch");
        let dir = &tmp.0;
        git_ok(dir, &["init", "-q", "-b", "main", "."]);
        for i in 0..5 {
            std::fs::write(dir.join(format!("f{i}")), format!("content {i}\n").repeat(20)).expect("write");
            git_ok(dir, &["add", "-A"]);
            git_ok(dir, &["commit", "-q", "-m", &format!("c{i}")]);
        }
        git_ok(dir, &["config", "uploadpack.allowFilter", "true"]);
        let head = ObjectId::from_hex(git_ok(dir, &["rev-parse", "HEAD"]).as_bytes()).expect("oid");
        let url = dir.display().to_string();
        let mut c = connect(&url).expect("connect");
        let caps = handshake(&mut c).expect("v2");
        let mut progress = Vec::new();
        let mut pack = Vec::new();
        fetch(&mut c, &caps, &FetchRequest { wants: &[head], filter: Some("blob:none"), ..Default::default() }, &mut pack, &mut |t| progress.extend_from_slice(t)).expect("fetch");
        let indexed = crate::core::odb::pack::ingest::index_pack(&pack, &|_| None).expect("a complete pack");
        let mut ours: Vec<String> = indexed.entries.iter().map(|e| e.oid.to_hex()).collect();
        ours.sort();
        let listed = git_ok(dir, &["rev-list", "--objects", "--filter=blob:none", "HEAD"]);
        let mut want: Vec<String> = listed.lines().map(|l| l.split(' ').next().unwrap_or("").to_string()).collect();
        want.sort();
        assert_eq!(ours, want);
        // Then one blob by id, with no haves, as a lazy read asks for it.
        let blob = ObjectId::from_hex(git_ok(dir, &["rev-parse", "HEAD:f3"]).as_bytes()).expect("oid");
        let mut c = connect(&url).expect("connect");
        let caps = handshake(&mut c).expect("v2");
        let mut pack = Vec::new();
        let got = fetch(&mut c, &caps, &FetchRequest { wants: &[blob], ..Default::default() }, &mut pack, &mut |_| {}).expect("fetch");
        assert_eq!(got.pack_bytes, pack.len() as u64);
        let indexed = crate::core::odb::pack::ingest::index_pack(&pack, &|_| None).expect("pack");
        assert_eq!(indexed.entries.iter().map(|e| e.oid).collect::<Vec<_>>(), [blob]);
        // A filter the server does not allow is refused before asking.
        git_ok(dir, &["config", "uploadpack.allowFilter", "false"]);
        let mut c = connect(&url).expect("connect");
        let caps = handshake(&mut c).expect("v2");
        let r = fetch(&mut c, &caps, &FetchRequest { wants: &[head], filter: Some("blob:none"), ..Default::default() }, &mut Vec::new(), &mut |_| {});
        assert_eq!(r.map(|_| ()).unwrap_err().code(), "ERR_TRANSPORT");
    }

    #[test]
    fn unreachable_or_broken_remotes_are_transport_errors() {
        assert_eq!(connect("/nonexistent/ferrogit/remote").err().map(|e| e.code()), Some("ERR_TRANSPORT"));
        let tmp = TempDir::new("v2-not-a-repo");
        let mut c = connect(&tmp.0.display().to_string()).expect("spawns");
        assert_eq!(handshake(&mut c).map(|_| ()).unwrap_err().code(), "ERR_TRANSPORT");
        // An object the server does not have.
        let tmp = TempDir::new("v2-missing");
        git_ok(&tmp.0, &["init", "-q", "."]);
        git_ok(&tmp.0, &["commit", "-q", "--allow-empty", "-m", "x"]);
        let mut c = connect(&tmp.0.display().to_string()).expect("connect");
        let caps = handshake(&mut c).expect("v2");
        let nowhere = ObjectId::from_hex(b"0123456789012345678901234567890123456789").expect("oid");
        let r = fetch(&mut c, &caps, &FetchRequest { wants: &[nowhere], ..Default::default() }, &mut Vec::new(), &mut |_| {});
        assert_eq!(r.map(|_| ()).unwrap_err().code(), "ERR_TRANSPORT");
    }
}
