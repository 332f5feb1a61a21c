#!/usr/bin/env python3
"""spinsweep's numba kernels against the hand-written C references, side by side in one run.

Builds the C programs of ``../shared/perf-reference`` (override with ``--perf-reference``) into
``benchmarks/_build``, then alternates C and ``spinsweep bench`` runs of the same algorithm, stream
and parameters, and prints the best flips/s of each and their ratio (numba / C), plus whether the
sanity numbers agree (they do for a faithful port with the same seed). Usage::

    python benchmarks/bench_vs_c.py            # CW N=1024 T=1, Hopfield N=1000 a=0.1 T=0.3, SK N=512 T=0.8, RBM 784x500
    python benchmarks/bench_vs_c.py --repeat 5 --json
    python benchmarks/bench_vs_c.py --isa avx2   # both sides restricted to AVX2 (x86-64-v3) on an AVX-512 CPU

``--isa avx2`` builds the C programs with ``-march=x86-64-v3`` and runs numba with ``NUMBA_CPU_NAME=x86-64-v3``
and an explicit feature list: ``NUMBA_CPU_NAME`` alone keeps the host's features (AVX-512 included), so it
does not restrict anything. The CPU model and its vector flags are printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CASES = {
    "cw": {"c": ["cw_metropolis", "1024", "1.0", "{sweeps}", "{seed}"], "sweeps": 200000,
           "py": ["bench", "cw", "--N", "1024", "--T", "1.0", "--sweeps", "{sweeps}", "--seed", "{seed}"],
           "sanity": ["mean_abs_m", "e_final", "acc_rate"]},
    "hopfield": {"c": ["hopfield_metropolis", "1000", "0.1", "0.3", "{sweeps}", "{seed}"], "sweeps": 100000,
                 "py": ["bench", "hopfield", "--N", "1000", "--alpha", "0.1", "--T", "0.3", "--sweeps",
                        "{sweeps}", "--seed", "{seed}"],
                 "sanity": ["overlap0_mean", "e_final", "acc_rate"]},
    "sk": {"c": ["sk_metropolis", "512", "0.8", "{sweeps}", "{seed}"], "sweeps": 100000,
           "py": ["bench", "sk", "--N", "512", "--T", "0.8", "--sweeps", "{sweeps}", "--seed", "{seed}"],
           "sanity": ["e_final", "acc_rate"]},
    "rbm": {"c": ["rbm_gibbs", "784", "500", "{sweeps}", "{seed}"], "sweeps": 20000,
            "py": ["bench", "rbm", "--Nv", "784", "--Nh", "500", "--T", "1.0", "--sweeps", "{sweeps}",
                   "--seed", "{seed}"],
            "sanity": ["mean_v", "mean_h", "e_final"]},
}


#: per instruction set: C compiler flags and the environment of the numba runs (None: the host's)
ISAS = {
    "native": ("-O3 -march=native -std=c99", {}),
    "avx2": ("-O3 -march=x86-64-v3 -std=c99",
             {"NUMBA_CPU_NAME": "x86-64-v3", "NUMBA_CPU_FEATURES": "+avx2,+fma,+bmi,+bmi2,+popcnt,+lzcnt"}),
}


def cpu() -> dict:
    """The CPU model and the vector flags that matter here, from /proc/cpuinfo (Linux)."""
    info = {"model": platform.processor() or platform.machine(), "family": None, "cpu_model": None}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return info | {"flags": []}
    fields = dict(line.split(":", 1) for line in text.split("\n\n")[0].splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = fields.get("flags", "").split()
    vector = [f for f in ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni") if f in flags]
    return {"model": fields.get("model name", info["model"]), "family": fields.get("cpu family"),
            "cpu_model": fields.get("model"), "flags": vector}


def build(perf: Path, isa: str) -> Path:
    out = ROOT / "benchmarks" / "_build" / isa
    out.mkdir(parents=True, exist_ok=True)
    for f in perf.glob("*.c"):
        shutil.copy(f, out / f.name)
    shutil.copy(perf / "Makefile", out / "Makefile")
    subprocess.run(["make", "-s", "-B", "-C", str(out), f"CFLAGS={ISAS[isa][0]}"], check=True)
    return out


def run_json(cmd: list[str], env: dict | None = None) -> dict:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="*", default=list(CASES), help=f"which kernels ({', '.join(CASES)})")
    ap.add_argument("--perf-reference", type=Path, default=ROOT.parent / "shared" / "perf-reference")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the number of sweeps")
    ap.add_argument("--isa", choices=list(ISAS), default="native",
                    help="instruction set of both sides: the host's, or AVX2 only (x86-64-v3)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    build_dir = build(a.perf_reference, a.isa)
    env = os.environ | ISAS[a.isa][1]
    host = cpu()
    if not a.json:
        print(f"CPU: {host['model']} (family {host['family']}, model {host['cpu_model']}), "
              f"flags {' '.join(host['flags'])}; both sides built for: {a.isa}")
    spinsweep = [sys.executable, "-m", "pipeline"]
    report = []
    for name in a.cases:
        case = CASES[name]
        fill = {"sweeps": str(int(case["sweeps"] * a.scale)), "seed": str(a.seed)}
        c_cmd = [str(build_dir / case["c"][0])] + [x.format(**fill) for x in case["c"][1:]]
        py_cmd = spinsweep + [x.format(**fill) for x in case["py"]] + ["--json"]
        run_json(py_cmd, env)  # warm the JIT cache
        c_runs, py_runs = [], []
        for _ in range(a.repeat):
            c_runs.append(run_json(c_cmd))
            py_runs.append(run_json(py_cmd, env))
        c_best = max(r["flips_per_s"] for r in c_runs)
        py_best = max(r["flips_per_s"] for r in py_runs)
        # the C programs print 6 to 10 decimals: equal to the printed digits
        same = all(abs(c_runs[0][k] - py_runs[0][k]) <= 5e-7 for k in case["sanity"])
        row = {"kernel": name, "c_flips_per_s": c_best, "numba_flips_per_s": py_best,
               "ratio": py_best / c_best, "sanity_identical": same, "sweeps": int(fill["sweeps"]), "isa": a.isa, "cpu": host}
        report.append(row)
        if not a.json:
            print(f"{name:9s} C {c_best:.3e} flips/s   numba {py_best:.3e} flips/s   ratio {row['ratio']:.2f}"
                  f"   sanity numbers {'identical' if same else 'DIFFER'}")
    if a.json:
        print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
