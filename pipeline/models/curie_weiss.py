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

from pipeline.models._base import HEAT_CAPACITY, Coords, Derived, Model, Observable
from pipeline.samplers._rng import index, random_signs, uniform


@njit(cache=True)
def metropolis_kernel(sigma, M, beta, n_sweeps, every, rng, out_M):
    """``n_sweeps`` random-site Metropolis sweeps of σ (int8, in place) with magnetisation ``M``.

    After every ``every``-th sweep the current M is written to the next slot of ``out_M`` (while
    slots remain; ``every = 0`` records nothing). Returns (M, number of accepted flips).
    """
    N = sigma.size
    acc = np.empty(N + 1)
    for k in range(N + 1):
        acc[k] = np.exp(-2.0 * beta * k / N)
    n_out = out_M.size
    rec = 0
    accepted = 0
    for sw in range(n_sweeps):
        for _ in range(N):
            i = index(rng, N)
            k = sigma[i] * M - 1
            if k <= 0 or uniform(rng) < acc[k]:
                M -= 2 * sigma[i]
                sigma[i] = -sigma[i]
                accepted += 1
        if every > 0 and rec < n_out and (sw + 1) % every == 0:
            out_M[rec] = M
            rec += 1
    return M, accepted


@njit(cache=True)
def heatbath_kernel(sigma, M, beta, n_sweeps, every, rng, out_M):
    """``n_sweeps`` random-site heat-bath sweeps; same contract as :func:`metropolis_kernel`.

    Returns (M, number of attempts that changed the spin).
    """
    N = sigma.size
    # p_up[h + N] = P(σ_i = +1 | h) for the integer field h = M − σ_i ∈ [−(N−1), N−1]
    p_up = np.empty(2 * N + 1)
    for h in range(-N, N + 1):
        p_up[h + N] = 1.0 / (1.0 + np.exp(-2.0 * beta * h / N))
    n_out = out_M.size
    rec = 0
    changed = 0
    for sw in range(n_sweeps):
        for _ in range(N):
            i = index(rng, N)
            s = sigma[i]
            new = 1 if uniform(rng) < p_up[M - s + N] else -1
            if new != s:
                sigma[i] = new
                M += 2 * new
                changed += 1
        if every > 0 and rec < n_out and (sw + 1) % every == 0:
            out_M[rec] = M
            rec += 1
    return M, changed


KERNELS = {"metropolis": metropolis_kernel, "heatbath": heatbath_kernel}


def simulate(coords: Coords, sampler, streams) -> dict[str, np.ndarray]:
    """Thermalise from a random state, then measure every ``measure_every`` sweeps.

    Returns the time series of |m|, m², m⁴, e and e² (per spin), one entry per measurement.
    """
    N, beta = int(coords["N"]), 1.0 / float(coords["T"])
    rng = streams.thermal()
    kernel = KERNELS[sampler.algorithm]
    sigma = random_signs(rng, N)
    M = int(sigma.sum(dtype=np.int64))
    M, _ = kernel(sigma, M, beta, sampler.thermalize, 0, rng, np.empty(0, np.int64))
    n_meas = sampler.sweeps // sampler.measure_every
    out = np.empty(n_meas, np.int64)
    kernel(sigma, M, beta, n_meas * sampler.measure_every, sampler.measure_every, rng, out)
    m = out / N
    e = -(out.astype(np.float64) ** 2 - N) / (2.0 * N * N)
    m2 = m * m
    return {"m_abs": np.abs(m), "m2": m2, "m4": m2 * m2, "energy": e, "energy2": e * e}


def cost(coords: Coords, sampler) -> float:
    """Attempted flips of one point."""
    return float(coords["N"]) * (sampler.thermalize + sampler.sweeps)


def exact(coords: Coords) -> dict[str, float]:
    """Exact finite-N thermodynamics at the point (sum over M with binomial degeneracy)."""
    from pipeline.theory.exact import curie_weiss_exact

    return curie_weiss_exact(int(coords["N"]), float(coords["T"]))


def theory(T):
    """N → ∞ mean-field solution m = tanh(βm) and what follows from it."""
    from pipeline.theory.mean_field import curie_weiss_mean_field

    return curie_weiss_mean_field(T)


def bench(N: int = 1024, T: float = 1.0, sweeps: int = 0, seed: int = 1) -> dict:
    """Time ``metropolis_kernel`` alone, as ``cw_metropolis.c`` does (same stream, same draw order).

    ``sweeps = 0`` picks about 2e8 attempted flips. Set-up and JIT compilation are not timed; the
    sanity numbers equal the C program's for the same arguments.
    """
    import time

    from pipeline.samplers._rng import seed_state

    sweeps = sweeps or max(10, int(2e8 // N))
    warm = seed_state(seed)
    metropolis_kernel(random_signs(warm, N), 0, 1.0 / T, 1, 1, warm, np.empty(1, np.int64))
    rng = seed_state(seed)
    sigma = random_signs(rng, N)
    M0 = int(sigma.sum(dtype=np.int64))
    out = np.empty(sweeps, np.int64)
    t0 = time.perf_counter()
    M, accepted = metropolis_kernel(sigma, M0, 1.0 / T, sweeps, 1, rng, out)
    seconds = time.perf_counter() - t0
    return {"model": "curie_weiss", "kernel": "metropolis_kernel", "impl": "numba", "N": N, "T": T,
            "sweeps": sweeps, "seed": seed, "seconds": seconds, "flips_per_s": N * sweeps / seconds,
            "mean_abs_m": float(np.abs(out).mean() / N), "e_final": -(M * M - N) / (2.0 * N * N),
            "acc_rate": accepted / (N * sweeps)}


def _chi(v, c):
    return c["N"] * (v["m2"] - v["m_abs"] ** 2) / c["T"]


def _chi_m2(v, c):
    return c["N"] * v["m2"] / c["T"]


def _binder(v, c):
    return 1.0 - v["m4"] / (3.0 * v["m2"] ** 2)


def reduce(ds, settings):
    """Finite-size scaling: T_c from Binder crossings, β, γ, ν̄ (``pipeline.reduce.ferromagnet``)."""
    from pipeline.reduce import ferromagnet

    res = ferromagnet.reduce_ferromagnet(ds, settings)
    return {"json": res, "text": ferromagnet.summary_text(res), "dataset": ferromagnet.reduction_dataset(res)}


def plot(ds, result, outdir):
    """Order parameter, U4 with its crossings, collapses and log-log fits (``pipeline.plot.ferromagnet``)."""
    from pipeline.plot.ferromagnet import plot_ferromagnet
    from pipeline.theory.exact import curie_weiss_exact

    return plot_ferromagnet(ds, result, outdir, exact_curves=curie_weiss_exact, theory=theory)


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
    algorithms=("metropolis", "heatbath"),
    simulate=simulate,
    cost=cost,
    convergence=("m_abs", "energy"),
    exact=exact,
    theory=theory,
    reduce=reduce,
    plot=plot,
    bench=bench,
)
