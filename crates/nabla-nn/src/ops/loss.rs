//! Losses reduced to a scalar mean: softmax cross-entropy on logits (fused, so large logits
//! neither overflow nor lose the gradient) and mean squared error.

use crate::error::{NnError, Result};
use crate::graph::{Backward, Var};
use crate::tensor::{Tensor, softmax_in_place};

struct SoftmaxCrossEntropy {
    probabilities: Tensor,
    targets: Vec<usize>,
}

impl Backward for SoftmaxCrossEntropy {
    fn backward(&self, parents: &[Var], _value: &Tensor, grad: &Tensor) {
        let n = self.targets.len();
        let scale = grad.data()[0] / n as f32;
        let mut g = self.probabilities.clone();
        let classes = g.shape()[1];
        for (row, &t) in g.data_mut().chunks_mut(classes).zip(&self.targets) {
            row[t] -= 1.0;
            row.iter_mut().for_each(|v| *v *= scale);
        }
        parents[0].accumulate(g);
    }
}

struct MeanSquaredError;

impl Backward for MeanSquaredError {
    fn backward(&self, parents: &[Var], _value: &Tensor, grad: &Tensor) {
        let (p, t) = (parents[0].value(), parents[1].value());
        let scale = 2.0 * grad.data()[0] / p.len().max(1) as f32;
        let diff: Vec<f32> = p
            .data()
            .iter()
            .zip(t.data())
            .map(|(p, t)| scale * (p - t))
            .collect();
        let shape = p.shape().to_vec();
        drop((p, t));
        let d = Tensor::new(&shape, diff).expect("same shape as the prediction");
        if parents[1].requires_grad() {
            parents[1].accumulate(d.map(|v| -v));
        }
        parents[0].accumulate(d);
    }
}

impl Var {
    /// Mean over rows of `-log softmax(logits)[target]` for `self: [n, classes]` and `n` targets.
    ///
    /// ```
    /// use nabla_nn::{Tensor, Var};
    /// let logits = Var::parameter(Tensor::matrix(1, 2, vec![1000.0, 0.0])?);
    /// let loss = logits.softmax_cross_entropy(&[1])?;
    /// assert_eq!(loss.value().item()?, 1000.0);
    /// loss.backward()?;
    /// assert_eq!(logits.grad().unwrap().data(), &[1.0, -1.0]);
    /// # Ok::<(), nabla_nn::NnError>(())
    /// ```
    pub fn softmax_cross_entropy(&self, targets: &[usize]) -> Result<Var> {
        let (probabilities, loss) = {
            let logits = self.value();
            let (n, classes) = logits.dims2("softmax_cross_entropy")?;
            if targets.len() != n {
                return Err(NnError::shape(
                    "softmax_cross_entropy",
                    logits.shape(),
                    &[targets.len()],
                    "one target per row is needed",
                ));
            }
            if let Some(&t) = targets.iter().find(|&&t| t >= classes) {
                return Err(NnError::invalid(
                    "softmax_cross_entropy",
                    format!("target class {t} out of range for {classes} classes"),
                ));
            }
            if n == 0 {
                return Err(NnError::invalid("softmax_cross_entropy", "empty batch"));
            }
            let mut p = logits.clone();
            let mut total = 0.0f64;
            for ((row, z), &t) in p
                .data_mut()
                .chunks_mut(classes)
                .zip(logits.data().chunks(classes))
                .zip(targets)
            {
                // loss = logsumexp(z) - z[t]; the softmax pass computes logsumexp from its sums.
                total += f64::from(softmax_in_place(row) - z[t]);
            }
            (p, (total / n as f64) as f32)
        };
        Ok(Var::from_op(
            Tensor::scalar(loss),
            vec![self.clone()],
            SoftmaxCrossEntropy {
                probabilities,
                targets: targets.to_vec(),
            },
        ))
    }

    /// Mean of `(self - target)²` over all elements; the shapes must be equal.
    pub fn mse(&self, target: &Var) -> Result<Var> {
        let loss = {
            let (p, t) = (self.value(), target.value());
            if p.shape() != t.shape() {
                return Err(NnError::shape(
                    "mse",
                    p.shape(),
                    t.shape(),
                    "shapes must be equal",
                ));
            }
            let sum: f64 = p
                .data()
                .iter()
                .zip(t.data())
                .map(|(p, t)| f64::from(p - t).powi(2))
                .sum();
            (sum / p.len().max(1) as f64) as f32
        };
        Ok(Var::from_op(
            Tensor::scalar(loss),
            vec![self.clone(), target.clone()],
            MeanSquaredError,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::check::{check_op, sample};

    #[test]
    fn cross_entropy_gradient() {
        let targets = [2, 0, 3];
        check_op(
            &[sample(&[3, 4], 1)],
            |v| v[0].softmax_cross_entropy(&targets),
            |x| {
                let loss: f64 = x[0]
                    .chunks(4)
                    .zip(&targets)
                    .map(|(z, &t)| z.iter().map(|v| v.exp()).sum::<f64>().ln() - z[t])
                    .sum();
                vec![loss / 3.0]
            },
        );
    }

    #[test]
    fn cross_entropy_is_stable_for_huge_logits() {
        let logits =
            Var::parameter(Tensor::matrix(2, 3, vec![1e4, -1e4, 0.0, 88.0, 89.0, 90.0]).unwrap());
        let loss = logits.softmax_cross_entropy(&[0, 0]).unwrap();
        let l = loss.value().item().unwrap();
        assert!(l.is_finite());
        loss.backward().unwrap();
        assert!(logits.grad().unwrap().data().iter().all(|g| g.is_finite()));
    }

    #[test]
    fn cross_entropy_checks_targets() {
        let logits = Var::constant(Tensor::zeros(&[2, 3]));
        assert!(logits.softmax_cross_entropy(&[0]).is_err());
        assert!(logits.softmax_cross_entropy(&[0, 3]).is_err());
    }

    #[test]
    fn mse_gradient_reaches_both_operands() {
        check_op(
            &[sample(&[3, 2], 1), sample(&[3, 2], 2)],
            |v| v[0].mse(&v[1]),
            |x| {
                let s: f64 = x[0].iter().zip(&x[1]).map(|(p, t)| (p - t).powi(2)).sum();
                vec![s / 6.0]
            },
        );
        let a = Var::constant(Tensor::zeros(&[3, 1]));
        assert!(a.mse(&Var::constant(Tensor::zeros(&[3]))).is_err());
    }
}
