#!/usr/bin/env python3
"""Compare nabla-optimize with scipy.optimize.minimize on classic test functions.

How to run (from the repository root; the venv lives outside the repository):

    python3 -m venv /work/venvs/optimize
    /work/venvs/optimize/bin/pip install scipy numpy
    /work/venvs/optimize/bin/python bench/optimize_vs_scipy.py > /tmp/table.md
    /work/venvs/optimize/bin/python bench/optimize_vs_scipy.py --via cli   # the command line only

scipy runs BFGS, L-BFGS-B and Newton-CG with exact gradients (and Hessians for Newton-CG) at
tol=1e-10. nabla runs with its default options two ways (`--via library|cli|both`, default both):

- library: Newton, BFGS and L-BFGS on hand-written derivatives through
  `cargo run --release -p nabla-optimize --example classic`, which prints one JSON object per run
  (rows `nabla METHOD`, time per run in-process);
- cli: the same problems written as expressions and run through
  `nabla minimize EXPR --from ... --method newton|bfgs|lbfgs --format json`, on the symbolic
  gradient and Hessian compiled by nabla (rows `nabla-cli METHOD`; time is the whole process, best of
  a few: start-up, parsing, symbolic differentiation, compilation and the run).

The script prints one markdown table with all of them. |x - x*| is the max-norm distance to the
minimum reached from that start (as listed by nabla's `problems` module, sent along in the JSON).
Evaluations are counted as scipy counts them: a value+gradient call is one function and one
gradient evaluation.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

# One BLAS thread, as nabla runs on one: on a loaded machine OpenBLAS's threads contend with
# each other and scipy's BFGS on 100-D Rosenbrock took up to 40 times longer. Must be set before
# numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy.optimize import minimize, rosen, rosen_der, rosen_hess  # noqa: E402

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


ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_nabla():
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--release", "-p", "nabla-optimize", "--example", "classic"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def expression(name, n):
    """The problem as a `nabla minimize` expression over variables x01, x02, … (sorted = in order),
    or None where it has no expression here."""
    v = [f"x{i + 1:02}" for i in range(n)]
    if name == "rosenbrock":
        return " + ".join(f"100*({v[i + 1]} - {v[i]}^2)^2 + (1 - {v[i]})^2" for i in range(n - 1))
    if name == "styblinski-tang":
        return "(" + " + ".join(f"{x}^4 - 16*{x}^2 + 5*{x}" for x in v) + ")/2"
    if name == "rastrigin":
        return f"{10 * n} + " + " + ".join(f"{x}^2 - 10*cos(2*pi*{x})" for x in v)
    if n != 2:
        return None
    x, y = v
    return {
        "beale": f"(1.5 - {x} + {x}*{y})^2 + (2.25 - {x} + {x}*{y}^2)^2 + (2.625 - {x} + {x}*{y}^3)^2",
        "booth": f"({x} + 2*{y} - 7)^2 + (2*{x} + {y} - 5)^2",
        "himmelblau": f"({x}^2 + {y} - 11)^2 + ({x} + {y}^2 - 7)^2",
        "matyas": f"0.26*({x}^2 + {y}^2) - 0.48*{x}*{y}",
        "three-hump-camel": f"2*{x}^2 - 1.05*{x}^4 + {x}^6/6 + {x}*{y} + {y}^2",
    }.get(name)


def cli_binary():
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "nabla-cli"], check=True, cwd=ROOT)
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return pathlib.Path(json.loads(meta)["target_directory"]) / "release" / "nabla"


def run_cli(binary, name, start, minimum):
    expr = expression(name, len(start))
    if expr is None:
        return []
    names = [f"x{i + 1:02}" for i in range(len(start))]
    frm = ",".join(f"{n}={v!r}" for n, v in zip(names, start))
    rows = []
    for method in ["newton", "bfgs", "lbfgs"]:
        command = [str(binary), "minimize", expr, "--from", frm, "--method", method, "--format", "json"]
        best = float("inf")
        for _ in range(3 if len(start) > 10 else 5):
            began = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            best = min(best, time.perf_counter() - began)
        if done.returncode != 0:
            rows.append({"method": "nabla-cli " + method, "note": done.stderr.strip()})
            continue
        r = json.loads(done.stdout)
        x = [r["point"][n] for n in names]
        rows.append(
            {
                "method": "nabla-cli " + method,
                "x": x,
                "distance": float(np.max(np.abs(np.array(x) - np.array(minimum)))),
                "nfev": r["evaluations"],
                "njev": r["gradient_evaluations"],
                "nhev": r["hessian_evaluations"],
                "seconds": best,
                "note": r["stopped_by"] + " (process)",
            }
        )
    return rows


def fmt_point(x):
    shown = ", ".join(f"{v:.6g}" for v in x[:2])
    return f"({shown}{', …' if len(x) > 2 else ''})"


def fmt_start(x):
    if len(x) > 2:
        return f"({x[0]:g}, {x[1]:g}, …) n={len(x)}"
    return "(" + ", ".join(f"{v:g}" for v in x) + ")"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--via", choices=["library", "cli", "both"], default="both")
    via = parser.parse_args().via
    # The problem list (names, starts, minima) comes from the library example either way.
    nabla = run_nabla()
    binary = cli_binary() if via != "library" else None
    groups = {}
    for row in nabla:
        groups.setdefault((row["problem"], tuple(row["start"])), []).append(row)
    print("| problem | start | method | minimum found | ‖x − x*‖∞ | f evals | ∇f evals | ∇²f evals | time | note |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    summary = []
    for (name, start), rows in groups.items():
        minimum = rows[0]["minimum"]
        table = run_scipy(name, list(start), minimum)
        for r in rows if via != "cli" else []:
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
        if binary is not None:
            table.extend(run_cli(binary, name, list(start), minimum))
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
    kinds = {"library": ["nabla"], "cli": ["nabla-cli"], "both": ["nabla", "nabla-cli"]}[via]
    groups_of_columns = [
        ["scipy " + theirs] + [f"{kind} {ours}" for kind in kinds]
        for theirs, ours in [("BFGS", "bfgs"), ("L-BFGS-B", "lbfgs"), ("Newton-CG", "newton")]
    ]
    columns = [c for group in groups_of_columns for c in group]
    print(f"| problem | start | {' | '.join(columns)} |")
    print("|---|---|" + "---|" * len(columns))

    def cell(t):
        if t is None:
            return ""
        if "x" not in t:
            return "error"
        return f"{t['nfev']}{'*' if t['distance'] > 1e-6 else ''}"

    for name, start, by_method in summary:
        cells = " | ".join(cell(by_method.get(c)) for c in columns)
        print(f"| {name} | {fmt_start(start)} | {cells} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
