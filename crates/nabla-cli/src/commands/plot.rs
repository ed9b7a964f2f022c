//! `nabla plot`: pictures of an expression through nabla-plot. Two variables give a filled contour
//! plot with labelled lines and a colour bar, optionally with arrows of the compiled gradient and
//! the paths of optimisers run from one start; one variable gives f and f' on one chart.

use std::cell::RefCell;
use std::ffi::OsString;
use std::path::PathBuf;

use clap::Args;
use nabla::print::to_text;
use nabla::{Id, Store, Symbol};
use nabla_optimize::{Iterate, Method, Minimizer, Objective, Options};
use nabla_plot::{ContourPlot, FunctionChart, ImageFormat, Picture, PlotError};

use crate::commands::minimize::{Problem, needs_hessian, run_failure};
use crate::failure::Failure;
use crate::input;
use crate::objective::Compiled;
use crate::output;

/// Plot an expression of one variable (f and f') or two (filled contours).
#[derive(Args)]
pub struct PlotArgs {
    /// The expression (`-` reads it from standard input).
    #[arg(allow_hyphen_values = true)]
    pub expr: OsString,
    /// Range of the first variable, e.g. `--x -2:2` (ends may be expressions: `-pi:pi`).
    #[arg(long, value_name = "MIN:MAX", allow_hyphen_values = true)]
    pub x: String,
    /// Range of the second variable (required for two variables, refused for one).
    #[arg(long, value_name = "MIN:MAX", allow_hyphen_values = true)]
    pub y: Option<String>,
    /// Variables, horizontal axis first (default: the free symbols sorted by name).
    #[arg(long, value_name = "x,y")]
    pub vars: Vec<String>,
    /// Draw arrows of the gradient (two variables).
    #[arg(long)]
    pub gradient: bool,
    /// Draw the path of this method (repeatable: gd, gd-armijo, momentum, nesterov, adagrad,
    /// rmsprop, adam, newton, bfgs, lbfgs).
    #[arg(long = "path", value_name = "METHOD")]
    pub paths: Vec<Method>,
    /// Start of the paths (default: 15% in from the top-left corner of the plotted rectangle).
    /// Symbols that are not variables are held at the values given here.
    #[arg(long, value_name = "x=-1.2,y=1")]
    pub from: Vec<String>,
    /// Learning rate of the fixed-step path methods (the others choose their own steps).
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Iteration limit of each path.
    #[arg(long, default_value_t = 10_000)]
    pub max_iter: usize,
    /// Title (default: `f(x, y) = ` and the expression as typed).
    #[arg(long)]
    pub title: Option<String>,
    /// Output file, `.svg` or `.png`.
    #[arg(short, long, value_name = "FILE.svg|FILE.png")]
    pub output: PathBuf,
}

/// A picture that cannot be asked for (format, range, layout) is a usage error; one that cannot be
/// drawn or written failed.
pub fn plot_failure(e: PlotError) -> Failure {
    let message = format!("error: {e}");
    match e {
        PlotError::UnsupportedFormat { .. }
        | PlotError::InvalidRange { .. }
        | PlotError::InvalidInput(_) => Failure::usage(message),
        _ => Failure::failed(message),
    }
}

/// `MIN:MAX`, each end a number or a constant expression.
fn range(store: &mut Store, flag: &str, text: &str) -> Result<(f64, f64), Failure> {
    let (lo, hi) = text.split_once(':').ok_or_else(|| {
        Failure::usage(format!(
            "error: {flag} takes MIN:MAX (e.g. -2:2), found `{text}`"
        ))
    })?;
    let mut end = |t: &str| -> Result<f64, Failure> {
        let id = input::expression(store, t.trim())?;
        nabla::eval::evaluate(store, id, &Default::default())
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                Failure::usage(format!(
                    "error: the ends of {flag} must be finite numbers, found `{}`",
                    t.trim()
                ))
            })
    };
    let (lo, hi) = (end(lo)?, end(hi)?);
    if lo >= hi {
        return Err(Failure::usage(format!(
            "error: {flag} {text} is empty: MIN must be less than MAX"
        )));
    }
    Ok((lo, hi))
}

pub fn run(args: PlotArgs) -> Result<(), Failure> {
    ImageFormat::from_path(&args.output).map_err(plot_failure)?;
    let text = input::expression_text(&args.expr)?;
    let mut store = Store::new();
    let f = input::expression(&mut store, &text)?;
    let vars = input::variables(&mut store, &args.vars, &[f])?;
    let title = args.title.clone().unwrap_or_else(|| {
        let names = output::names(&store, &vars).join(", ");
        format!("f({names}) = {}", text.trim())
    });
    match (vars.len(), &args.y) {
        (1, None) => function_chart(&mut store, f, vars[0], &args, &title),
        (1, Some(_)) => Err(Failure::usage(
            "error: the expression has one variable: plot it with --x only",
        )),
        (2, Some(y)) => {
            let y = range(&mut store, "--y", y)?;
            contour(&mut store, f, vars, y, &args, &title)
        }
        (2, None) => Err(Failure::usage(
            "error: the expression has two variables: give --y MIN:MAX as well",
        )),
        (n, _) => Err(Failure::usage(format!(
            "error: plot draws expressions of one or two variables; this one has {n} ({}): choose two with --vars and hold the others with --from",
            output::names(&store, &vars).join(", ")
        ))),
    }
}

fn function_chart(
    store: &mut Store,
    f: Id,
    var: Symbol,
    args: &PlotArgs,
    title: &str,
) -> Result<(), Failure> {
    if args.gradient || !args.paths.is_empty() {
        return Err(Failure::usage(
            "error: --gradient and --path need an expression of two variables",
        ));
    }
    let x = range(store, "--x", &args.x)?;
    // The start is not used: `--from` only holds the other symbols.
    let problem = Problem::new(store, f, vec![var], &args.from, Some(&[x.0]))?;
    let derivative = store.diff(problem.f, var);
    let compiled = problem.compile(store, false)?;
    let objective = RefCell::new(compiled.objective());
    let name = store.symbol_name(var).to_string();
    let value = |t: f64| objective.borrow_mut().value(&[t]);
    let slope = |t: f64| {
        let mut g = [0.0];
        objective.borrow_mut().value_gradient(&[t], &mut g);
        g[0]
    };
    FunctionChart::new(value, x.0..=x.1)
        .derivative(slope)
        .names(
            format!("f({name}) = {}", to_text(store, problem.f)),
            format!("f'({name}) = {}", to_text(store, derivative)),
        )
        .title(title)
        .x_label(name.as_str())
        .save(&args.output)
        .map_err(plot_failure)?;
    println!("wrote {}", args.output.display());
    Ok(())
}

fn contour(
    store: &mut Store,
    f: Id,
    vars: Vec<Symbol>,
    y: (f64, f64),
    args: &PlotArgs,
    title: &str,
) -> Result<(), Failure> {
    let x = range(store, "--x", &args.x)?;
    let names = output::names(store, &vars);
    // Without --from the paths start 15% in from the top-left corner; with it, every variable
    // must be given.
    let corner = [x.0 + 0.15 * (x.1 - x.0), y.1 - 0.15 * (y.1 - y.0)];
    let defaults = args.from.is_empty().then_some(&corner[..]);
    let problem = Problem::new(store, f, vars, &args.from, defaults)?;
    let compiled = problem.compile(store, args.paths.iter().any(needs_hessian))?;

    // nabla-plot samples one point at a time through `Fn` closures: a RefCell lends each call the
    // registers of one compiled objective.
    let sampler = RefCell::new(compiled.objective());
    let mut plot = ContourPlot::new(
        |a, b| sampler.borrow_mut().value(&[a, b]),
        x.0..=x.1,
        y.0..=y.1,
    )
    .title(title)
    .axis_labels(names[0].as_str(), names[1].as_str());
    if args.gradient {
        plot = plot.gradient(|a, b| {
            let mut g = [0.0; 2];
            sampler.borrow_mut().value_gradient(&[a, b], &mut g);
            (g[0], g[1])
        });
    }
    for method in &args.paths {
        let (label, points) = path(&compiled, method, &problem.start, args, &names)?;
        plot = plot.trajectory(label, points);
    }
    plot.save(&args.output).map_err(plot_failure)?;
    println!("wrote {}", args.output.display());
    Ok(())
}

/// The iterates of `method` from `start` and their legend entry. A run that fails on the way
/// (divergence, a non-finite value) is drawn up to there, with a warning.
fn path(
    compiled: &Compiled,
    method: &Method,
    start: &[f64],
    args: &PlotArgs,
    names: &[String],
) -> Result<(String, Vec<(f64, f64)>), Failure> {
    let mut method = method.clone();
    if let Some(lr) = args.lr {
        // Ignored by the methods that choose their own steps.
        method.set_learning_rate(lr);
    }
    let options = Options {
        max_iterations: args.max_iter,
        ..Options::default()
    };
    let mut points = Vec::new();
    let mut observe = |it: &Iterate| points.push((it.x[0], it.x[1]));
    let result = method.minimize_observed(
        &mut compiled.objective(),
        start,
        &options,
        Some(&mut observe),
    );
    let label = match result {
        Ok(s) => {
            println!(
                "{method}: {} iterations, stopped by {}, ends at {}={}, {}={}, f = {}",
                s.iterations,
                s.stopped_by,
                names[0],
                output::number_text(s.x[0]),
                names[1],
                output::number_text(s.x[1]),
                output::number_text(s.value)
            );
            let plural = if s.iterations == 1 { "" } else { "s" };
            format!("{method}, {} iteration{plural}", s.iterations)
        }
        Err(e) => {
            let failure = run_failure(e, &method, names);
            if failure.code == crate::failure::USAGE {
                return Err(failure);
            }
            eprintln!(
                "warning: {}; its path is drawn up to there",
                failure.message.trim_start_matches("error: ")
            );
            format!("{method}, failed")
        }
    };
    Ok((label, points))
}
