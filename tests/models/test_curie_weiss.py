"""Curie-Weiss through the samplers against exact finite-N thermodynamics, and its moves against the C reference."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.models import get_model
from pipeline.samplers import make_settings as Sampler
from pipeline.samplers.base import ChainSet
from pipeline.samplers.bench import bench
from pipeline.samplers.driver import run_point
from pipeline.theory.exact import curie_weiss_exact
from tests.models import _c_reference as c_reference

MODEL = get_model("curie_weiss")


def _combined(model, N, T, sampler, seeds, workflow_seed=11):
    """Mean over independent chains of each stored quantity, with the combined standard error."""
    res = [run_point(model, {"N": N, "T": T, "seed": s}, sampler, workflow_seed) for s in range(seeds)]
    out = {}
    for k in ("m_abs", "m2", "m4", "energy", "binder", "chi"):
        vals = np.array([r[k] for r in res])
        errs = np.array([r[f"{k}_err"] for r in res])
        out[k] = (vals.mean(), np.sqrt((errs**2).sum()) / len(res))
    out["converged"] = all(r["converged"] for r in res)
    out["tau_max"] = max(r["tau_int_m_abs"] for r in res)
    return out


@pytest.mark.parametrize("algorithm", ["metropolis", "heatbath"])
def test_sampler_matches_exact_finite_N(algorithm):
    """<|m|>, <m^2>, <m^4>, e, U4 and chi within 4 standard errors of the exact sums at every point.

    Why 4σ: each error comes from 64 bins (t-distribution, 63 dof), two chains combined; P(|t| > 4)
    ~ 2e-4 per comparison, ~0.02 expected failures over the 90 comparisons here. Bins hold ≥ 300
    measurements while τ_int ≤ ~15, so the binned errors are honest (asserted below through τ_int).
    """
    sampler = Sampler(algorithm=algorithm, thermalize=1000, sweeps=20000, measure_every=1, bins=64)
    for N in (8, 32, 128):
        for T in (0.6, 0.95, 1.0, 1.1, 1.6):
            got = _combined(MODEL, N, T, sampler, seeds=2)
            exact = curie_weiss_exact(N, T)
            assert got["converged"]
            assert got["tau_max"] < 20000 / 64 / 10
            for k in ("m_abs", "m2", "m4", "energy", "binder", "chi"):
                val, err = got[k]
                assert err > 0
                assert abs(val - exact[k]) < 4 * err, (algorithm, N, T, k, val, exact[k], err)


@pytest.mark.parametrize("T", [0.5, 2.0])
def test_large_N_matches_exact(T):
    """N = 4096: <|m|> within 0.01 of exact (0.9575 at T = 0.5; ~0.018 at T = 2)."""
    sampler = Sampler(algorithm="metropolis", thermalize=300, sweeps=1000, bins=20)
    res = run_point(MODEL, {"N": 4096, "T": T, "seed": 0}, sampler, 3)
    assert abs(res["m_abs"] - curie_weiss_exact(4096, T)["m_abs"]) < 0.01


@pytest.mark.parametrize("rule", ["metropolis", "heatbath"])
def test_moves_track_M_and_records_every_kth_sweep(rule):
    """apply keeps M = sum(sigma) in step; the loop records after every 3rd sweep, the last one at the end."""
    chains = ChainSet(MODEL, [{"N": 50, "T": 0.8, "seed": 0}], Sampler(rule, thermalize=0, sweeps=21, bins=4),
                      5, rule, 1)
    out = np.zeros((1, 7, 1), np.int64)
    assert chains.advance(21, every=3, out=out) == 7
    sigma, M = chains.state
    assert M[0] == sigma[0].sum() == out[0, -1, 0]


def test_streams_depend_on_coordinates_not_order():
    sampler = Sampler(algorithm="metropolis", thermalize=10, sweeps=200, bins=4)
    a = run_point(MODEL, {"N": 16, "T": 1.0, "seed": 0}, sampler, 5)
    b = run_point(MODEL, {"N": 16, "T": 1.0, "seed": 0}, sampler, 5)
    c = run_point(MODEL, {"N": 16, "T": 1.0, "seed": 1}, sampler, 5)
    d = run_point(MODEL, {"N": 16, "T": 1.0, "seed": 0}, sampler, 6)
    assert np.array_equal(a["m_abs_bins"], b["m_abs_bins"])
    assert not np.array_equal(a["m_abs_bins"], c["m_abs_bins"])
    assert not np.array_equal(a["m_abs_bins"], d["m_abs_bins"])


def test_kernel_is_a_faithful_port_of_the_C_reference(tmp_path):
    """Same stream, same draw order: the C program's sanity numbers are reproduced to every digit."""
    exe = c_reference.build("cw_metropolis", tmp_path)
    for N, T, sweeps, seed in [(1024, 1.0, 300, 1), (100, 0.7, 500, 42)]:
        c = c_reference.run(exe, N, T, sweeps, seed)
        py = bench(MODEL, N=N, T=T, sweeps=sweeps, seed=seed)
        assert f"{py['mean_abs_m']:.10f}" == f"{c['mean_abs_m']:.10f}"
        assert f"{py['e_final']:.10f}" == f"{c['e_final']:.10f}"
        assert f"{py['acc_rate']:.6f}" == f"{c['acc_rate']:.6f}"
