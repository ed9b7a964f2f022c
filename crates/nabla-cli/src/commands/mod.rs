//! One module per family of subcommands.

pub mod batch;
pub mod check;
pub mod minimize;
pub mod numeric;
pub mod plot;
pub mod symbolic;
pub mod train;
