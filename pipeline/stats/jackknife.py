"""Jackknife (leave-one-bin-out) errors of nonlinear functions of means."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["jackknife", "jackknife_samples"]


def _check_bins(bin_arrays: tuple, where: str) -> list[np.ndarray]:
    """Float arrays sharing a last (bins) axis of length >= 2."""
    if not bin_arrays:
        raise ValueError(f"{where}: no bin arrays given: expected at least one")
    arrays = [np.asarray(a, dtype=float) for a in bin_arrays]
    lengths = [a.shape[-1] if a.ndim else 0 for a in arrays]
    if len(set(lengths)) != 1:
        raise ValueError(
            f"{where}: bin arrays have {lengths} bins along the last axis: expected the same number"
        )
    if lengths[0] < 2:
        raise ValueError(f"{where}: {lengths[0]} bin(s) along the last axis: expected at least 2")
    return arrays


def jackknife_samples(*bin_arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Leave-one-out means of each array of bin means.

    Parameters
    ----------
    *bin_arrays : numpy.ndarray
        Bin means, bins along the last axis; all with the same number B ≥ 2 of
        bins (leading axes may differ).

    Returns
    -------
    tuple of numpy.ndarray
        One array per input, same shape: element ``[..., i]`` is the mean of the
        other B − 1 bins. Always a tuple, so ``f(*jackknife_samples(a, b))`` works
        for any number of inputs.

    Raises
    ------
    ValueError
        If no array is given, the numbers of bins differ, or B < 2.

    Notes
    -----
    Computed as x̄ + (x̄ − x_i) / (B − 1), which keeps full precision for bins with a
    large common offset.
    """
    arrays = _check_bins(bin_arrays, "jackknife_samples")
    out = []
    for a in arrays:
        n_bins = a.shape[-1]
        mean = a.mean(axis=-1, keepdims=True)
        out.append(mean + (mean - a) / (n_bins - 1))
    return tuple(out)


def jackknife(
    f: Callable[..., float | np.ndarray], *bin_arrays: np.ndarray, bias_correct: bool = False
) -> tuple[float | np.ndarray, float | np.ndarray]:
    """Jackknife estimate and error of f(means) from bin means.

    Parameters
    ----------
    f : callable
        ``f(*means)`` → scalar or array. Receives one array per input with the bins
        axis removed (shape ``a.shape[:-1]``, so it is vectorised over leading axes;
        floats for 1-D inputs).
    *bin_arrays : numpy.ndarray
        Bin means, bins along the last axis, all with the same number B ≥ 2.
    bias_correct : bool, default False
        Return the bias-corrected estimate B f(x̄) − (B − 1) mean_i f_i instead of
        the plain f(x̄).

    Returns
    -------
    estimate : float or numpy.ndarray
        f of the full means (default) or its bias-corrected version.
    error : float or numpy.ndarray
        sqrt((B − 1)/B Σ_i (f_i − mean f_i)²), same shape as the estimate.

    Raises
    ------
    ValueError
        If no array is given, the numbers of bins differ, or B < 2.

    Notes
    -----
    f_i = f evaluated on the means of all bins except bin i (see
    :func:`jackknife_samples`). For linear f the error equals the binned error of
    the mean exactly. The bins must be longer than the autocorrelation time so
    they are independent. The bias of f(x̄) is O(1/n) and usually far below the
    error, hence the plain estimate is the default. f is called B + 1 times.
    """
    arrays = _check_bins(bin_arrays, "jackknife")
    n_bins = arrays[0].shape[-1]
    full = np.asarray(f(*(_scalar(a.mean(axis=-1)) for a in arrays)), dtype=float)
    samples = jackknife_samples(*arrays)
    f_i = np.stack(
        [np.asarray(f(*(_scalar(s[..., i]) for s in samples)), dtype=float) for i in range(n_bins)]
    )
    f_mean = f_i.mean(axis=0)
    err = np.sqrt((n_bins - 1) / n_bins * np.sum((f_i - f_mean) ** 2, axis=0))
    est = n_bins * full - (n_bins - 1) * f_mean if bias_correct else full
    return _scalar(est), _scalar(err)


def _scalar(a: np.ndarray) -> float | np.ndarray:
    """0-d arrays to float, others unchanged."""
    return float(a) if np.ndim(a) == 0 else a
