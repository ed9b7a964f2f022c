//! Elementwise functions: the layer activations ([`Activation`]) and `exp`/`log`, with their
//! derivatives. The same pointwise rules serve the standalone ops and the fused linear layer.

use std::fmt;
use std::str::FromStr;

use crate::graph::{Backward, Var};
use crate::tensor::Tensor;

/// Slope of [`Activation::LeakyRelu`] for negative inputs (PyTorch's default).
pub const LEAKY_RELU_SLOPE: f32 = 0.01;

/// The nonlinearity applied after a layer.
///
/// ```
/// use nabla_nn::Activation;
/// let a: Activation = "leaky_relu".parse()?;
/// assert_eq!(a, Activation::LeakyRelu);
/// assert_eq!(a.to_string(), "leaky_relu");
/// # Ok::<(), nabla_nn::NnError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Identity,
    Relu,
    /// `max(x, 0.01·x)`.
    LeakyRelu,
    Tanh,
    /// The logistic function `1 / (1 + e⁻ˣ)`.
    Sigmoid,
    /// GELU in its tanh approximation `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
    Gelu,
}

impl Activation {
    pub(crate) fn pointwise(self) -> Pointwise {
        match self {
            Activation::Identity => Pointwise::Identity,
            Activation::Relu => Pointwise::Relu,
            Activation::LeakyRelu => Pointwise::LeakyRelu(LEAKY_RELU_SLOPE),
            Activation::Tanh => Pointwise::Tanh,
            Activation::Sigmoid => Pointwise::Sigmoid,
            Activation::Gelu => Pointwise::Gelu,
        }
    }

    const NAMES: [(&'static str, Activation); 6] = [
        ("identity", Activation::Identity),
        ("relu", Activation::Relu),
        ("leaky_relu", Activation::LeakyRelu),
        ("tanh", Activation::Tanh),
        ("sigmoid", Activation::Sigmoid),
        ("gelu", Activation::Gelu),
    ];
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Self::NAMES.iter().find(|(_, a)| a == self).map(|(n, _)| *n);
        f.write_str(name.unwrap_or("identity"))
    }
}

impl FromStr for Activation {
    type Err = crate::NnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|&(_, a)| a)
            .ok_or_else(|| {
                crate::NnError::Config(format!(
                    "unknown activation `{s}` (expected one of relu, leaky_relu, tanh, sigmoid, gelu, identity)"
                ))
            })
    }
}

/// An elementwise function with its derivative.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Pointwise {
    Identity,
    Relu,
    LeakyRelu(f32),
    Tanh,
    Sigmoid,
    Gelu,
    Exp,
    Log,
}

const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const GELU_CUBIC: f32 = 0.044_715;

impl Pointwise {
    #[inline]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Pointwise::Identity => x,
            Pointwise::Relu => x.max(0.0),
            Pointwise::LeakyRelu(s) => {
                if x > 0.0 {
                    x
                } else {
                    s * x
                }
            }
            Pointwise::Tanh => x.tanh(),
            Pointwise::Sigmoid => sigmoid(x),
            Pointwise::Gelu => {
                0.5 * x * (1.0 + (SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x)).tanh())
            }
            Pointwise::Exp => x.exp(),
            Pointwise::Log => x.ln(),
        }
    }

    /// Whether [`Pointwise::derivative`] reads its input `x`; otherwise the output `y` suffices,
    /// and the fused linear layer need not keep the pre-activation.
    pub fn needs_input(self) -> bool {
        matches!(self, Pointwise::Gelu | Pointwise::Log)
    }

    /// `f'(x)` given `x` and `y = f(x)`; `x` is only read when [`Pointwise::needs_input`].
    #[inline]
    pub fn derivative(self, x: f32, y: f32) -> f32 {
        match self {
            Pointwise::Identity => 1.0,
            Pointwise::Relu => f32::from(u8::from(y > 0.0)),
            // With a positive slope, y > 0 exactly when x > 0.
            Pointwise::LeakyRelu(s) => {
                if y > 0.0 {
                    1.0
                } else {
                    s
                }
            }
            Pointwise::Tanh => 1.0 - y * y,
            Pointwise::Sigmoid => y * (1.0 - y),
            Pointwise::Gelu => {
                let t = (SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x)).tanh();
                0.5 * (1.0 + t)
                    + 0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * x * x)
            }
            Pointwise::Exp => y,
            Pointwise::Log => 1.0 / x,
        }
    }
}

/// The logistic function, written so that neither branch overflows.
#[inline]
fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

struct PointwiseOp(Pointwise);

impl Backward for PointwiseOp {
    fn backward(&self, parents: &[Var], value: &Tensor, grad: &Tensor) {
        let x = parents[0].value();
        let g = x
            .data()
            .iter()
            .zip(value.data())
            .zip(grad.data())
            .map(|((&x, &y), &g)| g * self.0.derivative(x, y))
            .collect();
        let g = Tensor::new(x.shape(), g).expect("same shape as the input");
        drop(x);
        parents[0].accumulate(g);
    }
}

impl Var {
    pub(crate) fn pointwise(&self, f: Pointwise) -> Var {
        let value = self.value().map(|x| f.apply(x));
        Var::from_op(value, vec![self.clone()], PointwiseOp(f))
    }

    /// Applies a layer activation elementwise.
    pub fn activate(&self, activation: Activation) -> Var {
        self.pointwise(activation.pointwise())
    }

    /// `max(x, 0)`.
    pub fn relu(&self) -> Var {
        self.pointwise(Pointwise::Relu)
    }

    /// `x` for positive `x`, `slope·x` otherwise (`slope` should be positive).
    pub fn leaky_relu(&self, slope: f32) -> Var {
        self.pointwise(Pointwise::LeakyRelu(slope))
    }

    pub fn tanh(&self) -> Var {
        self.pointwise(Pointwise::Tanh)
    }

    /// The logistic function, `1 / (1 + e⁻ˣ)`.
    pub fn sigmoid(&self) -> Var {
        self.pointwise(Pointwise::Sigmoid)
    }

    /// GELU (tanh approximation).
    pub fn gelu(&self) -> Var {
        self.pointwise(Pointwise::Gelu)
    }

    pub fn exp(&self) -> Var {
        self.pointwise(Pointwise::Exp)
    }

    /// Natural logarithm (NaN for negative inputs, as in IEEE arithmetic).
    pub fn ln(&self) -> Var {
        self.pointwise(Pointwise::Log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::check::{check_op, sample};

    fn check_pointwise(op: fn(&Var) -> Var, reference: fn(f64) -> f64, positive: bool) {
        let mut x = sample(&[3, 4], 7);
        if positive {
            x = x.map(f32::abs);
        }
        check_op(
            &[x],
            |v| Ok(op(&v[0])),
            |x| x[0].iter().map(|&v| reference(v)).collect(),
        );
    }

    #[test]
    fn relu_family() {
        check_pointwise(Var::relu, |x| x.max(0.0), false);
        check_pointwise(
            |v| v.leaky_relu(0.1),
            |x| if x > 0.0 { x } else { 0.1 * x },
            false,
        );
    }

    #[test]
    fn smooth_activations() {
        check_pointwise(Var::tanh, f64::tanh, false);
        check_pointwise(Var::sigmoid, |x| 1.0 / (1.0 + (-x).exp()), false);
        check_pointwise(
            Var::gelu,
            |x| {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * x * (1.0 + (c * (x + 0.044715 * x.powi(3))).tanh())
            },
            false,
        );
    }

    #[test]
    fn exp_and_log() {
        check_pointwise(Var::exp, f64::exp, false);
        check_pointwise(Var::ln, f64::ln, true);
    }

    #[test]
    fn sigmoid_saturates_without_nan() {
        let x = Var::constant(Tensor::new(&[2], vec![-1000.0, 1000.0]).unwrap());
        assert_eq!(x.sigmoid().value().data(), &[0.0, 1.0]);
    }

    #[test]
    fn activation_names_round_trip() {
        for (name, a) in Activation::NAMES {
            assert_eq!(a.to_string(), name);
            assert_eq!(name.parse::<Activation>().unwrap(), a);
        }
        assert!("swish".parse::<Activation>().is_err());
    }
}
