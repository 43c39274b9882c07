//! URL parsing, and every transport and protocol version against real
//! servers (git-upload-pack, git daemon, git http-backend) checked against git.

use super::*;

#[test]
fn urls() {
    assert_eq!(parse_url("file:///srv/r.git").unwrap(), Target::Local("/srv/r.git".into()));
    assert_eq!(parse_url("../r").unwrap(), Target::Local("../r".into()));
    assert_eq!(parse_url("git://h:9000/a/b").unwrap(), Target::Git { host: "h".into(), port: 9000, path: "/a/b".into() });
    assert_eq!(parse_url("git://h/a").unwrap(), Target::Git { host: "h".into(), port: 9418, path: "/a".into() });
    assert_eq!(parse_url("git://[::1]:7/a").unwrap(), Target::Git { host: "::1".into(), port: 7, path: "/a".into() });
    assert_eq!(parse_url("git://[::1]/a").unwrap(), Target::Git { host: "::1".into(), port: 9418, path: "/a".into() });
    assert_eq!(parse_url("http://h/r").unwrap(), Target::Http("http://h/r".into()));
    for bad in ["file://rel", "git://h", "git://:1/x", "git://h:x/y", "git://[::1]x/y", "ssh://h/r"] {
        assert_eq!(parse_url(bad).unwrap_err().code(), "ERR_TRANSPORT", "{bad}");
    }
    assert_eq!(redact("https://u:secret@h:1/r@x"), "https://h:1/r@x");
    assert_eq!(redact("https://h/r"), "https://h/r");
    assert_eq!(redact("/a@b/c"), "/a@b/c");
}

mod net {
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    use crate::core::error::Error;
    use crate::core::oid::ObjectId;
    use crate::core::promisor::clone::{clone_bare_with, CloneOptions};
    use crate::core::promisor::pktline;
    use crate::core::promisor::session::{fetch_into, Session};
    use crate::core::promisor::transport::Version;
    use crate::core::promisor::v2::{as_ls_remote, FetchRequest, RemoteRef};
    use crate::core::testutil::net::{free_port, noise, CutProxy, GitDaemon, HttpServer, Request, Response, TcpServer};
    use crate::core::testutil::{git_bytes, git_ok, TempDir};

    /// Repositories to serve: `repo.git` (branches trunk and old, HEAD at
    /// trunk, tags v1 (annotated) and light, refs/heads/alias a symref to
    /// old, a 256 KiB incompressible file so that a full pack is large) and
    /// `empty.git`, both under `base`.
    struct Fixture {
        tmp: TempDir,
        base: PathBuf,
        repo: PathBuf,
    }

    fn fixture() -> Fixture {
        let tmp = TempDir::new("net");
        let work = tmp.0.join("work");
        let base = tmp.0.join("srv");
        std::fs::create_dir_all(&work).expect("mkdir");
        std::fs::create_dir_all(&base).expect("mkdir");
        git_ok(&work, &["init", "-q", "-b", "trunk", "."]);
        for i in 0..6 {
            std::fs::write(work.join(format!("f{}", i % 3)), format!("content {i}\n").repeat(30)).expect("write");
            if i == 4 {
                std::fs::write(work.join("big"), noise(7, 256 << 10)).expect("write");
            }
            git_ok(&work, &["add", "-A"]);
            git_ok(&work, &["commit", "-q", "-m", &format!("c{i}")]);
            if i == 2 {
                git_ok(&work, &["tag", "-a", "-m", "t", "v1"]);
                git_ok(&work, &["branch", "old"]);
            }
        }
        git_ok(&work, &["tag", "light"]);
        let repo = base.join("repo.git");
        git_ok(&tmp.0, &["clone", "-q", "--bare", &work.display().to_string(), &repo.display().to_string()]);
        git_ok(&repo, &["symbolic-ref", "refs/heads/alias", "refs/heads/old"]);
        git_ok(&repo, &["config", "uploadpack.allowFilter", "true"]);
        git_ok(&repo, &["config", "uploadpack.allowAnySHA1InWant", "true"]);
        git_ok(&tmp.0, &["init", "-q", "--bare", "-b", "trunk", &base.join("empty.git").display().to_string()]);
        Fixture { tmp, base, repo }
    }

    fn oid(dir: &Path, rev: &str) -> ObjectId {
        ObjectId::from_hex(git_ok(dir, &["rev-parse", rev]).as_bytes()).expect("oid")
    }


    /// The ids in a complete pack, sorted.
    fn pack_oids(pack: &[u8]) -> Vec<String> {
        let indexed = crate::core::odb::pack::ingest::index_pack(pack, &|_| None).expect("a complete pack");
        let mut v: Vec<String> = indexed.entries.iter().map(|e| e.oid.to_hex()).collect();
        v.sort();
        v
    }

    /// `git rev-list args` in `dir`, first column, sorted.
    fn rev_list(dir: &Path, args: &[&str]) -> Vec<String> {
        let mut all = vec!["rev-list"];
        all.extend_from_slice(args);
        let mut v: Vec<String> = git_ok(dir, &all).lines().map(|l| l.split(' ').next().unwrap_or("").to_string()).collect();
        v.sort();
        v
    }

    fn version_arg(v: Version) -> &'static str {
        match v {
            Version::V2 => "protocol.version=2",
            Version::V0 => "protocol.version=0",
        }
    }

    /// Everything a session does, over `url` asking for `version`, checked against git.
    fn check_session(fx: &Fixture, url: &str, empty_url: &str, version: Version) {
        let ctx = format!("{url} {version:?}");
        let mut s = Session::connect_with(url, version).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(s.protocol_version(), if version == Version::V2 { 2 } else { 0 }, "{ctx}");
        let refs = s.ls_refs(&[]).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let want = git_bytes(&fx.tmp.0, &["-c", version_arg(version), "ls-remote", "--symref", url], None);
        assert_eq!(as_ls_remote(&refs), String::from_utf8_lossy(&want), "{ctx}");
        let tags = s.ls_refs(&["refs/tags/"]).expect("ls-refs");
        assert_eq!(tags.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["refs/tags/light", "refs/tags/v1"], "{ctx}");
        let head = oid(&fx.repo, "HEAD");
        // A filtered fetch of HEAD.
        let mut pack = Vec::new();
        let mut progress = Vec::new();
        let got = s.fetch(&FetchRequest { wants: &[head], filter: Some("blob:none"), ..Default::default() }, &mut pack, &mut |t| progress.extend_from_slice(t)).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(got.pack_bytes, pack.len() as u64);
        assert_eq!(pack_oids(&pack), rev_list(&fx.repo, &["--objects", "--filter=blob:none", "HEAD"]), "{ctx}");
        // One blob by id, no haves (a lazy read), on the same session: v0 connects again.
        let blob = oid(&fx.repo, "HEAD:f1");
        let mut pack = Vec::new();
        s.fetch(&FetchRequest { wants: &[blob], ..Default::default() }, &mut pack, &mut |_| {}).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(pack_oids(&pack), [blob.to_hex()], "{ctx}");
        // With a have: only what it does not reach.
        let old = oid(&fx.repo, "old");
        let mut pack = Vec::new();
        s.fetch(&FetchRequest { wants: &[head], haves: &[old], ..Default::default() }, &mut pack, &mut |_| {}).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(pack_oids(&pack), rev_list(&fx.repo, &["--objects", "HEAD", "--not", "old"]), "{ctx}");
        // A shallow fetch reports its boundary.
        let got = s.fetch(&FetchRequest { wants: &[head], depth: Some(1), filter: Some("blob:none"), ..Default::default() }, &mut Vec::new(), &mut |_| {}).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(got.shallow, [head], "{ctx}");
        // An object the server does not have: refused (what a lazy read turns into not-found).
        let nowhere = ObjectId::from_hex(b"0123456789012345678901234567890123456789").expect("oid");
        match s.fetch(&FetchRequest { wants: &[nowhere], ..Default::default() }, &mut Vec::new(), &mut |_| {}) {
            Err(Error::Transport { reason, .. }) => assert!(reason.starts_with("the server refused"), "{ctx}: {reason}"),
            other => panic!("{ctx}: {:?}", other.map(|_| ())),
        }
        // An empty repository: HEAD is unborn (v2 says where it points; v0 says nothing).
        let mut e = Session::connect_with(empty_url, version).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let refs = e.ls_refs(&["HEAD", "refs/"]).expect("ls-refs");
        match version {
            Version::V2 => assert_eq!(refs, [RemoteRef { name: "HEAD".into(), oid: None, symref_target: Some("refs/heads/trunk".into()), peeled: None }], "{ctx}"),
            Version::V0 => assert_eq!(refs, [], "{ctx}"),
        }
    }

    /// A bare partial clone over `url`, compared with git's of the same URL,
    /// then a lazy read in it (which fetches over `url` too).
    fn check_clone(fx: &Fixture, url: &str, version: Version) {
        let ctx = format!("{url} {version:?}");
        let out = TempDir::new("net-clone");
        let ours = out.0.join("ours.git");
        let theirs = out.0.join("theirs.git");
        let opts = CloneOptions { filter: Some("blob:none".into()), ..Default::default() };
        clone_bare_with(url, version, &ours, &opts, &mut |_| {}).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        git_ok(&out.0, &["-c", version_arg(version), "clone", "-q", "--bare", "--filter=blob:none", url, &theirs.display().to_string()]);
        for args in [
            &["for-each-ref", "--format=%(objectname) %(objecttype) %(refname)"][..],
            &["symbolic-ref", "HEAD"],
            &["config", "--local", "--get", "remote.origin.url"],
            &["config", "--local", "--get", "remote.origin.partialclonefilter"],
            &["rev-list", "--objects", "--all", "--missing=print"],
        ] {
            assert_eq!(git_ok(&ours, args), git_ok(&theirs, args), "{ctx}: git {args:?}");
        }
        git_ok(&ours, &["fsck", "--no-progress"]);
        let repo = crate::core::repo::Repository::open(&ours, &Default::default()).expect("open");
        let blob = oid(&fx.repo, "v1:f2");
        let got = repo.read_object(&blob).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(got.data, git_bytes(&fx.repo, &["cat-file", "blob", &blob.to_hex()], None), "{ctx}");
        git_ok(&ours, &["fsck", "--no-progress"]);
    }

    fn check_transport(fx: &Fixture, url: &str, empty_url: &str) {
        for version in [Version::V2, Version::V0] {
            check_session(fx, url, empty_url, version);
            check_clone(fx, url, version);
        }
    }

    #[test]
    fn file_transport_v2_and_v0_match_git() {
        let fx = fixture();
        let url = format!("file://{}", fx.repo.display());
        check_transport(&fx, &url, &format!("file://{}", fx.base.join("empty.git").display()));
    }

    #[test]
    fn git_daemon_v2_and_v0_match_git() {
        let fx = fixture();
        let d = GitDaemon::start(&fx.base);
        check_transport(&fx, &d.url("repo.git"), &d.url("empty.git"));
    }

    #[test]
    fn http_backend_v2_and_v0_match_git() {
        let fx = fixture();
        let h = HttpServer::start(&fx.base, None);
        check_transport(&fx, &h.url("repo.git"), &h.url("empty.git"));
        // v2 was asked for and spoken over POSTs; v0 asked for nothing.
        let log = h.requests();
        assert!(log.iter().any(|l| l.starts_with("POST /repo.git/git-upload-pack?") && l.ends_with(" version=2")), "{log:?}");
        assert!(log.iter().any(|l| l.starts_with("POST /repo.git/git-upload-pack?") && l.ends_with(" -")), "{log:?}");
        // A server that answers the GET in v0 although we asked for v2: we
        // speak v0, and stop asking for v2 in the POSTs.
        let h = HttpServer::start_with(&fx.base, None, true);
        let url = h.url("repo.git");
        let mut s = Session::connect_with(&url, Version::V2).expect("connect");
        assert_eq!(s.protocol_version(), 0);
        let refs = s.ls_refs(&[]).expect("ls-refs");
        let want = git_bytes(&fx.tmp.0, &["-c", "protocol.version=0", "ls-remote", "--symref", &url], None);
        assert_eq!(as_ls_remote(&refs), String::from_utf8_lossy(&want));
        let head = oid(&fx.repo, "HEAD");
        let mut pack = Vec::new();
        s.fetch(&FetchRequest { wants: &[head], filter: Some("blob:none"), ..Default::default() }, &mut pack, &mut |_| {}).expect("fetch");
        assert_eq!(pack_oids(&pack), rev_list(&fx.repo, &["--objects", "--filter=blob:none", "HEAD"]));
        let log = h.requests();
        assert!(log.iter().any(|l| l.starts_with("GET ") && l.ends_with(" version=2")), "{log:?}");
        assert!(log.iter().filter(|l| l.starts_with("POST ")).all(|l| l.ends_with(" -")), "{log:?}");
    }

    fn transport_error(r: crate::core::error::Result<Session>) -> String {
        match r {
            Err(e @ Error::Transport { .. }) => e.to_string(),
            Err(e) => panic!("not a transport error: {e}"),
            Ok(_) => panic!("connected"),
        }
    }

    #[test]
    fn refused_missing_and_failing_servers_are_transport_errors() {
        let fx = fixture();
        // Nothing listening: refused at once.
        let port = free_port();
        for url in [format!("git://127.0.0.1:{port}/r"), format!("http://127.0.0.1:{port}/r")] {
            let t = Instant::now();
            transport_error(Session::connect(&url));
            assert!(t.elapsed() < Duration::from_secs(10), "{url}");
        }
        // No such repository.
        let d = GitDaemon::start(&fx.base);
        for v in [Version::V2, Version::V0] {
            transport_error(Session::connect_with(&d.url("nope.git"), v));
        }
        let h = HttpServer::start(&fx.base, None);
        for v in [Version::V2, Version::V0] {
            let e = transport_error(Session::connect_with(&h.url("nope.git"), v));
            assert!(e.contains("404"), "{e}");
        }
        // 500 for everything; 500 for the POSTs only; a dumb (not smart) server.
        let h = HttpServer::start(&fx.base, Some(Box::new(|_: &Request| Some(Response::new(500, &[], b"boom")))));
        let e = transport_error(Session::connect(&h.url("repo.git")));
        assert!(e.contains("500"), "{e}");
        let h = HttpServer::start(&fx.base, Some(Box::new(|r: &Request| (r.method == "POST").then(|| Response::new(500, &[], b"boom")))));
        for v in [Version::V2, Version::V0] {
            let mut s = Session::connect_with(&h.url("repo.git"), v).expect("the GET works");
            let head = oid(&fx.repo, "HEAD");
            let r = s.ls_refs(&[]).and_then(|_| s.fetch(&FetchRequest { wants: &[head], ..Default::default() }, &mut Vec::new(), &mut |_| {}));
            match r {
                Err(e @ Error::Transport { .. }) => assert!(e.to_string().contains("500"), "{e}"),
                other => panic!("{:?}", other.map(|_| ())),
            }
        }
        let h = HttpServer::start(&fx.base, Some(Box::new(|_: &Request| Some(Response::new(200, &[("Content-Type", "text/plain")], b"ref: refs/heads/trunk\n")))));
        transport_error(Session::connect(&h.url("repo.git")));
    }

    #[test]
    fn http_redirects_and_credentials() {
        let fx = fixture();
        // A redirected advertisement: the POSTs go where it came from.
        let h = HttpServer::start(
            &fx.base,
            Some(Box::new(|r: &Request| {
                let rest = r.path.strip_prefix("/moved")?;
                Some(Response::new(301, &[("Location", &format!("{rest}?{}", r.query))], b""))
            })),
        );
        for v in [Version::V2, Version::V0] {
            let mut s = Session::connect_with(&h.url("moved/repo.git"), v).expect("connect");
            let head = oid(&fx.repo, "HEAD");
            let mut pack = Vec::new();
            s.fetch(&FetchRequest { wants: &[head], filter: Some("blob:none"), ..Default::default() }, &mut pack, &mut |_| {}).expect("fetch");
            assert_eq!(pack_oids(&pack), rev_list(&fx.repo, &["--objects", "--filter=blob:none", "HEAD"]));
        }
        assert!(h.requests().iter().all(|l| !l.starts_with("POST /moved")), "{:?}", h.requests());
        // Basic auth from the URL's credentials, on every request; never shown.
        let h = HttpServer::start(
            &fx.base,
            Some(Box::new(|r: &Request| {
                // base64("user:s3cret")
                (r.header("authorization") != Some("Basic dXNlcjpzM2NyZXQ=")).then(|| Response::new(401, &[("WWW-Authenticate", "Basic realm=\"git\"")], b""))
            })),
        );
        let plain = h.url("repo.git");
        let e = transport_error(Session::connect(&plain));
        assert!(e.contains("401"), "{e}");
        let wrong = plain.replace("http://", "http://user:hunter2@");
        let e = transport_error(Session::connect(&wrong));
        assert!(e.contains("401") && !e.contains("hunter2"), "{e}");
        let url = plain.replace("http://", "http://user:s3cret@");
        for v in [Version::V2, Version::V0] {
            let mut s = Session::connect_with(&url, v).expect("connect with credentials");
            assert!(!s.url().contains("s3cret"));
            let refs = s.ls_refs(&["refs/heads/"]).expect("ls-refs");
            assert!(refs.iter().any(|r| r.name == "refs/heads/trunk"));
            let blob = oid(&fx.repo, "HEAD:f0");
            let mut pack = Vec::new();
            s.fetch(&FetchRequest { wants: &[blob], ..Default::default() }, &mut pack, &mut |_| {}).expect("fetch");
            assert_eq!(pack_oids(&pack), [blob.to_hex()]);
        }
    }

    /// Connect, list and fetch everything at `url`; the first error.
    fn try_everything(url: &str, v: Version, objects: Option<&Path>) -> crate::core::error::Result<()> {
        let mut s = Session::connect_with(url, v)?;
        let refs = s.ls_refs(&[])?;
        let mut wants: Vec<ObjectId> = refs.iter().filter_map(|r| r.oid).collect();
        if wants.is_empty() {
            wants.push(ObjectId::from_hex(b"0123456789012345678901234567890123456789").expect("oid"));
        }
        let req = FetchRequest { wants: &wants, ..Default::default() };
        match objects {
            Some(dir) => fetch_into(&mut s, dir, &req, None, &mut |_| {}, &std::sync::atomic::AtomicBool::new(false)).map(|_| ()),
            None => s.fetch(&req, &mut Vec::new(), &mut |_| {}).map(|_| ()),
        }
    }

    #[test]
    fn garbage_from_the_server_is_a_transport_error() {
        let mut answers: Vec<Vec<u8>> = Vec::new();
        for seed in 1..6 {
            answers.push(noise(seed, 3000));
        }
        let mut v2 = Vec::new();
        pktline::line(&mut v2, "version 2");
        pktline::line(&mut v2, "ls-refs");
        let mut v2_then_noise = v2.clone();
        v2_then_noise.extend(noise(9, 500));
        pktline::flush(&mut v2);
        let mut v0 = Vec::new();
        pktline::data(&mut v0, b"0123456789012345678901234567890123456789 HEAD\0side-band-64k ofs-delta\n");
        let mut v0_then_noise = v0.clone();
        v0_then_noise.extend(noise(11, 500));
        pktline::flush(&mut v0);
        answers.extend([v2.clone(), v2_then_noise.clone(), v0.clone(), v0_then_noise.clone(), b"fff0".to_vec(), b"0003".to_vec(), Vec::new()]);
        let http_head = |ct: &str| format!("HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nConnection: close\r\n\r\n").into_bytes();
        // For HTTP: (answer to the GET, answer to the POSTs).
        let mut http_answers: Vec<(Vec<u8>, Vec<u8>)> = answers.iter().map(|a| (a.clone(), a.clone())).collect();
        for adv in [&v2, &v0] {
            for result in [&noise(3, 2000), &v2, &v2_then_noise, &v0_then_noise, &b"0008NAK\n".to_vec(), &b"0008NAK\n0005\x01".to_vec()] {
                let mut get = http_head("application/x-git-upload-pack-advertisement");
                get.extend_from_slice(b"001e# service=git-upload-pack\n0000");
                get.extend_from_slice(adv);
                let mut post = http_head("application/x-git-upload-pack-result");
                post.extend_from_slice(result);
                http_answers.push((get.clone(), post));
                // The right content type for the other request.
                let mut wrong = http_head("application/x-git-upload-pack-advertisement");
                wrong.extend_from_slice(result);
                http_answers.push((get, wrong));
            }
        }
        let started = Instant::now();
        let git_answers: Vec<(Vec<u8>, Vec<u8>)> = answers.iter().map(|a| (a.clone(), a.clone())).collect();
        for (scheme, list) in [("git", &git_answers), ("http", &http_answers)] {
            for (i, (first, post)) in list.iter().enumerate() {
                let (first, post) = (first.clone(), post.clone());
                let server = TcpServer::start(move |mut c| {
                    use std::io::{Read, Write};
                    let _ = c.set_read_timeout(Some(Duration::from_millis(200)));
                    let mut req = [0u8; 4096];
                    let n = c.read(&mut req).unwrap_or(0);
                    let _ = c.write_all(if req[..n].starts_with(b"POST") { &post } else { &first });
                });
                let url = format!("{scheme}://127.0.0.1:{}/repo.git", server.port);
                for v in [Version::V2, Version::V0] {
                    match try_everything(&url, v, None) {
                        Err(Error::Transport { .. }) => {}
                        other => panic!("{scheme} answer {i} {v:?}: {:?}", other.map_err(|e| e.to_string())),
                    }
                }
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60));
    }

    #[test]
    fn a_server_dying_mid_pack_leaves_nothing() {
        let fx = fixture();
        let d = GitDaemon::start(&fx.base);
        let h = HttpServer::start(&fx.base, None);
        let clone = TempDir::new("net-cut");
        git_ok(&clone.0, &["init", "-q", "--bare", "."]);
        let objects = clone.0.join("objects");
        let pack_dir = objects.join("pack");
        for (scheme, port) in [("git", d.port), ("http", h.port())] {
            for limit in [3, 300, 5000, 100 << 10] {
                let proxy = CutProxy::start(port, limit);
                let url = format!("{scheme}://127.0.0.1:{}/repo.git", proxy.port());
                for v in [Version::V2, Version::V0] {
                    match try_everything(&url, v, Some(&objects)) {
                        Err(Error::Transport { .. }) => {}
                        other => panic!("{scheme} cut at {limit} {v:?}: {:?}", other.map_err(|e| e.to_string())),
                    }
                    let left: Vec<_> = std::fs::read_dir(&pack_dir).map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect()).unwrap_or_default();
                    assert!(left.is_empty(), "{scheme} cut at {limit} {v:?}: {left:?}");
                }
            }
        }
        // Uncut, the same fetch stores the pack.
        try_everything(&d.url("repo.git"), Version::V2, Some(&objects)).expect("uncut");
        assert!(std::fs::read_dir(&pack_dir).expect("dir").count() >= 2);
    }
}
