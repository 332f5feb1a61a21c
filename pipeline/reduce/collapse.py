"""Data collapse of finite-size curves: the Houdayer-Hartmann quality and its minimisation.

Y = y N^a against x = (T − T_c) N^(1/ν̄) (mean-field scaling in N, ν̄ = dν).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.optimize import minimize

from pipeline.errors import ReductionError
from pipeline.reduce._common import _check_N, _check_T, _check_table, _noiseless

__all__ = ["CollapseResult", "collapse", "fit_collapse"]


class CollapseResult(NamedTuple):
    """Result of :func:`fit_collapse`. Errors are 0 for noiseless input; fixed parameters have err 0."""

    Tc: float
    Tc_err: float
    nu_bar: float
    nu_bar_err: float
    a: float
    a_err: float
    S: float
    n_terms: int


def _window(window) -> tuple[float, float]:
    if window is None:
        return -np.inf, np.inf
    if np.ndim(window) == 0:
        w = float(window)
        if not w > 0:
            raise ReductionError(
                f"collapse: window = {window!r}: expected a half-width > 0 or a pair (lo, hi)"
            )
        return -w, w
    lo, hi = (float(v) for v in window)
    if not lo < hi:
        raise ReductionError(f"collapse: window = ({lo:g}, {hi:g}): expected lo < hi")
    return lo, hi


def _quality(N, T, y, dy, Tc, nu_bar, a, win, noiseless) -> tuple[float, int]:
    """Houdayer-Hartmann quality S and number of terms (see :func:`collapse`)."""
    if not (nu_bar > 0 and np.isfinite(nu_bar)):
        return np.inf, 0
    scale = N[:, None] ** (1.0 / nu_bar)
    x = (T[None, :] - Tc) * scale
    fac = N[:, None] ** a
    Y = y * fac
    dY = np.ones_like(Y) if noiseless else dy * fac
    wt = 1.0 / dY**2
    nN, nT = Y.shape
    # For the point (i, t), the bracketing grid index k in size j: x_j is an affine image of T, so
    # x_i[t] sits at T' = Tc + (T_t - Tc) s_i / s_j on the common T grid.
    s = scale[:, 0]
    Tp = Tc + (T[None, None, :] - Tc) * (s[:, None, None] / s[None, :, None])  # (i, j, t)
    # interval k with x_j[k] < x <= x_j[k+1] (the left one at a node), k = 0 at the first node
    k = np.searchsorted(T, Tp, side="left") - 1
    cov = (Tp >= T[0]) & (Tp <= T[-1]) & ~np.eye(nN, dtype=bool)[:, :, None]
    kc = np.clip(k, 0, nT - 2)
    jj = np.broadcast_to(np.arange(nN)[None, :, None], kc.shape)
    xi = x[:, None, :]
    K = Kx = Ky = Kxx = Kxy = 0.0
    for kk in (kc, kc + 1):
        u = np.where(cov, x[jj, kk] - xi, 0.0)  # centred on the evaluated point
        ww = np.where(cov, wt[jj, kk], 0.0)
        Yk = Y[jj, kk]
        K = K + ww.sum(1)
        Kx = Kx + (ww * u).sum(1)
        Ky = Ky + (ww * Yk).sum(1)
        Kxx = Kxx + (ww * u * u).sum(1)
        Kxy = Kxy + (ww * u * Yk).sum(1)
    use = (K > 0) & (x >= win[0]) & (x <= win[1])
    if not use.any():
        return np.inf, 0
    K, Kx, Ky, Kxx, Kxy = K[use], Kx[use], Ky[use], Kxx[use], Kxy[use]
    Delta = K * Kxx - Kx * Kx
    Yhat = (Kxx * Ky - Kx * Kxy) / Delta
    r2 = (Y[use] - Yhat) ** 2
    if noiseless:
        terms = r2
    else:
        terms = r2 / (dY[use] ** 2 + Kxx / Delta)
    return float(terms.mean()), int(terms.size)


def _collapse_input(N, T, y, dy, what):
    N = _check_N(N, what=what, min_sizes=2)
    T = _check_T(T, what=what, min_temps=2)
    y, dy = _check_table(y, dy, (N.size, T.size), what=what)
    return N, T, y, dy, _noiseless(dy, what=what)


def collapse(N, T, y, dy, *, Tc: float, nu_bar: float, a: float = 0.0, window=None) -> float:
    """Quality S of the data collapse Y = y N^a against x = (T − T_c) N^(1/ν̄).

    Parameters
    ----------
    N : array_like, shape (nN,)
        Sizes, strictly increasing, at least 2.
    T : array_like, shape (nT,)
        Temperatures, strictly increasing.
    y, dy : array_like, shape (nN, nT)
        Observable and its standard errors (all > 0, or all 0 for noiseless data).
    Tc, nu_bar, a : float
        Scaling parameters: ν̄ > 0; a = β/ν̄ for ⟨|m|⟩, −γ/ν̄ for χ, 0 for U4.
    window : float or tuple of float, optional
        Only points with x in ``[lo, hi]`` (or ``[-w, w]`` for a number w) are scored; all points
        still serve to build the master curve. Default: every point.

    Returns
    -------
    float
        S; about 1 for a collapse consistent with the errors, ``inf`` if no point has another
        size covering its x.

    Raises
    ------
    ReductionError
        Bad shapes or values (see :func:`binder_crossings`), ν̄ <= 0, a bad window.

    Notes
    -----
    Houdayer and Hartmann's quality function. For every point (x_ij, Y_ij, dY_ij) each *other*
    size whose x range covers x_ij contributes its two bracketing points; a weighted straight
    line through these points (weights 1/dY²) gives the master-curve estimate Ŷ_ij and its
    variance dŶ²_ij (with one other size this is linear interpolation). Then

        S = (1/n) Σ (Y_ij − Ŷ_ij)² / (dY_ij² + dŶ_ij²),

    the sum over the n points that some other size covers (and that lie in the window). For
    noiseless input (all dy = 0) the weights are 1 and S is the mean squared residual
    (Y − Ŷ)², whose minimum still locates the parameters.

    References
    ----------
    J. Houdayer and A. K. Hartmann, Phys. Rev. B 70, 014418 (2004).
    S. M. Bhattacharjee and F. Seno, J. Phys. A 34, 6375 (2001).
    O. Melchert, "autoScale.py", arXiv:0910.5403 (2009); A. Sorge, pyfssa (2015).
    """
    N, T, y, dy, noiseless = _collapse_input(N, T, y, dy, "collapse")
    if not (np.isfinite(nu_bar) and nu_bar > 0):
        raise ReductionError(f"collapse: nu_bar = {nu_bar!r}: expected nu_bar > 0")
    return _quality(N, T, y, dy, float(Tc), float(nu_bar), float(a), _window(window), noiseless)[0]


def fit_collapse(
    N,
    T,
    y,
    dy,
    *,
    Tc0: float,
    nu_bar0: float,
    a0: float | None = None,
    fit_Tc: bool = True,
    fit_nu_bar: bool = True,
    fit_a: bool | None = None,
    window=None,
    errors: str = "hh",
    n_boot: int = 40,
    seed: int = 0,
) -> CollapseResult:
    """Best data collapse: minimise the quality S of :func:`collapse` over (T_c, ν̄, a).

    Parameters
    ----------
    N, T, y, dy
        As in :func:`collapse`.
    Tc0, nu_bar0 : float
        Starting values (fixed values for parameters not fitted); ν̄0 > 0.
    a0 : float, optional
        Starting (or fixed) a; default 0.
    fit_Tc, fit_nu_bar : bool, optional
        Fit T_c / ν̄ (default True) or hold them at their start values.
    fit_a : bool, optional
        Fit a; default: fit it exactly when `a0` is given.
    window : float or tuple of float, optional
        Range of x that is scored, see :func:`collapse`.
    errors : {"hh", "bootstrap", "none"}, optional
        How errors are estimated: the Houdayer-Hartmann recipe (default), a parametric bootstrap
        (refit `n_boot` replicas y ~ Normal(y, dy) drawn with `seed`), or not at all (errors NaN).
    n_boot, seed : int, optional
        Replicas (default 40) and seed (default 0) of the bootstrap errors.

    Returns
    -------
    CollapseResult
        ``(Tc, Tc_err, nu_bar, nu_bar_err, a, a_err, S, n_terms)`` with S at the minimum and
        n_terms the number of points it averages.

    Raises
    ------
    ReductionError
        Bad input (see :func:`collapse`), nothing to fit, no point with an overlapping size at the
        start values, a minimum with ν̄ <= 0.

    Notes
    -----
    Minimisation by Nelder-Mead (``scipy.optimize.minimize``), restarted from its own result
    (up to 3 times) until S stops improving (S is only piecewise smooth: points enter and leave the overlap).

    Errors follow Houdayer and Hartmann: n·S plays the role of χ², so the error of a parameter
    p is the shift Δ at which n (S(p* ± Δ) − S_min) = 1 with the other parameters held at the
    minimum; Δ is found by bracketing and bisection on each side and the two sides are
    averaged. When S_min > 1 the errors are multiplied by sqrt(S_min). Holding the others fixed
    ignores correlations between parameters (it is a conditional error); with one free
    parameter it is exact to the quadratic order. Noiseless input has no statistical error:
    the errors are 0.

    Caution: the recipe treats n·S as a χ² of independent terms, but every point also enters
    the master curve of its neighbours of other sizes, so the terms are correlated and the
    recipe *underestimates* the error. On synthetic U4 data with 5 sizes and 41 temperatures
    (ν̄ fitted, T_c held) the spread of ν̄ over noise realisations was 1.9 times the recipe's
    error. ``errors="bootstrap"`` refits resampled data instead: slower (n_boot refits, each
    started at the minimum) but calibrated.

    References
    ----------
    J. Houdayer and A. K. Hartmann, Phys. Rev. B 70, 014418 (2004).
    O. Melchert, arXiv:0910.5403 (2009); A. Sorge, pyfssa, doi:10.5281/zenodo.35293.
    """
    what = "collapse fit"
    N, T, y, dy, noiseless = _collapse_input(N, T, y, dy, what)
    if errors not in ("hh", "bootstrap", "none"):
        raise ReductionError(f"{what}: errors = {errors!r}: expected one of ('hh', 'bootstrap', 'none')")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 2:
        raise ReductionError(f"{what}: n_boot = {n_boot!r}: expected an integer >= 2")
    if not (np.isfinite(nu_bar0) and nu_bar0 > 0):
        raise ReductionError(f"{what}: nu_bar0 = {nu_bar0!r}: expected nu_bar0 > 0")
    if fit_a is None:
        fit_a = a0 is not None
    a0 = 0.0 if a0 is None else float(a0)
    win = _window(window)
    p0 = np.array([float(Tc0), float(nu_bar0), a0])
    free = np.array([bool(fit_Tc), bool(fit_nu_bar), bool(fit_a)])
    if not free.any():
        raise ReductionError(f"{what}: fit_Tc, fit_nu_bar and fit_a are all False: nothing to fit")

    def full(q):
        p = p0.copy()
        p[free] = q
        return p

    def S_of(q):
        p = full(q)
        return _quality(N, T, y, dy, p[0], p[1], p[2], win, noiseless)[0]

    S0, n0 = _quality(N, T, y, dy, *p0, win, noiseless)
    if n0 == 0:
        raise ReductionError(
            f"{what}: at Tc0 = {p0[0]:g}, nu_bar0 = {p0[1]:g} no point of one size lies inside the x range "
            "of another (or inside the window); expected overlapping scaled curves"
        )
    span = T[-1] - T[0]
    steps = np.array([0.05 * span, 0.1 * p0[1], 0.05])[free]
    q = p0[free]
    best = S_of(q)
    for _ in range(3):  # Nelder-Mead restarts
        simplex = np.vstack([q] + [q + np.eye(q.size)[k] * steps[k] for k in range(q.size)])
        res = minimize(
            S_of,
            q,
            method="Nelder-Mead",
            options={"initial_simplex": simplex, "xatol": 1e-8, "fatol": np.inf, "maxiter": 2000},
        )
        if not res.fun < best:
            break
        improved = best - res.fun
        q, best = res.x, res.fun
        if improved <= 1e-12 * abs(best):
            break
        steps = steps * 0.3
    p = full(q)
    if not p[1] > 0:
        raise ReductionError(
            f"{what}: minimum at nu_bar = {p[1]:g}; expected nu_bar > 0 (check Tc0, nu_bar0, window)"
        )
    S_min, n = _quality(N, T, y, dy, p[0], p[1], p[2], win, noiseless)

    errs = np.zeros(3)
    if errors == "none":
        errs[:] = np.nan
        errs[~free] = 0.0
    elif errors == "bootstrap" and not noiseless:
        rng = np.random.default_rng(seed)
        step0 = np.where(free, np.array([1e-2 * span, 2e-2 * p[1], 1e-2]), 0.0)[free]
        reps = np.empty((n_boot, int(free.sum())))
        for b in range(n_boot):
            yb = y + dy * rng.standard_normal(y.shape)

            def S_b(qq, yb=yb):
                pp = full(qq)
                return _quality(N, T, yb, dy, pp[0], pp[1], pp[2], win, noiseless)[0]

            simplex = np.vstack([q] + [q + np.eye(q.size)[j] * step0[j] for j in range(q.size)])
            reps[b] = minimize(
                S_b,
                q,
                method="Nelder-Mead",
                options={
                    "initial_simplex": simplex,
                    "xatol": 1e-3 * float(step0.min()),
                    "fatol": np.inf,
                    "maxiter": 1000,
                },
            ).x
        errs[free] = reps.std(axis=0, ddof=1)
    elif not noiseless:
        target = S_min + 1.0 / n
        base = np.array([1e-3 * span, 1e-3 * p[1], 1e-3])
        for k in np.flatnonzero(free):
            widths = []
            for sign in (1.0, -1.0):

                def f(d, k=k, sign=sign):
                    pp = p.copy()
                    pp[k] += sign * d
                    return _quality(N, T, y, dy, pp[0], pp[1], pp[2], win, noiseless)[0] - target

                lo, hi = 0.0, base[k]
                for _ in range(60):
                    if f(hi) > 0:
                        break
                    lo, hi = hi, 2 * hi
                else:
                    widths.append(np.inf)
                    continue
                for _ in range(40):
                    mid = 0.5 * (lo + hi)
                    if f(mid) > 0:
                        hi = mid
                    else:
                        lo = mid
                widths.append(0.5 * (lo + hi))
            errs[k] = 0.5 * (widths[0] + widths[1])
        if S_min > 1:
            errs *= np.sqrt(S_min)
    return CollapseResult(
        float(p[0]),
        float(errs[0]),
        float(p[1]),
        float(errs[1]),
        float(p[2]),
        float(errs[2]),
        float(S_min),
        int(n),
    )
