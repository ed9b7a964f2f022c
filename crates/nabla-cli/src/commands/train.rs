//! `nabla train` and `nabla predict`: a multilayer perceptron trained on a CSV file (progress bar,
//! per-epoch metrics, confusion matrix, model file), and that model applied to another CSV file.
//!
//! Both are thin over `nabla-nn`: the flags fill a [`TrainConfig`], the report is printed.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nabla_nn::{
    Activation, BatchProgress, EpochStats, Init, ModelKind, NnError, OptimizerKind, Prediction,
    Predictions, Schedule, Targets, Task, TrainConfig, TrainObserver, TrainReport,
};
use nabla_plot::{ImageFormat, LineChart, Panel, Picture};
use serde_json::{Value, json};

use crate::commands::plot::plot_failure;
use crate::failure::Failure;
use crate::output::{self, Report};

/// Train a multilayer perceptron on a CSV file with a header row; every column but the label
/// must hold numbers. Classification or regression is chosen from the label column.
#[derive(Args)]
pub struct TrainArgs {
    /// The training data: a CSV file with a header row.
    #[arg(long, value_name = "FILE.csv")]
    pub data: PathBuf,
    /// The column to predict.
    #[arg(long, value_name = "COLUMN")]
    pub label: String,
    /// Hidden layer widths.
    #[arg(long, value_name = "64,32", value_delimiter = ',', default_values_t = TrainConfig::default().hidden)]
    pub hidden: Vec<usize>,
    /// Hidden-layer activation: relu, leaky_relu, tanh, sigmoid, gelu or identity.
    #[arg(long, default_value_t = TrainConfig::default().activation)]
    pub activation: Activation,
    /// Passes over the training data.
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    pub epochs: usize,
    /// Mini-batch size.
    #[arg(long, default_value_t = TrainConfig::default().batch)]
    pub batch: usize,
    /// Update rule: sgd, momentum (heavy ball, 0.9) or adam.
    #[arg(long, default_value = "adam")]
    pub optimizer: OptimizerKind,
    /// Base learning rate.
    #[arg(long, default_value_t = TrainConfig::default().lr)]
    pub lr: f32,
    /// Learning-rate schedule: constant, cosine, or step:EVERY:GAMMA.
    #[arg(long, default_value = "constant", value_name = "SCHEDULE")]
    pub schedule: Schedule,
    /// Seeds the initial weights, the train/test split, shuffling and dropout.
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    /// L2 penalty added to the gradient.
    #[arg(long, default_value_t = TrainConfig::default().weight_decay)]
    pub weight_decay: f32,
    /// Probability of dropping a hidden unit during training.
    #[arg(long, default_value_t = TrainConfig::default().dropout)]
    pub dropout: f32,
    /// Weight initialisation.
    #[arg(long, value_enum, default_value_t = InitArg::XavierUniform)]
    pub init: InitArg,
    /// Fraction of the rows held out for testing (0: train on everything).
    #[arg(long, default_value_t = TrainConfig::default().test_fraction)]
    pub test_fraction: f32,
    /// What the label is (auto: regression when it has fractions or more than 32 values).
    #[arg(long, value_enum, default_value_t = TaskArg::Auto)]
    pub task: TaskArg,
    /// Write the trained model here (safetensors, with its description in the metadata).
    #[arg(long, value_name = "FILE.safetensors")]
    pub save: Option<PathBuf>,
    /// Draw the loss and the accuracy (or RMSE) per epoch into this picture.
    #[arg(long, value_name = "FILE.png|FILE.svg")]
    pub plot: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Report::Text)]
    pub format: Report,
}

/// [`Init`] by name.
#[derive(Copy, Clone, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum InitArg {
    /// Glorot uniform, as scikit-learn.
    XavierUniform,
    /// He normal.
    HeNormal,
}

/// [`Task`] by name.
#[derive(Copy, Clone, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum TaskArg {
    Auto,
    Classification,
    Regression,
}

impl TrainArgs {
    fn config(&self) -> TrainConfig {
        TrainConfig {
            data: self.data.clone(),
            label: self.label.clone(),
            hidden: self.hidden.clone(),
            activation: self.activation,
            epochs: self.epochs,
            batch: self.batch,
            optimizer: self.optimizer,
            lr: self.lr,
            schedule: self.schedule,
            seed: self.seed,
            weight_decay: self.weight_decay,
            dropout: self.dropout,
            init: match self.init {
                InitArg::XavierUniform => Init::XavierUniform,
                InitArg::HeNormal => Init::HeNormal,
            },
            test_fraction: self.test_fraction,
            task: match self.task {
                TaskArg::Auto => Task::Auto,
                TaskArg::Classification => Task::Classification,
                TaskArg::Regression => Task::Regression,
            },
        }
    }
}

/// Apply a model saved by `nabla train --save` to the rows of a CSV file.
#[derive(Args)]
pub struct PredictArgs {
    /// A model written by `nabla train --save`.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// The rows to predict: the model's feature columns, with or without its label column
    /// (with it, the accuracy or RMSE is reported).
    #[arg(long, value_name = "FILE.csv")]
    pub data: PathBuf,
    /// Write the predictions to this CSV file instead of listing them.
    #[arg(long, value_name = "FILE.csv")]
    pub output: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Report::Text)]
    pub format: Report,
}

/// Bad input and usage are the user's to fix (2); a run that diverged, or a defect, failed (1).
fn failure(e: NnError) -> Failure {
    let message = format!("error: {e}");
    match e {
        NnError::Csv { .. }
        | NnError::Config(_)
        | NnError::ModelFormat { .. }
        | NnError::Io { .. } => Failure::usage(message),
        _ => Failure::failed(message),
    }
}

/// What a model predicts, and the name and format of its score.
#[derive(Copy, Clone)]
struct Metric(ModelKind);

impl Metric {
    fn task(self) -> &'static str {
        match self.0 {
            ModelKind::Classification => "classification",
            ModelKind::Regression => "regression",
        }
    }

    fn name(self) -> &'static str {
        match self.0 {
            ModelKind::Classification => "accuracy",
            ModelKind::Regression => "rmse",
        }
    }

    /// The name on a chart's axis.
    fn label(self) -> &'static str {
        match self.0 {
            ModelKind::Classification => "accuracy",
            ModelKind::Regression => "RMSE",
        }
    }

    /// Accuracy as a percentage, RMSE in the target's units.
    fn text(self, value: f32) -> String {
        match self.0 {
            ModelKind::Classification => format!("{:.2}%", 100.0 * value),
            ModelKind::Regression => format!("{value:.6}"),
        }
    }
}

/// An `f32` for JSON by its shortest decimal form, so 0.9833 is not written 0.9833333492279053.
fn json_f32(x: f32) -> Value {
    output::json_number(x.to_string().parse().unwrap_or(f64::NAN))
}

/// Shows training: a progress bar over every batch on standard error when it is a terminal and
/// the output is text, and in text mode one line per epoch on standard output.
struct Progress {
    bar: Option<ProgressBar>,
    /// `None` in JSON mode, where only the final object is printed.
    metric: Option<Metric>,
    epochs: usize,
    /// What is being trained, printed when training starts (so that a configuration the
    /// library rejects prints only its error).
    about: Option<String>,
}

impl Progress {
    fn new(format: Report, metric: Metric, epochs: usize, about: String) -> Progress {
        let text = format != Report::Json;
        let bar = (text && std::io::stderr().is_terminal()).then(|| {
            let style = ProgressStyle::with_template(
                "{bar:30} epoch {msg} [{elapsed_precise}, {eta} left]",
            )
            .expect("the progress template is valid")
            .progress_chars("=> ");
            // Hidden until the first batch tells how many there are, so it never draws 0 of 0.
            ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()).with_style(style)
        });
        Progress {
            bar,
            metric: text.then_some(metric),
            epochs,
            about: text.then_some(about),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl TrainObserver for Progress {
    fn on_batch(&mut self, p: &BatchProgress) {
        if let Some(about) = self.about.take() {
            // Write errors during training are left for the final report to meet.
            let _ = output::write_stdout(&(about + "\n"));
        }
        if let Some(bar) = &self.bar {
            if bar.length().is_none() {
                bar.set_length((p.epochs * p.batches) as u64);
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            bar.set_message(format!("{}/{} loss {:.4}", p.epoch, p.epochs, p.loss));
            bar.inc(1);
        }
    }

    fn on_epoch(&mut self, s: &EpochStats) {
        let Some(metric) = self.metric else { return };
        let mut line = format!(
            "epoch {:>w$}/{}  loss {:.4}  train {} {}",
            s.epoch,
            self.epochs,
            s.loss,
            metric.name(),
            metric.text(s.train_metric),
            w = self.epochs.to_string().len()
        );
        if let Some(test) = s.test_metric {
            line += &format!("  test {} {}", metric.name(), metric.text(test));
        }
        line.push('\n');
        let _ = match &self.bar {
            Some(bar) => bar.suspend(|| output::write_stdout(&line)),
            None => output::write_stdout(&line),
        };
    }
}

pub fn train(args: TrainArgs) -> Result<(), Failure> {
    if args.epochs == 0 {
        return Err(Failure::usage("error: --epochs must be at least 1"));
    }
    // A picture format that cannot be written is found before the training, not after it.
    if let Some(path) = &args.plot {
        ImageFormat::from_path(path).map_err(plot_failure)?;
    }
    let start = Instant::now();
    let config = args.config();
    let table = nabla_nn::load_csv(&config.data, Some(&config.label)).map_err(failure)?;
    // Classification or regression is the library's call from the label column; it is known
    // before training so that every epoch line can name its metric.
    let label = table
        .label
        .as_ref()
        .ok_or_else(|| Failure::usage(format!("error: no label column `{}`", config.label)))?;
    let kind = match Targets::from_column(label, config.task, &table.source).map_err(failure)? {
        Targets::Classes { .. } => ModelKind::Classification,
        Targets::Values(_) => ModelKind::Regression,
    };
    let metric = Metric(kind);
    let about = format!(
        "{}: {} rows, {} features, label `{}` ({})",
        table.source.display(),
        table.features.shape()[0],
        table.feature_names.len(),
        config.label,
        metric.task()
    );
    let mut progress = Progress::new(args.format, metric, config.epochs, about);
    let report = nabla_nn::train_table(&table, &config, &mut progress);
    progress.finish();
    let report = report.map_err(failure)?;
    let seconds = start.elapsed().as_secs_f64();
    if let Some(path) = &args.save {
        nabla_nn::save_model(&report.model, path).map_err(failure)?;
    }
    if let Some(path) = &args.plot {
        training_chart(&table.source, &report, metric)
            .save(path)
            .map_err(plot_failure)?;
    }
    match args.format {
        Report::Json => output::write_json(&train_json(&args, &report, metric, seconds)),
        Report::Text => output::write_stdout(&train_text(&args, &report, metric, seconds)),
    }
}

fn train_json(args: &TrainArgs, report: &TrainReport, metric: Metric, seconds: f64) -> Value {
    let (train_key, test_key) = (
        format!("train_{}", metric.name()),
        format!("test_{}", metric.name()),
    );
    let history: Vec<Value> = report
        .history
        .iter()
        .map(|s| {
            let mut o = json!({"epoch": s.epoch, "loss": json_f32(s.loss)});
            o[&train_key] = json_f32(s.train_metric);
            o[&test_key] = s.test_metric.map_or(Value::Null, json_f32);
            o["learning_rate"] = json_f32(s.learning_rate);
            o["seconds"] = output::json_number(s.seconds);
            o
        })
        .collect();
    let mut o = json!({
        "task": metric.task(),
        "train_loss": report.history.last().map_or(Value::Null, |s| json_f32(s.loss)),
    });
    o[&train_key] = json_f32(report.train_metric);
    o[&test_key] = report.test_metric.map_or(Value::Null, json_f32);
    o["epochs"] = json!(report.history.len());
    o["seconds"] = output::json_number(seconds);
    o["train_rows"] = json!(report.train_rows);
    o["test_rows"] = json!(report.test_rows);
    o["layer_sizes"] = json!(report.model.description.layer_sizes);
    o["model"] = json!(args.save.as_ref().map(|p| p.display().to_string()));
    o["plot"] = json!(args.plot.as_ref().map(|p| p.display().to_string()));
    o["history"] = Value::Array(history);
    o["confusion"] = json!(report.confusion);
    o
}

/// The end of the text report: confusion matrix, final metrics, where the model went.
fn train_text(args: &TrainArgs, report: &TrainReport, metric: Metric, seconds: f64) -> String {
    let mut text = String::new();
    if let Some(confusion) = &report.confusion {
        let split = if report.test_rows > 0 {
            "test"
        } else {
            "training"
        };
        text += &format!(
            "\nconfusion matrix on the {split} rows (rows: true class, columns: predicted)\n{confusion}\n"
        );
    }
    text += &format!(
        "\ntrain {} {} ({} rows)",
        metric.name(),
        metric.text(report.train_metric),
        report.train_rows
    );
    if let Some(test) = report.test_metric {
        text += &format!(
            ", test {} {} ({} rows)",
            metric.name(),
            metric.text(test),
            report.test_rows
        );
    }
    text += &format!(" in {seconds:.2} s\n");
    if let Some(path) = &args.save {
        text += &format!("model saved to {}\n", path.display());
    }
    if let Some(path) = &args.plot {
        text += &format!("training curves drawn in {}\n", path.display());
    }
    text
}

/// Loss per epoch above (log scale), the accuracy or RMSE on the training and test rows below.
fn training_chart(source: &Path, report: &TrainReport, metric: Metric) -> LineChart {
    let curve = |value: &dyn Fn(&EpochStats) -> Option<f32>| -> Vec<(f64, f64)> {
        report
            .history
            .iter()
            .map(|s| (s.epoch as f64, value(s).map_or(f64::NAN, f64::from)))
            .collect()
    };
    let loss = Panel::new("loss")
        .log_y()
        .series("train", curve(&|s| Some(s.loss)));
    let mut scores = Panel::new(metric.label()).series("train", curve(&|s| Some(s.train_metric)));
    if report.test_rows > 0 {
        scores = scores.series("test", curve(&|s| s.test_metric));
    }
    // Accuracy on its whole range; an RMSE on a log scale, where the late epochs still show.
    scores = match metric.0 {
        ModelKind::Classification => scores.y_range(0.0..=1.0),
        ModelKind::Regression => scores.log_y(),
    };
    let name = source.file_name().unwrap_or(source.as_os_str());
    LineChart::new(format!("Training on {}", name.to_string_lossy()))
        .x_label("epoch")
        .panel(loss)
        .panel(scores)
}

pub fn predict(args: PredictArgs) -> Result<(), Failure> {
    let model = nabla_nn::load_model(&args.model).map_err(failure)?;
    let predictions = model.predict_csv(&args.data).map_err(failure)?;
    let metric = Metric(model.description.kind);
    if let Some(path) = &args.output {
        write_predictions(path, &predictions)?;
    }
    let listed = args.output.is_none();
    if args.format == Report::Json {
        let mut o = json!({"task": metric.task(), "rows": predictions.rows.len()});
        o[metric.name()] = predictions.score.map_or(Value::Null, json_f32);
        o["model"] = json!(args.model.display().to_string());
        o["output"] = json!(args.output.as_ref().map(|p| p.display().to_string()));
        if listed {
            o["predictions"] = predictions.rows.iter().map(prediction_json).collect();
        }
        return output::write_json(&o);
    }
    let mut text = String::new();
    if listed {
        let cells: Vec<[String; 2]> = predictions
            .rows
            .iter()
            .map(|p| prediction_cells(p, Some(4)))
            .collect();
        let row_width = cells.len().to_string().len().max(3);
        let (name, extra) = match metric.0 {
            ModelKind::Classification => ("class", "  probability"),
            ModelKind::Regression => ("value", ""),
        };
        let width = cells
            .iter()
            .map(|c| c[0].len())
            .fold(name.len(), usize::max);
        text += &format!("{:>row_width$}  {name:<width$}{extra}\n", "row");
        for (i, [value, probability]) in cells.iter().enumerate() {
            let line = format!("{:>row_width$}  {value:<width$}  {probability}", i + 1);
            text += line.trim_end();
            text.push('\n');
        }
    } else if let Some(path) = &args.output {
        text += &format!(
            "{} predictions written to {}\n",
            predictions.rows.len(),
            path.display()
        );
    }
    if let Some(score) = predictions.score {
        text += &format!(
            "{} {} on {} rows\n",
            metric.name(),
            metric.text(score),
            predictions.rows.len()
        );
    }
    output::write_stdout(&text)
}

fn prediction_json(p: &Prediction) -> Value {
    match p {
        Prediction::Class { label, probability } => {
            json!({"class": label, "probability": json_f32(*probability)})
        }
        Prediction::Value(v) => json!({"value": json_f32(*v)}),
    }
}

/// The predicted class (or value) and its probability (empty for a value), with `digits`
/// decimals, or `None` for the shortest exact form.
fn prediction_cells(p: &Prediction, digits: Option<usize>) -> [String; 2] {
    let number = |x: f32| match digits {
        Some(d) => format!("{x:.d$}"),
        None => x.to_string(),
    };
    match p {
        Prediction::Class { label, probability } => [label.clone(), number(*probability)],
        Prediction::Value(v) => [number(*v), String::new()],
    }
}

/// `row,predicted,probability` (or `row,predicted` for regression), rows numbered from 1.
fn write_predictions(path: &Path, predictions: &Predictions) -> Result<(), Failure> {
    let error = |e: csv::Error| Failure::usage(format!("error: {}: {e}", path.display()));
    let mut out = csv::Writer::from_path(path).map_err(error)?;
    let classification = predictions.probabilities.is_some();
    let header: &[&str] = if classification {
        &["row", "predicted", "probability"]
    } else {
        &["row", "predicted"]
    };
    out.write_record(header).map_err(error)?;
    for (i, p) in predictions.rows.iter().enumerate() {
        let [value, probability] = prediction_cells(p, None);
        let row = (i + 1).to_string();
        if classification {
            out.write_record([&row, &value, &probability])
                .map_err(error)?;
        } else {
            out.write_record([&row, &value]).map_err(error)?;
        }
    }
    out.flush()
        .map_err(|e| Failure::usage(format!("error: {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        train: TrainArgs,
    }

    #[test]
    fn flag_defaults_are_the_library_defaults() {
        let cli = Cli::try_parse_from(["train", "--data", "d.csv", "--label", "y"]).unwrap();
        let expected = TrainConfig {
            data: "d.csv".into(),
            label: "y".into(),
            ..TrainConfig::default()
        };
        assert_eq!(cli.train.config(), expected);
    }

    #[test]
    fn every_flag_reaches_the_config() {
        let cli = Cli::try_parse_from([
            "train",
            "--data",
            "d.csv",
            "--label",
            "y",
            "--hidden",
            "8,4,2",
            "--activation",
            "tanh",
            "--epochs",
            "7",
            "--batch",
            "5",
            "--optimizer",
            "momentum",
            "--lr",
            "0.5",
            "--schedule",
            "step:3:0.5",
            "--seed",
            "9",
            "--weight-decay",
            "0.01",
            "--dropout",
            "0.25",
            "--init",
            "he-normal",
            "--test-fraction",
            "0",
            "--task",
            "regression",
        ])
        .unwrap();
        let expected = TrainConfig {
            data: "d.csv".into(),
            label: "y".into(),
            hidden: vec![8, 4, 2],
            activation: Activation::Tanh,
            epochs: 7,
            batch: 5,
            optimizer: OptimizerKind::Momentum,
            lr: 0.5,
            schedule: Schedule::Step {
                every: 3,
                gamma: 0.5,
            },
            seed: 9,
            weight_decay: 0.01,
            dropout: 0.25,
            init: Init::HeNormal,
            test_fraction: 0.0,
            task: Task::Regression,
        };
        assert_eq!(cli.train.config(), expected);
    }

    #[test]
    fn json_floats_are_short() {
        assert_eq!(json_f32(0.9833333).to_string(), "0.9833333");
        assert_eq!(json_f32(f32::NAN), json!("nan"));
    }
}
