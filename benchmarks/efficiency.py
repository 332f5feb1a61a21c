#!/usr/bin/env python3
"""Parallel efficiency of a compute-bound sweep on a local cluster: 2 workers against 1.

Runs ``spinsweep run`` as a user would (a subprocess each time, into a fresh catalog), on a Curie–Weiss
sweep of equal, compute-bound points (N = 512, 24 points of ~1 s), once with ``--workers 1`` and once
with ``--workers 2``. Efficiency = t1 / (2 t2), from the sweep time the run reports (cluster start-up
excluded; with it, from the wall time, also printed). The client process (which also hosts the
scheduler) shares the two cores: its CPU time is reported. Prints one JSON object.

Never run it while another heavy job shares the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import cpu  # noqa: E402

SPINSWEEP = [sys.executable, "-m", "pipeline"]
TOML = """name = "eff"
model = "curie_weiss"
seed = 5
[grid]
N = [512]
T = {{ start = 0.8, stop = 1.2, num = 12 }}
seeds = 2
[sampler]
thermalize = 1000
sweeps = {sweeps}
bins = 16
"""


def cpu_seconds(pid: int) -> float:
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def one(workers: int, wf: Path, tmp: Path) -> dict:
    cat = tmp / f"w{workers}.zarr"
    env = dict(os.environ, SPINSWEEP_CATALOG=str(cat))
    t0 = time.perf_counter()
    p = subprocess.Popen([*SPINSWEEP, "run", str(wf), "--workers", str(workers), "--no-progress"], env=env,
                         stdout=subprocess.PIPE, text=True)
    client_cpu = 0.0
    while p.poll() is None:
        c = cpu_seconds(p.pid)
        client_cpu = c if c == c else client_cpu
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    out = p.stdout.read()
    if p.returncode != 0:
        sys.exit(f"run failed: {out}")
    sweep_s = float(re.search(r"in all, ([0-9.]+) s", out).group(1))
    return {"workers": workers, "sweep_s": sweep_s, "wall_s": round(wall, 2), "client_cpu_s": round(client_cpu, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweeps", type=int, default=400_000, help="measurement sweeps per point")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="spinsweep-eff-"))
    wf = tmp / "eff.toml"
    wf.write_text(TOML.format(sweeps=args.sweeps))
    one(1, wf, tmp / "warm")  # numba's cache and the OS's file cache warm for both runs
    r1, r2 = one(1, wf, tmp), one(2, wf, tmp)
    print(json.dumps({"one_worker": r1, "two_workers": r2,
                      "efficiency": round(r1["sweep_s"] / (2 * r2["sweep_s"]), 3),
                      "efficiency_wall": round(r1["wall_s"] / (2 * r2["wall_s"]), 3), "cpu": cpu()}, indent=1))


if __name__ == "__main__":
    main()
