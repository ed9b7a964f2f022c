use nabla::compile::Program;
use nabla::{Store, parse};
fn main() {
    let n = 100_000;
    let text: Vec<String> = (1..n)
        .map(|i| format!("100*(x{} - x{i}^2)^2 + (1 - x{i})^2", i + 1))
        .collect();
    let mut s = Store::new();
    let f = parse(&mut s, &text.join(" + ")).unwrap();
    let vars: Vec<_> = (1..=n).map(|i| s.symbol_id(&format!("x{i}"))).collect();
    let p = Program::value_and_gradient(&mut s, f, &vars).unwrap();
    let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.01 * (i % 17) as f64).collect();
    let mut out = vec![0.0; n + 1];
    let mut ev = p.evaluator::<f64>();
    let t = std::time::Instant::now();
    for _ in 0..5000 {
        ev.eval(std::hint::black_box(&x), &mut out);
    }
    println!("{:?}", t.elapsed() / 5000);
}
