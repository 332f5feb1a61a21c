"""Error analysis of Monte Carlo time series: binning, autocorrelation, jackknife.

Plain numpy; samples (or bins) along the last axis. Convention throughout:
τ_int = ½ for uncorrelated data, error of the mean σ sqrt(2 τ_int / n).
"""

from __future__ import annotations

import numpy as np

from .autocorr import autocorrelation, tau_int, tau_int_error, tau_int_with_window
from .binning import bin_means, binned_error, binning_analysis
from .jackknife import jackknife, jackknife_samples

__all__ = [
    "autocorrelation",
    "bin_means",
    "binned_error",
    "binning_analysis",
    "jackknife",
    "jackknife_samples",
    "summarize",
    "tau_int",
    "tau_int_error",
    "tau_int_with_window",
]


def summarize(x: np.ndarray, n_bins: int) -> dict:
    """Mean, binned error, τ_int and bin means of a 1-D series.

    Parameters
    ----------
    x : numpy.ndarray
        1-D finite time series (thermalised part).
    n_bins : int
        Number of bins, 2 ≤ n_bins ≤ len(x).

    Returns
    -------
    dict
        ``mean`` (float, mean of the kept samples = mean of the bins), ``err``
        (float, :func:`binned_error` of the bins), ``tau_int`` (float,
        :func:`tau_int` of the whole series) and ``bins`` (the bin means).

    Raises
    ------
    ValueError
        If `x` is not 1-D, or as :func:`bin_means` and :func:`tau_int`.

    Notes
    -----
    The first len(x) mod n_bins samples are dropped from ``mean`` and ``err``
    (see :func:`bin_means`). Check that the bin size len(x) // n_bins is much
    larger than ``tau_int``, otherwise ``err`` is an underestimate.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"summarize: x has shape {x.shape}: expected a 1-D series")
    bins = bin_means(x, n_bins)
    return {
        "mean": float(bins.mean()),
        "err": binned_error(bins),
        "tau_int": tau_int(x),
        "bins": bins,
    }
