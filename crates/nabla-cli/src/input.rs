//! Reading what the user typed: expressions (from arguments or standard input), variable lists,
//! points `x=1,y=2` and substitutions `x=2*t`, each with a caret report when it is malformed.

use std::ffi::OsString;
use std::io::Read;

use nabla::{Id, SpanError, Store, Symbol};
use rustc_hash::FxHashMap;

use crate::failure::Failure;

/// The text of an expression argument; `-` reads standard input.
pub fn expression_text(arg: &OsString) -> Result<String, Failure> {
    if arg == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::usage(format!("error: cannot read standard input: {e}")))?;
        return utf8(bytes);
    }
    utf8(arg.as_encoded_bytes().to_vec())
}

fn utf8(bytes: Vec<u8>) -> Result<String, Failure> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let shown = String::from_utf8_lossy(e.as_bytes()).into_owned();
        let shown_at = String::from_utf8_lossy(&e.as_bytes()[..at]).len();
        Failure::usage(
            SpanError::new("the input is not valid UTF-8", shown_at..shown_at + 3).render(&shown),
        )
    })
}

/// Parses an expression, turning errors into a caret report.
pub fn expression(store: &mut Store, text: &str) -> Result<Id, Failure> {
    nabla::parse(store, text).map_err(|e| Failure::usage(e.render(text)))
}

/// Whether `name` is a symbol of the input language: letters, digits and `_`, not starting with
/// a digit, and not one of the constants.
pub fn is_variable_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(name, "pi" | "E")
}

/// Checks that `name` is a valid symbol name and returns its symbol.
pub fn variable(store: &mut Store, name: &str) -> Result<Symbol, Failure> {
    if !is_variable_name(name) {
        return Err(Failure::usage(format!(
            "error: `{name}` is not a variable name (letters, digits and `_`, not starting with a digit; not pi or E)"
        )));
    }
    Ok(store.symbol_id(name))
}

/// `x,y` or repeated `--vars x --vars y`; defaults to the free symbols sorted by name.
pub fn variables(
    store: &mut Store,
    given: &[String],
    roots: &[Id],
) -> Result<Vec<Symbol>, Failure> {
    if given.is_empty() {
        return Ok(store.free_symbols_many(roots));
    }
    given
        .iter()
        .flat_map(|g| g.split(','))
        .map(|n| variable(store, n.trim()))
        .collect()
}

/// `x=1,y=2` (or several such arguments) into values; each value may be an expression (`pi/2`).
pub fn point(store: &mut Store, given: &[String]) -> Result<Vec<(Symbol, f64)>, Failure> {
    let mut out = Vec::new();
    for item in given.iter().flat_map(|g| g.split(',')) {
        let (name, value) = binding(item)?;
        let sym = variable(store, name)?;
        let v = expression(store, value)?;
        let x = nabla::eval::evaluate(store, v, &FxHashMap::default()).map_err(|e| {
            Failure::usage(format!(
                "error: the value of `{name}` must be a number: {e}"
            ))
        })?;
        if !x.is_finite() {
            return Err(Failure::usage(format!(
                "error: the value of `{name}` must be a finite number, found {x}"
            )));
        }
        out.push((sym, x));
    }
    Ok(out)
}

/// `x=2*t` into a substitution.
pub fn substitutions(
    store: &mut Store,
    given: &[String],
) -> Result<FxHashMap<Symbol, Id>, Failure> {
    let mut out = FxHashMap::default();
    for item in given {
        let (name, value) = binding(item)?;
        let sym = variable(store, name)?;
        let v = expression(store, value)?;
        out.insert(sym, v);
    }
    Ok(out)
}

fn binding(item: &str) -> Result<(&str, &str), Failure> {
    item.split_once('=')
        .map(|(n, v)| (n.trim(), v.trim()))
        .ok_or_else(|| Failure::usage(format!("error: expected NAME=VALUE, found `{item}`")))
}
