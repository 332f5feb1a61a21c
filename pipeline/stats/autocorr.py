"""Autocorrelation function and integrated autocorrelation time.

Convention: τ_int = ½ + Σ_{t≥1} ρ(t), so τ_int = ½ for uncorrelated data and the
error of the mean of n samples is σ sqrt(2 τ_int / n).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import fft as _fft

__all__ = ["MIN_LENGTH_IN_TAUS", "autocorrelation", "tau_int", "tau_int_error", "tau_int_with_window"]

#: A series shorter than this many τ_int triggers a warning (emcee's rule of thumb).
MIN_LENGTH_IN_TAUS = 50


def _as_series(x: np.ndarray, where: str, min_len: int = 1) -> np.ndarray:
    """Validate a 1-D finite float series of length >= min_len."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"{where}: x has shape {x.shape}: expected a 1-D series")
    if x.size < min_len:
        raise ValueError(f"{where}: series length {x.size}: expected at least {min_len} samples")
    n_bad = int(np.count_nonzero(~np.isfinite(x)))
    if n_bad:
        raise ValueError(f"{where}: {n_bad} of {x.size} samples are NaN or inf: expected finite values")
    return x


def autocorrelation(x: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation function ρ(t), t = 0 … n−1, via zero-padded FFT.

    Parameters
    ----------
    x : numpy.ndarray
        1-D finite time series, at least 1 sample.

    Returns
    -------
    numpy.ndarray
        ρ(t) with ρ(0) = 1, length n.

    Raises
    ------
    ValueError
        If `x` is not 1-D, is empty or holds NaN/inf.

    Notes
    -----
    ρ(t) = C(t) / C(0) with the biased (1/n) estimator
    C(t) = (1/n) Σ_{i=0}^{n−1−t} (x_i − x̄)(x_{i+t} − x̄), the standard choice for
    windowed τ_int estimates (Sokal). The padding to ≥ 2n removes the circular
    wrap-around. A constant series (zero variance) returns ρ = (1, 0, 0, …).
    """
    x = _as_series(x, "autocorrelation")
    n = x.size
    rho = np.zeros(n)
    rho[0] = 1.0
    if np.ptp(x) == 0.0:
        return rho
    dx = x - x.mean()
    dx = dx / np.max(np.abs(dx))  # avoids overflow of dx**2 for huge values; cancels in the ratio
    n_fft = _fft.next_fast_len(2 * n, real=True)
    f = _fft.rfft(dx, n=n_fft)
    acov = _fft.irfft(f.real**2 + f.imag**2, n=n_fft)[:n]
    return acov / acov[0]


def tau_int_with_window(x: np.ndarray, c: float = 6.0) -> tuple[float, int]:
    """Integrated autocorrelation time and the window W chosen for it.

    Parameters
    ----------
    x : numpy.ndarray
        1-D finite time series, at least 2 samples.
    c : float, default 6.0
        Sokal's window constant: W is the smallest lag with W ≥ c τ_int(W).

    Returns
    -------
    tau : float
        τ_int(W) = ½ + Σ_{t=1}^{W} ρ(t), clipped below at 0.
    W : int
        The window; 0 for a constant series.

    Raises
    ------
    ValueError
        If `x` is not 1-D, has fewer than 2 samples or holds NaN/inf, or if
        ``c <= 0``.

    Warns
    -----
    RuntimeWarning
        If n < 50 τ_int (``MIN_LENGTH_IN_TAUS``): the series is too short for a
        reliable estimate, which then tends to be too low. The estimate is still
        returned.

    Notes
    -----
    τ_int = ½ for uncorrelated data, error of the mean σ sqrt(2 τ_int / n). A
    constant series (zero variance) returns (0.5, 0) by convention: it behaves as
    uncorrelated and its error of the mean is 0 anyway. Strongly anti-correlated
    series can give a negative truncated sum; since the variance of the mean
    (∝ τ_int) cannot be negative the estimate is clipped to 0.

    References
    ----------
    A. D. Sokal, "Monte Carlo methods in statistical mechanics: foundations and
    new algorithms", Cargèse lectures (1996), sec. 3.
    """
    x = _as_series(x, "tau_int", min_len=2)
    if not c > 0:
        raise ValueError(f"tau_int: c = {c!r}: expected c > 0 (typically 4 to 10)")
    if np.ptp(x) == 0.0:
        return 0.5, 0
    rho = autocorrelation(x)
    taus = np.cumsum(rho) - 0.5  # taus[W] = 1/2 + sum_{t=1}^{W} rho(t)
    lags = np.arange(rho.size)
    ok = (lags >= 1) & (lags >= c * taus)
    # taus[n-1] = 0 exactly for the 1/n estimator, so ok is (up to rounding) never all False.
    W = int(np.argmax(ok)) if ok.any() else rho.size - 1
    tau = float(max(taus[W], 0.0))
    if x.size < MIN_LENGTH_IN_TAUS * tau:
        warnings.warn(
            f"tau_int: series length {x.size} < {MIN_LENGTH_IN_TAUS} * tau_int = "
            f"{MIN_LENGTH_IN_TAUS * tau:.4g}: series too short, the estimate (window W = {W}) "
            "is unreliable and usually too low",
            RuntimeWarning,
            stacklevel=2,
        )
    return tau, W


def tau_int(x: np.ndarray, c: float = 6.0) -> float:
    """Integrated autocorrelation time with Sokal's automatic window.

    Parameters
    ----------
    x : numpy.ndarray
        1-D finite time series, at least 2 samples.
    c : float, default 6.0
        Window constant: W is the smallest lag with W ≥ c τ_int(W).

    Returns
    -------
    float
        τ_int = ½ + Σ_{t=1}^{W} ρ(t) (≥ 0).

    Notes
    -----
    τ_int = ½ for uncorrelated data, so the error of the mean is σ sqrt(2 τ_int / n).
    A constant series (zero variance) returns 0.5. See :func:`tau_int_with_window`
    for the window, the clipping at 0 and the warning for too-short series.
    """
    return tau_int_with_window(x, c)[0]


def tau_int_error(tau: float, W: int, n: int) -> float:
    """Madras–Sokal statistical error of a windowed τ_int estimate.

    Parameters
    ----------
    tau : float
        The estimate τ_int.
    W : int
        The summation window used for it.
    n : int
        Number of samples.

    Returns
    -------
    float
        sqrt(2 (2W + 1) / n) τ_int.

    Notes
    -----
    Valid for n ≫ W ≫ τ_int; it ignores the (small, negative) truncation bias
    Σ_{t>W} ρ(t).
    """
    if n < 1:
        raise ValueError(f"tau_int_error: n = {n}: expected n >= 1")
    if W < 0:
        raise ValueError(f"tau_int_error: W = {W}: expected W >= 0")
    return float(np.sqrt(2.0 * (2 * W + 1) / n) * tau)
