"""Mean-field (N → ∞) theory of the Curie-Weiss ferromagnet.

Conventions: σ_i = ±1, k_B = 1, T = 1/β, H = −(J/N) Σ_{i<j} σ_iσ_j, per-spin quantities;
the saddle point is m = tanh(βJm), so T_c = J (= 1 for J = 1).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gamma

__all__ = ["curie_weiss_m", "curie_weiss_mean_field", "U4_CRITICAL"]

#: Binder cumulant of the Curie-Weiss model at T_c for N → ∞: 1 − Γ(1/4)⁴/(24π²) ≈ 0.2705.
U4_CRITICAL = 1.0 - gamma(0.25) ** 4 / (24.0 * math.pi**2)


def _t_of_m(m: np.ndarray) -> np.ndarray:
    """Reduced temperature t = T/J at which m solves m = tanh(m/t): t = m / artanh(m)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = m / np.arctanh(m)
    t = np.where(m == 0.0, 1.0, t)
    return np.where(m >= 1.0, 0.0, t)


def curie_weiss_m(T, J: float = 1.0):
    """Spontaneous magnetisation: the non-negative root of m = tanh(βJm).

    Parameters
    ----------
    T : float or array_like
        Temperature(s), T >= 0 (T = 0 gives m = 1).
    J : float, default 1.0
        Coupling, J > 0.

    Returns
    -------
    float or ndarray
        m(T), 0 for T >= J; same shape as T.

    Raises
    ------
    ValueError
        If T < 0, T is not finite or J <= 0.

    Notes
    -----
    σ_i = ±1, k_B = 1, T = 1/β. Solved by vectorised bisection on the inverse relation
    T/J = m / artanh(m), which is monotone on m ∈ [0, 1] and well conditioned both at
    T_c (m ≈ √(3(1 − T/J))) and at small T (1 − m ≈ 2 exp(−2J/T)). Accurate to round-off.
    """
    T_arr = np.asarray(T, dtype=float)
    if not np.all(np.isfinite(T_arr)) or np.any(T_arr < 0):
        raise ValueError(f"T = {T!r}: expected finite T >= 0")
    if not J > 0:
        raise ValueError(f"J = {J!r}: expected J > 0")
    t = T_arr / J
    lo = np.zeros_like(t)
    hi = np.ones_like(t)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        above = _t_of_m(mid) > t  # m too small
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
        if np.all((hi - lo) <= 1e-17 + 1e-16 * hi):
            break
    m = 0.5 * (lo + hi)
    m = np.where(t >= 1.0, 0.0, m)
    m = np.where(t == 0.0, 1.0, m)
    return float(m) if m.ndim == 0 else m


def curie_weiss_mean_field(T, J: float = 1.0) -> dict:
    """Mean-field Curie-Weiss observables at temperature(s) T.

    Parameters
    ----------
    T : float or array_like
        Temperature(s), T >= 0.
    J : float, default 1.0
        Coupling, J > 0.

    Returns
    -------
    dict
        ``"m"`` spontaneous magnetisation, ``"energy"`` −J m²/2,
        ``"chi"`` connected susceptibility β(1 − m²)/(1 − βJ(1 − m²)) (inf at T_c, 0 at T = 0),
        ``"heat_capacity"`` J²m²(1 − m²)/(T²(1 − βJ(1 − m²))) (3/2 just below T_c, 0 above),
        ``"free_energy"`` J m²/2 − T ln(2 cosh βJm) (−J/2 at T = 0),
        ``"binder"`` U4 limit: 2/3 below T_c, U4_CRITICAL ≈ 0.2705 at T_c, 0 above.

    Notes
    -----
    σ_i = ±1, k_B = 1, T = 1/β, per spin. N → ∞ saddle point of
    H = −(J/N) Σ_{i<j} σ_iσ_j; exponents β = 1/2, γ = 1, α = 0 (jump of c).
    """
    T_arr = np.asarray(T, dtype=float)
    m = np.asarray(curie_weiss_m(T_arr, J))
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = 1.0 / T_arr
        one_m2 = 1.0 - m * m
        denom = 1.0 - beta * J * one_m2
        chi = np.where(T_arr == 0, 0.0, beta * one_m2 / denom)
        chi = np.where(T_arr == J, np.inf, chi)
        c = np.where(
            (T_arr == 0) | (m == 0), 0.0, J**2 * m * m * one_m2 / (T_arr**2 * denom)
        )
    f = np.where(T_arr == 0, -0.5 * J, 0.5 * J * m * m - _T_ln_2cosh(T_arr, J * m))
    U4 = np.where(T_arr < J, 2.0 / 3.0, np.where(T_arr == J, U4_CRITICAL, 0.0))
    out = {
        "m": m,
        "energy": -0.5 * J * m * m,
        "chi": chi,
        "heat_capacity": c,
        "free_energy": f,
        "binder": U4,
    }
    if T_arr.ndim == 0:
        return {k: float(v) for k, v in out.items()}
    return out


def _T_ln_2cosh(T: np.ndarray, h: np.ndarray) -> np.ndarray:
    """T ln(2 cosh(h/T)) computed stably, = |h| at T = 0."""
    a = np.abs(h)
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = np.where(T > 0, T * np.log1p(np.exp(-2 * a / np.where(T > 0, T, 1.0))), 0.0)
    return a + tail
