"""Curie–Weiss ferromagnet.

σ_i = ±1, k_B = 1, T = 1/β, H = −(J/N) Σ_{i<j} σ_iσ_j = −J(M² − N)/(2N) with M = Σ_i σ_i and J = 1,
so T_c = 1. Observables are per spin: m = M/N, e = H/N.

Both update rules pick a random site and cost O(1) per attempted flip by tracking M:

- ``metropolis``: flipping σ_i changes the energy by ΔE = 2k/N with the integer k = σ_i M − 1 (M before
  the flip); accept without a draw when k ≤ 0, else iff u < exp(−2βk/N) (a table over k). This is the
  algorithm, random stream and draw order of ``shared/perf-reference/cw_metropolis.c``.
- ``heatbath``: σ_i is set to +1 with probability 1/(1 + exp(−2βh_i)), h_i = (M − σ_i)/N the field of
  the other spins; one uniform per attempt.

Stored susceptibilities (named distinctly): ``chi`` = N(⟨m²⟩ − ⟨|m|⟩²)/T (connected, finite below T_c)
and ``chi_m2`` = N⟨m²⟩/T (grows with N below T_c).
"""

from __future__ import annotations

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
    measurement_memory,
)
from pipeline.rng.xoshiro import index_r, load, random_signs, store, uniform_r

# ---------------------------------------------------------------------------------------------------
# state, moves, measurement (numba, leading chain axis)
# state = (sigma int8[C, N], M int64[C]); the model has no disorder: dis = (empty int8,). Kernels take
# the state's and the disorder's arrays as arguments, then the chain c (and site i, or replicas).
# ---------------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def delta(sigma, M, _, c, i):
    """Flipping σ_i of chain c: ΔE = 2k/N with k = σ_i M − 1."""
    return sigma[c, i] * M[c] - 1


@njit(cache=True, inline="always")
def apply(sigma, M, _, c, i):
    """Flip σ_i of chain c and update M."""
    M[c] -= 2 * sigma[c, i]
    sigma[c, i] = -sigma[c, i]


@njit(cache=True)
def metropolis_random_sweep(sigma, M, _, c, row, kfree, last, rng):
    """One random-site Metropolis sweep of chain c with M and the stream in registers: the generic loop's
    chain, bit for bit (same sites, same draws). Its O(1) attempt is dominated by memory traffic, so
    keeping M and the xoshiro state out of memory is worth ~25 % and ~9 % here."""
    N = sigma.shape[1]
    m = M[c]
    s = sigma[c]
    st = load(rng)
    accepted = 0
    for _ in range(N):
        i, st = index_r(st, N)
        si = s[i]
        k = si * m - 1  # <= N - 1: inside the table, no clipping needed
        accept = k < kfree
        if not accept:
            u, st = uniform_r(st)
            accept = u < row[np.uint64(k)]  # k >= kfree >= 0: an unsigned index skips the wraparound test
        if accept:
            m -= 2 * si
            s[i] = -si
            accepted += 1
    M[c] = m
    store(rng, st)
    return accepted


@njit(cache=True)
def energy(sigma, M, _, c):
    """Total energy H = −(M² − N)/(2N) of chain c."""
    N = sigma.shape[1]
    m = np.float64(M[c])
    return -(m * m - N) / (2.0 * N)


@njit(cache=True)
def measure(sigma, M, _, chains, row):
    """Record the integer magnetisation M of each replica in ``chains``."""
    for r in range(chains.size):
        row[r] = M[chains[r]]


@njit(cache=True)
def _metropolis_rows(N, temps):
    acc = np.empty((temps.size, N + 1))
    for t in range(temps.size):
        beta = 1.0 / temps[t]
        for k in range(N + 1):
            acc[t, k] = np.exp(-2.0 * beta * k / N)
    return acc


@njit(cache=True)
def _heatbath_rows(N, temps):
    # p_up[t, h + N] = P(σ_i = +1 | h) for the integer field h = M − σ_i ∈ [−(N−1), N−1]
    p_up = np.empty((temps.size, 2 * N + 1))
    for t in range(temps.size):
        beta = 1.0 / temps[t]
        for h in range(-N, N + 1):
            p_up[t, h + N] = 1.0 / (1.0 + np.exp(-2.0 * beta * h / N))
    return p_up


def metropolis_table(N: int, dis, temps: np.ndarray):
    """acc[t, k] = exp(−2β_t k/N), k = 0..N; k ≤ 0 (ΔE ≤ 0) is accepted without a draw (kfree = 1)."""
    return _metropolis_rows(N, np.asarray(temps, np.float64)), 1


def heatbath_table(N: int, dis, temps: np.ndarray) -> np.ndarray:
    """p_up[t, h + N] = 1/(1 + exp(−2β_t h/N)) for the field h = M − σ_i of the other spins."""
    return _heatbath_rows(N, np.asarray(temps, np.float64))


def draw_disorder(coords: Coords, gen) -> tuple:
    """No quenched disorder (the stream is not drawn from)."""
    return (np.empty(0, np.int8),)


def init_state(coords: Coords, dis, rngs: np.ndarray, options) -> tuple:
    """Random signs from each chain's thermal stream; M their sum."""
    N = int(coords["N"])
    sigma = np.stack([random_signs(rngs[c], N) for c in range(len(rngs))])
    return sigma, sigma.sum(axis=1, dtype=np.int64)


def series(records: np.ndarray, coords: Coords, dis) -> dict[str, np.ndarray]:
    """Time series of |m|, m², m⁴, e and e² (per spin) from the recorded M of the (single) chain."""
    N = int(coords["N"])
    out = records[:, 0]
    m = out / N
    e = -(out.astype(np.float64) ** 2 - N) / (2.0 * N * N)
    m2 = m * m
    return {"m_abs": np.abs(m), "m2": m2, "m4": m2 * m2, "energy": e, "energy2": e * e}


FLIPS = FlipMoves(
    variants=(FlipVariant("track_M", delta, apply, fused={"metropolis/random": metropolis_random_sweep}),),
    energy=energy,
    metropolis_table=metropolis_table,
    heatbath_table=heatbath_table,
    site_order="random",
)
"""Random-site single flips at O(1) per attempt by tracking M (the stream and draw order of
``cw_metropolis.c`` under Metropolis)."""


def cost(coords: Coords, sampler) -> float:
    """Attempted flips of one point."""
    return float(coords["N"]) * (sampler.thermalize + sampler.sweeps)


def memory(coords: Coords, sampler, temperatures: int) -> dict[str, float]:
    """Peak bytes of one unit: the chains' spins (drawn per chain, then stacked), the acceptance tables
    (N + 2 float64 per temperature for Metropolis, 2N + 1 for heat bath: the model's, then the sampler's
    copy) and the measurements."""
    N, C = float(coords["N"]), temperatures * MODEL.replicas
    row = 2 * N + 1 if sampler.algorithm == "heatbath" else N + 2
    return {"spins chains x N int8": 2 * C * N + 8 * C,
            "acceptance tables N float64 per temperature": 2 * 8 * temperatures * row,
            **measurement_memory(MODEL, sampler, temperatures, 1)}


def exact(coords: Coords) -> dict[str, float]:
    """Exact finite-N thermodynamics at the point (sum over M with binomial degeneracy)."""
    from pipeline.theory.exact import curie_weiss_exact

    return curie_weiss_exact(int(coords["N"]), float(coords["T"]))


def theory(T):
    """N → ∞ mean-field solution m = tanh(βm) and what follows from it."""
    from pipeline.theory.mean_field import curie_weiss_mean_field

    return curie_weiss_mean_field(T)


def bench(N: int = 1024, T: float = 1.0, seed: int = 1) -> BenchCase:
    """The set-up of ``cw_metropolis.c``: random signs from xoshiro256** seeded by splitmix64(seed), random
    sites, the C acceptance rule, M recorded after every sweep. The sanity numbers equal the C program's."""
    from pipeline.rng.xoshiro import seed_state

    rng = seed_state(seed)
    sigma = random_signs(rng, N)[None, :].copy()
    acc, kfree = metropolis_table(N, None, np.array([float(T)]))

    def sanity(state, out, accepted, sweeps):
        M = int(state[1][0])
        return {"mean_abs_m": float(np.abs(out[0, :, 0]).mean() / N), "e_final": -(M * M - N) / (2.0 * N * N),
                "acc_rate": accepted / (N * sweeps)}

    return BenchCase(state=(sigma, sigma.sum(axis=1, dtype=np.int64)), dis=(np.empty(0, np.int8),),
                     rngs=rng[None, :].copy(), tables=acc, kfree=kfree, random_site=True, variant="track_M",
                     measure=measure, record_width=1, sanity=sanity, info={"model": "curie_weiss", "N": N, "T": T})


def _chi(v, c):
    return c["N"] * (v["m2"] - v["m_abs"] ** 2) / c["T"]


def _chi_m2(v, c):
    return c["N"] * v["m2"] / c["T"]


def _binder(v, c):
    return 1.0 - v["m4"] / (3.0 * v["m2"] ** 2)


MODEL = Model(
    name="curie_weiss",
    doc=__doc__,
    params=(),
    observables=(
        Observable("m_abs", "mean absolute magnetisation per spin <|m|>"),
        Observable("m2", "second moment of the magnetisation <m^2>"),
        Observable("m4", "fourth moment of the magnetisation <m^4>"),
        Observable("energy", "energy per spin <H>/N"),
        Observable("energy2", "second moment of the energy per spin <(H/N)^2>"),
    ),
    derived=(
        Derived("chi", "connected susceptibility N(<m^2> - <|m|>^2)/T", ("m2", "m_abs"), _chi),
        Derived("chi_m2", "susceptibility N<m^2>/T", ("m2",), _chi_m2),
        Derived("binder", "Binder cumulant U4 = 1 - <m^4>/(3<m^2>^2)", ("m4", "m2"), _binder),
        HEAT_CAPACITY,
    ),
    draw_disorder=draw_disorder,
    init_state=init_state,
    measure=measure,
    record_width=1,
    series=series,
    flips=FLIPS,
    cost=cost,
    work_per_second=7e7,  # curie_weiss_fss: 2.9e10 in ~420 core-s (Zen 5 EPYC)
    convergence=("m_abs", "energy"),
    exact=exact,
    theory=theory,
    reductions=("ferromagnet_fss",),
    figures=("ferromagnet_fss",),
    bench=bench,
    memory=memory,
)
