#!/usr/bin/env python3
"""Cheap-gradient comparison: JAX (jit, CPU) against nabla's reverse mode on the chained
Rosenbrock function f(x) = sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2, n = 10, 1000, 100000.

How to run (from the repository root; the venv lives outside the repository):

    python3 -m venv /work/venvs/autodiff
    /work/venvs/autodiff/bin/pip install jax jaxlib numpy
    /work/venvs/autodiff/bin/python bench/jax_gradient.py            # JAX, then nabla
    /work/venvs/autodiff/bin/python bench/jax_gradient.py --no-rust  # JAX only

JAX figures are in-process, after compilation, best of several repeats of a timed batch, float64
(`jax_enable_x64`), on CPU, with `block_until_ready`. The nabla figures come from
`cargo run --release -p nabla-autodiff --example rosenbrock_timing` (reverse mode on a tape) and
`cargo run --release -p nabla --example rosenbrock_compiled` (the symbolic gradient, by reverse
accumulation, compiled to a register program), which time the same way and print the same kind of
table.
"""

import argparse
import os
import subprocess
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)


def rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def best_time(f, x, repeats=7, batch_seconds=0.02):
    """Best wall-clock time per call (seconds) over `repeats` batches of about 20 ms."""
    jax.block_until_ready(f(x))  # compile and warm up
    start = time.perf_counter()
    jax.block_until_ready(f(x))
    once = max(time.perf_counter() - start, 1e-9)
    batch = int(min(max(batch_seconds / once, 1), 1_000_000))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(batch):
            out = f(x)
        jax.block_until_ready(out)
        best = min(best, (time.perf_counter() - start) / batch)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-rust", action="store_true", help="skip the nabla run")
    args = parser.parse_args()

    value = jax.jit(rosenbrock)
    grad = jax.jit(jax.grad(rosenbrock))
    value_and_grad = jax.jit(jax.value_and_grad(rosenbrock))
    print(f"JAX {jax.__version__} (jit, {jax.devices()[0].platform}, float64), chained Rosenbrock")
    print(f"{'n':>8} {'value [us]':>14} {'grad [us]':>14} {'ratio':>10} {'value+grad [us]':>16} {'ratio':>10}")
    for n in (10, 1_000, 100_000):
        x = jnp.asarray(0.5 + 0.01 * (np.arange(n) % 17), dtype=jnp.float64)
        tv = best_time(value, x)
        tg = best_time(grad, x)
        tvg = best_time(value_and_grad, x)
        print(f"{n:>8} {tv * 1e6:>14.3f} {tg * 1e6:>14.3f} {tg / tv:>10.2f} {tvg * 1e6:>16.3f} {tvg / tv:>10.2f}")

    if not args.no_rust:
        print(flush=True)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        for package, example in (("nabla-autodiff", "rosenbrock_timing"), ("nabla", "rosenbrock_compiled")):
            subprocess.run(
                ["cargo", "run", "--quiet", "--release", "-p", package, "--example", example],
                cwd=root,
                check=True,
            )
            print(flush=True)


if __name__ == "__main__":
    main()
