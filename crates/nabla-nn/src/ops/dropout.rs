//! Inverted dropout: during training each element is zeroed with probability `p` and the
//! survivors are scaled by `1/(1-p)`, so inference needs no rescaling.

use rand::{Rng, RngExt};

use crate::error::{NnError, Result};
use crate::graph::{Backward, Var};
use crate::tensor::Tensor;

struct DropoutOp {
    /// `0` or `1/(1-p)` per element.
    mask: Vec<f32>,
}

impl Backward for DropoutOp {
    fn backward(&self, parents: &[Var], value: &Tensor, grad: &Tensor) {
        let g = grad
            .data()
            .iter()
            .zip(&self.mask)
            .map(|(g, m)| g * m)
            .collect();
        parents[0].accumulate(Tensor::new(value.shape(), g).expect("same shape"));
    }
}

impl Var {
    /// Zeroes each element with probability `p` (in `[0, 1)`) and scales the rest by `1/(1-p)`.
    ///
    /// ```
    /// use nabla_nn::{Tensor, Var};
    /// use rand::SeedableRng;
    /// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    /// let x = Var::constant(Tensor::full(&[1000], 1.0));
    /// let y = x.dropout(0.5, &mut rng)?;
    /// let kept = y.value().data().iter().filter(|&&v| v == 2.0).count();
    /// assert!((400..600).contains(&kept));
    /// assert!(x.dropout(1.0, &mut rng).is_err());
    /// # Ok::<(), nabla_nn::NnError>(())
    /// ```
    pub fn dropout(&self, p: f32, rng: &mut (impl Rng + ?Sized)) -> Result<Var> {
        if !(0.0..1.0).contains(&p) {
            return Err(NnError::invalid(
                "dropout",
                format!("probability {p} is not in [0, 1)"),
            ));
        }
        if p == 0.0 {
            return Ok(self.clone());
        }
        let keep = 1.0 / (1.0 - p);
        let (value, mask) = {
            let x = self.value();
            let mask: Vec<f32> = (0..x.len())
                .map(|_| if rng.random::<f32>() < p { 0.0 } else { keep })
                .collect();
            let data = x.data().iter().zip(&mask).map(|(x, m)| x * m).collect();
            (Tensor::new(x.shape(), data)?, mask)
        };
        Ok(Var::from_op(value, vec![self.clone()], DropoutOp { mask }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::check::{check_op, sample};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn gradient_matches_reference_with_the_same_mask() {
        let p = 0.4;
        check_op(
            &[sample(&[3, 5], 2)],
            |v| v[0].dropout(p, &mut StdRng::seed_from_u64(11)),
            |x| {
                // The same draws as the op: one uniform per element, dropped below `p`.
                let mut rng = StdRng::seed_from_u64(11);
                x[0].iter()
                    .map(|&v| {
                        if rng.random::<f32>() < p {
                            0.0
                        } else {
                            v / (1.0 - f64::from(p))
                        }
                    })
                    .collect()
            },
        );
    }

    #[test]
    fn gradient_flows_only_through_kept_elements() {
        let mut rng = StdRng::seed_from_u64(3);
        let x = Var::parameter(sample(&[4, 5], 1));
        let y = x.dropout(0.3, &mut rng).unwrap();
        y.sum().backward().unwrap();
        let (xv, yv, g) = (x.value(), y.value(), x.grad().unwrap());
        for ((x, y), g) in xv.data().iter().zip(yv.data()).zip(g.data()) {
            if *y == 0.0 {
                assert_eq!(*g, 0.0);
            } else {
                assert!((y - x / 0.7).abs() < 1e-6 && (g - 1.0 / 0.7).abs() < 1e-6);
            }
        }
    }
}
