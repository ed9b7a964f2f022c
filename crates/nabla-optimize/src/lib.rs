//! nabla's optimisers.
//!
//! - [`update`]: first-order update rules (SGD, momentum, AdaGrad, RMSProp, Adam) generic over
//!   [`num_traits::Float`], shared with the neural-network crate.

pub mod update;
