"""Shared checks and small fits of the finite-size-scaling numerics (plain numpy).

Input conventions (see :mod:`pipeline.reduce.fss`): sizes ``N`` and temperatures ``T`` 1-D and
strictly increasing; tables ``y[iN, iT]`` with standard errors ``dy[iN, iT]``.
"""

from __future__ import annotations

import numpy as np

from pipeline.errors import ReductionError


def _g(a) -> str:
    """Every entry of an array, ``%g``-formatted, in brackets (for error messages)."""
    a = np.atleast_1d(np.asarray(a, dtype=float))
    return "[" + ", ".join(f"{v:g}" for v in a) + "]"


def _fmt(a) -> str:
    """Short printable form of an array for error messages."""
    a = np.asarray(a)
    if a.size > 8:
        return f"[{', '.join(f'{v:g}' for v in a.ravel()[:3])}, ..., {', '.join(f'{v:g}' for v in a.ravel()[-2:])}]"
    return "[" + ", ".join(f"{v:g}" for v in a.ravel()) + "]"


def _check_N(N, *, what: str, min_sizes: int = 1) -> np.ndarray:
    N = np.asarray(N, dtype=float)
    if N.ndim != 1 or N.size == 0:
        raise ReductionError(f"{what}: N must be a non-empty 1-D array of sizes; got shape {N.shape}")
    if not np.all(np.isfinite(N)) or np.any(N <= 0):
        raise ReductionError(f"{what}: N = {_fmt(N)}: expected finite sizes N > 0")
    if np.any(np.diff(N) <= 0):
        raise ReductionError(f"{what}: N = {_fmt(N)}: expected strictly increasing sizes")
    if N.size < min_sizes:
        raise ReductionError(f"{what} needs at least {min_sizes} sizes; sweep has N = {_fmt(N)}")
    return N


def _check_T(T, *, what: str, min_temps: int = 2) -> np.ndarray:
    T = np.asarray(T, dtype=float)
    if T.ndim != 1 or T.size == 0:
        raise ReductionError(f"{what}: T must be a non-empty 1-D array of temperatures; got shape {T.shape}")
    if not np.all(np.isfinite(T)):
        raise ReductionError(f"{what}: T = {_fmt(T)}: expected finite temperatures")
    if np.any(np.diff(T) <= 0):
        raise ReductionError(f"{what}: T = {_fmt(T)}: expected strictly increasing temperatures")
    if T.size < min_temps:
        raise ReductionError(f"{what} needs at least {min_temps} temperatures; sweep has T = {_fmt(T)}")
    return T


def _check_table(y, dy, shape, *, what: str, names=("y", "dy")) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    dy = np.asarray(dy, dtype=float)
    for name, arr in zip(names, (y, dy), strict=True):
        if arr.shape != tuple(shape):
            raise ReductionError(
                f"{what}: {name} has shape {arr.shape}; expected {tuple(shape)} (sizes x temperatures)"
            )
        if not np.all(np.isfinite(arr)):
            raise ReductionError(f"{what}: {name} has non-finite entries; expected finite values")
    if np.any(dy < 0):
        raise ReductionError(
            f"{what}: {names[1]} has negative entries (min {dy.min():g}); expected standard errors >= 0"
        )
    return y, dy


def _noiseless(dy: np.ndarray, *, what: str, name: str = "dy") -> bool:
    """True if all errors are 0; raises if some are 0 and some are not (weights undefined)."""
    zero = dy == 0
    if np.all(zero):
        return True
    if np.any(zero):
        raise ReductionError(
            f"{what}: {name} is 0 at {int(zero.sum())} of {dy.size} points; expected all {name} > 0 "
            "(weighted fit) or all {name} = 0 (noiseless data)".replace("{name}", name)
        )
    return False


def _wls_line(x: np.ndarray, y: np.ndarray, w: np.ndarray):
    """Weighted straight line y = c + a x along the last axis (rows fitted independently).

    Returns c, a, chi2, var_c, var_a (variances from the weights alone).
    """
    Sw = w.sum()
    Sx = (w * x).sum(-1)
    Sy = (w * y).sum(-1)
    Sxx = (w * x * x).sum(-1)
    Sxy = (w * x * y).sum(-1)
    den = Sw * Sxx - Sx * Sx
    a = (Sw * Sxy - Sx * Sy) / den
    c = (Sy - a * Sx) / Sw
    chi2 = (
        (w * (y - c[..., None] - a[..., None] * x) ** 2).sum(-1)
        if np.ndim(c)
        else float((w * (y - c - a * x) ** 2).sum())
    )
    return c, a, chi2, Sxx / den, Sw / den
