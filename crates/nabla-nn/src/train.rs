//! The training driver: from a [`TrainConfig`] (the `nabla train` flags) to a [`TrainReport`]
//! with per-epoch history, final metrics, a confusion matrix and the trained [`Model`].

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Instant;

use nabla_optimize::update::{Adam, Momentum, Sgd, UpdateRule};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::Serialize;

use crate::data::{Standardizer, Table, Targets, Task, load_csv, train_test_split};
use crate::error::{NnError, Result};
use crate::graph::Var;
use crate::init::Init;
use crate::layers::{Mlp, MlpSpec};
use crate::model::{Model, ModelDescription, ModelKind, rmse};
use crate::ops::activation::Activation;
use crate::tensor::Tensor;

/// The update rule, from `nabla-optimize` with PyTorch's equations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerKind {
    Sgd,
    /// Heavy-ball momentum 0.9.
    Momentum,
    Adam,
}

impl OptimizerKind {
    fn build(self, lr: f32, weight_decay: f32) -> Box<dyn UpdateRule<f32>> {
        match self {
            OptimizerKind::Sgd => Box::new(Sgd {
                weight_decay,
                ..Sgd::new(lr)
            }),
            OptimizerKind::Momentum => {
                let mut m = Momentum::new(lr);
                m.weight_decay = weight_decay;
                Box::new(m)
            }
            OptimizerKind::Adam => {
                let mut a = Adam::new(lr);
                a.weight_decay = weight_decay;
                Box::new(a)
            }
        }
    }
}

impl FromStr for OptimizerKind {
    type Err = NnError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "sgd" => Ok(OptimizerKind::Sgd),
            "momentum" => Ok(OptimizerKind::Momentum),
            "adam" => Ok(OptimizerKind::Adam),
            _ => Err(NnError::Config(format!(
                "unknown optimizer `{s}` (expected sgd, momentum or adam)"
            ))),
        }
    }
}

/// How the learning rate changes over epochs.
///
/// ```
/// use nabla_nn::Schedule;
/// let step: Schedule = "step:10:0.5".parse()?;
/// assert_eq!(step.learning_rate(0.1, 10, 30), 0.05);
/// let cosine: Schedule = "cosine".parse()?;
/// assert_eq!(cosine.learning_rate(0.1, 0, 30), 0.1);
/// assert!(cosine.learning_rate(0.1, 29, 30) < 0.001);
/// # Ok::<(), nabla_nn::NnError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Schedule {
    #[default]
    Constant,
    /// Multiply by `gamma` every `every` epochs (PyTorch's `StepLR`).
    Step { every: usize, gamma: f32 },
    /// Half a cosine from the base rate down to 0 over the run (`CosineAnnealingLR`, `eta_min = 0`).
    Cosine,
}

impl Schedule {
    /// The rate for 0-based `epoch` of `epochs`.
    pub fn learning_rate(&self, base: f32, epoch: usize, epochs: usize) -> f32 {
        match *self {
            Schedule::Constant => base,
            Schedule::Step { every, gamma } => base * gamma.powi((epoch / every.max(1)) as i32),
            Schedule::Cosine => {
                let t = epoch as f32 / epochs.max(1) as f32;
                base * 0.5 * (1.0 + (std::f32::consts::PI * t).cos())
            }
        }
    }
}

impl FromStr for Schedule {
    type Err = NnError;
    /// `constant`, `cosine`, or `step:EVERY:GAMMA` (`step` alone is `step:10:0.1`).
    fn from_str(s: &str) -> Result<Self> {
        let parts: Vec<&str> = s.split(':').collect();
        let bad = || {
            NnError::Config(format!(
                "unknown schedule `{s}` (expected constant, cosine or step:EVERY:GAMMA)"
            ))
        };
        match parts[..] {
            ["constant"] => Ok(Schedule::Constant),
            ["cosine"] => Ok(Schedule::Cosine),
            ["step"] => Ok(Schedule::Step {
                every: 10,
                gamma: 0.1,
            }),
            ["step", every, gamma] => Ok(Schedule::Step {
                every: every.parse().ok().filter(|&e| e > 0).ok_or_else(bad)?,
                gamma: gamma
                    .parse()
                    .ok()
                    .filter(|g: &f32| *g > 0.0)
                    .ok_or_else(bad)?,
            }),
            _ => Err(bad()),
        }
    }
}

/// Everything `nabla train` can set; [`Default`] gives the documented defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// CSV file with a header row (`--data`).
    pub data: PathBuf,
    /// Name of the label column (`--label`).
    pub label: String,
    /// Hidden layer widths (`--hidden 64,32`).
    pub hidden: Vec<usize>,
    pub activation: Activation,
    pub epochs: usize,
    /// Mini-batch size (`--batch`).
    pub batch: usize,
    pub optimizer: OptimizerKind,
    /// Base learning rate (`--lr`).
    pub lr: f32,
    pub schedule: Schedule,
    /// Seeds initialisation, the split, shuffling and dropout.
    pub seed: u64,
    /// L2 penalty added to the gradient (`--weight-decay`, PyTorch convention).
    pub weight_decay: f32,
    pub dropout: f32,
    pub init: Init,
    /// Fraction held out for testing (0 disables the test split).
    pub test_fraction: f32,
    pub task: Task,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            data: PathBuf::new(),
            label: String::new(),
            hidden: vec![64, 32],
            activation: Activation::Relu,
            epochs: 30,
            batch: 32,
            optimizer: OptimizerKind::Adam,
            lr: 1e-3,
            schedule: Schedule::Constant,
            seed: 0,
            weight_decay: 0.0,
            dropout: 0.0,
            init: Init::default(),
            test_fraction: 0.2,
            task: Task::Auto,
        }
    }
}

/// Statistics of one finished epoch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpochStats {
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (cross-entropy, or MSE of standardised targets).
    pub loss: f32,
    /// Accuracy in `[0, 1]` for classification, RMSE in target units for regression.
    pub train_metric: f32,
    pub test_metric: Option<f32>,
    pub learning_rate: f32,
    pub seconds: f64,
}

/// Progress of one mini-batch, for progress bars.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BatchProgress {
    /// 1-based epoch.
    pub epoch: usize,
    pub epochs: usize,
    /// 0-based batch within the epoch.
    pub batch: usize,
    pub batches: usize,
    pub loss: f32,
}

/// Hooks called during training; both default to doing nothing.
pub trait TrainObserver {
    fn on_batch(&mut self, _progress: &BatchProgress) {}
    fn on_epoch(&mut self, _stats: &EpochStats) {}
}

/// Observes nothing.
impl TrainObserver for () {}

/// Counts of (true class, predicted class) pairs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfusionMatrix {
    pub classes: Vec<String>,
    /// `counts[truth][predicted]`.
    pub counts: Vec<Vec<usize>>,
}

impl ConfusionMatrix {
    fn new(classes: &[String], truth: &[usize], predicted: &[usize]) -> Self {
        let mut counts = vec![vec![0; classes.len()]; classes.len()];
        for (&t, &p) in truth.iter().zip(predicted) {
            counts[t][p] += 1;
        }
        ConfusionMatrix {
            classes: classes.to_vec(),
            counts,
        }
    }
}

impl fmt::Display for ConfusionMatrix {
    /// Rows are true classes, columns predicted ones.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .classes
            .iter()
            .map(String::len)
            .chain(self.counts.iter().flatten().map(|c| c.to_string().len()))
            .max()
            .unwrap_or(1);
        write!(f, "{:>width$}", "")?;
        for c in &self.classes {
            write!(f, " {c:>width$}")?;
        }
        for (c, row) in self.classes.iter().zip(&self.counts) {
            write!(f, "\n{c:>width$}")?;
            for n in row {
                write!(f, " {n:>width$}")?;
            }
        }
        Ok(())
    }
}

/// The outcome of [`train`].
#[derive(Clone, Debug)]
pub struct TrainReport {
    pub kind: ModelKind,
    pub history: Vec<EpochStats>,
    pub train_metric: f32,
    pub test_metric: Option<f32>,
    /// On the test split (on the training data when there is none); classification only.
    pub confusion: Option<ConfusionMatrix>,
    pub train_rows: usize,
    pub test_rows: usize,
    /// Wall time of the whole run, loading included.
    pub seconds: f64,
    pub model: Model,
}

/// Loads `config.data` and trains on it.
pub fn train(config: &TrainConfig, observer: &mut dyn TrainObserver) -> Result<TrainReport> {
    let start = Instant::now();
    let table = load_csv(&config.data, Some(&config.label))?;
    let mut report = train_table(&table, config, observer)?;
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

/// Trains on an already loaded table (its label column must be `config.label`; `config.data`
/// is ignored).
///
/// ```
/// use nabla_nn::{read_csv, train_table, TrainConfig};
/// // y = 1 when a > b; a linearly separable toy problem.
/// let mut csv = String::from("a,b,y\n");
/// for i in 0..40 {
///     let (a, b) = ((i * 7 % 11) as f32, (i * 5 % 13) as f32);
///     csv += &format!("{a},{b},{}\n", u8::from(a > b));
/// }
/// let table = read_csv(csv.as_bytes(), "toy.csv".as_ref(), Some("y"))?;
/// let config = TrainConfig { label: "y".into(), hidden: vec![8], epochs: 60, batch: 8, lr: 0.01,
///                            ..TrainConfig::default() };
/// let report = train_table(&table, &config, &mut ())?;
/// assert_eq!(report.history.len(), 60);
/// assert!(report.train_metric > 0.9);
/// # Ok::<(), nabla_nn::NnError>(())
/// ```
pub fn train_table(
    table: &Table,
    config: &TrainConfig,
    observer: &mut dyn TrainObserver,
) -> Result<TrainReport> {
    let start = Instant::now();
    validate(config)?;
    let label = table
        .label
        .as_ref()
        .filter(|l| l.name == config.label)
        .ok_or_else(|| {
            NnError::Config(format!("the table has no label column `{}`", config.label))
        })?;
    let targets = Targets::from_column(label, config.task, &table.source)?;
    let rows = table.features.shape()[0];
    let (train_rows, test_rows) = if config.test_fraction > 0.0 {
        train_test_split(rows, config.test_fraction, config.seed)?
    } else {
        ((0..rows).collect(), Vec::new())
    };

    let mut x_train = table.features.select_rows(&train_rows)?;
    let mut x_test = table.features.select_rows(&test_rows)?;
    let standardizer = Standardizer::fit(&x_train)?;
    standardizer.apply(&mut x_train)?;
    standardizer.apply(&mut x_test)?;
    let (y_train, y_test) = (targets.select(&train_rows), targets.select(&test_rows));

    let (kind, outputs, classes, target_mean, target_std) = match &y_train {
        Targets::Classes { names, .. } => {
            if names.len() < 2 {
                return Err(NnError::Config(format!(
                    "classification needs at least two classes, found {names:?}"
                )));
            }
            (
                ModelKind::Classification,
                names.len(),
                names.clone(),
                0.0,
                1.0,
            )
        }
        Targets::Values(v) => {
            let s = Standardizer::fit(&Tensor::matrix(v.len(), 1, v.clone())?)?;
            (ModelKind::Regression, 1, Vec::new(), s.mean[0], s.std[0])
        }
    };
    // Regression trains on standardised targets, so the loss scale does not depend on units.
    let fit_target = |t: &Targets| -> Targets {
        match t {
            Targets::Values(v) => {
                Targets::Values(v.iter().map(|y| (y - target_mean) / target_std).collect())
            }
            other => other.clone(),
        }
    };
    let y_fit = fit_target(&y_train);

    let mut rng = StdRng::seed_from_u64(config.seed);
    let spec = MlpSpec {
        inputs: table.feature_names.len(),
        hidden: config.hidden.clone(),
        outputs,
        activation: config.activation,
        dropout: config.dropout,
        init: config.init,
    };
    let mlp = Mlp::new(&spec, &mut rng)?;
    let mut optimizer = config.optimizer.build(config.lr, config.weight_decay);
    let model_description = ModelDescription {
        kind,
        layer_sizes: mlp.sizes(),
        activation: config.activation.to_string(),
        feature_names: table.feature_names.clone(),
        label: config.label.clone(),
        classes,
        feature_mean: standardizer.mean.clone(),
        feature_std: standardizer.std.clone(),
        target_mean,
        target_std,
    };

    let evaluate = |mlp: &Mlp, x: &Tensor, y: &Targets| -> Result<(f32, Vec<usize>)> {
        let out = mlp.infer(x)?;
        Ok(match y {
            Targets::Classes { indices, .. } => {
                let predicted = out.argmax_rows()?;
                let hits = predicted
                    .iter()
                    .zip(indices)
                    .filter(|(p, t)| p == t)
                    .count();
                (hits as f32 / indices.len().max(1) as f32, predicted)
            }
            Targets::Values(v) => {
                let unscaled: Vec<f32> = out
                    .data()
                    .iter()
                    .map(|o| o * target_std + target_mean)
                    .collect();
                (rmse(&unscaled, v), Vec::new())
            }
        })
    };

    // Metric and predictions on the training split and, when there is one, the test split.
    let evaluate_splits = || -> Result<Evaluation> {
        let train = evaluate(&mlp, &x_train, &y_train)?;
        let test = if test_rows.is_empty() {
            None
        } else {
            Some(evaluate(&mlp, &x_test, &y_test)?)
        };
        Ok((train, test))
    };

    let mut order: Vec<usize> = (0..train_rows.len()).collect();
    let batches = train_rows.len().div_ceil(config.batch);
    let mut batch_x = Tensor::zeros(&[0, 0]);
    let (mut class_buffer, mut value_buffer) = (Vec::new(), Vec::new());
    let mut history = Vec::with_capacity(config.epochs);
    // The last epoch's evaluation is the final one: the model does not change after it.
    let mut last_evaluation = None;
    for epoch in 0..config.epochs {
        let epoch_start = Instant::now();
        let lr = config
            .schedule
            .learning_rate(config.lr, epoch, config.epochs);
        optimizer.set_learning_rate(lr);
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0f64;
        for (b, chunk) in order.chunks(config.batch).enumerate() {
            x_train.select_rows_into(chunk, &mut batch_x)?;
            let batch_y = match &y_fit {
                Targets::Classes { indices, .. } => {
                    class_buffer.clear();
                    class_buffer.extend(chunk.iter().map(|&r| indices[r]));
                    BatchTargets::Classes(&class_buffer)
                }
                Targets::Values(v) => {
                    value_buffer.clear();
                    value_buffer.extend(chunk.iter().map(|&r| v[r]));
                    BatchTargets::Values(&value_buffer)
                }
            };
            let (loss, x_back) = step(&mlp, batch_x, batch_y, optimizer.as_mut(), &mut rng)?;
            batch_x = x_back;
            if !loss.is_finite() {
                return Err(NnError::NonFiniteLoss {
                    epoch: epoch + 1,
                    batch: b,
                    loss,
                });
            }
            loss_sum += f64::from(loss) * chunk.len() as f64;
            observer.on_batch(&BatchProgress {
                epoch: epoch + 1,
                epochs: config.epochs,
                batch: b,
                batches,
                loss,
            });
        }
        let (train, test) = evaluate_splits()?;
        let stats = EpochStats {
            epoch: epoch + 1,
            loss: (loss_sum / train_rows.len() as f64) as f32,
            train_metric: train.0,
            test_metric: test.as_ref().map(|t| t.0),
            learning_rate: lr,
            seconds: epoch_start.elapsed().as_secs_f64(),
        };
        observer.on_epoch(&stats);
        history.push(stats);
        last_evaluation = Some((train, test));
    }

    let ((train_metric, train_predicted), test) = match last_evaluation {
        Some(evaluation) => evaluation,
        None => evaluate_splits()?,
    };
    let (test_metric, confusion) = match test {
        None => (None, confusion_of(&y_train, &train_predicted)),
        Some((metric, predicted)) => (Some(metric), confusion_of(&y_test, &predicted)),
    };
    Ok(TrainReport {
        kind,
        history,
        train_metric,
        test_metric,
        confusion,
        train_rows: train_rows.len(),
        test_rows: test_rows.len(),
        seconds: start.elapsed().as_secs_f64(),
        model: Model {
            mlp,
            description: model_description,
        },
    })
}

/// `(metric, predicted classes)` on the training split, and on the test split if there is one.
type Evaluation = ((f32, Vec<usize>), Option<(f32, Vec<usize>)>);

fn confusion_of(truth: &Targets, predicted: &[usize]) -> Option<ConfusionMatrix> {
    match truth {
        Targets::Classes { indices, names } => {
            Some(ConfusionMatrix::new(names, indices, predicted))
        }
        Targets::Values(_) => None,
    }
}

fn validate(config: &TrainConfig) -> Result<()> {
    let problem = if config.batch == 0 {
        Some("batch size must be positive".to_string())
    } else if !(config.lr.is_finite() && config.lr > 0.0) {
        Some(format!(
            "learning rate {} must be a positive number",
            config.lr
        ))
    } else if !(config.weight_decay.is_finite() && config.weight_decay >= 0.0) {
        Some(format!(
            "weight decay {} must be non-negative",
            config.weight_decay
        ))
    } else {
        None
    };
    problem.map_or(Ok(()), |p| Err(NnError::Config(p)))
}

/// The targets of one mini-batch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BatchTargets<'a> {
    /// Class indices, one per row.
    Classes(&'a [usize]),
    /// Regression targets, one per row.
    Values(&'a [f32]),
}

/// One training step on a batch: forward (dropout on), loss, backward, optimiser update.
/// Returns the batch loss and hands the input buffer back for reuse.
///
/// ```
/// use nabla_nn::{step, Activation, BatchTargets, Init, Mlp, MlpSpec, Tensor};
/// use nabla_optimize::update::Adam;
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let spec = MlpSpec { inputs: 3, hidden: vec![4], outputs: 2, activation: Activation::Relu,
///                      dropout: 0.0, init: Init::default() };
/// let mlp = Mlp::new(&spec, &mut rng)?;
/// let y = BatchTargets::Classes(&[0, 1]);
/// let mut adam = Adam::new(0.01);
/// let mut x = Tensor::matrix(2, 3, vec![1., 0., 0., 0., 1., 1.])?;
/// let (first, x_back) = step(&mlp, x, y, &mut adam, &mut rng)?;
/// x = x_back;
/// for _ in 0..50 { x = step(&mlp, x, y, &mut adam, &mut rng)?.1; }
/// assert!(step(&mlp, x, y, &mut adam, &mut rng)?.0 < first);
/// # Ok::<(), nabla_nn::NnError>(())
/// ```
pub fn step(
    mlp: &Mlp,
    x: Tensor,
    y: BatchTargets<'_>,
    optimizer: &mut dyn UpdateRule<f32>,
    rng: &mut StdRng,
) -> Result<(f32, Tensor)> {
    mlp.zero_grad();
    let input = Var::constant(x);
    let out = mlp.forward(&input, Some(rng))?;
    let loss = match y {
        BatchTargets::Classes(indices) => out.softmax_cross_entropy(indices)?,
        BatchTargets::Values(v) => {
            out.mse(&Var::constant(Tensor::matrix(v.len(), 1, v.to_vec())?))?
        }
    };
    let value = loss.value().item()?;
    if value.is_finite() {
        loss.backward()?;
        mlp.apply_update(optimizer)?;
    }
    drop((loss, out));
    let x = input
        .try_into_value()
        .expect("the graph holding the input was dropped");
    Ok((value, x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::read_csv;
    use std::path::Path;

    fn table(csv: &str, label: &str) -> Table {
        read_csv(csv.as_bytes(), Path::new("t.csv"), Some(label)).unwrap()
    }

    #[test]
    fn digits_reach_95_percent() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/digits.csv");
        let config = TrainConfig {
            data: path,
            label: "digit".into(),
            hidden: vec![64, 32],
            seed: 0,
            ..TrainConfig::default()
        };
        let report = train(&config, &mut ()).unwrap();
        assert_eq!((report.train_rows, report.test_rows), (1437, 360));
        let accuracy = report.test_metric.unwrap();
        assert!(accuracy >= 0.95, "test accuracy {accuracy}");
        let confusion = report.confusion.unwrap();
        let correct: usize = (0..10).map(|i| confusion.counts[i][i]).sum();
        assert_eq!(correct as f32 / 360.0, accuracy);
        assert!(
            report
                .history
                .windows(2)
                .all(|w| w[0].epoch + 1 == w[1].epoch)
        );
        assert!(report.history.last().unwrap().loss < report.history[0].loss);
    }

    fn separable() -> Table {
        let mut csv = String::from("a,b,y\n");
        for i in 0..80 {
            let (a, b) = ((i * 7 % 11) as f32, (i * 5 % 13) as f32);
            csv += &format!("{a},{b},{}\n", u8::from(a > b));
        }
        table(&csv, "y")
    }

    #[test]
    fn every_optimizer_and_schedule_learns() {
        let t = separable();
        for (optimizer, lr) in [
            (OptimizerKind::Sgd, 0.1),
            (OptimizerKind::Momentum, 0.05),
            (OptimizerKind::Adam, 0.01),
        ] {
            for schedule in [
                Schedule::Constant,
                Schedule::Cosine,
                "step:20:0.5".parse().unwrap(),
            ] {
                let config = TrainConfig {
                    label: "y".into(),
                    hidden: vec![8],
                    epochs: 60,
                    batch: 8,
                    optimizer,
                    lr,
                    schedule,
                    ..TrainConfig::default()
                };
                let report = train_table(&t, &config, &mut ()).unwrap();
                assert!(
                    report.train_metric > 0.9,
                    "{optimizer:?} {schedule:?}: {}",
                    report.train_metric
                );
                let rates: Vec<f32> = report.history.iter().map(|h| h.learning_rate).collect();
                assert_eq!(rates[0], lr);
                assert_eq!(
                    schedule == Schedule::Constant,
                    rates.iter().all(|&r| r == lr)
                );
            }
        }
        assert_eq!(
            "ADAM".parse::<OptimizerKind>().unwrap(),
            OptimizerKind::Adam
        );
        assert!("lbfgs".parse::<OptimizerKind>().is_err());
    }

    #[test]
    fn weight_decay_shrinks_weights() {
        let t = separable();
        let norm = |weight_decay: f32| {
            let config = TrainConfig {
                label: "y".into(),
                hidden: vec![8],
                epochs: 30,
                batch: 8,
                lr: 0.01,
                weight_decay,
                ..TrainConfig::default()
            };
            let model = train_table(&t, &config, &mut ()).unwrap().model;
            model
                .mlp
                .parameters()
                .iter()
                .map(|p| p.value().data().iter().map(|v| v * v).sum::<f32>())
                .sum::<f32>()
        };
        assert!(norm(0.5) < 0.5 * norm(0.0));
    }

    #[test]
    fn schedules() {
        let s: Schedule = "step:2:0.5".parse().unwrap();
        let rates: Vec<f32> = (0..5).map(|e| s.learning_rate(1.0, e, 5)).collect();
        assert_eq!(rates, vec![1.0, 1.0, 0.5, 0.5, 0.25]);
        assert!("step:0:0.5".parse::<Schedule>().is_err());
        assert!("linear".parse::<Schedule>().is_err());
        let c = Schedule::Cosine;
        assert!((c.learning_rate(1.0, 5, 10) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn divergence_is_reported() {
        let mut csv = String::from("x,y\n");
        for i in 0..20 {
            csv += &format!("{i},{}\n", (i * i) as f32 * 1e3);
        }
        let config = TrainConfig {
            label: "y".into(),
            optimizer: OptimizerKind::Sgd,
            lr: 1e30,
            task: Task::Regression,
            ..TrainConfig::default()
        };
        let err = train_table(&table(&csv, "y"), &config, &mut ()).unwrap_err();
        assert!(matches!(err, NnError::NonFiniteLoss { .. }), "{err}");
        assert!(err.to_string().contains("diverged"));
    }

    #[test]
    fn regression_fits_a_line_in_target_units() {
        let mut csv = String::from("x,y\n");
        for i in 0..100 {
            let x = i as f32 / 10.0;
            csv += &format!("{x},{}\n", 300.0 + 50.0 * x);
        }
        let config = TrainConfig {
            label: "y".into(),
            hidden: vec![16],
            epochs: 100,
            lr: 0.01,
            ..TrainConfig::default()
        };
        let report = train_table(&table(&csv, "y"), &config, &mut ()).unwrap();
        assert_eq!(report.kind, ModelKind::Regression);
        // The targets span 300..800; an RMSE of a few units means the line was learnt.
        assert!(
            report.test_metric.unwrap() < 10.0,
            "{:?}",
            report.test_metric
        );
        assert!(report.confusion.is_none());
    }

    #[test]
    fn observer_sees_every_batch_and_epoch() {
        struct Count(usize, usize);
        impl TrainObserver for Count {
            fn on_batch(&mut self, _: &BatchProgress) {
                self.0 += 1;
            }
            fn on_epoch(&mut self, _: &EpochStats) {
                self.1 += 1;
            }
        }
        let mut csv = String::from("a,label\n");
        for i in 0..50 {
            csv += &format!("{i},{}\n", if i < 25 { "low" } else { "high" });
        }
        let config = TrainConfig {
            label: "label".into(),
            epochs: 3,
            batch: 16,
            ..TrainConfig::default()
        };
        let mut count = Count(0, 0);
        let report = train_table(&table(&csv, "label"), &config, &mut count).unwrap();
        // 40 training rows in batches of 16: 3 batches per epoch.
        assert_eq!((count.0, count.1), (9, 3));
        let confusion = report.confusion.unwrap();
        assert_eq!(confusion.classes, vec!["high", "low"]);
        assert_eq!(confusion.counts.iter().flatten().sum::<usize>(), 10);
    }

    #[test]
    fn bad_configs_are_rejected() {
        let t = table("a,y\n1,0\n2,1\n3,0\n4,1\n5,1\n", "y");
        let bad = [
            TrainConfig {
                label: "y".into(),
                batch: 0,
                ..TrainConfig::default()
            },
            TrainConfig {
                label: "y".into(),
                lr: -1.0,
                ..TrainConfig::default()
            },
            TrainConfig {
                label: "z".into(),
                ..TrainConfig::default()
            },
            TrainConfig {
                label: "y".into(),
                test_fraction: 1.5,
                ..TrainConfig::default()
            },
            TrainConfig {
                label: "y".into(),
                dropout: 1.0,
                ..TrainConfig::default()
            },
        ];
        for config in bad {
            assert!(train_table(&t, &config, &mut ()).is_err(), "{config:?}");
        }
        let one_class = table("a,y\n1,0\n2,0\n3,0\n", "y");
        let config = TrainConfig {
            label: "y".into(),
            test_fraction: 0.0,
            ..TrainConfig::default()
        };
        assert!(train_table(&one_class, &config, &mut ()).is_err());
    }
}
