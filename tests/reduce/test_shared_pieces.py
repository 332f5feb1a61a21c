"""The pieces split out of fss.py and shared by the reductions: curve crossings with a bootstrap over
samples, their combined estimate, and the N -> infinity extrapolation with several forms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import ReductionError
from pipeline.reduce import fss
from pipeline.reduce.crossings import (
    bootstrap_means,
    crossing_estimate,
    curve_crossings,
    local_root,
    pick_interval,
)
from pipeline.reduce.extrapolate import FORMS, extrapolate_forms

TX = 1.25  # planted crossing
SIZES = np.array([250, 500, 1000, 2000])
T = np.round(np.linspace(1.0, 1.5, 11), 6)


def samples(seeds=40, noise=0.03, rng=0):
    """(nN, nT, ns) positive samples whose mean N^(2/3)-scaled curves cross at TX (larger N above below TX)."""
    rng = np.random.default_rng(rng)
    x = (T[None, :, None] - TX) * SIZES[:, None, None] ** (1 / 3)
    f = np.exp(-x)
    return SIZES[:, None, None] ** (-2 / 3) * f * (1 + noise * rng.standard_normal((SIZES.size, T.size, seeds)))


def curves(q):
    scale = SIZES.astype(float)[:, None] ** (2 / 3)
    Y = scale * q.mean(-1)
    Yerr = scale * q.std(-1, ddof=1) / np.sqrt(q.shape[-1])
    Yb = scale[:, :, None] * bootstrap_means(q, 200, np.random.default_rng(1))
    return np.log(Y), (Yerr / Y) ** 2, np.log(Yb)


def test_facade_keeps_the_old_names():
    for name in ("Crossing", "CollapseResult", "PowerLawFit", "binder_crossings", "extrapolate_crossings",
                 "fit_power_law", "interpolate_at", "collapse", "fit_collapse", "local_window",
                 "MAX_FAILED_REPLICAS", "_check_N", "_check_T", "_check_table"):
        assert hasattr(fss, name), name


def test_bootstrap_means_shape_and_determinism():
    q = samples()
    a = bootstrap_means(q, 50, 3)
    b = bootstrap_means(q, 50, np.random.default_rng(3))
    assert a.shape == (SIZES.size, 50, T.size)
    np.testing.assert_array_equal(a, b)
    # each replica is a mean over a resample of whole samples: within the range of the samples
    assert np.all(a <= q.max(-1)[:, None, :] + 1e-15) and np.all(a >= q.min(-1)[:, None, :] - 1e-15)
    with pytest.raises(ReductionError, match="n_boot = 1"):
        bootstrap_means(q, 1)


def test_curve_crossings_find_the_planted_crossing():
    lY, lvar, lYb = curves(samples())
    cr = curve_crossings(SIZES, T, lY, lvar, lYb)
    assert [(c.N1, c.N2) for c in cr] == [(250, 500), (500, 1000), (1000, 2000)]
    for c in cr:
        assert 0 < c.err < 0.05 and abs(c.T - TX) < 4 * c.err + 0.005
        assert c.samples.shape == (200,)
    est = crossing_estimate(cr, "mean")
    assert est["value"] == pytest.approx(np.mean([c.T for c in cr]))
    assert est["err"] == pytest.approx(np.hypot(est["err_stat"], est["err_sys"]))
    big = crossing_estimate(cr, "largest")
    assert big["value"] == cr[-1].T


def test_curve_crossings_exact_curves_cross_exactly():
    """Noiseless straight log-curves crossing at TX: the local quadratic finds TX to round-off."""
    lY = (SIZES[:, None] ** (1 / 3)) * -(T[None] - TX)
    yb = np.repeat(lY[:, None, :], 5, axis=1)
    cr = curve_crossings(SIZES, T, lY, np.zeros_like(lY), yb)
    for c in cr:
        assert c.T == pytest.approx(TX, abs=1e-12) and c.err == pytest.approx(0, abs=1e-12)
    up = curve_crossings(SIZES, T, -lY, np.zeros_like(lY), -yb, direction="up")
    assert [c.T for c in up] == pytest.approx([c.T for c in cr], abs=1e-12)


def test_curve_crossings_refusals_name_the_pair_and_the_grid():
    lY, lvar, lYb = curves(samples())
    hot = T > 1.3
    with pytest.raises(ReductionError, match=r"sg: q curves of N=250 and N=500 do not cross inside T = \[1.35, 1.5\] "
                                             r"\(difference goes .*\); the T grid must bracket T_g"):
        curve_crossings(SIZES, T[hot], lY[:, hot], lvar[:, hot], lYb[:, :, hot], what="sg", curve="q", target="T_g")
    with pytest.raises(ReductionError, match="at least 2 sizes"):
        curve_crossings(SIZES[:1], T, lY[:1], lvar[:1], lYb[:1])
    with pytest.raises(ReductionError, match="direction = 'sideways'"):
        curve_crossings(SIZES, T, lY, lvar, lYb, direction="sideways")
    noisy = curves(np.abs(samples(seeds=4, noise=1.0)))
    with pytest.raises(ReductionError, match="lost in .* bootstrap replicas; more samples"):
        curve_crossings(SIZES, T, *noisy, max_failed=0.0)


def test_pick_interval_prefers_the_significant_trend_in_the_asked_direction():
    D = np.array([0.01, -0.01, 0.01, 0.4, 0.2, 0.0, -0.2, -0.4, -0.41, -0.39])
    var = np.full(D.size, 1e-4)
    down = np.flatnonzero((D[:-1] > 0) & (D[1:] <= 0))
    assert pick_interval(D, var, down, before=1, after=3, direction=-1) == 4
    assert pick_interval(D, var, np.array([7])) == 7


def test_local_root_of_a_line_and_of_replicas():
    Tg = np.linspace(0.0, 1.0, 11)
    D = 0.3 - Tg
    assert float(local_root(Tg, D, 2, 4, 0.3)) == pytest.approx(0.3)
    Db = np.stack([0.31 - Tg, 0.29 - Tg])
    np.testing.assert_allclose(local_root(Tg, Db, 2, 4, 0.3), [0.31, 0.29])
    assert np.isnan(local_root(Tg, 5.0 - Tg, 2, 4, 0.3))  # the root is far outside the window


# ---------------------------------------------------------------------------------------- extrapolation


@settings(max_examples=30, deadline=None)
@given(st.floats(-2, 2), st.floats(-5, 5), st.sampled_from(["N^-1/2", "N^-1", "N^-1/3", "N^-2/3"]))
def test_extrapolate_forms_recovers_a_planted_form(e0, a, form):
    N = np.array([100.0, 200, 400, 800, 1600])
    p = FORMS[form][0]
    y = e0 + a * N**-p
    ex = extrapolate_forms(N, y, np.full(N.size, 1e-3), forms=[form])
    assert ex["value"] == pytest.approx(e0, abs=1e-9)
    assert ex["forms"][form]["coef"][0] == pytest.approx(a, abs=1e-7)
    assert ex["err_sys"] == 0


def test_extrapolate_forms_custom_powers_and_spread():
    N = np.array([100.0, 200, 400, 800])
    y = -0.76 + 0.4 * N**-0.8
    ex = extrapolate_forms(N, y, np.full(4, 1e-4), forms={"N^-0.8": (0.8,), "N^-1": (1.0,)})
    assert ex["forms"]["N^-0.8"]["value"] == pytest.approx(-0.76, abs=1e-10)
    vals = [f["value"] for f in ex["forms"].values()]
    assert ex["value"] == pytest.approx(np.mean(vals)) and ex["err_sys"] == pytest.approx(0.5 * np.ptp(vals))
    with pytest.raises(ReductionError, match=r"energy extrapolation: form\(s\) \['bad'\]"):
        extrapolate_forms(N, y, np.full(4, 1e-4), forms={"bad": ()}, what="energy extrapolation")
    with pytest.raises(ReductionError, match=r"energy extrapolation needs at least 2 sizes with e0\(N\)"):
        extrapolate_forms([100], [1.0], [0.1], what="energy extrapolation", quantity="e0")
