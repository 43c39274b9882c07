//! Talking to git servers: pkt-line framing, transports (a local path or
//! `file://` through `git-upload-pack`, `git://` to `git daemon`, smart
//! HTTP(S)), protocols v2 and v0 behind one [`session::Session`], and what is
//! built on it: clone, fetch, `openRemote`, and the lazy fetch of a partial
//! clone's missing objects (the promisor store lives in `odb::composite`).

pub mod clone;
pub mod fetch;
pub mod pktline;
pub mod refspec;
pub mod remote;
pub mod session;
pub mod transport;
pub mod v0;
pub mod v2;

/// How far a long operation has got, for `onProgress`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// What is being done: the server's phases (`enumerating`, `counting`,
    /// `compressing`), then `receiving`, `indexing`, `checkout`.
    pub phase: String,
    pub done: u64,
    pub total: Option<u64>,
    /// Bytes received so far.
    pub bytes: u64,
}

/// Where progress goes.
pub type OnProgress<'a> = &'a mut dyn FnMut(&Progress);

/// Turn one line of the server's progress text (sideband band 2) into a
/// [`Progress`]: `Counting objects:  40% (4/10)` or `Enumerating objects: 12, done.`
pub fn parse_server_progress(line: &str, bytes: u64) -> Option<Progress> {
    let line = line.trim_start_matches("remote: ").trim();
    let (name, rest) = line.split_once(':')?;
    let phase = name.split_whitespace().next()?.to_ascii_lowercase();
    if !phase.bytes().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let rest = rest.trim();
    if let Some(open) = rest.find('(') {
        let inner = &rest[open + 1..rest[open..].find(')').map(|c| open + c)?];
        let (d, t) = inner.split_once('/')?;
        return Some(Progress { phase, done: d.trim().parse().ok()?, total: Some(t.trim().parse().ok()?), bytes });
    }
    let n = rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()?;
    Some(Progress { phase, done: n, total: None, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_progress_lines() {
        let p = parse_server_progress("Counting objects:  40% (4/10)", 7).expect("parsed");
        assert_eq!(p, Progress { phase: "counting".into(), done: 4, total: Some(10), bytes: 7 });
        let p = parse_server_progress("Enumerating objects: 12, done.", 0).expect("parsed");
        assert_eq!((p.phase.as_str(), p.done, p.total), ("enumerating", 12, None));
        assert_eq!(parse_server_progress("Total 3 (delta 0), reused 0 (delta 0), pack-reused 0", 0), None);
        assert_eq!(parse_server_progress("garbage", 0), None);
    }
}
