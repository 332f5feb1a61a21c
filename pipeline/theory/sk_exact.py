"""Exact finite-N thermal averages of one Sherrington–Kirkpatrick sample, by enumeration.

H = −Σ_{i<j} J_ij σ_iσ_j = −½ σᵀJσ (J symmetric, zero diagonal), e = H/N. All 2^N states are
enumerated (N ≤ 20); the two-replica overlap q = (1/N) σ^a·σ^b of two independent copies on the same
couplings has the exact distribution

    P(q = 1 − 2k/N) = Σ_{popcount(d) = k} c(d),   c(d) = Σ_x p(x) p(x ⊕ d),

where states are bit strings x (σ_i = 1 − 2 x_i) and c is the XOR autocorrelation of the Boltzmann
weights p, computed by a fast Walsh–Hadamard transform: WHT(c) = WHT(p)², O(N 2^N). Its moments give
⟨q²⟩ = (1/N²) Σ_ij ⟨σ_iσ_j⟩² (diagonal included) and ⟨q⁴⟩ exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_N = 20


def states(N: int) -> np.ndarray:
    """All 2^N configurations (int8 ±1, shape (2^N, N)); row x has σ_i = 1 − 2·bit_i(x)."""
    x = np.arange(2**N, dtype=np.int64)[:, None]
    return (1 - 2 * ((x >> np.arange(N)) & 1)).astype(np.int8)


def _wht(a: np.ndarray) -> np.ndarray:
    """Unnormalised Walsh–Hadamard transform along the last axis (length 2^N)."""
    a = np.array(a, dtype=np.float64)
    n = a.shape[-1]
    h = 1
    while h < n:
        b = a.reshape(*a.shape[:-1], n // (2 * h), 2, h)
        x, y = b[..., 0, :].copy(), b[..., 1, :].copy()
        b[..., 0, :], b[..., 1, :] = x + y, x - y
        a = b.reshape(*a.shape[:-1], n)
        h *= 2
    return a


def sk_exact(J: np.ndarray, temps: Sequence[float] | float) -> list[dict[str, float | np.ndarray]]:
    """Exact averages of one sample at each temperature.

    Parameters
    ----------
    J : array (N, N)
        Symmetric couplings with zero diagonal (N ≤ 20).
    temps : float or sequence of float
        Temperatures.

    Returns
    -------
    list of dict, one per T: ``energy`` ⟨e⟩, ``energy2`` ⟨e²⟩, ``q_abs`` ⟨|q|⟩, ``q2``, ``q4``, the
    ground-state energy per spin ``e_gs``, ``q`` (the N + 1 values 1 − 2k/N) and ``P_q`` (their
    probabilities), ``lnZ``.
    """
    J = np.asarray(J, dtype=np.float64)
    N = J.shape[0]
    if J.shape != (N, N) or N > MAX_N or N < 1:
        raise ValueError(f"sk_exact: J has shape {J.shape}; expected (N, N) with 1 <= N <= {MAX_N}")
    if not np.allclose(J, J.T) or np.any(np.diag(J) != 0):
        raise ValueError("sk_exact: J must be symmetric with a zero diagonal")
    S = states(N).astype(np.float64)
    E = -0.5 * np.einsum("xi,ij,xj->x", S, J, S)  # total energy of every state
    e = E / N
    pop = np.array([bin(d).count("1") for d in range(2**N)])
    qk = 1.0 - 2.0 * np.arange(N + 1) / N
    out = []
    for T in np.atleast_1d(np.asarray(temps, dtype=np.float64)):
        w = np.exp(-(E - E.min()) / T)
        Z = w.sum()
        p = w / Z
        c = _wht(_wht(p) ** 2) / p.size  # c(d) = Σ_x p(x) p(x ⊕ d)
        Pq = np.bincount(pop, weights=c, minlength=N + 1)
        out.append({
            "energy": float(p @ e), "energy2": float(p @ e**2),
            "q_abs": float(Pq @ np.abs(qk)), "q2": float(Pq @ qk**2), "q4": float(Pq @ qk**4),
            "e_gs": float(e.min()), "q": qk, "P_q": Pq, "lnZ": float(np.log(Z) - E.min() / T),
        })
    return out
