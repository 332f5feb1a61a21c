"""Exact finite-N thermodynamics of the Hopfield model by enumerating all 2^N states.

Conventions: σ_i = ±1, k_B = 1, T = 1/β, patterns ξ_i^μ = ±1 stored i-major (shape (N, P), row i holds
the P bits of site i, as ``pipeline.models.hopfield``), J_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ (i ≠ j, J_ii = 0),

    H = −Σ_{i<j} J_ij σ_iσ_j = −(1/2N) Σ_μ (M_μ² − N),   M_μ = Σ_i ξ_i^μ σ_i,  m_μ = M_μ/N.

Per-spin quantities: e = H/N. Two replicas a, b of the same patterns: q = (1/N) Σ_i σ_i^a σ_i^b.

The two-replica moments are exact: ⟨q²⟩ = (1/N²) Σ_ij ⟨σ_iσ_j⟩² from the correlation matrix, and the
full distribution P(q) from the XOR autocorrelation R(x) = Σ_s p(s) p(s ⊕ x) of the Boltzmann weights
over state indices (Walsh–Hadamard transform, O(N 2^N)): two states whose indices differ by x have
q = 1 − 2 popcount(x)/N.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

__all__ = ["N_MAX", "branch_free_energies", "threshold_count", "hopfield_exact", "hopfield_exact_disorder_average", "overlap_distribution",
           "random_patterns"]

N_MAX = 20
"""Largest N accepted (2^20 states; intended for N ≤ 14, where a call takes milliseconds)."""


def random_patterns(N: int, P: int, rng: np.random.Generator) -> np.ndarray:
    """P i.i.d. ±1 patterns, int8, i-major shape (N, P), drawn as ``pipeline.models.hopfield.patterns``."""
    bits = rng.integers(0, 2, size=(N, P), dtype=np.int8)
    return (2 * bits - 1).astype(np.int8)


def _check(xi, T) -> tuple[np.ndarray, float]:
    xi = np.asarray(xi)
    if xi.ndim != 2 or xi.shape[0] < 1 or xi.shape[1] < 1:
        raise ValueError(f"xi with shape {xi.shape}: expected patterns of shape (N, P), N, P >= 1")
    if not np.all(np.abs(xi) == 1):
        raise ValueError("xi: expected entries +1 or -1")
    if xi.shape[0] > N_MAX:
        raise ValueError(f"N = {xi.shape[0]}: exact enumeration is limited to N <= {N_MAX}")
    T = float(T)
    if not (np.isfinite(T) and T > 0):
        raise ValueError(f"T = {T!r}: expected finite T > 0")
    return xi.astype(np.float64), T


def _states(N: int) -> np.ndarray:
    """All 2^N configurations, float ±1, shape (2^N, N): σ_i = 1 − 2·(bit i of the state index)."""
    idx = np.arange(2**N, dtype=np.int64)
    return 1.0 - 2.0 * ((idx[:, None] >> np.arange(N)) & 1)


def _walsh_hadamard(v: np.ndarray) -> np.ndarray:
    """Unnormalised fast Walsh–Hadamard transform of a length-2^n vector."""
    v = v.copy()
    n = v.size
    h = 1
    while h < n:
        w = v.reshape(-1, 2, h)
        a, b = w[:, 0, :].copy(), w[:, 1, :].copy()
        w[:, 0, :] = a + b
        w[:, 1, :] = a - b
        h *= 2
    return v


def overlap_distribution(p: np.ndarray, N: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact P(q) of two independent replicas drawn from the state probabilities ``p`` (length 2^N).

    Returns (q, P(q)) with q = 1 − 2d/N for d = 0..N differing spins.
    """
    R = _walsh_hadamard(_walsh_hadamard(p) ** 2) / p.size  # R(x) = Σ_s p(s) p(s ⊕ x)
    d = ((np.arange(p.size, dtype=np.int64)[:, None] >> np.arange(N)) & 1).sum(axis=1)  # popcount
    Pq = np.bincount(d, weights=R, minlength=N + 1)
    return 1.0 - 2.0 * np.arange(N + 1) / N, Pq


def hopfield_exact(xi, T: float) -> dict:
    """Exact thermal averages of the Hopfield model with patterns ``xi`` at temperature ``T``.

    Parameters
    ----------
    xi : array_like, shape (N, P)
        Patterns ±1, i-major (row i holds ξ_i^1..ξ_i^P). N <= ``N_MAX`` (intended N <= 14).
    T : float
        Temperature, T > 0.

    Returns
    -------
    dict
        ``"energy"`` ⟨e⟩, ``"energy2"`` ⟨e²⟩, ``"m"`` ⟨|m_1|⟩, ``"m2"`` ⟨m_1²⟩, ``"m_max"``
        ⟨max_μ |m_μ|⟩, ``"q_abs"`` ⟨|q|⟩, ``"q2"`` ⟨q²⟩ (from the correlation matrix), ``"q2_pq"``
        ⟨q²⟩ (from P(q), equal up to round-off), ``"q4"`` ⟨q⁴⟩, ``"binder_q"`` 1 − ⟨q⁴⟩/(3⟨q²⟩²),
        ``"chi_sg"`` N⟨q²⟩, ``"heat_capacity"`` N(⟨e²⟩ − ⟨e⟩²)/T², ``"free_energy"`` −T ln Z / N,
        ``"ground_energy"`` min H/N; and arrays ``"corr"`` ⟨σ_iσ_j⟩ (N×N) and ``"Pq"`` P(q) on ``"q"``.

    Raises
    ------
    ValueError
        If xi is not an (N, P) array of ±1 with N <= ``N_MAX``, or T is not finite and > 0.

    Notes
    -----
    σ_i = ±1, k_B = 1, J_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ (J_ii = 0), H = −(1/2N) Σ_μ (M_μ² − N), e = H/N,
    m_μ = M_μ/N, q = (1/N) Σ_i σ_i^a σ_i^b for two independent replicas of the same patterns. The
    Boltzmann weights are normalised with log-sum-exp, so any T > 0 is safe. P = 1 is Curie–Weiss in the
    gauge σ_i → ξ_i σ_i.
    """
    xi, T = _check(xi, T)
    N, P = xi.shape
    S = _states(N)
    M = S @ xi  # (2^N, P), exact integers in float64
    H = -((M * M).sum(axis=1) - P * N) / (2.0 * N)
    log_w = -H / T
    log_Z = logsumexp(log_w)
    p = np.exp(log_w - log_Z)
    e = H / N
    m = M / N
    m1 = np.abs(m[:, 0])
    energy = float(p @ e)
    var_e = float(p @ (e - energy) ** 2)
    corr = S.T @ (p[:, None] * S)
    q2 = float((corr * corr).sum() / N**2)
    qs, Pq = overlap_distribution(p, N)
    q2_pq = float(Pq @ qs**2)
    q4 = float(Pq @ qs**4)
    return {
        "energy": energy,
        "energy2": float(p @ (e * e)),
        "m": float(p @ m1),
        "m2": float(p @ (m1 * m1)),
        "m_max": float(p @ np.abs(m).max(axis=1)),
        "q_abs": float(Pq @ np.abs(qs)),
        "q2": q2,
        "q2_pq": q2_pq,
        "q4": q4,
        "binder_q": 1.0 - q4 / (3.0 * q2_pq * q2_pq),
        "chi_sg": N * q2,
        "heat_capacity": N * var_e / T**2,
        "free_energy": float(-T * log_Z / N),
        "ground_energy": float(e.min()),
        "corr": corr,
        "q": qs,
        "Pq": Pq,
    }


_SCALARS = ("energy", "energy2", "m", "m2", "m_max", "q_abs", "q2", "q4", "binder_q", "chi_sg",
            "heat_capacity", "free_energy", "ground_energy")


def hopfield_exact_disorder_average(N: int, P: int, T: float, n_samples: int,
                                    rng: np.random.Generator) -> dict:
    """Disorder average of :func:`hopfield_exact` over ``n_samples`` pattern sets drawn from ``rng``.

    Parameters
    ----------
    N, P : int
        Size (N <= ``N_MAX``) and number of patterns (P >= 1).
    T : float
        Temperature, T > 0.
    n_samples : int
        Number of independent pattern sets (>= 1), each drawn with :func:`random_patterns`.
    rng : numpy.random.Generator

    Returns
    -------
    dict
        For each scalar of :func:`hopfield_exact`: ``key`` the sample mean [⟨·⟩], ``key + "_err"`` its
        standard error (0 for one sample), and ``key + "_samples"`` the per-sample values.

    Raises
    ------
    ValueError
        If N, P or n_samples is out of range (and as :func:`hopfield_exact`).
    """
    if int(N) != N or not 1 <= N <= N_MAX:
        raise ValueError(f"N = {N!r}: expected an integer 1 <= N <= {N_MAX}")
    if int(P) != P or P < 1:
        raise ValueError(f"P = {P!r}: expected an integer P >= 1")
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples = {n_samples!r}: expected an integer >= 1")
    vals = {k: [] for k in _SCALARS}
    for _ in range(int(n_samples)):
        r = hopfield_exact(random_patterns(int(N), int(P), rng), T)
        for k in _SCALARS:
            vals[k].append(r[k])
    out: dict = {}
    for k, v in vals.items():
        a = np.asarray(v)
        out[k] = float(a.mean())
        out[k + "_err"] = float(a.std(ddof=1) / np.sqrt(a.size)) if a.size > 1 else 0.0
        out[k + "_samples"] = a
    return out


def threshold_count(N: int, threshold: float) -> int:
    """K = ⌈θN⌉ of the branch partition: a configuration is in a retrieval basin when max_μ |M_μ| ≥ K
    (shared by ``pipeline.models.hopfield_branches``, :func:`branch_free_energies` and ``reduce.hopfield_tc``)."""
    return int(math.ceil(threshold * N - 1e-9))


def branch_free_energies(xi, temps, threshold: float = 0.5) -> dict:
    """Exact ln Z and ⟨H⟩ of the Hopfield branches of ``pipeline.models.hopfield_branches`` by enumeration.

    Every state is labelled from its overlaps (μ* the lowest index of the largest |M_μ|, K = ⌈θN⌉): basin
    (μ*, sign M_μ*) if |M_μ*| ≥ K, else non-retrieval. Returns ``log_z_nr`` [T], ``log_z_basin`` [P, T]
    (the basins (μ, +); (μ, −) is the same by σ → −σ, −inf for an empty basin), ``log_z_r`` [T] =
    ln(2 Σ_μ Z_μ), ``log_z`` [T] (all states), the total energies ``energy_nr`` [T] and ``energy_basin``
    [P, T] and their variances ``var_nr``, ``var_basin``, ``e0_basin`` [P] (each basin's lowest H) and ``log_g0_nr`` = ln(number of nR states).
    """
    xi = np.asarray(xi)
    temps = np.atleast_1d(np.asarray(temps, np.float64))
    xi, _ = _check(xi, float(temps.min()))
    N, P = xi.shape
    S = _states(N)
    M = S @ xi.astype(np.int64)
    H = -((M.astype(np.float64) ** 2).sum(axis=1) - P * N) / (2.0 * N)
    A = np.abs(M)
    mu = A.argmax(axis=1)  # numpy's argmax takes the first maximum: the lowest index on a tie
    top = A[np.arange(S.shape[0]), mu]
    K = threshold_count(N, threshold)
    sign = np.sign(M[np.arange(S.shape[0]), mu])
    lab = np.where(top >= K, (mu + 1) * sign, 0)
    beta = 1.0 / temps

    def lz(mask):
        if not mask.any():
            return np.full(temps.size, -np.inf), np.full(temps.size, np.nan), np.full(temps.size, np.nan)
        lw = -beta[:, None] * H[None, mask]
        z = logsumexp(lw, axis=1)
        p = np.exp(lw - z[:, None])
        e = (p * H[None, mask]).sum(axis=1)
        return z, e, (p * (H[None, mask] - e[:, None]) ** 2).sum(axis=1)

    z_nr, e_nr, v_nr = lz(lab == 0)
    zb = np.empty((P, temps.size))
    eb = np.empty((P, temps.size))
    vb = np.empty((P, temps.size))
    e0 = np.full(P, np.nan)
    for m in range(P):
        zb[m], eb[m], vb[m] = lz(lab == m + 1)
        if (lab == m + 1).any():
            e0[m] = H[lab == m + 1].min()
    return {"log_z_nr": z_nr, "log_z_basin": zb, "log_z_r": np.log(2.0) + logsumexp(zb, axis=0),
            "log_z": logsumexp(-beta[:, None] * H[None, :], axis=1), "energy_nr": e_nr, "energy_basin": eb,
            "var_nr": v_nr, "var_basin": vb,
            "e0_basin": e0, "log_g0_nr": float(np.log((lab == 0).sum()))}
