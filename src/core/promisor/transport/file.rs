//! Local remotes (a path or a `file://` URL): `git-upload-pack <path>` on
//! stdio, as git's `connect.c` runs it for a local remote. The protocol
//! version is asked for through `GIT_PROTOCOL`, as git does.

use std::io::BufReader;
use std::path::Path;
use std::process::{Command, Stdio};

use super::{redact, Connection, Version};
use crate::core::error::{Error, Result};
use crate::core::promisor::pktline::Reader;

pub(super) fn connect(url: &str, path: &Path, version: Version) -> Result<Connection> {
    let err = |reason: String| Error::Transport { url: redact(url), reason };
    if !path.exists() {
        return Err(err(format!("{} does not exist", path.display())));
    }
    let mut cmd = Command::new("git-upload-pack");
    cmd.arg(path).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
    match version {
        Version::V2 => cmd.env("GIT_PROTOCOL", "version=2"),
        Version::V0 => cmd.env_remove("GIT_PROTOCOL"),
    };
    let mut child = cmd.spawn().map_err(|e| err(format!("cannot run git-upload-pack: {e}")))?;
    let stdout = child.stdout.take().ok_or_else(|| err("no stdout".into()))?;
    let stdin = child.stdin.take().ok_or_else(|| err("no stdin".into()))?;
    Ok(Connection {
        url: redact(url),
        reader: Reader::new(Box::new(BufReader::with_capacity(1 << 16, stdout))),
        writer: Box::new(stdin),
        child: Some(child),
        flush_on_drop: false,
    })
}
