//! Elementwise `add`, `sub` and `mul` with NumPy broadcasting: shapes are aligned at their last
//! axis and an axis of length 1 (or a missing leading axis) is repeated. The backward pass sums
//! the gradient over the repeated axes.

use crate::error::{NnError, Result};
use crate::graph::{Backward, Var};
use crate::tensor::Tensor;

#[derive(Clone, Copy)]
enum BinaryKind {
    Add,
    Sub,
    Mul,
}

impl BinaryKind {
    fn name(self) -> &'static str {
        match self {
            BinaryKind::Add => "add",
            BinaryKind::Sub => "sub",
            BinaryKind::Mul => "mul",
        }
    }

    #[inline]
    fn apply(self, a: f32, b: f32) -> f32 {
        match self {
            BinaryKind::Add => a + b,
            BinaryKind::Sub => a - b,
            BinaryKind::Mul => a * b,
        }
    }

    /// `(∂/∂a, ∂/∂b)` at `(a, b)`.
    #[inline]
    fn partials(self, a: f32, b: f32) -> (f32, f32) {
        match self {
            BinaryKind::Add => (1.0, 1.0),
            BinaryKind::Sub => (1.0, -1.0),
            BinaryKind::Mul => (b, a),
        }
    }
}

/// The shape both operands broadcast to.
fn broadcast_shape(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| (i + s.len()).checked_sub(rank).map_or(1, |j| s[j]);
    (0..rank)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y || y == 1 => Ok(x),
            (1, y) => Ok(y),
            (x, y) => Err(NnError::shape(
                op,
                a,
                b,
                format!("axis {i} has lengths {x} and {y}, neither 1"),
            )),
        })
        .collect()
}

/// True when `shape` (leading 1s ignored) is a suffix of `out`, so its data repeats in blocks.
fn repeats_as_suffix(shape: &[usize], out: &[usize]) -> bool {
    let first = shape.iter().position(|&d| d != 1).unwrap_or(shape.len());
    let core = &shape[first..];
    out.ends_with(core)
}

/// Calls `f(i, ia, ib)` for every flat output index `i` with the flat indices of the operands
/// it reads. Same-shape and bias-like (suffix) operands take fast paths.
fn for_each_pair(out: &[usize], a: &[usize], b: &[usize], mut f: impl FnMut(usize, usize, usize)) {
    let n: usize = out.iter().product();
    let (na, nb): (usize, usize) = (a.iter().product(), b.iter().product());
    if na == n && nb == n {
        (0..n).for_each(|i| f(i, i, i));
    } else if na == n && repeats_as_suffix(b, out) && nb > 0 {
        for start in (0..n).step_by(nb) {
            (0..nb).for_each(|j| f(start + j, start + j, j));
        }
    } else if nb == n && repeats_as_suffix(a, out) && na > 0 {
        for start in (0..n).step_by(na) {
            (0..na).for_each(|j| f(start + j, j, start + j));
        }
    } else {
        let strides = |s: &[usize]| {
            let mut st = vec![0; out.len()];
            let mut acc = 1;
            for (k, &d) in s.iter().enumerate().rev() {
                let axis = out.len() - s.len() + k;
                st[axis] = if d == 1 { 0 } else { acc };
                acc *= d;
            }
            st
        };
        let (sa, sb) = (strides(a), strides(b));
        let mut index = vec![0; out.len()];
        let (mut ia, mut ib) = (0, 0);
        for i in 0..n {
            f(i, ia, ib);
            // Odometer increment of the multi-index, updating both offsets.
            for axis in (0..out.len()).rev() {
                index[axis] += 1;
                ia += sa[axis];
                ib += sb[axis];
                if index[axis] < out[axis] {
                    break;
                }
                ia -= sa[axis] * out[axis];
                ib -= sb[axis] * out[axis];
                index[axis] = 0;
            }
        }
    }
}

struct BinaryOp(BinaryKind);

impl Backward for BinaryOp {
    fn backward(&self, parents: &[Var], value: &Tensor, grad: &Tensor) {
        let (a, b) = (parents[0].value(), parents[1].value());
        let (da, db) = (a.data(), b.data());
        let g = grad.data();
        let mut ga = parents[0].requires_grad().then(|| Tensor::zeros(a.shape()));
        let mut gb = parents[1].requires_grad().then(|| Tensor::zeros(b.shape()));
        for_each_pair(value.shape(), a.shape(), b.shape(), |i, ia, ib| {
            let (pa, pb) = self.0.partials(da[ia], db[ib]);
            if let Some(ga) = ga.as_mut() {
                ga.data_mut()[ia] += g[i] * pa;
            }
            if let Some(gb) = gb.as_mut() {
                gb.data_mut()[ib] += g[i] * pb;
            }
        });
        drop((a, b));
        if let Some(ga) = ga {
            parents[0].accumulate(ga);
        }
        if let Some(gb) = gb {
            parents[1].accumulate(gb);
        }
    }
}

impl Var {
    fn binary(&self, rhs: &Var, kind: BinaryKind) -> Result<Var> {
        let value = {
            let (a, b) = (self.value(), rhs.value());
            let shape = broadcast_shape(kind.name(), a.shape(), b.shape())?;
            let mut out = Tensor::zeros(&shape);
            let (da, db) = (a.data(), b.data());
            let o = out.data_mut();
            for_each_pair(&shape, a.shape(), b.shape(), |i, ia, ib| {
                o[i] = kind.apply(da[ia], db[ib]);
            });
            out
        };
        Ok(Var::from_op(
            value,
            vec![self.clone(), rhs.clone()],
            BinaryOp(kind),
        ))
    }

    /// `self + rhs`, broadcasting (e.g. a `[n, k]` matrix plus a `[k]` bias).
    ///
    /// ```
    /// use nabla_nn::{Tensor, Var};
    /// let x = Var::constant(Tensor::matrix(2, 2, vec![1., 2., 3., 4.])?);
    /// let b = Var::constant(Tensor::new(&[2], vec![10., 20.])?);
    /// assert_eq!(x.add(&b)?.value().data(), &[11., 22., 13., 24.]);
    /// assert!(x.add(&Var::constant(Tensor::zeros(&[3]))).is_err());
    /// # Ok::<(), nabla_nn::NnError>(())
    /// ```
    pub fn add(&self, rhs: &Var) -> Result<Var> {
        self.binary(rhs, BinaryKind::Add)
    }

    /// `self - rhs`, broadcasting.
    pub fn sub(&self, rhs: &Var) -> Result<Var> {
        self.binary(rhs, BinaryKind::Sub)
    }

    /// Elementwise `self · rhs`, broadcasting.
    pub fn mul(&self, rhs: &Var) -> Result<Var> {
        self.binary(rhs, BinaryKind::Mul)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::check::{check_op, sample};

    /// f64 reference: broadcasting by explicit multi-indices, independent of `for_each_pair`.
    fn reference(a: &[usize], b: &[usize], x: &[Vec<f64>], f: fn(f64, f64) -> f64) -> Vec<f64> {
        let out = broadcast_shape("test", a, b).unwrap();
        let n: usize = out.iter().product();
        let flat = |s: &[usize], idx: &[usize]| {
            let off = idx.len() - s.len();
            s.iter().enumerate().fold(0, |acc, (k, &d)| {
                acc * d + if d == 1 { 0 } else { idx[off + k] }
            })
        };
        (0..n)
            .map(|mut i| {
                let mut idx = vec![0; out.len()];
                for axis in (0..out.len()).rev() {
                    idx[axis] = i % out[axis];
                    i /= out[axis];
                }
                f(x[0][flat(a, &idx)], x[1][flat(b, &idx)])
            })
            .collect()
    }

    #[test]
    fn gradients_match_reference_for_all_broadcast_patterns() {
        let cases: [(&[usize], &[usize]); 6] = [
            (&[2, 3], &[2, 3]),
            (&[4, 3], &[3]),
            (&[3], &[4, 3]),
            (&[4, 1], &[1, 3]),
            (&[2, 3, 4], &[3, 1]),
            (&[2, 1, 4], &[]),
        ];
        type Reference = fn(f64, f64) -> f64;
        let kinds: [(BinaryKind, Reference); 3] = [
            (BinaryKind::Add, |a, b| a + b),
            (BinaryKind::Sub, |a, b| a - b),
            (BinaryKind::Mul, |a, b| a * b),
        ];
        for (sa, sb) in cases {
            for (kind, f) in kinds {
                check_op(
                    &[sample(sa, 1), sample(sb, 2)],
                    |v| v[0].binary(&v[1], kind),
                    |x| reference(sa, sb, x, f),
                );
            }
        }
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn bias_add_commutes_and_sub_inverts_it(
            x in proptest::collection::vec(-5.0f32..5.0, 12),
            b in proptest::collection::vec(-5.0f32..5.0, 4),
        ) {
            let x = Var::constant(Tensor::new(&[3, 4], x).unwrap());
            let b = Var::constant(Tensor::new(&[4], b).unwrap());
            let xb = x.add(&b).unwrap();
            let bx = b.add(&x).unwrap();
            prop_assert_eq!(&*xb.value(), &*bx.value());
            let back = xb.sub(&b).unwrap();
            for (r, x) in back.value().data().iter().zip(x.value().data()) {
                prop_assert!((r - x).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn incompatible_shapes_are_reported() {
        let a = Var::constant(Tensor::zeros(&[2, 3]));
        let b = Var::constant(Tensor::zeros(&[2]));
        let err = a.mul(&b).unwrap_err().to_string();
        assert!(
            err.starts_with("mul:") && err.contains("[2, 3]") && err.contains("[2]"),
            "{err}"
        );
    }
}
