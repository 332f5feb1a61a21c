"""Many tiny points: bounded work in flight, big write batches, each point stored once.

The full 100 000-point measurement (points per second, client RSS, catalog command latency) is
``benchmarks/scale.py``; this is its CI-sized version.
"""

from __future__ import annotations

import numpy as np

from pipeline.run.graph import run_workflow
from pipeline.run.tasks import make_tasks, pending_units
from pipeline.spec.workflow import parse_workflow
from pipeline.store.catalog import CHUNK_POINTS, Catalog, grid_chunk_shape

TOML = """
name = "many"
model = "curie_weiss"
seed = 3
[grid]
N = [8]
T = {{ start = 0.5, stop = 2.0, num = 50 }}
seeds = {seeds}
[sampler]
thermalize = 10
sweeps = 40
bins = 8
"""


def test_tiny_points_are_grouped_into_few_tasks():
    """20 000 points of ~1 ms: ~4 tasks per worker, none above the maximum task size, every point once."""
    wf = parse_workflow(TOML.format(seeds=400))
    tasks = make_tasks(wf, pending_units(wf, np.zeros(wf.shape, bool)), n_workers=2)
    sizes = [sum(len(pts) for _, pts in t) for t in tasks]
    assert sum(sizes) == wf.n_points == 20000
    assert 4 <= len(tasks) <= 16, sizes
    idx = [i for t in tasks for _, pts in t for i, _ in pts]
    assert len(set(idx)) == len(idx)


def test_big_grids_are_chunked_so_a_batch_rewrites_little(tmp_path):
    wf = parse_workflow(TOML.format(seeds=2000))  # 100 000 points
    from pipeline.run.sweep import layout_for

    ch = grid_chunk_shape(layout_for(wf))
    assert np.prod(ch) <= CHUNK_POINTS and ch[0] == 1


def test_a_sweep_of_many_tiny_points_completes_with_bounded_work_in_flight(tmp_path, client):
    """5000 points through the client: never more than a few tasks per worker in flight, results written in
    a bounded number of batches, and every point stored exactly once."""
    wf = parse_workflow(TOML.format(seeds=100))
    cat = Catalog(tmp_path / "c.zarr")
    in_flight, batches = [], []

    def watch(n):
        in_flight.append(len(client.futures))
        batches.append(n)

    rep = run_workflow(wf, cat, client, progress=False, on_batch=watch)
    assert rep.computed == wf.n_points == 5000 and rep.failed == 0
    assert max(in_flight) <= 3 * 2, in_flight  # window_per_worker x workers
    assert len(batches) <= 40, batches  # flushes are time-limited, not one per handful of points
    ds = cat.open("many")
    assert bool(ds["done"].all()) and (ds["n_stored"].values == 1).all()
    assert np.isfinite(ds["m_abs"].values).all()
