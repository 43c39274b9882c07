//! Protocol v0 (gitprotocol-pack), for servers that do not speak v2 (an old
//! git, `protocol.version=0`, an HTTP server that drops `Git-Protocol`).
//!
//! The server starts by advertising every ref: `<oid> <name>`, the first
//! line carrying the capabilities after a NUL (`capabilities^{}` stands in
//! for the refs of an empty repository), an annotated tag followed by its
//! peeled `<name>^{}`, and `symref=HEAD:<target>` among the capabilities
//! naming HEAD's branch. `ls-refs` is answered from that listing.
//!
//! A fetch is one request, as git's `fetch-pack` makes it without
//! negotiation: the wants (the first carrying our capabilities), `deepen`
//! and `filter`, a flush, the haves and `done`. The server answers with the
//! `shallow`/`unshallow` section of a deepened fetch (ended by a flush), one
//! `ACK <oid>` or `NAK` (we ask for no `multi_ack`), then the pack on
//! sideband. After that the server is done: one fetch per connection.

use crate::core::error::{Error, Result};
use crate::core::oid::ObjectId;
use crate::core::promisor::pktline::{self, Packet};
use crate::core::promisor::transport::Connection;
use crate::core::promisor::v2::{self, FetchRequest, FetchResponse, RemoteRef};

/// The ref advertisement a v0 server opens with.
#[derive(Debug, Default, Clone)]
pub struct Advertisement {
    /// Refs in the order advertised (HEAD first when it has a commit).
    pub refs: Vec<RemoteRef>,
    /// The capabilities, `key` or `key=value` (`symref=` may repeat).
    pub caps: Vec<String>,
}

impl Advertisement {
    /// The value of capability `key`: `Some("")` for a bare key, None if absent.
    pub fn cap(&self, key: &str) -> Option<&str> {
        crate::core::promisor::v2::capability(&self.caps, key)
    }
}

/// Read the advertisement up to its flush. `first` is its first line when
/// the caller has read it already (to tell v0 from v2), without newline.
pub fn read_advertisement(c: &mut Connection, first: Option<Vec<u8>>) -> Result<Advertisement> {
    let mut adv = Advertisement::default();
    let mut pending = first;
    let mut is_first = true;
    loop {
        let line = match pending.take() {
            Some(l) => l,
            None => {
                let url = &c.url;
                let p = c.reader.read().map_err(|r| Error::Transport { url: url.clone(), reason: r })?;
                match p {
                    Packet::Flush => break,
                    Packet::Data(_) => p.line().unwrap_or_default().to_vec(),
                    _ => return Err(c.err("unexpected packet in the ref advertisement")),
                }
            }
        };
        if let Some(msg) = line.strip_prefix(b"ERR ") {
            return Err(c.err(format!("the server refused: {}", String::from_utf8_lossy(msg))));
        }
        let (refpart, caps) = match line.iter().position(|&b| b == 0) {
            Some(nul) if is_first => (&line[..nul], Some(&line[nul + 1..])),
            Some(_) => return Err(c.err("capabilities after the first ref")),
            None => (&line[..], None),
        };
        is_first = false;
        if let Some(caps) = caps {
            adv.caps = String::from_utf8_lossy(caps).split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect();
        }
        let text = String::from_utf8_lossy(refpart);
        let bad = || c.err(format!("bad ref advertisement line {text:?}"));
        if text.starts_with("shallow ") {
            continue; // the server's own shallow boundary: nothing we use
        }
        let (hex, name) = text.split_once(' ').ok_or_else(bad)?;
        let oid = ObjectId::from_hex(hex.as_bytes()).ok_or_else(bad)?;
        if name == "capabilities^{}" {
            continue; // the stand-in of an empty repository
        }
        if let Some(base) = name.strip_suffix("^{}") {
            match adv.refs.last_mut() {
                Some(r) if r.name == base => r.peeled = Some(oid),
                _ => return Err(bad()),
            }
            continue;
        }
        adv.refs.push(RemoteRef { name: name.to_string(), oid: Some(oid), symref_target: None, peeled: None });
    }
    for cap in &adv.caps {
        if let Some((from, to)) = cap.strip_prefix("symref=").and_then(|s| s.split_once(':')) {
            if let Some(r) = adv.refs.iter_mut().find(|r| r.name == from) {
                r.symref_target = Some(to.to_string());
            }
        }
    }
    Ok(adv)
}

/// The advertised refs whose names start with one of `prefixes` (all when
/// empty), as v2's `ls-refs` with `ref-prefix` lines selects them.
pub fn ls_refs(adv: &Advertisement, prefixes: &[&str]) -> Vec<RemoteRef> {
    adv.refs.iter().filter(|r| prefixes.is_empty() || prefixes.iter().any(|p| r.name.starts_with(p))).cloned().collect()
}

/// Fetch the pack for `req` with `done` (no negotiation): the pack is
/// written to `pack` as it arrives, progress text handed to `progress`.
pub fn fetch(c: &mut Connection, adv: &Advertisement, req: &FetchRequest<'_>, pack: &mut dyn std::io::Write, progress: &mut dyn FnMut(&[u8])) -> Result<FetchResponse> {
    if req.wants.is_empty() {
        return Err(c.err("nothing to fetch"));
    }
    if adv.cap("object-format").is_some_and(|f| f != "sha1") {
        return Err(c.err(format!("the server's object format is {}; only sha1 is supported", adv.cap("object-format").unwrap_or_default())));
    }
    let mut caps: Vec<String> = Vec::new();
    if adv.cap("side-band-64k").is_some() {
        caps.push("side-band-64k".into());
    } else if adv.cap("side-band").is_some() {
        caps.push("side-band".into());
    } else {
        return Err(c.err("the server does not offer side-band"));
    }
    if req.thin && adv.cap("thin-pack").is_some() {
        caps.push("thin-pack".into());
    }
    if adv.cap("ofs-delta").is_some() {
        caps.push("ofs-delta".into());
    }
    if req.depth.is_some() {
        if adv.cap("shallow").is_none() {
            return Err(c.err("the server does not allow shallow fetches"));
        }
        caps.push("shallow".into());
    }
    if req.filter.is_some() {
        if adv.cap("filter").is_none() {
            return Err(c.err("the server does not allow filters (uploadpack.allowFilter)"));
        }
        caps.push("filter".into());
    }
    if adv.cap("agent").is_some() {
        caps.push(concat!("agent=ferrogit/", env!("CARGO_PKG_VERSION")).into());
    }
    let mut out = Vec::new();
    for (i, w) in req.wants.iter().enumerate() {
        if i == 0 {
            pktline::line(&mut out, &format!("want {w} {}", caps.join(" ")));
        } else {
            pktline::line(&mut out, &format!("want {w}"));
        }
    }
    if let Some(d) = req.depth {
        pktline::line(&mut out, &format!("deepen {d}"));
    }
    if let Some(f) = req.filter {
        pktline::line(&mut out, &format!("filter {f}"));
    }
    pktline::flush(&mut out);
    for h in req.haves {
        pktline::line(&mut out, &format!("have {h}"));
    }
    pktline::line(&mut out, "done");
    pktline::send(&mut c.writer, &out).map_err(|r| c.err(r))?;
    let mut resp = FetchResponse::default();
    loop {
        let url = &c.url;
        let fail = |reason: String| Error::Transport { url: url.clone(), reason };
        let p = c.reader.read().map_err(fail)?;
        let line = match p {
            // The end of the shallow section of a deepened fetch.
            Packet::Flush if req.depth.is_some() => continue,
            Packet::Data(_) => p.line().unwrap_or_default(),
            _ => return Err(fail("unexpected packet before the pack".into())),
        };
        if line == b"NAK" || line.starts_with(b"ACK ") {
            break;
        } else if let Some(id) = line.strip_prefix(b"shallow ") {
            resp.shallow.push(ObjectId::from_hex(id).ok_or_else(|| fail("bad shallow line".into()))?);
        } else if line.starts_with(b"unshallow ") {
            // Only for a repository that is shallow already; ours are not.
        } else if let Some(msg) = line.strip_prefix(b"ERR ") {
            return Err(fail(format!("the server refused: {}", String::from_utf8_lossy(msg))));
        } else {
            return Err(fail(format!("unexpected line before the pack: {:?}", String::from_utf8_lossy(line))));
        }
    }
    resp.pack_bytes = v2::read_pack(c, pack, progress)?;
    Ok(resp)
}
