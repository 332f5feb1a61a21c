"""Jackknife estimates and errors from bin means."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pipeline.stats import bin_means, binned_error, jackknife, jackknife_samples


def test_jackknife_samples_definition():
    b = np.random.default_rng(31).standard_normal((3, 7))
    (loo,) = jackknife_samples(b)
    expected = np.stack([np.delete(b, i, axis=-1).mean(-1) for i in range(7)], axis=-1)
    np.testing.assert_allclose(loo, expected, rtol=0, atol=1e-14)
    a2, b2 = jackknife_samples(b[0], b[1])
    np.testing.assert_allclose(a2, expected[0], atol=1e-14)
    np.testing.assert_allclose(b2, expected[1], atol=1e-14)


def test_linear_f_equals_binned_error():
    # For linear f the jackknife error is algebraically std(ddof=1)/sqrt(B): only rounding.
    b = np.random.default_rng(32).normal(3.0, 2.0, size=(4, 50))
    est, err = jackknife(lambda m: m, b)
    np.testing.assert_allclose(est, b.mean(-1), rtol=1e-12)
    np.testing.assert_allclose(err, binned_error(b), rtol=1e-12)
    est1, err1 = jackknife(lambda m: m, b[0])
    assert isinstance(est1, float) and isinstance(err1, float)
    assert err1 == pytest.approx(binned_error(b[0]), rel=1e-12)


def test_bias_correction_of_square():
    # For f = mean^2 the bias-corrected jackknife is exactly mean^2 - err^2 (algebra).
    b = np.random.default_rng(33).normal(1.0, 1.0, size=40)
    plain, err = jackknife(lambda m: m**2, b)
    corrected, err_c = jackknife(lambda m: m**2, b, bias_correct=True)
    assert plain == pytest.approx(b.mean() ** 2, rel=1e-13)
    assert corrected == pytest.approx(b.mean() ** 2 - binned_error(b) ** 2, rel=1e-10)
    assert err_c == err


def test_ratio_vs_delta_method():
    # a/b with correlated bins. Jackknife and the delta method are the same first-order
    # estimator on the same data; they differ by O(1/B) and (sigma_b/mu_b)^2 / B terms
    # (~1e-4 here), so the brief's 10% is loose; we use it but they agree far closer.
    rng = np.random.default_rng(34)
    n_bins = 64
    z = rng.standard_normal((2, n_bins))
    a = 10.0 + 1.0 * z[0]
    b = 5.0 + 0.5 * (0.6 * z[0] + 0.8 * z[1])
    est, err = jackknife(lambda x, y: x / y, a, b)
    ma, mb = a.mean(), b.mean()
    cov = np.cov(a, b, ddof=1) / n_bins
    grad = np.array([1 / mb, -ma / mb**2])
    delta = np.sqrt(grad @ cov @ grad)
    assert est == pytest.approx(ma / mb, rel=1e-14)
    assert err == pytest.approx(delta, rel=0.10)


def test_binder_cumulant_gaussian():
    # U4 = 1 - <x^4> / (3 <x^2>^2) = 0 for Gaussian data. Delta method: var(U4) = (8/3) / n.
    # The jackknife error from 64 bins has relative sd ~1/sqrt(2*63) = 8.9%, so it must be
    # within 3 sd (27%) of sqrt(8/(3n)); U4 must lie within 3 errors of 0 (99.7% for a
    # Gaussian estimate; the O(1/n) bias is ~1e-4 of the error).
    n = 2**16
    x = np.random.default_rng(35).standard_normal(n)
    m2, m4 = bin_means(x**2, 64), bin_means(x**4, 64)
    u4, err = jackknife(lambda a, b: 1 - b / (3 * a**2), m2, m4)
    assert abs(err / np.sqrt(8 / (3 * n)) - 1) < 3 / np.sqrt(2 * 63)
    assert abs(u4) < 3 * err


def test_vector_valued_f_and_leading_axes():
    b = np.random.default_rng(36).standard_normal((3, 20)) + 5.0
    est, err = jackknife(lambda m: np.stack([m, m**2]), b)
    assert est.shape == err.shape == (2, 3)
    e1, r1 = jackknife(lambda m: m**2, b[1])
    assert est[1, 1] == pytest.approx(e1) and err[1, 1] == pytest.approx(r1)


@pytest.mark.parametrize(
    "arrays_, match",
    [
        ((), "no bin arrays given"),
        ((np.ones(5), np.ones(6)), r"\[5, 6\] bins"),
        ((np.ones(1),), "1 bin"),
    ],
)
def test_jackknife_rejects(arrays_, match):
    with pytest.raises(ValueError, match=match):
        jackknife(lambda *m: m[0], *arrays_)
    with pytest.raises(ValueError, match=match):
        jackknife_samples(*arrays_)


@settings(max_examples=100, deadline=None)
@given(st.floats(-1e6, 1e6), st.integers(2, 200))
def test_constant_bins_give_zero_error(value, n_bins):
    # Property: identical bins carry no fluctuation, so the error is 0 up to rounding
    # (1e-12 of the scale), for a linear and a nonlinear f.
    b = np.full(n_bins, value)
    scale = max(1.0, abs(value))
    _, err = jackknife(lambda m: m, b)
    assert err <= 1e-12 * scale
    _, err2 = jackknife(lambda m: np.exp(np.sin(m)), b)
    assert err2 <= 1e-12


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(2, 100), elements=st.floats(-1e3, 1e3)))
def test_linear_property(b):
    # Property version of the exact identity for linear f (rounding only).
    _, err = jackknife(lambda m: 2.0 * m + 1.0, b)
    assert err == pytest.approx(2.0 * binned_error(b), rel=1e-9, abs=1e-9)
