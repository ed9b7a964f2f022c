//! Model files: weights as safetensors, the [`ModelDescription`] as JSON in the safetensors
//! metadata under the key `nabla_nn`.

use std::collections::HashMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use crate::error::{NnError, Result};
use crate::graph::Var;
use crate::layers::{Linear, Mlp};
use crate::model::{Model, ModelDescription, ModelKind};
use crate::tensor::Tensor;

const METADATA_KEY: &str = "nabla_nn";

fn tensor_names(layer: usize) -> [String; 2] {
    [format!("layer{layer}.weight"), format!("layer{layer}.bias")]
}

fn le_bytes(t: &Tensor) -> Vec<u8> {
    t.data().iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Writes `model` to `path` (conventionally `*.safetensors`).
///
/// ```
/// # use nabla_nn::*;
/// # use rand::SeedableRng;
/// # let spec = MlpSpec { inputs: 2, hidden: vec![3], outputs: 2, activation: Activation::Relu, dropout: 0.0, init: Init::default() };
/// # let mlp = Mlp::new(&spec, &mut rand::rngs::StdRng::seed_from_u64(0))?;
/// # let description = ModelDescription { kind: ModelKind::Classification, layer_sizes: vec![2, 3, 2],
/// #     activation: "relu".into(), feature_names: vec!["a".into(), "b".into()], label: "y".into(),
/// #     classes: vec!["no".into(), "yes".into()], feature_mean: vec![0.0; 2], feature_std: vec![1.0; 2],
/// #     target_mean: 0.0, target_std: 1.0 };
/// let model = Model { mlp, description };
/// let path = std::env::temp_dir().join("nabla_nn_doc_model.safetensors");
/// save_model(&model, &path)?;
/// let loaded = load_model(&path)?;
/// assert_eq!(loaded.description, model.description);
/// let x = Tensor::matrix(1, 2, vec![0.5, -1.0])?;
/// assert_eq!(loaded.outputs(&x)?, model.outputs(&x)?);
/// # Ok::<(), nabla_nn::NnError>(())
/// ```
pub fn save_model(model: &Model, path: &Path) -> Result<()> {
    let io_error = |detail: String| NnError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(detail),
    };
    let buffers: Vec<(String, Vec<usize>, Vec<u8>)> = model
        .mlp
        .layers()
        .iter()
        .enumerate()
        .flat_map(|(i, layer)| {
            let [w, b] = tensor_names(i);
            [
                (w, layer.weight.shape(), le_bytes(&layer.weight.value())),
                (b, layer.bias.shape(), le_bytes(&layer.bias.value())),
            ]
        })
        .collect();
    let views = buffers
        .iter()
        .map(|(name, shape, bytes)| {
            TensorView::new(Dtype::F32, shape.clone(), bytes)
                .map(|v| (name.clone(), v))
                .map_err(|e| io_error(e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    let json = serde_json::to_string(&model.description).map_err(|e| io_error(e.to_string()))?;
    let metadata = HashMap::from([(METADATA_KEY.to_string(), json)]);
    safetensors::serialize_to_file(views, Some(metadata), path).map_err(|e| io_error(e.to_string()))
}

/// Reads a model written by [`save_model`], checking that the weights fit the description.
pub fn load_model(path: &Path) -> Result<Model> {
    let bad = |detail: String| NnError::ModelFormat {
        path: path.to_path_buf(),
        detail,
    };
    let bytes = std::fs::read(path).map_err(|source| NnError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| bad(e.to_string()))?;
    let json = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get(METADATA_KEY))
        .ok_or_else(|| bad(format!("no `{METADATA_KEY}` entry in the metadata")))?;
    let description: ModelDescription =
        serde_json::from_str(json).map_err(|e| bad(format!("description: {e}")))?;
    let activation = description.activation()?;
    let sizes = &description.layer_sizes;
    if sizes.len() < 2 {
        return Err(bad(format!(
            "layer sizes {sizes:?} need an input and an output"
        )));
    }
    let inputs = sizes[0];
    if description.feature_names.len() != inputs
        || description.feature_mean.len() != inputs
        || description.feature_std.len() != inputs
    {
        return Err(bad(format!(
            "{inputs} inputs but {} feature names, {} means, {} deviations",
            description.feature_names.len(),
            description.feature_mean.len(),
            description.feature_std.len()
        )));
    }
    let outputs = sizes[sizes.len() - 1];
    let expected_outputs = match description.kind {
        ModelKind::Classification => description.classes.len(),
        ModelKind::Regression => 1,
    };
    if outputs != expected_outputs {
        return Err(bad(format!(
            "{outputs} outputs for a {:?} model with {} classes",
            description.kind,
            description.classes.len()
        )));
    }
    let tensors = SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
    let read = |name: &str, shape: &[usize]| -> Result<Tensor> {
        let view = tensors
            .tensor(name)
            .map_err(|e| bad(format!("{name}: {e}")))?;
        if view.dtype() != Dtype::F32 || view.shape() != shape {
            return Err(bad(format!(
                "{name} is {:?} {:?}, expected F32 {shape:?}",
                view.dtype(),
                view.shape()
            )));
        }
        let data = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Tensor::new(shape, data)
    };
    let last = sizes.len() - 2;
    let layers = sizes
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let [wn, bn] = tensor_names(i);
            Ok(Linear {
                weight: Var::parameter(read(&wn, &[w[0], w[1]])?),
                bias: Var::parameter(read(&bn, &[w[1]])?),
                activation: if i == last {
                    crate::Activation::Identity
                } else {
                    activation
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Model {
        mlp: Mlp::from_layers(layers, 0.0)?,
        description,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::{Prediction, TrainConfig, read_csv, train_table};

    #[test]
    fn trained_model_round_trips_and_predicts_csv_with_or_without_labels() {
        let mut csv = String::from("a,b,kind\n");
        for i in 0..60 {
            let (a, b) = ((i * 7 % 11) as f32, (i * 5 % 13) as f32);
            csv += &format!("{a},{b},{}\n", if a > b { "big" } else { "small" });
        }
        let table = read_csv(csv.as_bytes(), Path::new("toy.csv"), Some("kind")).unwrap();
        let config = TrainConfig {
            label: "kind".into(),
            hidden: vec![8],
            epochs: 40,
            batch: 8,
            lr: 0.01,
            ..TrainConfig::default()
        };
        let model = train_table(&table, &config, &mut ()).unwrap().model;
        let dir = std::env::temp_dir();
        let path = dir.join(format!(
            "nabla_nn_roundtrip_{}.safetensors",
            std::process::id()
        ));
        save_model(&model, &path).unwrap();
        let loaded = load_model(&path).unwrap();
        assert_eq!(loaded.description, model.description);
        assert_eq!(loaded.description.classes, vec!["big", "small"]);

        let labelled = dir.join(format!("nabla_nn_labelled_{}.csv", std::process::id()));
        std::fs::write(&labelled, &csv).unwrap();
        let with = loaded.predict_csv(&labelled).unwrap();
        assert_eq!(with.score, model.predict_table(&table).unwrap().score);
        assert!(with.score.unwrap() > 0.9);

        let unlabelled = dir.join(format!("nabla_nn_unlabelled_{}.csv", std::process::id()));
        let stripped: String = csv
            .lines()
            .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
            .collect();
        std::fs::write(&unlabelled, stripped).unwrap();
        let without = loaded.predict_csv(&unlabelled).unwrap();
        assert_eq!(without.score, None);
        assert_eq!(without.rows, with.rows);
        assert!(
            matches!(&without.rows[0], Prediction::Class { probability, .. } if *probability >= 0.5)
        );

        let wrong = dir.join(format!("nabla_nn_wrong_{}.csv", std::process::id()));
        std::fs::write(&wrong, "a,c\n1,2\n").unwrap();
        let err = loaded.predict_csv(&wrong).unwrap_err().to_string();
        assert!(err.contains("differ from the model's [a, b]"), "{err}");
        for p in [path, labelled, unlabelled, wrong] {
            std::fs::remove_file(p).unwrap();
        }
    }

    #[test]
    fn garbage_and_foreign_files_are_rejected() {
        let dir = std::env::temp_dir();
        let garbage = dir.join("nabla_nn_garbage.safetensors");
        std::fs::write(&garbage, b"not a model").unwrap();
        assert!(matches!(
            load_model(&garbage),
            Err(NnError::ModelFormat { .. })
        ));

        let foreign = dir.join("nabla_nn_foreign.safetensors");
        let bytes = le_bytes(&Tensor::zeros(&[2]));
        let view = TensorView::new(Dtype::F32, vec![2], &bytes).unwrap();
        safetensors::serialize_to_file([("x", view)], None, &foreign).unwrap();
        let err = load_model(&foreign).unwrap_err().to_string();
        assert!(err.contains("no `nabla_nn` entry"), "{err}");

        assert!(matches!(
            load_model(&dir.join("nabla_nn_missing.safetensors")),
            Err(NnError::Io { .. })
        ));
    }
}
