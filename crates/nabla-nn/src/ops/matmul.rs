//! Matrix product of two matrices, `[m, k] · [k, n] → [m, n]`.

use crate::error::Result;
use crate::gemm::gemm;
use crate::graph::{Backward, Var};
use crate::tensor::Tensor;

struct MatMulOp;

impl Backward for MatMulOp {
    fn backward(&self, parents: &[Var], _value: &Tensor, grad: &Tensor) {
        let (a, b) = (&parents[0], &parents[1]);
        let g = grad.as_mat();
        // dA = G·Bᵀ, dB = Aᵀ·G, written straight into the gradient buffers.
        a.accumulate_with(|buf, beta| gemm(g, b.value().as_mat().t(), beta, buf));
        b.accumulate_with(|buf, beta| gemm(a.value().as_mat().t(), g, beta, buf));
    }
}

impl Var {
    /// Matrix product; both operands must be matrices with matching inner dimension.
    pub fn matmul(&self, rhs: &Var) -> Result<Var> {
        let value = self.value().matmul(&rhs.value())?;
        Ok(Var::from_op(
            value,
            vec![self.clone(), rhs.clone()],
            MatMulOp,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::check::{check_op, sample};

    #[test]
    fn gradients_match_reference() {
        let (m, k, n) = (3, 4, 5);
        check_op(
            &[sample(&[m, k], 1), sample(&[k, n], 2)],
            |v| v[0].matmul(&v[1]),
            |x| {
                let mut c = vec![0.0; m * n];
                for i in 0..m {
                    for j in 0..n {
                        for p in 0..k {
                            c[i * n + j] += x[0][i * k + p] * x[1][p * n + j];
                        }
                    }
                }
                c
            },
        );
    }

    #[test]
    fn vectors_are_rejected() {
        let v = Var::constant(Tensor::zeros(&[3]));
        assert!(v.matmul(&v).is_err());
    }
}
