"""Sherrington–Kirkpatrick spin glass: two replicas per temperature on shared Gaussian (or ±1) couplings.

Conventions: σ_i = ±1, k_B = 1, T = 1/β,

    H = −Σ_{i<j} J_ij σ_iσ_j = −½ Σ_i σ_i h_i,   h_i = Σ_j J_ij σ_j   (J symmetric, J_ii = 0),

with J_ij i.i.d. Gaussian of mean 0 and variance 1/N (``couplings = "gaussian"``) or ±1/√N with equal
probability (``"bimodal"``), drawn from the sample's disorder stream (T-free: every temperature and
replica of a sample shares them). T_c = 1. Observables are per spin, e = H/N; the two-replica overlap
is q = (1/N) Σ_i σ_i^a σ_i^b (two chains on the same couplings, independent thermal histories).

Moves: single-spin flips with the local fields kept up to date. Flipping σ_i costs ΔE = 2σ_i h_i
(O(1) per attempt); an accepted flip updates every field, h_j += 2σ_i(new) J_ij (one contiguous row,
O(N)). ΔE is continuous (:attr:`FlipMoves.continuous`): Metropolis accepts ΔE ≤ 0 without a draw, else
iff u < exp(−βΔE). This is the algorithm, stream (xoshiro256**) and draw order of
``shared/perf-reference/sk_metropolis.c`` (sequential sites), which :func:`bench` reproduces bit for bit.
Parallel tempering (``[sampler] algorithm = "parallel_tempering"``) is the sampler of the shipped
workflows; plain Metropolis and heat bath serve too (T > 1, benchmarks).

Measurement (every ``measure_every`` sweeps, of the two replicas of one temperature): their energies,
their overlap, and the energies of the local minima that a zero-temperature quench of each reaches
(greedy sequential descent on a copy; the chains are not disturbed). ``e_min`` is the lowest quenched
energy per spin over the measurements: over a parallel-tempering ladder, the lowest of all its
temperatures estimates the sample's ground-state energy.

Equilibration: the means of ``energy`` and ``q2`` over logarithmic windows of the measurements (last
half, quarter before, ...) are stored with the ``equilibrated`` flag (the last half agrees with the quarter
and the eighth before it: Welch t-tests, p ≥ 1e-4); the reduction checks the windows again on disorder
averages, and the exact identity
[⟨e⟩] = −(β/2)(1 − [⟨q²⟩]) of Gaussian couplings.
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
from pipeline.rng.xoshiro import gauss, random_signs, seed_state, sign

# state = (sigma int8[C, N], h float64[C, N] local fields); dis = (J float64[N, N],).
# Kernels take these three arrays as arguments, then the chain c (and site i, or the replicas).

_REC_E = 0  # total energy H of replica a, b: columns 0, 1
_REC_Q = 2  # sum_i sigma^a_i sigma^b_i
_REC_EQ = 3  # energy of the quenched configuration of replica a, b: columns 3, 4
_N_REC = 5


@njit(cache=True)
def local_fields(J, s):
    """h_i = Σ_j J_ij σ_j, j ascending (float64), as the C reference."""
    N = s.size
    h = np.empty(N)
    for i in range(N):
        acc = 0.0
        for j in range(N):
            acc += J[i, j] * s[j]
        h[i] = acc
    return h


@njit(cache=True, inline="always")
def delta(sigma, h, J, c, i):
    """ΔE = 2σ_i h_i of flipping σ_i of chain c, O(1)."""
    return 2.0 * sigma[c, i] * h[c, i]


@njit(cache=True, inline="always")
def apply(sigma, h, J, c, i):
    """Flip σ_i of chain c and update every local field: h_j += 2σ_i(new) J_ij, O(N)."""
    N = sigma.shape[1]
    sigma[c, i] = -sigma[c, i]
    two_s = 2.0 * sigma[c, i]
    for j in range(N):
        h[c, j] += two_s * J[i, j]


@njit(cache=True)
def energy(sigma, h, J, c):
    """Total energy H = −½ Σ_i σ_i h_i of chain c."""
    e = 0.0
    for i in range(sigma.shape[1]):
        e += sigma[c, i] * h[c, i]
    return -0.5 * e


@njit(cache=True)
def quench_energy(J, s0, h0):
    """Energy of the local minimum that greedy sequential descent reaches from (s0, h0) (copies).

    Sweeps i = 0..N−1 flipping every spin with ΔE = 2σ_i h_i < 0 (the moves :func:`delta` / :func:`apply`)
    until a sweep flips none: a single-flip-stable configuration, energy ≤ the start's.
    """
    N = s0.size
    s = s0.copy().reshape(1, N)
    h = h0.copy().reshape(1, N)
    changed = True
    while changed:
        changed = False
        for i in range(N):
            if delta(s, h, J, 0, i) < 0.0:
                apply(s, h, J, 0, i)
                changed = True
    return energy(s, h, J, 0)


@njit(cache=True)
def measure(sigma, h, J, chains, row):
    """Record of replicas a = chains[0], b = chains[1]: H_a, H_b, Q = Σ_i σ^a_i σ^b_i and the quenched
    energies of both (columns ``_REC_*``, float64)."""
    for r in range(2):
        c = chains[r]
        row[_REC_E + r] = energy(sigma, h, J, c)
        row[_REC_EQ + r] = quench_energy(J, sigma[c], h[c])
    a, b = chains[0], chains[1]
    Q = 0
    for i in range(sigma.shape[1]):
        Q += sigma[a, i] * sigma[b, i]
    row[_REC_Q] = Q


@njit(cache=True)
def measure_nothing(sigma, h, J, chains, row):
    """The C reference accumulates nothing per sweep: a constant record."""
    row[0] = 0.0


@njit(cache=True)
def c_reference_setup(N, seed):
    """Couplings and initial state exactly as ``sk_metropolis.c`` draws them; returns (J, s, h, rng).

    J_ij = J_ji = gauss()/√N for i < j, row by row; then s_i = sign() for each i; then the fields.
    """
    rng = seed_state(seed)
    J = np.zeros((N, N))
    sqrtN = math.sqrt(N)
    for i in range(N):
        for j in range(i + 1, N):
            x = gauss(rng) / sqrtN
            J[i, j] = x
            J[j, i] = x
    s = np.empty(N, dtype=np.int8)
    for i in range(N):
        s[i] = sign(rng)
    return J, s, local_fields(J, s), rng


# ---------------------------------------------------------------------------------------------------
# disorder, states, series
# ---------------------------------------------------------------------------------------------------


def draw_disorder(coords: Coords, gen: np.random.Generator) -> tuple:
    """The sample's couplings (J float64[N, N], symmetric, zero diagonal) from the disorder stream.

    The upper triangle, row by row, from ``gen.standard_normal`` (Gaussian) or ``gen.integers`` (±1), over
    √N. Depends on N, seed and the workflow seed only: every T, replica and coupling kind of a seed draw
    from the same stream.
    """
    N = int(coords["N"])
    kind = coords.get("couplings", "gaussian")
    iu = np.triu_indices(N, 1)
    if kind == "gaussian":
        x = gen.standard_normal(iu[0].size)
    elif kind == "bimodal":
        x = 2.0 * gen.integers(0, 2, size=iu[0].size) - 1.0
    else:
        raise ValueError(f"couplings = {kind!r}: expected 'gaussian' or 'bimodal'")
    J = np.zeros((N, N))
    J[iu] = x / math.sqrt(N)
    J += J.T
    return (J,)


def init_state(coords: Coords, dis, rngs: np.ndarray, options) -> tuple:
    """Random spins of each chain from its thermal stream (one ``sign`` per site), and their fields."""
    J = dis[0]
    N = J.shape[0]
    sigma = np.stack([random_signs(rngs[a], N) for a in range(len(rngs))])
    h = np.stack([local_fields(J, sigma[a]) for a in range(len(rngs))])
    return sigma, h


def sweep_cost(dis) -> float:
    """Work of one sweep of one chain: N tests plus about N/4 accepted flips of O(N)."""
    N = dis[0].shape[0]
    return float(N * (1.0 + 0.25 * N))


FLIPS = FlipMoves(
    variants=(FlipVariant("fields", delta, apply),),
    energy=energy,
    metropolis_table=None,
    site_order="sequential",
    sweep_cost=sweep_cost,
    continuous=True,
)
"""Sequential single flips with local fields: O(1) per attempt, O(N) per accepted flip."""

Q_BINS = 41
"""Centres of the P(q) histogram: −1, −0.95, …, 0, …, 1 (width 0.05)."""
Q_CENTRES = np.linspace(-1.0, 1.0, Q_BINS)
Q_WIDTH = 2.0 / (Q_BINS - 1)


def q_histogram(q: np.ndarray) -> np.ndarray:
    """Rows (n, Q_BINS): each q shared linearly between its two nearest centres (cloud in cell).

    q takes the values 1 − 2k/N, which for most N do not fall on a fixed set of centres; the linear
    share keeps the histogram symmetric under q → −q (no rounding of ties) and its mean equal to ⟨q⟩.
    """
    x = (np.clip(q, -1.0, 1.0) + 1.0) / Q_WIDTH
    lo = np.minimum(np.floor(x).astype(np.int64), Q_BINS - 2)
    f = x - lo
    out = np.zeros((q.size, Q_BINS))
    rows = np.arange(q.size)
    out[rows, lo] = 1.0 - f
    out[rows, lo + 1] += f
    return out


def series(records: np.ndarray, coords: Coords, dis) -> dict[str, np.ndarray]:
    """Observable time series (replica averages) from one temperature's records."""
    N = dis[0].shape[0]
    e_a, e_b = records[:, _REC_E] / N, records[:, _REC_E + 1] / N
    q = records[:, _REC_Q] / N
    q2 = q * q
    return {
        "energy": 0.5 * (e_a + e_b),
        "energy2": 0.5 * (e_a * e_a + e_b * e_b),
        "q_abs": np.abs(q),
        "q2": q2,
        "q4": q2 * q2,
        "P_q": q_histogram(q),
        "e_min": np.minimum(records[:, _REC_EQ], records[:, _REC_EQ + 1]) / N,
    }


def cost(coords: Coords, sampler) -> float:
    """Relative work of a point: 2 replicas × (thermalize + sweeps) × the work of one sweep."""
    N = int(coords["N"])
    return 2.0 * (sampler.thermalize + sampler.sweeps) * N * (1.0 + 0.25 * N)


def memory(coords: Coords, sampler, temperatures: int) -> dict[str, float]:
    """Peak bytes of one unit: the couplings J (float64 N×N) while they are drawn (the upper triangle's
    int64 indices and values, J, and the copy of Jᵀ that ``J += J.T`` makes: 28 N² bytes), the chains'
    spins and local fields (per chain, then stacked), and the measurements."""
    N, C = float(coords["N"]), temperatures * MODEL.replicas
    return {"couplings N^2 float64, with the temporaries of their draw": 28.0 * N * N,
            "spins and local fields of the chains": C * 18.0 * N,
            **measurement_memory(MODEL, sampler, temperatures, _N_REC)}


def exact(coords: Coords, streams) -> dict[str, float]:
    """Exact thermal averages of the point's own couplings (N ≤ 20); see ``theory.sk_exact``."""
    from pipeline.theory.sk_exact import sk_exact

    J = draw_disorder(coords, streams.disorder())[0]
    return sk_exact(J, float(coords["T"]))[0]


def bench(N: int = 512, T: float = 0.8, seed: int = 1) -> BenchCase:
    """The set-up of ``sk_metropolis.c``: couplings from ``gauss()/√N`` (upper triangle, row by row), then
    random signs, then the fields; sequential sweeps with the C rule (the same as production's). The
    sanity numbers equal the C program's for the same arguments."""
    N, T, seed = int(N), float(T), int(seed)
    J, s, h, rng = c_reference_setup(N, seed)

    def sanity(state, out, accepted, sweeps):
        e = 0.0
        for i in range(N):
            e += float(state[0][0, i]) * float(state[1][0, i])
        return {"e_final": -0.5 * e / N, "acc_rate": accepted / (float(N) * sweeps)}

    return BenchCase(state=(s[None, :].copy(), h[None, :].copy()), dis=(J,), rngs=rng[None, :].copy(),
                     tables=np.array([[1.0 / T]]), kfree=0, random_site=False, variant="fields",
                     measure=measure_nothing, record_width=1, sanity=sanity, record_dtype=np.float64,
                     info={"model": "sk", "N": N, "T": T})


def _binder_g(v, c):
    return 0.5 * (3.0 - v["q4"] / v["q2"] ** 2)


def _chi_sg(v, c):
    return c["N"] * v["q2"]


MODEL = Model(
    name="sk",
    doc=__doc__,
    params=(
        Param("couplings", "str", choices=("gaussian", "bimodal"), default=("gaussian",),
              doc="coupling distribution: Gaussian of variance 1/N, or +-1/sqrt(N)"),
    ),
    observables=(
        Observable("energy", "energy per spin <H>/N (replica average)"),
        Observable("energy2", "second moment of the energy per spin <(H/N)^2> (replica average)"),
        Observable("q_abs", "two-replica overlap <|q|>, q = (1/N) sum_i s_i^a s_i^b"),
        Observable("q2", "second moment of the two-replica overlap <q^2>"),
        Observable("q4", "fourth moment of the two-replica overlap <q^4>"),
        Observable("P_q", "two-replica overlap distribution P(q): weight of each q bin (linear share)",
                   dims=("q",), coords={"q": Q_CENTRES}),
        Observable("e_min", "lowest energy per spin of the zero-temperature quenches of the measured "
                   "configurations", statistic="min"),
    ),
    derived=(
        Derived("binder_g", "overlap Binder ratio of the sample, (3 - <q^4>/<q^2>^2)/2", ("q4", "q2"), _binder_g),
        Derived("chi_sg", "spin-glass susceptibility N<q^2>", ("q2",), _chi_sg),
        HEAT_CAPACITY,
    ),
    draw_disorder=draw_disorder,
    init_state=init_state,
    measure=measure,
    record_width=_N_REC,
    record_dtype=np.float64,
    series=series,
    flips=FLIPS,
    replicas=2,
    min_N=4,
    cost=cost,
    work_per_second=3e9,  # sk_spin_glass: 1.7e12 in ~770 core-s; _full: 2.9e13 in ~7600 core-s (Zen 5 EPYC)
    convergence=("energy", "q2"),
    exact=exact,
    reductions=("sk_spin_glass",),
    figures=("sk_spin_glass",),
    bench=bench,
    disorder=True,
    windows=("energy", "q2"),
    memory=memory,
)
