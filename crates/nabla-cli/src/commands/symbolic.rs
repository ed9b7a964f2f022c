//! `diff`, `grad`, `jacobian`, `hessian`, `eval`, `simplify`, `expand`: symbolic results, or their
//! values at a point with `--at`.

use std::ffi::OsString;

use clap::Args;
use nabla::calculus;
use nabla::eval::{evaluate_many, substitute};
use nabla::print::{to_latex, to_text};
use nabla::{Id, Store, Symbol};
use rustc_hash::FxHashMap;
use serde_json::json;

use crate::commands::numeric::{self, Method, Problem};
use crate::failure::Failure;
use crate::input;
use crate::output::{self, Format};

#[derive(Args)]
pub struct Common {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Evaluate the result at a point, e.g. `--at x=1,y=2`.
    #[arg(long, value_name = "x=1,y=2")]
    pub at: Vec<String>,
    /// Substitute into the result, e.g. `--subs x=2*t` (repeatable).
    #[arg(long, value_name = "x=EXPR")]
    pub subs: Vec<String>,
}

/// Differentiate an expression by one or more variables, left to right.
#[derive(Args)]
pub struct DiffArgs {
    /// The expression (`-` reads it from standard input).
    #[arg(allow_hyphen_values = true)]
    pub expr: OsString,
    /// Variables, applied left to right: `x y` is ∂²f/∂x∂y.
    #[arg(required = true)]
    pub vars: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

/// The gradient, the Hessian, or (for `partials`) every first and second partial derivative.
#[derive(Args)]
pub struct GradArgs {
    /// The expression (`-` reads it from standard input).
    #[arg(allow_hyphen_values = true)]
    pub expr: OsString,
    /// Variables (default: the free symbols sorted by name), e.g. `--vars x,y`.
    #[arg(long, value_name = "x,y")]
    pub vars: Vec<String>,
    /// How to compute numbers at `--at`: the symbolic derivative, forward or reverse automatic
    /// differentiation, or finite differences with error estimates.
    #[arg(long, value_enum, default_value_t = Method::Symbolic)]
    pub method: Method,
    #[command(flatten)]
    pub common: Common,
}

/// The Jacobian of several expressions.
#[derive(Args)]
pub struct JacobianArgs {
    /// The expressions, one per row (after `--` when one starts with `-`). Options may follow
    /// them: hyphenated values are not taken here, or the list would swallow `--vars` and `--at`.
    #[arg(required = true)]
    pub exprs: Vec<OsString>,
    /// Variables (default: the free symbols of all expressions sorted by name).
    #[arg(long, value_name = "x,y")]
    pub vars: Vec<String>,
    /// How to compute numbers at `--at` (see `grad --help`).
    #[arg(long, value_enum, default_value_t = Method::Symbolic)]
    pub method: Method,
    #[command(flatten)]
    pub common: Common,
}

/// Evaluate an expression at a point.
#[derive(Args)]
pub struct EvalArgs {
    /// The expression (`-` reads it from standard input).
    #[arg(allow_hyphen_values = true)]
    pub expr: OsString,
    /// Values, e.g. `x=1 y=2`.
    pub bindings: Vec<String>,
    /// Substitute first, e.g. `--subs x=2*t`.
    #[arg(long, value_name = "x=EXPR")]
    pub subs: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Rewrite an expression (simplify or expand).
#[derive(Args)]
pub struct RewriteArgs {
    /// The expression (`-` reads it from standard input).
    #[arg(allow_hyphen_values = true)]
    pub expr: OsString,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

struct Parsed {
    store: Store,
    text: String,
    root: Id,
}

fn parse_arg(arg: &OsString) -> Result<Parsed, Failure> {
    let text = input::expression_text(arg)?;
    let mut store = Store::new();
    let root = input::expression(&mut store, &text)?;
    Ok(Parsed { store, text, root })
}

/// The point of `--at` and the results' values there.
type Evaluated = (Vec<(Symbol, f64)>, Vec<f64>);

/// Applies the substitutions `x=EXPR` to every result.
fn substitute_all(store: &mut Store, results: &mut [Id], given: &[String]) -> Result<(), Failure> {
    let subs = input::substitutions(store, given)?;
    if !subs.is_empty() {
        for r in results.iter_mut() {
            *r = substitute(store, *r, &subs);
        }
    }
    Ok(())
}

/// The point `x=1,y=2` and the results' values there.
fn evaluate_at(store: &mut Store, results: &[Id], given: &[String]) -> Result<Evaluated, Failure> {
    let point = input::point(store, given)?;
    let bindings: FxHashMap<Symbol, f64> = point.iter().copied().collect();
    let values = evaluate_many(store, results, &bindings)
        .map_err(|e| Failure::failed(format!("error: {e}")))?;
    Ok((point, values))
}

/// Applies `--subs`, then evaluates at `--at` if given.
fn finish(
    store: &mut Store,
    results: &mut [Id],
    common: &Common,
) -> Result<Option<Evaluated>, Failure> {
    substitute_all(store, results, &common.subs)?;
    if common.at.is_empty() {
        return Ok(None);
    }
    evaluate_at(store, results, &common.at).map(Some)
}

pub fn diff(args: DiffArgs) -> Result<(), Failure> {
    let Parsed {
        mut store,
        text,
        root,
    } = parse_arg(&args.expr)?;
    let vars: Vec<Symbol> = args
        .vars
        .iter()
        .map(|v| input::variable(&mut store, v))
        .collect::<Result<_, _>>()?;
    let mut result = [store.diff_many(root, &vars)];
    let at = finish(&mut store, &mut result, &args.common)?;
    let names = output::names(&store, &vars);
    match (args.common.format, at) {
        (Format::Json, at) => {
            let mut v = json!({"input": text, "vars": names, "result": to_text(&store, result[0]), "latex": to_latex(&store, result[0])});
            if let Some((point, values)) = at {
                v["at"] = output::point_json(&store, &point);
                v["value"] = output::json_number(values[0]);
            }
            output::print_json(&v);
        }
        (_, Some((_, values))) => println!("{}", output::number_text(values[0])),
        (Format::Latex, None) => println!("{}", to_latex(&store, result[0])),
        (Format::Text, None) => println!("{}", to_text(&store, result[0])),
    }
    Ok(())
}

/// `--at` with a method other than the symbolic one differentiates the expression itself.
fn numeric_point(
    store: &mut Store,
    common: &Common,
    method: Method,
) -> Result<Option<Vec<(Symbol, f64)>>, Failure> {
    if common.at.is_empty() {
        if method != Method::Symbolic {
            return Err(Failure::usage(format!(
                "error: --method {} gives numbers: say where with --at x=1,y=2",
                method.name()
            )));
        }
        return Ok(None);
    }
    if !common.subs.is_empty() {
        return Err(Failure::usage(
            "error: --subs rewrites symbolic results; with --at, give every value in --at instead",
        ));
    }
    input::point(store, &common.at).map(Some)
}

fn numbers_json(xs: &[f64]) -> serde_json::Value {
    json!(
        xs.iter()
            .map(|&x| output::json_number(x))
            .collect::<Vec<_>>()
    )
}

fn matrix_json(rows: &[Vec<f64>]) -> serde_json::Value {
    json!(rows.iter().map(|r| numbers_json(r)).collect::<Vec<_>>())
}

pub fn grad(args: GradArgs) -> Result<(), Failure> {
    let Parsed {
        mut store,
        text,
        root,
    } = parse_arg(&args.expr)?;
    let vars = input::variables(&mut store, &args.vars, &[root])?;
    let names = output::names(&store, &vars);
    if let Some(point) = numeric_point(&mut store, &args.common, args.method)? {
        let f = Problem::new(&store, &[root], &vars, &point)?;
        let est = numeric::gradient(&f, args.method, &mut || {
            let g = calculus::gradient(&mut store, root, &vars);
            Problem::new(&store, &g, &vars, &point)
        })?;
        if args.common.format == Format::Json {
            let mut v = json!({"method": args.method.name(), "input": text, "at": output::point_json(&store, &point), "vars": names,
                "gradient": numbers_json(&est.values)});
            if let Some(e) = &est.errors {
                v["error"] = numbers_json(e);
            }
            output::print_json(&v);
        } else {
            println!("{}", output::numbers_text(&est.values));
            if let Some(e) = &est.errors {
                println!("error estimate {}", output::numbers_text(e));
            }
        }
        return Ok(());
    }
    let mut g = calculus::gradient(&mut store, root, &vars);
    finish(&mut store, &mut g, &args.common)?;
    match args.common.format {
        Format::Json => output::print_json(&json!({
            "input": text, "vars": names,
            "gradient": g.iter().map(|&d| to_text(&store, d)).collect::<Vec<_>>(),
            "latex": g.iter().map(|&d| to_latex(&store, d)).collect::<Vec<_>>(),
        })),
        format => println!("{}", output::list(&store, &g, format)),
    }
    Ok(())
}

/// Hessians and Jacobians: symbolic matrices, or numbers at `--at` by any method.
struct MatrixJob<'a> {
    text: serde_json::Value,
    fs: Vec<Id>,
    vars: Vec<Symbol>,
    /// The symbolic matrix of `fs` in `vars`: [`calculus::hessian`] or [`calculus::jacobian`].
    derive: Derive,
    key: &'a str,
    method: Method,
    /// [`numeric::hessian`] or [`numeric::jacobian`].
    estimate: MatrixEstimate,
}

type Derive = fn(&mut Store, &[Id], &[Symbol]) -> Vec<Vec<Id>>;

type MatrixEstimate =
    fn(&Problem, Method, numeric::Symbolic) -> Result<numeric::Estimate<Vec<Vec<f64>>>, Failure>;

fn matrix_command(mut store: Store, job: MatrixJob, common: &Common) -> Result<(), Failure> {
    let MatrixJob {
        text,
        fs,
        vars,
        derive,
        key,
        method,
        estimate,
    } = job;
    let names = output::names(&store, &vars);
    if let Some(point) = numeric_point(&mut store, common, method)? {
        let f = Problem::new(&store, &fs, &vars, &point)?;
        let est = estimate(&f, method, &mut || {
            let rows = derive(&mut store, &fs, &vars);
            Problem::new(&store, &rows.concat(), &vars, &point)
        })?;
        if common.format == Format::Json {
            let mut v = json!({"method": method.name(), "input": text, "at": output::point_json(&store, &point), "vars": names});
            v[key] = matrix_json(&est.values);
            if let Some(e) = &est.errors {
                v["error"] = matrix_json(e);
            }
            output::print_json(&v);
        } else {
            println!("{}", output::number_matrix_text(&est.values));
            if let Some(e) = &est.errors {
                println!("error estimate {}", output::number_matrix_text(e));
            }
        }
        return Ok(());
    }
    let mut rows = derive(&mut store, &fs, &vars);
    let width = vars.len().max(1);
    let mut flat: Vec<Id> = rows.concat();
    finish(&mut store, &mut flat, common)?;
    for (r, chunk) in rows.iter_mut().zip(flat.chunks(width)) {
        r.copy_from_slice(chunk);
    }
    match common.format {
        Format::Json => {
            let mut v = json!({"input": text, "vars": names});
            v[key] = json!(
                rows.iter()
                    .map(|r| r.iter().map(|&d| to_text(&store, d)).collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            );
            v["latex"] = json!(output::matrix(&store, &rows, Format::Latex));
            output::print_json(&v);
        }
        format => println!("{}", output::matrix(&store, &rows, format)),
    }
    Ok(())
}

pub fn hessian(args: GradArgs) -> Result<(), Failure> {
    let Parsed {
        mut store,
        text,
        root,
    } = parse_arg(&args.expr)?;
    let vars = input::variables(&mut store, &args.vars, &[root])?;
    let job = MatrixJob {
        text: json!(text),
        fs: vec![root],
        vars,
        derive: |store, fs, vars| calculus::hessian(store, fs[0], vars),
        key: "hessian",
        method: args.method,
        estimate: numeric::hessian,
    };
    matrix_command(store, job, &args.common)
}

pub fn jacobian(args: JacobianArgs) -> Result<(), Failure> {
    let mut store = Store::new();
    let mut texts = Vec::new();
    let mut roots = Vec::new();
    for e in &args.exprs {
        let text = input::expression_text(e)?;
        roots.push(input::expression(&mut store, &text)?);
        texts.push(text);
    }
    let vars = input::variables(&mut store, &args.vars, &roots)?;
    let job = MatrixJob {
        text: json!(texts),
        fs: roots,
        vars,
        derive: calculus::jacobian,
        key: "jacobian",
        method: args.method,
        estimate: numeric::jacobian,
    };
    matrix_command(store, job, &args.common)
}

pub fn eval(args: EvalArgs) -> Result<(), Failure> {
    let Parsed {
        mut store,
        text,
        root,
    } = parse_arg(&args.expr)?;
    let mut result = [root];
    substitute_all(&mut store, &mut result, &args.subs)?;
    let (point, values) = evaluate_at(&mut store, &result, &args.bindings)?;
    let value = values[0];
    match args.format {
        Format::Json => output::print_json(
            &json!({"input": text, "at": output::point_json(&store, &point), "value": output::json_number(value)}),
        ),
        _ => println!("{}", output::number_text(value)),
    }
    if !value.is_finite() {
        eprintln!(
            "note: the value is {} (IEEE arithmetic: e.g. log of a negative number, or division by zero)",
            output::number_text(value)
        );
    }
    Ok(())
}

pub fn rewrite(args: RewriteArgs, how: fn(&mut Store, Id) -> Id) -> Result<(), Failure> {
    let Parsed {
        mut store,
        text,
        root,
    } = parse_arg(&args.expr)?;
    let r = how(&mut store, root);
    match args.format {
        Format::Json => output::print_json(
            &json!({"input": text, "result": to_text(&store, r), "latex": to_latex(&store, r)}),
        ),
        Format::Latex => println!("{}", to_latex(&store, r)),
        Format::Text => println!("{}", to_text(&store, r)),
    }
    Ok(())
}

/// Every first and second partial, mixed ones in both orders, one per line.
pub fn partials(args: GradArgs) -> Result<(), Failure> {
    let Parsed {
        mut store,
        text,
        root,
    } = parse_arg(&args.expr)?;
    let vars = input::variables(&mut store, &args.vars, &[root])?;
    let names = output::names(&store, &vars);
    let mut labels = Vec::new();
    let mut results = Vec::new();
    for (i, &v) in vars.iter().enumerate() {
        labels.push(output::first_partial(&names, i));
        results.push(store.diff(root, v));
    }
    for (i, &v) in vars.iter().enumerate() {
        for (j, &w) in vars.iter().enumerate() {
            labels.push(output::second_partial(&names, i, j));
            results.push(store.diff_many(root, &[v, w]));
        }
    }
    let at = finish(&mut store, &mut results, &args.common)?;
    if args.common.format == Format::Json {
        let rows: Vec<serde_json::Value> = labels
            .iter()
            .zip(&results)
            .enumerate()
            .map(|(k, (l, &r))| {
                let mut row = json!({"partial": l, "result": to_text(&store, r), "latex": to_latex(&store, r)});
                if let Some((_, values)) = &at {
                    row["value"] = output::json_number(values[k]);
                }
                row
            })
            .collect();
        output::print_json(&json!({"input": text, "vars": names, "partials": rows}));
        return Ok(());
    }
    println!("f = {}", to_text(&store, root));
    for (k, (label, &r)) in labels.iter().zip(&results).enumerate() {
        let shown = match (&at, args.common.format) {
            (Some((_, values)), _) => output::number_text(values[k]),
            (None, Format::Latex) => to_latex(&store, r),
            (None, _) => to_text(&store, r),
        };
        println!("{label} = {shown}");
    }
    Ok(())
}
