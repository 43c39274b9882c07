//! Test helpers shared by the core's unit tests: the git CLI run in a fixed,
//! isolated environment (no system or global config, fixed identities and dates),
//! so expected values come from git itself and are the same on every machine.

pub mod net;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Run `git args` in `dir` with `input` on stdin; returns its output whatever the exit status.
/// The input is written from another thread, so a large input and a large
/// output cannot block each other on full pipes.
pub fn git_output(dir: &Path, args: &[&str], input: Option<&[u8]>) -> Output {
    let mut child = command("git", dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("git runs");
    let mut stdin = child.stdin.take().expect("stdin was piped");
    let input = input.map(<[u8]>::to_vec).unwrap_or_default();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("git finishes");
    // A git that exits without reading all of its input is reported by its status, not here.
    let _ = writer.join().expect("writer thread");
    out
}

/// Run git and require success; returns stdout.
pub fn git_bytes(dir: &Path, args: &[&str], input: Option<&[u8]>) -> Vec<u8> {
    let out = git_output(dir, args, input);
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Run git and require success; returns trimmed stdout as text.
pub fn git_ok(dir: &Path, args: &[&str]) -> String {
    String::from_utf8_lossy(&git_bytes(dir, args, None)).trim().to_string()
}

/// A fresh temp dir, unique per process and call, removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    /// A new empty dir whose name includes `tag`.
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("ferrogit-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }

    /// [`TempDir::new`] holding a new repository (`git init -b main`), in the dir itself.
    pub fn repo(tag: &str) -> TempDir {
        let t = TempDir::new(tag);
        git_ok(&t.0, &["init", "-q", "-b", "main", "."]);
        t
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `program` in `dir` with the same isolated git environment as [`git_output`].
pub fn command(program: &str, dir: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "A")
        .env("GIT_AUTHOR_EMAIL", "a@example.com")
        .env("GIT_COMMITTER_NAME", "C")
        .env("GIT_COMMITTER_EMAIL", "c@example.com")
        .env("GIT_AUTHOR_DATE", "1700000000 +0000")
        .env("GIT_COMMITTER_DATE", "1700000000 +0000");
    c
}
