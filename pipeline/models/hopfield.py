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

from pipeline.models._base import (
    HEAT_CAPACITY,
    BenchCase,
    Coords,
    Derived,
    FlipMoves,
    FlipVariant,
    Model,
    Observable,
    Param,
    measurement_memory,
)
from pipeline.rng.xoshiro import load, next_u64, seed_state, sign, store, uniform, uniform_r

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


# state = (sigma int8[C, N], M int16/int32[C, P] overlaps (see overlap_dtype), H int32[C, N] local fields,
#          valid on the dense path)
# dis = (xf int8[N*P] flat i-major patterns, xi int8[N, P], Jint int32[N, N] or [0, 0] until built)
# Kernels take these six arrays as arguments, then the chain c (and site i, or replicas).


def overlap_dtype(N: int):
    """Storage of the integer overlaps: int16 while |M_μ| ≤ N fits (N ≤ 32767), else int32.

    int16 overlaps halve the memory traffic of the O(P) loops and let LLVM compute ξ·M with pmaddwd
    (16 products per 256-bit instruction, summed pairwise into int32), on AVX2 as well as AVX-512."""
    return np.int16 if N <= np.iinfo(np.int16).max else np.int32


@njit(cache=True, inline="always")
def _dot(m, c, xf, off, P):
    """Σ_μ ξ_{off+μ} M_μ in int32: each product is formed in int32 from int8 ξ and int16/int32 M and
    truncated, which LLVM turns into pmaddwd (int16 M) or pmulld (int32 M). |Σ| ≤ PN < 2**31."""
    dot = np.int32(0)
    for mu in range(P):
        dot = np.int32(dot + np.int32(np.int32(xf[off + mu]) * np.int32(m[c, mu])))
    return dot


@njit(cache=True, inline="always")
def _update(m, c, xf, off, P, two_s):
    """M_μ += 2σ_i ξ_i^μ after σ_i flipped to σ_i (``two_s`` = 2σ_i), in M's own width."""
    for mu in range(P):
        m[c, mu] = m.dtype.type(m[c, mu] + two_s * xf[off + mu])


@njit(cache=True, inline="always")
def delta_overlap(sigma, m, h, xf, xi, Jint, c, i):
    """k = σ_i Σ_μ ξ_i^μ M_μ − P for flipping σ_i of chain c (ΔE = 2k/N), O(P)."""
    P = m.shape[1]
    return np.int64(sigma[c, i]) * _dot(m, c, xf, i * P, P) - P


@njit(cache=True, inline="always")
def apply_overlap(sigma, m, h, xf, xi, Jint, c, i):
    """Flip σ_i of chain c and update its overlaps, O(P)."""
    P = m.shape[1]
    sigma[c, i] = -sigma[c, i]
    _update(m, c, xf, i * P, P, m.dtype.type(2 * sigma[c, i]))


@njit(cache=True, inline="always")
def delta_dense(sigma, m, h, xf, xi, Jint, c, i):
    """k = σ_i H_i from the integer local field (equal to the overlap path's k), O(1)."""
    return np.int64(sigma[c, i]) * h[c, i]


@njit(cache=True, inline="always")
def apply_dense(sigma, m, h, xf, xi, Jint, c, i):
    """Flip σ_i of chain c; update its local fields (one row of Jint, O(N)) and overlaps (O(P))."""
    N = sigma.shape[1]
    sigma[c, i] = -sigma[c, i]
    if sigma[c, i] > 0:
        for j in range(N):
            h[c, j] = np.int32(h[c, j] + 2 * Jint[i, j])
    else:
        for j in range(N):
            h[c, j] = np.int32(h[c, j] - 2 * Jint[i, j])
    P = m.shape[1]
    _update(m, c, xf, i * P, P, m.dtype.type(2 * sigma[c, i]))


@njit(inline="always")
def _accept(k, kfree, row, last, st):
    """The Metropolis decision for k (ΔE = 2k/N) on a tuple stream: k < kfree without a draw, else one
    uniform against ``row``; returns (accepted, stream)."""
    if k < kfree:
        return True, st
    u, st = uniform_r(st)
    return u < row[np.uint64(min(k, last))], st  # k >= kfree >= 0: an unsigned index, no wraparound test


@njit(inline="always")
def _flip_and_correct(s, mc, xf, i, P, off, o1, o2, o3, later):
    """Flip σ_i (row ``off`` of ξ), update M, and return Σ_μ ξ_j^μ ΔM_μ for the rows o1, o2, o3 of the
    ``later`` (1-3) sites of the block still to be tested: the corrections of their dots."""
    s[i] = -s[i]
    t = mc.dtype.type(2 * s[i])
    c1 = np.int32(0)
    c2 = np.int32(0)
    c3 = np.int32(0)
    for mu in range(P):
        dm = mc.dtype.type(t * xf[off + mu])
        mc[mu] = mc.dtype.type(mc[mu] + dm)
        d = np.int32(dm)
        c1 = np.int32(c1 + np.int32(np.int32(xf[o1 + mu]) * d))
        if later > 1:
            c2 = np.int32(c2 + np.int32(np.int32(xf[o2 + mu]) * d))
        if later > 2:
            c3 = np.int32(c3 + np.int32(np.int32(xf[o3 + mu]) * d))
    return c1, c2, c3


@njit(cache=True)
def metropolis_sequential_overlap(sigma, m, h, xf, xi, Jint, c, row, kfree, last, rng):
    """One sequential Metropolis sweep of chain c on the overlap path, four sites per pass over μ.

    The dots Σ_μ ξ_j^μ M_μ of sites i..i+3 are computed in one loop (one load of M for four rows); when a
    site flips, the dots of the block's later sites are corrected by Σ_μ ξ_j^μ ΔM_μ in the loop that
    updates M. The stream is held in registers (:func:`~pipeline.rng.xoshiro.load`). Decisions, draws and
    their order are those of the generic loop over :func:`delta_overlap` / :func:`apply_overlap`: the same
    chain bit for bit (tested). Measured against two sites per pass: ~5 % faster with AVX2 or AVX-512.
    """
    N = sigma.shape[1]
    P = m.shape[1]
    s = sigma[c]
    mc = m[c]
    st = load(rng)
    accepted = 0
    i = 0
    while i + 3 < N:
        o0 = i * P
        o1 = o0 + P
        o2 = o1 + P
        o3 = o2 + P
        d0 = np.int32(0)
        d1 = np.int32(0)
        d2 = np.int32(0)
        d3 = np.int32(0)
        for mu in range(P):
            v = np.int32(mc[mu])
            d0 = np.int32(d0 + np.int32(np.int32(xf[o0 + mu]) * v))
            d1 = np.int32(d1 + np.int32(np.int32(xf[o1 + mu]) * v))
            d2 = np.int32(d2 + np.int32(np.int32(xf[o2 + mu]) * v))
            d3 = np.int32(d3 + np.int32(np.int32(xf[o3 + mu]) * v))
        flip, st = _accept(np.int64(s[i]) * d0 - P, kfree, row, last, st)
        if flip:
            c1, c2, c3 = _flip_and_correct(s, mc, xf, i, P, o0, o1, o2, o3, 3)
            d1, d2, d3 = np.int32(d1 + c1), np.int32(d2 + c2), np.int32(d3 + c3)
            accepted += 1
        flip, st = _accept(np.int64(s[i + 1]) * d1 - P, kfree, row, last, st)
        if flip:
            c2, c3, _ = _flip_and_correct(s, mc, xf, i + 1, P, o1, o2, o3, o3, 2)
            d2, d3 = np.int32(d2 + c2), np.int32(d3 + c3)
            accepted += 1
        flip, st = _accept(np.int64(s[i + 2]) * d2 - P, kfree, row, last, st)
        if flip:
            c3, _, _ = _flip_and_correct(s, mc, xf, i + 2, P, o2, o3, o3, o3, 1)
            d3 = np.int32(d3 + c3)
            accepted += 1
        flip, st = _accept(np.int64(s[i + 3]) * d3 - P, kfree, row, last, st)
        if flip:
            apply_overlap(sigma, m, h, xf, xi, Jint, c, i + 3)
            accepted += 1
        i += 4
    while i < N:  # N not a multiple of 4: the last sites one by one
        flip, st = _accept(delta_overlap(sigma, m, h, xf, xi, Jint, c, i), kfree, row, last, st)
        if flip:
            apply_overlap(sigma, m, h, xf, xi, Jint, c, i)
            accepted += 1
        i += 1
    store(rng, st)
    return accepted


@njit(cache=True)
def energy(sigma, m, h, xf, xi, Jint, c):
    """Total energy H = −(Σ_μ M_μ² − PN)/(2N) of chain c."""
    N = sigma.shape[1]
    P = m.shape[1]
    msq = 0.0
    for mu in range(P):
        v = np.float64(m[c, mu])
        msq += v * v
    return -(msq - np.float64(P) * N) / (2.0 * N)


@njit(cache=True)
def measure(sigma, M, h, xf, xi, Jint, chains, row):
    """The integer record of replicas a = chains[0], b = chains[1]: |M_1|, max_μ |M_μ|, Σ_μ M_μ² of each,
    and Q = Σ_i σ_i^a σ_i^b (columns ``_REC_*``)."""
    P = M.shape[1]
    for r in range(2):
        c = chains[r]
        mmax = 0
        msq = 0
        for mu in range(P):
            v = abs(np.int64(M[c, mu]))
            if v > mmax:
                mmax = v
            msq += v * v
        row[_REC_M1 + r] = abs(np.int64(M[c, 0]))
        row[_REC_MMAX + r] = mmax
        row[_REC_MSQ + r] = msq
    a, b = chains[0], chains[1]
    Q = 0
    for i in range(sigma.shape[1]):
        Q += sigma[a, i] * sigma[b, i]
    row[_REC_Q] = Q


@njit(cache=True)
def measure_m1(sigma, M, h, xf, xi, Jint, chains, row):
    """M_1 of chain chains[0] (the C reference accumulates m_0 after every sweep)."""
    row[0] = M[chains[0], 0]


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
# disorder, initial states, tables and the choice of path
# ---------------------------------------------------------------------------------------------------

_INIT_CODES = {"pattern": 0, "noisy": 1, "random": 2}


def patterns(coords: Coords, streams) -> np.ndarray:
    """The sample's patterns ξ (int8 ±1, i-major, shape (N, P)) from ``streams.disorder()``.

    Depends on N, α, seed and the workflow seed only (the disorder stream ignores T and ``init``), so
    every temperature, initial condition and replica of a sample shares them.
    """
    return draw_disorder(coords, streams.disorder())[1]


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
#   overlap path ≈ 4 + 0.09·P + 0.1·a·P         (a = acceptance rate; measured with int32 overlaps: the
#                                                 int16 overlaps since are 1.03-1.3x faster with AVX-512)
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


def _noise(options) -> float:
    return float((options or {}).get("noise", NOISE.default[0]))


def draw_disorder(coords: Coords, gen: np.random.Generator) -> tuple:
    """The sample's patterns (see :func:`patterns`) as the disorder tuple (flat xi, xi, Jint not yet built)."""
    N = int(coords["N"])
    P = n_patterns(N, float(coords["alpha"]))
    bits = gen.integers(0, 2, size=(N, P), dtype=np.int8)
    xi = (2 * bits - 1).astype(np.int8)
    return xi.reshape(xi.size), xi, np.zeros((0, 0), np.int32)


def init_state(coords: Coords, dis, rngs: np.ndarray, options) -> tuple:
    """Initial spins of each chain from ``init`` (drawn from the chain's thermal stream), their overlaps,
    and room for the local fields (filled when the dense path is prepared)."""
    init = coords.get("init", "pattern")
    if init not in _INIT_CODES:
        raise ValueError(f"init = {init!r}: expected one of {', '.join(map(repr, _INIT_CODES))}")
    xi = dis[1]
    N, P = xi.shape
    if P * N >= 2**31:
        raise ValueError(f"N = {N}, P = {P}: integer fields need P*N < 2**31")
    noise = _noise(options)
    sigma = np.stack([initial_state(xi, _INIT_CODES[init], noise, rngs[a]) for a in range(len(rngs))])
    M = np.stack([overlaps(xi, sigma[a]) for a in range(len(rngs))]).astype(overlap_dtype(xi.shape[0]))
    return sigma, M, np.zeros(sigma.shape, np.int32)


def metropolis_table(N: int, dis, temps: np.ndarray):
    """acc[t, k] = exp(−2k/(N T_t)) up to each T's kcut (zero beyond), and acc[t, 0] = :data:`TIE_ACCEPT`:
    k < 0 is accepted without a draw (kfree = 0), k = 0 draws."""
    P = dis[1].shape[1]
    rows = [acceptance_table(N, float(T), P)[0] for T in temps]
    acc = np.zeros((len(rows), max(r.size for r in rows)))
    for t, r in enumerate(rows):
        acc[t, :r.size] = r
        acc[t, 0] = TIE_ACCEPT
    return acc, 0


@njit(cache=True)
def _heatbath_rows(N, temps, H):
    p_up = np.empty((temps.size, 2 * H + 1))
    for t in range(temps.size):
        beta = 1.0 / temps[t]
        for h in range(-H, H + 1):
            p_up[t, h + H] = 1.0 / (1.0 + np.exp(-2.0 * beta * h / N))
    return p_up


def heatbath_table(N: int, dis, temps: np.ndarray) -> np.ndarray:
    """p_up[t, h + H] = 1/(1 + exp(−2h/(N T_t))) for the integer field h = Σ_{j≠i} Jint_ij σ_j, |h| ≤ H =
    min(PN, ⌈20 N T_max⌉) (beyond, p_up is 0 or 1 to better than e^−40)."""
    P = dis[1].shape[1]
    temps = np.asarray(temps, np.float64)
    H = int(min(P * N, math.ceil(20.0 * N * temps.max())))
    return _heatbath_rows(N, temps, H)


def select(dis, acc_rate: float | None, sweeps_left: int, current: str | None) -> str:
    """The overlap path for a pilot chunk, then whichever :func:`choose_dense` expects to be faster."""
    if acc_rate is None:
        return "overlap"
    N, P = dis[1].shape
    dense = choose_dense(N, P, acc_rate, sweeps_left, built=dis[2].size > 0, current=current == "dense")
    return "dense" if dense else "overlap"


def prepare(name: str, state: tuple, dis: tuple) -> tuple[tuple, tuple]:
    """Before a dense chunk: build Jint (once per sample) and the chains' local fields from their spins."""
    if name != "dense":
        return state, dis
    Jint = dis[2] if dis[2].size else coupling_matrix(dis[1])
    sigma, M, _ = state
    H = np.stack([local_fields(Jint, sigma[c]) for c in range(len(sigma))])
    return (sigma, M, H), (dis[0], dis[1], Jint)


def sweep_cost(dis) -> float:
    """Work of one sweep of one chain: N attempts of O(P + 1)."""
    N, P = dis[1].shape
    return float(N * (P + 1))


FLIPS = FlipMoves(
    variants=(FlipVariant("overlap", delta_overlap, apply_overlap,
                          fused={"metropolis/sequential": metropolis_sequential_overlap}),
              FlipVariant("dense", delta_dense, apply_dense)),
    energy=energy,
    metropolis_table=metropolis_table,
    heatbath_table=heatbath_table,
    site_order="sequential",
    select=select,
    prepare=prepare,
    sweep_cost=sweep_cost,
)
"""Sequential single flips via the overlaps (O(P) per attempt) or the dense integer couplings (O(1) per
attempt, O(N + P) per accepted flip), chosen per chunk by :func:`select`; the same chain bit for bit."""

Q_BINS = 51
"""Histogram bins of P(q): centres −1, −0.96, …, 0, …, 1 (q = 0 and q = ±1 are centres), width 0.04."""
Q_CENTRES = np.linspace(-1.0, 1.0, Q_BINS)
Q_WIDTH = 2.0 / (Q_BINS - 1)


def q_histogram(q: np.ndarray) -> np.ndarray:
    """One-hot rows (n, Q_BINS): each measured q in the bin of its nearest centre."""
    k = np.clip(np.rint((q + 1.0) / Q_WIDTH).astype(np.int64), 0, Q_BINS - 1)
    out = np.zeros((q.size, Q_BINS))
    out[np.arange(q.size), k] = 1.0
    return out


def series_from_records(out: np.ndarray, N: int, P: int) -> dict[str, np.ndarray]:
    """Observable time series (replica averages) from the integer records of :func:`measure`."""
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
        "P_q": q_histogram(q),
    }


def series(records: np.ndarray, coords: Coords, dis) -> dict[str, np.ndarray]:
    """Time series of the observables of :data:`MODEL` from one temperature's records."""
    N, P = dis[1].shape
    return series_from_records(records, N, P)


def cost(coords: Coords, sampler) -> float:
    """Relative work of a point: 2 replicas × N·(thermalize + sweeps) attempts × O(P + 1) each."""
    N = int(coords["N"])
    P = n_patterns(N, float(coords["alpha"]))
    return 2.0 * N * (sampler.thermalize + sampler.sweeps) * (P + 1)


def memory(coords: Coords, sampler, temperatures: int) -> dict[str, float]:
    """Peak bytes of one unit: the patterns (drawn as bits, made ±1, copied: 3 bytes per entry), the chains'
    spins, overlaps and local fields, the acceptance tables (up to kcut = min(PN, ⌈20NT⌉) per temperature:
    rows, table, the sampler's copy), the dense path's couplings where it may be chosen (N ≤ DENSE_MAX_N,
    P ≥ 8: a float32 product, its rounding and the int32 matrix) and the measurements."""
    N = int(coords["N"])
    P = n_patterns(N, float(coords["alpha"]))
    C = temperatures * MODEL.replicas
    kcut = min(float(P) * N, 20.0 * N * float(coords["T"]) + 1)
    row = 2 * kcut + 1 if sampler.algorithm == "heatbath" else kcut + 2
    out = {"patterns P x N int8": 3.0 * N * P,
           "spins, overlaps and local fields of the chains": C * (2.0 * N + 8.0 * P + 8.0 * N),
           "acceptance tables kcut float64 per temperature": 3 * 8.0 * temperatures * row}
    if N <= DENSE_MAX_N and P >= 8:
        out["couplings N^2 int32 (dense path)"] = 12.0 * N * N + 4.0 * N * P
    return out | measurement_memory(MODEL, sampler, temperatures, _N_REC)


def exact(coords: Coords, streams) -> dict[str, float]:
    """Exact thermal averages of the point's own patterns (N ≤ 14); see ``theory.hopfield_exact``."""
    from pipeline.theory.hopfield_exact import hopfield_exact

    return hopfield_exact(patterns(coords, streams), float(coords["T"]))


def theory(alpha: float, T: float) -> dict:
    """N → ∞ replica-symmetric (AGS) solutions at (α, T): retrieval (or None) and m = 0 branches."""
    from pipeline.theory.hopfield_rs import retrieval_branch, spin_glass_branch

    return {"retrieval": retrieval_branch(alpha, T), "spin_glass": spin_glass_branch(alpha, T)}


def bench(N: int = 1000, T: float = 0.3, seed: int = 1, alpha: float = 0.1) -> BenchCase:
    """The set-up of ``hopfield_metropolis.c``: patterns from ``sign()`` of xoshiro256** seeded by
    splitmix64(seed), i-major; initial state pattern 0 with each spin flipped iff ``uniform() < 0.2``;
    sequential sweeps on the overlap path with the C rule (k ≤ 0 accepted without a draw); m_0/N
    accumulated after every sweep. The sanity numbers equal the C program's for the same arguments."""
    N, T, alpha, seed = int(N), float(T), float(alpha), int(seed)
    P = n_patterns(N, alpha)
    acc, _ = acceptance_table(N, T, P)
    xi, s, rng = c_reference_setup(N, P, seed)
    state = (s[None, :].copy(), overlaps(xi, s)[None, :].astype(overlap_dtype(N)), np.zeros((1, N), np.int32))
    dis = (xi.reshape(xi.size), xi, np.zeros((0, 0), np.int32))

    def sanity(state, out, accepted, sweeps):
        m = state[1][0]
        msq = 0.0
        for v in m:
            msq += float(v) * float(v)
        return {"overlap0_final": float(m[0]) / N,
                "overlap0_mean": float(np.cumsum(out[0, :, 0] / N)[-1]) / sweeps,  # sequential sum, as the C loop
                "e_final": -(msq - float(P) * N) / (2.0 * N * N), "acc_rate": accepted / (float(N) * sweeps)}

    return BenchCase(state=state, dis=dis, rngs=rng[None, :].copy(), tables=acc[None, :].copy(), kfree=1,
                     random_site=False, variant="overlap", measure=measure_m1, record_width=1, sanity=sanity,
                     info={"model": "hopfield", "N": N, "T": T, "alpha": alpha, "P": P})


def _binder_q(v, c):
    return 1.0 - v["q4"] / (3.0 * v["q2"] ** 2)


def _chi_sg(v, c):
    return c["N"] * v["q2"]


NOISE = Param("noise", "float", lo=0.0, hi=0.5, default=(0.2,),
              doc="fraction of flipped spins of the 'noisy' initial state (each flipped with this probability)")

MAX_PN = 2**31 - 1
"""Largest P·N: the overlap dot products Σ_μ ξ_i^μ M_μ (|Σ| ≤ PN) are formed in int32."""


def constraints(grid) -> list[tuple[str, object, str]]:
    """P·N ≤ :data:`MAX_PN` at every (N, α) of the grid (the int32 field sums)."""
    out = []
    for N in grid.get("N", ()):
        for a in grid.get("alpha", ()):
            P = n_patterns(int(N), float(a))
            if P * int(N) > MAX_PN:
                out.append(("alpha", a, f"gives P = {P} patterns at N = {N}, P*N = {P * int(N)}; expected "
                                        f"P*N <= {MAX_PN} (the kernels sum the fields in 32-bit integers)"))
    return out


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
        Observable("P_q", "two-replica overlap distribution P(q): probability of each q bin", dims=("q",),
                   coords={"q": Q_CENTRES}),
    ),
    derived=(
        Derived("binder_q", "Binder cumulant of q, 1 - <q^4>/(3<q^2>^2)", ("q4", "q2"), _binder_q),
        Derived("chi_sg", "spin-glass susceptibility N<q^2>", ("q2",), _chi_sg),
        HEAT_CAPACITY,
    ),
    draw_disorder=draw_disorder,
    init_state=init_state,
    measure=measure,
    record_width=_N_REC,
    series=series,
    flips=FLIPS,
    replicas=2,
    cost=cost,
    work_per_second=1.1e10,  # hopfield_phase_diagram: 7.9e12 in 750 core-s; _full: 7.2e13 in 5840 core-s (Zen 5 EPYC)
    constraints=constraints,
    convergence=("m", "energy"),
    exact=exact,
    theory=theory,
    reductions=("hopfield_phase_diagram",),
    figures=("hopfield_phase_diagram", "overlap_distribution"),
    bench=bench,
    disorder=True,
    sampler_options={"noise": NOISE},
    memory=memory,
)
