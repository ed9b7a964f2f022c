//! [`Tensor`]: an owned, row-major array of `f32` with a shape, and the shape-checked
//! computations on plain values (no gradients; see [`crate::Var`] for those).

use crate::error::{NnError, Result};
use crate::gemm::{MatRef, gemm};

/// A dense row-major `f32` array. A shape of `[]` is a scalar.
///
/// ```
/// use nabla_nn::Tensor;
/// let a = Tensor::new(&[2, 3], vec![1., 2., 3., 4., 5., 6.])?;
/// let b = Tensor::new(&[3, 1], vec![1., 0., -1.])?;
/// assert_eq!(a.matmul(&b)?.data(), &[-2., -2.]);
/// assert!(b.matmul(&b).is_err());
/// # Ok::<(), nabla_nn::NnError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    shape: Vec<usize>,
    data: Vec<f32>,
}

impl Tensor {
    /// A tensor from its shape and row-major data; fails if the lengths disagree.
    pub fn new(shape: &[usize], data: Vec<f32>) -> Result<Self> {
        let want: usize = shape.iter().product();
        if want != data.len() {
            return Err(NnError::invalid(
                "Tensor::new",
                format!(
                    "shape {shape:?} holds {want} elements but {} were given",
                    data.len()
                ),
            ));
        }
        Ok(Tensor {
            shape: shape.to_vec(),
            data,
        })
    }

    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Self::full(shape, 0.0)
    }

    /// A tensor with every element equal to `value`.
    pub fn full(shape: &[usize], value: f32) -> Self {
        Tensor {
            shape: shape.to_vec(),
            data: vec![value; shape.iter().product()],
        }
    }

    /// A scalar (shape `[]`).
    pub fn scalar(value: f32) -> Self {
        Tensor {
            shape: Vec::new(),
            data: vec![value],
        }
    }

    /// A `rows × cols` matrix from row-major data.
    pub fn matrix(rows: usize, cols: usize, data: Vec<f32>) -> Result<Self> {
        Self::new(&[rows, cols], data)
    }

    /// Extent of each axis, outermost first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when some axis has length 0.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The elements in row-major order.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The elements in row-major order, writable (the shape cannot change through this).
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The row-major element buffer.
    pub fn into_data(self) -> Vec<f32> {
        self.data
    }

    /// The single value of a one-element tensor.
    pub fn item(&self) -> Result<f32> {
        match self.data[..] {
            [v] => Ok(v),
            _ => Err(NnError::invalid(
                "item",
                format!("tensor of shape {:?} is not a single value", self.shape),
            )),
        }
    }

    /// `(rows, cols)` of a rank-2 tensor, or an error naming `op`.
    pub(crate) fn dims2(&self, op: &'static str) -> Result<(usize, usize)> {
        match self.shape[..] {
            [r, c] => Ok((r, c)),
            _ => Err(NnError::invalid(
                op,
                format!("expected a matrix, got shape {:?}", self.shape),
            )),
        }
    }

    pub(crate) fn as_mat(&self) -> MatRef<'_> {
        let (r, c) = (self.shape[0], self.shape[1]);
        MatRef::row_major(&self.data, r, c)
    }

    /// Matrix product of two matrices `[m, k] · [k, n] → [m, n]`.
    pub fn matmul(&self, rhs: &Tensor) -> Result<Tensor> {
        let (m, k) = self.dims2("matmul")?;
        let (k2, n) = rhs.dims2("matmul")?;
        if k != k2 {
            return Err(NnError::shape(
                "matmul",
                &self.shape,
                &rhs.shape,
                format!("inner dimensions {k} and {k2} differ"),
            ));
        }
        let mut out = Tensor::zeros(&[m, n]);
        gemm(self.as_mat(), rhs.as_mat(), 0.0, &mut out.data);
        Ok(out)
    }

    /// The transpose of a matrix.
    pub fn transpose(&self) -> Result<Tensor> {
        let (r, c) = self.dims2("transpose")?;
        let mut data = Vec::with_capacity(self.len());
        for j in 0..c {
            data.extend((0..r).map(|i| self.data[i * c + j]));
        }
        Ok(Tensor {
            shape: vec![c, r],
            data,
        })
    }

    /// The same data under another shape with the same number of elements.
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor> {
        self.clone().into_reshaped(shape)
    }

    pub(crate) fn into_reshaped(mut self, shape: &[usize]) -> Result<Tensor> {
        if shape.iter().product::<usize>() != self.len() {
            return Err(NnError::shape(
                "reshape",
                &self.shape,
                shape,
                "element counts differ",
            ));
        }
        self.shape = shape.to_vec();
        Ok(self)
    }

    /// Applies `f` to every element.
    pub fn map(&self, f: impl Fn(f32) -> f32) -> Tensor {
        Tensor {
            shape: self.shape.clone(),
            data: self.data.iter().map(|&x| f(x)).collect(),
        }
    }

    /// Row-wise softmax of a matrix, stable for large inputs (the row maximum is subtracted first).
    ///
    /// ```
    /// use nabla_nn::Tensor;
    /// let p = Tensor::matrix(1, 2, vec![1000.0, 1000.0])?.softmax_rows()?;
    /// assert_eq!(p.data(), &[0.5, 0.5]);
    /// # Ok::<(), nabla_nn::NnError>(())
    /// ```
    pub fn softmax_rows(&self) -> Result<Tensor> {
        let (_, c) = self.dims2("softmax_rows")?;
        let mut out = self.clone();
        if c > 0 {
            for row in out.data.chunks_mut(c) {
                softmax_in_place(row);
            }
        }
        Ok(out)
    }

    /// Index of the largest element of each row of a matrix (the first one on ties).
    pub fn argmax_rows(&self) -> Result<Vec<usize>> {
        let (_, c) = self.dims2("argmax_rows")?;
        if c == 0 {
            return Err(NnError::invalid("argmax_rows", "matrix has no columns"));
        }
        Ok(self
            .data
            .chunks(c)
            .map(|row| {
                row.iter()
                    .enumerate()
                    .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
                        if v > bv { (i, v) } else { (bi, bv) }
                    })
                    .0
            })
            .collect())
    }

    /// Rows `rows` of a matrix gathered into a new matrix (used to assemble mini-batches).
    pub fn select_rows(&self, rows: &[usize]) -> Result<Tensor> {
        let mut out = Tensor::zeros(&[0]);
        self.select_rows_into(rows, &mut out)?;
        Ok(out)
    }

    /// Like [`Tensor::select_rows`], writing into `out` (reshaped as needed, reusing its buffer).
    pub fn select_rows_into(&self, rows: &[usize], out: &mut Tensor) -> Result<()> {
        let (n, c) = self.dims2("select_rows")?;
        if let Some(&bad) = rows.iter().find(|&&r| r >= n) {
            return Err(NnError::invalid(
                "select_rows",
                format!("row {bad} out of range for {n} rows"),
            ));
        }
        out.shape.clear();
        out.shape.extend([rows.len(), c]);
        out.data.clear();
        for &r in rows {
            out.data.extend_from_slice(&self.data[r * c..(r + 1) * c]);
        }
        Ok(())
    }
}

/// Softmax of one row in place: `exp(x - max) / Σ exp(x - max)`. Returns the row's
/// log-sum-exp `max + ln Σ exp(x - max)`, which the cross-entropy needs from the same sums.
pub(crate) fn softmax_in_place(row: &mut [f32]) -> f32 {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in row.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    row.iter_mut().for_each(|x| *x /= sum);
    max + sum.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_check_lengths() {
        assert!(Tensor::new(&[2, 2], vec![1.0; 3]).is_err());
        assert_eq!(Tensor::scalar(3.0).item().unwrap(), 3.0);
        assert!(Tensor::zeros(&[2]).item().is_err());
    }

    #[test]
    fn matmul_error_names_op_and_shapes() {
        let a = Tensor::zeros(&[2, 3]);
        let err = a.matmul(&a).unwrap_err().to_string();
        assert!(err.contains("matmul") && err.contains("[2, 3]"), "{err}");
    }

    #[test]
    fn transpose_and_reshape() {
        let a = Tensor::matrix(2, 3, vec![1., 2., 3., 4., 5., 6.]).unwrap();
        assert_eq!(a.transpose().unwrap().data(), &[1., 4., 2., 5., 3., 6.]);
        assert_eq!(a.reshape(&[3, 2]).unwrap().shape(), &[3, 2]);
        assert!(a.reshape(&[4]).is_err());
    }

    #[test]
    fn softmax_is_stable_and_argmax_picks_first_max() {
        let a = Tensor::matrix(2, 3, vec![1e30, 0.0, -1e30, 2.0, 5.0, 5.0]).unwrap();
        let p = a.softmax_rows().unwrap();
        assert!(p.data().iter().all(|v| v.is_finite()));
        assert_eq!(a.argmax_rows().unwrap(), vec![0, 1]);
    }

    use proptest::prelude::*;

    fn matrix(rows: usize, cols: usize) -> impl Strategy<Value = Tensor> {
        proptest::collection::vec(-4.0f32..4.0, rows * cols)
            .prop_map(move |data| Tensor::matrix(rows, cols, data).unwrap())
    }

    proptest! {
        #[test]
        fn transpose_is_an_involution(a in matrix(3, 5)) {
            prop_assert_eq!(a.transpose().unwrap().transpose().unwrap(), a);
        }

        #[test]
        fn transpose_reverses_products(a in matrix(4, 3), b in matrix(3, 5)) {
            let left = a.matmul(&b).unwrap().transpose().unwrap();
            let right = b.transpose().unwrap().matmul(&a.transpose().unwrap()).unwrap();
            for (x, y) in left.data().iter().zip(right.data()) {
                prop_assert!((x - y).abs() <= 1e-4 * (1.0 + x.abs()));
            }
        }

        #[test]
        fn softmax_rows_are_distributions(a in matrix(3, 4), shift in -50.0f32..50.0) {
            let p = a.softmax_rows().unwrap();
            let q = a.map(|v| v + shift).softmax_rows().unwrap();
            for (row, shifted) in p.data().chunks(4).zip(q.data().chunks(4)) {
                prop_assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
                for (x, y) in row.iter().zip(shifted) {
                    prop_assert!((x - y).abs() < 1e-5);
                }
            }
        }
    }

    #[test]
    fn select_rows_rejects_out_of_range() {
        let a = Tensor::matrix(2, 1, vec![1., 2.]).unwrap();
        assert_eq!(a.select_rows(&[1, 0, 1]).unwrap().data(), &[2., 1., 2.]);
        assert!(a.select_rows(&[2]).is_err());
    }
}
