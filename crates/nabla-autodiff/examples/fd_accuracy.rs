//! Accuracy of nabla's finite differences on smooth functions with known derivatives: one JSON
//! line per (function, point, kind, entry), read by `bench/fd_vs_numdifftools.py`, which runs
//! numdifftools and `scipy.differentiate` on the same cases.
//!
//! Run: `cargo run --release -p nabla-autodiff --example fd_accuracy` for the fixed points below,
//! or with `-- --stdin` for the cases given on standard input (see [`stdin_rows`]).
//!
//! Every call uses `FdOptions::default()`. `evaluations` counts the calls of `f` made by the
//! whole `derivative`, `gradient` or `hessian` call the entry comes from (a gradient or Hessian
//! entry shares the count of its whole gradient or Hessian). `digits` is `−log10` of the
//! relative error (of the absolute error where the exact value is 0), clamped to `[0, 17]`.

use nabla_autodiff::Error;
use nabla_autodiff::finite_diff::{FdOptions, derivative, gradient, hessian};

/// A function of one variable, its exact derivative and the points to test at.
type Scalar = (&'static str, fn(f64) -> f64, fn(f64) -> f64, &'static [f64]);

/// The derivative cases; names are what the Python script matches on.
const SCALAR: &[Scalar] = &[
    ("exp(x)", f64::exp, f64::exp, &[-1.0, 0.5, 2.0]),
    ("sin(x)", f64::sin, f64::cos, &[-2.0, 0.3, 1.2]),
    ("ln(x)", f64::ln, |x| 1.0 / x, &[0.5, 1.5, 10.0]),
    (
        "1/(1+x^2)",
        |x| 1.0 / (1.0 + x * x),
        |x| -2.0 * x / (1.0 + x * x).powi(2),
        &[-0.5, 0.5, 1.5],
    ),
    (
        "x*exp(sin(x))",
        |x| x * x.sin().exp(),
        |x| x.sin().exp() * (1.0 + x * x.cos()),
        &[-0.4, 1.0, 2.5],
    ),
    (
        "sqrt(1+x^2)",
        |x| (1.0 + x * x).sqrt(),
        |x| x / (1.0 + x * x).sqrt(),
        &[-1.0, 0.5, 3.0],
    ),
    (
        "tanh(x)",
        f64::tanh,
        |x| 1.0 - x.tanh().powi(2),
        &[-1.0, 0.2, 2.0],
    ),
    (
        "exp(x)*cos(3x)",
        |x| x.exp() * (3.0 * x).cos(),
        |x| x.exp() * ((3.0 * x).cos() - 3.0 * (3.0 * x).sin()),
        &[0.0, 0.7, 1.5],
    ),
];

/// A function of two variables, its exact gradient and Hessian, and the points to test at.
struct Bivariate {
    name: &'static str,
    f: fn(&[f64]) -> f64,
    gradient: fn(f64, f64) -> [f64; 2],
    hessian: fn(f64, f64) -> [[f64; 2]; 2],
    points: &'static [[f64; 2]],
}

const BIVARIATE: &[Bivariate] = &[
    Bivariate {
        name: "exp(x)*sin(y)+x^2*y^3",
        f: |v| v[0].exp() * v[1].sin() + v[0] * v[0] * v[1].powi(3),
        gradient: |x, y| {
            [
                x.exp() * y.sin() + 2.0 * x * y.powi(3),
                x.exp() * y.cos() + 3.0 * x * x * y * y,
            ]
        },
        hessian: |x, y| {
            let mixed = x.exp() * y.cos() + 6.0 * x * y * y;
            [
                [x.exp() * y.sin() + 2.0 * y.powi(3), mixed],
                [mixed, -x.exp() * y.sin() + 6.0 * x * x * y],
            ]
        },
        points: &[[0.4, -0.7], [1.0, 2.0], [-0.5, 0.3]],
    },
    Bivariate {
        name: "rosenbrock",
        f: |v| 100.0 * (v[1] - v[0] * v[0]).powi(2) + (1.0 - v[0]).powi(2),
        gradient: |x, y| {
            [
                -400.0 * x * (y - x * x) - 2.0 * (1.0 - x),
                200.0 * (y - x * x),
            ]
        },
        hessian: |x, y| {
            [
                [1200.0 * x * x - 400.0 * y + 2.0, -400.0 * x],
                [-400.0 * x, 200.0],
            ]
        },
        points: &[[-1.2, 1.0], [0.5, 0.5], [2.0, 3.0]],
    },
    Bivariate {
        name: "sin(x*y)+ln(1+x^2+y^2)",
        f: |v| (v[0] * v[1]).sin() + (1.0 + v[0] * v[0] + v[1] * v[1]).ln(),
        gradient: |x, y| {
            let q = 1.0 + x * x + y * y;
            [
                y * (x * y).cos() + 2.0 * x / q,
                x * (x * y).cos() + 2.0 * y / q,
            ]
        },
        hessian: |x, y| {
            let q = 1.0 + x * x + y * y;
            let (s, c) = (x * y).sin_cos();
            let mixed = c - x * y * s - 4.0 * x * y / (q * q);
            [
                [-y * y * s + 2.0 / q - 4.0 * x * x / (q * q), mixed],
                [mixed, -x * x * s + 2.0 / q - 4.0 * y * y / (q * q)],
            ]
        },
        points: &[[0.3, 0.8], [1.5, -0.5], [-2.0, 1.0]],
    },
];

/// The point of a case, as the JSON array the Python script reads back.
fn json_point(point: &[f64]) -> String {
    let coords: Vec<String> = point.iter().map(|v| format!("{v:?}")).collect();
    format!("[{}]", coords.join(", "))
}

/// Prints one JSON line for an entry; `entry` is `[]`, `[i]` or `[i, j]`.
fn report(
    function: &str,
    point: &[f64],
    kind: &str,
    entry: &[usize],
    (estimate, exact, error_estimate, evaluations): (f64, f64, f64, usize),
) {
    let true_error = (estimate - exact).abs();
    let relative = if exact == 0.0 {
        true_error
    } else {
        true_error / exact.abs()
    };
    let digits = (-relative.max(1e-17).log10()).clamp(0.0, 17.0);
    let entry: Vec<String> = entry.iter().map(usize::to_string).collect();
    println!(
        "{{\"function\": \"{function}\", \"point\": {}, \"kind\": \"{kind}\", \"entry\": [{}], \
         \"estimate\": {estimate:?}, \"exact\": {exact:?}, \"true_error\": {true_error:?}, \
         \"digits\": {digits:.2}, \"error_estimate\": {error_estimate:?}, \
         \"evaluations\": {evaluations}}}",
        json_point(point),
        entry.join(", "),
    );
}

/// The rows of one derivative case.
fn scalar_rows(&(name, f, df, _): &Scalar, x: f64, opts: &FdOptions) -> Result<(), Error> {
    let d = derivative(f, x, opts)?;
    report(
        name,
        &[x],
        "derivative",
        &[],
        (d.estimate, df(x), d.error, d.evaluations),
    );
    Ok(())
}

/// The rows of one gradient and Hessian case: both gradient entries and the upper triangle of
/// the Hessian (the lower one mirrors it in every tool compared).
fn bivariate_rows(case: &Bivariate, point: &[f64; 2], opts: &FdOptions) -> Result<(), Error> {
    let [x, y] = *point;
    let g = gradient(case.f, point, opts)?;
    for (i, &exact) in (case.gradient)(x, y).iter().enumerate() {
        let row = (g.estimate[i], exact, g.error[i], g.evaluations);
        report(case.name, point, "gradient", &[i], row);
    }
    let h = hessian(case.f, point, opts)?;
    let exact = (case.hessian)(x, y);
    for (i, j) in [(0, 0), (0, 1), (1, 1)] {
        let kind = if i == j {
            "hessian-pure"
        } else {
            "hessian-mixed"
        };
        let row = (h.estimate[i][j], exact[i][j], h.error[i][j], h.evaluations);
        report(case.name, point, kind, &[i, j], row);
    }
    Ok(())
}

/// The rows of the cases read from standard input, one per line: a function name of the tables
/// above, a tab, and the point's coordinates separated by tabs.
fn stdin_rows(opts: &FdOptions) -> Result<(), Box<dyn std::error::Error>> {
    for line in std::io::stdin().lines() {
        let line = line?;
        let mut fields = line.split('\t');
        let name = fields.next().unwrap_or_default();
        let point = fields.map(str::parse).collect::<Result<Vec<f64>, _>>()?;
        if let (Some(case), [x]) = (SCALAR.iter().find(|c| c.0 == name), point.as_slice()) {
            scalar_rows(case, *x, opts)?;
        } else if let (Some(case), [x, y]) =
            (BIVARIATE.iter().find(|c| c.name == name), point.as_slice())
        {
            bivariate_rows(case, &[*x, *y], opts)?;
        } else {
            return Err(format!("no case {name:?} of {} coordinates", point.len()).into());
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let opts = FdOptions::default();
    if std::env::args().any(|a| a == "--stdin") {
        return stdin_rows(&opts);
    }
    for case in SCALAR {
        for &x in case.3 {
            scalar_rows(case, x, &opts)?;
        }
    }
    for case in BIVARIATE {
        for point in case.points {
            bivariate_rows(case, point, &opts)?;
        }
    }
    Ok(())
}
