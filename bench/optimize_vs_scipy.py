#!/usr/bin/env python3
"""Compare nabla-optimize with scipy.optimize.minimize on classic test functions.

How to run (from the repository root; the venv lives outside the repository):

    python3 -m venv /work/venvs/optimize
    /work/venvs/optimize/bin/pip install scipy numpy
    /work/venvs/optimize/bin/python bench/optimize_vs_scipy.py > /tmp/table.md

scipy runs BFGS, L-BFGS-B and Newton-CG with exact gradients (and Hessians for Newton-CG) at
tol=1e-10; nabla runs Newton, BFGS and L-BFGS with its default options through
`cargo run --release -p nabla-optimize --example classic`, which prints one JSON object per run.
The script prints one markdown table with both. |x - x*| is the max-norm distance to the minimum
reached from that start (as listed by nabla's `problems` module, sent along in the JSON).
Evaluations are counted as scipy counts them: a value+gradient call is one function and one
gradient evaluation.
"""

import json
import pathlib
import subprocess
import sys
import time

import numpy as np
from scipy.optimize import minimize, rosen, rosen_der, rosen_hess

TOL = 1e-10


def beale(v):
    x, y = v
    t = np.array([1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3])
    return float(t @ t)


def beale_der(v):
    x, y = v
    t = np.array([1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3])
    dx = np.array([y - 1, y**2 - 1, y**3 - 1])
    dy = np.array([x, 2 * x * y, 3 * x * y**2])
    return np.array([2 * t @ dx, 2 * t @ dy])


def beale_hess(v):
    x, y = v
    t = np.array([1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3])
    dx = np.array([y - 1, y**2 - 1, y**3 - 1])
    dy = np.array([x, 2 * x * y, 3 * x * y**2])
    dxy = np.array([1, 2 * y, 3 * y**2])
    dyy = np.array([0, 2 * x, 6 * x * y])
    hxx = 2 * dx @ dx
    hxy = 2 * (dx @ dy + t @ dxy)
    hyy = 2 * (dy @ dy + t @ dyy)
    return np.array([[hxx, hxy], [hxy, hyy]])


def booth(v):
    x, y = v
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


def booth_der(v):
    x, y = v
    a, b = x + 2 * y - 7, 2 * x + y - 5
    return np.array([2 * a + 4 * b, 4 * a + 2 * b])


def booth_hess(v):
    return np.array([[10.0, 8.0], [8.0, 10.0]])


def himmelblau(v):
    x, y = v
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def himmelblau_der(v):
    x, y = v
    a, b = x * x + y - 11, x + y * y - 7
    return np.array([4 * a * x + 2 * b, 2 * a + 4 * b * y])


def himmelblau_hess(v):
    x, y = v
    off = 4 * x + 4 * y
    return np.array([[12 * x * x + 4 * y - 42, off], [off, 4 * x + 12 * y * y - 26]])


def matyas(v):
    x, y = v
    return 0.26 * (x * x + y * y) - 0.48 * x * y


def matyas_der(v):
    x, y = v
    return np.array([0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x])


def matyas_hess(v):
    return np.array([[0.52, -0.48], [-0.48, 0.52]])


def camel(v):
    x, y = v
    return 2 * x * x - 1.05 * x**4 + x**6 / 6 + x * y + y * y


def camel_der(v):
    x, y = v
    return np.array([4 * x - 4.2 * x**3 + x**5 + y, x + 2 * y])


def camel_hess(v):
    x = v[0]
    return np.array([[4 - 12.6 * x * x + 5 * x**4, 1.0], [1.0, 2.0]])


def styblinski(v):
    return 0.5 * float(np.sum(v**4 - 16 * v**2 + 5 * v))


def styblinski_der(v):
    return 2 * v**3 - 16 * v + 2.5


def styblinski_hess(v):
    return np.diag(6 * v**2 - 16)


def rastrigin(v):
    return 10 * len(v) + float(np.sum(v * v - 10 * np.cos(2 * np.pi * v)))


def rastrigin_der(v):
    return 2 * v + 20 * np.pi * np.sin(2 * np.pi * v)


def rastrigin_hess(v):
    return np.diag(2 + 40 * np.pi**2 * np.cos(2 * np.pi * v))


FUNCTIONS = {
    "rosenbrock": (rosen, rosen_der, rosen_hess),
    "beale": (beale, beale_der, beale_hess),
    "booth": (booth, booth_der, booth_hess),
    "himmelblau": (himmelblau, himmelblau_der, himmelblau_hess),
    "matyas": (matyas, matyas_der, matyas_hess),
    "three-hump-camel": (camel, camel_der, camel_hess),
    "styblinski-tang": (styblinski, styblinski_der, styblinski_hess),
    "rastrigin": (rastrigin, rastrigin_der, rastrigin_hess),
}


def run_scipy(name, start, minimum):
    f, g, h = FUNCTIONS[name]
    rows = []
    for method in ["BFGS", "L-BFGS-B", "Newton-CG"]:
        kwargs = {"jac": g}
        if method == "Newton-CG":
            kwargs["hess"] = h
        x0 = np.array(start, dtype=float)
        repeats = 3 if len(start) > 10 else 50
        began = time.perf_counter()
        for _ in range(repeats):
            r = minimize(f, x0, method=method, tol=TOL, **kwargs)
        seconds = (time.perf_counter() - began) / repeats
        rows.append(
            {
                "method": "scipy " + method,
                "x": r.x.tolist(),
                "distance": float(np.max(np.abs(r.x - np.array(minimum)))),
                "nfev": int(r.nfev),
                "njev": int(getattr(r, "njev", 0)),
                "nhev": int(getattr(r, "nhev", 0) or 0),
                "seconds": seconds,
                "note": "" if r.success else "not converged",
            }
        )
    return rows


def run_nabla():
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "-p", "nabla-optimize", "--example", "classic"],
        check=True,
        capture_output=True,
        text=True,
        cwd=pathlib.Path(__file__).resolve().parent.parent,
    ).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def fmt_point(x):
    shown = ", ".join(f"{v:.6g}" for v in x[:2])
    return f"({shown}{', …' if len(x) > 2 else ''})"


def fmt_start(x):
    if len(x) > 2:
        return f"({x[0]:g}, {x[1]:g}, …) n={len(x)}"
    return "(" + ", ".join(f"{v:g}" for v in x) + ")"


def main():
    nabla = run_nabla()
    groups = {}
    for row in nabla:
        groups.setdefault((row["problem"], tuple(row["start"])), []).append(row)
    print("| problem | start | method | minimum found | ‖x − x*‖∞ | f evals | ∇f evals | ∇²f evals | time | note |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    summary = []
    for (name, start), rows in groups.items():
        minimum = rows[0]["minimum"]
        table = run_scipy(name, list(start), minimum)
        for r in rows:
            if "error" in r:
                table.append({"method": "nabla " + r["method"], "note": r["error"]})
                continue
            table.append(
                {
                    "method": "nabla " + r["method"],
                    "x": r["x"],
                    "distance": r["distance"],
                    "nfev": r["nfev"],
                    "njev": r["njev"],
                    "nhev": r["nhev"],
                    "seconds": r["seconds"],
                    "note": r["stopped_by"],
                }
            )
        summary.append((name, start, {t["method"]: t for t in table}))
        for t in table:
            if "x" not in t:
                print(f"| {name} | {fmt_start(start)} | {t['method']} | | | | | | | {t['note']} |")
                continue
            print(
                f"| {name} | {fmt_start(start)} | {t['method']} | {fmt_point(t['x'])} | {t['distance']:.1e} "
                f"| {t['nfev']} | {t['njev']} | {t['nhev']} | {t['seconds'] * 1e3:.3f} ms | {t['note']} |"
            )
    print()
    print("Function evaluations at a glance (* = not within 1e-6 of the minimum):")
    print()
    pairs = [("scipy BFGS", "nabla bfgs"), ("scipy L-BFGS-B", "nabla lbfgs"), ("scipy Newton-CG", "nabla newton")]
    header = " | ".join(f"{a} | {b}" for a, b in pairs)
    print(f"| problem | start | {header} |")
    print("|---|---|" + "---|" * (2 * len(pairs)))

    def cell(t):
        if t is None or "x" not in t:
            return "error"
        return f"{t['nfev']}{'*' if t['distance'] > 1e-6 else ''}"

    for name, start, by_method in summary:
        cells = " | ".join(f"{cell(by_method.get(a))} | {cell(by_method.get(b))}" for a, b in pairs)
        print(f"| {name} | {fmt_start(start)} | {cells} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
