"""Exact finite-N results: Curie-Weiss sums over M and brute-force enumeration.

Conventions: σ_i = ±1, k_B = 1, T = 1/β, intensive quantities per spin.
Curie-Weiss: H = −(J/N) Σ_{i<j} σ_iσ_j = −J(M² − N)/(2N) with M = Σ_i σ_i, so the
partition function is an exact sum over M ∈ {−N, −N+2, …, N} weighted by the binomial
degeneracy C(N, (N+M)/2). With J = 1, T_c = 1 in the thermodynamic limit.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, logsumexp

__all__ = ["curie_weiss_exact", "curie_weiss_distribution", "enumerate_ising"]


def _check_N(N) -> int:
    if int(N) != N or N < 1:
        raise ValueError(f"N = {N!r}: expected an integer N >= 1")
    return int(N)


def _check_T(T) -> np.ndarray:
    T_arr = np.asarray(T, dtype=float)
    if not np.all(np.isfinite(T_arr)) or np.any(T_arr <= 0):
        raise ValueError(f"T = {T!r}: expected finite T > 0")
    return T_arr


def _cw_log_weights(N: int, T_arr: np.ndarray, J: float):
    """m grid, energy per spin e(m) and log Boltzmann weights of shape T_arr.shape + (N+1,)."""
    k = np.arange(N + 1)  # number of down spins
    M = (N - 2 * k).astype(float)
    m = M / N
    log_deg = gammaln(N + 1) - gammaln(k + 1) - gammaln(N - k + 1)
    e = -J * (M * M - N) / (2.0 * N * N)  # H / N
    beta = 1.0 / T_arr[..., None]
    log_w = log_deg - beta * N * e
    return m, e, log_w


def curie_weiss_exact(N: int, T, J: float = 1.0) -> dict:
    """Exact finite-N thermodynamics of the Curie-Weiss model.

    Parameters
    ----------
    N : int
        Number of spins, N >= 1.
    T : float or array_like
        Temperature(s), T > 0. Results are vectorised over T and have its shape.
    J : float, default 1.0
        Coupling; T_c = J for N → ∞.

    Returns
    -------
    dict
        ``"m_abs"`` ⟨|m|⟩, ``"m2"`` ⟨m²⟩, ``"m4"`` ⟨m⁴⟩, ``"energy"`` ⟨e⟩,
        ``"energy2"`` ⟨e²⟩, ``"binder"`` U4 = 1 − ⟨m⁴⟩/(3⟨m²⟩²),
        ``"chi"`` = N(⟨m²⟩ − ⟨|m|⟩²)/T (connected; finite below T_c),
        ``"chi_m2"`` = N⟨m²⟩/T (grows ∝ N below T_c),
        ``"heat_capacity"`` = N(⟨e²⟩ − ⟨e⟩²)/T² and ``"free_energy"`` = −T ln Z / N.
        Floats for scalar T, arrays otherwise.

    Raises
    ------
    ValueError
        If N is not an integer >= 1 or any T is not finite and > 0.

    Notes
    -----
    σ_i = ±1, k_B = 1, T = 1/β, H = −(J/N) Σ_{i<j} σ_iσ_j = −J(M² − N)/(2N),
    m = M/N and e = H/N (per spin). Z = Σ_M C(N, (N+M)/2) exp(−βH(M)), evaluated with
    log-sum-exp over ``gammaln`` degeneracies, so any N (10⁵ and more) is exact to
    round-off. At T_c = 1, U4 → 1 − Γ(1/4)⁴/(24π²) ≈ 0.2705 and ⟨|m|⟩ ∝ N^(−1/4).
    """
    N = _check_N(N)
    T_arr = _check_T(T)
    m, e, log_w = _cw_log_weights(N, T_arr, J)
    log_Z = logsumexp(log_w, axis=-1)
    p = np.exp(log_w - log_Z[..., None])
    m_abs = p @ np.abs(m)
    m2 = p @ (m * m)
    m4 = p @ (m**4)
    energy = p @ e
    energy2 = p @ (e * e)
    # variance of e: subtract the mean inside the sum to avoid cancellation
    var_e = np.sum(p * (e - energy[..., None]) ** 2, axis=-1)
    var_m = np.sum(p * (np.abs(m) - m_abs[..., None]) ** 2, axis=-1)
    out = {
        "m_abs": m_abs,
        "m2": m2,
        "m4": m4,
        "energy": energy,
        "energy2": energy2,
        "binder": 1.0 - m4 / (3.0 * m2 * m2),
        "chi": N * var_m / T_arr,
        "chi_m2": N * m2 / T_arr,
        "heat_capacity": N * var_e / T_arr**2,
        "free_energy": -T_arr * log_Z / N,
    }
    if T_arr.ndim == 0:
        return {k: float(v) for k, v in out.items()}
    return out


def curie_weiss_distribution(N: int, T: float, J: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Exact distribution P(m) of the magnetisation per spin of the Curie-Weiss model.

    Parameters
    ----------
    N : int
        Number of spins, N >= 1.
    T : float
        Temperature, T > 0 (scalar).
    J : float, default 1.0
        Coupling.

    Returns
    -------
    m : ndarray, shape (N+1,)
        m = M/N for M = N, N−2, …, −N (descending).
    p : ndarray, shape (N+1,)
        P(m), summing to 1.

    Notes
    -----
    σ_i = ±1, k_B = 1, H = −J(M² − N)/(2N); P(m) ∝ C(N, (N+M)/2) exp(−βH(M)).
    Bimodal below T_c = J, unimodal above; flat-topped (∝ exp(−N m⁴/12)) at T_c.
    """
    N = _check_N(N)
    T_arr = _check_T(T)
    if T_arr.ndim != 0:
        raise ValueError(f"T = {T!r}: expected a scalar temperature")
    m, _, log_w = _cw_log_weights(N, T_arr, J)
    p = np.exp(log_w - logsumexp(log_w))
    return m, p


def enumerate_ising(J, T, h=None) -> dict:
    """Exact thermodynamics of H = −Σ_{i<j} J_ij σ_iσ_j − Σ_i h_i σ_i by enumerating 2^N states.

    Parameters
    ----------
    J : array_like, shape (N, N)
        Symmetric couplings; the diagonal is ignored. N <= 22.
    T : float
        Temperature, T > 0.
    h : array_like, shape (N,), optional
        External fields (default zero).

    Returns
    -------
    dict
        ``"free_energy"`` −T ln Z / N, ``"energy"`` ⟨H⟩/N, ``"energy2"`` ⟨(H/N)²⟩,
        ``"m_abs"`` ⟨|m|⟩, ``"m2"`` ⟨m²⟩, ``"m4"`` ⟨m⁴⟩ with m = Σσ_i/N,
        ``"ground_energy"`` min H / N.

    Raises
    ------
    ValueError
        If J is not square and symmetric, N > 22, or T is not finite and > 0.

    Notes
    -----
    σ_i = ±1, k_B = 1, per-spin quantities. Reference for any small system
    (Curie-Weiss, SK, Hopfield couplings); cost O(2^N N²) in memory chunks.
    """
    J = np.asarray(J, dtype=float)
    if J.ndim != 2 or J.shape[0] != J.shape[1] or not np.allclose(J, J.T):
        raise ValueError(f"J with shape {J.shape}: expected a symmetric square matrix")
    N = J.shape[0]
    if N > 22:
        raise ValueError(f"N = {N}: enumeration is limited to N <= 22")
    T = float(_check_T(T))
    J0 = J - np.diag(np.diag(J))
    h = np.zeros(N) if h is None else np.asarray(h, dtype=float)
    energies = np.empty(2**N)
    mags = np.empty(2**N)
    chunk = 1 << min(N, 14)
    for start in range(0, 2**N, chunk):
        idx = np.arange(start, min(start + chunk, 2**N))
        sigma = 1.0 - 2.0 * ((idx[:, None] >> np.arange(N)) & 1)
        energies[idx] = -0.5 * np.einsum("si,ij,sj->s", sigma, J0, sigma) - sigma @ h
        mags[idx] = sigma.sum(axis=1) / N
    log_w = -energies / T
    log_Z = logsumexp(log_w)
    p = np.exp(log_w - log_Z)
    e = energies / N
    return {
        "free_energy": float(-T * log_Z / N),
        "energy": float(p @ e),
        "energy2": float(p @ (e * e)),
        "m_abs": float(p @ np.abs(mags)),
        "m2": float(p @ mags**2),
        "m4": float(p @ mags**4),
        "ground_energy": float(e.min()),
    }
