"""The restricted Hopfield branches: the branch test, chains that never leave, energies against enumeration."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import SpecError
from pipeline.models import get_model
from pipeline.models.hopfield import overlaps
from pipeline.models.hopfield_branches import MAX_BRANCHES, delta, label, stays, threshold_count
from pipeline.samplers import get_sampler
from pipeline.samplers.base import ChainSet
from pipeline.theory.hopfield_exact import branch_free_energies, random_patterns

MODEL = get_model("hopfield_branches")
PT = get_sampler("parallel_tempering")


def _ladder(N, alpha, temps, seed=3, **kw):
    settings = PT.settings(algorithm="parallel_tempering", **kw)
    return ChainSet(MODEL, [{"N": N, "alpha": alpha, "T": T, "seed": seed} for T in temps], settings, 7,
                    "metropolis", None), settings


def test_stays_is_the_label_of_the_flipped_state():
    """For states of every branch and every site, the kernel's test equals relabelling the flipped state
    from scratch (ties included: N even, small P, so equal |M| occur often)."""
    rng = np.random.default_rng(0)
    N, P = 12, 3
    xi = random_patterns(N, P, rng)
    xf = xi.reshape(-1).copy()
    K = threshold_count(N, 0.5)
    checked = set()
    for _ in range(400):
        s = rng.choice(np.array([-1, 1], np.int8), N)
        M = overlaps(xi, s)
        b = label(M, K)
        if b < 0:  # a (mu, -) basin is not simulated: its mirror image is
            s, M, b = -s, -M, -b
        sigma = s[None, :].copy()
        m = M[None, :].astype(np.int16)
        br, Kc = np.array([b], np.int64), np.array([K], np.int64)
        for i in range(N):
            t = s.copy()
            t[i] = -t[i]
            want = label(overlaps(xi, t), K) == b
            assert stays(sigma, m, br, Kc, xf, 0, i) == want
            k = delta(sigma, m, br, Kc, xf, xi, 0, i)
            if want:  # ΔE = 2k/N: the Hopfield level
                assert k == int(s[i]) * int(xi[i] @ M) - P
            checked.add((b, bool(want)))
    assert {(0, True), (0, False), (1, True), (1, False)} <= checked


def test_chains_stay_in_their_branch():
    """After a run at temperatures where unrestricted chains would leave (T up to 3), every chain is still in
    its own branch: chain r of each temperature in branch r."""
    cs, _ = _ladder(40, 0.1, [0.3, 0.8, 1.5, 3.0], thermalize=0, sweeps=300, measure_every=3, bins=10)
    cs.run(swap_every=1)
    sigma, M, br, K = cs.state
    xi = cs.dis[1]
    labels = [label(overlaps(xi, sigma[c]), int(K[c])) for c in range(len(sigma))]
    assert labels == [int(b) for b in br]
    assert sorted(set(labels)) == list(range(1 + xi.shape[1]))
    assert cs.swap_acc.sum() > 0  # swaps happened, within each branch's ladder


def test_branch_energies_match_enumeration():
    """⟨H⟩ of every branch at every ladder temperature within 4.5 binned standard errors of the exact
    restricted average (N = 14, P = 3: 7 T x 4 branches = 28 comparisons; 4.5σ keeps a false alarm below
    1e-4 while a wrong restriction, e.g. a basin leaking into nR, shifts ⟨H⟩ by tens of σ), and each basin's
    lowest visited energy equals its exact ground state."""
    temps = [0.2, 0.35, 0.5, 0.7, 1.0, 1.5, 3.0]
    res = PT.run(MODEL, [{"N": 14, "alpha": 0.2, "T": T, "seed": 3} for T in temps],
                 PT.settings(algorithm="parallel_tempering", thermalize=500, sweeps=16000, measure_every=2,
                             bins=20), 7)
    cs, _ = _ladder(14, 0.2, temps)
    xi = cs.dis[1]
    P = xi.shape[1]
    ex = branch_free_energies(xi, temps)
    from pipeline.stats import bin_means, binned_error

    for t in range(len(temps)):
        e = res.series[t]["energy"][:, :1 + P] * 14
        assert np.all(np.isnan(res.series[t]["energy"][:, 1 + P:]))
        want = np.concatenate([[ex["energy_nr"][t]], ex["energy_basin"][:, t]])
        for b in range(1 + P):
            bins = bin_means(e[:, b], 20)
            err = binned_error(bins)
            assert abs(bins.mean() - want[b]) < 4.5 * err + 1e-12, (temps[t], b, bins.mean(), want[b], err)
    e_min = np.nanmin(np.stack([res.series[t]["e_min"] for t in range(len(temps))]), axis=(0, 1))[1:1 + P] * 14
    np.testing.assert_allclose(e_min, ex["e0_basin"], atol=1e-9)


def test_branch_coordinate_and_constraint():
    """The stored branch axis holds nR and up to MAX_BRANCHES - 1 basins; a grid with more patterns is refused
    before anything runs, naming the load."""
    assert MODEL.observables[1].coords["branch"].size == MAX_BRANCHES
    bad = MODEL.constraints({"N": [4000], "alpha": [0.045]})
    assert bad and bad[0][0] == "alpha" and "P = 180" in bad[0][2]
    from pipeline.spec.workflow import parse_workflow

    text = """name = "x"\nmodel = "hopfield_branches"\nseed = 1\n[grid]\nN = [4000]\nalpha = [0.045]
T = [0.5, 1.0]\nseeds = 1\n[sampler]\nalgorithm = "parallel_tempering"\nsweeps = 100\nbins = 10\n"""
    with pytest.raises(SpecError, match="alpha"):
        parse_workflow(text)
