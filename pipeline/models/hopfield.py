"""Hopfield network with Hebbian couplings: Metropolis sampling of two replicas.

Conventions: σ_i = ±1, k_B = 1, T = 1/β, P = round(αN) = floor(αN + 1/2) (at least 1) patterns ξ_i^μ = ±1
(i.i.d., quenched), J_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ for i ≠ j and J_ii = 0,

    H = −Σ_{i<j} J_ij σ_iσ_j = −(1/2N) Σ_μ (M_μ² − N),

with the integer overlaps M_μ = Σ_i ξ_i^μ σ_i and the Mattis overlaps m_μ = M_μ/N. Observables are per
spin: e = H/N. The two-replica overlap is q = (1/N) Σ_i σ_i^a σ_i^b (same patterns, independent thermal
histories).

Patterns come from the point's disorder stream (``streams.disorder()``), so every T and every initial
condition of a sample sees the same patterns; they are stored int8 and i-major, shape (N, P): row i holds
the P bits of site i. See :func:`patterns`.

Update rule (``metropolis``): sequential sites i = 0..N−1 per sweep. Flipping σ_i changes the energy by
ΔE = 2k/N with the integer

    k = σ_i Σ_μ ξ_i^μ M_μ − P = σ_i H_i,   H_i = Σ_{j≠i} Jint_ij σ_j,   Jint_ij = Σ_μ ξ_i^μ ξ_j^μ.

A move with k < 0 is accepted without a draw; otherwise one uniform u is drawn and the move is accepted
iff u < exp(−2βk/N) (a table up to kcut = min(PN, ⌈20NT⌉); beyond it the probability is < e^−40 < 2^−53
and is taken as 0). This is the algorithm, stream (xoshiro256**) and draw order of
``shared/perf-reference/hopfield_metropolis.c`` with one exception: the C code also flips k = 0 (ΔE = 0)
without a draw, which makes the sequential sweep non-ergodic whenever k = 0 can occur (N odd or P even;
see :data:`TIE_ACCEPT`); :func:`simulate` accepts k = 0 with probability 1/2 instead. :func:`bench` keeps
the C rule and reproduces the C program bit for bit. Two exact implementations of the same chain:

- overlap path (:func:`overlap_kernel`): k from the overlaps, O(P) per attempt, O(P) per accepted flip;
  no N×N matrix.
- dense path (:func:`dense_kernel`): integer couplings Jint (int32, N×N, zero diagonal) and integer local
  fields H_i, so the test is O(1) and an accepted flip costs O(N + P) (fields and overlaps). Both compute
  the same integer k, so they make the same decisions with the same draws: the same chain bit for bit.

:func:`simulate` runs in chunks and picks the path for each chunk from the acceptance rate of the
previous one (see :func:`choose_dense` for the measured crossover). Two replicas with independent
streams (``streams.thermal(0)``, ``streams.thermal(1)``) are advanced together; the stored observables
average the two.

Initial states (grid parameter ``init``): ``pattern`` σ = ξ¹; ``noisy`` ξ¹ with each spin flipped
independently with probability ``noise`` (sampler option, default 0.2), drawn from the replica's thermal
stream; ``random`` random signs from the replica's thermal stream.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from pipeline.models._base import HEAT_CAPACITY, Coords, Derived, Model, Observable, Param
from pipeline.samplers._rng import next_u64, seed_state, sign, uniform

# columns of the per-measurement record written by the kernels (int64, exact)
_REC_M1 = 0  # |M_1| of replica a, b: columns 0, 1
_REC_MMAX = 2  # max_mu |M_mu| of replica a, b: columns 2, 3
_REC_Q = 4  # sum_i sigma^a_i sigma^b_i
_REC_MSQ = 5  # sum_mu M_mu^2 of replica a, b: columns 5, 6
_N_REC = 7

TIE_ACCEPT = 0.5
"""Acceptance probability of a ΔE = 0 move in :func:`simulate` (the C reference, and :func:`bench`, use 1).

With the deterministic flip of zero-field spins, the sequential sweep is reducible whenever k = 0 can
occur (N odd, or P even): checked on the exact 2^N-state sweep matrix at N = 7, 8 (P = 1, 2), whose
eigenvalue 1 is then degenerate; chains from random starts converge to the wrong averages (e.g. N = 12,
P = 2, T = 2: ⟨e⟩ = −0.0567 against the exact −0.0533). Accepting k = 0 with probability 1/2 (one
uniform) keeps detailed balance and makes the sweep ergodic again.
"""

DENSE_MAX_N = 6000
"""Largest N for which the dense path (an N×N int32 coupling matrix, 144 MB at N = 6000) is used."""


def n_patterns(N: int, alpha: float) -> int:
    """P = floor(αN + 1/2), at least 1 (as ``hopfield_metropolis.c``)."""
    return max(1, int(math.floor(alpha * N + 0.5)))


# ---------------------------------------------------------------------------------------------------
# kernels
# ---------------------------------------------------------------------------------------------------


@njit(cache=True)
def acceptance_table(N, T, P):
    """(acc, kcut): acc[k] = exp(−2βk/N) for k = 0..kcut, kcut = min(PN, ⌈20NT⌉), as in the C code."""
    beta = 1.0 / T
    kcut = np.int64(math.ceil(20.0 * N * T))
    if kcut > np.int64(P) * N:
        kcut = np.int64(P) * N
    acc = np.empty(kcut + 1)
    for k in range(kcut + 1):
        acc[k] = np.exp(-2.0 * beta * k / N)
    return acc, kcut


@njit(cache=True)
def overlaps(xi, sigma):
    """Integer overlaps M_μ = Σ_i ξ_i^μ σ_i (int32, length P) of one configuration."""
    N, P = xi.shape
    M = np.zeros(P, dtype=np.int32)
    for i in range(N):
        s = np.int32(sigma[i])
        for mu in range(P):
            M[mu] += xi[i, mu] * s
    return M


@njit(cache=True)
def local_fields(Jint, sigma):
    """Integer local fields H_i = Σ_j Jint_ij σ_j (int32)."""
    N = sigma.size
    H = np.zeros(N, dtype=np.int32)
    for i in range(N):
        h = 0
        for j in range(N):
            h += Jint[i, j] * sigma[j]
        H[i] = h
    return H


@njit(inline="always")
def _sweep_overlap(s, m, xf, P, acc, kcut, kfree, rng):
    """One sequential sweep of one replica via the overlaps m (int32[P]); returns accepted flips.

    ``xf`` is the flat i-major pattern array (ξ_i^μ at i·P + μ). Since ξ = ±1, ξ·M is written as a
    select and kept in int32 (as the C code's ``int32_t dot``): LLVM then vectorises both O(P) loops in
    32-bit lanes with no multiply (an int8 × int32 product is widened to int64 lanes by numba and runs
    at about half the speed). |Σ_μ ξ_i^μ M_μ| ≤ PN < 2**31 for N ≤ 46340 at α ≤ 1.

    A move is accepted without a draw iff k < ``kfree`` (1: the C rule, k ≤ 0; 0: k = 0 draws and is
    accepted with probability ``acc[0]``), else iff a uniform is below ``acc[k]`` (0 beyond ``kcut``).
    """
    N = s.size
    accepted = 0
    for i in range(N):
        off = i * P
        dot = np.int32(0)
        for mu in range(P):
            v = m[mu]
            dot = np.int32(dot + (v if xf[off + mu] > 0 else -v))
        k = s[i] * dot - P
        if k < kfree or uniform(rng) < (acc[k] if k <= kcut else 0.0):
            s[i] = -s[i]
            two_s = np.int32(2 * s[i])
            for mu in range(P):
                m[mu] = np.int32(m[mu] + (two_s if xf[off + mu] > 0 else -two_s))
            accepted += 1
    return accepted


@njit(inline="always")
def _sweep_dense(s, m, h, xf, P, Jint, acc, kcut, kfree, rng):
    """One sequential sweep of one replica via the local fields h (int32[N]); returns accepted flips.

    k = σ_i h_i equals the overlap path's k, so decisions and draws are identical. The overlaps m are
    kept up to date too (O(P) per accepted flip) for the measurements.
    """
    N = s.size
    accepted = 0
    for i in range(N):
        k = s[i] * h[i]
        if k < kfree or uniform(rng) < (acc[k] if k <= kcut else 0.0):
            s[i] = -s[i]
            row = Jint[i]
            if s[i] > 0:
                for j in range(N):
                    h[j] = np.int32(h[j] + 2 * row[j])
            else:
                for j in range(N):
                    h[j] = np.int32(h[j] - 2 * row[j])
            two_s = np.int32(2 * s[i])
            off = i * P
            for mu in range(P):
                m[mu] = np.int32(m[mu] + (two_s if xf[off + mu] > 0 else -two_s))
            accepted += 1
    return accepted


@njit(cache=True)
def _record(sigma, M, out, r):
    """Write the integer measurement record of both replicas into ``out[r]``."""
    P = M.shape[1]
    for a in range(2):
        mmax = 0
        msq = 0
        for mu in range(P):
            v = abs(np.int64(M[a, mu]))
            if v > mmax:
                mmax = v
            msq += v * v
        out[r, _REC_M1 + a] = abs(np.int64(M[a, 0]))
        out[r, _REC_MMAX + a] = mmax
        out[r, _REC_MSQ + a] = msq
    Q = 0
    for i in range(sigma.shape[1]):
        Q += sigma[0, i] * sigma[1, i]
    out[r, _REC_Q] = Q


@njit(cache=True)
def overlap_kernel(sigma, M, xi, acc, kcut, kfree, n_sweeps, every, rngs, out, rec):
    """``n_sweeps`` Metropolis sweeps of both replicas via the overlaps (O(P) per attempt).

    Parameters
    ----------
    sigma : int8[2, N]
        Spins of replicas a and b, updated in place.
    M : int32[2, P]
        Their overlaps M_μ = Σ_i ξ_i^μ σ_i, kept in step.
    xi : int8[N, P]
        Patterns, i-major.
    acc, kcut, kfree
        Acceptance table from :func:`acceptance_table` and the no-draw threshold: a move is accepted
        without a draw iff k < kfree (see :data:`TIE_ACCEPT`).
    n_sweeps, every : int
        After every ``every``-th sweep (``every = 0``: never) a record is written to ``out[rec]`` and
        ``rec`` advances (while rows remain).
    rngs : uint64[2, 4]
        xoshiro256** states of the two replicas, advanced in place.
    out : int64[n, 7]
        Records: |M_1| (a, b), max_μ |M_μ| (a, b), Σ_i σ_i^a σ_i^b, Σ_μ M_μ² (a, b).

    Returns
    -------
    (accepted_a, accepted_b, rec)
    """
    P = xi.shape[1]
    xf = xi.reshape(xi.size)
    acc_a = 0
    acc_b = 0
    n_out = out.shape[0]
    for sw in range(n_sweeps):
        acc_a += _sweep_overlap(sigma[0], M[0], xf, P, acc, kcut, kfree, rngs[0])
        acc_b += _sweep_overlap(sigma[1], M[1], xf, P, acc, kcut, kfree, rngs[1])
        if every > 0 and rec < n_out and (sw + 1) % every == 0:
            _record(sigma, M, out, rec)
            rec += 1
    return acc_a, acc_b, rec


@njit(cache=True)
def dense_kernel(sigma, M, H, xi, Jint, acc, kcut, kfree, n_sweeps, every, rngs, out, rec):
    """Same chain as :func:`overlap_kernel` via integer couplings and local fields.

    Extra arguments: ``H`` int32[2, N], the local fields Σ_j Jint_ij σ_j of both replicas (kept in step),
    and ``Jint`` int32[N, N] = Σ_μ ξ_i^μ ξ_j^μ with zero diagonal. O(1) per attempt, O(N + P) per
    accepted flip.
    """
    P = xi.shape[1]
    xf = xi.reshape(xi.size)
    acc_a = 0
    acc_b = 0
    n_out = out.shape[0]
    for sw in range(n_sweeps):
        acc_a += _sweep_dense(sigma[0], M[0], H[0], xf, P, Jint, acc, kcut, kfree, rngs[0])
        acc_b += _sweep_dense(sigma[1], M[1], H[1], xf, P, Jint, acc, kcut, kfree, rngs[1])
        if every > 0 and rec < n_out and (sw + 1) % every == 0:
            _record(sigma, M, out, rec)
            rec += 1
    return acc_a, acc_b, rec


@njit(cache=True)
def bench_kernel(s, m, xi, acc, kcut, n_sweeps, rng, out_m0):
    """``n_sweeps`` sweeps of one replica (overlap path); M_1 after each sweep into ``out_m0``.

    The inner loop of ``hopfield_metropolis.c``; returns the number of accepted flips.
    """
    P = xi.shape[1]
    xf = xi.reshape(xi.size)
    accepted = 0
    for sw in range(n_sweeps):
        accepted += _sweep_overlap(s, m, xf, P, acc, kcut, 1, rng)
        out_m0[sw] = m[0]
    return accepted


@njit(cache=True)
def initial_state(xi, init, noise, rng):
    """Initial spins (int8[N]): ``init`` 0 = pattern ξ¹, 1 = noisy ξ¹ (flip prob ``noise``), 2 = random.

    Draws (from ``rng``, in site order): none for 0; one uniform per site for 1; one sign per site for 2.
    """
    N = xi.shape[0]
    s = np.empty(N, dtype=np.int8)
    for i in range(N):
        if init == 2:
            s[i] = sign(rng)
        else:
            s[i] = xi[i, 0]
            if init == 1 and uniform(rng) < noise:
                s[i] = -s[i]
    return s


@njit(cache=True)
def c_reference_setup(N, P, seed):
    """Patterns and initial state exactly as ``hopfield_metropolis.c`` draws them; returns (xi, s, rng).

    xi[i, μ] = sign() for i, then μ (top bit of the next output); then s_i = ξ_i^0 flipped iff
    uniform() < 0.2, for each i in order.
    """
    rng = seed_state(seed)
    xi = np.empty((N, P), dtype=np.int8)
    for i in range(N):
        for mu in range(P):
            xi[i, mu] = 1 if (next_u64(rng) >> np.uint64(63)) else -1
    s = initial_state(xi, 1, 0.2, rng)
    return xi, s, rng


# ---------------------------------------------------------------------------------------------------
# driver side
# ---------------------------------------------------------------------------------------------------

_INIT_CODES = {"pattern": 0, "noisy": 1, "random": 2}


def patterns(coords: Coords, streams) -> np.ndarray:
    """The sample's patterns ξ (int8 ±1, i-major, shape (N, P)) from ``streams.disorder()``.

    Depends on N, α, seed and the workflow seed only (the disorder stream ignores T and ``init``), so
    every temperature, initial condition and replica of a sample shares them.
    """
    N = int(coords["N"])
    P = n_patterns(N, float(coords["alpha"]))
    bits = streams.disorder().integers(0, 2, size=(N, P), dtype=np.int8)
    return (2 * bits - 1).astype(np.int8)


def coupling_matrix(xi: np.ndarray) -> np.ndarray:
    """Jint_ij = Σ_μ ξ_i^μ ξ_j^μ (int32, zero diagonal); J_ij = Jint_ij / N.

    Computed with a float32 matrix product, exact while P < 2**24.
    """
    x = xi.astype(np.float32)
    J = np.rint(x @ x.T).astype(np.int32)
    np.fill_diagonal(J, 0)
    return J


# Measured cost per attempted flip (ns), two replicas, on the shared 2-core dev box (Xeon with AVX-512,
# numba, timings noisy by ±30 %; N = 500..4000, α = 0.02..0.3, T = 0.3..1.5):
#   overlap path ≈ 4 + 0.09·P + 0.1·a·P         (a = acceptance rate; O(P) dot in int32 lanes)
#   dense path   ≈ 3 + 0.25·a·(N + P)           (an accepted flip streams one N-row of Jint)
# e.g. N = 1000, P = 100: a = 0.004 → 13 vs 4 ns; a = 0.3 → 16 vs 80 ns. Building Jint costs about
# N²(10 + 0.01·P) ns, recomputing the fields about N² ns.
_C_OV0, _C_OV1, _C_OVA = 4.0, 0.09, 0.1
_C_D0, _C_DA = 3.0, 0.25


def choose_dense(N: int, P: int, acc_rate: float, sweeps_left: int, built: bool = False,
                 current: bool = False) -> bool:
    """Whether the dense path is expected to be faster for the rest of a run.

    Parameters
    ----------
    N, P : int
        Size and number of patterns.
    acc_rate : float
        Acceptance rate measured on the previous chunk (per attempted flip).
    sweeps_left : int
        Sweeps still to run: building Jint (N²·P) and the local fields (N²) must pay for themselves.
    built : bool
        Whether the coupling matrix already exists.
    current : bool
        Whether the previous chunk ran on the dense path (its fields are valid).

    Notes
    -----
    Cost model per attempted flip (see the module constants): overlap ≈ 4 + 0.09P + 0.1aP ns, dense ≈
    3 + 0.25a(N + P) ns with a the acceptance rate. The crossover is at a ≈ 0.36 P/N (for P ≪ N): at
    α = 0.1, dense wins below a ≈ 0.035, i.e. deep in the retrieval phase and at low T (T ≲ 0.3), by up to
    ~3x; at a ≳ 0.1 the overlap path wins, by up to 10x at high T. A 20 % margin keeps the choice from
    flapping near the crossover. Dense is never used above ``DENSE_MAX_N`` (memory) or for P < 8.
    """
    if N > DENSE_MAX_N or P < 8:
        return False
    ov = _C_OV0 + _C_OV1 * P + acc_rate * _C_OVA * P
    de = _C_D0 + acc_rate * _C_DA * (N + P)
    if current:
        return de < 1.2 * ov
    setup = (0.0 if built else N * N * (10.0 + 0.01 * P)) + N * N * 1.0
    gain = (ov - de) * 2.0 * N * sweeps_left
    return ov > 1.2 * de and gain > setup


class _Chain:
    """Two replicas and everything both paths need; advances them in chunks, picking a path per chunk."""

    def __init__(self, xi: np.ndarray, T: float, sigma: np.ndarray, rngs: np.ndarray, path: str | None,
                 tie: float | None = None):
        N, P = xi.shape
        if P * N >= 2**31:
            raise ValueError(f"N = {N}, P = {P}: integer fields need P*N < 2**31")
        self.xi, self.N, self.P = xi, N, P
        self.sigma, self.rngs = sigma, rngs
        self.M = np.stack([overlaps(xi, sigma[0]), overlaps(xi, sigma[1])])
        self.acc, self.kcut = acceptance_table(N, float(T), P)
        if tie is None:  # the C rule: k <= 0 accepted without a draw
            self.kfree = 1
        else:  # k < 0 without a draw; k = 0 draws, accepted with probability `tie`
            self.kfree = 0
            self.acc[0] = tie
        self.path = path  # None: automatic
        self.Jint: np.ndarray | None = None
        self.H: np.ndarray | None = None  # valid only right after a dense chunk
        self.dense = path == "dense"
        self.acc_rate: float | None = None
        self.accepted = 0
        self.attempted = 0
        self.dense_sweeps = 0
        # ~2e6 attempted flips per chunk (~10-50 ms): negligible Python overhead, timely path switches
        self.chunk = max(1, int(2e6 // (2 * N * (P + 1))))

    def _pick(self, sweeps_left: int) -> bool:
        if self.path is not None:
            return self.path == "dense"
        if self.acc_rate is None:
            return False  # pilot chunk on the overlap path measures the acceptance rate
        return choose_dense(self.N, self.P, self.acc_rate, sweeps_left, built=self.Jint is not None,
                            current=self.H is not None)

    def advance(self, n_sweeps: int, every: int, out: np.ndarray, rec: int) -> int:
        """Run ``n_sweeps`` sweeps, recording every ``every``-th (0: none) into ``out`` from row ``rec``."""
        done = 0
        step = self.chunk if every == 0 else every * max(1, self.chunk // every)
        while done < n_sweeps:
            n = min(step, n_sweeps - done)
            if self.acc_rate is None and self.path is None:
                n = min(n, max(1, step // 8) if every == 0 else every)
            dense = self._pick(n_sweeps - done)
            if dense:
                if self.Jint is None:
                    self.Jint = coupling_matrix(self.xi)
                if self.H is None:
                    self.H = np.stack([local_fields(self.Jint, self.sigma[0]),
                                       local_fields(self.Jint, self.sigma[1])])
                a, b, rec = dense_kernel(self.sigma, self.M, self.H, self.xi, self.Jint, self.acc, self.kcut,
                                         self.kfree, n, every, self.rngs, out, rec)
            else:
                self.H = None
                a, b, rec = overlap_kernel(self.sigma, self.M, self.xi, self.acc, self.kcut, self.kfree, n,
                                           every, self.rngs, out, rec)
            self.dense_sweeps += n if dense else 0
            self.acc_rate = (a + b) / (2.0 * self.N * n)
            self.accepted += a + b
            self.attempted += 2 * self.N * n
            done += n
        return rec


def _noise(sampler) -> float:
    opts = getattr(sampler, "options", None) or {}
    return float(opts.get("noise", NOISE.default[0]))


def run_chain(coords: Coords, sampler, streams, path: str | None = None,
              tie: float | None = TIE_ACCEPT) -> tuple[np.ndarray, _Chain]:
    """Thermalise and measure two replicas; returns the int64 records (n_meas, 7) and the final chain.

    ``path`` forces ``"overlap"`` or ``"dense"`` (default: chosen per chunk); the chain is the same.
    ``tie`` is the acceptance probability of k = 0 moves (``None``: the C rule, accepted without a draw).
    """
    T = float(coords["T"])
    xi = patterns(coords, streams)
    init = coords.get("init", "pattern")
    if init not in _INIT_CODES:
        raise ValueError(f"init = {init!r}: expected one of {', '.join(map(repr, _INIT_CODES))}")
    rngs = np.stack([streams.thermal(0), streams.thermal(1)])
    noise = _noise(sampler)
    sigma = np.stack([initial_state(xi, _INIT_CODES[init], noise, rngs[a]) for a in range(2)])
    chain = _Chain(xi, T, sigma, rngs, path, tie=tie)
    chain.advance(int(sampler.thermalize), 0, np.empty((0, _N_REC), np.int64), 0)
    every = int(sampler.measure_every)
    n_meas = int(sampler.sweeps) // every
    out = np.empty((n_meas, _N_REC), np.int64)
    rec = chain.advance(n_meas * every, every, out, 0)
    assert rec == n_meas
    return out, chain


def series_from_records(out: np.ndarray, N: int, P: int) -> dict[str, np.ndarray]:
    """Observable time series (replica averages) from the integer records of :func:`run_chain`."""
    r = out.astype(np.float64)
    m_a, m_b = r[:, _REC_M1] / N, r[:, _REC_M1 + 1] / N
    e_a = -(r[:, _REC_MSQ] - P * N) / (2.0 * N * N)
    e_b = -(r[:, _REC_MSQ + 1] - P * N) / (2.0 * N * N)
    q = r[:, _REC_Q] / N
    q2 = q * q
    return {
        "m": 0.5 * (m_a + m_b),
        "m2": 0.5 * (m_a * m_a + m_b * m_b),
        "m_max": 0.5 * (r[:, _REC_MMAX] + r[:, _REC_MMAX + 1]) / N,
        "q_abs": np.abs(q),
        "q2": q2,
        "q4": q2 * q2,
        "energy": 0.5 * (e_a + e_b),
        "energy2": 0.5 * (e_a * e_a + e_b * e_b),
    }


def simulate(coords: Coords, sampler, streams, path: str | None = None) -> dict[str, np.ndarray]:
    """Thermalise two replicas from ``init``, then measure every ``measure_every`` sweeps.

    Returns the time series of the observables in :data:`MODEL` (replica averages, per spin), one entry
    per measurement. ``path`` forces the overlap or dense implementation (tests); both give the same
    chain bit for bit.
    """
    out, chain = run_chain(coords, sampler, streams, path)
    return series_from_records(out, chain.N, chain.P)


def cost(coords: Coords, sampler) -> float:
    """Relative work of a point: 2 replicas × N·(thermalize + sweeps) attempts × O(P + 1) each."""
    N = int(coords["N"])
    P = n_patterns(N, float(coords["alpha"]))
    return 2.0 * N * (sampler.thermalize + sampler.sweeps) * (P + 1)


def exact(coords: Coords, streams) -> dict[str, float]:
    """Exact thermal averages of the point's own patterns (N ≤ 14); see ``theory.hopfield_exact``."""
    from pipeline.theory.hopfield_exact import hopfield_exact

    return hopfield_exact(patterns(coords, streams), float(coords["T"]))


def theory(alpha: float, T: float) -> dict:
    """N → ∞ replica-symmetric (AGS) solutions at (α, T): retrieval (or None) and m = 0 branches."""
    from pipeline.theory.hopfield_rs import retrieval_branch, spin_glass_branch

    return {"retrieval": retrieval_branch(alpha, T), "spin_glass": spin_glass_branch(alpha, T)}


def bench(N: int = 1000, T: float = 0.3, sweeps: int = 0, seed: int = 1, alpha: float = 0.1) -> dict:
    """Time the overlap kernel alone, as ``hopfield_metropolis.c`` does (same stream and draw order).

    Patterns from ``sign()`` of the xoshiro256** stream seeded by splitmix64(seed), i-major; initial
    state pattern 0 with each spin flipped iff ``uniform() < 0.2``; sequential sweeps; m_0/N accumulated
    after every sweep. ``sweeps = 0`` picks about 2e8 attempted flips. Set-up and JIT compilation are
    not timed. The sanity numbers (``overlap0_mean``, ``overlap0_final``, ``e_final``, ``acc_rate``)
    equal the C program's for the same arguments.
    """
    import time

    N, T, alpha, seed = int(N), float(T), float(alpha), int(seed)
    sweeps = int(sweeps) or max(10, int(2e8 // N))
    P = n_patterns(N, alpha)
    acc, kcut = acceptance_table(N, T, P)
    wxi, ws, wrng = c_reference_setup(min(N, 64), P, seed)  # compile and warm up
    bench_kernel(ws, overlaps(wxi, ws), wxi, acc[:1], 0, 1, wrng, np.empty(1, np.int32))
    xi, s, rng = c_reference_setup(N, P, seed)
    m = overlaps(xi, s)
    out = np.empty(sweeps, np.int32)
    t0 = time.perf_counter()
    accepted = bench_kernel(s, m, xi, acc, kcut, sweeps, rng, out)
    seconds = time.perf_counter() - t0
    msq = 0.0
    for v in m:
        msq += float(v) * float(v)
    return {"model": "hopfield", "kernel": "bench_kernel", "impl": "numba", "N": N, "T": T, "alpha": alpha,
            "P": P, "sweeps": sweeps, "seed": seed, "seconds": seconds, "flips_per_s": N * sweeps / seconds,
            "overlap0_final": float(m[0]) / N,
            "overlap0_mean": float(np.cumsum(out / N)[-1]) / sweeps,  # sequential sum, as the C loop
            "e_final": -(msq - float(P) * N) / (2.0 * N * N),
            "acc_rate": accepted / (float(N) * sweeps)}


def _binder_q(v, c):
    return 1.0 - v["q4"] / (3.0 * v["q2"] ** 2)


def _chi_sg(v, c):
    return c["N"] * v["q2"]


def reduce(ds, settings):
    """Phase diagram: α_c(T → 0) from retrieval loss, T_g from the spin-glass onset (``pipeline.reduce.hopfield``)."""
    from pipeline.reduce import hopfield as red

    res = red.reduce_hopfield(ds, settings)
    return {"json": res, "text": red.summary_text(res), "dataset": red.reduction_dataset(res)}


def plot(ds, result, outdir):
    """The (α, T) phase diagram with the AGS lines, and the retrieval and spin-glass data behind it."""
    from pipeline.plot.hopfield import plot_hopfield

    return plot_hopfield(ds, result, outdir)


NOISE = Param("noise", "float", lo=0.0, hi=0.5, default=(0.2,),
              doc="fraction of flipped spins of the 'noisy' initial state (each flipped with this probability)")

MODEL = Model(
    name="hopfield",
    doc=__doc__,
    params=(
        Param("alpha", "float", lo=0.0, hi=1.0, open_lo=True,
              doc="load alpha = P/N (P = floor(alpha*N + 1/2) >= 1 Hebbian patterns)"),
        Param("init", "str", choices=("pattern", "noisy", "random"), default=("pattern", "random"),
              doc="initial state: pattern 1, pattern 1 with a fraction `noise` of spins flipped, or random"),
    ),
    observables=(
        Observable("m", "Mattis overlap with pattern 1 <|m_1|> (replica average)"),
        Observable("m2", "second moment of the Mattis overlap with pattern 1 <m_1^2>"),
        Observable("m_max", "largest Mattis overlap <max_mu |m_mu|> (replica average)"),
        Observable("q_abs", "two-replica overlap <|q|>, q = (1/N) sum_i s_i^a s_i^b"),
        Observable("q2", "second moment of the two-replica overlap <q^2>"),
        Observable("q4", "fourth moment of the two-replica overlap <q^4>"),
        Observable("energy", "energy per spin <H>/N (replica average)"),
        Observable("energy2", "second moment of the energy per spin <(H/N)^2> (replica average)"),
    ),
    derived=(
        Derived("binder_q", "Binder cumulant of q, 1 - <q^4>/(3<q^2>^2)", ("q4", "q2"), _binder_q),
        Derived("chi_sg", "spin-glass susceptibility N<q^2>", ("q2",), _chi_sg),
        HEAT_CAPACITY,
    ),
    algorithms=("metropolis",),
    simulate=simulate,
    cost=cost,
    convergence=("m", "energy"),
    exact=exact,
    theory=theory,
    reduce=reduce,
    plot=plot,
    bench=bench,
    disorder=True,
    sampler_options={"noise": NOISE},
)
