//! End-to-end tests of `nabla minimize`: the classic minima reached through the command line, its
//! JSON report, its trace file, and clean failures with documented exit codes.

use assert_cmd::Command;
use serde_json::Value;

const ROSENBROCK: &str = "(1-x)^2 + 100*(y-x^2)^2";
const HIMMELBLAU: &str = "(x^2+y-11)^2 + (x+y^2-7)^2";

fn nabla() -> Command {
    Command::cargo_bin("nabla").expect("the nabla binary is built")
}

/// Runs `nabla minimize ARGS --format json` and returns its report.
fn minimize(args: &[&str]) -> Value {
    let out = nabla()
        .arg("minimize")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// Runs `nabla minimize ARGS`, expecting failure; returns the exit code and standard error.
fn failure(args: &[&str]) -> (i32, String) {
    let out = nabla().arg("minimize").args(args).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    (out.status.code().expect("exited"), stderr)
}

fn point(report: &Value) -> (f64, f64) {
    let p = &report["point"];
    (p["x"].as_f64().unwrap(), p["y"].as_f64().unwrap())
}

#[test]
fn second_order_and_quasi_newton_methods_reach_rosenbrocks_minimum() {
    for method in ["newton", "newton-cholesky", "bfgs", "lbfgs"] {
        let r = minimize(&[ROSENBROCK, "--from", "x=-1.2,y=1", "--method", method]);
        let (x, y) = point(&r);
        assert!(
            (x - 1.0).abs() < 1e-6 && (y - 1.0).abs() < 1e-6,
            "{method}: {r}"
        );
        assert!(r["value"].as_f64().unwrap() < 1e-10, "{method}: {r}");
        assert_eq!(r["method"], method);
        assert_eq!(r["converged"], true, "{method}: {r}");
        let hessians = r["hessian_evaluations"].as_u64().unwrap();
        assert_eq!(hessians > 0, method.starts_with("newton"), "{r}");
    }
}

#[test]
fn bfgs_is_the_default_and_finds_himmelblaus_third_minimum() {
    let r = minimize(&[HIMMELBLAU, "--from", "x=-4,y=-4"]);
    assert_eq!(r["method"], "bfgs");
    let (x, y) = point(&r);
    assert!(
        (x + 3.779310).abs() < 1e-5 && (y + 3.283186).abs() < 1e-5,
        "{r}"
    );
    assert!(r["value"].as_f64().unwrap() < 1e-10);
    assert!(r["grad_norm"].as_f64().unwrap() <= 1e-6, "{r}");
    for key in ["iterations", "evaluations"] {
        assert!(r[key].as_u64().unwrap() > 0, "{key}: {r}");
    }
    // BFGS stops once its next step, its estimate of the distance left, is below 1e-7.
    assert_eq!(r["stopped_by"], "predicted_step");
}

#[test]
fn adam_with_a_learning_rate_reaches_the_quadratic_minimum() {
    // x² + 3xy + 5y² + x is least at (-10/11, 3/11), where it is -5/11.
    let r = minimize(&[
        "x^2 + 3*x*y + 5*y^2 + x",
        "--from",
        "x=3,y=3",
        "--method",
        "adam",
        "--lr",
        "0.05",
        "--max-iter",
        "5000",
    ]);
    assert!(
        (r["value"].as_f64().unwrap() + 5.0 / 11.0).abs() < 1e-6,
        "{r}"
    );
    let (x, y) = point(&r);
    assert!((x + 10.0 / 11.0).abs() < 1e-4 && (y - 3.0 / 11.0).abs() < 1e-4);
}

#[test]
fn held_symbols_are_substituted() {
    let r = minimize(&["(x-a)^2 + a", "--vars", "x", "--from", "x=0,a=3"]);
    assert_eq!(r["point"], serde_json::json!({"x": 3.0}));
    assert_eq!(r["value"], 3.0);
}

#[test]
fn text_report_and_trace_file() {
    let dir = std::env::temp_dir().join(format!("nabla-minimize-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("trace.csv");
    let out = nabla()
        .args(["minimize", ROSENBROCK, "--from", "x=-1.2,y=1", "--method"])
        .args(["lbfgs", "--trace", csv.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // Which side of 1 the last digits fall on depends on the path; the distance does not.
    let x: f64 = text
        .strip_prefix("point        x = ")
        .and_then(|rest| rest.split(',').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!((x - 1.0).abs() < 1e-6, "{text}");
    assert!(
        text.contains("stopped_by   predicted_step (converged)"),
        "{text}"
    );
    // Piped, so no progress line.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let trace = std::fs::read_to_string(&csv).unwrap();
    let mut lines = trace.lines();
    assert_eq!(
        lines.next(),
        Some("iteration,f,gradient_norm,evaluations,x,y")
    );
    assert!(lines.next().unwrap().starts_with("0,24.19999"), "{trace}");
    let last: Vec<f64> = lines
        .last()
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!((last[4] - 1.0).abs() < 1e-6 && (last[5] - 1.0).abs() < 1e-6);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_start_point_missing_a_variable_names_it() {
    let (code, err) = failure(&[ROSENBROCK, "--from", "x=1"]);
    assert_eq!(code, 2);
    assert!(err.contains("no value for `y`"), "{err}");
    let (code, err) = failure(&[ROSENBROCK, "--from", "x=1,y=1,z=2"]);
    assert_eq!(code, 2);
    assert!(err.contains("`z`"), "{err}");
}

#[test]
fn invalid_options_are_usage_errors() {
    let from = ["--from", "x=1,y=2"];
    for (extra, expected) in [
        (&["--method", "sgd"][..], "expected one of gd, gd-armijo"),
        (&["--lr", "0.1"], "bfgs chooses its own steps"),
        (&["--method", "gd", "--lr", "-1"], "invalid --lr -1"),
        (&["--tol", "-1"], "invalid --tol -1"),
        (&["--max-iter", "0"], "invalid --max-iter 0"),
    ] {
        let args: Vec<&str> = [ROSENBROCK]
            .iter()
            .chain(&from)
            .chain(extra)
            .copied()
            .collect();
        let (code, err) = failure(&args);
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(err.contains(expected), "{extra:?}: {err}");
    }
}

#[test]
fn non_finite_values_and_divergence_fail_with_where() {
    let (code, err) = failure(&["log(x)", "--from", "x=-1"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("f is not finite at x=-1.0 (the start point)"),
        "{err}"
    );

    let (code, err) = failure(&["sqrt(x) + (x-2)^2", "--from", "x=0"]);
    assert_eq!(code, 1);
    assert!(err.contains("∂f/∂x is not finite at x=0.0"), "{err}");

    // A fixed step of 0.1 on Rosenbrock overshoots further every iteration.
    let (code, err) = failure(&[
        ROSENBROCK,
        "--from",
        "x=-1.2,y=1",
        "--method",
        "gd",
        "--lr",
        "0.1",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("gd diverged at iteration"), "{err}");
    assert!(err.contains("--lr too large"), "{err}");
}

/// A scratch directory for pictures, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("nabla-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, file: &str) -> String {
        self.0.join(file).to_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn plot(args: &[&str]) -> String {
    let out = nabla().arg("plot").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Width and height of a PNG file, after checking its signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

#[test]
fn contour_plots_with_gradient_and_paths_are_real_pictures() {
    let dir = Scratch::new("plot");
    let png = dir.path("rosenbrock.png");
    let stdout = plot(&[
        ROSENBROCK,
        "--x",
        "-2:2",
        "--y",
        "-1:3",
        "--gradient",
        "--path",
        "gd-armijo",
        "--path",
        "bfgs",
        "--path",
        "newton",
        "--from",
        "x=-1.2,y=1",
        "-o",
        &png,
    ]);
    // One summary line per path, each ending at (1, 1) for bfgs and newton.
    assert!(stdout.contains("bfgs: 26 iterations"), "{stdout}");
    assert!(stdout.contains("newton: 85 iterations"), "{stdout}");
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(png_size(&bytes), (1000, 750));
    assert!(bytes.len() > 20_000, "{} bytes", bytes.len());

    let svg_path = dir.path("reference.svg");
    plot(&[
        "x^2 + 3*x*y - 2*y^2",
        "--x",
        "-2:2",
        "--y",
        "-2:2",
        "--gradient",
        "-o",
        &svg_path,
    ]);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.starts_with("<svg") && svg.matches('<').count() > 200);
    assert!(svg.contains("f(x, y) = x^2 + 3*x*y - 2*y^2"));
    // Gradient arrows are the only polygons: one per lattice point.
    assert!(svg.matches("<polygon").count() > 100, "arrows");
    plot(&[
        "x^2 + 3*x*y - 2*y^2",
        "--x",
        "-2:2",
        "--y",
        "-2:2",
        "-o",
        &svg_path,
    ]);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert_eq!(
        svg.matches("<polygon").count(),
        0,
        "no arrows without --gradient"
    );
}

#[test]
fn one_variable_charts_show_f_and_its_derivative() {
    let dir = Scratch::new("chart");
    let svg_path = dir.path("cubic.svg");
    plot(&["x^3 - 3*x", "--x", "-2.5:2.5", "-o", &svg_path]);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    // The legend names f and its symbolic derivative (the apostrophe escaped as SVG text).
    assert!(svg.contains("f(x) = x**3 - 3*x"));
    assert!(svg.contains("f&apos;(x) = 3*x**2 - 3"));
}

#[test]
fn plot_refuses_what_it_cannot_draw() {
    let dir = Scratch::new("refuse");
    let png = dir.path("x.png");
    for (args, code, expected) in [
        (
            vec![ROSENBROCK, "--x", "-2:2", "--y", "-1:3", "-o", "r.jpg"],
            2,
            ".svg or .png",
        ),
        (vec![ROSENBROCK, "--x", "-2:2", "-o", &png], 2, "give --y"),
        (
            vec!["x*y*z", "--x", "-2:2", "--y", "-1:3", "-o", &png],
            2,
            "this one has 3",
        ),
        (
            vec![ROSENBROCK, "--x", "2:-2", "--y", "-1:3", "-o", &png],
            2,
            "MIN must be less than MAX",
        ),
        (
            vec![
                ROSENBROCK, "--x", "-2:2", "--y", "-1:3", "--path", "bfgs", "--from", "x=1", "-o",
                &png,
            ],
            2,
            "no value for `y`",
        ),
        (
            vec!["log(-x^2-y^2-1)", "--x", "-2:2", "--y", "-1:3", "-o", &png],
            1,
            "no finite value",
        ),
    ] {
        let out = nabla().arg("plot").args(&args).output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert!(!std::path::Path::new(&png).exists());
}

#[test]
fn an_explicit_tolerance_is_met_on_the_gradient() {
    const ROSENBROCK: &str = "(1-x)^2 + 100*(y-x^2)^2";
    let default = minimize(&[ROSENBROCK, "--from", "x=-1.2,y=1"]);
    assert_eq!(default["stopped_by"], "predicted_step");
    // With --tol the predicted-step rule is off: the run stops on the gradient or on f no longer moving.
    let strict = minimize(&[ROSENBROCK, "--from", "x=-1.2,y=1", "--tol", "1e-9"]);
    assert_ne!(strict["stopped_by"], "predicted_step");
    assert!(strict["grad_norm"].as_f64().unwrap() < default["grad_norm"].as_f64().unwrap());
}
