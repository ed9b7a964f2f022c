//! Printers: text (valid nabla and SymPy input, read like SymPy's printer) and LaTeX.
//!
//! Both share one engine: a printer describes each node as a list of `Piece`s (literal text and
//! child nodes), and `render` walks them with an explicit stack, so deep expressions print
//! without recursion. A node that occurs again is copied from where it was first printed, so an
//! expression that is small as a graph but huge as text (a derivative of a deep chain) prints at
//! memory-copy speed.

mod latex;
mod order;
mod text;

use std::borrow::Cow;

use rustc_hash::FxHashMap;

use crate::store::{Id, Store, TooLarge};

/// Longest text a printer produces before giving up with [`TooLarge`].
const MAX_OUTPUT: usize = 1 << 31;

pub use order::{sorted_factors, sorted_terms};

/// A part of a node's printed form.
pub(crate) enum Piece {
    Text(Cow<'static, str>),
    /// A child node; `true` prints it negated (only for numbers and products, whose sign is
    /// taken over by a surrounding ` - `).
    Node(Id, bool),
}

impl From<&'static str> for Piece {
    fn from(s: &'static str) -> Piece {
        Piece::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Piece {
    fn from(s: String) -> Piece {
        Piece::Text(Cow::Owned(s))
    }
}

/// A sum in print order, each term after the first joined by ` + ` or, taking over its sign, ` - `
/// (the same in every printer).
pub(crate) fn sum(store: &Store, terms: &[Id], out: &mut Vec<Piece>) {
    for (i, t) in sorted_terms(store, terms).into_iter().enumerate() {
        let neg = store.has_negative_coefficient(t);
        match (i, neg) {
            (0, _) => {}
            (_, true) => out.push(" - ".into()),
            (_, false) => out.push(" + ".into()),
        }
        out.push(Piece::Node(t, neg && i > 0));
    }
}

/// How one printer lays out a node.
pub(crate) trait Layout {
    fn layout(&self, store: &Store, id: Id, negated: bool, out: &mut Vec<Piece>);
}

struct Frame {
    key: (Id, bool),
    start: usize,
    pieces: std::vec::IntoIter<Piece>,
}

pub(crate) fn render(store: &Store, root: Id, printer: &impl Layout) -> String {
    let mut out: Vec<u8> = Vec::new();
    let mut printed: FxHashMap<(Id, bool), (usize, usize)> = FxHashMap::default();
    let mut stack: Vec<Frame> = Vec::new();
    let push = |stack: &mut Vec<Frame>, key: (Id, bool), start: usize| {
        let mut pieces = Vec::new();
        printer.layout(store, key.0, key.1, &mut pieces);
        stack.push(Frame {
            key,
            start,
            pieces: pieces.into_iter(),
        });
    };
    push(&mut stack, (root, false), 0);
    while let Some(frame) = stack.last_mut() {
        // Text can be exponentially larger than the graph (x^x^x^... differentiated): refuse
        // past a few GB rather than exhaust memory.
        if out.len() > MAX_OUTPUT {
            std::panic::panic_any(TooLarge);
        }
        match frame.pieces.next() {
            Some(Piece::Text(t)) => out.extend_from_slice(t.as_bytes()),
            Some(Piece::Node(id, neg)) => match printed.get(&(id, neg)) {
                Some(&(a, b)) => out.extend_from_within(a..b),
                None => push(&mut stack, (id, neg), out.len()),
            },
            None => {
                printed.insert(frame.key, (frame.start, out.len()));
                stack.pop();
            }
        }
    }
    String::from_utf8(out).expect("printers write UTF-8")
}

/// The expression as text: valid nabla input and valid SymPy `parse_expr` input.
///
/// ```
/// use nabla::{parse, print::to_text, Store};
/// let mut s = Store::new();
/// let e = parse(&mut s, "x^2 + 3*x*y - 2*y^2").unwrap();
/// assert_eq!(to_text(&s, e), "x**2 + 3*x*y - 2*y**2");
/// let f = parse(&mut s, "(x+1)^-1 + sqrt(x)/2").unwrap();
/// assert_eq!(to_text(&s, f), "sqrt(x)/2 + 1/(x + 1)");
/// ```
pub fn to_text(store: &Store, id: Id) -> String {
    render(store, id, &text::Text)
}

/// The expression as LaTeX.
///
/// ```
/// use nabla::{parse, print::to_latex, Store};
/// let mut s = Store::new();
/// let e = parse(&mut s, "sin(x)/y + x^2").unwrap();
/// assert_eq!(to_latex(&s, e), r"x^{2} + \frac{\sin\left(x\right)}{y}");
/// ```
pub fn to_latex(store: &Store, id: Id) -> String {
    render(store, id, &latex::Latex)
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::to_text;
    use crate::testing::expression;
    use crate::{Store, parse};

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        /// Printing and parsing again gives the very same expression (the same id).
        #[test]
        fn print_then_parse_is_identity(e in expression()) {
            let mut s = Store::new();
            let f = parse(&mut s, &e).unwrap();
            let x = s.symbol_id("x");
            for g in [f, s.diff(f, x)] {
                let text = to_text(&s, g);
                let again = parse(&mut s, &text).map_err(|err| TestCaseError::fail(err.render(&text)))?;
                prop_assert_eq!(again, g, "{} printed as {}", e, text);
            }
        }
    }
}
