//! Printing results: text (valid nabla and SymPy input), LaTeX, or one JSON object for scripts.

use nabla::number::format_float;
use nabla::print::{to_latex, to_text};
use nabla::{Id, Store, Symbol};
use serde_json::{Value, json};

#[derive(Copy, Clone, PartialEq, Eq, Debug, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Latex,
    Json,
}

/// How commands that report on a run (`minimize`, `train`, `predict`) print: text for people, or
/// one JSON object for scripts. There is no LaTeX form of a report.
#[derive(Copy, Clone, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Report {
    Text,
    Json,
}

/// A number for JSON: finite floats as numbers, NaN and infinities as strings.
pub fn json_number(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        json!(format_float(x))
    }
}

pub fn number_text(x: f64) -> String {
    format_float(x)
}

pub fn names(store: &Store, vars: &[Symbol]) -> Vec<String> {
    vars.iter()
        .map(|&v| store.symbol_name(v).to_string())
        .collect()
}

/// The label `∂f/∂x` of the partial derivative by `names[i]`.
pub fn first_partial(names: &[String], i: usize) -> String {
    format!("∂f/∂{}", names[i])
}

/// The label of `f` differentiated by `names[i]`, then by `names[j]`: `∂²f/∂x_j∂x_i` in the usual
/// notation, `∂²f/∂x²` when `i == j`.
pub fn second_partial(names: &[String], i: usize, j: usize) -> String {
    if i == j {
        format!("∂²f/∂{}²", names[i])
    } else {
        format!("∂²f/∂{}∂{}", names[j], names[i])
    }
}

/// `x=1,y=2`: names with values, as `--at` and `--from` take them.
pub fn assignments<'a>(pairs: impl IntoIterator<Item = (&'a str, f64)>) -> String {
    pairs
        .into_iter()
        .map(|(name, v)| format!("{name}={}", number_text(v)))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn point_json(store: &Store, point: &[(Symbol, f64)]) -> Value {
    let mut m = serde_json::Map::new();
    for &(s, v) in point {
        m.insert(store.symbol_name(s).to_string(), json_number(v));
    }
    Value::Object(m)
}

/// A list of expressions as `[a, b]` (text) or a LaTeX column vector.
pub fn list(store: &Store, items: &[Id], format: Format) -> String {
    match format {
        Format::Latex => matrix_latex(
            &items
                .iter()
                .map(|&i| vec![to_latex(store, i)])
                .collect::<Vec<_>>(),
        ),
        _ => format!(
            "[{}]",
            items
                .iter()
                .map(|&i| to_text(store, i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A matrix of expressions as `[[a, b], [c, d]]` (text) or a LaTeX `pmatrix`.
pub fn matrix(store: &Store, rows: &[Vec<Id>], format: Format) -> String {
    match format {
        Format::Latex => matrix_latex(
            &rows
                .iter()
                .map(|r| r.iter().map(|&i| to_latex(store, i)).collect())
                .collect::<Vec<_>>(),
        ),
        _ => format!(
            "[{}]",
            rows.iter()
                .map(|r| list(store, r, Format::Text))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn matrix_latex(rows: &[Vec<String>]) -> String {
    let body: Vec<String> = rows.iter().map(|r| r.join(" & ")).collect();
    format!(
        "\\begin{{pmatrix}} {} \\end{{pmatrix}}",
        body.join(" \\\\ ")
    )
}

pub fn numbers_text(xs: &[f64]) -> String {
    format!(
        "[{}]",
        xs.iter()
            .map(|&x| number_text(x))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

pub fn number_matrix_text(rows: &[Vec<f64>]) -> String {
    format!(
        "[{}]",
        rows.iter()
            .map(|r| numbers_text(r))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

pub fn print_json(v: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).expect("JSON values serialise")
    );
}

/// Writes `text` to standard output. A reader that has gone away (`nabla predict … | head`) is
/// not an error: the rest of the output is simply not wanted.
pub fn write_stdout(text: &str) -> Result<(), crate::failure::Failure> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(
            crate::failure::Failure::failed(format!("error: cannot write the output: {e}")),
        ),
        _ => Ok(()),
    }
}

/// [`write_stdout`] of a JSON value, pretty-printed as [`print_json`] does.
pub fn write_json(v: &Value) -> Result<(), crate::failure::Failure> {
    write_stdout(&(serde_json::to_string_pretty(v).expect("JSON values serialise") + "\n"))
}
