//! nabla: exact symbolic partial derivatives.
//!
//! Expressions live in a hash-consed [`Store`]; they are built in canonical form (see [`canon`]),
//! parsed from text ([`parse()`]), differentiated ([`Store::diff`]), printed as text or LaTeX
//! ([`print`](mod@print)), and evaluated or substituted ([`eval`]).
//!
//! ```
//! use nabla::{parse, print::to_text, Store};
//!
//! let mut s = Store::new();
//! let f = parse(&mut s, "x^2 + 3*x*y - 2*y^2").unwrap();
//! let (x, y) = (s.symbol_id("x"), s.symbol_id("y"));
//! let fx = s.diff(f, x);
//! let fxy = s.diff(fx, y);
//! assert_eq!(to_text(&s, fx), "2*x + 3*y");
//! assert_eq!(to_text(&s, fxy), "3");
//! ```

pub mod calculus;
pub mod canon;
pub mod compile;
pub mod diff;
pub mod error;
pub mod eval;
pub mod expand;
pub mod number;
pub mod parse;
mod poly;
pub mod print;
pub mod simplify;
pub mod store;
#[cfg(test)]
mod testing;
pub mod trace;

pub use error::SpanError;
pub use parse::parse;
pub use store::{Constant, Func, Id, Node, Store, Symbol};
