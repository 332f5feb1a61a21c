"""Power-law fits in N and interpolation of tabulated curves at a temperature."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.interpolate import CubicSpline

from pipeline.errors import ReductionError
from pipeline.reduce._common import _check_N, _check_T, _fmt, _noiseless, _wls_line

__all__ = ["PowerLawFit", "fit_power_law", "interpolate_at"]


class PowerLawFit(NamedTuple):
    """Result of :func:`fit_power_law`: y = prefactor · N^exponent."""

    exponent: float
    err: float
    prefactor: float
    chi2_dof: float


def fit_power_law(N, y, dy) -> PowerLawFit:
    """Weighted log-log fit y = A N^x.

    Parameters
    ----------
    N : array_like, shape (n,)
        Sizes, strictly increasing, at least 2.
    y, dy : array_like, shape (n,)
        Values (all > 0) and standard errors (all > 0, or all 0 for noiseless data).

    Returns
    -------
    PowerLawFit
        ``(exponent, err, prefactor, chi2_dof)``; a NamedTuple, so it unpacks as a 4-tuple.
        ``chi2_dof`` is NaN with 2 sizes (no degree of freedom).

    Raises
    ------
    ReductionError
        Fewer than 2 sizes, shapes that differ, y <= 0 (no logarithm), negative errors, a mix of
        zero and non-zero errors.

    Notes
    -----
    Straight line in (ln N, ln y) with σ(ln y) = dy / y (first order). The error of x is the
    weighted least-squares one, multiplied by sqrt(χ²/dof) when χ²/dof > 1. Noiseless input
    (all dy = 0) is fitted with unit weights and the error is the ordinary least-squares one
    from the residuals (0 with 2 sizes).
    """
    what = "power-law fit"
    N = _check_N(N, what=what, min_sizes=2)
    y = np.asarray(y, dtype=float)
    dy = np.asarray(dy, dtype=float)
    for name, arr in (("y", y), ("dy", dy)):
        if arr.shape != N.shape:
            raise ReductionError(
                f"{what}: {name} has shape {arr.shape}; expected {N.shape} (one value per size)"
            )
        if not np.all(np.isfinite(arr)):
            raise ReductionError(f"{what}: {name} = {_fmt(arr)}: expected finite values")
    if np.any(y <= 0):
        raise ReductionError(f"{what}: y = {_fmt(y)} at N = {_fmt(N)}: expected y > 0 (log-log fit)")
    if np.any(dy < 0):
        raise ReductionError(f"{what}: dy = {_fmt(dy)}: expected standard errors >= 0")
    noiseless = _noiseless(dy, what=what)
    w = np.ones(N.size) if noiseless else (y / dy) ** 2
    lnA, x, chi2, var_c, var_x = _wls_line(np.log(N), np.log(y), w)
    dof = N.size - 2
    chi2_dof = chi2 / dof if dof > 0 else float("nan")
    if noiseless:
        err = float(np.sqrt(var_x * chi2_dof)) if dof > 0 else 0.0
    else:
        err = float(np.sqrt(var_x)) * (float(np.sqrt(chi2_dof)) if dof > 0 and chi2_dof > 1 else 1.0)
    return PowerLawFit(float(x), err, float(np.exp(lnA)), float(chi2_dof))


def interpolate_at(T, y, dy, T0: float, *, T0_err: float = 0.0, deriv: int = 0):
    """Value (or T-derivative) of tabulated curves at T0 with propagated errors.

    Parameters
    ----------
    T : array_like, shape (nT,)
        Temperatures, strictly increasing, at least 2.
    y, dy : array_like, shape (nT,) or (nN, nT)
        Curve(s) along the last axis and their standard errors.
    T0 : float
        Where to evaluate, inside [T[0], T[-1]].
    T0_err : float, optional
        Uncertainty of T0 (default 0), added in quadrature, see Notes.
    deriv : int, optional
        0 (default) for the value, 1 for dy/dT.

    Returns
    -------
    value, err : float or numpy.ndarray
        Shape ``y.shape[:-1]``.

    Raises
    ------
    ReductionError
        Unsorted T, shapes that differ, T0 outside the grid, T0_err < 0, deriv not 0 or 1.

    Notes
    -----
    Not-a-knot cubic spline through the points (a parabola with 3 points, a line with 2). The
    spline is linear in the data, value = Σ_j w_j y_j, so with independent points the
    statistical error is sqrt(Σ_j w_j² dy_j²) exactly. The uncertainty of T0 adds
    |y(T0 + T0_err) − y(T0 − T0_err)| / 2 in quadrature (a one-sided difference where T0 ± T0_err
    leaves the grid). That treats each curve on its own; a fit across sizes should instead
    be redone at T0 ± T0_err, since the shift of T0 is common to all sizes (what
    :func:`pipeline.reduce.exponents.mean_field_exponents` does).
    """
    what = "interpolation"
    T = _check_T(T, what=what, min_temps=2)
    y = np.asarray(y, dtype=float)
    dy = np.asarray(dy, dtype=float)
    if y.shape != dy.shape or y.ndim not in (1, 2) or y.shape[-1] != T.size:
        raise ReductionError(
            f"{what}: y has shape {y.shape} and dy {dy.shape}; expected both ({T.size},) or (nN, {T.size})"
        )
    if deriv not in (0, 1):
        raise ReductionError(f"{what}: deriv = {deriv!r}: expected 0 (value) or 1 (dy/dT)")
    T0 = float(T0)
    if not T[0] <= T0 <= T[-1]:
        raise ReductionError(f"{what}: T0 = {T0:g} outside the grid T = [{T[0]:g}, {T[-1]:g}]")
    if not (np.isfinite(T0_err) and T0_err >= 0):
        raise ReductionError(f"{what}: T0_err = {T0_err!r}: expected a finite value >= 0")
    basis = CubicSpline(T, np.eye(T.size), axis=0)

    def weights(t):
        return basis(t, deriv)

    wt = weights(T0)
    value = y @ wt
    err2 = dy**2 @ wt**2
    if T0_err > 0:
        lo, hi = max(T[0], T0 - T0_err), min(T[-1], T0 + T0_err)
        shift = (y @ weights(hi) - y @ weights(lo)) / (hi - lo) * T0_err
        err2 = err2 + shift**2
    err = np.sqrt(err2)
    if y.ndim == 1:
        return float(value), float(err)
    return value, err
