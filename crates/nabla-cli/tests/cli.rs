//! End-to-end tests of the `nabla` binary: what a user types, what they see, and exit codes.

use assert_cmd::Command;

const F: &str = "x^2 + 3*x*y - 2*y^2";

fn nabla() -> Command {
    Command::cargo_bin("nabla").expect("the nabla binary is built")
}

fn stdout_of(args: &[&str]) -> String {
    let out = nabla().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn reference_example_end_to_end() {
    assert_eq!(stdout_of(&["diff", F, "x"]), "2*x + 3*y\n");
    assert_eq!(stdout_of(&["diff", F, "y"]), "3*x - 4*y\n");
    assert_eq!(stdout_of(&["diff", F, "x", "y"]), "3\n");
    assert_eq!(stdout_of(&["diff", F, "y", "x"]), "3\n");
    assert_eq!(stdout_of(&["grad", F]), "[2*x + 3*y, 3*x - 4*y]\n");
    assert_eq!(stdout_of(&["hessian", F]), "[[2, 3], [3, -4]]\n");
    assert_eq!(stdout_of(&["grad", F, "--at", "x=1,y=2"]), "[8.0, -5.0]\n");
    let partials = stdout_of(&["partials", F]);
    assert!(
        partials.contains("∂²f/∂y∂x = 3\n") && partials.contains("∂²f/∂x∂y = 3\n"),
        "{partials}"
    );
}

#[test]
fn formats() {
    assert_eq!(
        stdout_of(&["diff", "sin(x)/y", "y", "--format", "latex"]),
        "- \\frac{\\sin\\left(x\\right)}{y^{2}}\n"
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&["diff", F, "x", "--format", "json"])).unwrap();
    assert_eq!(json["result"], "2*x + 3*y");
    assert_eq!(json["latex"], "2 x + 3 y");
    assert_eq!(json["vars"], serde_json::json!(["x"]));
    assert_eq!(json["input"], F);
}

#[test]
fn expression_from_standard_input() {
    let out = nabla()
        .args(["diff", "-", "x"])
        .write_stdin("x^3\n")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "3*x**2\n");
}

#[test]
fn eval_and_substitution() {
    assert_eq!(stdout_of(&["eval", "x^2*y", "x=3", "y=2"]), "18.0\n");
    assert_eq!(stdout_of(&["eval", "log(x)", "x=-1"]), "nan\n");
    assert_eq!(stdout_of(&["eval", "1/x", "x=0"]), "oo\n");
    assert_eq!(stdout_of(&["diff", "x^2", "x", "--subs", "x=2*t"]), "4*t\n");
    assert_eq!(stdout_of(&["eval", "sin(x)", "x=pi/2"]), "1.0\n");
}

#[test]
fn exit_codes_and_caret_reports() {
    let out = nabla().args(["diff", "sinn(x)", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        "error: unknown function `sinn`\n  | sinn(x)\n  | ^^^^\n  = help: did you mean `sin`?\n"
    );
    let out = nabla().args(["eval", "x + y", "x=1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: no value given for `y`\n"
    );
    let out = nabla().args(["diff", "x", "2x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = nabla().args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = nabla()
        .args(["grad", "x*y", "--at", "x=0/0,y=1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: the value of `x` must be a finite number, found NaN\n"
    );
}

#[test]
fn batch_goes_on_past_bad_lines() {
    let input = "{\"expr\": \"x^3\", \"wrt\": [\"x\"]}\nnot json\n{\"expr\": \"sin(\", \"wrt\": [\"x\"]}\n\n{\"expr\": \"x*y\", \"wrt\": [\"y\"]}\n";
    let out = nabla().arg("batch").write_stdin(input).output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(lines[0]["result"], "3*x**2");
    assert!(
        lines[1]["error"].is_string()
            && lines[2]["error"].is_string()
            && lines[3]["error"].is_string()
    );
    assert_eq!(lines[4]["result"], "x");
}

#[test]
fn batch_survives_invalid_utf8() {
    let mut input = b"{\"expr\": \"x\xff\", \"wrt\": [\"x\"]}\n".to_vec();
    input.extend_from_slice(b"{\"expr\": \"x^2\", \"wrt\": [\"x\"]}\n");
    let out = nabla().arg("batch").write_stdin(input).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains("error"));
    assert_eq!(lines[1], "{\"result\":\"2*x\"}");
}

#[test]
fn every_method_gives_the_reference_gradient_and_hessian() {
    for method in ["symbolic", "forward", "reverse", "numeric"] {
        let out = stdout_of(&[
            "grad", F, "--at", "x=1,y=2", "--method", method, "--format", "json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["method"], method);
        let g: Vec<f64> = v["gradient"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert!(
            (g[0] - 8.0).abs() < 1e-9 && (g[1] + 5.0).abs() < 1e-9,
            "{method}: {g:?}"
        );
        assert_eq!(v["error"].is_array(), method == "numeric");
        let out = stdout_of(&[
            "hessian", F, "--at", "x=1,y=2", "--method", method, "--format", "json",
        ]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let h = &v["hessian"];
        for (i, j, want) in [(0, 0, 2.0), (0, 1, 3.0), (1, 0, 3.0), (1, 1, -4.0)] {
            assert!(
                (h[i][j].as_f64().unwrap() - want).abs() < 1e-7,
                "{method}: {h}"
            );
        }
    }
    let out = nabla()
        .args(["grad", F, "--method", "reverse"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a numeric method needs --at");
}

#[test]
fn check_agrees_on_smooth_functions_and_fails_at_a_jump() {
    let out = stdout_of(&["check", F]);
    assert!(
        out.contains("mixed partials symmetric (Schwarz): yes")
            && out.ends_with("all four methods agree\n"),
        "{out}"
    );
    assert!(out.contains("∂²f/∂y∂x"));
    stdout_of(&["check", "sin(x*y)*exp(x)", "--at", "x=1,y=2"]);
    let out = nabla()
        .args(["check", "sign(x) + y", "--at", "x=0,y=1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("disagree: ∂f/∂x")
    );
}

#[test]
fn check_refuses_what_it_cannot_check() {
    for (args, message) in [
        (&["check", F, "--points", "0"][..], "0 is not in 1..=10000"),
        (&["check", "5"][..], "`5` has no variables"),
    ] {
        let out = nabla().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[test]
fn ln_is_the_natural_logarithm() {
    assert_eq!(stdout_of(&["diff", "ln(x)*y", "x"]), "y/x\n");
    assert_eq!(stdout_of(&["grad", "ln(x)", "--at", "x=4"]), "[0.25]\n");
}

#[test]
fn automatic_differentiation_does_not_wait_for_the_symbolic_derivative() {
    // The symbolic derivative of a chain nested n deep has n² operands (past the store's limit
    // here); forward and reverse mode and finite differences work on f itself.
    let deep = format!("{}x{}", "sin(".repeat(100_000), ")".repeat(100_000));
    let mut values = Vec::new();
    for method in ["forward", "reverse", "numeric"] {
        let out = nabla()
            .args(["grad", "-", "--at", "x=1", "--method", method])
            .write_stdin(deep.clone())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{method}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let first = text.lines().next().unwrap().trim_matches(['[', ']']);
        values.push(first.parse::<f64>().unwrap());
    }
    assert!(
        (values[0] - values[1]).abs() <= 1e-12 * values[0].abs(),
        "{values:?}"
    );
    assert!(
        (values[0] - values[2]).abs() <= 1e-6 * values[0].abs(),
        "{values:?}"
    );
}

#[test]
fn expressions_may_start_with_a_minus() {
    assert_eq!(stdout_of(&["diff", "-x^2", "x"]), "-2*x\n");
}

#[test]
fn batch_answers_each_line_before_the_next_arrives() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command as Process, Stdio};
    let mut child = Process::new(assert_cmd::cargo::cargo_bin("nabla"))
        .arg("batch")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    for (expr, want) in [
        ("x^3", "{\"result\":\"3*x**2\"}"),
        ("sin(x)", "{\"result\":\"cos(x)\"}"),
    ] {
        writeln!(input, "{{\"expr\": \"{expr}\", \"wrt\": [\"x\"]}}").unwrap();
        input.flush().unwrap();
        let mut line = String::new();
        output.read_line(&mut line).unwrap(); // would block forever if answers were held to the end
        assert_eq!(line.trim_end(), want);
    }
    drop(input);
    assert!(child.wait().unwrap().success());
}

#[test]
fn jacobian_takes_options_after_its_expressions() {
    // As in README and --help: the list of expressions ends where the options begin.
    assert_eq!(
        stdout_of(&["jacobian", "x*y", "x + y^2", "--vars", "x,y"]),
        "[[y, x], [1, 2*y]]\n"
    );
    assert_eq!(
        stdout_of(&[
            "jacobian", "x*y", "x+y", "--at", "x=1,y=2", "--method", "forward"
        ]),
        "[[2.0, 1.0], [1.0, 1.0]]\n"
    );
    // An expression starting with `-` goes after `--`.
    assert_eq!(
        stdout_of(&["jacobian", "--vars", "x", "--", "-x", "x^2"]),
        "[[-1], [2*x]]\n"
    );
}
