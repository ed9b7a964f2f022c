//! The benchmark MLP (784-256-128-10, relu) and its synthetic batch, shared by
//! `benches/mlp_step.rs` and `examples/step_timing.rs` so that both time the same step.

use nabla_nn::{Activation, Init, Mlp, MlpSpec, NnError, Tensor};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// A freshly initialised benchmark MLP, a `batch × 784` input of uniform noise, class targets
/// cycling through 0..10, and the generator (seed 0) the step's dropout draws from.
pub struct BenchmarkMlp {
    pub mlp: Mlp,
    pub x: Tensor,
    pub classes: Vec<usize>,
    pub rng: StdRng,
}

impl BenchmarkMlp {
    pub fn new(batch: usize) -> Result<Self, NnError> {
        let mut rng = StdRng::seed_from_u64(0);
        let spec = MlpSpec {
            inputs: 784,
            hidden: vec![256, 128],
            outputs: 10,
            activation: Activation::Relu,
            dropout: 0.0,
            init: Init::default(),
        };
        let mlp = Mlp::new(&spec, &mut rng)?;
        let data = (0..batch * 784).map(|_| rng.random::<f32>()).collect();
        let x = Tensor::matrix(batch, 784, data)?;
        let classes = (0..batch).map(|i| i % 10).collect();
        Ok(Self {
            mlp,
            x,
            classes,
            rng,
        })
    }
}
