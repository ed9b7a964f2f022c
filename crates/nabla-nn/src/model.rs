//! A trained model: the network plus everything needed to apply it to raw CSV rows
//! (feature names, standardisation, class labels), and prediction.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::{Standardizer, Table, read_csv};
use crate::error::{NnError, Result};
use crate::layers::Mlp;
use crate::ops::activation::Activation;
use crate::tensor::Tensor;

/// What the network predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Classification,
    Regression,
}

/// The description stored beside the weights: enough to rebuild the network and to map
/// raw inputs to outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelDescription {
    pub kind: ModelKind,
    /// `[inputs, hidden..., outputs]`.
    pub layer_sizes: Vec<usize>,
    /// Name of the hidden-layer activation (see [`Activation`]'s `FromStr`).
    pub activation: String,
    pub feature_names: Vec<String>,
    /// The label column the model was trained on.
    pub label: String,
    /// Class labels in output order (empty for regression).
    pub classes: Vec<String>,
    pub feature_mean: Vec<f32>,
    pub feature_std: Vec<f32>,
    /// Regression outputs are trained standardised and mapped back with these.
    pub target_mean: f32,
    pub target_std: f32,
}

impl ModelDescription {
    /// The hidden-layer activation, parsed.
    pub fn activation(&self) -> Result<Activation> {
        self.activation.parse()
    }

    /// The feature standardisation fitted on the training data.
    pub fn standardizer(&self) -> Standardizer {
        Standardizer {
            mean: self.feature_mean.clone(),
            std: self.feature_std.clone(),
        }
    }
}

/// A network with its description.
#[derive(Clone, Debug)]
pub struct Model {
    pub mlp: Mlp,
    pub description: ModelDescription,
}

/// One prediction per row.
#[derive(Clone, Debug, PartialEq)]
pub enum Prediction {
    /// The most probable class and its probability.
    Class {
        label: String,
        probability: f32,
    },
    Value(f32),
}

/// Predictions for a table, and how good they are when the table carried the label column.
#[derive(Clone, Debug)]
pub struct Predictions {
    pub rows: Vec<Prediction>,
    /// Class probabilities `[rows, classes]` (classification only).
    pub probabilities: Option<Tensor>,
    /// Accuracy in `[0, 1]` for classification, root-mean-square error for regression.
    pub score: Option<f32>,
}

impl Model {
    /// Raw outputs for raw (unstandardised) features: class probabilities `[n, classes]` or
    /// values `[n, 1]` in the target's units.
    pub fn outputs(&self, features: &Tensor) -> Result<Tensor> {
        let mut x = features.clone();
        self.description.standardizer().apply(&mut x)?;
        let out = self.mlp.infer(&x)?;
        match self.description.kind {
            ModelKind::Classification => out.softmax_rows(),
            ModelKind::Regression => {
                let d = &self.description;
                Ok(out.map(|v| v * d.target_std + d.target_mean))
            }
        }
    }

    /// Predicts every row of `table`, whose feature columns must be the model's. When the table
    /// has the label column, the score is filled in.
    pub fn predict_table(&self, table: &Table) -> Result<Predictions> {
        let d = &self.description;
        if table.feature_names != d.feature_names {
            return Err(NnError::Config(format!(
                "{}: the feature columns [{}] differ from the model's [{}]",
                table.source.display(),
                table.feature_names.join(", "),
                d.feature_names.join(", ")
            )));
        }
        let out = self.outputs(&table.features)?;
        let truth = table.label.as_ref().map(|l| &l.values);
        match d.kind {
            ModelKind::Classification => {
                let best = out.argmax_rows()?;
                let classes = out.shape()[1];
                let rows = best
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| {
                        let label = d.classes.get(c).ok_or_else(|| {
                            NnError::Config(format!(
                                "the model has {classes} outputs but only {} class labels",
                                d.classes.len()
                            ))
                        })?;
                        Ok(Prediction::Class {
                            label: label.clone(),
                            probability: out.data()[i * classes + c],
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let score = truth.map(|t| {
                    let hits = rows.iter().zip(t).filter(
                        |(p, t)| matches!(p, Prediction::Class { label, .. } if label == *t),
                    );
                    hits.count() as f32 / rows.len() as f32
                });
                Ok(Predictions {
                    rows,
                    probabilities: Some(out),
                    score,
                })
            }
            ModelKind::Regression => {
                let truth = match &table.label {
                    Some(label) => Some(label.numbers(&table.source)?),
                    None => None,
                };
                let score = truth.map(|t| rmse(out.data(), &t));
                Ok(Predictions {
                    rows: out.data().iter().map(|&v| Prediction::Value(v)).collect(),
                    probabilities: None,
                    score,
                })
            }
        }
    }

    /// Predicts every row of a CSV file, which may or may not include the label column.
    pub fn predict_csv(&self, path: &Path) -> Result<Predictions> {
        let bytes = std::fs::read(path).map_err(|source| NnError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let has_label = csv::Reader::from_reader(&bytes[..])
            .headers()
            .is_ok_and(|h| h.iter().any(|c| c.trim() == self.description.label));
        let label = has_label.then_some(self.description.label.as_str());
        self.predict_table(&read_csv(&bytes[..], path, label)?)
    }
}

/// Root-mean-square difference.
pub(crate) fn rmse(predicted: &[f32], truth: &[f32]) -> f32 {
    let sum: f64 = predicted
        .iter()
        .zip(truth)
        .map(|(p, t)| f64::from(p - t).powi(2))
        .sum();
    (sum / predicted.len().max(1) as f64).sqrt() as f32
}
