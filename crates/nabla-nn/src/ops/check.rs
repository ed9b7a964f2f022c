//! Test support: checks an operation's forward value and gradients against a reference written
//! in f64, differentiated by nabla's finite differences (`nabla_autodiff::finite_diff`).

use nabla_autodiff::finite_diff::{self, FdOptions};

use crate::{Tensor, Var};

/// Deterministic test values in ±[0.1, 2], away from the kinks of relu-like functions at 0.
pub(crate) fn sample(shape: &[usize], seed: u64) -> Tensor {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let n = shape.iter().product();
    let data = (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (state >> 40) as f32 / (1u64 << 24) as f32; // [0, 1)
            let magnitude = 0.1 + 1.9 * u;
            if (state >> 20) & 1 == 0 {
                magnitude
            } else {
                -magnitude
            }
        })
        .collect();
    Tensor::new(shape, data).unwrap()
}

/// Builds `op` on parameters holding `inputs`, checks its value against `reference` and the
/// gradient of `Σ op(x) · r` (`r` a fixed random weighting) against central differences of
/// the same sum computed with `reference` in f64.
pub(crate) fn check_op(
    inputs: &[Tensor],
    op: impl Fn(&[Var]) -> crate::Result<Var>,
    reference: impl Fn(&[Vec<f64>]) -> Vec<f64>,
) {
    let vars: Vec<Var> = inputs.iter().cloned().map(Var::parameter).collect();
    let out = op(&vars).unwrap();
    let weights = sample(&out.shape(), 99);
    let loss = out.mul(&Var::constant(weights.clone())).unwrap().sum();
    loss.backward().unwrap();

    let x64: Vec<Vec<f64>> = inputs
        .iter()
        .map(|t| t.data().iter().map(|&v| f64::from(v)).collect())
        .collect();
    let want = reference(&x64);
    let got = out.value();
    assert_eq!(want.len(), got.len(), "reference output length");
    for (i, (g, w)) in got.data().iter().zip(&want).enumerate() {
        assert!(close(f64::from(*g), *w), "value[{i}]: got {g}, want {w}");
    }

    let weighted = |x: &[Vec<f64>]| -> f64 {
        reference(x)
            .iter()
            .zip(weights.data())
            .map(|(y, r)| y * f64::from(*r))
            .sum()
    };
    // nabla's own finite differences; the first step stays below the samples' distance from the
    // kinks of relu-like functions at 0 (every sample has magnitude at least 0.1).
    let opts = FdOptions {
        initial_step: Some(1.0 / 32.0),
        ..FdOptions::default()
    };
    for (k, var) in vars.iter().enumerate() {
        let grad = var.grad().unwrap().clone();
        let along_k = |xk: &[f64]| {
            let mut x = x64.clone();
            x[k] = xk.to_vec();
            weighted(&x)
        };
        let numeric = finite_diff::gradient(along_k, &x64[k], &opts).unwrap();
        for (j, (&n, &g)) in numeric.estimate.iter().zip(grad.data()).enumerate() {
            let analytic = f64::from(g);
            assert!(
                close(analytic, n),
                "d/d input{k}[{j}]: analytic {analytic}, numeric {n} ± {}",
                numeric.error[j]
            );
        }
    }
}

/// Agreement expected between an f32 computation and its f64 reference.
fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 2e-3 * (1.0 + want.abs())
}
