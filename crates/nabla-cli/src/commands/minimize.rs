//! `nabla minimize`: minimise an expression from a start point with any of nabla-optimize's methods,
//! driven by the compiled symbolic gradient (and the exact Hessian for Newton), with a live progress
//! line on a terminal, an optional CSV trace of the iterates, and a text or JSON report.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use nabla::number::Number;
use nabla::{Id, Store, Symbol};
use nabla_optimize::{Iterate, Method, Minimizer, OptimizeError, Options, Quantity, Solution};
use rustc_hash::FxHashMap;
use serde_json::json;

use crate::failure::Failure;
use crate::input;
use crate::objective::Compiled;
use crate::output::{self, Report};

/// The methods whose step is the learning rate `--lr`.
const FIXED_STEP: &str = "gd, momentum, nesterov, adagrad, rmsprop and adam";

/// Minimise an expression from a start point.
#[derive(Args)]
#[command(after_help = "\
Exit status: 0 a point was reported (converged, or stopped by a limit: see stopped_by); 1 a
non-finite value or gradient on the way, or divergence; 2 a usage error (a start point missing a
variable, an unknown method, an invalid option).")]
pub struct MinimizeArgs {
    /// The expression (`-` reads it from standard input).
    #[arg(allow_hyphen_values = true)]
    pub expr: OsString,
    /// The start point, a value for every variable, e.g. `--from x=-1.2,y=1`. Symbols left out of
    /// `--vars` are held at the value given here.
    #[arg(long, value_name = "x=-1.2,y=1", required = true)]
    pub from: Vec<String>,
    /// Variables to minimise over (default: the free symbols sorted by name).
    #[arg(long, value_name = "x,y")]
    pub vars: Vec<String>,
    #[command(flatten)]
    pub run: RunArgs,
    /// Write every accepted iterate to this CSV file: iteration, f, gradient norm, evaluations,
    /// then one column per variable.
    #[arg(long, value_name = "FILE.csv")]
    pub trace: Option<PathBuf>,
    /// Output format (`json` prints one object and no progress line).
    #[arg(long, value_enum, default_value_t = Report::Text)]
    pub format: Report,
}

/// How to minimise: the method and its stopping rules.
#[derive(Args)]
pub struct RunArgs {
    /// gd, gd-armijo, momentum, nesterov, adagrad, rmsprop, adam, newton (exact Hessian, truncated
    /// conjugate gradients), newton-cholesky (exact Hessian, modified Cholesky), bfgs or lbfgs.
    #[arg(long, default_value = "bfgs")]
    pub method: Method,
    /// Learning rate of the fixed-step methods (gd, momentum, nesterov, adagrad, rmsprop, adam);
    /// defaults to 0.01 (0.001 for momentum and nesterov, 0.1 for adagrad).
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Stop when the gradient norm falls to this [default: 1e-8]. Without it, Newton, BFGS and
    /// L-BFGS also stop when their next step predicts the minimum within 1e-7; giving --tol turns
    /// that rule off, so the run goes on until the gradient norm meets it.
    #[arg(long, allow_negative_numbers = true)]
    pub tol: Option<f64>,
    /// Stop after this many iterations.
    #[arg(long, default_value_t = 10_000)]
    pub max_iter: usize,
}

impl RunArgs {
    /// `self.method` with `--lr` applied, or a usage error when the method chooses its own steps.
    pub fn method(&self) -> Result<Method, Failure> {
        let mut method = self.method.clone();
        if let Some(lr) = self.lr
            && !method.set_learning_rate(lr)
        {
            return Err(Failure::usage(format!(
                "error: --lr sets the step of {FIXED_STEP}; {method} chooses its own steps"
            )));
        }
        Ok(method)
    }

    pub fn options(&self) -> Options {
        let defaults = Options::default();
        match self.tol {
            Some(tol) => Options {
                gradient_tolerance: tol,
                predicted_step_tolerance: 0.0,
                max_iterations: self.max_iter,
                ..defaults
            },
            None => Options {
                max_iterations: self.max_iter,
                ..defaults
            },
        }
    }
}

/// An expression to minimise: `f` with the held symbols substituted, its variables and the start.
pub struct Problem {
    pub f: Id,
    pub vars: Vec<Symbol>,
    pub start: Vec<f64>,
}

impl Problem {
    /// Splits `--from` into the start of each of `vars` and values of the other free symbols of
    /// `f`, which are substituted. A variable missing from `--from` takes its entry in `defaults`,
    /// and without defaults is an error that names it.
    pub fn new(
        store: &mut Store,
        f: Id,
        vars: Vec<Symbol>,
        from: &[String],
        defaults: Option<&[f64]>,
    ) -> Result<Problem, Failure> {
        let point = input::point(store, from)?;
        for (k, &(s, _)) in point.iter().enumerate() {
            if point[..k].iter().any(|p| p.0 == s) {
                return Err(Failure::usage(format!(
                    "error: the start point gives `{}` twice",
                    store.symbol_name(s)
                )));
            }
        }
        let value_of = |s: Symbol| point.iter().find(|p| p.0 == s).map(|p| p.1);
        let mut start = Vec::with_capacity(vars.len());
        for (i, &v) in vars.iter().enumerate() {
            let default = defaults.map(|d| d[i]);
            start.push(value_of(v).or(default).ok_or_else(|| {
                Failure::usage(format!(
                    "error: the start point gives no value for `{}` (variables: {}), e.g. --from {}",
                    store.symbol_name(v),
                    output::names(store, &vars).join(", "),
                    output::assignments(
                        vars.iter()
                            .map(|&s| (store.symbol_name(s), value_of(s).unwrap_or(0.0)))
                    )
                ))
            })?);
        }
        let free = store.free_symbols(f);
        let mut held = FxHashMap::default();
        for &(s, value) in point.iter().filter(|p| !vars.contains(&p.0)) {
            if !free.contains(&s) {
                return Err(Failure::usage(format!(
                    "error: `{}` in the start point is not a variable of the expression",
                    store.symbol_name(s)
                )));
            }
            held.insert(s, store.number(Number::float(value)));
        }
        let f = nabla::eval::substitute(store, f, &held);
        Ok(Problem { f, vars, start })
    }

    /// Compiles `f` with its gradient, and its Hessian when `with_hessian` (see [`needs_hessian`]).
    pub fn compile(&self, store: &mut Store, with_hessian: bool) -> Result<Compiled, Failure> {
        Compiled::new(store, self.f, &self.vars, with_hessian).map_err(|e| {
            Failure::usage(format!("error: {e}: give it in --from or add it to --vars"))
        })
    }
}

/// Whether `method` asks the objective for second derivatives.
pub fn needs_hessian(method: &Method) -> bool {
    matches!(method, Method::Newton(_))
}

/// What went wrong in a run, said with variable names; invalid options are usage errors.
pub fn run_failure(e: OptimizeError, method: &Method, names: &[String]) -> Failure {
    match e {
        OptimizeError::NonFinite {
            quantity,
            iteration,
            index,
            x,
        } => {
            let what = match (quantity, index) {
                (Quantity::Gradient, Some(i)) => output::first_partial(names, i),
                (Quantity::Hessian, Some(k)) => {
                    let n = names.len();
                    format!("∂²f/∂{}∂{}", names[k / n], names[k % n])
                }
                (Quantity::Value, _) => "f".to_string(),
                (q, None) => format!("the {q}"),
            };
            let when = if iteration == 0 {
                "the start point".to_string()
            } else {
                format!("met by {method} computing iteration {iteration}")
            };
            Failure::failed(format!(
                "error: {what} is not finite at {} ({when})",
                output::assignments(names.iter().map(String::as_str).zip(x))
            ))
        }
        OptimizeError::Diverged {
            iteration,
            value,
            max_abs_x,
        } => {
            let hint = if method.clone().set_learning_rate(1.0) {
                "the expression may be unbounded below, or --lr too large"
            } else {
                "the expression may be unbounded below"
            };
            Failure::failed(format!(
                "error: {method} diverged at iteration {iteration}: f = {value:e}, largest |coordinate| = {max_abs_x:e}; {hint}"
            ))
        }
        OptimizeError::InvalidOption {
            name,
            value,
            reason,
        } => {
            let flag = match name {
                "gradient_tolerance" => "--tol",
                "max_iterations" => "--max-iter",
                "learning_rate" => "--lr",
                other => other,
            };
            Failure::usage(format!("error: invalid {flag} {value}: {reason}"))
        }
        other => Failure::failed(format!("error: {other}")),
    }
}

/// A status line on standard error, redrawn at most ten times a second.
struct Progress {
    last: Option<Instant>,
}

impl Progress {
    fn show(&mut self, it: &Iterate) {
        if self
            .last
            .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(Instant::now());
        eprint!("\r\x1b[K{it}");
    }

    fn clear(&self) {
        if self.last.is_some() {
            eprint!("\r\x1b[K");
        }
    }
}

/// The CSV trace, written as the iterates arrive so that a failed run still leaves its path.
struct Trace {
    file: BufWriter<File>,
    path: PathBuf,
    error: Option<std::io::Error>,
}

impl Trace {
    fn create(path: &Path, names: &[String]) -> Result<Trace, Failure> {
        let cannot = |e: std::io::Error| {
            Failure::failed(format!(
                "error: cannot write the trace to {}: {e}",
                path.display()
            ))
        };
        let mut file = BufWriter::new(File::create(path).map_err(cannot)?);
        writeln!(
            file,
            "iteration,f,gradient_norm,evaluations,{}",
            names.join(",")
        )
        .map_err(cannot)?;
        Ok(Trace {
            file,
            path: path.to_path_buf(),
            error: None,
        })
    }

    fn push(&mut self, it: &Iterate) {
        if self.error.is_some() {
            return;
        }
        // `{:?}`: the shortest text that reads back as the same float, in exponent form when small.
        let mut line = format!(
            "{},{:?},{:?},{}",
            it.iteration, it.value, it.gradient_norm, it.evaluations.function
        );
        for v in &it.x {
            line.push_str(&format!(",{v:?}"));
        }
        if let Err(e) = writeln!(self.file, "{line}") {
            self.error = Some(e);
        }
    }

    fn finish(mut self) -> Result<(), Failure> {
        match self.error.take().map_or_else(|| self.file.flush(), Err) {
            Ok(()) => Ok(()),
            Err(e) => Err(Failure::failed(format!(
                "error: cannot write the trace to {}: {e}",
                self.path.display()
            ))),
        }
    }
}

pub fn run(args: MinimizeArgs) -> Result<(), Failure> {
    let text = input::expression_text(&args.expr)?;
    let mut store = Store::new();
    let f = input::expression(&mut store, &text)?;
    let vars = input::variables(&mut store, &args.vars, &[f])?;
    if vars.is_empty() {
        return Err(Failure::usage(
            "error: the expression has no variables to minimise over",
        ));
    }
    let names = output::names(&store, &vars);
    let problem = Problem::new(&mut store, f, vars, &args.from, None)?;
    let method = args.run.method()?;
    let compiled = problem.compile(&mut store, needs_hessian(&method))?;

    let mut trace = args
        .trace
        .as_deref()
        .map(|p| Trace::create(p, &names))
        .transpose()?;
    let live = args.format == Report::Text && std::io::stderr().is_terminal();
    let mut progress = Progress { last: None };
    let mut observe = |it: &Iterate| {
        if let Some(t) = trace.as_mut() {
            t.push(it);
        }
        if live {
            progress.show(it);
        }
    };
    let result = method.minimize_observed(
        &mut compiled.objective(),
        &problem.start,
        &args.run.options(),
        Some(&mut observe),
    );
    progress.clear();
    if let Some(t) = trace {
        t.finish()?;
    }
    let solution = result.map_err(|e| run_failure(e, &method, &names))?;
    match args.format {
        Report::Json => output::print_json(&report_json(&text, &method, &names, &solution)),
        Report::Text => print_text(&names, &solution),
    }
    if !solution.stopped_by.converged() {
        eprintln!(
            "note: {method} stopped by {} before a convergence test passed",
            solution.stopped_by
        );
    }
    Ok(())
}

fn named(names: &[String], values: &[f64]) -> serde_json::Value {
    names
        .iter()
        .zip(values)
        .map(|(n, &v)| (n.clone(), output::json_number(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn report_json(text: &str, method: &Method, names: &[String], s: &Solution) -> serde_json::Value {
    json!({
        "input": text,
        "method": method.name(),
        "point": named(names, &s.x),
        "value": output::json_number(s.value),
        "gradient": named(names, &s.gradient),
        "grad_norm": output::json_number(s.gradient_norm),
        "iterations": s.iterations,
        "evaluations": s.evaluations.function,
        "gradient_evaluations": s.evaluations.gradient,
        "hessian_evaluations": s.evaluations.hessian,
        "stopped_by": s.stopped_by.as_str(),
        "converged": s.stopped_by.converged(),
    })
}

fn print_text(names: &[String], s: &Solution) {
    let point: Vec<String> = names
        .iter()
        .zip(&s.x)
        .map(|(n, v)| format!("{n} = {}", output::number_text(*v)))
        .collect();
    println!("point        {}", point.join(", "));
    println!("value        {}", output::number_text(s.value));
    println!("grad_norm    {:.3e}", s.gradient_norm);
    println!("iterations   {}", s.iterations);
    let e = s.evaluations;
    let hessians = if e.hessian > 0 {
        format!(", and {} of the Hessian", e.hessian)
    } else {
        String::new()
    };
    println!(
        "evaluations  {} of f with its gradient{hessians}",
        e.function
    );
    let verdict = if s.stopped_by.converged() {
        "converged"
    } else {
        "not converged"
    };
    println!("stopped_by   {} ({verdict})", s.stopped_by);
}
