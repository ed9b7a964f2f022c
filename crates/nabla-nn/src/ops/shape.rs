//! Shape changes: `reshape` and the matrix `transpose`.

use crate::error::Result;
use crate::graph::{Backward, Var};
use crate::tensor::Tensor;

struct ReshapeOp;

impl Backward for ReshapeOp {
    fn backward(&self, parents: &[Var], _value: &Tensor, grad: &Tensor) {
        let shape = parents[0].shape();
        let g = grad.reshape(&shape).expect("same element count");
        parents[0].accumulate(g);
    }
}

struct TransposeOp;

impl Backward for TransposeOp {
    fn backward(&self, parents: &[Var], _value: &Tensor, grad: &Tensor) {
        parents[0].accumulate(grad.transpose().expect("gradient of a matrix is a matrix"));
    }
}

impl Var {
    /// The same elements under a new shape with the same element count.
    pub fn reshape(&self, shape: &[usize]) -> Result<Var> {
        let value = self.value().reshape(shape)?;
        Ok(Var::from_op(value, vec![self.clone()], ReshapeOp))
    }

    /// Transpose of a matrix.
    pub fn transpose(&self) -> Result<Var> {
        let value = self.value().transpose()?;
        Ok(Var::from_op(value, vec![self.clone()], TransposeOp))
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::check::{check_op, sample};

    #[test]
    fn reshape_gradient() {
        check_op(
            &[sample(&[2, 6], 1)],
            |v| v[0].reshape(&[3, 4]),
            |x| x[0].clone(),
        );
    }

    #[test]
    fn transpose_gradient() {
        check_op(
            &[sample(&[2, 3], 1)],
            |v| v[0].transpose(),
            |x| (0..6).map(|i| x[0][(i % 2) * 3 + i / 2]).collect(),
        );
    }
}
