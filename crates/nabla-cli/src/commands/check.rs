//! `nabla check`: every first and second partial computed four ways (symbolic, forward, reverse,
//! finite differences) at given or random points, held against each other, with Schwarz's
//! symmetry of the mixed partials checked on the symbolic derivatives taken in both orders.

use std::ffi::OsString;

use clap::Args;
use nabla::{Id, Store, Symbol};
use serde_json::json;

use crate::commands::numeric::{self, Method, Problem};
use crate::failure::Failure;
use crate::input;
use crate::output::{self, Format};

/// Compute every first and second partial four ways and check that they agree.
#[derive(Args)]
pub struct CheckArgs {
    /// The expression (`-` reads it from standard input).
    #[arg(allow_hyphen_values = true)]
    pub expr: OsString,
    /// Variables (default: the free symbols sorted by name).
    #[arg(long, value_name = "x,y")]
    pub vars: Vec<String>,
    /// A point to check at; without it, random points with every coordinate in (0.1, 2).
    #[arg(long, value_name = "x=1,y=2")]
    pub at: Vec<String>,
    /// Number of random points (1 to 10,000).
    #[arg(long, default_value_t = 3,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub points: usize,
    /// Seed of the random points.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Relative tolerance between the exact methods (symbolic, forward, reverse).
    #[arg(long, default_value_t = 1e-8)]
    pub tolerance: f64,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// One partial derivative at one point, by every method.
struct Row {
    label: String,
    /// Values by method, in [`Method::ALL`] order.
    values: [f64; 4],
    numeric_error: f64,
}

struct Verdict {
    worst: f64,
    worst_at: String,
    failures: Vec<String>,
}

/// Does `value` (by `method`) agree with the symbolic `reference`?
fn agrees(method: Method, value: f64, reference: f64, numeric_error: f64, tolerance: f64) -> bool {
    let scale = 1.0 + reference.abs();
    match method {
        Method::Symbolic => true,
        Method::Forward | Method::Reverse => {
            (value - reference).abs() <= tolerance * scale || value == reference
        }
        // A finite difference agrees when it is within its own error estimate (with a little
        // slack for the estimate's own rounding) and that estimate is small: a large one means
        // the function is not smooth enough here for the difference to say anything.
        Method::Numeric => {
            numeric_error <= 1e-3 * scale
                && (value - reference).abs() <= 2.0 * numeric_error + 1e-9 * scale
        }
    }
}

fn rows_at(
    store: &mut Store,
    f: Id,
    vars: &[Symbol],
    names: &[String],
    point: &[(Symbol, f64)],
) -> Result<Vec<Row>, Failure> {
    let grad = nabla::calculus::gradient(store, f, vars);
    let n = vars.len();
    // Mixed partials in both orders, each taken symbolically on its own (not mirrored).
    let mut second = Vec::with_capacity(n * n);
    for &gi in &grad {
        for &v in vars {
            second.push(store.diff(gi, v));
        }
    }
    let fp = Problem::new(store, &[f], vars, point)?;
    let mut grads = Vec::new();
    let mut hessians = Vec::new();
    for m in Method::ALL {
        grads.push(numeric::gradient(&fp, m, &mut || {
            Problem::new(store, &grad, vars, point)
        })?);
        hessians.push(numeric::hessian(&fp, m, &mut || {
            Problem::new(store, &second, vars, point)
        })?);
    }
    let mut rows = Vec::new();
    for i in 0..n {
        rows.push(Row {
            label: output::first_partial(names, i),
            values: std::array::from_fn(|k| grads[k].values[i]),
            numeric_error: grads[3].errors.as_ref().map_or(0.0, |e| e[i]),
        });
    }
    for i in 0..n {
        for j in 0..n {
            // hessian[i][j] is diff by x_i then x_j.
            rows.push(Row {
                label: output::second_partial(names, i, j),
                values: std::array::from_fn(|k| hessians[k].values[i][j]),
                numeric_error: hessians[3].errors.as_ref().map_or(0.0, |e| e[i][j]),
            });
        }
    }
    Ok(rows)
}

fn judge(rows: &[Row], tolerance: f64, where_: &str, verdict: &mut Verdict) {
    for row in rows {
        let reference = row.values[0];
        for (k, m) in Method::ALL.into_iter().enumerate().skip(1) {
            let v = row.values[k];
            let gap = (v - reference).abs() / (1.0 + reference.abs());
            if gap > verdict.worst || gap.is_nan() {
                verdict.worst = if gap.is_nan() { f64::INFINITY } else { gap };
                verdict.worst_at = format!("{} by {} at {where_}", row.label, m.name());
            }
            if !agrees(m, v, reference, row.numeric_error, tolerance) {
                let detail = match m {
                    Method::Numeric => format!(
                        "{} ± {}",
                        output::number_text(v),
                        output::number_text(row.numeric_error)
                    ),
                    _ => output::number_text(v),
                };
                verdict.failures.push(format!(
                    "{} at {where_}: {} gives {detail}, symbolic {}",
                    row.label,
                    m.name(),
                    output::number_text(reference)
                ));
            }
        }
    }
}

/// Schwarz: ∂²f/∂x∂y = ∂²f/∂y∂x, on the symbolic values taken in both orders.
fn asymmetric_pairs(rows: &[Row], n: usize, tolerance: f64) -> Vec<(usize, usize)> {
    let h = |i: usize, j: usize| rows[n + i * n + j].values[0];
    let mut bad = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (h(i, j), h(j, i));
            if !((a - b).abs() <= tolerance * (1.0 + a.abs().max(b.abs())) || a == b) {
                bad.push((i, j));
            }
        }
    }
    bad
}

fn random_points(
    store: &Store,
    f: Id,
    vars: &[Symbol],
    count: usize,
    seed: u64,
) -> Vec<Vec<(Symbol, f64)>> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut points = Vec::new();
    for _ in 0..count.saturating_mul(50) {
        if points.len() == count {
            break;
        }
        let p: Vec<(Symbol, f64)> = vars.iter().map(|&v| (v, 0.1 + 1.9 * rng.f64())).collect();
        let bindings = p.iter().copied().collect();
        if nabla::eval::evaluate(store, f, &bindings).is_ok_and(f64::is_finite) {
            points.push(p);
        }
    }
    points
}

fn describe(store: &Store, point: &[(Symbol, f64)]) -> String {
    output::assignments(point.iter().map(|&(s, v)| (store.symbol_name(s), v)))
}

pub fn run(args: CheckArgs) -> Result<(), Failure> {
    let text = input::expression_text(&args.expr)?;
    let mut store = Store::new();
    let f = input::expression(&mut store, &text)?;
    let vars = input::variables(&mut store, &args.vars, &[f])?;
    if vars.is_empty() {
        return Err(Failure::usage(format!(
            "error: `{text}` has no variables, so it has no partial derivatives to check \
             (name variables with --vars)"
        )));
    }
    let names = output::names(&store, &vars);
    let points = if args.at.is_empty() {
        let p = random_points(&store, f, &vars, args.points, args.seed);
        if p.is_empty() {
            return Err(Failure::failed(
                "error: the expression is not finite at any random point in (0.1, 2)",
            ));
        }
        p
    } else {
        vec![input::point(&mut store, &args.at)?]
    };
    let mut verdict = Verdict {
        worst: 0.0,
        worst_at: String::new(),
        failures: Vec::new(),
    };
    let mut tables = Vec::new();
    let mut asymmetric = Vec::new();
    for point in &points {
        let where_ = describe(&store, point);
        let rows = rows_at(&mut store, f, &vars, &names, point)?;
        judge(&rows, args.tolerance, &where_, &mut verdict);
        for (i, j) in asymmetric_pairs(&rows, vars.len(), args.tolerance) {
            asymmetric.push(format!(
                "{} ≠ {} at {where_}",
                output::second_partial(&names, j, i),
                output::second_partial(&names, i, j)
            ));
        }
        tables.push((where_, rows));
    }
    let ok = verdict.failures.is_empty() && asymmetric.is_empty();
    if args.format == Format::Json {
        let pts: Vec<serde_json::Value> = tables
            .iter()
            .map(|(w, rows)| {
                let partials: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|r| {
                        let mut o = json!({"partial": r.label, "numeric_error": output::json_number(r.numeric_error)});
                        for (k, m) in Method::ALL.into_iter().enumerate() {
                            o[m.name()] = output::json_number(r.values[k]);
                        }
                        o
                    })
                    .collect();
                json!({"at": w, "partials": partials})
            })
            .collect();
        output::print_json(&json!({
            "input": text, "vars": names, "points": pts, "largest_disagreement": output::json_number(verdict.worst),
            "symmetric": asymmetric.is_empty(), "agree": ok, "failures": verdict.failures, "asymmetric": asymmetric,
        }));
    } else {
        println!("f = {}", nabla::print::to_text(&store, f));
        for (w, rows) in &tables {
            println!("\nat {w}");
            println!(
                "{:<14} {:>24} {:>24} {:>24} {:>24}  ± error",
                "partial", "symbolic", "forward", "reverse", "numeric"
            );
            for r in rows {
                let v: Vec<String> = r.values.iter().map(|&x| output::number_text(x)).collect();
                println!(
                    "{:<14} {:>24} {:>24} {:>24} {:>24}  ± {:.1e}",
                    r.label, v[0], v[1], v[2], v[3], r.numeric_error
                );
            }
        }
        println!();
        println!(
            "largest disagreement: {:.1e} (relative, {})",
            verdict.worst,
            if verdict.worst_at.is_empty() {
                "none"
            } else {
                &verdict.worst_at
            }
        );
        if asymmetric.is_empty() {
            println!("mixed partials symmetric (Schwarz): yes");
        } else {
            println!(
                "mixed partials symmetric (Schwarz): NO: {}",
                asymmetric.join("; ")
            );
        }
        for fail in &verdict.failures {
            println!("disagree: {fail}");
        }
        println!(
            "{}",
            if ok {
                "all four methods agree"
            } else {
                "the methods DISAGREE"
            }
        );
    }
    if ok { Ok(()) } else { Err(Failure::failed("")) }
}
