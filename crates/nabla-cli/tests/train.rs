//! End-to-end tests of `nabla train` and `nabla predict`: training on the digits data, the JSON
//! report, a saved model applied again, and bad input answered with a message and an exit code.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn nabla() -> Command {
    Command::cargo_bin("nabla").expect("the nabla binary is built")
}

fn digits() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/digits.csv")
        .display()
        .to_string()
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nabla-cli-train-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `nabla args`, expecting success and exactly one JSON object on standard output.
fn json_of(args: &[&str]) -> Value {
    let out = nabla().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("standard output is one JSON object")
}

/// Runs `nabla args`, expecting `code` and an error message (and no panic) on standard error.
fn error_of(args: &[&str], code: i32) -> String {
    let out = nabla().args(args).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

#[test]
fn digits_json_report() {
    let data = digits();
    let r = json_of(&[
        "train", "--data", &data, "--label", "digit", "--epochs", "5", "--seed", "1", "--format",
        "json",
    ]);
    assert_eq!(r["task"], "classification");
    assert_eq!(r["epochs"], 5);
    assert_eq!(
        (r["train_rows"].as_u64(), r["test_rows"].as_u64()),
        (Some(1437), Some(360))
    );
    assert_eq!(r["layer_sizes"], serde_json::json!([64, 64, 32, 10]));
    let (train, test) = (number(&r["train_accuracy"]), number(&r["test_accuracy"]));
    assert!((0.85..=1.0).contains(&train), "train accuracy {train}");
    assert!((0.85..=1.0).contains(&test), "test accuracy {test}");
    assert!(number(&r["seconds"]) > 0.0);

    let history = r["history"].as_array().unwrap();
    assert_eq!(history.len(), 5);
    let losses: Vec<f64> = history.iter().map(|h| number(&h["loss"])).collect();
    assert!(losses[4] < losses[0] / 2.0, "{losses:?}");
    assert_eq!(number(&r["train_loss"]), losses[4]);
    assert_eq!(history[4]["test_accuracy"], r["test_accuracy"]);

    // The confusion matrix is of the test rows, and its diagonal is the test accuracy.
    let counts: Vec<Vec<u64>> = serde_json::from_value(r["confusion"]["counts"].clone()).unwrap();
    assert_eq!(counts.iter().flatten().sum::<u64>(), 360);
    let hits: u64 = (0..10).map(|i| counts[i][i]).sum();
    assert!((hits as f64 / 360.0 - test).abs() < 1e-6);
}

#[test]
fn text_report_and_seeds() {
    let data = digits();
    let args = [
        "train", "--data", &data, "--label", "digit", "--epochs", "3", "--hidden", "32",
    ];
    let out = nabla().args(args).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("1797 rows, 64 features, label `digit` (classification)"),
        "{text}"
    );
    for line in [
        "epoch 1/3  loss ",
        "epoch 3/3  loss ",
        "confusion matrix on the test rows",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    assert!(text.contains("test accuracy"), "{text}");
    // Not a terminal: no progress bar.
    assert!(out.stderr.is_empty());
    // A seed fixes the run; another seed changes it.
    let again = nabla().args(args).output().unwrap().stdout;
    let without_time = |t: &str| t.rsplit_once(" in ").unwrap().0.to_string();
    assert_eq!(
        without_time(&text),
        without_time(&String::from_utf8(again).unwrap())
    );
    let other = nabla()
        .args(args)
        .args(["--seed", "3"])
        .output()
        .unwrap()
        .stdout;
    assert_ne!(
        without_time(&text),
        without_time(&String::from_utf8(other).unwrap())
    );
}

#[test]
fn save_then_predict() {
    let dir = scratch("predict");
    let data = digits();
    let model = dir.join("digits.safetensors").display().to_string();
    let trained = json_of(&[
        "train", "--data", &data, "--label", "digit", "--epochs", "8", "--save", &model,
        "--format", "json",
    ]);
    assert_eq!(trained["model"], model.as_str());

    // On every row, the accuracy is the train and test accuracies weighted by their rows.
    let predicted = json_of(&[
        "predict", "--model", &model, "--data", &data, "--format", "json",
    ]);
    assert_eq!(predicted["rows"], 1797);
    let expected = (number(&trained["train_accuracy"]) * 1437.0
        + number(&trained["test_accuracy"]) * 360.0)
        / 1797.0;
    let accuracy = number(&predicted["accuracy"]);
    assert!(
        (accuracy - expected).abs() < 1.5 / 1797.0,
        "{accuracy} vs {expected}"
    );
    let first = &predicted["predictions"][0];
    assert_eq!(first["class"], "0");
    assert!((0.1..=1.0).contains(&number(&first["probability"])));

    // Without the label column: predictions, no accuracy.
    let unlabelled = dir.join("unlabelled.csv");
    let csv = std::fs::read_to_string(&data).unwrap();
    let rows: Vec<String> = csv
        .lines()
        .take(4)
        .map(|l| l.rsplit_once(',').unwrap().0.to_string())
        .collect();
    std::fs::write(&unlabelled, rows.join("\n") + "\n").unwrap();
    let unlabelled = unlabelled.display().to_string();
    let p = json_of(&[
        "predict",
        "--model",
        &model,
        "--data",
        &unlabelled,
        "--format",
        "json",
    ]);
    assert_eq!(p["rows"], 3);
    assert_eq!(p["accuracy"], Value::Null);
    let out = nabla()
        .args(["predict", "--model", &model, "--data", &unlabelled])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("row  class  probability\n  1  0      0."),
        "{text}"
    );
    assert_eq!(text.lines().count(), 4);

    // --output writes a CSV file, one row per prediction.
    let written = dir.join("predictions.csv");
    let written_s = written.display().to_string();
    let out = nabla()
        .args([
            "predict", "--model", &model, "--data", &data, "--output", &written_s,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("1797 predictions written to "), "{text}");
    assert!(text.contains("accuracy "), "{text}");
    let csv = std::fs::read_to_string(&written).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1798);
    assert_eq!(lines[0], "row,predicted,probability");
    assert!(lines[1].starts_with("1,0,0."), "{}", lines[1]);

    // A reader that stops early (`| head`) ends the listing quietly.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("nabla"))
        .args(["predict", "--model", &model, "--data", &data])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A model applied to data with other columns, and a file that is not a model.
    let err = error_of(&["predict", "--model", &model, "--data", &written_s], 2);
    assert!(err.contains("differ from the model's"), "{err}");
    error_of(&["predict", "--model", &data, "--data", &data], 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_input_is_an_error_with_status_2() {
    let dir = scratch("errors");
    let data = digits();
    let head: Vec<&str> = include_str!("../../../data/digits.csv")
        .lines()
        .take(30)
        .collect();
    let write = |name: &str, extra: &str| {
        let path = dir.join(name);
        std::fs::write(&path, head.join("\n") + "\n" + extra).unwrap();
        path.display().to_string()
    };
    let ragged = write("ragged.csv", "1,2,three\n");
    let err = error_of(&["train", "--data", &ragged, "--label", "digit"], 2);
    assert!(
        err.contains("ragged.csv:31: row has 3 fields but the header has 65"),
        "{err}"
    );
    let word = write("word.csv", &format!("{}x,0\n", "0,".repeat(63)));
    let err = error_of(&["train", "--data", &word, "--label", "digit"], 2);
    assert!(
        err.contains("word.csv:31 column `p63`: `x` is not a number"),
        "{err}"
    );
    let err = error_of(&["train", "--data", &data, "--label", "label"], 2);
    assert!(err.contains("no such label column"), "{err}");
    let missing = dir.join("missing.csv").display().to_string();
    let err = error_of(&["train", "--data", &missing, "--label", "digit"], 2);
    assert!(err.contains("missing.csv"), "{err}");
    error_of(
        &["train", "--data", &data, "--label", "digit", "--batch", "0"],
        2,
    );
    error_of(
        &[
            "train", "--data", &data, "--label", "digit", "--epochs", "0",
        ],
        2,
    );
    error_of(
        &[
            "train",
            "--data",
            &data,
            "--label",
            "digit",
            "--optimizer",
            "lbfgs",
        ],
        2,
    );
    error_of(&["predict", "--model", &missing, "--data", &data], 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn diverging_training_fails_with_status_1() {
    let dir = scratch("diverge");
    let path = dir.join("squares.csv");
    let rows: String = (0..20).map(|i| format!("{i},{}\n", i * i * 1000)).collect();
    std::fs::write(&path, format!("x,y\n{rows}")).unwrap();
    let path = path.display().to_string();
    let err = error_of(
        &[
            "train",
            "--data",
            &path,
            "--label",
            "y",
            "--task",
            "regression",
            "--optimizer",
            "sgd",
            "--lr",
            "1e30",
        ],
        1,
    );
    assert!(err.contains("training diverged"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn regression_reports_rmse() {
    let dir = scratch("regression");
    let path = dir.join("line.csv");
    let rows: String = (0..100)
        .map(|i| format!("{},{}\n", i as f64 / 10.0, 300.0 + 5.0 * i as f64))
        .collect();
    std::fs::write(&path, format!("x,y\n{rows}")).unwrap();
    let path = path.display().to_string();
    let model = dir.join("line.safetensors").display().to_string();
    let r = json_of(&[
        "train", "--data", &path, "--label", "y", "--hidden", "16", "--epochs", "100", "--lr",
        "0.01", "--save", &model, "--format", "json",
    ]);
    assert_eq!(r["task"], "regression");
    assert!(r.get("test_accuracy").is_none());
    // The targets span 300..800: an RMSE of a few units means the line was learnt.
    assert!(number(&r["test_rmse"]) < 10.0, "{r}");
    assert_eq!(r["confusion"], Value::Null);
    let p = json_of(&[
        "predict", "--model", &model, "--data", &path, "--format", "json",
    ]);
    assert!(number(&p["rmse"]) < 10.0, "{p}");
    assert!(
        (number(&p["predictions"][0]["value"]) - 300.0).abs() < 20.0,
        "{p}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn plot_of_the_training_curves() {
    let dir = scratch("plot");
    let data = digits();
    let svg = dir.join("curves.svg");
    let png = dir.join("curves.png");
    for (path, format) in [(&svg, "json"), (&png, "text")] {
        let path = path.display().to_string();
        let out = nabla()
            .args([
                "train", "--data", &data, "--label", "digit", "--epochs", "4",
            ])
            .args(["--plot", &path, "--format", format])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.contains(&path), "{stdout}");
    }
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(svg.contains("<svg") && svg.contains("accuracy") && svg.contains("loss"));
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
    // An unknown picture format is refused before any training.
    let jpg = dir.join("curves.jpg").display().to_string();
    let out = nabla()
        .args(["train", "--data", &data, "--label", "digit", "--plot", &jpg])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains(".svg or .png")
    );
    let _ = std::fs::remove_dir_all(dir);
}
