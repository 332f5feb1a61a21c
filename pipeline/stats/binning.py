"""Binning (blocking) of Monte Carlo time series.

Consecutive samples are averaged in blocks ("bins"); once a bin is much longer
than the autocorrelation time the bin means are nearly independent and their
spread gives an honest error of the mean.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bin_means", "binned_error", "binning_analysis"]


def bin_means(x: np.ndarray, n_bins: int) -> np.ndarray:
    """Means of `n_bins` equal consecutive blocks along the last axis.

    Parameters
    ----------
    x : numpy.ndarray
        Time series, samples along the last axis (1-D or n-D).
    n_bins : int
        Number of bins, at least 2 and at most the series length.

    Returns
    -------
    numpy.ndarray
        Bin means, shape ``x.shape[:-1] + (n_bins,)``, float.

    Raises
    ------
    ValueError
        If `x` is 0-d, if ``n_bins < 2`` or if the series is shorter than `n_bins`.

    Notes
    -----
    With n samples the bin size is ⌊n / n_bins⌋ and the *first* n mod n_bins samples
    are dropped: they are the oldest, closest to thermalisation. The bin means
    therefore average exactly the kept samples ``x[..., n % n_bins:]``.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        raise ValueError("bin_means: x is a scalar; expected a series with samples along the last axis")
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer):
        raise ValueError(f"bin_means: n_bins = {n_bins!r}: expected an integer >= 2")
    n = x.shape[-1]
    if n_bins < 2:
        raise ValueError(f"bin_means: n_bins = {n_bins}: expected n_bins >= 2 (one bin has no spread)")
    if n < n_bins:
        raise ValueError(
            f"bin_means: series length {n} < n_bins = {n_bins}: expected at least one sample per bin"
        )
    size = n // n_bins
    kept = x[..., n - size * n_bins :]
    return kept.reshape(*x.shape[:-1], int(n_bins), size).mean(axis=-1)


def binned_error(bins: np.ndarray) -> float | np.ndarray:
    """Standard error of the mean from bin means along the last axis.

    Parameters
    ----------
    bins : numpy.ndarray
        Bin means, bins along the last axis (at least 2).

    Returns
    -------
    float or numpy.ndarray
        ``std(bins, ddof=1) / sqrt(n_bins)``; a float for 1-D input, otherwise an
        array of shape ``bins.shape[:-1]``.

    Raises
    ------
    ValueError
        If there are fewer than 2 bins.

    Notes
    -----
    Valid when the bins are much longer than the integrated autocorrelation time,
    so that the bin means are independent. The relative statistical error of the
    result is about 1 / sqrt(2 (n_bins − 1)).
    """
    bins = np.asarray(bins, dtype=float)
    n_bins = bins.shape[-1] if bins.ndim else 0
    if n_bins < 2:
        raise ValueError(f"binned_error: {n_bins} bin(s) given: expected at least 2 along the last axis")
    err = np.std(bins, axis=-1, ddof=1) / np.sqrt(n_bins)
    return float(err) if np.ndim(err) == 0 else err


def binning_analysis(x: np.ndarray, min_bins: int = 32, n_plateau: int = 3) -> dict:
    """Error of the mean versus bin size, with a plateau estimate.

    Parameters
    ----------
    x : numpy.ndarray
        1-D time series.
    min_bins : int, default 32
        Bin sizes 1, 2, 4, ... are used while at least `min_bins` bins remain.
    n_plateau : int, default 3
        The plateau error is the mean of the errors at the `n_plateau` largest bin
        sizes (fewer if fewer levels exist).

    Returns
    -------
    dict
        ``bin_size`` (int array), ``n_bins`` (int array), ``error`` (error of the
        mean at each bin size), ``error_err`` (its statistical error,
        error / sqrt(2 (n_bins − 1))), ``err_naive`` (std / sqrt(n), the
        uncorrelated estimate), ``err_plateau`` and ``tau_int``
        (= ½ (err_plateau / err_naive)²).

    Raises
    ------
    ValueError
        If `x` is not 1-D, if ``min_bins < 2`` or ``n_plateau < 1``, or if the
        series is shorter than `min_bins`.

    Notes
    -----
    τ_int = ½ for uncorrelated data (error of the mean σ sqrt(2 τ_int / n)). The
    curve must have levelled off for the plateau to be meaningful: inspect
    ``error`` against ``error_err``; if it still rises at the largest bin sizes the
    series is too short and the plateau (and τ_int) are underestimates. At each bin
    size the first n mod bin_size samples are dropped. A constant series gives
    err_naive = 0 and, by convention, tau_int = ½. Meant as a cross-check of
    :func:`pipeline.stats.tau_int`.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"binning_analysis: x has shape {x.shape}: expected a 1-D series")
    if min_bins < 2:
        raise ValueError(f"binning_analysis: min_bins = {min_bins}: expected min_bins >= 2")
    if n_plateau < 1:
        raise ValueError(f"binning_analysis: n_plateau = {n_plateau}: expected n_plateau >= 1")
    n = x.size
    if n < min_bins:
        raise ValueError(
            f"binning_analysis: series length {n} < min_bins = {min_bins}: expected a longer series"
        )
    sizes, counts, errors = [], [], []
    size = 1
    while n // size >= min_bins:
        b = n // size
        blocks = x[n - b * size :].reshape(b, size).mean(axis=1)
        sizes.append(size)
        counts.append(b)
        errors.append(binned_error(blocks))
        size *= 2
    bin_size = np.asarray(sizes, dtype=int)
    n_bins = np.asarray(counts, dtype=int)
    error = np.asarray(errors, dtype=float)
    err_naive = float(np.std(x, ddof=1) / np.sqrt(n))
    err_plateau = float(np.mean(error[-n_plateau:]))
    tau = 0.5 if err_naive == 0.0 else 0.5 * (err_plateau / err_naive) ** 2
    return {
        "bin_size": bin_size,
        "n_bins": n_bins,
        "error": error,
        "error_err": error / np.sqrt(2.0 * (n_bins - 1)),
        "err_naive": err_naive,
        "err_plateau": err_plateau,
        "tau_int": float(tau),
    }
