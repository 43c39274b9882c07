pub mod core;
mod js;
