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
            k = delta(sigma, m, br, Kc, xf, xi, np.arange(P), np.zeros(P), 0, i)
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


def test_quench_ends_at_a_minimum_inside_its_basin():
    """The screening descent from each pattern ends in that pattern's basin, at a state no single flip inside
    the basin lowers, and returns that state's energy per spin."""
    from pipeline.models.hopfield_branches import level, quench

    rng = np.random.default_rng(4)
    N, P = 40, 4
    xi = random_patterns(N, P, rng)
    xf = xi.reshape(-1).copy()
    K = threshold_count(N, 0.5)
    for mu in range(P):
        e, s = quench(xf, xi, mu, K)
        M = overlaps(xi, s)
        assert label(M, K) == mu + 1
        assert e == pytest.approx(-(float(M @ M) - P * N) / (2.0 * N * N), abs=1e-12)
        sigma, m = s[None, :].copy(), M[None, :].astype(np.int32)
        br, Kc = np.array([mu + 1], np.int64), np.array([K], np.int64)
        for i in range(N):
            k, ok = level(sigma, m, br, Kc, xf, 0, i)
            assert not (ok and k < 0), (mu, i)


def _basin_means(cs, out, t, cols):
    from pipeline.stats import bin_means, binned_error

    e = cs.series(out)[t]["energy"]
    return (np.array([bin_means(e[:, c], 20).mean() for c in cols]),
            np.array([binned_error(bin_means(e[:, c], 20)) for c in cols]))


def test_screened_ladder_runs_the_selected_basins():
    """With ``lowest_basins = 2, random_basins = 1`` (N = 40, P = 8): the chains run nR, pattern 0's basin and
    the two of lowest screening energy among the others, stay in them, fill exactly those columns, store every
    basin's screening energy, and cost 4/9 of the full ladder. Each selected basin's mean energy equals the full
    ladder's for the same pattern within 5 combined binned errors (a wrong pattern-to-column map shifts the basin
    energies at T = 0.25 by many errors: the basins' ground states differ by ~1/N per spin)."""
    temps = [0.25, 0.5, 1.0, 2.0]
    opts = {"lowest_basins": 2, "random_basins": 1}
    kw = dict(thermalize=500, sweeps=8000, measure_every=2, bins=20)
    cs, settings = _ladder(40, 0.2, temps, seed=5, options=opts, **kw)
    full, full_settings = _ladder(40, 0.2, temps, seed=5, **kw)
    xi, sel, e_scr = cs.dis[1], cs.dis[2], cs.dis[3]
    P = xi.shape[1]
    assert P == 8 and cs.R == 4 and full.R == 9
    assert sel.tolist() == sorted([0] + (1 + np.argsort(e_scr[1:], kind="stable")[:2]).tolist())
    np.testing.assert_array_equal(e_scr, full.dis[3])
    out, out_full = cs.run(swap_every=1), full.run(swap_every=1)
    sigma, M, br, K = cs.state
    assert [label(overlaps(xi, sigma[c]), int(K[c])) for c in range(len(sigma))] == [int(b) for b in br]
    s0 = cs.series(out)[0]
    ran = np.isfinite(s0["energy"]).all(axis=0)
    assert np.nonzero(ran)[0].tolist() == [0] + (sel + 1).tolist()
    np.testing.assert_array_equal(s0["e_screen"][0, 1:1 + P], e_scr)
    coords = {"N": 40, "alpha": 0.2, "T": 0.25, "seed": 5}
    assert MODEL.cost(coords, settings) == pytest.approx(MODEL.cost(coords, full_settings) * 4 / 9)
    for t in range(len(temps)):
        a, da = _basin_means(cs, out, t, sel + 1)
        b, db = _basin_means(full, out_full, t, sel + 1)
        assert np.all(np.abs(a - b) < 5 * np.hypot(da, db) + 1e-12), (temps[t], a, b, da, db)
