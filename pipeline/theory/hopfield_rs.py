"""Replica-symmetric (AGS) theory of the Hopfield model with one condensed pattern.

Conventions: σ_i = ±1, k_B = 1, T = 1/β, J_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ (J_ii = 0),
H = −Σ_{i<j} J_ij σ_iσ_j, α = P/N, per-spin quantities. With z ~ N(0, 1) and
s = √(αr), the saddle-point equations of Amit, Gutfreund and Sompolinsky are

    m = ⟨tanh β(m + s z)⟩_z,   q = ⟨tanh² β(m + s z)⟩_z,   r = q / (1 − C)²,

with C = β(1 − q). The solver works with (m, C) rather than (m, q): C stays finite as
T → 0 (C = √(2/(παr)) exp(−m²/(2αr)) at T = 0), so one code path covers T = 0 too.

Gaussian averages are done in the scaled variable x = β(m + s z): the sign-function part
is exact (erf), and the smooth remainder (tanh x − sign x, sech² x, ln(1 + e^(−2|x|)), all
decaying like e^(−2|x|)) is integrated by Gauss-Legendre on [0, 25] on either side of the
kink. This is exact in the T → 0 limit, where plain Gauss-Hermite fails (tanh → step).
When βs <= 1 (high T or tiny α) the integrand is smooth in z and Gauss-Hermite is used.

References
----------
D. J. Amit, H. Gutfreund, H. Sompolinsky, Phys. Rev. Lett. 55, 1530 (1985);
Ann. Phys. 173, 30 (1987).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from scipy.optimize import brentq, minimize_scalar, root
from scipy.special import erfinv

from pipeline.theory.mean_field import curie_weiss_m

__all__ = [
    "RSSolution",
    "gaussian_averages",
    "solve_rs",
    "retrieval_branch",
    "spin_glass_branch",
    "free_energy_rs",
    "T_g",
    "alpha_M",
    "retrieval_spinodal",
    "T_M",
    "alpha_c_line",
    "T_c",
    "phase_lines",
]

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

# Gauss-Legendre on x in [0, X]: the remainders decay like exp(-2x), exp(-50) ~ 2e-22.
_X_MAX = 25.0
_gl_t, _gl_w = np.polynomial.legendre.leggauss(160)
_X = 0.5 * _X_MAX * (_gl_t + 1.0)
_WX = 0.5 * _X_MAX * _gl_w
_E2X = np.exp(-2.0 * _X)
_TANH_M1 = -2.0 * _E2X / (1.0 + _E2X)  # tanh x − 1
_SECH2 = 4.0 * _E2X / (1.0 + _E2X) ** 2  # sech² x
_LOG1P = np.log1p(_E2X)  # ln 2cosh x − |x|

# Above this T the lines use their leading behaviour 1 − T ∝ √α, m ∝ √(1 − T)
# (round-off in m − tanh βm spoils the direct solution when m_CW(T) < ~1e-3).
_T_NEAR_1 = 1.0 - 1e-6

# Gauss-Hermite (probabilists') for the smooth regime βs <= 1; weights normalised to 1.
_gh_z, _gh_w = np.polynomial.hermite_e.hermegauss(120)
_gh_w = _gh_w / _gh_w.sum()


def _phi(z):
    return _INV_SQRT_2PI * np.exp(-0.5 * z * z)


def gaussian_averages(m: float, s: float, T: float) -> tuple[float, float, float]:
    """Gaussian averages over z ~ N(0, 1) of the local field h = m + s z.

    Parameters
    ----------
    m : float
        Condensed overlap (field mean).
    s : float
        Field width √(αr) >= 0.
    T : float
        Temperature >= 0.

    Returns
    -------
    M : float
        ⟨tanh βh⟩ (⟨sign h⟩ at T = 0).
    C : float
        β(1 − ⟨tanh² βh⟩) = β⟨sech² βh⟩; finite at T = 0 (2φ(m/s)/s), inf for m = s = T = 0.
    F : float
        T⟨ln 2cosh βh⟩ (⟨|h|⟩ at T = 0).

    Notes
    -----
    k_B = 1, T = 1/β. For βs > 1 the sign-function parts are exact (erf) and the
    remainders, functions of x = βh decaying like e^(−2|x|), are integrated by
    160-point Gauss-Legendre on each side of the kink at h = 0; for βs <= 1,
    120-point Gauss-Hermite in z. Relative accuracy ~1e-12 or better at all T.
    """
    m = float(m)
    s = float(s)
    T = float(T)
    if s < 0 or T < 0:
        raise ValueError(f"s = {s!r}, T = {T!r}: expected s >= 0 and T >= 0")
    if T > 0 and s / T <= 1.0:
        # smooth regime (includes s = 0): Gauss-Hermite in z
        beta = 1.0 / T
        u = m + s * _gh_z
        x = beta * np.abs(u)
        e2 = np.exp(-2.0 * x)
        M = float(_gh_w @ (np.sign(u) * (1.0 - e2) / (1.0 + e2)))
        C = float(beta * (_gh_w @ (4.0 * e2 / (1.0 + e2) ** 2)))
        F = float(_gh_w @ (np.abs(u) + T * np.log1p(e2)))
        return M, C, F
    if s == 0.0:  # T = 0, no noise
        if m == 0.0:
            return 0.0, math.inf, 0.0
        return math.copysign(1.0, m), 0.0, abs(m)
    z0 = -m / s
    a = T / s
    ratio = m / (s * _SQRT2)
    erf_r = math.erf(ratio)
    abs_mean = m * erf_r + s * math.sqrt(2.0 / math.pi) * math.exp(-ratio * ratio)
    g_plus = _phi(z0 + a * _X)
    g_minus = _phi(z0 - a * _X)
    M = erf_r + a * float(_WX @ (_TANH_M1 * (g_plus - g_minus)))
    C = float(_WX @ (_SECH2 * (g_plus + g_minus))) / s
    F = abs_mean + T * a * float(_WX @ (_LOG1P * (g_plus + g_minus)))
    return M, C, F


class RSSolution(NamedTuple):
    """A replica-symmetric saddle point.

    Attributes
    ----------
    m : float
        Overlap with the condensed pattern.
    q : float
        Edwards-Anderson order parameter.
    r : float
        Noise from the uncondensed patterns, r = q/(1 − C)².
    converged : bool
        Whether the saddle-point equations hold to the requested tolerance with 1 − C > 0.
    C : float
        β(1 − q), finite as T → 0.
    """

    m: float
    q: float
    r: float
    converged: bool
    C: float = math.nan


def _check(alpha, T):
    alpha = float(alpha)
    T = float(T)
    if not (math.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha = {alpha!r}: expected finite alpha >= 0")
    if not (math.isfinite(T) and T >= 0):
        raise ValueError(f"T = {T!r}: expected finite T >= 0")
    return alpha, T


def _rs_map(x, alpha, T):
    """One application of the saddle-point map to (m, s), s = √(αr).

    s ← √(αq) + C s has the fixed point s(1 − C) = √(αq), i.e. s² = αq/(1 − C)² = αr,
    and stays finite where the (m, C) form would divide by 1 − C <= 0.
    """
    m, s = x
    if not (s >= 0):
        return np.array([math.nan, math.nan])
    M, C, _ = gaussian_averages(m, s, T)
    q = 1.0 - C * T
    if not (math.isfinite(C) and q >= 0):
        return np.array([math.nan, math.nan])
    return np.array([M, math.sqrt(alpha * q) + C * s])


def _make_solution(m, C, alpha, T, converged):
    q = 1.0 - C * T
    r = q / (1.0 - C) ** 2 if C < 1 else math.nan
    return RSSolution(float(m), float(q), float(r), bool(converged), float(C))


def solve_rs(
    alpha: float,
    T: float,
    m0: float = 1.0,
    q0: float = 1.0,
    damping: float = 0.5,
    tol: float = 1e-12,
    max_iter: int = 20000,
    polish: bool = True,
) -> RSSolution:
    """Solve the AGS equations by damped fixed-point iteration from (m0, q0), then Newton polish.

    Parameters
    ----------
    alpha : float
        Load α = P/N >= 0.
    T : float
        Temperature >= 0 (T = 0 uses the closed-form limits).
    m0 : float, default 1.0
        Initial overlap: ≈ 1 selects the retrieval branch when it exists, 0 the m = 0 branch.
    q0 : float, default 1.0
        Initial q, entering through the initial field width s0 = √(α q0) (r0 = q0).
        q0 = 0 with m0 = 0 starts on (and stays at) the paramagnetic fixed point.
    damping : float, default 0.5
        Weight λ of the new iterate, x ← (1 − λ)x + λF(x), 0 < λ <= 1.
    tol : float, default 1e-12
        Tolerance on the residual max|F(x) − x|.
    max_iter : int, default 20000
        Maximum number of iterations.
    polish : bool, default True
        Finish with ``scipy.optimize.root`` (hybr) from the last iterate.

    Returns
    -------
    RSSolution
        ``converged`` is False if the residual stays above ``tol`` or 1 − C <= 0.

    Notes
    -----
    k_B = 1, T = 1/β, α = P/N. Iterates x = (m, s) with s = √(αr):
    m ← ⟨tanh β(m + sz)⟩, s ← √(αq) + C s, where q = 1 − CT and C = β⟨sech² β(m + sz)⟩;
    the fixed points are exactly the AGS saddle points. Near a spinodal the iteration
    slows down; :func:`retrieval_branch` and :func:`spin_glass_branch` are the robust,
    parametric alternatives.
    """
    alpha, T = _check(alpha, T)
    if not 0 < damping <= 1:
        raise ValueError(f"damping = {damping!r}: expected 0 < damping <= 1")
    x = np.array([float(m0), math.sqrt(alpha * max(float(q0), 0.0))])
    ok = False
    for _ in range(max_iter):
        fx = _rs_map(x, alpha, T)
        if not np.all(np.isfinite(fx)):
            break
        if np.max(np.abs(fx - x)) < tol:
            x = fx
            ok = True
            break
        x = (1.0 - damping) * x + damping * fx
    if polish and np.all(np.isfinite(x)):
        res0 = _rs_map(x, alpha, T) - x
        res0 = float(np.max(np.abs(res0))) if np.all(np.isfinite(res0)) else math.inf
        sol = root(lambda y: _rs_map(y, alpha, T) - y, x, method="hybr", options={"xtol": 1e-14})
        res = _rs_map(sol.x, alpha, T) - sol.x
        if np.all(np.isfinite(res)) and np.max(np.abs(res)) <= min(res0, max(tol, 1e-11)):
            x, ok = sol.x, True
    if not np.all(np.isfinite(x)):
        return RSSolution(math.nan, math.nan, math.nan, False, math.nan)
    m, s = float(x[0]), float(x[1])
    C = gaussian_averages(m, s, T)[1]
    if abs(m) < 1e-13:
        m = 0.0
    ok = ok and C < 1.0
    q = 1.0 - C * T
    # r from s when it is resolved (αr = s²); from q/(1 − C)² otherwise (α = 0 or s = 0)
    r = s * s / alpha if alpha > 0 and s > 0 else (q / (1.0 - C) ** 2 if C < 1 else math.nan)
    return RSSolution(m, float(q), float(r), bool(ok), float(C))


# ---------------------------------------------------------------------------
# parametric branches
# ---------------------------------------------------------------------------


def _s_of_m(m: float, T: float) -> float:
    """Field width s solving m = ⟨tanh β(m + s z)⟩ for 0 < m < m_CW(T)."""
    if T == 0:
        return m / (_SQRT2 * float(erfinv(m)))
    g = lambda s: gaussian_averages(m, s, T)[0] - m  # noqa: E731 - decreasing in s
    hi = 1.0
    while g(hi) > 0:
        hi *= 2.0
    return brentq(g, 0.0, hi, xtol=1e-15, rtol=1e-15, maxiter=200)


def _retrieval_point(m: float, T: float):
    """(alpha, s, C) of the retrieval-type solution with overlap m at temperature T."""
    s = _s_of_m(m, T)
    C = gaussian_averages(m, s, T)[1]
    q = 1.0 - C * T
    return s * s * (1.0 - C) ** 2 / q, s, C


def _m_cw(T: float) -> float:
    return float(curie_weiss_m(T))


@lru_cache(maxsize=4096)
def retrieval_spinodal(T: float) -> tuple[float, float]:
    """Retrieval spinodal at temperature T: (α_M(T), m at α_M).

    Parameters
    ----------
    T : float
        Temperature, 0 <= T < 1 (retrieval states need T < 1).

    Returns
    -------
    alpha_M : float
        Largest α at which a retrieval solution (m > 0, 1 − C > 0) exists.
    m_M : float
        Overlap at the spinodal (≈ 0.967 at T = 0).

    Notes
    -----
    k_B = 1, α = P/N. Along a retrieval-type solution at fixed T, m parametrises
    everything explicitly: s = √(αr) solves m = ⟨tanh β(m + sz)⟩, then C follows and
    α(m) = s²(1 − C)²/q. α(m) rises from 0 at m = m_CW(T) (α = 0) to its maximum α_M at
    m_M, then falls along the unstable branch; α_M is that maximum. Values computed here
    (they agree with the RS literature, α_c^RS = 0.137905):

    ======  ========  =======
    T       α_M(T)    m_M
    ======  ========  =======
    0       0.137906  0.9674
    0.023   0.138189  0.9669
    0.05    0.137794  0.9657
    0.1     0.135049  0.9626
    0.2     0.122559  0.9509
    0.4     0.081037  0.8949
    0.75    0.015646  0.6402
    ======  ========  =======

    The maximum of α_M(T), 0.138189 at T ≈ 0.023, is the RS re-entrance (MISSION's
    0.1381 "near T = 0"); at T = 0 exactly α_M = 0.137906. Near T = 1,
    T_M ≈ 1 − 1.954√α; above T = 1 − 10⁻⁶ that leading form is used.
    """
    T = float(T)
    if not (0 <= T < 1):
        raise ValueError(f"T = {T!r}: retrieval spinodal needs 0 <= T < 1")
    if T > _T_NEAR_1:
        a, m = retrieval_spinodal(_T_NEAR_1)
        x = (1.0 - T) / (1.0 - _T_NEAR_1)
        return a * x * x, m * math.sqrt(x)
    m_top = _m_cw(T) if T > 0 else 1.0
    # coarse grid in m (skip the α = 0 end), then bounded refinement
    grid = m_top * np.linspace(0.05, 1.0 - 1e-6, 40)
    vals = np.array([_retrieval_point(mm, T)[0] for mm in grid])
    k = int(np.nanargmax(vals))
    lo = grid[max(k - 1, 0)]
    hi = grid[min(k + 1, len(grid) - 1)]
    res = minimize_scalar(
        lambda mm: -_retrieval_point(mm, T)[0], bounds=(lo, hi), method="bounded",
        options={"xatol": 1e-10},
    )
    return float(-res.fun), float(res.x)


def alpha_M(T):
    """Retrieval spinodal α_M(T) (vectorised wrapper of :func:`retrieval_spinodal`).

    Parameters
    ----------
    T : float or array_like
        Temperature(s); T >= 1 gives 0.

    Returns
    -------
    float or ndarray
        α_M(T).

    Notes
    -----
    k_B = 1, α = P/N. α_M(0) = 0.1379 (AGS); see :func:`retrieval_spinodal`.
    """
    T_arr = np.asarray(T, dtype=float)
    out = np.array([retrieval_spinodal(float(t))[0] if t < 1 else 0.0 for t in T_arr.ravel()])
    out = out.reshape(T_arr.shape)
    return float(out) if out.ndim == 0 else out


@lru_cache(maxsize=1)
def _alpha_M_peak() -> tuple[float, float]:
    """(T, α) at the maximum of α_M(T) (RS re-entrance at low T)."""
    res = minimize_scalar(lambda t: -retrieval_spinodal(t)[0], bounds=(0.0, 0.1), method="bounded",
                          options={"xatol": 1e-5})
    return float(res.x), float(-res.fun)


def _upper_root(line, a: float, T_lo: float) -> float:
    """Largest T in (T_lo, 1) with line(T) = a, for a line decreasing to 0 at T = 1."""
    a_hi = line(_T_NEAR_1)
    if a <= a_hi:  # 1 − T ∝ √α near T = 1
        return 1.0 - (1.0 - _T_NEAR_1) * math.sqrt(a / a_hi)
    return brentq(lambda t: line(t) - a, T_lo, _T_NEAR_1, xtol=1e-12)


def _upper_branch(alpha, peak: tuple[float, float], line):
    """T(α) on the upper branch of a re-entrant line α(T) peaking at ``peak`` = (T_pk, α_pk).

    1 at α ≤ 0, nan above the peak; vectorised over ``alpha``.
    """
    T_pk, a_pk = peak
    a_arr = np.asarray(alpha, dtype=float)
    out = np.array([1.0 if a <= 0 else math.nan if a > a_pk else _upper_root(line, a, T_pk)
                    for a in a_arr.ravel()]).reshape(a_arr.shape)
    return float(out) if out.ndim == 0 else out


def T_M(alpha):
    """Highest temperature at which retrieval solutions exist at load alpha.

    Parameters
    ----------
    alpha : float or array_like
        Load α >= 0.

    Returns
    -------
    float or ndarray
        T_M(α): the upper root of α_M(T) = α; 1 at α = 0, nan above max_T α_M(T) ≈ 0.13819.

    Notes
    -----
    k_B = 1, α = P/N. T_M(α) is not single valued at low T (the RS line bends back:
    α_M(T) peaks at 0.13819, T ≈ 0.023), so this returns the upper branch; plot the line as
    (α_M(T), T) instead, see :func:`phase_lines`.
    """
    return _upper_branch(alpha, _alpha_M_peak(), lambda t: retrieval_spinodal(t)[0])


def retrieval_branch(alpha: float, T: float) -> RSSolution | None:
    """The retrieval solution (largest m > 0) at (alpha, T), or None if none exists.

    Parameters
    ----------
    alpha : float
        Load α >= 0.
    T : float
        Temperature >= 0.

    Returns
    -------
    RSSolution or None
        None when α > α_M(T) or T >= 1.

    Notes
    -----
    k_B = 1, α = P/N. Solves α(m) = α for m on the stable side (m_M, m_CW(T)] of the
    parametric curve described in :func:`retrieval_spinodal`; no iteration, so it works
    right up to the spinodal. At α = 0 it is the Curie-Weiss root m = tanh βm.
    """
    alpha, T = _check(alpha, T)
    if T >= 1:
        return None
    m_top = _m_cw(T) if T > 0 else 1.0
    if alpha == 0:
        C = gaussian_averages(m_top, 0.0, T)[1] if T > 0 else 0.0
        return _make_solution(m_top, C, alpha, T, True)
    a_M, m_M = retrieval_spinodal(T)
    if alpha > a_M:
        return None
    if alpha == a_M:
        m = m_M
    else:
        # α(m) → 0 at m_top, where s → 0 is ill conditioned: stop just short of it
        hi = m_top - (m_top - m_M) * 1e-9
        if _retrieval_point(hi, T)[0] >= alpha:  # α below the resolution of the branch
            return _make_solution(hi, _retrieval_point(hi, T)[2], alpha, T, True)
        m = brentq(lambda mm: _retrieval_point(mm, T)[0] - alpha, m_M, hi, xtol=1e-15, rtol=1e-15)
    _, _, C = _retrieval_point(m, T)
    return _make_solution(m, C, alpha, T, True)


def _sg_alpha(s: float, T: float):
    if s == 0.0 and T > 0:  # q → 0: limit of s²(1 − C)²/q with q ≈ β²s²
        return (T - 1.0) ** 2, 1.0 / T
    C = gaussian_averages(0.0, s, T)[1]
    q = 1.0 - C * T
    return s * s * (1.0 - C) ** 2 / q, C


def spin_glass_branch(alpha: float, T: float) -> RSSolution:
    """The m = 0 solution at (alpha, T): spin glass (q > 0) or paramagnet (q = 0).

    Parameters
    ----------
    alpha : float
        Load α >= 0.
    T : float
        Temperature >= 0.

    Returns
    -------
    RSSolution
        m = 0; q = 0 and r = 0 above T_g(α) = 1 + √α.

    Notes
    -----
    k_B = 1, α = P/N. At m = 0 the field width s = √(αr) parametrises the branch:
    C(s) = β⟨sech² βsz⟩ and α(s) = s²(1 − C)²/q with q = 1 − CT. As s → 0, α → (T − 1)²,
    i.e. q appears continuously at T_g = 1 + √α. For T < 1 the physical branch starts at
    the s where C = 1 (α → 0+, where q → 1 − T and r → ∞) and α(s) increases from there.
    At T = 0 it is closed form: s = √α + √(2/π). At α = 0 exactly the m = 0 solution is
    the paramagnet q = r = 0, C = β, flagged not converged for T <= 1 (1 − C <= 0).
    """
    alpha, T = _check(alpha, T)
    if T == 0:
        s = math.sqrt(alpha) + math.sqrt(2.0 / math.pi)
        return _make_solution(0.0, math.sqrt(2.0 / math.pi) / s, alpha, T, True)
    if alpha == 0 or (T >= 1 and alpha <= (T - 1.0) ** 2):
        return RSSolution(0.0, 0.0, 0.0, T > 1, 1.0 / T)
    if T < 1:
        lo = brentq(lambda s: gaussian_averages(0.0, s, T)[1] - 1.0, 0.0, 10.0, xtol=1e-15, rtol=1e-15)
    else:
        lo = 0.0
    hi = max(2.0 * lo, 1.0)
    while _sg_alpha(hi, T)[0] < alpha:
        hi *= 2.0
    s = brentq(lambda s: _sg_alpha(s, T)[0] - alpha, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=300)
    C = gaussian_averages(0.0, s, T)[1]
    return _make_solution(0.0, C, alpha, T, True)


# ---------------------------------------------------------------------------
# free energy and lines
# ---------------------------------------------------------------------------


def free_energy_rs(alpha: float, T: float, m: float, q: float, r: float, C: float | None = None) -> float:
    """AGS replica-symmetric free energy per spin.

    Parameters
    ----------
    alpha, T : float
        Load α >= 0 and temperature T >= 0.
    m, q, r : float
        Order parameters (need not be a saddle point, except at T = 0 without C).
    C : float, optional
        β(1 − q). Required to be meaningful at T = 0 where q = 1; if omitted it is
        (1 − q)/T for T > 0, and 1 − 1/√r at T = 0 (valid at the saddle point only).

    Returns
    -------
    float
        f(m, q, r); at T = 0, the RS ground-state energy per spin.

    Notes
    -----
    k_B = 1, T = 1/β, α = P/N, H = −Σ_{i<j} J_ij σ_iσ_j with J_ii = 0 (hence +α/2):

        f = α/2 + m²/2 + (α/(2β))[ln(1 − C) − βq/(1 − C)] + (αβ/2) r (1 − q)
            − (1/β)⟨ln 2cosh β(m + √(αr) z)⟩_z,   C = β(1 − q).

    Its stationary points in (m, q, r) are the saddle-point equations (tested).
    At T = 0 on a saddle point this reduces to e = −m²/2 − (α/2)(r − 1); for the spin
    glass e_SG = −1/π − √(2α/π). The paramagnet gives −T ln 2 + α/2 + (αT/2) ln(1 − β).
    """
    alpha, T = _check(alpha, T)
    if C is None:
        C = (1.0 - q) / T if T > 0 else 1.0 - 1.0 / math.sqrt(r)
    if not C < 1:
        return math.nan
    s = math.sqrt(alpha * r) if alpha * r > 0 else 0.0
    F = gaussian_averages(m, s, T)[2]
    log_term = 0.5 * alpha * T * math.log1p(-C) if T > 0 else 0.0
    return (
        0.5 * alpha
        + 0.5 * m * m
        + log_term
        - 0.5 * alpha * q / (1.0 - C)
        + 0.5 * alpha * r * C
        - F
    )


def _free_energy(sol: RSSolution, alpha: float, T: float) -> float:
    return free_energy_rs(alpha, T, sol.m, sol.q, sol.r, C=sol.C)


def T_g(alpha):
    """Paramagnet → spin-glass temperature T_g(α) = 1 + √α.

    Parameters
    ----------
    alpha : float or array_like
        Load α >= 0.

    Returns
    -------
    float or ndarray

    Notes
    -----
    k_B = 1, α = P/N. Below T_g the m = 0 solution of the AGS equations has q > 0.
    """
    out = 1.0 + np.sqrt(np.asarray(alpha, dtype=float))
    return float(out) if out.ndim == 0 else out


def _delta_f(m: float, T: float) -> tuple[float, float]:
    """f_retrieval − f_SG at the retrieval point with overlap m, and its α."""
    a, s, C = _retrieval_point(m, T)
    q = 1.0 - C * T
    sol_r = RSSolution(m, q, q / (1.0 - C) ** 2, True, C)
    sol_sg = spin_glass_branch(a, T)
    return _free_energy(sol_r, a, T) - _free_energy(sol_sg, a, T), a


@lru_cache(maxsize=4096)
def _alpha_c_point(T: float) -> tuple[float, float]:
    a_M, m_M = retrieval_spinodal(T)
    if T > _T_NEAR_1:
        a, m = _alpha_c_point(_T_NEAR_1)
        x = (1.0 - T) / (1.0 - _T_NEAR_1)
        return a * x * x, m * math.sqrt(x)
    m_top = _m_cw(T) if T > 0 else 1.0
    d_M, _ = _delta_f(m_M, T)
    if d_M <= 0:
        return a_M, m_M
    hi = m_top - (m_top - m_M) * 1e-6
    if _delta_f(hi, T)[0] >= 0:
        return math.nan, math.nan
    m = brentq(lambda mm: _delta_f(mm, T)[0], m_M, hi, xtol=1e-13)
    return _delta_f(m, T)[1], m


def alpha_c_line(T, return_m: bool = False):
    """Thermodynamic retrieval line α_c(T): retrieval and spin-glass free energies are equal.

    Parameters
    ----------
    T : float or array_like
        Temperature(s), 0 <= T < 1; T >= 1 gives 0.
    return_m : bool, default False
        Also return the retrieval overlap on the line.

    Returns
    -------
    float or ndarray (and m if ``return_m``)
        For α < α_c(T) the retrieval states are global minima of the RS free energy.

    Notes
    -----
    k_B = 1, α = P/N. Solved along the parametric retrieval branch for
    f_R(α(m)) = f_SG(α(m)). Values computed here: α_c(0) = 0.051854 (m = 0.99999),
    0.052911 at T = 0.05, 0.053092 at T = 0.1, 0.050725 at T = 0.2, 0.037047 at T = 0.4,
    0.008184 at T = 0.75; maximum 0.053132 at T ≈ 0.085 (RS re-entrance). At T = 0 the
    retrieval energy is −1/2 up to exponentially small terms and e_SG = −1/π − √(2α/π),
    so α_c(0) = (π/2)(1/2 − 1/π)² = 0.051854 (AGS quote ≈ 0.051); solving gives
    0.0518543, 3e-7 above it. Near T = 1, T_c ≈ 1 − 2.596√α.
    """
    T_arr = np.asarray(T, dtype=float)
    res = [(_alpha_c_point(float(t)) if t < 1 else (0.0, 0.0)) for t in T_arr.ravel()]
    a = np.array([x[0] for x in res]).reshape(T_arr.shape)
    m = np.array([x[1] for x in res]).reshape(T_arr.shape)
    if a.ndim == 0:
        a, m = float(a), float(m)
    return (a, m) if return_m else a


@lru_cache(maxsize=1)
def _alpha_c_peak() -> tuple[float, float]:
    res = minimize_scalar(lambda t: -_alpha_c_point(t)[0], bounds=(0.0, 0.2), method="bounded",
                          options={"xatol": 1e-5})
    return float(res.x), float(-res.fun)


def T_c(alpha):
    """Temperature below which retrieval states are global minima (upper branch).

    Parameters
    ----------
    alpha : float or array_like
        Load α >= 0.

    Returns
    -------
    float or ndarray
        Upper root of α_c(T) = α; 1 at α = 0, nan above max_T α_c(T) ≈ 0.05313.

    Notes
    -----
    k_B = 1, α = P/N. Like T_M, the RS line bends back at low T (α_c(T) peaks near
    T ≈ 0.085); plot the line as (α_c(T), T), see :func:`phase_lines`.
    """
    return _upper_branch(alpha, _alpha_c_peak(), lambda t: _alpha_c_point(t)[0])


def phase_lines(n: int = 40, alpha_max: float = 0.16) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """RS phase-diagram lines of the Hopfield model, ready to plot in the (α, T) plane.

    Parameters
    ----------
    n : int, default 40
        Points per line.
    alpha_max : float, default 0.16
        Largest α of the T_g line.

    Returns
    -------
    dict
        ``"T_g"``, ``"T_M"``, ``"T_c"`` → (alpha, T) arrays. T_M and T_c are parametrised by
        T (T in [0, 1), denser near T = 0), so their re-entrance is drawn correctly.

    Notes
    -----
    k_B = 1, α = P/N. Phases: PM above T_g = 1 + √α; SG below T_g; retrieval states
    (metastable) below T_M; retrieval states are global minima below T_c.
    """
    a_g = np.linspace(0.0, alpha_max, n)
    T_grid = np.sort(np.unique(np.concatenate([[0.0], 1.0 - np.cos(0.5 * np.pi * np.linspace(0, 1, n)) ** 0.5])))
    T_grid = T_grid[T_grid < 1.0 - 1e-6]
    T_grid = np.append(T_grid, 1.0)
    return {
        "T_g": (a_g, T_g(a_g)),
        "T_M": (alpha_M(T_grid), T_grid),
        "T_c": (alpha_c_line(T_grid), T_grid),
    }
