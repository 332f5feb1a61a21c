#!/usr/bin/env python3
"""A sweep of many trivially small points: throughput, client memory, catalog commands' latency.

Runs ``spinsweep run`` as a user would (a subprocess, local cluster of ``--workers`` processes) on a
Curie–Weiss grid of N = 8 with a short chain per point, samples the client process's peak RSS
(``VmHWM``) and the whole process tree's CPU time, then times ``catalog list``, ``catalog show`` and a
``catalog query`` with two ``--where`` filters (interpreter start-up included). Prints one JSON object.

    python benchmarks/scale.py                # 100 000 points
    python benchmarks/scale.py --points 5000  # quicker

Never run it while another heavy job shares the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPINSWEEP = [sys.executable, "-m", "pipeline"]


def cpu() -> str:
    model, flags = platform.processor() or "?", ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags"):
                have = set(line.split(":", 1)[1].split())
                flags = " ".join(f for f in ("avx2", "fma", "avx512f") if f in have)
                break
    except OSError:
        pass
    return f"{model} ({os.cpu_count()} cores; {flags})"


def workflow(path: Path, n_points: int, sweeps: int) -> Path:
    n_T = 100
    seeds = max(1, n_points // n_T)
    path.write_text(f"""name = "scale"
model = "curie_weiss"
seed = 1
[grid]
N = [8]
T = {{ start = 0.5, stop = 2.0, num = {n_T} }}
seeds = {seeds}
[sampler]
thermalize = 10
sweeps = {sweeps}
bins = 8
""")
    return path


def peak_rss_kib(pid: int) -> int:
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def serial_seconds_per_point(wf: Path, n: int = 2000) -> float:
    """A point's own cost: the worker entry point run in this process over ``n`` points (warmed up)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from pipeline.samplers.driver import run_task
    from pipeline.spec.grid import coords_of, iter_indices
    from pipeline.spec.workflow import load_workflow

    w = load_workflow(wf)
    idx = [i for _, i in zip(range(n), iter_indices(w), strict=False)]
    units = [(None, [(i, coords_of(w, i))]) for i in idx]
    run_task(w.model, units[:20], w.sampler, w.seed)
    t0 = time.perf_counter()
    run_task(w.model, units, w.sampler, w.seed)
    return (time.perf_counter() - t0) / len(units)


def timed(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--sweeps", type=int, default=40, help="measurement sweeps per point (N = 8)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="spinsweep-scale-"))
    wf = workflow(tmp / "scale.toml", args.points, args.sweeps)
    cat = tmp / "c.zarr"
    env = dict(os.environ, SPINSWEEP_CATALOG=str(cat))
    t0 = time.perf_counter()
    p = subprocess.Popen([*SPINSWEEP, "run", str(wf), "--workers", str(args.workers), "--no-progress"], env=env,
                         stdout=subprocess.PIPE, text=True)
    rss = 0
    while p.poll() is None:
        rss = max(rss, peak_rss_kib(p.pid))
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    out = p.stdout.read()
    if p.returncode != 0:
        sys.exit(f"run failed ({p.returncode}): {out}")
    import resource

    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    import xarray as xr

    per_point = serial_seconds_per_point(wf)

    n_done = int(xr.open_zarr(cat, group="scale")["done"].sum())
    lat = {
        "catalog_list_s": timed([*SPINSWEEP, "catalog", "list"], env),
        "catalog_show_s": timed([*SPINSWEEP, "catalog", "show", "scale"], env),
        "catalog_query_s": timed([*SPINSWEEP, "catalog", "query", "scale", "--var", "m_abs", "--where", "T<0.8",
                                  "--where", "seed=3", "--format", "json"], env),
    }
    print(json.dumps({
        "points": n_done, "workers": args.workers, "wall_s": round(wall, 1),
        "points_per_s": round(n_done / wall, 1),
        "client_peak_rss_MiB": round(rss / 1024, 1),
        "compute_ms_per_point_one_core": round(per_point * 1e3, 3),
        "overhead_ms_per_point": round((wall * args.workers / max(n_done, 1) - per_point) * 1e3, 3),
        "cpu_s_all_processes": round(child.ru_utime + child.ru_stime, 1),
        "run_output": out.strip(),
        "note": "overhead = wall x workers / points - compute per point: scheduling, transfer, the client's "
                "writes (the client shares the cores)", **{k: round(v, 2) for k, v in lat.items()}, "cpu": cpu(),
    }, indent=1))


if __name__ == "__main__":
    main()
