//! The fused dense layer `act(x·W + b)`: one matrix product, then bias and activation in a single
//! pass over the output, and a backward pass that writes `∂W`, `∂b` and `∂x` straight into the
//! gradient buffers (no graph nodes or temporaries for the bias add and the activation).

use std::borrow::Cow;

use crate::error::{NnError, Result};
use crate::gemm::gemm;
use crate::graph::{Backward, Var};
use crate::ops::activation::{Activation, Pointwise};
use crate::tensor::Tensor;

struct LinearOp {
    act: Pointwise,
    /// `x·W + b`, kept only when the activation's derivative needs it.
    pre_activation: Option<Tensor>,
}

impl Backward for LinearOp {
    fn backward(&self, parents: &[Var], value: &Tensor, grad: &Tensor) {
        let dz: Cow<'_, Tensor> = match self.act {
            Pointwise::Identity => Cow::Borrowed(grad),
            act => {
                let pre = self.pre_activation.as_ref().unwrap_or(value);
                let mut dz = grad.clone();
                dz.data_mut()
                    .iter_mut()
                    .zip(pre.data().iter().zip(value.data()))
                    .for_each(|(g, (&x, &y))| *g *= act.derivative(x, y));
                Cow::Owned(dz)
            }
        };
        let (x, w) = (&parents[0], &parents[1]);
        let dz_mat = dz.as_mat();
        w.accumulate_with(|buf, beta| gemm(x.value().as_mat().t(), dz_mat, beta, buf));
        if let Some(b) = parents.get(2) {
            b.accumulate_with(|buf, beta| {
                if beta == 0.0 {
                    buf.fill(0.0);
                }
                for row in dz.data().chunks(buf.len()) {
                    buf.iter_mut().zip(row).for_each(|(v, g)| *v += g);
                }
            });
        }
        x.accumulate_with(|buf, beta| gemm(dz_mat, w.value().as_mat().t(), beta, buf));
    }
}

impl Var {
    /// A dense layer: `activation(self·weight + bias)` for `self: [n, in]`, `weight: [in, out]`,
    /// `bias: [out]`.
    ///
    /// ```
    /// use nabla_nn::{Activation, Tensor, Var};
    /// let x = Var::constant(Tensor::matrix(1, 2, vec![1.0, -2.0])?);
    /// let w = Var::parameter(Tensor::matrix(2, 2, vec![1.0, 0.0, 0.0, 1.0])?);
    /// let b = Var::parameter(Tensor::new(&[2], vec![0.5, 0.5])?);
    /// let y = x.linear(&w, Some(&b), Activation::Relu)?;
    /// assert_eq!(y.value().data(), &[1.5, 0.0]);
    /// # Ok::<(), nabla_nn::NnError>(())
    /// ```
    pub fn linear(&self, weight: &Var, bias: Option<&Var>, activation: Activation) -> Result<Var> {
        let act = activation.pointwise();
        let mut parents = vec![self.clone(), weight.clone()];
        parents.extend(bias.cloned());
        let (mut z, pre_activation) = {
            let (x, w) = (self.value(), weight.value());
            let mut z = x.matmul(&w)?;
            let out = z.shape()[1];
            if let Some(b) = bias {
                let b = b.value();
                if b.shape() != [out] {
                    return Err(NnError::shape(
                        "linear",
                        w.shape(),
                        b.shape(),
                        format!("bias must have shape [{out}]"),
                    ));
                }
                if out > 0 {
                    for row in z.data_mut().chunks_mut(out) {
                        row.iter_mut().zip(b.data()).for_each(|(v, b)| *v += b);
                    }
                }
            }
            // Any parent that needs a gradient (the bias alone included) needs `dz`, and with it
            // the pre-activation; `from_op` keeps a backward pass on the same condition.
            let keep = act.needs_input() && parents.iter().any(Var::requires_grad);
            let pre = keep.then(|| z.clone());
            (z, pre)
        };
        if !matches!(act, Pointwise::Identity) {
            z.data_mut().iter_mut().for_each(|v| *v = act.apply(*v));
        }
        Ok(Var::from_op(
            z,
            parents,
            LinearOp {
                act,
                pre_activation,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::check::{check_op, sample};

    fn reference(x: &[Vec<f64>], n: usize, k: usize, m: usize, f: fn(f64) -> f64) -> Vec<f64> {
        let mut out = vec![0.0; n * m];
        for i in 0..n {
            for j in 0..m {
                let mut z = x.get(2).map_or(0.0, |b| b[j]);
                for p in 0..k {
                    z += x[0][i * k + p] * x[1][p * m + j];
                }
                out[i * m + j] = f(z);
            }
        }
        out
    }

    #[test]
    fn fused_layer_matches_reference_for_every_activation() {
        let (n, k, m) = (4, 3, 5);
        type Reference = fn(f64) -> f64;
        let acts: [(Activation, Reference); 6] = [
            (Activation::Identity, |z| z),
            (Activation::Relu, |z| z.max(0.0)),
            (
                Activation::LeakyRelu,
                |z| if z > 0.0 { z } else { 0.01 * z },
            ),
            (Activation::Tanh, f64::tanh),
            (Activation::Sigmoid, |z| 1.0 / (1.0 + (-z).exp())),
            (Activation::Gelu, |z| {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * z * (1.0 + (c * (z + 0.044715 * z.powi(3))).tanh())
            }),
        ];
        for (act, f) in acts {
            check_op(
                &[sample(&[n, k], 1), sample(&[k, m], 2), sample(&[m], 3)],
                |v| v[0].linear(&v[1], Some(&v[2]), act),
                |x| reference(x, n, k, m, f),
            );
        }
        check_op(
            &[sample(&[n, k], 4), sample(&[k, m], 5)],
            |v| v[0].linear(&v[1], None, Activation::Tanh),
            |x| reference(x, n, k, m, f64::tanh),
        );
    }

    #[test]
    fn bias_gradient_does_not_depend_on_which_other_parents_are_trained() {
        // GELU's derivative reads the pre-activation, which must be kept even when the bias is
        // the only parent that needs a gradient.
        let x = Var::constant(Tensor::matrix(1, 1, vec![-1.0]).unwrap());
        let bias_grad = |weight: Var| {
            let b = Var::parameter(Tensor::new(&[1], vec![0.0]).unwrap());
            let y = x.linear(&weight, Some(&b), Activation::Gelu).unwrap();
            y.sum().backward().unwrap();
            b.grad().unwrap().data()[0]
        };
        let w = Tensor::matrix(1, 1, vec![1.0]).unwrap();
        assert_eq!(
            bias_grad(Var::constant(w.clone())),
            bias_grad(Var::parameter(w))
        );
    }

    #[test]
    fn bias_shape_is_checked() {
        let x = Var::constant(Tensor::zeros(&[2, 3]));
        let w = Var::constant(Tensor::zeros(&[3, 4]));
        let b = Var::constant(Tensor::zeros(&[3]));
        let err = x
            .linear(&w, Some(&b), Activation::Relu)
            .unwrap_err()
            .to_string();
        assert!(err.contains("linear") && err.contains("[4]"), "{err}");
    }
}
