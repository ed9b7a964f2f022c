//! The `nabla` command: a thin layer over the nabla libraries that parses arguments, reads input
//! (expressions, CSV files, model files), and prints results as text, LaTeX or JSON.
//!
//! Exit status: 0 success, 1 a failed check, evaluation or training, 2 a usage or parse error.

mod commands;
mod failure;
mod input;
mod objective;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

const EXAMPLES: &str = "\
Examples:
  nabla partials \"x^2 + 3*x*y - 2*y^2\"       # every first and second partial
  nabla diff \"x^2 + 3*x*y - 2*y^2\" x          # 2*x + 3*y
  nabla diff \"x^2 + 3*x*y - 2*y^2\" x y        # 3 (mixed partial)
  nabla diff \"sin(x)*y\" x --at x=0,y=2        # 2.0
  nabla grad \"x^2 + 3*x*y - 2*y^2\"            # [2*x + 3*y, 3*x - 4*y]
  nabla hessian \"x^2 + 3*x*y - 2*y^2\" --format latex
  nabla jacobian \"x*y\" \"x + y\" --vars x,y
  nabla grad \"x^2 + 3*x*y - 2*y^2\" --at x=1,y=2 --method reverse
  nabla check \"x^2 + 3*x*y - 2*y^2\"          # symbolic, forward, reverse, numeric agree?
  nabla eval \"sin(x)*y\" x=1 y=2
  nabla expand \"(x + 1)^3\"
  echo '{\"expr\": \"x^3\", \"wrt\": [\"x\"]}' | nabla batch
  nabla minimize \"(1-x)^2 + 100*(y-x^2)^2\" --from x=-1.2,y=1            # bfgs to (1, 1)
  nabla minimize \"x^2 + 3*x*y + 5*y^2 + x\" --from x=3,y=3 --method adam --lr 0.05
  nabla plot \"x^2 + 3*x*y - 2*y^2\" --x -2:2 --y -2:2 --gradient -o f.png
  nabla plot \"(1-x)^2 + 100*(y-x^2)^2\" --x -2:2 --y -1:3 --path bfgs --path newton --from x=-1.2,y=1 -o r.svg
  nabla plot \"x^3 - 3*x\" --x -2.5:2.5 -o cubic.svg            # f and f' on one chart
  nabla train --data data/digits.csv --label digit --save digits.safetensors
  nabla predict --model digits.safetensors --data data/digits.csv

Exit status: 0 success, 1 a failed check, evaluation or training, 2 a usage or parse error.";

/// nabla: partial derivatives, exact and fast.
#[derive(Parser)]
#[command(name = "nabla", version, about = "nabla: partial derivatives, exact and fast", after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every first and second partial derivative, mixed ones in both orders.
    Partials(commands::symbolic::GradArgs),
    /// Differentiate an expression by one or more variables, left to right.
    Diff(commands::symbolic::DiffArgs),
    /// The gradient: symbolic, or numbers at --at by any of four methods.
    Grad(commands::symbolic::GradArgs),
    /// The Jacobian of several expressions.
    Jacobian(commands::symbolic::JacobianArgs),
    /// The Hessian (each mixed partial computed once): symbolic, or numbers at --at.
    Hessian(commands::symbolic::GradArgs),
    /// Evaluate an expression at a point.
    Eval(commands::symbolic::EvalArgs),
    /// Simplify: the smallest of expanded, combined-fraction and trigonometric forms.
    Simplify(commands::symbolic::RewriteArgs),
    /// Multiply out products and integer powers of sums.
    Expand(commands::symbolic::RewriteArgs),
    /// Answer differentiation requests given as JSON Lines on standard input.
    ///
    /// Each line `{"expr": "x^2*y", "wrt": ["x", "y"]}` is answered, in order, by one line
    /// `{"result": "2*x"}` or `{"error": "..."}`; a malformed line gets an error line and the batch
    /// goes on. Answers are written as soon as no more input is waiting.
    Batch(commands::batch::BatchArgs),
    /// Compute every first and second partial four ways and check that they agree.
    Check(commands::check::CheckArgs),
    /// Minimise an expression from a start point.
    Minimize(commands::minimize::MinimizeArgs),
    /// Plot an expression of one variable (f and f') or two (filled contours).
    Plot(commands::plot::PlotArgs),
    /// Train a multilayer perceptron on a CSV file.
    ///
    /// The file needs a header row; every column but the label must hold numbers. Classification or
    /// regression is chosen from the label column (see --task).
    Train(commands::train::TrainArgs),
    /// Apply a model saved by `nabla train --save` to the rows of a CSV file.
    Predict(commands::train::PredictArgs),
}

fn run(command: Command) -> Result<(), failure::Failure> {
    match command {
        Command::Partials(a) => commands::symbolic::partials(a),
        Command::Diff(a) => commands::symbolic::diff(a),
        Command::Grad(a) => commands::symbolic::grad(a),
        Command::Jacobian(a) => commands::symbolic::jacobian(a),
        Command::Hessian(a) => commands::symbolic::hessian(a),
        Command::Eval(a) => commands::symbolic::eval(a),
        Command::Simplify(a) => commands::symbolic::rewrite(a, nabla::simplify::simplify),
        Command::Expand(a) => commands::symbolic::rewrite(a, nabla::expand::expand),
        Command::Batch(a) => commands::batch::run(a),
        Command::Check(a) => commands::check::run(a),
        Command::Minimize(a) => commands::minimize::run(a),
        Command::Plot(a) => commands::plot::run(a),
        Command::Train(a) => commands::train::train(a),
        Command::Predict(a) => commands::train::predict(a),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { failure::USAGE } else { 0 });
        }
    };
    // An expression that grows past the store's limit unwinds with `TooLarge`: report it as a
    // failed evaluation, without the panic message a bug would print.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !info.payload().is::<nabla::store::TooLarge>() {
            default_hook(info);
        }
    }));
    let result = nabla::store::catch_too_large(|| run(cli.command))
        .unwrap_or_else(|too_large| Err(failure::Failure::failed(format!("error: {too_large}"))));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if !f.message.is_empty() {
                eprintln!("{}", f.message);
            }
            ExitCode::from(f.code)
        }
    }
}
