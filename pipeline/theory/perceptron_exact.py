"""Exact finite-N results for the teacher–student perceptron: disagreement probabilities and Gibbs learning
of an Ising student by enumeration.

Conventions: N inputs, P examples (P = floor(αN + 0.5), round half up: `n_examples`), teacher B and student
w with |w|² = |B|² = N, labels y_μ = sign(B·x_μ), overlap R = w·B/N, k_B = 1, T = 1/β. The training energy
E(w) = Σ_μ θ(−y_μ w·x_μ) counts the misclassified examples (a tie w·x_μ = 0 counts as an error; it cannot
happen for binary inputs and odd N, and has probability 0 for Gaussian inputs). Gibbs learning samples
P(w) ∝ e^{−βE(w)} over the 2^N Ising students w_i = ±1 (counting measure: Z = Σ_w e^{−βE(w)}).

The generalisation error ε(w) is the probability that w and B disagree on a fresh input x. Gaussian inputs
(x_i i.i.d. N(0, 1)): ε = arccos(R)/π. Binary inputs (x uniform on {±1}^N, N odd) with Ising w and B: ε
depends only on the number n_d of sites where w and B differ (R = 1 − 2n_d/N). With S_a = Σ_{agree} B_i x_i
and S_d = Σ_{differ} B_i x_i, independent sums of N − n_d and n_d random signs, B·x = S_a + S_d and
w·x = S_a − S_d, so w and B disagree iff |S_d| > |S_a| (never equal when N is odd).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from scipy.special import logsumexp
from scipy.stats import binom

__all__ = ["MAX_N", "INPUTS", "n_examples", "binary_disagreement", "ising_student_exact"]

MAX_N = 20
INPUTS = ("binary", "gaussian")
_CHUNK = 2**15  # students per block in the enumeration


def n_examples(alpha: float, N: int) -> int:
    """Number of examples P = floor(αN + 0.5) (αN rounded half up)."""
    if alpha < 0:
        raise ValueError(f"n_examples: alpha = {alpha}: expected alpha >= 0")
    return int(np.floor(alpha * N + 0.5))


def _folded_pmf(m: int, vmax: int) -> np.ndarray:
    """P(|S| = v) for v = 0..vmax, S a sum of m independent random signs (only v ≡ m mod 2 occur)."""
    out = np.zeros(vmax + 1)
    v = np.arange(m % 2, vmax + 1, 2)
    out[v] = binom.pmf((m - v) // 2, m, 0.5) * np.where(v > 0, 2.0, 1.0)  # S = ±v
    return out


@lru_cache(maxsize=16)
def _binary_disagreement(N: int) -> np.ndarray:
    eps = np.empty(N + 1)
    eps[0] = 0.0
    for k in range(1, (N + 1) // 2):  # k < N − k; the rest follows from ε(N − k) = 1 − ε(k)
        pd = _folded_pmf(k, k)  # |S_d| <= k, so only |S_a| < k can lose
        tail_d = np.cumsum(pd[::-1])[::-1][1:]  # P(|S_d| > a), a = 0..k−1 (small terms summed first)
        eps[k] = _folded_pmf(N - k, k - 1) @ tail_d
    eps[(N + 1) // 2 :] = 1.0 - eps[(N - 1) // 2 :: -1]
    eps.setflags(write=False)
    return eps


def binary_disagreement(N: int) -> np.ndarray:
    """Exact disagreement probability of two Ising perceptrons on uniform binary inputs.

    Parameters
    ----------
    N : int
        Number of inputs, odd (so that w·x and B·x never vanish).

    Returns
    -------
    numpy.ndarray, shape (N + 1,)
        Entry n_d is P(sign(w·x) ≠ sign(B·x)) for x uniform on {±1}^N and w, B ∈ {±1}^N differing on n_d
        sites (R = 1 − 2n_d/N). ε(0) = 0, ε(N − n_d) = 1 − ε(n_d) (w → −w), and ε(2j − 1) = ε(2j): with
        D the sum over 2j − 1 differing sites, A over N − 2j agreeing ones (both odd) and u = ±1 the
        remaining site, |D + u| > |A| and |D| > |A + u| are both certain if |D| > |A|, both impossible if
        |D| < |A|, and each has probability ½ if |D| = |A|.

    Raises
    ------
    ValueError
        If N is even or N < 1.

    Notes
    -----
    ε(n_d) = Σ_a P(|S_a| = a) P(|S_d| > a) with S_a, S_d sums of N − n_d and n_d signs, from binomial
    probabilities (scipy.stats.binom, accurate in log space: the far tails underflow to 0, harmlessly). Only
    n_d < N/2 is computed, the rest by the symmetry; O(N²) in all (N = 10^4 in a few seconds). For large N
    the two sums are jointly Gaussian and ε → arccos(R)/π: the difference is O(1/N) in the bulk, with a sign
    that alternates with the parity of n_d, and largest at n_d = 1, where it is ≈ 0.161/√N (one flipped
    spin always errs when S_a = 0, which has probability ≈ √(2/(πN)), against arccos(1 − 2/N)/π ≈ 2/(π√N)).
    The bulk sign alternation is the staircase ε(2j − 1) = ε(2j) about the smooth curve.
    """
    N = int(N)
    if N < 1 or N % 2 == 0:
        raise ValueError(f"binary_disagreement: N = {N}: expected an odd N >= 1 (ties w·x = 0 otherwise)")
    return _binary_disagreement(N).copy()


def _check_pm1(name: str, a: np.ndarray) -> None:
    if not np.all(np.abs(a) == 1):
        raise ValueError(f"ising_student_exact: {name} must have entries ±1")


def _histogram(B: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Counts H[E, n_d] of the 2^N Ising students by training energy E and distance n_d from B."""
    P, N = X.shape
    XT = X.T.astype(np.float64)
    H = np.zeros((P + 1) * (N + 1), dtype=np.int64)
    bits = np.arange(N)
    for start in range(0, 2**N, _CHUNK):
        x = np.arange(start, min(start + _CHUNK, 2**N), dtype=np.int64)[:, None]
        W = (1 - 2 * ((x >> bits) & 1)).astype(np.float64)  # student w_i = 1 − 2·bit_i
        E = np.count_nonzero((W @ XT) * y <= 0, axis=1)
        n_d = np.count_nonzero(W != B, axis=1)
        H += np.bincount(E * (N + 1) + n_d, minlength=H.size)
    return H.reshape(P + 1, N + 1)


def ising_student_exact(
    B: np.ndarray, X: np.ndarray, y: np.ndarray, T: float | Sequence[float], inputs: str = "binary"
) -> dict[str, float] | list[dict[str, float]]:
    """Exact Gibbs-learning averages of the Ising student on one training set, by enumeration.

    Parameters
    ----------
    B : array (N,)
        Teacher, entries ±1 (N ≤ 20).
    X : array (P, N)
        Training inputs (entries ±1 for binary inputs).
    y : array (P,)
        Labels ±1 (normally sign(X @ B); noisy labels are allowed).
    T : float or sequence of float
        Temperatures, T > 0 (``inf`` allowed: β = 0).
    inputs : {"binary", "gaussian"}
        Input distribution, which fixes ε(w): binary_disagreement(N)[n_d] or arccos(R)/π.

    Returns
    -------
    dict, or list of dict (one per T) when T is a sequence
        ``energy`` ⟨E⟩, ``train_error`` ⟨E⟩/P, ``R`` ⟨w·B/N⟩, ``gen_error`` ⟨ε(w)⟩, ``gen_error_arccos``
        ⟨arccos(R(w))/π⟩, ``lnZ`` = ln Σ_w e^{−βE(w)} and ``E_min`` (the lowest training energy).

    Raises
    ------
    ValueError
        For inconsistent shapes, N > 20, entries other than ±1, T <= 0, an unknown ``inputs``, or binary
        inputs with an even N.

    Notes
    -----
    The students are enumerated once into a histogram over (E, n_d), from which every temperature is a
    sum over at most (P + 1)(N + 1) cells; O(2^N N P) in all.
    """
    B = np.asarray(B, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    N = B.size
    if B.shape != (N,) or not 1 <= N <= MAX_N:
        raise ValueError(f"ising_student_exact: B has shape {B.shape}; expected (N,) with 1 <= N <= {MAX_N}")
    if X.ndim != 2 or X.shape[1] != N or y.shape != (X.shape[0],):
        raise ValueError(f"ising_student_exact: X {X.shape}, y {y.shape}; expected (P, {N}) and (P,)")
    if inputs not in INPUTS:
        raise ValueError(f"ising_student_exact: inputs = {inputs!r}; expected one of {INPUTS}")
    _check_pm1("B", B)
    _check_pm1("y", y)
    if inputs == "binary":
        _check_pm1("X (binary inputs)", X)
        if N % 2 == 0:
            raise ValueError(f"ising_student_exact: N = {N} with binary inputs: expected an odd N "
                             "(ties w·x = 0 otherwise)")
    temps = np.atleast_1d(np.asarray(T, dtype=np.float64))
    if np.any(~(temps > 0)):
        raise ValueError(f"ising_student_exact: T = {T}: expected T > 0")

    P = X.shape[0]
    R_k = 1.0 - 2.0 * np.arange(N + 1) / N
    arccos_k = np.arccos(R_k) / np.pi
    eps_k = binary_disagreement(N) if inputs == "binary" else arccos_k  # raises for even N
    H = _histogram(B, X, y)
    E, k = np.nonzero(H)
    ln_count = np.log(H[E, k])
    out = []
    for t in temps:
        lw = ln_count - E / t
        lnZ = logsumexp(lw)
        p = np.exp(lw - lnZ)
        energy = float(p @ E)
        out.append({
            "energy": energy, "train_error": energy / P if P else 0.0, "R": float(p @ R_k[k]),
            "gen_error": float(p @ eps_k[k]), "gen_error_arccos": float(p @ arccos_k[k]),
            "lnZ": float(lnZ), "E_min": int(E.min()),
        })
    return out if np.ndim(T) else out[0]
