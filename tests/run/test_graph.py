"""The Dask runner on a real LocalCluster: reproducibility, resume, refusal, streaming writes."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from pipeline.errors import CatalogError
from pipeline.run.graph import run_workflow
from pipeline.spec.workflow import load_workflow
from pipeline.store.catalog import Catalog
from tests.conftest import cw_workflow


def _data(cat: Catalog, name: str) -> xr.Dataset:
    return cat.open(name).load()


def _assert_identical(a: xr.Dataset, b: xr.Dataset) -> None:
    assert set(a.data_vars) == set(b.data_vars)
    for v in a.data_vars:
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)


def test_run_stores_every_point_and_resume_computes_nothing(tmp_path, client):
    wf = load_workflow(cw_workflow(tmp_path, N=(16, 32, 64), T=(0.8, 1.0, 1.2), seeds=2))
    cat = Catalog(tmp_path / "c.zarr")
    rep = run_workflow(wf, cat, client, progress=False)
    assert rep.computed == rep.total == 18
    ds = _data(cat, "cw")
    assert bool(ds.done.all()) and bool(ds.converged.all())
    assert dict(ds.sizes) == {"N": 3, "T": 3, "seed": 2, "bin": 16}
    assert not np.isnan(ds.m_abs).any()
    again = run_workflow(wf, cat, client, progress=False)
    assert again.computed == 0 and again.already_done == 18


def test_results_do_not_depend_on_task_cut_or_worker_count(tmp_path, client):
    """Same workflow, different task sizes and a 1-worker in-process run: bit-identical arrays."""
    from distributed import Client, LocalCluster

    path = cw_workflow(tmp_path, N=(16, 64), T=(0.8, 1.0, 1.2), seeds=2)
    a = Catalog(tmp_path / "a.zarr")
    run_workflow(load_workflow(path), a, client, progress=False)
    b = Catalog(tmp_path / "b.zarr")
    wf1 = load_workflow(path)
    wf1 = wf1.model_copy(update={"run": wf1.run.model_copy(update={"points_per_task": 1})})
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as lc, \
            Client(lc) as c1:
        run_workflow(wf1, b, c1, progress=False)
    _assert_identical(_data(a, "cw"), _data(b, "cw"))


def test_partial_store_resumes_to_the_same_arrays(tmp_path, client):
    """A sweep interrupted after its first batch and rerun equals an uninterrupted one."""
    path = cw_workflow(tmp_path, N=(16, 32, 64, 128), T=(0.8, 1.0, 1.2), seeds=2)
    wf = load_workflow(path)
    wf = wf.model_copy(update={"run": wf.run.model_copy(update={"points_per_task": 2})})
    clean = Catalog(tmp_path / "clean.zarr")
    run_workflow(wf, clean, client, progress=False)

    class Stop(Exception):
        pass

    def stop_after_first_batch(n):
        raise Stop

    part = Catalog(tmp_path / "part.zarr")
    with pytest.raises(Stop):
        run_workflow(wf, part, client, progress=False, flush_points=4, min_flush_seconds=0,
                     on_batch=stop_after_first_batch)
    n_done = int(part.done_mask("cw").sum())
    assert 0 < n_done < wf.n_points
    rep = run_workflow(wf, part, client, progress=False)
    assert rep.already_done == n_done and rep.computed == wf.n_points - n_done
    _assert_identical(_data(clean, "cw"), _data(part, "cw"))


def test_changed_workflow_under_same_name_is_refused(tmp_path, client):
    cat = Catalog(tmp_path / "c.zarr")
    run_workflow(load_workflow(cw_workflow(tmp_path, seeds=2)), cat, client, progress=False)
    changed = load_workflow(cw_workflow(tmp_path, seeds=3))
    with pytest.raises(CatalogError, match=r"different specification \(grid.seed: .*--overwrite"):
        run_workflow(changed, cat, client, progress=False)
    rep = run_workflow(changed, cat, client, progress=False, overwrite=True)
    assert rep.computed == changed.n_points
    assert _data(cat, "cw").sizes["seed"] == 3


def test_rerun_takes_the_edited_reduce_settings_and_stales_the_old_reduction(tmp_path, client):
    """[reduce] shapes no stored point: a rerun after editing it computes nothing, stores the new settings, and
    the reduction made with the old ones is no longer served as current."""
    import json

    from pipeline.reduce import reduce_sweep, stored_result

    path = cw_workflow(tmp_path, N=(16, 32, 64), T=(0.85, 0.95, 1.0, 1.05, 1.15), seeds=2, sweeps=1000)
    cat = Catalog(tmp_path / "c.zarr")
    run_workflow(load_workflow(path), cat, client, progress=False)
    reduce_sweep(cat, "cw")
    assert stored_result(cat, "cw") is not None
    path.write_text(path.read_text() + "\n[reduce]\nn_boot = 50\n")
    rep = run_workflow(load_workflow(path), cat, client, progress=False)
    assert rep.computed == 0
    assert json.loads(cat.attrs("cw")["reduce_settings"]) == {"n_boot": 50}
    assert stored_result(cat, "cw") is None


def test_disorder_stream_ignores_temperature():
    from pipeline.rng.streams import Streams

    a = Streams(1, "m", {"N": 8, "T": 0.5, "seed": 0}).disorder().integers(0, 2**31, 4)
    b = Streams(1, "m", {"N": 8, "T": 1.5, "seed": 0}).disorder().integers(0, 2**31, 4)
    c = Streams(1, "m", {"N": 8, "T": 0.5, "seed": 1}).disorder().integers(0, 2**31, 4)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    ta = Streams(1, "m", {"N": 8, "T": 0.5, "seed": 0}).thermal()
    tb = Streams(1, "m", {"N": 8, "T": 1.5, "seed": 0}).thermal()
    assert not np.array_equal(ta, tb)


def test_grid_subsets_run_only_requested_points(tmp_path, client):
    from tests.spec.test_workflow import HOP

    path = tmp_path / "hop.toml"
    path.write_text(HOP)
    wf = load_workflow(path)
    cat = Catalog(tmp_path / "c.zarr")
    rep = run_workflow(wf, cat, client, progress=False)
    assert rep.computed == rep.total == 28
    ds = _data(cat, "hop")
    assert np.array_equal(ds["done"].values, wf.requested()) and np.array_equal(ds["requested"].values, wf.requested())
    assert np.isnan(ds["m"].values[~wf.requested()]).all() and not np.isnan(ds["m"].values[wf.requested()]).any()


def test_killed_worker_loses_nothing(tmp_path):
    """SIGKILL one worker process mid-sweep: its tasks are rerun elsewhere, every point stored once, and the
    arrays equal those of an undisturbed run."""
    import os
    import signal

    from distributed import Client, LocalCluster

    path = cw_workflow(tmp_path, N=(64, 128, 256), T=(0.8, 0.9, 1.0, 1.1, 1.2), seeds=2, sweeps=20000)
    wf = load_workflow(path)
    wf = wf.model_copy(update={"run": wf.run.model_copy(update={"points_per_task": 1})})
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as lc, \
            Client(lc) as c:
        clean = Catalog(tmp_path / "clean.zarr")
        run_workflow(wf, clean, c, progress=False)
        pids = list(c.run(os.getpid).values())
        killed = []

        def kill_once(n):
            if not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(n)

        hit = Catalog(tmp_path / "hit.zarr")
        rep = run_workflow(wf, hit, c, progress=False, flush_points=1, min_flush_seconds=0, on_batch=kill_once)
    assert killed and rep.computed == wf.n_points
    _assert_identical(_data(clean, "cw"), _data(hit, "cw"))


def test_a_failing_point_is_stored_as_failed_and_the_rest_completes(tmp_path, monkeypatch):
    """A point whose simulation raises (the driver's fault hook, set in the worker processes' environment)
    is stored as failed with its message; every other point completes with the arrays of a clean run, and
    a rerun without the fault computes only that point."""
    from distributed import Client, LocalCluster

    from pipeline.samplers.driver import FAULT_ENV

    path = cw_workflow(tmp_path, N=(16, 32), T=(0.8, 1.2), seeds=2)
    wf = load_workflow(path)
    clean = Catalog(tmp_path / "clean.zarr")
    cat = Catalog(tmp_path / "c.zarr")
    monkeypatch.setenv(FAULT_ENV, "N=32,T=1.2,seed=1")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as lc, Client(lc) as c:
        rep = run_workflow(wf, cat, c, progress=False)
    monkeypatch.delenv(FAULT_ENV)
    assert rep.computed == 7 and rep.failed == 1
    assert rep.failures[0][0] == {"N": 32, "T": 1.2, "seed": 1}
    assert "FloatingPointError: injected fault" in rep.failures[0][1]
    ds = _data(cat, "cw")
    assert ds["failed"].sel(N=32, T=1.2, seed=1) and int(ds["failed"].sum()) == 1
    assert not ds["done"].sel(N=32, T=1.2, seed=1) and int(ds["done"].sum()) == 7
    (msg,) = cat.failures("cw").values()
    assert msg["coords"] == {"N": 32, "T": 1.2, "seed": 1} and "injected fault" in msg["error"]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as lc, Client(lc) as c:
        run_workflow(wf, clean, c, progress=False)
        rep = run_workflow(wf, cat, c, progress=False)
    assert rep.already_done == 7 and rep.computed == 1 and rep.failed == 0
    assert cat.failures("cw") == {}
    a, b = _data(clean, "cw"), _data(cat, "cw")
    assert int(b["failed"].sum()) == 0 and (b["n_stored"].values == 1).all()
    _assert_identical(a, b)


def test_a_point_that_kills_its_workers_is_stored_as_failed(tmp_path, monkeypatch):
    """A point whose task kills every worker that runs it (the fault hook's ``crash:``: the process exits, as on
    a segfault or an OOM kill) ends as Dask's KilledWorker, taking the tasks beside it on the dying worker
    along; spinsweep reruns those points one at a time at the end, so only the culprit is stored as failed
    (with that message), and the other points complete with the arrays of a clean run."""
    import dask
    from distributed import Client, LocalCluster

    from pipeline.samplers.driver import FAULT_ENV

    wf = load_workflow(cw_workflow(tmp_path, N=(16,), T=(0.8, 1.0, 1.2), seeds=2))
    wf = wf.model_copy(update={"run": wf.run.model_copy(update={"points_per_task": 1})})
    cat, clean = Catalog(tmp_path / "c.zarr"), Catalog(tmp_path / "clean.zarr")
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address="127.0.0.1:0") as lc, Client(lc) as c:
            run_workflow(wf, clean, c, progress=False)
        monkeypatch.setenv(FAULT_ENV, "crash:T=1.2,seed=0")
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address="127.0.0.1:0") as lc, Client(lc) as c:
            rep = run_workflow(wf, cat, c, progress=False)
    assert rep.computed == 5 and rep.failed == 1, rep.failures
    assert "KilledWorker" in rep.failures[0][1] and rep.failures[0][0] == {"N": 16, "T": 1.2, "seed": 0}
    failed = cat.failed_mask("cw")
    assert int(failed.sum()) == 1 and int(cat.done_mask("cw").sum()) == 5
    a, b = _data(clean, "cw"), _data(cat, "cw")
    for v in a.data_vars:
        if v not in ("done", "failed", "n_stored"):
            np.testing.assert_array_equal(a[v].values[~failed], b[v].values[~failed], err_msg=v)
