//! ferrogit: fast, safe, in-process git for Node.js.

/// Objects are allocated on workers and freed on the JS thread when collected;
/// mimalloc handles that cross-thread pattern far better than glibc's malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod core;
mod js;
