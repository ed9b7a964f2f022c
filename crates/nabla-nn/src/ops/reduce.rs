//! Sums and means, over all elements or along one axis (the axis is removed from the shape).

use crate::error::{NnError, Result};
use crate::graph::{Backward, Var};
use crate::tensor::Tensor;

/// A reduction seen as `[outer, len, inner]`: `len` is the reduced extent.
#[derive(Clone, Copy)]
struct Reduce {
    outer: usize,
    len: usize,
    inner: usize,
    mean: bool,
}

impl Reduce {
    fn scale(self) -> f32 {
        if self.mean && self.len > 0 {
            1.0 / self.len as f32
        } else {
            1.0
        }
    }

    fn forward(self, x: &[f32]) -> Vec<f32> {
        let mut out = vec![0.0; self.outer * self.inner];
        for o in 0..self.outer {
            let dst = &mut out[o * self.inner..(o + 1) * self.inner];
            for l in 0..self.len {
                let src = &x[(o * self.len + l) * self.inner..][..self.inner];
                dst.iter_mut().zip(src).for_each(|(d, s)| *d += s);
            }
        }
        let s = self.scale();
        out.iter_mut().for_each(|v| *v *= s);
        out
    }
}

impl Backward for Reduce {
    fn backward(&self, parents: &[Var], _value: &Tensor, grad: &Tensor) {
        let s = self.scale();
        parents[0].accumulate_with(|buf, beta| {
            for o in 0..self.outer {
                let g = &grad.data()[o * self.inner..(o + 1) * self.inner];
                for l in 0..self.len {
                    let dst = &mut buf[(o * self.len + l) * self.inner..][..self.inner];
                    dst.iter_mut()
                        .zip(g)
                        .for_each(|(d, g)| *d = beta * *d + s * g);
                }
            }
        });
    }
}

impl Var {
    fn reduce(&self, axis: Option<usize>, mean: bool, op: &'static str) -> Result<Var> {
        let shape = self.shape();
        let (r, out_shape) = match axis {
            None => (
                Reduce {
                    outer: 1,
                    len: shape.iter().product(),
                    inner: 1,
                    mean,
                },
                Vec::new(),
            ),
            Some(axis) if axis < shape.len() => {
                let mut out_shape = shape.clone();
                out_shape.remove(axis);
                (
                    Reduce {
                        outer: shape[..axis].iter().product(),
                        len: shape[axis],
                        inner: shape[axis + 1..].iter().product(),
                        mean,
                    },
                    out_shape,
                )
            }
            Some(axis) => {
                return Err(NnError::invalid(
                    op,
                    format!("axis {axis} out of range for shape {shape:?}"),
                ));
            }
        };
        let value = Tensor::new(&out_shape, r.forward(self.value().data()))?;
        Ok(Var::from_op(value, vec![self.clone()], r))
    }

    /// Sum of all elements (a scalar).
    pub fn sum(&self) -> Var {
        self.reduce(None, false, "sum")
            .expect("a full reduction has no axis to get wrong")
    }

    /// Mean of all elements (a scalar).
    pub fn mean(&self) -> Var {
        self.reduce(None, true, "mean")
            .expect("a full reduction has no axis to get wrong")
    }

    /// Sum along `axis`, which disappears from the shape.
    ///
    /// ```
    /// use nabla_nn::{Tensor, Var};
    /// let x = Var::constant(Tensor::matrix(2, 3, vec![1., 2., 3., 4., 5., 6.])?);
    /// assert_eq!(x.sum_axis(0)?.value().data(), &[5., 7., 9.]);
    /// assert_eq!(x.mean_axis(1)?.value().data(), &[2., 5.]);
    /// assert!(x.sum_axis(2).is_err());
    /// # Ok::<(), nabla_nn::NnError>(())
    /// ```
    pub fn sum_axis(&self, axis: usize) -> Result<Var> {
        self.reduce(Some(axis), false, "sum_axis")
    }

    /// Mean along `axis`, which disappears from the shape.
    pub fn mean_axis(&self, axis: usize) -> Result<Var> {
        self.reduce(Some(axis), true, "mean_axis")
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::check::{check_op, sample};

    /// f64 reference over a `[2, 3, 4]` input, by explicit indices.
    fn along(x: &[f64], axis: usize, mean: bool) -> Vec<f64> {
        let dims = [2, 3, 4];
        let mut out_dims = dims.to_vec();
        out_dims.remove(axis);
        let mut out = vec![0.0; out_dims.iter().product()];
        for i in 0..2 {
            for j in 0..3 {
                for k in 0..4 {
                    let idx = [i, j, k];
                    let mut o = idx.to_vec();
                    o.remove(axis);
                    out[o[0] * out_dims[1] + o[1]] += x[(i * 3 + j) * 4 + k];
                }
            }
        }
        let div = if mean { dims[axis] as f64 } else { 1.0 };
        out.iter().map(|v| v / div).collect()
    }

    #[test]
    fn axis_reductions() {
        for axis in 0..3 {
            for mean in [false, true] {
                check_op(
                    &[sample(&[2, 3, 4], axis as u64)],
                    |v| {
                        if mean {
                            v[0].mean_axis(axis)
                        } else {
                            v[0].sum_axis(axis)
                        }
                    },
                    |x| along(&x[0], axis, mean),
                );
            }
        }
    }

    #[test]
    fn full_reductions() {
        check_op(
            &[sample(&[3, 5], 3)],
            |v| Ok(v[0].sum()),
            |x| vec![x[0].iter().sum()],
        );
        check_op(
            &[sample(&[3, 5], 4)],
            |v| Ok(v[0].mean()),
            |x| vec![x[0].iter().sum::<f64>() / 15.0],
        );
    }
}
