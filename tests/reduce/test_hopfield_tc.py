"""Thermodynamic integration on restricted Hopfield branches against exact enumeration, and its closure against
unrestricted parallel tempering."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import logsumexp

from pipeline.models import get_model
from pipeline.reduce.hopfield_tc import (
    _crossing_T,
    _tc_of,
    basin_weights,
    branch_log_z,
    hermite_cumulative,
    log_g_nonretrieval,
    reduce_hopfield_tc,
    sample_tc,
    trapezoid_cumulative,
)
from pipeline.samplers import get_sampler
from pipeline.samplers.base import ChainSet
from pipeline.theory.hopfield_exact import branch_free_energies, random_patterns

PT = get_sampler("parallel_tempering")
TEMPS = np.geomspace(0.05, 20.0, 40)[::-1]  # increasing beta


def test_hermite_is_exact_for_cubics_and_trapezoid_is_not():
    x = np.array([0.0, 0.3, 1.0, 1.2, 2.0])
    f, df = x**3 - x, 3 * x**2 - 1
    want = x**4 / 4 - x**2 / 2
    np.testing.assert_allclose(hermite_cumulative(x, f, df), want, atol=1e-13)
    assert abs(trapezoid_cumulative(x, f)[-1] - want[-1]) > 0.05


def _exact_case(N=16, P=2, seed=5):
    xi = random_patterns(N, P, np.random.default_rng(seed))
    ex = branch_free_energies(xi, TEMPS)
    H = np.vstack([ex["energy_nr"], ex["energy_basin"]])
    V = np.vstack([ex["var_nr"], ex["var_basin"]])
    H0 = branch_free_energies(xi, [1e9])["energy_nr"][0]  # <H>_nR at beta = 0
    return xi, ex, H, V, H0


def _exact_tc(xi):
    def D(T):
        e = branch_free_energies(xi, [T])
        return e["log_z_r"][0] - e["log_z_nr"][0]
    return brentq(D, 0.2, 5.0, xtol=1e-10)


def test_integration_of_exact_energies_gives_the_exact_free_energies_and_crossing():
    """Fed the exact restricted ⟨H⟩ and Var H on a 40-point geometric ladder (T = 0.05 ... 20), the Hermite
    integration reproduces the exact ln Z of nR (from β = 0) and of each basin (from the anchor at T = 0.05)
    to 1e-3, and T_c to 1e-3; the trapezoid rule misses the basins by far more (its error is the grid
    systematic)."""
    xi, ex, H, V, H0 = _exact_case()
    beta = 1.0 / TEMPS
    lz_nr, lz_b = branch_log_z(beta, H, V, ex["e0_basin"], ex["log_g0_nr"], H0_nr=H0)
    np.testing.assert_allclose(lz_nr, ex["log_z_nr"], atol=1e-3)
    np.testing.assert_allclose(lz_b, ex["log_z_basin"], atol=1e-3)
    np.testing.assert_allclose(math.log(2) + logsumexp(lz_b, axis=0), ex["log_z_r"], atol=1e-3)
    _, lz_bt = branch_log_z(beta, H, V, ex["e0_basin"], ex["log_g0_nr"], rule="trapezoid", H0_nr=H0)
    assert np.abs(lz_bt - ex["log_z_basin"]).max() > 10 * np.abs(lz_b - ex["log_z_basin"]).max()
    tc, _ = _tc_of(beta, H, V, ex["e0_basin"], ex["log_g0_nr"], H0_nr=H0)
    exact = _exact_tc(xi)
    assert tc == pytest.approx(exact, abs=1e-3)
    # the stated grid systematic (Richardson from the half grid) is of the size of the true grid error
    half = sorted(set(range(0, beta.size, 2)) | {beta.size - 1})
    t_half, _ = _tc_of(beta[half], H[:, half], V[:, half], ex["e0_basin"], ex["log_g0_nr"], H0_nr=H0)
    est = abs(t_half - tc) / 15
    assert abs(tc - exact) < 3 * est + 1e-5, (tc - exact, est)


def test_typical_basin_crossing_against_enumeration():
    """The typical-basin T_c (ln Z_nR against the basins' mean ln Z_mu) from the exact energies equals the
    exact crossing of the enumerated free energies to 1e-3 (the Hermite grid error, as for T_c), lies below
    T_c (the mean of the basins' ln Z is below ln 2 + ln sum of their Z), and with equal basins it is T_c with
    ln Z_nR raised by ln 2P exactly (then ln Z_R = ln 2P + ln Z_mu)."""
    xi, ex, H, V, H0 = _exact_case(N=16, P=3, seed=2)
    beta = 1.0 / TEMPS
    typ, _ = _tc_of(beta, H, V, ex["e0_basin"], ex["log_g0_nr"], H0_nr=H0, basins="typical")

    def D(T):
        e = branch_free_energies(xi, [T])
        return float(np.mean(e["log_z_basin"][:, 0]) - e["log_z_nr"][0])

    exact = brentq(D, 0.1, 5.0, xtol=1e-10)
    assert typ == pytest.approx(exact, abs=1e-3)
    assert typ < _exact_tc(xi) - 0.01  # unequal basins: a visible gap at N = 16
    same = np.vstack([H[:1], np.repeat(H[1:2], 3, axis=0)]), np.vstack([V[:1], np.repeat(V[1:2], 3, axis=0)])
    e0 = np.repeat(ex["e0_basin"][:1], 3)
    t_typ, _ = _tc_of(beta, *same, e0, ex["log_g0_nr"], H0_nr=H0, basins="typical")
    t_all, _ = _tc_of(beta, *same, e0, ex["log_g0_nr"] + math.log(6.0), H0_nr=H0)
    assert t_typ == pytest.approx(t_all, abs=1e-12)


def test_basin_weights_strata():
    """Every basin ran: weight one each. Some ran: the ones below the screening cut count once, the sampled ones
    above it stand for all above; the weights add up to P. Only the lowest ran: no weights (a bound only)."""
    e = np.array([0.5, -0.9, 0.1, -0.3, -0.8, 0.7, 0.2, -0.1])
    assert basin_weights(e, np.ones(8, bool), 0).tolist() == [1.0] * 8
    ran = np.zeros(8, bool)
    ran[[0, 1]] = True  # the random sample: patterns 0, 1
    ran[[4, 3]] = True  # the two lowest of patterns 2..7: -0.8, -0.3; the cut is -0.3
    w = basin_weights(e, ran, 2)  # pattern order 0, 1, 3, 4: above the cut only pattern 0 (0.5) of 0, 2, 5, 6, 7
    assert w.tolist() == [5.0, 1.0, 1.0, 1.0] and w.sum() == 8
    assert basin_weights(e, np.isin(np.arange(8), [1, 4, 3]), 0) is None


def test_weighted_basins_are_unbiased():
    """The stratified estimates of Sum_mu Z_mu and of <ln Z_mu> from the first A patterns plus the L lowest-
    screened others, over 4000 random samples of P = 40 basins whose ln Z_mu follows the screening energy with
    scatter: their mean error is 0 within 4 standard errors (a weight of one for the sampled basins, the plain
    mean, misses <ln Z> by ~200 standard errors here; a cut at the lowest basin that did not run instead, by ~8), and the estimate of ln Sum Z is within 0.05
    on average.
    (A sample whose A basins all lie below the cut has no weights: one in ~10^4 at A = L = 8.)"""
    rng = np.random.default_rng(0)
    P, A, L = 40, 8, 8
    err_sum, err_mean, naive = [], [], []
    for _ in range(4000):
        e = rng.standard_normal(P)
        lz = -2.0 * e + 0.7 * rng.standard_normal(P)
        ran = np.zeros(P, bool)
        ran[:A] = True
        ran[A + np.argsort(e[A:])[:L]] = True
        w = basin_weights(e, ran, A)
        if w is None:
            continue
        err_sum.append(logsumexp(lz[ran], b=w) - logsumexp(lz))
        err_mean.append(w @ lz[ran] / w.sum() - lz.mean())
        naive.append(lz[ran].mean() - lz.mean())
    assert len(err_mean) > 3990
    assert abs(np.mean(err_mean)) < 4 * np.std(err_mean) / math.sqrt(len(err_mean)), np.mean(err_mean)
    assert abs(np.mean(naive)) > 10 * np.std(naive) / math.sqrt(len(naive))
    assert abs(np.mean(err_sum)) < 0.05
    # and the crossing uses them: equal weights reproduce the unweighted crossing exactly
    beta = np.linspace(0.5, 3.0, 12)
    H = -np.outer(np.arange(1, 4), np.ones(12)) - beta[None, :]
    lz_nr = 8.0 - 1.2 * beta
    lz_b = np.stack([3.0 + 1.5 * beta, 2.0 + 1.7 * beta])
    t = _crossing_T(beta, H, lz_nr, lz_b)[0]
    assert 1 / 3 < t < 2 and t == _crossing_T(beta, H, lz_nr, lz_b, weights=np.ones(2))[0]


def test_vs_rs_leaves_out_samples_without_a_typical_basin():
    """A sample whose basins could not be weighted (NaN typical-basin free energy) is left out of the basin's
    comparison with RS, not allowed to make it NaN; the nR comparison keeps every sample."""
    from pipeline.reduce.hopfield_tc import _vs_rs

    both = _vs_rs(0.45, 0.03, [-0.52, -0.53], [-0.51, -0.50])
    one = _vs_rs(0.45, 0.03, [math.nan, -0.52, -0.53], [-0.50, -0.51, -0.50])
    assert one["basin"]["value"] == pytest.approx(both["basin"]["value"]) and one["basin"]["n_samples"] == 2
    assert one["nonretrieval"]["n_samples"] == 3 and np.isfinite(one["nonretrieval"]["value"])


def test_nonretrieval_count_union_bound():
    """ln g_nR from the binomial union bound against the exact count: a lower bound, close where the excluded
    share is small (N = 20, P = 2: 2P p_K = 0.08, overlap of the excluded sets O(0.08^2))."""
    xi = random_patterns(20, 2, np.random.default_rng(1))
    exact = branch_free_energies(xi, [1.0])["log_g0_nr"]
    approx = log_g_nonretrieval(20, 2, 10)
    assert approx <= exact + 1e-12
    assert exact - approx < 0.01


def _mc_ladder(model_name, N, alpha, temps, dis=None, seed=3, sweeps=20000, replicas=None):
    model = get_model(model_name)
    if dis is not None:  # the same patterns as another model's sample (the closure check)
        model = dataclasses.replace(model, draw_disorder=lambda c, g: dis)
    extra = {"init": "random"} if model_name == "hopfield" else {}
    settings = PT.settings(algorithm="parallel_tempering", thermalize=1000, sweeps=sweeps, measure_every=2, bins=20,
                           replicas=replicas)
    cs = ChainSet(model, [{"N": N, "alpha": alpha, "T": float(T), "seed": seed} | extra for T in temps], settings, 11,
                  "metropolis", replicas)
    out = cs.run(swap_every=1)
    return cs, cs.series(out)


def _branch_arrays(series, N, P):
    from pipeline.stats import bin_means, binned_error

    H = np.stack([s["energy"].mean(axis=0)[:1 + P] for s in series], axis=1) * N
    err = np.stack([[binned_error(bin_means(s["energy"][:, b], 20)) for b in range(1 + P)] for s in series],
                   axis=1) * N
    e2 = np.stack([s["energy2"].mean(axis=0)[:1 + P] for s in series], axis=1)
    V = N * N * np.maximum(e2 - (H / N) ** 2, 0.0)
    H_min = np.nanmin(np.stack([s["e_min"].min(axis=0)[1:1 + P] for s in series]), axis=0) * N
    return H, err, V, H_min


def test_monte_carlo_tc_agrees_with_enumeration():
    """The whole method on Monte Carlo data: restricted PT on the 40-temperature ladder of the exact test and
    its patterns (N = 16, P = 2), T_c within 3 of its stated errors (statistical from the redraws, plus the
    grid and anchor systematics) of the exact crossing, and every branch's ln Z within 4 redraw errors + 0.01
    (the exact-data integration error) of the enumerated one. The anchor assumes a non-degenerate basin
    minimum, true of this sample (the exact-data test reaches 1e-3) and generic at large N, where the energy
    levels are dense and ties of the lowest state rare."""
    xi, ex, _, _, _ = _exact_case()
    N, P = xi.shape
    cs, series = _mc_ladder("hopfield_branches", N, 0.125, TEMPS, dis=(xi.reshape(-1).copy(), xi))
    H, err, V, H_min = _branch_arrays(series, N, P)
    beta = 1.0 / TEMPS
    lg = ex["log_g0_nr"]
    r = sample_tc(beta, H, err, V, H_min, lg, n_draws=100, rng=np.random.default_rng(0))
    exact = _exact_tc(xi)
    sys = r["err_grid"] + 0.5 * abs(r["anchor_hi"] - r["anchor_lo"])
    # H0_nr = 0 (the production value): at N = 16 the excluded states shift <H>_nR(0) by O(1), within the slack
    assert abs(r["value"] - exact) < 3 * (r["err"] + sys) + 0.01, (r, exact)
    H0 = branch_free_energies(xi, [1e9])["energy_nr"][0]
    lz_nr, lz_b = branch_log_z(beta, H, V, H_min, lg, H0_nr=H0)
    rng = np.random.default_rng(2)
    draws = [branch_log_z(beta, H + rng.standard_normal(H.shape) * err, V, H_min, lg, H0_nr=H0) for _ in range(100)]
    s_nr = np.std([d[0] for d in draws], axis=0)
    s_b = np.std([d[1] for d in draws], axis=0)
    assert np.all(np.abs(lz_nr - ex["log_z_nr"]) < 4 * s_nr + 0.01)
    assert np.all(np.abs(lz_b - ex["log_z_basin"]) < 4 * s_b + 0.01)


@pytest.mark.slow
def test_closure_against_unrestricted_parallel_tempering():
    """ln(Z_R + Z_nR) from the restricted branches against ln Z_eq integrated from an unrestricted Hopfield PT run
    on the same patterns (N = 48, P = 5: beyond enumeration), at every ladder temperature, within 4σ of the
    two integrations' statistical errors (redraws) plus the grid systematic (|Hermite − trapezoid| of both)
    and the anchor's (its full range)."""
    N, alpha = 48, 0.1
    temps = np.geomspace(0.1, 5.0, 26)[::-1]
    beta = 1.0 / temps
    cs, series = _mc_ladder("hopfield_branches", N, alpha, temps, sweeps=12000)
    P = cs.dis[1].shape[1]
    H, err, V, H_min = _branch_arrays(series, N, P)
    K = 24
    lg = log_g_nonretrieval(N, P, K)
    ce, eq = _mc_ladder("hopfield", N, alpha, temps, dis=(cs.dis[0], cs.dis[1], np.zeros((0, 0), np.int32)),
                        sweeps=12000, replicas=2)
    from pipeline.stats import bin_means, binned_error

    He = np.array([s["energy"].mean() for s in eq]) * N
    He_err = np.array([binned_error(bin_means(s["energy"], 20)) for s in eq]) * N
    Ve = N * N * np.maximum(np.array([s["energy2"].mean() for s in eq]) - (He / N) ** 2, 0.0)

    def lz_eq(h, rule="hermite"):
        from pipeline.reduce.hopfield_tc import RULES

        b0 = np.concatenate([[0.0], beta])
        return N * math.log(2) - RULES[rule](b0, np.concatenate([[0.0], h]), -np.concatenate([[Ve[0]], Ve]))[1:]

    def lz_sum(h, rule="hermite", anchor=0.5):
        a, b = branch_log_z(beta, h, V, H_min, lg, rule=rule, anchor=anchor)
        return np.logaddexp(a, math.log(2) + logsumexp(b, axis=0))

    diff = lz_sum(H) - lz_eq(He)
    rng = np.random.default_rng(1)
    draws = np.array([lz_sum(H + rng.standard_normal(H.shape) * err) - lz_eq(He + rng.standard_normal(He.shape) * He_err)
                      for _ in range(100)])
    stat = draws.std(axis=0)
    grid = np.abs(lz_sum(H, "trapezoid") - lz_sum(H)) + np.abs(lz_eq(He, "trapezoid") - lz_eq(He))
    anchor = np.abs(lz_sum(H, anchor=1.0) - lz_sum(H, anchor=0.0))
    bound = 4 * stat + grid + anchor
    assert np.all(np.abs(diff) < bound), (diff, bound)
    assert np.abs(diff).max() < 1.0  # closure within 1 in ln Z (the quick study's figure at N = 400)


def test_recipe_on_a_real_sweep(tmp_path, client):
    """The recipe on a stored hopfield_branches sweep (three small sizes, a few samples): T_c per size with
    errors, the N -> inf fit, JSON fields of the issue."""
    from pipeline.run.graph import run_workflow
    from pipeline.spec.workflow import parse_workflow
    from pipeline.store.catalog import Catalog

    text = """name = "tc_small"\nmodel = "hopfield_branches"\nseed = 4\n[grid]\nN = [24, 36, 48]\nalpha = [0.1]
T = [0.15, 0.2, 0.27, 0.35, 0.45, 0.6, 0.8, 1.05, 1.4, 1.9, 2.5, 3.3, 4.5]\nseeds = 4
[sampler]\nalgorithm = "parallel_tempering"\nthermalize = 300\nsweeps = 1200\nmeasure_every = 2\nbins = 10
[run]\nreduce = false\nplot = false\n"""
    wf = parse_workflow(text)
    cat = Catalog(tmp_path / "c.zarr")
    run_workflow(wf, cat, client, progress=False)
    ds = cat.open("tc_small").load()
    res = reduce_hopfield_tc(ds, {})
    (entry,) = res["T_c"]
    assert entry["alpha"] == 0.1
    assert [p["N"] for p in entry["per_size"]] == [24, 36, 48]
    for p in entry["per_size"]:
        assert 0.3 < p["value"] < 4.5 and p["err"] > 0 and p["n_crossed"] == 4
        t = p["typical"]  # the typical basin is never more stable than all of them together
        assert t["n_samples"] == 4 and 0.1 < t["value"] < p["value"] and t["err"] > 0 and p["basin_spread"] > 0
        assert p["vs_rs"] is None  # alpha = 0.1: beyond the RS T_c line's end (0.051), nothing to compare with
    assert np.isfinite(entry["value"]) and entry["err"] > 0
    assert np.isfinite(entry["typical"]["value"]) and entry["typical"]["fit_sizes"] == [24, 36, 48]
    # typical_min_N = 36 leaves two sizes: no degree of freedom, no fit; T_c's own fit is untouched
    later = reduce_hopfield_tc(ds, {"typical_min_N": 36})["T_c"][0]
    assert later["value"] == entry["value"] and later["typical"]["fit_sizes"] == [36, 48]
    assert math.isnan(reduce_hopfield_tc(ds, {"typical_min_N": 36})["T_c"][0]["typical"]["value"])
    # stored through the recipe, it is found by the figures of other sweeps (the phase diagram's companions)
    from pipeline.plot import companion_results, plot_sweep
    from pipeline.reduce import reduce_sweep

    stored = reduce_sweep(cat, "tc_small")["json"]
    assert [p["N"] for p in stored["T_c"][0]["per_size"]] == [24, 36, 48]
    comp = companion_results(cat, "some_other_sweep", ("hopfield_tc",))
    assert [c["sweep"] for c in comp["hopfield_tc"]] == ["tc_small"]
    assert comp["hopfield_tc"][0]["result"]["T_c"][0]["alpha"] == 0.1
    assert companion_results(cat, "tc_small", ("hopfield_tc",)) == {}  # a sweep is not its own companion
    paths = plot_sweep(cat, "tc_small", tmp_path / "fig")
    assert [p.name for p in paths] == ["hopfield_tc.png"] and paths[0].stat().st_size > 10_000


def test_screened_sweep_against_the_full_one(tmp_path, client):
    """A sweep integrating 4 of the 8 basins (``lowest_basins = 2, random_basins = 2``) against the sweep of
    every basin on the same samples (N = 80, alpha = 0.1): T_c and the typical-basin T_c agree within 4
    combined standard errors plus 0.02 (the weighting's own sampling error, small where the basins' ln Z
    spread is ~1 as at this N), the per-size record says how many basins ran, and the full sweep reports how
    well the screening ranks its basins."""
    from pipeline.run.graph import run_workflow
    from pipeline.spec.workflow import parse_workflow
    from pipeline.store.catalog import Catalog

    def wf(name, opts):
        return parse_workflow(f"""name = "{name}"\nmodel = "hopfield_branches"\nseed = 4\n[grid]\nN = [80]
alpha = [0.1]\nT = [0.15, 0.2, 0.27, 0.35, 0.45, 0.6, 0.8, 1.05, 1.4, 1.9, 2.5, 3.3, 4.5]\nseeds = 4
[sampler]\nalgorithm = "parallel_tempering"\nthermalize = 300\nsweeps = 1200\nmeasure_every = 2\nbins = 10
options = {{ {opts} }}\n[run]\nreduce = false\nplot = false\n""")

    cat = Catalog(tmp_path / "c.zarr")
    run_workflow(wf("full", "threshold = 0.5"), cat, client, progress=False)
    run_workflow(wf("part", "lowest_basins = 2, random_basins = 2"), cat, client, progress=False)
    (full,) = reduce_hopfield_tc(cat.open("full").load(), {})["T_c"][0]["per_size"]
    (part,) = reduce_hopfield_tc(cat.open("part").load(), {})["T_c"][0]["per_size"]
    assert full["basins"] == {"ran": 8, "of": 8} and part["basins"] == {"ran": 4, "of": 8}
    assert part["n_crossed"] == 4 and part["screen"] is None
    assert abs(part["value"] - full["value"]) < 4 * math.hypot(part["err"], full["err"]) + 0.02, (part, full)
    t, u = part["typical"], full["typical"]
    assert abs(t["value"] - u["value"]) < 4 * math.hypot(t["err"], u["err"]) + 0.02, (t, u)
    sc = full["screen"]
    assert sc["n_samples"] == 4 and -1 <= sc["rank_corr"] <= 1 and 0 <= sc["best_rank_max"] < 8
    assert 0 < sc["lowest_share_8_min"] <= 1 + 1e-12


def _small_tc_workflow(name, N, extra=""):
    from pipeline.spec.workflow import parse_workflow

    return parse_workflow(f"""name = "{name}"\nmodel = "hopfield_branches"\nseed = 4\n[grid]\nN = {N}\nalpha = [0.1]
T = [0.15, 0.2, 0.27, 0.35, 0.45, 0.6, 0.8, 1.05, 1.4, 1.9, 2.5, 3.3, 4.5]\nseeds = 3
[sampler]\nalgorithm = "parallel_tempering"\nthermalize = 200\nsweeps = 600\nmeasure_every = 2\nbins = 10
[run]\nreduce = false\nplot = false\n[reduce]\nmin_N = 0\n{extra}""")


def test_sizes_from_joins_other_sweeps_sizes_into_the_extrapolation(tmp_path, client):
    """A sweep of one size whose ``sizes_from`` names the sweep of the smaller sizes: each size's T_c is the
    one its own sweep gives, the N -> inf fit runs over all of them (the same fit as by hand), the stored
    result goes stale when a joined sweep changes, and bad joins are refused in one line."""
    from pipeline.errors import ReductionError
    from pipeline.plot import companion_results
    from pipeline.plot.hopfield import _tc_companions
    from pipeline.reduce import reduce_sweep, stored_result
    from pipeline.reduce.extrapolate import extrapolate_forms
    from pipeline.run.graph import run_workflow
    from pipeline.store.catalog import Catalog

    cat = Catalog(tmp_path / "c.zarr")
    run_workflow(_small_tc_workflow("tc_small", [24, 36]), cat, client, progress=False)
    run_workflow(_small_tc_workflow("tc_big", [48], 'sizes_from = ["tc_small"]'), cat, client, progress=False)
    small = reduce_sweep(cat, "tc_small")["json"]
    alone = reduce_hopfield_tc(cat.open("tc_big").load(), {"min_N": 0})
    out = reduce_sweep(cat, "tc_big")
    (entry,) = out["json"]["T_c"]
    assert out["json"]["sweeps"] == ["tc_big", "tc_small"] and out["json"]["sizes"] == [24, 36, 48]
    assert [(p["N"], p["sweep"]) for p in entry["per_size"]] == [(24, "tc_small"), (36, "tc_small"), (48, "tc_big")]
    assert entry["per_size"][:2] == small["T_c"][0]["per_size"]  # the small sizes exactly as their own sweep has them
    assert entry["per_size"][2] == alone["T_c"][0]["per_size"][0]
    ps = entry["per_size"]
    fit = extrapolate_forms(np.array([p["N"] for p in ps], float), np.array([p["value"] for p in ps]),
                            np.array([math.hypot(p["err"], p["err_sys"]) for p in ps]), forms=["N^-1", "N^-1/2"],
                            what="T_c extrapolation", quantity="T_c")
    assert entry["fit_sizes"] == [24, 36, 48] and entry["value"] == pytest.approx(fit["value"], rel=1e-12)
    assert "tc_small" in out["text"]
    assert stored_result(cat, "tc_big") == json.loads(json.dumps(out["json"]))
    # the phase diagram draws the hopfield_tc sweep with the most sizes
    comp = companion_results(cat, "elsewhere", ("hopfield_tc",))
    assert [c["sweep"] for c in _tc_companions({"companions": comp})] == ["tc_big", "tc_small"]

    # new [reduce] settings of a joined sweep (its T_c per size may change) make the stored reduction stale
    run_workflow(_small_tc_workflow("tc_small", [24, 36], "n_draws = 50"), cat, client, progress=False)
    assert stored_result(cat, "tc_big") is None
    reduce_sweep(cat, "tc_big")
    assert stored_result(cat, "tc_big") is not None
    # and so does a joined sweep replaced by another version
    run_workflow(_small_tc_workflow("tc_small", [24, 30]), cat, client, progress=False, overwrite=True)
    assert stored_result(cat, "tc_big") is None

    def refused(extra):
        wf = _small_tc_workflow("tc_bad", [48], extra)
        run_workflow(wf, cat, client, progress=False, overwrite=True)
        with pytest.raises(ReductionError) as e:
            reduce_sweep(cat, "tc_bad")
        return str(e.value)

    assert "both hold alpha = 0.1, N = 48" in refused('sizes_from = ["tc_small", "tc_big"]')
    assert "names the sweep itself" in refused('sizes_from = ["tc_bad"]')
    msg = refused('sizes_from = ["tc_smal"]')
    assert "no sweep 'tc_smal'" in msg and "tc_small" in msg
