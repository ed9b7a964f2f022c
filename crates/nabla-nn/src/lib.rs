//! nabla-nn: neural networks on the CPU with nabla's own reverse-mode differentiation.
//!
//! [`Tensor`] holds values, [`Var`] records operations on them and back-propagates; layers,
//! data loading, training and model files build on those.
//!
//! Entry points for a command line:
//! - `nabla train`: fill a [`TrainConfig`] (one field per flag), call [`train`] with a
//!   [`TrainObserver`] (progress bar), print the [`TrainReport`], [`save_model`] its `model`.
//! - `nabla predict`: [`load_model`], then [`Model::predict_csv`] (with or without the label
//!   column; the score is filled in when it is present).
//!
//! ```
//! use nabla_nn::{Activation, Tensor, Var};
//! // One gradient step of a tiny linear model on one example.
//! let w = Var::parameter(Tensor::matrix(2, 2, vec![0.1, -0.2, 0.3, 0.4])?);
//! let x = Var::constant(Tensor::matrix(1, 2, vec![1.0, 2.0])?);
//! let loss = x.linear(&w, None, Activation::Identity)?.softmax_cross_entropy(&[1])?;
//! loss.backward()?;
//! assert_eq!(w.grad().unwrap().shape(), &[2, 2]);
//! # Ok::<(), nabla_nn::NnError>(())
//! ```

mod data;
mod error;
mod gemm;
mod graph;
mod init;
mod layers;
mod model;
mod model_io;
mod ops;
mod tensor;
mod train;

pub use data::{
    LabelColumn, MAX_AUTO_CLASSES, Standardizer, Table, Targets, Task, load_csv, read_csv,
    train_test_split,
};
pub use error::{NnError, Result};
pub use graph::Var;
pub use init::Init;
pub use layers::{Linear, Mlp, MlpSpec};
pub use model::{Model, ModelDescription, ModelKind, Prediction, Predictions};
pub use model_io::{load_model, save_model};
pub use ops::activation::{Activation, LEAKY_RELU_SLOPE};
pub use tensor::Tensor;
pub use train::{
    BatchProgress, BatchTargets, ConfusionMatrix, EpochStats, OptimizerKind, Schedule, TrainConfig,
    TrainObserver, TrainReport, step, train, train_table,
};
