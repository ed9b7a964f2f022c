//! Renders the sample pictures of nabla-plot into a directory:
//! `cargo run --release -p nabla-plot --example gallery -- <out-dir>`.

use std::error::Error;
use std::path::PathBuf;

use nabla_plot::{ContourPlot, FunctionChart, LineChart, Panel, Picture};

fn main() -> Result<(), Box<dyn Error>> {
    let out = PathBuf::from(std::env::args().nth(1).ok_or("usage: gallery <out-dir>")?);
    std::fs::create_dir_all(&out)?;

    let saddle = ContourPlot::new(
        |x, y| x * x + 3.0 * x * y - 2.0 * y * y,
        -2.0..=2.0,
        -2.0..=2.0,
    )
    .title("f(x, y) = x² + 3xy − 2y² with ∇f")
    .gradient(|x, y| (2.0 * x + 3.0 * y, 3.0 * x - 4.0 * y));
    for ext in ["png", "svg"] {
        saddle.save(out.join(format!("saddle.{ext}")))?;
    }

    let rosenbrock = |x: f64, y: f64| (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
    let grad = |x: f64, y: f64| {
        (
            -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
            200.0 * (y - x * x),
        )
    };
    let plot = ContourPlot::new(rosenbrock, -2.0..=2.0, -1.0..=3.0)
        .title("Rosenbrock (1 − x)² + 100(y − x²)²")
        .trajectory(
            "gradient descent, η = 5·10⁻⁴",
            descend(grad, (-1.5, 2.5), 5e-4, 6000),
        )
        .trajectory(
            "momentum, β = 0.9",
            momentum(grad, (-1.8, -0.5), 1e-4, 0.9, 3000),
        )
        .trajectory("Adam, η = 0.05", adam(grad, (0.3, -0.8), 0.05, 800));
    for ext in ["png", "svg"] {
        plot.save(out.join(format!("rosenbrock.{ext}")))?;
    }

    let derivative = FunctionChart::new(|x: f64| x * x * x - 3.0 * x, -2.5..=2.5)
        .derivative(|x: f64| 3.0 * x * x - 3.0)
        .names("f(x) = x³ − 3x", "f'(x) = 3x² − 3")
        .title("f and its derivative");
    let pole = FunctionChart::new(|x: f64| 1.0 / x, -2.0..=2.0)
        .derivative(|x: f64| -1.0 / (x * x))
        .names("f(x) = 1/x", "f'(x) = −1/x²")
        .title("A pole at 0");
    for ext in ["png", "svg"] {
        derivative.save(out.join(format!("derivative.{ext}")))?;
        pole.save(out.join(format!("pole.{ext}")))?;
    }

    let (train_loss, val_loss, train_acc, val_acc) = training_curves(40);
    let training = LineChart::new("Training a small network")
        .x_label("epoch")
        .panel(
            Panel::new("loss")
                .log_y()
                .series("train", train_loss)
                .series("validation", val_loss),
        )
        .panel(
            Panel::new("accuracy")
                .series("train", train_acc)
                .series("validation", val_acc),
        );
    for ext in ["png", "svg"] {
        training.save(out.join(format!("training.{ext}")))?;
    }
    Ok(())
}

/// Made-up but typical curves: loss decaying towards a floor with some noise, validation
/// overfitting a little towards the end, accuracy rising and saturating.
#[allow(clippy::type_complexity)]
fn training_curves(
    epochs: usize,
) -> (
    Vec<(f64, f64)>,
    Vec<(f64, f64)>,
    Vec<(f64, f64)>,
    Vec<(f64, f64)>,
) {
    let noise = |k: usize, scale: f64| scale * ((k as f64 * 12.9898).sin() * 43758.5453).fract();
    let mut curves = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for k in 1..=epochs {
        let e = k as f64;
        let train = 2.3 * (-e / 6.0).exp() + 0.04 + noise(k, 0.01);
        let val = 2.3 * (-e / 6.5).exp()
            + 0.09
            + 0.0015 * (e - 20.0).max(0.0).powi(2) / 4.0
            + noise(k + 99, 0.02);
        curves.0.push((e, train));
        curves.1.push((e, val));
        curves
            .2
            .push((e, 0.99 - 0.89 * (-e / 5.0).exp() + noise(k + 7, 0.004)));
        curves
            .3
            .push((e, 0.955 - 0.86 * (-e / 5.5).exp() + noise(k + 3, 0.008)));
    }
    curves
}

/// The path of `steps` iterates from `start`, each point made by `next(t, p, ∇f(p))` for
/// `t = 1, 2, …`: the loop every method below shares, so each states only its update.
fn iterate(
    grad: impl Fn(f64, f64) -> (f64, f64),
    start: (f64, f64),
    steps: usize,
    mut next: impl FnMut(i32, (f64, f64), (f64, f64)) -> (f64, f64),
) -> Vec<(f64, f64)> {
    let mut p = start;
    let mut path = vec![p];
    for t in 1..=steps as i32 {
        p = next(t, p, grad(p.0, p.1));
        path.push(p);
    }
    path
}

/// Plain gradient descent iterates.
fn descend(
    grad: impl Fn(f64, f64) -> (f64, f64),
    start: (f64, f64),
    rate: f64,
    steps: usize,
) -> Vec<(f64, f64)> {
    iterate(grad, start, steps, |_, p, g| {
        (p.0 - rate * g.0, p.1 - rate * g.1)
    })
}

/// Heavy-ball momentum iterates.
fn momentum(
    grad: impl Fn(f64, f64) -> (f64, f64),
    start: (f64, f64),
    rate: f64,
    beta: f64,
    steps: usize,
) -> Vec<(f64, f64)> {
    let mut v = (0.0, 0.0);
    iterate(grad, start, steps, |_, p, g| {
        v = (beta * v.0 - rate * g.0, beta * v.1 - rate * g.1);
        (p.0 + v.0, p.1 + v.1)
    })
}

/// Adam iterates (β₁ = 0.9, β₂ = 0.999).
fn adam(
    grad: impl Fn(f64, f64) -> (f64, f64),
    start: (f64, f64),
    rate: f64,
    steps: usize,
) -> Vec<(f64, f64)> {
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
    let (mut m, mut v) = ([0.0; 2], [0.0; 2]);
    iterate(grad, start, steps, |t, p, g| {
        let g = [g.0, g.1];
        let mut step = [0.0; 2];
        for i in 0..2 {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            step[i] =
                rate * (m[i] / (1.0 - b1.powi(t))) / ((v[i] / (1.0 - b2.powi(t))).sqrt() + eps);
        }
        (p.0 - step[0], p.1 - step[1])
    })
}
