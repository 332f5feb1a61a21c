"""Autocorrelation function and tau_int (convention tau_int = 1/2 for white noise)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pipeline.stats import autocorrelation, tau_int, tau_int_error, tau_int_with_window

N_LONG = 2**18


def test_autocorrelation_matches_direct_sum():
    # Exact identity (FFT vs direct sum), so only rounding: 1e-12.
    x = np.random.default_rng(1).standard_normal(257)
    dx = x - x.mean()
    n = x.size
    direct = np.array([dx[: n - t] @ dx[t:] for t in range(n)]) / (dx @ dx)
    rho = autocorrelation(x)
    assert rho.shape == (n,)
    assert rho[0] == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(rho, direct, rtol=0, atol=1e-12)


def test_autocorrelation_ar1_is_geometric(ar1):
    # rho(t) = phi^t. Bartlett's formula gives sd(rho_hat(t)) <= sqrt(19 / n) ~ 0.0085
    # for phi = 0.9, t <= 10, n = 2^18; 0.03 is ~3.5 sd.
    phi = 0.9
    rho = autocorrelation(ar1(phi, N_LONG, seed=11))
    t = np.arange(11)
    np.testing.assert_allclose(rho[:11], phi**t, atol=0.03)


def test_tau_int_ar1(ar1):
    # Exact tau_int = (1 + phi) / (2 (1 - phi)) = 9.5. Tolerance: 3 Madras-Sokal standard
    # errors sqrt(2 (2W + 1) / n) tau (W ~ 57 -> ~3% each, ~9% in all). The truncation bias
    # sum_{t > W} phi^t ~ 0.02 and the O(W tau / n) bias of the 1/n ACF estimator are far below.
    phi = 0.9
    exact = (1 + phi) / (2 * (1 - phi))
    assert exact == pytest.approx(9.5)
    x = ar1(phi, N_LONG, seed=12)
    tau, W = tau_int_with_window(x)
    assert W >= 6.0 * tau  # Sokal window condition
    assert W - 1 < 6.0 * (np.cumsum(autocorrelation(x))[W - 1] - 0.5)  # and W is the smallest
    tol = 3 * tau_int_error(exact, W, N_LONG)
    assert tol / exact < 0.10
    assert abs(tau - exact) < tol
    assert tau_int(x) == tau


def test_tau_int_white_noise():
    # tau_int = 1/2; tolerance 3 Madras-Sokal standard errors (W ~ 3: ~0.022 for n = 2^16).
    n = 2**16
    x = np.random.default_rng(13).standard_normal(n)
    tau, W = tau_int_with_window(x)
    assert abs(tau - 0.5) < 3 * tau_int_error(0.5, W, n)


@pytest.mark.parametrize("value", [0.0, 0.1, -3.7e5])
def test_constant_series_gives_one_half(value):
    # Documented convention: zero variance -> tau_int = 1/2, window 0, rho = (1, 0, ...).
    x = np.full(101, value)
    assert tau_int_with_window(x) == (0.5, 0)
    np.testing.assert_array_equal(autocorrelation(x), np.r_[1.0, np.zeros(100)])


def test_short_and_anticorrelated_series():
    # Length 2 must work; the exactly alternating series has tau_int -> 0 (clipped at 0).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isfinite(tau_int(np.array([0.0, 1.0])))
    x = np.tile([1.0, -1.0], 500)
    assert 0.0 <= tau_int(x) < 0.01


def test_too_short_series_warns(ar1):
    # phi = 0.99 (tau = 99.5) with 200 samples: any estimate above 4 must warn (n < 50 tau).
    x = ar1(0.99, 200, seed=14)
    with pytest.warns(RuntimeWarning, match="series length 200 < 50"):
        tau = tau_int(x)
    assert np.isfinite(tau) and tau > 4


def test_long_series_does_not_warn(ar1):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tau_int(ar1(0.5, 2000, seed=15))


@pytest.mark.parametrize(
    "x, match",
    [
        (np.array([1.0]), "series length 1"),
        (np.zeros((3, 4)), r"shape \(3, 4\)"),
        (np.array([1.0, np.nan, 2.0]), "1 of 3 samples are NaN or inf"),
    ],
)
def test_tau_int_rejects_bad_input(x, match):
    with pytest.raises(ValueError, match=match):
        tau_int(x)


def test_tau_int_rejects_bad_c():
    with pytest.raises(ValueError, match="c = 0"):
        tau_int(np.arange(10.0), c=0)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(2, 300), elements=st.floats(-1e6, 1e6)))
def test_tau_int_finite_nonnegative(x):
    # Property: for any finite input the estimate is a finite number >= 0 (the variance of
    # the mean cannot be negative); short series may warn, which is fine here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        tau, W = tau_int_with_window(x)
    assert np.isfinite(tau) and tau >= 0.0
    assert 0 <= W < x.size
    rho = autocorrelation(x)
    assert np.all(np.isfinite(rho)) and np.all(np.abs(rho) <= 1.0 + 1e-9)
