"""Binning: bin means, binned errors, error-vs-bin-size curve, summarize."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pipeline.stats import bin_means, binned_error, binning_analysis, summarize, tau_int

N_LONG = 2**18
PHI = 0.9
TAU = (1 + PHI) / (2 * (1 - PHI))  # 9.5 exactly
TRUE_ERR = np.sqrt(2 * TAU / N_LONG)  # sigma = 1 for the stationary AR(1)
# Relative sd of an error estimate from B independent Gaussian bins is ~1/sqrt(2 (B - 1));
# for 64 bins that is 8.9%, and 3 sd (27%) is the statistically justified bound.
REL_TOL_64 = 3 / np.sqrt(2 * 63)


def test_bin_means_drops_oldest_samples():
    # 10 samples, 3 bins: size 3, the first 10 % 3 = 1 sample (the oldest) is dropped.
    np.testing.assert_array_equal(bin_means(np.arange(10.0), 3), [2.0, 5.0, 8.0])
    np.testing.assert_array_equal(bin_means(np.arange(6), 6), np.arange(6.0))


def test_bin_means_last_axis():
    x = np.arange(2 * 3 * 8, dtype=float).reshape(2, 3, 8)
    b = bin_means(x, 4)
    assert b.shape == (2, 3, 4)
    np.testing.assert_array_equal(b, x.reshape(2, 3, 4, 2).mean(-1))


@pytest.mark.parametrize(
    "n, n_bins, match",
    [(10, 1, "n_bins = 1: expected n_bins >= 2"), (5, 8, "series length 5 < n_bins = 8")],
)
def test_bin_means_rejects(n, n_bins, match):
    with pytest.raises(ValueError, match=match):
        bin_means(np.zeros(n), n_bins)


def test_binned_error_formula():
    b = np.array([1.0, 2.0, 4.0, 7.0])
    assert binned_error(b) == pytest.approx(np.std(b, ddof=1) / 2.0, rel=1e-14)
    assert isinstance(binned_error(b), float)
    np.testing.assert_allclose(binned_error(np.stack([b, 2 * b])), [binned_error(b), 2 * binned_error(b)])
    with pytest.raises(ValueError, match="1 bin"):
        binned_error(np.ones(1))


def test_binned_error_ar1(ar1):
    # 64 bins of 4096 >> tau = 9.5 samples, so bins are independent (bias ~2 phi /
    # (b (1-phi)^2 2 tau) ~ 0.2%); tolerance REL_TOL_64 (3 sd, see above).
    x = ar1(PHI, N_LONG, seed=21)
    err = binned_error(bin_means(x, 64))
    assert abs(err / TRUE_ERR - 1) < REL_TOL_64
    # The naive error ignores correlations and is sqrt(2 tau) = sqrt(19) ~ 4.4x too small;
    # the naive sigma is precise (<1%), so the ratio carries the same 3-sd tolerance.
    naive = np.std(x, ddof=1) / np.sqrt(N_LONG)
    assert abs(err / naive / np.sqrt(19) - 1) < REL_TOL_64
    assert err / naive > 3.0


def test_binning_analysis_ar1_cross_check(ar1):
    x = ar1(PHI, N_LONG, seed=22)
    res = binning_analysis(x)
    # Powers of two while >= 32 bins remain: 1 ... 2^13.
    np.testing.assert_array_equal(res["bin_size"], 2 ** np.arange(14))
    assert res["n_bins"][-1] == 32
    assert res["error"][0] == pytest.approx(res["err_naive"], rel=1e-12)
    # The plateau averages the 32/64/128-bin levels, each with relative sd <= 1/sqrt(2*31)
    # = 12.7%; 3 x the 64-bin sd (27%) is a fair bound for their average. tau_int goes
    # as err^2, so it must lie in TAU * (1 -+ 0.27)^2.
    assert abs(res["err_plateau"] / TRUE_ERR - 1) < REL_TOL_64
    assert (1 - REL_TOL_64) ** 2 < res["tau_int"] / TAU < (1 + REL_TOL_64) ** 2
    # Cross-check with the windowed estimator on the same data (same bound).
    assert (1 - REL_TOL_64) ** 2 < res["tau_int"] / tau_int(x) < (1 + REL_TOL_64) ** 2
    # Small bins underestimate: the curve rises from the naive error.
    assert res["error"][0] < 0.5 * res["err_plateau"]


def test_binning_analysis_constant_and_rejects():
    res = binning_analysis(np.full(64, 2.5))
    assert res["tau_int"] == 0.5 and res["err_plateau"] == 0.0
    with pytest.raises(ValueError, match="series length 10 < min_bins = 32"):
        binning_analysis(np.zeros(10))
    with pytest.raises(ValueError, match=r"shape \(4, 16\)"):
        binning_analysis(np.zeros((4, 16)))


def test_coverage_ar1(ar1):
    # 200 independent AR(1) series (phi = 0.8, tau = 4.5, n = 2^13, 32 bins of 256 >> tau).
    # With 32 Gaussian bins, (mean / err) ~ Student t with 31 dof: P(|t| < 2) = 0.9457.
    # Binomial(200, 0.9457): expected 189.1, sd 3.2, so [180, 198] = [90%, 99%] is ~ +-2.8 sd.
    x = ar1(0.8, (200, 2**13), seed=23)
    bins = bin_means(x, 32)
    covered = np.abs(bins.mean(-1)) < 2 * binned_error(bins)
    assert 180 <= covered.sum() <= 198


def test_summarize(ar1):
    x = ar1(0.5, 1003, seed=24)
    s = summarize(x, 10)
    assert set(s) == {"mean", "err", "tau_int", "bins"}
    assert s["bins"].shape == (10,)
    assert s["mean"] == pytest.approx(x[3:].mean(), rel=1e-12)
    assert s["err"] == pytest.approx(binned_error(s["bins"]))
    assert s["tau_int"] == tau_int(x)
    with pytest.raises(ValueError, match="expected a 1-D series"):
        summarize(np.zeros((2, 10)), 2)


@settings(max_examples=100, deadline=None)
@given(
    arrays(np.float64, st.integers(2, 400), elements=st.floats(-1e6, 1e6)),
    st.integers(2, 400),
)
def test_bin_means_preserve_kept_mean(x, n_bins):
    # Property: the mean of the bin means is the mean of the kept (last n - n % B) samples.
    # Only rounding differs: tolerance 1e-9 of the scale.
    n_bins = min(n_bins, x.size)
    b = bin_means(x, n_bins)
    assert b.shape == (n_bins,)
    kept = x[x.size % n_bins :]
    scale = max(1.0, float(np.max(np.abs(x))))
    assert abs(b.mean() - kept.mean()) <= 1e-9 * scale
