"""Parallel tempering, generic: exact Boltzmann energy distributions on two models, ladder outputs in the
store, reproducibility whatever the workers, and a SIGKILLed client whose ladders are rerun whole."""

from __future__ import annotations

import itertools
import math
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import xarray as xr
from scipy.stats import chi2

from pipeline.models import get_model
from pipeline.models.hopfield import _REC_MSQ
from pipeline.samplers import make_settings
from pipeline.samplers.base import ChainSet
from pipeline.stats import tau_int
from tests.test_cli import _done

CW, HOP = get_model("curie_weiss"), get_model("hopfield")


def _chi2_pvalue(levels: np.ndarray, series: np.ndarray, probs: np.ndarray) -> tuple[float, float]:
    """p-value of the observed energy histogram against exact level probabilities.

    The series is autocorrelated: χ² is divided by 2τ_int of the level index (the variance inflation of a
    histogram count of a correlated series), and levels with an expected count below 5 are pooled.
    """
    idx = np.searchsorted(levels, series)
    assert np.all(levels[idx] == series)
    counts = np.bincount(idx, minlength=levels.size).astype(float)
    n = counts.sum()
    expected = probs * n
    keep = expected >= 5
    obs = np.append(counts[keep], counts[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    if exp[-1] < 5:
        obs, exp = obs[:-1], exp[:-1]
    x2 = float(((obs - exp) ** 2 / exp).sum())
    tau = max(0.5, tau_int(idx.astype(float)))
    return float(chi2.sf(x2 / (2 * tau), len(obs) - 1)), tau


def _cw_exact(N: int, T: float) -> tuple[np.ndarray, np.ndarray]:
    """The CW energy levels (as the integer M²) and their exact Boltzmann probabilities at N, T."""
    M = np.arange(-N, N + 1, 2)
    g = np.array([math.comb(N, (N + m) // 2) for m in M], dtype=float)
    E = -(M.astype(float) ** 2 - N) / (2 * N)
    M2 = np.unique(M * M)
    w = np.array([sum(g[k] * np.exp(-(E[k] - E.min()) / T) for k in range(M.size) if M[k] ** 2 == m2) for m2 in M2])
    return M2, w / w.sum()


def _hop_exact(xi: np.ndarray, T: float) -> tuple[np.ndarray, np.ndarray]:
    """Levels of Σ_μ M_μ² over all 2^N states of the patterns ξ and their Boltzmann probabilities."""
    N, P = xi.shape
    states = np.array(list(itertools.product((-1, 1), repeat=N)), dtype=np.int64)
    msq = ((states @ xi.astype(np.int64)) ** 2).sum(axis=1)
    E = -(msq - P * N) / (2.0 * N)
    levels, inv = np.unique(msq, return_inverse=True)
    w = np.bincount(inv, weights=np.exp(-(E - E.min()) / T))
    return levels, w / w.sum()


LADDER = (0.4, 0.6, 0.9, 1.3, 2.0)


@pytest.mark.parametrize("case", ["curie_weiss", "hopfield"])
def test_each_temperature_samples_the_exact_boltzmann_energy_distribution(case):
    """χ² of every temperature's energy histogram against exact enumeration, 3 ladders each.

    CW N = 10 (levels M²) and Hopfield N = 12, P = 2 (levels Σ_μ M_μ², the sample's own patterns, both
    replicas). 20000 measured sweeps per ladder; χ² corrected for autocorrelation (2τ_int). Each of the
    15 (or 30) p-values must exceed 1e-4 (a false alarm ~1e-3 per run), and their minimum over a wrong
    rule fails: swapping every pair (no Metropolis test) is checked to be rejected below.
    """
    model = CW if case == "curie_weiss" else HOP
    N = 10 if case == "curie_weiss" else 12
    smp = make_settings("parallel_tempering", thermalize=2000, sweeps=20000, bins=16, swap_every=1,
                        options={"noise": 0.2} if case == "hopfield" else {})
    pvals = []
    for seed in range(3):
        base = {"N": N, "seed": seed} | ({"alpha": 2 / 12, "init": "random"} if case == "hopfield" else {})
        chains = ChainSet(model, [base | {"T": T} for T in LADDER], smp, 77, "metropolis", model.replicas)
        out = chains.run(swap_every=1)
        assert chains.swap_tries.min() > 0 and chains.trips.sum() > 0
        for t, T in enumerate(LADDER):
            if case == "curie_weiss":
                levels, probs = _cw_exact(N, T)
                series = [out[t, :, 0] ** 2]
            else:
                levels, probs = _hop_exact(chains.dis[1], T)
                series = [out[t, :, _REC_MSQ], out[t, :, _REC_MSQ + 1]]
            for x in series:
                p, tau = _chi2_pvalue(levels, x, probs)
                pvals.append(p)
                assert p > 1e-4, (case, seed, T, p, tau)
    assert len(pvals) == 15 * model.replicas


def test_chi2_test_rejects_a_wrong_swap_rule():
    """The same test on a ladder whose swaps are always accepted (detailed balance broken) fails."""
    N = 10
    smp = make_settings("parallel_tempering", thermalize=1000, sweeps=20000, bins=16)
    chains = ChainSet(CW, [{"N": N, "seed": 0, "T": T} for T in LADDER], smp, 77, "metropolis", 1)
    chains.betas = np.zeros_like(chains.betas)  # (β_t − β_t+1) = 0: every swap accepted
    out = chains.run(swap_every=1)
    worst = 1.0
    for t, T in enumerate(LADDER):
        levels, probs = _cw_exact(N, T)
        worst = min(worst, _chi2_pvalue(levels, out[t, :, 0] ** 2, probs)[0])
    assert worst < 1e-6


PT_TOML = """
name = "{name}"
model = "hopfield"
seed = 5
[grid]
N = [{N}]
alpha = [0.1]
T = [0.5, 0.8, 1.1, 1.5]
seeds = {seeds}
init = ["random"]
[sampler]
algorithm = "parallel_tempering"
thermalize = {thermalize}
sweeps = {sweeps}
measure_every = 2
bins = 8
swap_every = 2
"""


def _pt_workflow(tmp_path, name="pt", N=24, seeds=2, thermalize=100, sweeps=400):
    p = tmp_path / f"{name}.toml"
    p.write_text(textwrap.dedent(PT_TOML.format(name=name, N=N, seeds=seeds, thermalize=thermalize,
                                                sweeps=sweeps)))
    return p


def test_ladder_outputs_are_stored_and_do_not_depend_on_workers(tmp_path, client):
    from distributed import Client, LocalCluster

    from pipeline.run.graph import run_workflow
    from pipeline.spec.workflow import load_workflow
    from pipeline.store.catalog import Catalog

    wf = load_workflow(_pt_workflow(tmp_path, seeds=3))
    a = Catalog(tmp_path / "a.zarr")
    run_workflow(wf, a, client, progress=False)
    b = Catalog(tmp_path / "b.zarr")
    one = wf.model_copy(update={"run": wf.run.model_copy(update={"points_per_task": 1})})
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as lc, \
            Client(lc) as c1:
        run_workflow(one, b, c1, progress=False)
    da, db = (xr.open_zarr(str(c.path), group="pt", consolidated=False).load() for c in (a, b))
    assert da["swap_acceptance"].dims == ("N", "alpha", "seed", "init", "T_pair")
    assert list(da["T_pair"].values) == [0.5, 0.8, 1.1]
    acc = da["swap_acceptance"].values
    assert np.all((acc > 0) & (acc <= 1))
    assert da["round_trips"].dims == ("N", "alpha", "seed", "init") and (da["round_trips"].values >= 0).all()
    assert bool(da["done"].all())
    for v in da.data_vars:
        np.testing.assert_array_equal(da[v].values, db[v].values, err_msg=v)


def test_sigkilled_client_reruns_ladders_whole_and_ends_equal(tmp_path):
    """kill -9 of the client mid-sweep: the rerun recomputes every ladder with a missing point, whole, and
    the arrays equal an uninterrupted run's (ladder outputs included)."""
    path = _pt_workflow(tmp_path, name="ptk", N=200, seeds=8, thermalize=200, sweeps=3000)
    path.write_text(path.read_text() + "\n[run]\npoints_per_task = 4\n")  # one ladder per task: the kill lands between them
    cli = [sys.executable, "-m", "pipeline", "run", str(path), "--workers", "2", "--no-progress"]
    clean = tmp_path / "clean.zarr"
    subprocess.run(cli, env=dict(os.environ, SPINSWEEP_CATALOG=str(clean)), check=True, capture_output=True)
    cat = tmp_path / "killed.zarr"
    p = subprocess.Popen(cli, env=dict(os.environ, SPINSWEEP_CATALOG=str(cat)), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    t0 = time.time()
    while _done(cat, "ptk") == 0 and p.poll() is None and time.time() - t0 < 120:
        time.sleep(0.1)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    n = _done(cat, "ptk")
    assert 0 < n < 32 and n % 4 == 0, f"kill did not land part-way ({n} stored)"  # whole ladders of 4 T
    r = subprocess.run(cli, env=dict(os.environ, SPINSWEEP_CATALOG=str(cat)), check=True, capture_output=True,
                       text=True)
    assert f"{32 - n} points computed, {n} already done" in r.stdout
    a = xr.open_zarr(clean, group="ptk", consolidated=False).load()
    b = xr.open_zarr(cat, group="ptk", consolidated=False).load()
    for v in a.data_vars:
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)
