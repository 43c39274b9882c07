//! The pure-Rust core of ferrogit: no napi types here.
#![warn(missing_docs)]
#![allow(missing_docs)]

#[cfg(unix)]
pub mod checkout;
pub mod commit_graph;
pub mod config;
pub mod error;
pub mod identity;
pub mod index;
pub mod init;
pub mod log;
pub mod object;
pub mod odb;
pub mod oid;
pub mod promisor;
pub mod refs;
pub mod repo;
pub mod rev;
pub mod threads;
pub mod treeops;
#[cfg(test)]
pub mod testutil;
