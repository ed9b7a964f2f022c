#!/usr/bin/env python3
"""nabla-nn against PyTorch (CPU) and scikit-learn.

(a) One training step (forward, backward, Adam) of an MLP 784-256-128-10 with relu on synthetic data,
    batch 64 and 512, PyTorch with 2 threads (and, for reference, 1), next to nabla's criterion bench
    `mlp_step` (median).
(b) The digits MLP 64-64-32-10, relu, Adam lr 1e-3, batch 32, 30 epochs, standardised inputs, 20% test
    split, seeds 0..4: test accuracy and wall time per run for PyTorch (2 threads), scikit-learn and
    nabla (`cargo run --release -p nabla-nn --example digits`). Each library draws its own split for a
    seed (scikit-learn's `train_test_split` for the other two), so compare means, not single seeds.
    Times cover training; nabla's also include its per-epoch train and test evaluation.

Run from the repository root, with a venv outside the repository:
    python3 -m venv /work/venvs/nn && /work/venvs/nn/bin/pip install torch scikit-learn numpy
    /work/venvs/nn/bin/python bench/nn_vs_torch.py            # both parts
    /work/venvs/nn/bin/python bench/nn_vs_torch.py --skip-step # digits only
"""

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "data" / "digits.csv"
SEEDS = range(5)


def torch_step_ms(batch, steps=200, repeats=5):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(batch, 784)
    y = torch.arange(batch) % 10
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(20):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - start) * 1e3 / steps)
    return statistics.median(times)


def nabla_step_ms():
    """Medians from nabla's criterion bench, in ms, keyed by batch size."""
    out = subprocess.run(
        ["cargo", "bench", "-p", "nabla-nn", "--bench", "mlp_step"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    units = {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3}
    found = {}
    for batch, value, unit in re.findall(
            r"mlp_step_784_256_128_10/(\d+)\s+time:\s+\[\S+ \S+ (\S+) (\S+)", out):
        found[int(batch)] = float(value) * units[unit]
    return found


def load_digits():
    data = np.loadtxt(DIGITS, delimiter=",", skiprows=1, dtype=np.float32)
    return data[:, :-1], data[:, -1].astype(np.int64)


def split(x, y, seed):
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=seed)
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_test), y_train, y_test


def sklearn_digits(x, y, seed):
    x_train, x_test, y_train, y_test = split(x, y, seed)
    start = time.perf_counter()
    clf = MLPClassifier(hidden_layer_sizes=(64, 32), activation="relu", solver="adam",
                        learning_rate_init=1e-3, batch_size=32, max_iter=30, random_state=seed)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: 30 epochs is the point
        clf.fit(x_train, y_train)
    elapsed = time.perf_counter() - start
    return clf.score(x_test, y_test), elapsed


def torch_digits(x, y, seed):
    x_train, x_test, y_train, y_test = split(x, y, seed)
    torch.manual_seed(seed)
    start = time.perf_counter()
    xt, yt = torch.tensor(x_train, dtype=torch.float32), torch.tensor(y_train)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 32), torch.nn.ReLU(),
        torch.nn.Linear(32, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    for _ in range(30):
        order = torch.randperm(len(xt), generator=generator)
        for i in range(0, len(xt), 32):
            idx = order[i:i + 32]
            opt.zero_grad()
            loss_fn(model(xt[idx]), yt[idx]).backward()
            opt.step()
    elapsed = time.perf_counter() - start
    with torch.no_grad():
        predicted = model(torch.tensor(x_test, dtype=torch.float32)).argmax(1).numpy()
    return float((predicted == y_test).mean()), elapsed


def nabla_digits():
    out = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "nabla-nn", "--example", "digits"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [(float(a), float(t)) for a, t in
            re.findall(r"seed \d+: test accuracy (\S+) .* (\S+) s", out)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-step", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")

    if not args.skip_step:
        nabla = nabla_step_ms()
        print("\nMLP 784-256-128-10 step (forward + backward + Adam), ms per step")
        print(f"{'batch':>6} {'torch 2 thr':>12} {'torch 1 thr':>12} {'nabla':>9} {'torch2/nabla':>13}")
        for batch in (64, 512):
            torch.set_num_threads(1)
            single = torch_step_ms(batch)
            torch.set_num_threads(2)
            t = torch_step_ms(batch)
            n = nabla.get(batch, float("nan"))
            print(f"{batch:>6} {t:>12.3f} {single:>12.3f} {n:>9.3f} {t / n:>13.2f}")

    x, y = load_digits()
    rows = [(sklearn_digits(x, y, s), torch_digits(x, y, s)) for s in SEEDS]
    nabla = nabla_digits()
    print("\ndigits 64-64-32-10 relu, Adam 1e-3, batch 32, 30 epochs: test accuracy / seconds per run")
    print(f"{'seed':>4} {'sklearn':>16} {'pytorch':>16} {'nabla':>16}")
    for seed, ((sa, st), (ta, tt)), (na, nt) in zip(SEEDS, rows, nabla):
        print(f"{seed:>4} {sa:>8.4f} {st:>6.3f}s {ta:>8.4f} {tt:>6.3f}s {na:>8.4f} {nt:>6.3f}s")
    mean = lambda v: sum(v) / len(v)
    print(f"{'mean':>4} {mean([r[0][0] for r in rows]):>8.4f} {mean([r[0][1] for r in rows]):>6.3f}s "
          f"{mean([r[1][0] for r in rows]):>8.4f} {mean([r[1][1] for r in rows]):>6.3f}s "
          f"{mean([a for a, _ in nabla]):>8.4f} {mean([t for _, t in nabla]):>6.3f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
