"""Extrapolation of finite-size estimates to N → ∞.

* :func:`extrapolate_crossings`: Binder-crossing temperatures T_cross(N_eff) = T_c + a N_eff^(−ω)
  (ω fixed or fitted), or a constant, with errors from the crossings' shared bootstrap replicas.
* :func:`extrapolate_forms`: any finite-size estimate e(N) = e_∞ + Σ_k a_k N^(−p_k) with several
  forms (:data:`FORMS`, or explicit powers), each by weighted least squares and refitted on bootstrap
  replicas; the result is the mean over the forms with half their spread as a systematic error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from pipeline.errors import ReductionError
from pipeline.reduce._common import _g, _noiseless, _wls_line
from pipeline.reduce.crossings import Crossing

__all__ = ["FORMS", "extrapolate_crossings", "extrapolate_forms"]

#: Forms of :func:`extrapolate_crossings`.
_FORMS = ("1/N^w", "const")

#: Finite-size forms of :func:`extrapolate_forms`: name -> powers p of the terms a_k N^(−p) (besides e_∞).
FORMS: dict[str, tuple[float, ...]] = {
    "N^-1/2": (0.5,),
    "N^-1": (1.0,),
    "N^-1/2+N^-1": (0.5, 1.0),
    "N^-1/3": (1.0 / 3.0,),
    "N^-2/3": (2.0 / 3.0,),
    "N^-2/3+N^-1": (2.0 / 3.0, 1.0),
    "N^-2/3+N^-4/3": (2.0 / 3.0, 4.0 / 3.0),
    "N^-1+N^-2": (1.0, 2.0),
}

def extrapolate_crossings(
    crossings, form: str = "1/N^w", *, omega: float | None = 1.0, omega_bounds=(0.05, 5.0)
) -> tuple[float, float, dict]:
    """Extrapolate Binder-crossing temperatures to N → ∞.

    Parameters
    ----------
    crossings : list of Crossing
        From one :func:`binder_crossings` call (their bootstrap replicas must be shared).
    form : {"1/N^w", "const"}, optional
        ``"1/N^w"`` (default): T_cross(N_eff) = T_c + a N_eff^(−omega) with N_eff = sqrt(N1 N2).
        ``"const"``: T_cross = T_c (weighted mean; no drift of the crossings).
    omega : float or None, optional
        Shift exponent ω of the crossings (default 1, the Curie-Weiss value, see Notes). ``None``
        fits ω too (profile over ω in `omega_bounds`), which needs at least 4 crossings.
    omega_bounds : tuple of float, optional
        Range searched for a free ω (default (0.05, 5)).

    Returns
    -------
    Tc : float
        Extrapolated critical temperature.
    err : float
        Its standard error (see Notes).
    details : dict
        Plain numbers: ``form``, ``omega``, ``omega_free``, ``omega_err``, ``a``, ``a_err``,
        ``chi2``, ``dof``, ``chi2_dof``, ``scale``, ``err_boot``, ``err_wls``, ``weights``,
        ``n_boot_used``, ``N_eff``, ``T_cross``, ``T_cross_err``.

    Raises
    ------
    ReductionError
        No crossings; an unknown `form`; fewer crossings than parameters (2 for fixed ω; 4 for
        free ω, so that one degree of freedom is left); crossings without shared bootstrap
        replicas; a mix of zero and non-zero crossing errors; ω outside `omega_bounds`.

    Notes
    -----
    *Shift exponent.* With U4 = g(x) + N^(−w) g₁(x) + ..., x = (T − T_c) N^(1/ν̄), the crossing of
    sizes N and bN moves by T_cross − T_c ∝ N^(−(w + 1/ν̄)). For Curie-Weiss ν̄ = 2 and the
    leading correction to U4 is w = 1/2 (the m⁶/30 term of the binomial entropy and the
    Gaussian prefactor), so ω = w + 1/ν̄ = 1: exact finite-N sums give
    (T_cross − 1) N_eff ≈ −2.00, −2.04, −2.06, −2.08, −2.09 for the pairs 32/64 ... 512/1024.
    N^(−1/2) = N^(−1/ν̄) is the shift of pseudo-critical points such as the χ peak, not of U4
    crossings. Pass ``omega=0.5`` to use it anyway, or ``omega=None`` to fit ω.

    *Fit and errors.* The central fit is weighted least squares with weights 1/err_i²
    (unit weights if all err_i = 0, noiseless input). The same fit is repeated on every
    bootstrap replica shared by the crossings; the standard deviation of the replica T_c is
    the statistical error, honest about the correlation of crossings that share a size (which
    the diagonal weights ignore). That error is multiplied by sqrt(χ²/dof) when χ²/dof > 1
    (scatter beyond the errors: corrections the form misses). For noiseless input the error is
    the ordinary least-squares one, sqrt((AᵀA)⁻¹₀₀ χ²/dof), i.e. the misfit of the form (0 when
    dof = 0).
    """
    if not crossings:
        raise ReductionError("extrapolation needs at least 1 crossing; got none")
    if form not in _FORMS:
        raise ReductionError(f"extrapolation form = {form!r}: expected one of {_FORMS}")
    if any(not isinstance(c, Crossing) for c in crossings):
        raise ReductionError("extrapolation: crossings must be Crossing objects from binder_crossings")
    n = len(crossings)
    pairs = ", ".join(f"{c.N1}/{c.N2}" for c in crossings)
    free = form == "1/N^w" and omega is None
    n_par = 1 if form == "const" else (3 if free else 2)
    need = 4 if free else n_par
    if n < need:
        label = (
            "T_c + a N^-omega with omega free"
            if free
            else ("T_c + a N^-omega" if form == "1/N^w" else "a constant T_c")
        )
        raise ReductionError(
            f"extrapolation to {label} needs at least {need} crossings ({need + 1} sizes); "
            f"got {n} (pairs {pairs})"
        )
    lo_b, hi_b = (float(v) for v in omega_bounds)
    if not 0 < lo_b < hi_b:
        raise ReductionError(f"extrapolation: omega_bounds = ({lo_b:g}, {hi_b:g}): expected 0 < lo < hi")
    if form == "1/N^w" and not free and not (np.isfinite(omega) and omega > 0):
        raise ReductionError(f"extrapolation: omega = {omega!r}: expected omega > 0 or None (fit it)")

    Neff = np.array([c.N_eff for c in crossings])
    y = np.array([c.T for c in crossings])
    s = np.array([c.err for c in crossings])
    lens = {len(c.samples) for c in crossings}
    if len(lens) != 1 or lens == {0}:
        raise ReductionError(
            f"extrapolation: crossings have bootstrap replicas of lengths {sorted(lens)}; expected one "
            "shared length >= 2 (pass the crossings of a single binder_crossings call)"
        )
    Yb = np.stack([c.samples for c in crossings], axis=1)  # (n_boot, n)
    Yb = Yb[np.all(np.isfinite(Yb), axis=1)]
    noiseless = _noiseless(s, what="extrapolation", name="crossing err")
    w = np.ones(n) if noiseless else 1.0 / s**2

    details: dict = {
        "form": form,
        "omega_free": bool(free),
        "weights": "unit (noiseless)" if noiseless else "1/err^2",
    }
    if form == "const":
        Sw = w.sum()
        Tc = float((w * y).sum() / Sw)
        Tcb = (Yb * w).sum(1) / Sw
        chi2 = float((w * (y - Tc) ** 2).sum())
        var_c = 1.0 / Sw
        a = a_err = om = om_err = None
    else:
        if free:
            grid = np.geomspace(lo_b, hi_b, 300)
            chi_c = np.empty(grid.size)
            chi_b = np.empty((grid.size, Yb.shape[0]))
            for j, o in enumerate(grid):
                x = Neff ** (-o)
                chi_c[j] = _wls_line(x, y, w)[2]
                chi_b[j] = _wls_line(np.broadcast_to(x, Yb.shape), Yb, w)[2]

            def chi_of(o):
                return _wls_line(Neff ** (-o), y, w)[2]

            j = int(np.argmin(chi_c))
            lo_j, hi_j = grid[max(j - 1, 0)], grid[min(j + 1, grid.size - 1)]
            om = float(
                minimize_scalar(chi_of, bounds=(lo_j, hi_j), method="bounded", options={"xatol": 1e-10}).x
            )
            jb = np.clip(np.argmin(chi_b, axis=0), 1, grid.size - 2)
            # parabolic refinement in log(omega) around each replica's grid minimum
            lg = np.log(grid)
            cols = np.arange(Yb.shape[0])
            f0, f1, f2 = chi_b[jb - 1, cols], chi_b[jb, cols], chi_b[jb + 1, cols]
            den = f0 - 2 * f1 + f2
            step = np.where(den > 0, 0.5 * (f0 - f2) / np.where(den > 0, den, 1.0), 0.0)
            omb = np.exp(lg[jb] + np.clip(step, -1, 1) * (lg[1] - lg[0]))
            xb = Neff[None, :] ** (-omb[:, None])
            Tcb, ab, _, _, _ = _wls_line(xb, Yb, w)
            om_err = float(np.std(omb, ddof=1)) if omb.size > 1 else float("nan")
        else:
            om = float(omega)
            xb = np.broadcast_to(Neff ** (-om), Yb.shape)
            Tcb, ab, _, _, _ = _wls_line(xb, Yb, w)
            om_err = None
        x = Neff ** (-om)
        Tc, a, chi2, var_c, var_a = _wls_line(x, y, w)
        Tc, a, chi2 = float(Tc), float(a), float(chi2)
    dof = n - n_par
    chi2_dof = chi2 / dof if dof > 0 else float("nan")
    scale = float(np.sqrt(chi2_dof)) if dof > 0 and chi2_dof > 1 and not noiseless else 1.0
    err_boot = float(np.std(Tcb, ddof=1)) if len(Tcb) > 1 else float("nan")
    if noiseless:
        err = float(np.sqrt(var_c * chi2_dof)) if dof > 0 else 0.0
        if form == "1/N^w":
            a_err = float(np.sqrt(var_a * chi2_dof)) if dof > 0 else 0.0
    else:
        err = err_boot * scale
        if form == "1/N^w":
            a_err = float(np.std(ab, ddof=1)) * scale
    if om_err is not None and not noiseless:
        om_err *= scale
    details.update(
        omega=om,
        omega_err=om_err,
        a=a,
        a_err=a_err,
        chi2=chi2,
        dof=int(dof),
        chi2_dof=float(chi2_dof),
        scale=scale,
        err_boot=err_boot,
        err_wls=float(np.sqrt(var_c)) if not noiseless else float("nan"),
        n_boot_used=int(Yb.shape[0]),
        N_eff=[float(v) for v in Neff],
        T_cross=[float(v) for v in y],
        T_cross_err=[float(v) for v in s],
    )
    return float(Tc), float(err), details


# ---------------------------------------------------------------------------
# several finite-size forms
# ---------------------------------------------------------------------------


def _design(N: np.ndarray, powers: Sequence[float]) -> np.ndarray:
    return np.column_stack([np.ones_like(N)] + [N ** (-p) for p in powers])


def extrapolate_forms(
    N,
    y,
    err,
    samples=None,
    *,
    forms: Sequence[str] | Mapping[str, Sequence[float]] = ("N^-1/2", "N^-1", "N^-1/2+N^-1"),
    what: str = "extrapolation",
    quantity: str = "e",
) -> dict[str, Any]:
    """Extrapolate e(N) to N → ∞ with several finite-size forms; error = statistical ⊕ form spread.

    Each form is e(N) = e_∞ + Σ_k a_k N^(−p_k), fitted by weighted least squares (weights 1/err²).

    Parameters
    ----------
    N, y, err : array_like, shape (nN,)
        Sizes (distinct), the finite-size estimates and their standard errors (> 0).
    samples : array_like, shape (n_boot, nN), optional
        Bootstrap replicas of e(N) (NaN allowed: such replicas are left out); every form is refitted
        on each, and the spread of the intercept is its statistical error. Without them the
        statistical errors are the weighted-least-squares ones.
    forms : sequence of str, or mapping of name -> powers
        Names in :data:`FORMS`, or explicit forms ``{"N^-0.8": (0.8,)}``. A form is used only if it
        leaves at least one degree of freedom; the others are reported under ``skipped``.
    what, quantity : str
        Words of the error messages (the caller; the name of e).

    Returns
    -------
    dict
        ``value`` (mean over the forms), ``err``, ``err_stat`` (rms of the forms' statistical errors,
        each multiplied by √(χ²/dof) when that exceeds 1), ``err_sys`` (half the range of the forms'
        values), ``forms`` (per form: value, err, chi2, dof, coef, powers), ``skipped``.

    Raises
    ------
    ReductionError
        Fewer than 2 sizes, repeated sizes, non-finite values or errors <= 0, unknown forms, samples
        of the wrong shape, or no form with a degree of freedom.
    """
    N = np.asarray(N, float)
    y = np.asarray(y, float)
    e = np.asarray(err, float)
    if N.ndim != 1 or N.size < 2 or y.shape != N.shape or e.shape != N.shape:
        raise ReductionError(f"{what} needs at least 2 sizes with {quantity}(N) and errors; got N = {_g(N)}")
    if len(set(N.tolist())) != N.size:
        raise ReductionError(f"{what}: N = {_g(N)}: expected distinct sizes")
    if not np.all(np.isfinite(y)) or not np.all(np.isfinite(e)) or np.any(e <= 0):
        raise ReductionError(f"{what}: {quantity} = {_g(y)}, err = {_g(e)}: expected finite values "
                             "and errors > 0")
    if isinstance(forms, Mapping):
        table = {str(k): tuple(float(p) for p in v) for k, v in forms.items()}
        bad = [k for k, v in table.items() if not v or not all(np.isfinite(p) and p > 0 for p in v)]
        if bad:
            raise ReductionError(f"{what}: form(s) {bad}: expected one or more powers > 0 each")
    else:
        unknown = [f for f in forms if f not in FORMS]
        if unknown:
            raise ReductionError(f"{what}: unknown form(s) {unknown}; expected some of {list(FORMS)}")
        table = {f: FORMS[f] for f in forms}
    Sb = None if samples is None else np.asarray(samples, float)
    if Sb is not None and (Sb.ndim != 2 or Sb.shape[1] != N.size):
        raise ReductionError(f"{what}: samples have shape {Sb.shape}; expected (n_boot, {N.size})")
    w = 1.0 / e**2
    res: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    for name, powers in table.items():
        X = _design(N, powers)
        k = X.shape[1]
        dof = N.size - k
        if dof < 1:
            skipped[name] = f"needs at least {k + 1} sizes (one degree of freedom); got {N.size}"
            continue
        Xw = X * np.sqrt(w)[:, None]
        A = np.linalg.pinv(Xw) * np.sqrt(w)[None, :]  # (k, nN): coef = A @ y
        coef = A @ y
        chi2 = float(np.sum(w * (y - X @ coef) ** 2))
        cov = np.linalg.pinv(Xw.T @ Xw)
        scale = max(1.0, chi2 / dof)
        if Sb is not None:
            good = np.all(np.isfinite(Sb), axis=1)
            vb = Sb[good] @ A[0]
            stat = float(np.std(vb, ddof=1)) if vb.size > 1 else float(np.sqrt(cov[0, 0]))
        else:
            stat = float(np.sqrt(cov[0, 0]))
        stat = float(stat * np.sqrt(scale))
        res[name] = {"value": float(coef[0]), "err": stat, "chi2": chi2, "dof": int(dof),
                     "coef": [float(c) for c in coef[1:]], "powers": list(powers)}
    if not res:
        raise ReductionError(f"{what}: no finite-size form can be fitted to {N.size} sizes "
                             f"(N = {_g(N)}): {'; '.join(f'{k}: {v}' for k, v in skipped.items())}")
    vals = np.array([r["value"] for r in res.values()])
    stats = np.array([r["err"] for r in res.values()])
    value = float(vals.mean())
    err_stat = float(np.sqrt(np.mean(stats**2)))
    err_sys = float(0.5 * np.ptp(vals))
    return {"value": value, "err": float(np.hypot(err_stat, err_sys)), "err_stat": err_stat,
            "err_sys": err_sys, "forms": res, "skipped": skipped}
