//! Rendering cost of the three figure kinds, to SVG (vector work only: sampling, marching
//! squares, label placement) and to PNG (plus the supersampled raster and encoding).
//! Run with `cargo bench -p nabla-plot`.

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use nabla_plot::{ContourPlot, FunctionChart, LineChart, Panel, Picture};

fn rosenbrock(x: f64, y: f64) -> f64 {
    (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
}

fn saddle() -> ContourPlot<'static> {
    ContourPlot::new(
        |x, y| x * x + 3.0 * x * y - 2.0 * y * y,
        -2.0..=2.0,
        -2.0..=2.0,
    )
    .title("saddle")
    .gradient(|x, y| (2.0 * x + 3.0 * y, 3.0 * x - 4.0 * y))
}

fn rosenbrock_with_path() -> ContourPlot<'static> {
    let path: Vec<(f64, f64)> = (0..2000)
        .map(|k| {
            let t = k as f64 / 2000.0;
            (-1.5 + 2.5 * t, 2.5 - 1.5 * t)
        })
        .collect();
    ContourPlot::new(rosenbrock, -2.0..=2.0, -1.0..=3.0)
        .title("Rosenbrock")
        .trajectory("path", path)
}

fn training() -> LineChart {
    let curve = |f: fn(f64) -> f64| {
        (1..=100)
            .map(|e| (e as f64, f(e as f64)))
            .collect::<Vec<_>>()
    };
    LineChart::new("training")
        .x_label("epoch")
        .panel(
            Panel::new("loss")
                .log_y()
                .series("train", curve(|e| 2.0 / e))
                .series("validation", curve(|e| 2.2 / e + 0.05)),
        )
        .panel(
            Panel::new("accuracy")
                .series("train", curve(|e| 1.0 - 0.5 / e))
                .series("validation", curve(|e| 0.95 - 0.5 / e)),
        )
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("saddle_with_arrows/svg", |b| {
        b.iter(|| saddle().to_svg().unwrap())
    });
    group.bench_function("saddle_with_arrows/png", |b| {
        b.iter(|| saddle().to_png().unwrap())
    });
    group.bench_function("rosenbrock_with_path/svg", |b| {
        b.iter(|| rosenbrock_with_path().to_svg().unwrap())
    });
    group.bench_function("rosenbrock_unlabelled/svg", |b| {
        b.iter(|| {
            ContourPlot::new(rosenbrock, -2.0..=2.0, -1.0..=3.0)
                .label_lines(false)
                .to_svg()
                .unwrap()
        })
    });
    group.bench_function("rosenbrock_with_path/png", |b| {
        b.iter(|| rosenbrock_with_path().to_png().unwrap())
    });
    group.bench_function("training/png", |b| b.iter(|| training().to_png().unwrap()));
    group.bench_function("function_and_derivative/svg", |b| {
        b.iter(|| {
            FunctionChart::new(f64::sin, -6.0..=6.0)
                .derivative(f64::cos)
                .to_svg()
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(render, benches);
criterion_main!(render);
