//! One module per family of subcommands.

pub mod batch;
pub mod symbolic;
