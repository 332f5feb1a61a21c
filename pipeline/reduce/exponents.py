"""Critical temperature and exponents of a mean-field ferromagnet from a finite-size sweep.

Combines the pieces of :mod:`pipeline.reduce.fss` into one plain, JSON-ready dict.
Conventions: σ_i = ±1, k_B = 1, T = 1/β; mean-field scaling in N with ν̄ = d ν:
⟨|m|⟩ ~ N^(−β/ν̄), χ ~ N^(γ/ν̄), U4 = f((T − T_c) N^(1/ν̄)), dU4/dT|_Tc ~ N^(1/ν̄).
Curie-Weiss: T_c = 1, β = 1/2, γ = 1, ν̄ = 2.
"""

from __future__ import annotations

import numpy as np

from pipeline.errors import ReductionError
from pipeline.reduce._common import _check_N, _check_T, _check_table
from pipeline.reduce.collapse import fit_collapse
from pipeline.reduce.crossings import binder_crossings
from pipeline.reduce.extrapolate import extrapolate_crossings
from pipeline.reduce.powerlaw import fit_power_law, interpolate_at

__all__ = ["mean_field_exponents"]

_EXTRAPOLATE = ("auto", "1/N^w", "const")


def _ve(value, err) -> dict:
    return {"value": None if value is None else float(value), "err": None if err is None else float(err)}


def _product(x, dx, y, dy) -> tuple[float, float]:
    """x·y with first-order error, x and y taken as independent."""
    return x * y, float(np.hypot(y * dx, x * dy))


def _slope_at(N, T, y, dy, T0, T0_err, *, deriv=0, absolute=False):
    """Power-law exponent of y(T0) (or |dy/dT|(T0)) against N, with the error of T0 propagated.

    The fit is redone at T0 ± T0_err (clipped to the grid) and half the change of the exponent is
    added in quadrature: the shift of T0 is common to all sizes, so it is propagated through the
    fit rather than point by point.
    """

    def fit(t):
        v, e = interpolate_at(T, y, dy, t, deriv=deriv)
        if absolute:
            v = np.abs(v)
        return fit_power_law(N, v, e)

    central = fit(T0)
    shift = 0.0
    if T0_err > 0:
        lo, hi = max(T[0], T0 - T0_err), min(T[-1], T0 + T0_err)
        shift = (fit(hi).exponent - fit(lo).exponent) / (hi - lo) * T0_err
    return central, float(np.hypot(central.err, shift)), float(abs(shift))


def mean_field_exponents(
    N,
    T,
    U4,
    dU4,
    m_abs=None,
    dm_abs=None,
    chi=None,
    dchi=None,
    *,
    n_boot: int = 400,
    seed: int = 0,
    extrapolate: str = "auto",
    omega: float | None = 1.0,
    T_window=None,
    collapse_window=None,
    collapse_fit_Tc: bool = False,
    collapse_errors: str = "bootstrap",
    collapse_n_boot: int = 40,
    nu_bar0: float = 2.0,
    crossing_method: str = "auto",
    n_local: int | None = None,
) -> dict:
    """T_c, β/ν̄, γ/ν̄, ν̄, β and γ of a mean-field ferromagnet from a finite-size sweep.

    Parameters
    ----------
    N : array_like, shape (nN,)
        Sizes, strictly increasing, at least 2.
    T : array_like, shape (nT,)
        Temperatures, strictly increasing, at least 4, bracketing the Binder crossings.
    U4, dU4 : array_like, shape (nN, nT)
        Binder cumulant U4 = 1 − ⟨m⁴⟩/(3⟨m²⟩²) and its standard errors.
    m_abs, dm_abs : array_like, shape (nN, nT), optional
        ⟨|m|⟩ per spin and errors; gives β/ν̄ and β. Omitted: those entries are None.
    chi, dchi : array_like, shape (nN, nT), optional
        A susceptibility and errors; gives γ/ν̄ and γ. Either χ = N(⟨m²⟩ − ⟨|m|⟩²)/T or
        N⟨m²⟩/T: both grow as N^(γ/ν̄) at T_c (they differ below T_c); the caller says which
        one it passes. Omitted: those entries are None.
    n_boot, seed : int, optional
        Bootstrap replicas (default 400) and seed (default 0) of the Binder crossings.
    extrapolate : {"auto", "1/N^w", "const"}, optional
        How T_c follows from the crossings: ``"1/N^w"``: T_c + a N_eff^(−omega); ``"const"``:
        weighted mean of the crossings; ``"auto"`` (default): ``"1/N^w"`` with 3 or more
        crossings, else ``"const"``.
    omega : float or None, optional
        Shift exponent of the crossings (default 1, the Curie-Weiss value; None fits it, needs 4
        crossings). See :func:`pipeline.reduce.fss.extrapolate_crossings`.
    T_window : tuple of float, optional
        Where to look for Binder crossings (default: the whole grid).
    collapse_window : float or tuple of float, optional
        Range of x = (T − T_c) N^(1/ν̄) scored in the U4 collapse (default: all).
    collapse_fit_Tc : bool, optional
        Fit T_c in the U4 collapse as well (default False: hold it at the crossing value and
        propagate its error).
    collapse_errors : {"bootstrap", "hh"}, optional
        Error of the collapse's ν̄: parametric bootstrap of the collapse (default; calibrated) or
        the Houdayer-Hartmann recipe (faster, underestimates, see
        :func:`pipeline.reduce.fss.fit_collapse`).
    collapse_n_boot : int, optional
        Bootstrap refits of the collapse (default 40), drawn from `seed`.
    nu_bar0 : float, optional
        Starting ν̄ of the collapse fit (default 2).
    crossing_method, n_local : optional
        How each crossing is located, passed to :func:`pipeline.reduce.fss.binder_crossings`.

    Returns
    -------
    dict
        Plain floats, lists and strings (JSON-ready)::

            {"Tc": {"value", "err"},
             "exponents": {"beta", "gamma", "nu_bar", "beta_over_nu_bar", "gamma_over_nu_bar",
                           "nu_bar_dU4dT": {"value", "err"}},
             "sizes": [...],
             "crossings": [{"N1", "N2", "T", "err", "U", "U_err"}, ...],
             "fits": {...chi2/dof, collapse S, ...},
             "method": {...}}

        Entries whose input was not given have value and err None.

    Raises
    ------
    ReductionError
        One size only; fewer than 4 temperatures; a T grid that does not bracket a crossing; a
        crossing the bootstrap cannot resolve; bad shapes or values; an unknown `extrapolate`.

    Notes
    -----
    1. T_c: Binder crossings of successive sizes (cubic splines, parametric bootstrap) extrapolated
       as chosen by `extrapolate`.
    2. β/ν̄ and γ/ν̄: ⟨|m|⟩ and χ of every size are interpolated to T_c (cubic spline, exact linear
       error propagation) and fitted by a weighted log-log line. The error of T_c is propagated
       by redoing the fits at T_c ± err and adding half the change in quadrature.
    3. ν̄: Houdayer-Hartmann collapse of U4 with a = 0, T_c held at its value (the error of T_c
       propagated the same way) unless `collapse_fit_Tc`; statistical error as `collapse_errors`. A second, independent estimator comes
       from |dU4/dT| at T_c ~ N^(1/ν̄): ν̄ = 1/x with err = err_x / x² ("nu_bar_dU4dT"); it is
       reported, not combined.
    4. β = (β/ν̄)·ν̄ and γ = (γ/ν̄)·ν̄ with ν̄ from the collapse, errors combined in quadrature as
       if independent (both depend on T_c, so this is approximate).
    All random numbers come from `seed`: the same input and seed give identical output.
    """
    N = _check_N(N, what="mean-field exponents", min_sizes=2)
    T = _check_T(T, what="mean-field exponents", min_temps=4)
    U4, dU4 = _check_table(U4, dU4, (N.size, T.size), what="mean-field exponents", names=("U4", "dU4"))
    if extrapolate not in _EXTRAPOLATE:
        raise ReductionError(
            f"mean-field exponents: extrapolate = {extrapolate!r}: expected one of {_EXTRAPOLATE}"
        )
    optional = {}
    for name, (y, dy) in {"m_abs": (m_abs, dm_abs), "chi": (chi, dchi)}.items():
        if (y is None) != (dy is None):
            raise ReductionError(f"mean-field exponents: {name} and d{name} must be given together")
        if y is not None:
            optional[name] = _check_table(
                y, dy, (N.size, T.size), what="mean-field exponents", names=(name, "d" + name)
            )

    # 1. T_c from the Binder crossings
    crossings = binder_crossings(N, T, U4, dU4, n_boot=n_boot, seed=seed, T_window=T_window,
                                 method=crossing_method, n_local=n_local)
    form = extrapolate
    if form == "auto":
        form = "1/N^w" if len(crossings) >= 3 else "const"
    Tc, Tc_err, ext = extrapolate_crossings(crossings, form, omega=omega)
    if not T[0] <= Tc <= T[-1]:
        raise ReductionError(
            f"extrapolated T_c = {Tc:.4g} lies outside the grid T = [{T[0]:g}, {T[-1]:g}]; the exponents need "
            "the curves at T_c: extend the T grid or use extrapolate='const'"
        )

    # 2. beta/nu_bar and gamma/nu_bar from power laws at T_c
    fits: dict = {"extrapolation": ext}
    b_nu = g_nu = (None, None)
    if "m_abs" in optional:
        f, err, shift = _slope_at(N, T, *optional["m_abs"], Tc, Tc_err)
        b_nu = (-f.exponent, err)
        fits["m_abs"] = {
            "exponent": f.exponent,
            "err_stat": f.err,
            "err_Tc": shift,
            "chi2_dof": f.chi2_dof,
            "prefactor": f.prefactor,
        }
    if "chi" in optional:
        f, err, shift = _slope_at(N, T, *optional["chi"], Tc, Tc_err)
        g_nu = (f.exponent, err)
        fits["chi"] = {
            "exponent": f.exponent,
            "err_stat": f.err,
            "err_Tc": shift,
            "chi2_dof": f.chi2_dof,
            "prefactor": f.prefactor,
        }

    # 3. nu_bar from the U4 collapse
    if collapse_errors not in ("bootstrap", "hh"):
        raise ReductionError(
            f"mean-field exponents: collapse_errors = {collapse_errors!r}: expected 'bootstrap' or 'hh'"
        )
    res = fit_collapse(
        N,
        T,
        U4,
        dU4,
        Tc0=Tc,
        nu_bar0=nu_bar0,
        fit_Tc=collapse_fit_Tc,
        window=collapse_window,
        errors=collapse_errors,
        n_boot=collapse_n_boot,
        seed=seed,
    )
    nu, nu_err, nu_shift = res.nu_bar, res.nu_bar_err, 0.0
    if not collapse_fit_Tc and Tc_err > 0:
        lo, hi = max(T[0], Tc - Tc_err), min(T[-1], Tc + Tc_err)
        r_lo = fit_collapse(
            N, T, U4, dU4, Tc0=lo, nu_bar0=nu, fit_Tc=False, window=collapse_window, errors="none"
        )
        r_hi = fit_collapse(
            N, T, U4, dU4, Tc0=hi, nu_bar0=nu, fit_Tc=False, window=collapse_window, errors="none"
        )
        nu_shift = abs(r_hi.nu_bar - r_lo.nu_bar) / (hi - lo) * Tc_err
        nu_err = float(np.hypot(nu_err, nu_shift))
    fits["collapse_U4"] = {
        "S": res.S,
        "n_terms": res.n_terms,
        "Tc": res.Tc,
        "Tc_err": res.Tc_err,
        "err_stat": res.nu_bar_err,
        "err_Tc": nu_shift,
    }

    # second nu_bar estimator: |dU4/dT| at T_c ~ N^(1/nu_bar)
    f, x_err, shift = _slope_at(N, T, U4, dU4, Tc, Tc_err, deriv=1, absolute=True)
    if f.exponent > 0:
        nu_d = (1.0 / f.exponent, x_err / f.exponent**2)
    else:
        nu_d = (None, None)
    fits["dU4dT"] = {"exponent": f.exponent, "err_stat": f.err, "err_Tc": shift, "chi2_dof": f.chi2_dof}

    # 4. beta and gamma
    beta = _product(b_nu[0], b_nu[1], nu, nu_err) if b_nu[0] is not None else (None, None)
    gamma = _product(g_nu[0], g_nu[1], nu, nu_err) if g_nu[0] is not None else (None, None)

    return {
        "Tc": _ve(Tc, Tc_err),
        "exponents": {
            "beta": _ve(*beta),
            "gamma": _ve(*gamma),
            "nu_bar": _ve(nu, nu_err),
            "beta_over_nu_bar": _ve(*b_nu),
            "gamma_over_nu_bar": _ve(*g_nu),
            "nu_bar_dU4dT": _ve(*nu_d),
        },
        "sizes": [int(n) if float(n).is_integer() else float(n) for n in N],
        "crossings": [
            {"N1": c.N1, "N2": c.N2, "T": c.T, "err": c.err, "U": c.U, "U_err": c.U_err} for c in crossings
        ],
        "fits": fits,
        "method": {
            "Tc": f"Binder crossings of successive sizes (method {crossing_method!r}, n_local {n_local}), "
            + (
                "extrapolated as T_c + a N_eff^-omega, N_eff = sqrt(N1 N2)"
                if form == "1/N^w"
                else "weighted mean (no extrapolation)"
            ),
            "extrapolate": form,
            "omega": ext["omega"],
            "omega_free": ext["omega_free"],
            "n_boot": int(n_boot),
            "seed": int(seed),
            "crossing_method": crossing_method,
            "n_local": n_local,
            "T_window": None if T_window is None else [float(v) for v in T_window],
            "exponents_at_Tc": "weighted log-log fits of spline values at T_c; T_c error propagated by refitting at T_c +- err",
            "nu_bar": "Houdayer-Hartmann collapse of U4 (a = 0), Nelder-Mead, errors: "
            + (
                "parametric bootstrap of the collapse"
                if collapse_errors == "bootstrap"
                else "Houdayer-Hartmann n(S - S_min) = 1"
            ),
            "collapse_n_boot": int(collapse_n_boot),
            "collapse_window": None
            if collapse_window is None
            else (
                float(collapse_window)
                if np.ndim(collapse_window) == 0
                else [float(v) for v in collapse_window]
            ),
            "collapse_fit_Tc": bool(collapse_fit_Tc),
            "nu_bar_dU4dT": "weighted log-log fit of |dU4/dT| at T_c, nu_bar = 1/slope",
            "beta_gamma": "(beta/nu_bar) * nu_bar and (gamma/nu_bar) * nu_bar, errors in quadrature",
        },
    }
