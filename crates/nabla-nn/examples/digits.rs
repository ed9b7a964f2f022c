//! Trains the digits MLP (64→64→32→10, relu, Adam lr 1e-3, batch 32, 30 epochs, standardised
//! inputs, 20% held-out test split) for seeds 0..4 and prints test accuracy and wall time.
//!
//! Run: `cargo run --release -p nabla-nn --example digits [path/to/digits.csv]`

use std::path::PathBuf;
use std::time::Instant;

use nabla_nn::{TrainConfig, load_csv, train_table};

fn main() -> Result<(), nabla_nn::NnError> {
    let data = std::env::args_os().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/digits.csv"),
        PathBuf::from,
    );
    let table = load_csv(&data, Some("digit"))?;
    let mut accuracies = Vec::new();
    let mut seconds = Vec::new();
    for seed in 0..5 {
        let config = TrainConfig {
            data: data.clone(),
            label: "digit".into(),
            hidden: vec![64, 32],
            seed,
            ..TrainConfig::default()
        };
        let start = Instant::now();
        let report = train_table(&table, &config, &mut ())?;
        let elapsed = start.elapsed().as_secs_f64();
        let accuracy = report.test_metric.unwrap_or(f32::NAN);
        println!(
            "seed {seed}: test accuracy {accuracy:.4}  train accuracy {:.4}  {elapsed:.3} s",
            report.train_metric
        );
        accuracies.push(f64::from(accuracy));
        seconds.push(elapsed);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "mean test accuracy {:.4}  mean time {:.3} s per run",
        mean(&accuracies),
        mean(&seconds)
    );
    Ok(())
}
