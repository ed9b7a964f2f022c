#!/usr/bin/env python3
"""Accuracy of nabla's finite differences against numdifftools and scipy.differentiate.

How to run (from the repository root; the venv lives outside the repository):

    python3 -m venv /work/venvs/fd
    /work/venvs/fd/bin/pip install numdifftools scipy numpy mpmath
    /work/venvs/fd/bin/python bench/fd_vs_numdifftools.py > /tmp/fd_table.md
    # the same against float64 closed forms (the reference of earlier runs):
    /work/venvs/fd/bin/python bench/fd_vs_numdifftools.py --float64-reference

The script runs `cargo run --release -p nabla-autodiff --example fd_accuracy`, which prints one
JSON line per (function, point, kind, entry) with nabla's estimate, error estimate, evaluation
count and the exact value, then evaluates the same functions at the same points with
- numdifftools: `nd.Derivative`, `nd.Gradient`, `nd.Hessian`, default settings, `full_output=True`
  for the error estimate;
- scipy.differentiate: `derivative`, `jacobian` (for gradients) and `hessian`, default settings;
  the error estimate is the `error` attribute.
Every tool's evaluations are counted by wrapping the function and counting the points it is
evaluated at (a vectorised call on k points counts k); for gradient and Hessian entries the count
is that of the whole gradient or Hessian call, as in nabla's output. Exact values are the
true derivatives at the binary input point, computed by mpmath at 50 digits (`mp.diff` of the
50-digit function, checked against the closed forms to 1e-50); with `--float64-reference`, the
Rust example's closed forms evaluated in float64, as in earlier runs of the table, whose own
rounding (up to a few ulps) is of the size of the errors compared near 16 digits. Both
references apply to all tools alike. Correct digits are
-log10 of the relative error (absolute where the exact value is 0), clamped to [0, 17], "nan"
where the tool returned no finite estimate (counted as 0 in the medians); "bound" says whether
the tool's error estimate is >= the true error.

Output: one markdown table side by side, then per-kind medians and a summary line.

With `--random N [--seed S]` (default seed 1), N points per function are drawn from the boxes in
DOMAINS instead, and the output is per function and kind (mean and lowest digits, how often
nabla has at least as many digits as numdifftools), the summary, and a measure of how much of a
row-by-row comparison is luck: each tool against itself one ulp away (`print_ulp_noise`).
"""

import json
import math
import pathlib
import statistics
import subprocess
import sys
import warnings

import mpmath as mp
import numdifftools as nd
import numpy as np
import scipy
from scipy import differentiate as sd

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Same names as in crates/nabla-autodiff/examples/fd_accuracy.rs. Each is written once over a math
# module `m`: numpy (vectorised, as scipy.differentiate evaluates several points per call) for the
# tools, mpmath for the exact references.
SCALAR_OVER = {
    "exp(x)": lambda m, x: m.exp(x),
    "sin(x)": lambda m, x: m.sin(x),
    "ln(x)": lambda m, x: m.log(x),
    "1/(1+x^2)": lambda m, x: 1 / (1 + x * x),
    "x*exp(sin(x))": lambda m, x: x * m.exp(m.sin(x)),
    "sqrt(1+x^2)": lambda m, x: m.sqrt(1 + x * x),
    "tanh(x)": lambda m, x: m.tanh(x),
    "exp(x)*cos(3x)": lambda m, x: m.exp(x) * m.cos(3 * x),
}

BIVARIATE_OVER = {
    "exp(x)*sin(y)+x^2*y^3": lambda m, x, y: m.exp(x) * m.sin(y) + x**2 * y**3,
    "rosenbrock": lambda m, x, y: 100 * (y - x**2) ** 2 + (1 - x) ** 2,
    "sin(x*y)+ln(1+x^2+y^2)": lambda m, x, y: m.sin(x * y) + m.log(1 + x**2 + y**2),
}

# The tools' functions; bivariate ones of v = (x, y), where v may carry extra axes.
SCALAR = {name: (lambda f: lambda x: f(np, x))(f) for name, f in SCALAR_OVER.items()}
BIVARIATE = {name: (lambda f: lambda v: f(np, v[0], v[1]))(f) for name, f in BIVARIATE_OVER.items()}

TOOLS = ("nabla", "numdifftools", "scipy")

# The exact derivatives at the binary input point, in 50-digit arithmetic: the closed forms of
# the Rust example evaluated in float64 carry their own rounding (a few ulps), as large as the
# errors compared near 16 digits. mp.mpf(float) is the float's exact binary value.
mp.mp.dps = 50

MP_SCALAR = {name: (lambda f: lambda x: f(mp, x))(f) for name, f in SCALAR_OVER.items()}
MP_BIVARIATE = {name: (lambda f: lambda x, y: f(mp, x, y))(f) for name, f in BIVARIATE_OVER.items()}


def exact_mp(row):
    """The derivative of the row's entry at the row's (binary) point, to about 45 digits:
    mpmath's differentiation of the 50-digit function (analytic functions: its extrapolated
    differences at 50 digits are exact far beyond float64)."""
    point = [mp.mpf(v) for v in row["point"]]
    if row["kind"] == "derivative":
        return mp.diff(MP_SCALAR[row["function"]], point[0])
    order = [0, 0]
    for i in row["entry"]:  # [i] for a gradient entry, [i, j] for a Hessian entry
        order[i] += 1
    return mp.diff(MP_BIVARIATE[row["function"]], point, tuple(order))


class Counted:
    """Wraps f and counts the points it is evaluated at; `arity` is the length of the leading
    axis that holds the coordinates (0 for scalar functions)."""

    def __init__(self, f, arity):
        self.f, self.arity, self.points = f, arity, 0

    def __call__(self, x):
        x = np.asarray(x, dtype=float)
        self.points += x.size // self.arity if self.arity else x.size
        return self.f(x)


def digits(estimate, exact):
    """Correct digits; NaN when the tool returned no finite estimate. `exact` may be an mpf:
    the error is then taken in 50-digit arithmetic."""
    if not math.isfinite(estimate):
        return math.nan
    error = float(abs(mp.mpf(estimate) - exact))
    relative = error / float(abs(exact)) if exact != 0 else error
    return min(17.0, max(0.0, -math.log10(max(relative, 1e-17))))


def zero_if_nan(d):
    return 0.0 if math.isnan(d) else d


def result(estimate, error_estimate, evaluations, exact):
    true_error = float(abs(mp.mpf(float(estimate)) - exact))
    return {
        "digits": digits(float(estimate), exact),
        "evaluations": int(evaluations),
        # False for a NaN estimate or error estimate: nothing is bounded.
        "bound": bool(float(error_estimate) >= true_error),
        # How pessimistic the estimate is; undefined for an exact answer.
        "overestimate": float(error_estimate) / true_error if true_error > 0 else math.nan,
    }


def numdifftools_call(kind, f, point):
    """(estimates, error estimates, evaluations) for the whole call."""
    if kind == "derivative":
        g = Counted(f, 0)
        r = nd.Derivative(g, full_output=True)(point[0])
    elif kind == "gradient":
        g = Counted(f, 2)
        r = nd.Gradient(g, full_output=True)(np.array(point))
    else:
        g = Counted(f, 2)
        r = nd.Hessian(g, full_output=True)(np.array(point))
    estimate = np.asarray(r.estimate, dtype=float)
    error = np.asarray(r.error_estimate, dtype=float).reshape(estimate.shape)
    return estimate, error, g.points


def scipy_call(kind, f, point):
    if kind == "derivative":
        g = Counted(f, 0)
        r = sd.derivative(g, point[0])
        return np.asarray(r.df), np.asarray(r.error), g.points
    g = Counted(f, 2)
    if kind == "gradient":
        r = sd.jacobian(g, np.array(point))
        return np.asarray(r.df), np.asarray(r.error), g.points
    r = sd.hessian(g, np.array(point))
    return np.asarray(r.ddf), np.asarray(r.error), g.points


# Where `--random` draws its points: boxes inside each function's domain, at most a few of its
# scales wide, so that no tool meets a singularity or an overflow.
DOMAINS = {
    "exp(x)": [(-3, 3)],
    "sin(x)": [(-3, 3)],
    "ln(x)": [(0.2, 10)],
    "1/(1+x^2)": [(-2, 2)],
    "x*exp(sin(x))": [(-3, 3)],
    "sqrt(1+x^2)": [(-3, 3)],
    "tanh(x)": [(-2.5, 2.5)],
    "exp(x)*cos(3x)": [(-1.5, 1.5)],
    "exp(x)*sin(y)+x^2*y^3": [(-1.5, 1.5), (-1.5, 1.5)],
    "rosenbrock": [(-2, 2), (-1, 3)],
    "sin(x*y)+ln(1+x^2+y^2)": [(-2, 2), (-2, 2)],
}


def random_points(count, seed):
    """`count` (function, point) pairs per function, uniform in its box, rounded to 3 decimals
    as a user would type them."""
    rng = np.random.default_rng(seed)
    return [
        (name, [round(float(rng.uniform(lo, hi)), 3) for lo, hi in box])
        for name, box in DOMAINS.items()
        for _ in range(count)
    ]


def as_cases(points):
    """(function, point) pairs as the example's standard input: name, then coordinates,
    tab-separated."""
    return "".join("\t".join([name] + [repr(v) for v in point]) + "\n" for name, point in points)


def run_nabla(cases=None):
    """nabla's rows: the example's fixed points, or the `cases` given (see `as_cases`)."""
    args = ["cargo", "run", "--release", "-q", "-p", "nabla-autodiff", "--example", "fd_accuracy"]
    out = subprocess.run(
        args + (["--", "--stdin"] if cases else []),
        input=cases,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def option(name, default):
    """The integer after `name` on the command line, or `default`."""
    args = sys.argv[1:]
    return int(args[args.index(name) + 1]) if name in args else default


def print_by_function(rows):
    """Per function and kind: mean and lowest digits of each tool, in how many rows nabla has
    at least as many digits as numdifftools, and the median evaluations."""
    print(
        "| function | kind | rows | "
        + " | ".join(f"{t} mean digits | lowest" for t in TOOLS)
        + " | nabla >= numdifftools | nabla evals (median) | numdifftools evals |"
    )
    print("|---|---|--:|" + "--:|--:|" * len(TOOLS) + "--:|--:|--:|")
    groups = {}
    for r in rows:
        groups.setdefault((r["function"], r["kind"]), []).append(r)
    for (function, kind), sub in groups.items():
        means = []
        for t in TOOLS:
            d = [zero_if_nan(r[t]["digits"]) for r in sub]
            means.append(f"{statistics.mean(d):.2f} | {min(d):.1f}")
        ahead = sum(r["nabla"]["digits"] >= r["numdifftools"]["digits"] for r in sub)
        evals = [statistics.median(r[t]["evaluations"] for r in sub) for t in ("nabla", "numdifftools")]
        print(
            f"| `{function}` | {kind} | {len(sub)} | "
            + " | ".join(means)
            + f" | {ahead} | {evals[0]:g} | {evals[1]:g} |"
        )


def print_ulp_noise(count, seed):
    """How much of a row-by-row comparison is luck: each tool's first derivatives at `count`
    random points per function of one variable against its own at the next float up (a step of
    one ulp, which changes nothing a method does but the rounding it meets)."""
    cases = []
    for name, (x, *rest) in random_points(count, seed):
        if not rest:
            cases += [(name, x), (name, float(np.nextafter(x, np.inf)))]
    exact = [mp.diff(MP_SCALAR[name], mp.mpf(x)) for name, x in cases]
    rows = run_nabla(as_cases((name, [x]) for name, x in cases))
    estimates = {
        "nabla": [r["estimate"] for r in rows],
        "numdifftools": [numdifftools_call("derivative", SCALAR[n], [x])[0] for n, x in cases],
    }
    for tool, values in estimates.items():
        d = [digits(float(v), e) for v, e in zip(values, exact)]
        pairs = list(zip(d[0::2], d[1::2]))
        fewer = sum(b < a for a, b in pairs)
        far = sum(b < a - 0.5 for a, b in pairs)
        print(
            f"{tool} at x + 1 ulp against itself at x: fewer digits in {fewer}/{len(pairs)} "
            f"rows, more than half a digit fewer in {far}/{len(pairs)}."
        )


def main():
    float64_reference = "--float64-reference" in sys.argv[1:]
    per_function = option("--random", 0)
    seed = option("--seed", 1)
    rows = run_nabla(as_cases(random_points(per_function, seed)) if per_function else None)
    peers = {"numdifftools": numdifftools_call, "scipy": scipy_call}
    cache = {}  # one peer call per (tool, function, point, kind): gradient/Hessian entries share it
    for row in rows:
        kind = "hessian" if row["kind"].startswith("hessian") else row["kind"]
        f = SCALAR[row["function"]] if kind == "derivative" else BIVARIATE[row["function"]]
        if not float64_reference:
            row["exact"] = exact_mp(row)
        row["nabla"] = result(row["estimate"], row["error_estimate"], row["evaluations"], row["exact"])
        for tool, call in peers.items():
            key = (tool, row["function"], tuple(row["point"]), kind)
            if key not in cache:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    cache[key] = call(kind, f, row["point"])
            estimate, error, evaluations = cache[key]
            index = tuple(row["entry"])
            row[tool] = result(estimate[index], error[index], evaluations, row["exact"])

    print(f"numdifftools {nd.__version__}, scipy {scipy.__version__}, numpy {np.__version__}, mpmath {mp.__version__}; reference: {'float64 closed forms' if float64_reference else 'mpmath, 50 digits'}\n")
    if per_function:
        print(f"{per_function} random points per function (seed {seed}), boxes in DOMAINS\n")
        print_by_function(rows)
        print()
        print_summary(rows, list_behind=False)
        print()
        print_ulp_noise(per_function, seed)
        return
    head = "| function | point | kind |"
    rule = "|---|---|---|"
    for tool in TOOLS:
        head += f" {tool} digits | evals | bound |"
        rule += "--:|--:|:-:|"
    print(head)
    print(rule)
    for row in rows:
        point = ", ".join(f"{v:g}" for v in row["point"])
        entry = "".join(map(str, row["entry"]))
        kind = row["kind"] + (f" {entry}" if entry else "")
        line = f"| `{row['function']}` | ({point}) | {kind} |"
        for tool in TOOLS:
            r = row[tool]
            line += f" {r['digits']:.1f} | {r['evaluations']} | {'yes' if r['bound'] else '**no**'} |"
        print(line)

    print("\nMedians per kind (evaluations are per derivative / gradient / Hessian call):\n")
    print("| kind | rows | " + " | ".join(f"{t} digits | {t} evals" for t in TOOLS) + " |")
    print("|---|--:|" + "--:|--:|" * len(TOOLS))
    for kind in ("derivative", "gradient", "hessian-pure", "hessian-mixed"):
        sub = [r for r in rows if r["kind"] == kind]
        cells = []
        for tool in TOOLS:
            cells.append(f"{statistics.median(zero_if_nan(r[tool]['digits']) for r in sub):.1f}")
            cells.append(f"{statistics.median(r[tool]['evaluations'] for r in sub):g}")
        print(f"| {kind} | {len(sub)} | " + " | ".join(cells) + " |")

    print()
    print_summary(rows)


def print_summary(rows, list_behind=True):
    parts = []
    for tool in TOOLS:
        med_digits = statistics.median(zero_if_nan(r[tool]["digits"]) for r in rows)
        med_evals = statistics.median(r[tool]["evaluations"] for r in rows)
        misses = sum(not r[tool]["bound"] for r in rows)
        ratios = [r[tool]["overestimate"] for r in rows if math.isfinite(r[tool]["overestimate"])]
        parts.append(
            f"{tool}: median {med_digits:.1f} digits "
            f"(mean {statistics.mean(zero_if_nan(r[tool]['digits']) for r in rows):.3f}), "
            f"median {med_evals:g} evaluations, "
            f"error estimate below true error in {misses}/{len(rows)} "
            f"(median error estimate / true error {statistics.median(ratios):.2g})"
        )
    print("Summary: " + "; ".join(parts) + ".")
    more_digits = sum(r["nabla"]["digits"] >= r["numdifftools"]["digits"] for r in rows)
    far_behind = sum(r["nabla"]["digits"] < r["numdifftools"]["digits"] - 0.5 for r in rows)
    fewer_evals = sum(r["nabla"]["evaluations"] <= r["numdifftools"]["evaluations"] for r in rows)
    print(
        f"nabla vs numdifftools: at least as many digits in {more_digits}/{len(rows)} rows, "
        f"no more evaluations in {fewer_evals}/{len(rows)} rows; "
        f"more than half a digit behind in {far_behind}/{len(rows)} rows."
    )
    behind = [r for r in rows if r["nabla"]["digits"] < r["numdifftools"]["digits"]]
    for r in behind if list_behind else []:
        print(
            f"- fewer digits than numdifftools: {r['function']} at {r['point']} {r['kind']} "
            f"{r['entry']}: {r['nabla']['digits']:.2f} vs {r['numdifftools']['digits']:.2f}"
        )


if __name__ == "__main__":
    main()
