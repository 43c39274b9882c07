//! How many threads ferrogit's work may use at once: the cores, or
//! `FERROGIT_THREADS` (e.g. to leave a core to other work). The worker pool is
//! sized by it, and a history walk reads ahead on a helper thread only when it
//! is 2 or more.

use std::sync::OnceLock;

/// The threads work may use at once (read once, at the first call).
pub fn available() -> usize {
    static N: OnceLock<usize> = OnceLock::new();
    *N.get_or_init(|| {
        std::env::var("FERROGIT_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
    })
}
