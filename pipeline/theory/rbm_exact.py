"""Exact results for small restricted Boltzmann machines: all visible states enumerated, hidden layer summed.

Conventions: k_B = 1, β = 1/T, weights W of shape (Nv, Nh), visible biases b (Nv,), hidden biases c (Nh,),

    E(v, h) = −Σ_ij v_i W_ij h_j − Σ_i b_i v_i − Σ_j c_j h_j   [+ Σ_j h_j²/2 for gaussian hidden units],

Boltzmann weight e^{−βE}. Visible units are "spin" (±1) or "binary" ({0, 1}); hidden units are "spin",
"binary" or "gaussian" (real h_j with the β-scaled prior ∝ e^{−βh_j²/2}, i.e. the energy term +h_j²/2
above, and Lebesgue measure dh in Z). Enumerated state x has bit_i(x) = (x >> i) & 1 and v_i = 1 − 2 bit_i
("spin") or v_i = bit_i ("binary"), as ``pipeline.theory.sk_exact.states``.

Given v the hidden units are independent, with input a_j = c_j + Σ_i W_ij v_i, so the visible free energy
F(v) = −(1/β) ln Σ_h e^{−βE(v,h)} (an integral for gaussian units) is exact in closed form:

    binary:   F(v) = −b·v − (1/β) Σ_j ln(1 + e^{βa_j}),
    spin:     F(v) = −b·v − (1/β) Σ_j ln(2 cosh βa_j),
    gaussian: F(v) = −b·v − ½ Σ_j a_j² − (Nh/2β) ln(2π/β),

and the visible marginal is p(v) = e^{−βF(v)}/Z. Given v, h_j is ±1 with mean tanh(βa_j) ("spin"), {0, 1}
with mean 1/(1 + e^{−βa_j}) ("binary"), or Normal(a_j, 1/β) ("gaussian").

Hopfield mapping. With Σ_j a_j² = vᵀWWᵀv + 2 v·Wc + Σ_j c_j², gaussian hidden units give exactly

    F(v) = −½ vᵀJv − (b + Wc)·v + const,   J = W Wᵀ,

a Hopfield model (couplings J, diagonal included) at the same β. For ±1 visible units the diagonal J_ii
only adds a constant; for {0, 1} units (v_i² = v_i) it adds the field ½ J_ii. Without the β in the prior
(prior ∝ e^{−h²/2}) the integral gives e^{β²a²/2}: the RBM at β maps to the Hopfield model with J = WWᵀ at
β², not β. The quadratic ("Hopfield") approximation of spin and binary hidden units expands the hidden
log-partition function to second order in x = βa_j, ln 2cosh x ≈ ln 2 + x²/2, ln(1 + eˣ) ≈ ln 2 + x/2 + x²/8:

    spin:   F_quad(v) = −½ vᵀJv − (b + βWc)·v − Nh T ln 2 − (β/2) Σ_j c_j²,           J = β W Wᵀ,
    binary: F_quad(v) = −½ vᵀJv − (b + ½W1 + (β/4)Wc)·v − Nh T ln 2 − ½ Σ_j c_j − (β/8) Σ_j c_j²,
                                                                                        J = (β/4) W Wᵀ,

so the couplings themselves carry a factor β: e^{−βF_quad} has β² W Wᵀ in its exponent (spin), the β² issue
above. The neglected remainder is quartic: ln cosh y − y²/2 = −y⁴/12 + O(y⁶), with y = βa_j (spin) or
y = βa_j/2 (binary, since ln(1 + eˣ) = x/2 + ln 2cosh(x/2)).

Two replicas a, b on the same parameters: q_v = (1/Nv) Σ_i v_i^a v_i^b, q_h = (1/Nh) Σ_j h_j^a h_j^b, with
⟨q_v²⟩ = (1/Nv²) Σ_ik ⟨v_iv_k⟩² and ⟨q_h²⟩ = (1/Nh²) Σ_jk ⟨h_jh_k⟩² (diagonal included) exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import expit, logsumexp

__all__ = ["HIDDEN_KINDS", "MAX_N", "VISIBLE_KINDS", "hidden_states", "marginal_kl", "quadratic_free_energy",
           "rbm_exact", "visible_free_energy", "visible_states"]

MAX_N = 20
"""Largest number of enumerated units (2^20 states)."""
VISIBLE_KINDS = ("spin", "binary")
HIDDEN_KINDS = ("spin", "binary", "gaussian")
_LN2 = float(np.log(2.0))


def _enumerate(n: int, kind: str) -> np.ndarray:
    if int(n) != n or not 0 <= n <= MAX_N:
        raise ValueError(f"n = {n!r}: expected an integer 0 <= n <= {MAX_N} for enumeration")
    bits = ((np.arange(2 ** int(n), dtype=np.int64)[:, None] >> np.arange(int(n))) & 1).astype(np.float64)
    return 1.0 - 2.0 * bits if kind == "spin" else bits


def visible_states(Nv: int, kind: str = "spin") -> np.ndarray:
    """All 2^Nv visible configurations, float64 of shape (2^Nv, Nv).

    Row x has v_i = 1 − 2·bit_i(x) for ``kind="spin"`` and v_i = bit_i(x) for ``kind="binary"``.
    """
    if kind not in VISIBLE_KINDS:
        raise ValueError(f"visible kind {kind!r}: expected one of {VISIBLE_KINDS}")
    return _enumerate(Nv, kind)


def hidden_states(Nh: int, kind: str = "spin") -> np.ndarray:
    """All 2^Nh hidden configurations of ``kind`` "spin" or "binary", as :func:`visible_states`.

    Gaussian hidden units are continuous and are refused (ValueError).
    """
    if kind not in ("spin", "binary"):
        raise ValueError(f"hidden kind {kind!r}: only 'spin' and 'binary' hidden units can be enumerated")
    return _enumerate(Nh, kind)


def _check(W, b, c, T, hidden: str, visible: str = "spin"):
    """Validated float64 (W, b, c) and the temperatures as a 1-D array."""
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] < 1 or W.shape[1] < 1:
        raise ValueError(f"W with shape {W.shape}: expected shape (Nv, Nh) with Nv, Nh >= 1")
    Nv, Nh = W.shape
    b = np.zeros(Nv) if b is None else np.asarray(b, dtype=np.float64)
    c = np.zeros(Nh) if c is None else np.asarray(c, dtype=np.float64)
    if b.shape != (Nv,) or c.shape != (Nh,):
        raise ValueError(f"b {b.shape}, c {c.shape}: expected ({Nv},) and ({Nh},) for W of shape {W.shape}")
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b)) and np.all(np.isfinite(c))):
        raise ValueError("W, b, c: expected finite entries")
    if hidden not in HIDDEN_KINDS:
        raise ValueError(f"hidden kind {hidden!r}: expected one of {HIDDEN_KINDS}")
    if visible not in VISIBLE_KINDS:
        raise ValueError(f"visible kind {visible!r}: expected one of {VISIBLE_KINDS}")
    temps = np.atleast_1d(np.asarray(T, dtype=np.float64))
    if temps.ndim != 1 or temps.size < 1 or not np.all(np.isfinite(temps) & (temps > 0)):
        raise ValueError(f"T = {T!r}: expected a finite T > 0 or a sequence of them")
    return W, b, c, temps


def _hidden_log_z(a: np.ndarray, beta: float, hidden: str) -> np.ndarray:
    """Σ_j ln Σ_{h_j} e^{β(a_j h_j − ε(h_j))} over the last axis; ε = h²/2 for gaussian units, else 0."""
    x = beta * a
    if hidden == "spin":
        per_unit = np.logaddexp(x, -x)
    elif hidden == "binary":
        per_unit = np.logaddexp(0.0, x)
    else:
        per_unit = 0.5 * x * a + 0.5 * np.log(2.0 * np.pi / beta)
    return per_unit.sum(axis=-1)


def _hidden_log_z_quad(a: np.ndarray, beta: float, hidden: str) -> np.ndarray:
    """:func:`_hidden_log_z` expanded to second order in x = βa (exact for gaussian units)."""
    x = beta * a
    if hidden == "spin":
        return (_LN2 + 0.5 * x * x).sum(axis=-1)
    if hidden == "binary":
        return (_LN2 + 0.5 * x + 0.125 * x * x).sum(axis=-1)
    return _hidden_log_z(a, beta, hidden)


def _lncosh_remainder(y: np.ndarray) -> np.ndarray:
    """ln cosh y − y²/2 (≤ 0), accurate to ~1e-12 relative also where the two terms nearly cancel."""
    y = np.abs(np.asarray(y, dtype=np.float64))
    out = np.empty_like(y)
    small, large = y < 0.05, y >= 20.0
    mid = ~(small | large)
    y2 = y[small] ** 2
    # Taylor series; the next term, −691 y¹²/467775, is below 1e-12 relative for y < 0.05
    out[small] = y2 * y2 * (-1 / 12 + y2 * (1 / 45 + y2 * (-17 / 2520 + y2 * (31 / 14175))))
    t = y[mid]
    out[mid] = np.log1p(2.0 * np.sinh(0.5 * t) ** 2) - 0.5 * t * t  # cosh t − 1 = 2 sinh²(t/2)
    t = y[large]
    out[large] = t + np.log1p(np.exp(-2.0 * t)) - _LN2 - 0.5 * t * t
    return out


def _quad_remainder(a: np.ndarray, beta: float, hidden: str) -> np.ndarray:
    """β(F_quad − F) = ln of the exact over the quadratic hidden partition function, per visible row."""
    if hidden == "spin":
        return _lncosh_remainder(beta * a).sum(axis=-1)
    if hidden == "binary":
        return _lncosh_remainder(0.5 * beta * a).sum(axis=-1)
    return np.zeros(a.shape[:-1])


def _expm1_remainder(x: np.ndarray) -> np.ndarray:
    """eˣ − 1 − x (≥ 0), by its Taylor series where expm1(x) − x would cancel."""
    out = np.expm1(x) - x
    small = np.abs(x) < 1e-2
    s = x[small]
    out[small] = s * s * (1 / 2 + s * (1 / 6 + s * (1 / 24 + s * (1 / 120 + s / 720))))
    return out


def _free_energy(W, b, c, T: float, v, hidden: str, quadratic: bool) -> np.ndarray:
    W, b, c, temps = _check(W, b, c, T, hidden)
    if temps.size != 1:
        raise ValueError(f"T = {T!r}: expected one temperature")
    v = np.asarray(v, dtype=np.float64)
    if v.ndim < 1 or v.shape[-1] != W.shape[0]:
        raise ValueError(f"v with shape {v.shape}: expected rows of length Nv = {W.shape[0]}")
    Tf = float(temps[0])
    a = c + v @ W
    log_z = (_hidden_log_z_quad if quadratic else _hidden_log_z)(a, 1.0 / Tf, hidden)
    return -(v @ b) - Tf * log_z


def visible_free_energy(W: np.ndarray, b: np.ndarray | None, c: np.ndarray | None, T: float, v: np.ndarray,
                        hidden: str) -> np.ndarray:
    """Exact visible free energy F(v) = −(1/β) ln Σ_h e^{−βE(v, h)} (an integral for gaussian units).

    Parameters
    ----------
    W : array (Nv, Nh)
        Weights.
    b, c : array (Nv,) and (Nh,), or None
        Visible and hidden biases (None: zero).
    T : float
        Temperature, T > 0.
    v : array (..., Nv)
        Visible rows (any real values; the formulas do not depend on the visible kind).
    hidden : {"spin", "binary", "gaussian"}
        Hidden-unit type.

    Returns
    -------
    ndarray of shape v.shape[:-1]
        binary: −b·v − T Σ_j ln(1 + e^{βa_j}); spin: −b·v − T Σ_j ln(2cosh βa_j); gaussian:
        −b·v − ½ Σ_j a_j² − (Nh T/2) ln(2πT); a_j = c_j + Σ_i W_ij v_i. Stable for any βa (logaddexp).

    Raises
    ------
    ValueError
        On inconsistent shapes, non-finite parameters, an unknown kind or T not finite and > 0.
    """
    return _free_energy(W, b, c, T, v, hidden, quadratic=False)


def quadratic_free_energy(W: np.ndarray, b: np.ndarray | None, c: np.ndarray | None, T: float, v: np.ndarray,
                          hidden: str) -> np.ndarray:
    """Quadratic ("Hopfield") approximation F_quad(v) of :func:`visible_free_energy`.

    The hidden log-partition function of each unit is expanded to second order in x = βa_j:
    ln 2cosh x ≈ ln 2 + x²/2 (spin), ln(1 + eˣ) ≈ ln 2 + x/2 + x²/8 (binary); for gaussian hidden units
    F is already quadratic and F_quad = F. Written as F_quad(v) = −½ vᵀJv − h·v + const:

    - spin: J = β W Wᵀ, h = b + β W c (e^{−βF_quad} holds β² W Wᵀ: a Hopfield model at β²);
    - binary: J = (β/4) W Wᵀ, h = b + ½ W·1 + (β/4) W c;
    - gaussian: J = W Wᵀ, h = b + W c (exact, Hopfield at the same β).

    Parameters and return value as :func:`visible_free_energy`.
    """
    return _free_energy(W, b, c, T, v, hidden, quadratic=True)


Result = dict[str, float | np.ndarray]


def rbm_exact(W: np.ndarray, b: np.ndarray | None, c: np.ndarray | None, T: float | Sequence[float],
              visible: str = "spin", hidden: str = "spin") -> Result | list[Result]:
    """Exact thermal averages of an RBM, enumerating the visible layer and summing out the hidden layer.

    Parameters
    ----------
    W : array (Nv, Nh)
        Weights, Nv <= ``MAX_N``.
    b, c : array (Nv,) and (Nh,), or None
        Visible and hidden biases (None: zero).
    T : float or sequence of float
        Temperature(s), T > 0; the states are enumerated once for all of them.
    visible : {"spin", "binary"}
    hidden : {"spin", "binary", "gaussian"}

    Returns
    -------
    dict, or a list of dicts (one per T) when T is a sequence
        ``mean_v`` ⟨v_i⟩ (Nv,), ``mean_h`` ⟨h_j⟩ (Nh,), ``mean_vh`` ⟨v_ih_j⟩ (Nv, Nh); ``lnZ``;
        ``energy`` ⟨E⟩ (total, not per unit; for gaussian hidden units including Σ_j h_j²/2, the energy
        whose Boltzmann weight is sampled); ``m_v`` ⟨(1/Nv) Σ_i v_i⟩; ``q_v2`` ⟨q_v²⟩ and ``q_h2`` ⟨q_h²⟩
        (two independent replicas; finite for every hidden kind); ``free_energy`` ⟨F(v)⟩/Nv, the
        marginal average of :func:`visible_free_energy` (not −T lnZ/Nv, which is lower by T times the
        visible entropy per unit).

    Raises
    ------
    ValueError
        As :func:`visible_free_energy`, or if Nv > ``MAX_N``.

    Notes
    -----
    Given v, ⟨h_j|v⟩ and ⟨h_j²|v⟩ are closed forms (tanh(βa_j), 1; σ(βa_j), σ(βa_j); a_j, a_j² + T), so
    ⟨v_ih_j⟩ = Σ_v p(v) v_i⟨h_j|v⟩, ⟨h_jh_k⟩ = Σ_v p(v)⟨h_j|v⟩⟨h_k|v⟩ (j ≠ k) and ⟨E|v⟩ = −b·v
    − Σ_j a_j⟨h_j|v⟩ [+ ½ Σ_j⟨h_j²|v⟩]. For gaussian units lnZ includes (Nh/2) ln(2πT) from ∫dh. Memory
    is O(2^Nv · Nh).
    """
    W, b, c, temps = _check(W, b, c, T, hidden, visible)
    Nv, Nh = W.shape
    V = visible_states(Nv, visible)
    A = c + V @ W  # (2^Nv, Nh) hidden inputs a_j(v)
    bv = V @ b
    out = []
    for Tf in temps:
        beta = 1.0 / Tf
        F = -bv - Tf * _hidden_log_z(A, beta, hidden)
        log_w = -beta * F
        lnZ = logsumexp(log_w)
        p = np.exp(log_w - lnZ)
        if hidden == "spin":
            mh, h2 = np.tanh(beta * A), np.ones_like(A)
        elif hidden == "binary":
            mh = expit(beta * A)
            h2 = mh
        else:
            mh, h2 = A, A * A + Tf
        E_v = -bv - (A * mh).sum(axis=1)
        if hidden == "gaussian":
            E_v = E_v + 0.5 * h2.sum(axis=1)
        mean_v = p @ V
        C_v = V.T @ (p[:, None] * V)
        C_h = mh.T @ (p[:, None] * mh)
        np.fill_diagonal(C_h, p @ h2)
        out.append({
            "mean_v": mean_v,
            "mean_h": p @ mh,
            "mean_vh": V.T @ (p[:, None] * mh),
            "lnZ": float(lnZ),
            "energy": float(p @ E_v),
            "m_v": float(mean_v.mean()),
            "q_v2": float((C_v * C_v).sum() / Nv**2),
            "q_h2": float((C_h * C_h).sum() / Nh**2),
            "free_energy": float(p @ F / Nv),
        })
    return out[0] if np.ndim(T) == 0 else out


def marginal_kl(W: np.ndarray, b: np.ndarray | None, c: np.ndarray | None, T: float, hidden: str,
                visible: str = "spin") -> float:
    """KL(p ‖ p_quad) between the exact visible marginal and its quadratic ("Hopfield") approximation.

    p(v) ∝ e^{−βF(v)} (:func:`visible_free_energy`) and p_quad(v) ∝ e^{−βF_quad(v)}
    (:func:`quadratic_free_energy`), each normalised over all 2^Nv visible states.

    Parameters
    ----------
    W, b, c, T, hidden
        As :func:`visible_free_energy` (one temperature).
    visible : {"spin", "binary"}

    Returns
    -------
    float
        KL(p ‖ p_quad) = Σ_v p(v) ln(p(v)/p_quad(v)) >= 0; exactly 0 for gaussian hidden units.

    Notes
    -----
    With δ(v) = β(F_quad − F)(v) = Σ_j [ln cosh y_j − y_j²/2] (y_j = βa_j spin, βa_j/2 binary) and
    d = δ − ⟨δ⟩_p, KL = ln⟨e^{−d}⟩_p = ln(1 + ⟨e^{−d} − 1 + d⟩_p): computed from the remainder itself,
    so it keeps its relative accuracy when KL is far below the round-off of ln p (for small weights and
    hidden biases δ ~ a⁴ and KL ~ ½ Var_p(δ) ~ a⁸).
    """
    W, b, c, temps = _check(W, b, c, T, hidden, visible)
    if temps.size != 1:
        raise ValueError(f"T = {T!r}: expected one temperature")
    Tf = float(temps[0])
    beta = 1.0 / Tf
    V = visible_states(W.shape[0], visible)
    A = c + V @ W
    log_w = beta * (V @ b) + _hidden_log_z(A, beta, hidden)  # −βF(v)
    p = np.exp(log_w - logsumexp(log_w))
    delta = _quad_remainder(A, beta, hidden)
    d = delta - p @ delta
    if np.max(np.abs(d)) < 1.0:
        kl = np.log1p(p @ _expm1_remainder(-d))
    else:
        kl = logsumexp(-d, b=p)
    return max(float(kl), 0.0)
