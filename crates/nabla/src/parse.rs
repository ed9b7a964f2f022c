//! The input language: a lexer and an operator-precedence (shunting-yard) parser that builds
//! canonical expressions straight into a [`Store`].
//!
//! The parser keeps its own explicit stacks and never recurses, so 100,000 nested parentheses
//! parse like any other input. Chains of `+ -` and `* /` are gathered into one n-ary sum or product
//! before canonicalisation, so a sum of a million terms is collected once, in linear time.
//!
//! Grammar, loosest binding first: `+ -`, then `* /` and implicit multiplication after a number
//! (`3x`, `2(x+1)`), then unary minus, then `^` or `**` (right-associative, so `-x^2` is `-(x^2)`
//! and `2^-x` is `2^(-x)`), then calls `name(arg, ...)`, numbers, symbols and `pi`, `E`.

use std::ops::Range;

use crate::error::SpanError;
use crate::number::{Number, Rational};
use crate::store::{Constant, Func, Id, Store};

/// Parses `input` into `store`.
///
/// ```
/// use nabla::{parse, print::to_text, Store};
/// let mut s = Store::new();
/// let e = parse(&mut s, "3x^2 - 2*(x + 1) + x/2").unwrap();
/// assert_eq!(to_text(&s, e), "3*x**2 - 3*x/2 - 2");
/// ```
pub fn parse(store: &mut Store, input: &str) -> Result<Id, SpanError> {
    Parser {
        store,
        input,
        operands: Vec::new(),
        operators: Vec::new(),
    }
    .run()
}

/// Names that may be called besides [`Func`]'s: SymPy's spellings, and `ln`, which calculus
/// texts write for the natural logarithm (`log`, as in SymPy).
const EXTRA_FUNCTIONS: &[&str] = &["sqrt", "Abs", "ln"];

#[derive(Copy, Clone, PartialEq, Debug)]
enum Tok {
    Integer,
    Decimal,
    Ident,
    Plus,
    Minus,
    Star,
    Slash,
    Power,
    LParen,
    RParen,
    Comma,
    End,
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    fn next(&mut self) -> Result<(Tok, Range<usize>), SpanError> {
        while self.pos < self.src.len()
            && matches!(self.src[self.pos], b' ' | b'\t' | b'\n' | b'\r')
        {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&c) = self.src.get(self.pos) else {
            return Ok((Tok::End, start..start));
        };
        self.pos += 1;
        let tok = match c {
            b'+' => Tok::Plus,
            b'-' => Tok::Minus,
            b'*' if self.src.get(self.pos) == Some(&b'*') => {
                self.pos += 1;
                Tok::Power
            }
            b'*' => Tok::Star,
            b'/' => Tok::Slash,
            b'^' => Tok::Power,
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b',' => Tok::Comma,
            b'0'..=b'9' | b'.' => return self.number(start),
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => {
                while self.pos < self.src.len()
                    && matches!(self.src[self.pos], b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_')
                {
                    self.pos += 1;
                }
                Tok::Ident
            }
            _ => {
                let text = std::str::from_utf8(&self.src[start..]).unwrap_or("");
                let ch = text.chars().next().unwrap_or('?');
                self.pos = start + ch.len_utf8();
                let shown = if ch.is_control() {
                    format!("{:?}", ch)
                } else {
                    format!("`{ch}`")
                };
                return Err(SpanError::new(
                    format!("unexpected character {shown}"),
                    start..self.pos,
                ));
            }
        };
        Ok((tok, start..self.pos))
    }

    fn digits(&mut self) -> usize {
        let from = self.pos;
        while self.pos < self.src.len() && self.src[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        self.pos - from
    }

    fn number(&mut self, start: usize) -> Result<(Tok, Range<usize>), SpanError> {
        self.pos = start;
        let mut tok = Tok::Integer;
        let whole = self.digits();
        if self.src.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            tok = Tok::Decimal;
            if self.digits() == 0 && whole == 0 {
                return Err(SpanError::new(
                    "expected a digit in this number",
                    start..self.pos,
                ));
            }
            if self.src.get(self.pos) == Some(&b'.') {
                return Err(SpanError::new(
                    "a number has at most one decimal point",
                    self.pos..self.pos + 1,
                ));
            }
        }
        // An exponent only when digits follow, so `2e` is `2*e` and `3exp(x)` is `3*exp(x)`.
        if matches!(self.src.get(self.pos), Some(b'e' | b'E')) {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.src.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() > 0 {
                tok = Tok::Decimal;
            } else {
                self.pos = save;
            }
        }
        Ok((tok, start..self.pos))
    }
}

#[derive(Copy, Clone, PartialEq, Debug)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Neg,
    Pow,
}

impl Op {
    fn precedence(self) -> u8 {
        match self {
            Op::Add | Op::Sub => 1,
            Op::Mul | Op::Div => 2,
            Op::Neg => 3,
            Op::Pow => 4,
        }
    }
}

/// What sits on the operator stack.
#[derive(Clone, Debug)]
enum Pending {
    Op(Op, Range<usize>),
    /// An open parenthesis.
    Group(usize),
    /// A call: its name, where the name is, and the operand-stack height at the `(`.
    Call(&'static str, Range<usize>, usize),
}

/// An operand: a finished expression, or a sum or product still being gathered.
enum Value {
    Expr(Id),
    Sum(Vec<Id>),
    Product(Vec<Id>),
}

struct Operand {
    value: Value,
    span: Range<usize>,
}

struct Parser<'s, 'i> {
    store: &'s mut Store,
    input: &'i str,
    operands: Vec<Operand>,
    operators: Vec<Pending>,
}

impl Parser<'_, '_> {
    fn run(mut self) -> Result<Id, SpanError> {
        let mut lexer = Lexer {
            src: self.input.as_bytes(),
            pos: 0,
        };
        let mut expect_operand = true;
        let mut last_was_number = false;
        loop {
            let (tok, span) = lexer.next()?;
            if expect_operand {
                last_was_number = false;
                match tok {
                    Tok::Integer | Tok::Decimal => {
                        let id = self.number(tok, span.clone())?;
                        self.operands.push(Operand {
                            value: Value::Expr(id),
                            span,
                        });
                        expect_operand = false;
                        last_was_number = true;
                    }
                    Tok::Ident => {
                        let name = &self.input[span.clone()];
                        let save = lexer.pos;
                        let (next, next_span) = lexer.next()?;
                        if next == Tok::LParen {
                            let f = self.callable(name, span.clone())?;
                            self.operators.push(Pending::Call(
                                f,
                                span.start..next_span.end,
                                self.operands.len(),
                            ));
                        } else {
                            lexer.pos = save;
                            let id = self.atom(name);
                            self.operands.push(Operand {
                                value: Value::Expr(id),
                                span,
                            });
                            expect_operand = false;
                        }
                    }
                    Tok::Minus => self.operators.push(Pending::Op(Op::Neg, span)),
                    Tok::Plus => {}
                    Tok::LParen => self.operators.push(Pending::Group(span.start)),
                    Tok::RParen if matches!(self.operators.last(), Some(Pending::Call(..))) => {
                        self.close(span)?;
                        expect_operand = false;
                    }
                    _ => {
                        return Err(self.unexpected(
                            tok,
                            span,
                            "expected a number, a symbol or `(`",
                        ));
                    }
                }
                continue;
            }
            let op = match tok {
                Tok::Plus => Op::Add,
                Tok::Minus => Op::Sub,
                Tok::Star => Op::Mul,
                Tok::Slash => Op::Div,
                Tok::Power => Op::Pow,
                Tok::Ident | Tok::LParen if last_was_number => {
                    // Implicit multiplication after a number: re-read this token as an operand.
                    lexer.pos = span.start;
                    self.push_operator(Op::Mul, span.start..span.start)?;
                    expect_operand = true;
                    continue;
                }
                Tok::RParen => {
                    self.close(span)?;
                    last_was_number = false;
                    continue;
                }
                Tok::Comma => {
                    self.reduce_until_marker(span.clone())?;
                    match self.operators.last() {
                        Some(Pending::Call(..)) => {}
                        _ => {
                            return Err(SpanError::new(
                                "`,` outside the arguments of a function",
                                span,
                            ));
                        }
                    }
                    expect_operand = true;
                    continue;
                }
                Tok::End => break,
                _ => return Err(self.unexpected(tok, span, "expected an operator")),
            };
            self.push_operator(op, span)?;
            expect_operand = true;
        }
        let end = self.input.len();
        if expect_operand {
            let message = if self.input.trim().is_empty() {
                "empty expression"
            } else {
                "expected an expression"
            };
            return Err(SpanError::new(message, end..end));
        }
        while let Some(p) = self.operators.pop() {
            match p {
                Pending::Op(op, span) => self.apply(op, span)?,
                Pending::Group(at) => {
                    return Err(SpanError::new("unclosed `(`", at..at + 1).with_help("add a `)`"));
                }
                Pending::Call(name, span, _) => {
                    return Err(SpanError::new(format!("unclosed call to `{name}`"), span)
                        .with_help("add a `)`"));
                }
            }
        }
        let last = self
            .operands
            .pop()
            .expect("a finished parse leaves one operand");
        Ok(self.finish(last.value))
    }

    fn unexpected(&self, tok: Tok, span: Range<usize>, expected: &str) -> SpanError {
        if tok == Tok::End && self.input.trim().is_empty() {
            return SpanError::new("empty expression", span);
        }
        let found = if tok == Tok::End {
            "the end of the input".to_string()
        } else {
            format!("`{}`", &self.input[span.clone()])
        };
        SpanError::new(format!("{expected}, found {found}"), span)
    }

    fn number(&mut self, tok: Tok, span: Range<usize>) -> Result<Id, SpanError> {
        let text = &self.input[span.clone()];
        if tok == Tok::Integer {
            let r = Rational::parse_integer(text)
                .ok_or_else(|| SpanError::new("malformed integer", span))?;
            return Ok(self.store.number(Number::Exact(r)));
        }
        match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(self.store.float(x)),
            _ => Err(SpanError::new("number out of the range of a float", span)
                .with_help("write it as an exact integer or power, e.g. 10^400")),
        }
    }

    fn atom(&mut self, name: &str) -> Id {
        match name {
            "pi" => self.store.constant(Constant::Pi),
            "E" => self.store.constant(Constant::E),
            "zoo" => self.store.constant(Constant::ComplexInfinity),
            "nan" => self.store.constant(Constant::NaN),
            _ => self.store.symbol(name),
        }
    }

    fn callable(&self, name: &str, span: Range<usize>) -> Result<&'static str, SpanError> {
        if let Some(f) = Func::from_name(name) {
            return Ok(f.name());
        }
        if let Some(&known) = EXTRA_FUNCTIONS.iter().find(|&&n| n == name) {
            return Ok(known);
        }
        let err = SpanError::new(format!("unknown function `{name}`"), span);
        let suggestions = closest_function_names(name);
        Err(match suggestions.first() {
            None => err.with_help(format!(
                "known functions: {}",
                known_function_names().join(", ")
            )),
            Some(best) => err.with_help(format!("did you mean `{best}`?")),
        })
    }

    fn push_operator(&mut self, op: Op, span: Range<usize>) -> Result<(), SpanError> {
        let right_assoc = op == Op::Pow;
        while let Some(Pending::Op(top, _)) = self.operators.last() {
            let (tp, p) = (top.precedence(), op.precedence());
            if tp > p || (tp == p && !right_assoc) {
                let Some(Pending::Op(top, top_span)) = self.operators.pop() else {
                    unreachable!()
                };
                self.apply(top, top_span)?;
            } else {
                break;
            }
        }
        self.operators.push(Pending::Op(op, span));
        Ok(())
    }

    fn reduce_until_marker(&mut self, at: Range<usize>) -> Result<(), SpanError> {
        while let Some(Pending::Op(..)) = self.operators.last() {
            let Some(Pending::Op(op, span)) = self.operators.pop() else {
                unreachable!()
            };
            self.apply(op, span)?;
        }
        if self.operators.is_empty() {
            return Err(SpanError::new("unmatched `)`", at));
        }
        Ok(())
    }

    /// Handles `)`: closes a group or finishes a call.
    fn close(&mut self, span: Range<usize>) -> Result<(), SpanError> {
        let unmatched = SpanError::new("unmatched `)`", span.clone());
        self.reduce_until_marker(span.clone())
            .map_err(|_| unmatched.clone())?;
        match self.operators.pop() {
            Some(Pending::Group(at)) => {
                let top = self.operands.last_mut().expect("a group holds an operand");
                top.span = at..span.end;
                Ok(())
            }
            Some(Pending::Call(name, name_span, height)) => {
                let args: Vec<Operand> = self.operands.drain(height..).collect();
                let full = name_span.start..span.end;
                let ids: Vec<Id> = args.into_iter().map(|a| self.finish(a.value)).collect();
                let id = self.build_call(name, ids, full.clone())?;
                self.operands.push(Operand {
                    value: Value::Expr(id),
                    span: full,
                });
                Ok(())
            }
            _ => Err(unmatched),
        }
    }

    fn build_call(
        &mut self,
        name: &str,
        args: Vec<Id>,
        span: Range<usize>,
    ) -> Result<Id, SpanError> {
        let arity_error = |want: &str| {
            SpanError::new(
                format!("`{name}` takes {want}, found {}", args.len()),
                span.clone(),
            )
        };
        match (name, args.len()) {
            ("sqrt", 1) => Ok(self.store.sqrt(args[0])),
            ("sqrt", _) => Err(arity_error("1 argument")),
            ("Abs", 1) => Ok(self.store.call(Func::Abs, args)),
            ("Abs", _) => Err(arity_error("1 argument")),
            ("log", 2) => {
                let num = self.store.call(Func::Log, vec![args[0]]);
                let den = self.store.call(Func::Log, vec![args[1]]);
                Ok(self.store.div(num, den))
            }
            ("log" | "ln", 1) => Ok(self.store.call(Func::Log, args)),
            ("ln", _) => Err(arity_error("1 argument")),
            ("log", _) => Err(arity_error("1 or 2 arguments")),
            _ => {
                let f = Func::from_name(name).expect("callable() checked the name");
                if args.len() != f.arity() {
                    let want = if f.arity() == 1 {
                        "1 argument".to_string()
                    } else {
                        format!("{} arguments", f.arity())
                    };
                    return Err(arity_error(&want));
                }
                Ok(self.store.call(f, args))
            }
        }
    }

    fn finish(&mut self, v: Value) -> Id {
        match v {
            Value::Expr(id) => id,
            Value::Sum(terms) => self.store.add(terms),
            Value::Product(factors) => self.store.mul(factors),
        }
    }

    fn apply(&mut self, op: Op, span: Range<usize>) -> Result<(), SpanError> {
        let missing = || SpanError::new("operator is missing an operand", span.clone());
        let right = self.operands.pop().ok_or_else(missing)?;
        if op == Op::Neg {
            // Negation joins the product it heads, so `-(x - 1)*y` is the product (-1)(x - 1)y,
            // not (1 - x)y: the way products print, and read back, with a leading minus.
            let minus_one = self.store.int(-1);
            let factors = match right.value {
                Value::Product(mut f) => {
                    f.insert(0, minus_one);
                    f
                }
                other => vec![minus_one, self.finish(other)],
            };
            self.operands.push(Operand {
                value: Value::Product(factors),
                span: span.start..right.span.end,
            });
            return Ok(());
        }
        let left = self.operands.pop().ok_or_else(missing)?;
        let full = left.span.start..right.span.end;
        let value = match op {
            Op::Add | Op::Sub => {
                let mut r = self.finish(right.value);
                if op == Op::Sub {
                    r = self.store.neg(r);
                }
                match left.value {
                    Value::Sum(mut terms) => {
                        terms.push(r);
                        Value::Sum(terms)
                    }
                    other => Value::Sum(vec![self.finish(other), r]),
                }
            }
            Op::Mul | Op::Div => {
                let mut r = self.finish(right.value);
                if op == Op::Div {
                    r = self.store.recip(r);
                }
                match left.value {
                    Value::Product(mut factors) => {
                        factors.push(r);
                        Value::Product(factors)
                    }
                    other => Value::Product(vec![self.finish(other), r]),
                }
            }
            Op::Pow => {
                let b = self.finish(left.value);
                let e = self.finish(right.value);
                Value::Expr(self.store.pow(b, e))
            }
            Op::Neg => unreachable!("handled above"),
        };
        self.operands.push(Operand { value, span: full });
        Ok(())
    }
}

/// Every name that can be called, sorted.
pub fn known_function_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = Func::ALL
        .iter()
        .map(|f| f.name())
        .chain(EXTRA_FUNCTIONS.iter().copied())
        .collect();
    names.sort_unstable();
    names
}

/// Known function names within a small edit distance of `name`, closest first: fewest edits, then
/// a name that extends or truncates the input (`sinn` → `sin`), then the longest common prefix.
fn closest_function_names(name: &str) -> Vec<&'static str> {
    let limit = if name.len() <= 3 { 1 } else { 2 };
    let lower = name.to_lowercase();
    let mut scored: Vec<(usize, bool, std::cmp::Reverse<usize>, &str)> = known_function_names()
        .into_iter()
        .map(|k| {
            let prefix = lower
                .chars()
                .zip(k.chars())
                .take_while(|(a, b)| a == b)
                .count();
            (
                edit_distance(&lower, k),
                !(lower.starts_with(k) || k.starts_with(&lower)),
                std::cmp::Reverse(prefix),
                k,
            )
        })
        .filter(|s| s.0 <= limit)
        .collect();
    scored.sort();
    scored.into_iter().map(|s| s.3).take(1).collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::to_text;

    fn text(input: &str) -> String {
        let mut s = Store::new();
        let id = parse(&mut s, input).unwrap_or_else(|e| panic!("{input}: {}", e.render(input)));
        to_text(&s, id)
    }

    fn error(input: &str) -> SpanError {
        let mut s = Store::new();
        parse(&mut s, input).expect_err(input)
    }

    #[test]
    fn precedence_and_associativity() {
        for (input, want) in [
            ("-x^2", "-x**2"),
            ("2^3^2", "512"),
            ("x**y**z", "x**(y**z)"),
            ("2^-1", "1/2"),
            ("x^-2", "1/x**2"),
            ("1 - 2 - 3", "-4"),
            ("8/4/2", "1"),
            ("-2^2", "-4"),
            ("(-2)^2", "4"),
            ("3x^2", "3*x**2"),
            ("2(x+1)", "2*x + 2"),
            ("2 x", "2*x"),
            ("3/4", "3/4"),
            ("2.5", "2.5"),
            ("1e-3", "0.001"),
            ("2e", "2*e"),
            ("+x", "x"),
            ("x--y", "x + y"),
            ("2*-x", "-2*x"),
        ] {
            assert_eq!(text(input), want, "{input}");
        }
    }

    #[test]
    fn functions_and_constants() {
        assert_eq!(text("sqrt(x)"), "sqrt(x)");
        assert_eq!(text("log(x, 2)"), "log(x)/log(2)");
        assert_eq!(text("Abs(-x)"), "abs(x)");
        assert_eq!(text("ln(x*y)"), "log(x*y)");
        assert_eq!(text("atan2(y, x)"), "atan2(y, x)");
        assert_eq!(text("sin(pi/6)"), "1/2");
        assert_eq!(text("exp(1)"), "E");
        assert_eq!(text("E^x"), "exp(x)");
    }

    #[test]
    fn errors_point_at_the_spot() {
        let cases: &[(&str, Range<usize>, &str)] = &[
            ("x^^2", 2..3, "expected a number"),
            ("sin(", 4..4, "found the end of the input"),
            ("2*(x+1", 2..3, "unclosed `(`"),
            ("sinn(x)", 0..4, "unknown function `sinn`"),
            ("", 0..0, "empty expression"),
            ("x $ y", 2..3, "unexpected character `$`"),
            ("x\0", 1..2, "unexpected character"),
            ("x+*y", 2..3, "expected a number"),
            ("3..2*x", 2..3, "at most one decimal point"),
            ("x)", 1..2, "unmatched `)`"),
            ("x y", 2..3, "expected an operator"),
            ("sin(x, y)", 0..9, "`sin` takes 1 argument, found 2"),
            ("f(x)", 0..1, "unknown function `f`"),
            (",", 0..1, "expected a number"),
            ("1e999", 0..5, "out of the range"),
        ];
        for (input, span, message) in cases {
            let e = error(input);
            assert_eq!(&e.span, span, "{input}: {e}");
            assert!(e.message.contains(message), "{input}: {}", e.message);
        }
        assert_eq!(
            error("sinn(x)").help.as_deref(),
            Some("did you mean `sin`?")
        );
        assert_eq!(
            error("cosh2(x)").help.as_deref(),
            Some("did you mean `cosh`?")
        );
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let depth = 100_000;
        let input = format!("{}x{}", "(".repeat(depth), ")".repeat(depth));
        assert_eq!(text(&input), "x");
        let calls = format!("{}x{}", "sin(".repeat(depth), ")".repeat(depth));
        let mut s = Store::new();
        assert!(parse(&mut s, &calls).is_ok());
    }

    #[test]
    fn long_sums_collect_in_one_pass() {
        let input = vec!["x*y"; 200_000].join("+");
        assert_eq!(text(&input), "200000*x*y");
    }

    #[test]
    fn huge_exponents_stay_symbolic() {
        assert_eq!(text("2^(10^30)"), "2**1000000000000000000000000000000");
        assert_eq!(text("x^(10^30)"), "x**1000000000000000000000000000000");
    }
}

#[cfg(test)]
mod robustness {
    use proptest::prelude::*;

    use super::parse;
    use crate::Store;
    use crate::print::{to_latex, to_text};

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Any text either parses (and then differentiates and prints) or gives an error whose
        /// span lies inside the input; nothing panics.
        #[test]
        fn arbitrary_text_never_panics(input in "[xy0-9.e+*/^()\\-, a-z_]{0,40}|\\PC{0,20}") {
            let mut s = Store::new();
            match parse(&mut s, &input) {
                Ok(f) => {
                    let x = s.symbol_id("x");
                    let d = s.diff(f, x);
                    let text = to_text(&s, d);
                    to_latex(&s, d);
                    prop_assert!(parse(&mut s, &text).is_ok(), "{} printed as {}", input, text);
                }
                Err(e) => {
                    prop_assert!(e.span.start <= e.span.end && e.span.end <= input.len(), "{:?} for {:?}", e.span, input);
                    prop_assert!(input.is_char_boundary(e.span.start) && input.is_char_boundary(e.span.end));
                    e.render(&input);
                }
            }
        }
    }
}
