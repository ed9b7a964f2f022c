//! Differentiable operations on [`crate::Var`], one family per module; each module holds the
//! forward computation, its backward rule and tests checking both against an f64 reference.

pub mod activation;
mod binary;
#[cfg(test)]
pub(crate) mod check;
mod dropout;
mod linear;
mod loss;
mod matmul;
mod reduce;
mod shape;
