use nabla_autodiff::finite_diff::*;
fn main() {
    let o = FdOptions::default();
    let case = std::env::args().nth(1).unwrap();
    match case.as_str() {
        "xes" => {
            let h = derivative(|x| x * x.sin().exp(), 2.5, &o).unwrap();
            println!(
                "{:?} exact {:?}",
                h,
                2.5f64.sin().exp() * (1.0 + 2.5 * 2.5f64.cos())
            );
        }
        "em" => {
            let f = |v: &[f64]| v[0].exp() * v[1].sin() + v[0] * v[0] * v[1].powi(3);
            let h = hessian(f, &[-0.5, 0.3], &o).unwrap();
            let (x, y) = (-0.5f64, 0.3f64);
            println!("{:?} exact01 {:?}", h, x.exp() * y.cos() + 6.0 * x * y * y);
        }
        _ => {
            let f = |v: &[f64]| (v[0] * v[1]).sin() + (1.0 + v[0] * v[0] + v[1] * v[1]).ln();
            let h = hessian(f, &[1.5, -0.5], &o).unwrap();
            let (x, y) = (1.5f64, -0.5f64);
            let q = 1.0 + x * x + y * y;
            let (s, c) = (x * y).sin_cos();
            println!(
                "{:?} exact01 {:?}",
                h,
                c - x * y * s - 4.0 * x * y / (q * q)
            );
        }
    }
}
