//! Layers and networks: [`Linear`] (a fused dense layer) and [`Mlp`], a sequential
//! multilayer perceptron with optional dropout between hidden layers.

use std::cell::{Ref, RefMut};

use nabla_optimize::update::UpdateRule;
use rand::Rng;

use crate::error::{NnError, Result};
use crate::graph::Var;
use crate::init::Init;
use crate::ops::activation::Activation;
use crate::tensor::Tensor;

/// A dense layer `activation(x·W + b)` with `W: [inputs, outputs]`, `b: [outputs]`.
#[derive(Clone, Debug)]
pub struct Linear {
    pub weight: Var,
    pub bias: Var,
    pub activation: Activation,
}

impl Linear {
    /// A layer with weights drawn by `init` and zero bias.
    pub fn new(
        inputs: usize,
        outputs: usize,
        activation: Activation,
        init: Init,
        rng: &mut impl Rng,
    ) -> Linear {
        Linear {
            weight: Var::parameter(init.sample(inputs, outputs, rng)),
            bias: Var::parameter(Tensor::zeros(&[outputs])),
            activation,
        }
    }

    /// `activation(x·W + b)` for `x: [n, inputs]`.
    pub fn forward(&self, x: &Var) -> Result<Var> {
        x.linear(&self.weight, Some(&self.bias), self.activation)
    }

    /// Width of the input.
    pub fn inputs(&self) -> usize {
        self.weight.shape()[0]
    }

    /// Width of the output.
    pub fn outputs(&self) -> usize {
        self.weight.shape()[1]
    }
}

/// The shape of a multilayer perceptron.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpSpec {
    pub inputs: usize,
    pub hidden: Vec<usize>,
    pub outputs: usize,
    /// Applied after every hidden layer; the output layer is linear.
    pub activation: Activation,
    /// Dropout probability after every hidden layer during training (0 disables it).
    pub dropout: f32,
    /// Weight initialisation of the hidden layers (the output layer is always Glorot uniform).
    pub init: Init,
}

/// A sequential multilayer perceptron.
///
/// ```
/// use nabla_nn::{Activation, Init, Mlp, MlpSpec, Tensor};
/// use rand::SeedableRng;
/// let spec = MlpSpec { inputs: 4, hidden: vec![8, 8], outputs: 3, activation: Activation::Relu,
///                      dropout: 0.0, init: Init::default() };
/// let mlp = Mlp::new(&spec, &mut rand::rngs::StdRng::seed_from_u64(0))?;
/// assert_eq!(mlp.sizes(), vec![4, 8, 8, 3]);
/// let out = mlp.infer(&Tensor::zeros(&[5, 4]))?;
/// assert_eq!(out.shape(), &[5, 3]);
/// # Ok::<(), nabla_nn::NnError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Mlp {
    layers: Vec<Linear>,
    dropout: f32,
}

impl Mlp {
    /// A freshly initialised network; fails on zero-width layers or a dropout outside `[0, 1)`.
    pub fn new(spec: &MlpSpec, rng: &mut impl Rng) -> Result<Mlp> {
        let mut sizes = vec![spec.inputs];
        sizes.extend(&spec.hidden);
        sizes.push(spec.outputs);
        if sizes.contains(&0) {
            return Err(NnError::Config(format!(
                "layer sizes {sizes:?} must all be positive"
            )));
        }
        if !(0.0..1.0).contains(&spec.dropout) {
            return Err(NnError::Config(format!(
                "dropout {} is not in [0, 1)",
                spec.dropout
            )));
        }
        let init = spec.init;
        let last = sizes.len() - 2;
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let act = if i == last {
                    Activation::Identity
                } else {
                    spec.activation
                };
                // The output layer feeds a softmax or a regression, not the hidden activation.
                let layer_init = if i == last { Init::XavierUniform } else { init };
                Linear::new(w[0], w[1], act, layer_init, rng)
            })
            .collect();
        Ok(Mlp {
            layers,
            dropout: spec.dropout,
        })
    }

    /// A network from existing layers (e.g. loaded weights); consecutive sizes must agree.
    pub fn from_layers(layers: Vec<Linear>, dropout: f32) -> Result<Mlp> {
        if layers.is_empty() {
            return Err(NnError::Config("a network needs at least one layer".into()));
        }
        for pair in layers.windows(2) {
            if pair[0].outputs() != pair[1].inputs() {
                return Err(NnError::shape(
                    "Mlp::from_layers",
                    &pair[0].weight.shape(),
                    &pair[1].weight.shape(),
                    "consecutive layers must agree",
                ));
            }
        }
        Ok(Mlp { layers, dropout })
    }

    /// The layers, input first.
    pub fn layers(&self) -> &[Linear] {
        &self.layers
    }

    /// `[inputs, hidden..., outputs]`.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![self.layers[0].inputs()];
        sizes.extend(self.layers.iter().map(Linear::outputs));
        sizes
    }

    /// Dropout probability applied after hidden layers in training mode.
    pub fn dropout(&self) -> f32 {
        self.dropout
    }

    /// Weights and biases, layer by layer.
    pub fn parameters(&self) -> Vec<Var> {
        self.layers
            .iter()
            .flat_map(|l| [l.weight.clone(), l.bias.clone()])
            .collect()
    }

    /// The training-mode forward pass (dropout active when `rng` is given), recording the graph.
    pub fn forward(&self, x: &Var, mut rng: Option<&mut dyn rand::Rng>) -> Result<Var> {
        let mut h = x.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h)?;
            if let Some(rng) = rng.as_deref_mut()
                && i + 1 < self.layers.len()
                && self.dropout > 0.0
            {
                h = h.dropout(self.dropout, rng)?;
            }
        }
        Ok(h)
    }

    /// Outputs for a batch of inputs `[n, inputs]`, without dropout.
    pub fn infer(&self, x: &Tensor) -> Result<Tensor> {
        let out = self.forward(&Var::constant(x.clone()), None)?;
        let value = out.value().clone();
        Ok(value)
    }

    /// Sets every parameter gradient to zero.
    pub fn zero_grad(&self) {
        self.layers.iter().for_each(|l| {
            l.weight.zero_grad();
            l.bias.zero_grad();
        });
    }

    /// One optimiser step on all parameters with their accumulated gradients.
    pub fn apply_update(&self, rule: &mut dyn UpdateRule<f32>) -> Result<()> {
        let params = self.parameters();
        let mut values: Vec<RefMut<'_, Tensor>> = params.iter().map(Var::value_mut).collect();
        let grads: Vec<Ref<'_, Tensor>> = params
            .iter()
            .map(|p| p.grad().expect("parameters always carry a gradient"))
            .collect();
        let mut value_slices: Vec<&mut [f32]> = values.iter_mut().map(|v| v.data_mut()).collect();
        let grad_slices: Vec<&[f32]> = grads.iter().map(|g| g.data()).collect();
        rule.try_step(&mut value_slices, &grad_slices)
            .map_err(|e| NnError::invalid("optimizer step", e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nabla_optimize::update::Sgd;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn spec(dropout: f32) -> MlpSpec {
        MlpSpec {
            inputs: 2,
            hidden: vec![16],
            outputs: 2,
            activation: Activation::Tanh,
            dropout,
            init: Init::default(),
        }
    }

    #[test]
    fn learns_xor() {
        let mut rng = StdRng::seed_from_u64(0);
        let mlp = Mlp::new(&spec(0.0), &mut rng).unwrap();
        let x = Tensor::matrix(4, 2, vec![0., 0., 0., 1., 1., 0., 1., 1.]).unwrap();
        let y = [0, 1, 1, 0];
        let mut sgd = Sgd::new(0.5);
        for _ in 0..500 {
            mlp.zero_grad();
            let loss = mlp
                .forward(&Var::constant(x.clone()), None)
                .unwrap()
                .softmax_cross_entropy(&y)
                .unwrap();
            loss.backward().unwrap();
            mlp.apply_update(&mut sgd).unwrap();
        }
        assert_eq!(mlp.infer(&x).unwrap().argmax_rows().unwrap(), y);
    }

    #[test]
    fn bad_specs_are_rejected() {
        let mut rng = StdRng::seed_from_u64(0);
        assert!(Mlp::new(&spec(1.0), &mut rng).is_err());
        let mut zero = spec(0.0);
        zero.hidden = vec![0];
        assert!(Mlp::new(&zero, &mut rng).is_err());
        let a = Linear::new(2, 3, Activation::Relu, Init::HeNormal, &mut rng);
        let b = Linear::new(4, 1, Activation::Relu, Init::HeNormal, &mut rng);
        assert!(Mlp::from_layers(vec![a, b], 0.0).is_err());
    }

    #[test]
    fn dropout_only_in_training_mode() {
        let mut rng = StdRng::seed_from_u64(0);
        let mlp = Mlp::new(&spec(0.5), &mut rng).unwrap();
        let x = Var::constant(Tensor::full(&[3, 2], 1.0));
        let a = mlp.forward(&x, None).unwrap().value().clone();
        let b = mlp.forward(&x, None).unwrap().value().clone();
        let c = mlp.forward(&x, Some(&mut rng)).unwrap().value().clone();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
