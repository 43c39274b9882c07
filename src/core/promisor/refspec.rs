//! Fetch refspecs (`[+]<src>[:<dst>]`, with at most one `*` on each side), as
//! git's refspec.c reads them for fetching.

use crate::core::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refspec {
    /// `+`: update even when it is not a fast-forward.
    pub force: bool,
    pub src: String,
    /// Where the fetched ref is stored; None fetches without storing.
    pub dst: Option<String>,
}

impl Refspec {
    pub fn parse(spec: &str) -> Result<Refspec> {
        let bad = |why: &str| Error::InvalidRevision { spec: spec.to_string(), reason: format!("not a fetch refspec: {why}") };
        let (force, rest) = match spec.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, spec),
        };
        if rest.starts_with('^') {
            return Err(bad("negative refspecs are not supported"));
        }
        let (src, dst) = match rest.split_once(':') {
            Some((s, d)) => (s, (!d.is_empty()).then(|| d.to_string())),
            None => (rest, None),
        };
        if src.is_empty() {
            return Err(bad("the source is empty"));
        }
        let stars = |s: &str| s.matches('*').count();
        if stars(src) > 1 || dst.as_deref().is_some_and(|d| stars(d) > 1) {
            return Err(bad("more than one '*'"));
        }
        if dst.as_deref().is_some_and(|d| stars(d) != stars(src)) {
            return Err(bad("'*' on one side only"));
        }
        let check = crate::core::refs::name::Check { allow_onelevel: true, refspec_pattern: true };
        for name in std::iter::once(src).chain(dst.as_deref()) {
            if crate::core::refs::name::check(name, check).is_err() {
                return Err(bad(&format!("{name} is not a valid ref name")));
            }
        }
        Ok(Refspec { force, src: src.to_string(), dst })
    }

    fn is_glob(&self) -> bool {
        self.src.contains('*')
    }

    /// The `ls-refs` prefix that lists every ref this refspec can match.
    pub fn prefix(&self) -> String {
        match self.src.split_once('*') {
            Some((p, _)) => p.to_string(),
            None if self.src.starts_with("refs/") || self.src == "HEAD" => self.src.clone(),
            // A short name: git's DWIM may find it in any of these.
            None => String::new(),
        }
    }

    /// Whether remote ref `name` is this refspec's source, and if so where it
    /// is stored (`Some(None)`: fetched, not stored).
    pub fn map(&self, name: &str) -> Option<Option<String>> {
        if let Some((pre, post)) = self.src.split_once('*') {
            let mid = name.strip_prefix(pre)?.strip_suffix(post)?;
            return Some(self.dst.as_ref().map(|d| d.replacen('*', mid, 1)));
        }
        let matches = name == self.src || (!self.src.starts_with("refs/") && crate::core::refs::name::dwim_candidates(&self.src).iter().any(|c| c == name));
        matches.then(|| self.dst.clone())
    }

    /// The remote ref a local ref `dst` would be fetched from (for pruning).
    pub fn source_of(&self, local: &str) -> Option<String> {
        let dst = self.dst.as_ref()?;
        if !self.is_glob() {
            return (dst == local).then(|| self.src.clone());
        }
        let (pre, post) = dst.split_once('*')?;
        let mid = local.strip_prefix(pre)?.strip_suffix(post)?;
        Some(self.src.replacen('*', mid, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_map() {
        let r = Refspec::parse("+refs/heads/*:refs/remotes/origin/*").expect("ok");
        assert!(r.force);
        assert_eq!(r.prefix(), "refs/heads/");
        assert_eq!(r.map("refs/heads/a/b"), Some(Some("refs/remotes/origin/a/b".into())));
        assert_eq!(r.map("refs/tags/v1"), None);
        assert_eq!(r.source_of("refs/remotes/origin/x"), Some("refs/heads/x".into()));
        assert_eq!(r.source_of("refs/heads/x"), None);
        let r = Refspec::parse("main:refs/heads/copy").expect("ok");
        assert!(!r.force);
        assert_eq!(r.map("refs/heads/main"), Some(Some("refs/heads/copy".into())));
        assert_eq!(r.map("refs/heads/mainx"), None);
        let r = Refspec::parse("refs/tags/v1").expect("ok");
        assert_eq!(r.map("refs/tags/v1"), Some(None));
        for bad in ["", ":x", "a*b*:c*", "refs/heads/*:refs/x", "^refs/heads/x", "refs/heads/a..b:x"] {
            assert!(Refspec::parse(bad).is_err(), "{bad}");
        }
    }
}
