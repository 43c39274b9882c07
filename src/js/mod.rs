//! The napi layer: classes, Promise + Sync entry points, the identity map, the
//! worker pool and the error conversion. No git logic lives here.

mod error;
mod history;
mod identity_map;
mod objects;
mod pool;
mod refs;
mod remote;
mod repository;
mod util;
mod write;
