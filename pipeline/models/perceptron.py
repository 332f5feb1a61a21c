"""Teacher–student perceptron: Gibbs learning of P = αN examples labelled by a teacher.

Conventions: k_B = 1, T = 1/β. A teacher B labels P = floor(αN + 1/2) examples x^μ, y_μ = sign(B·x^μ); a
student w is drawn from the Gibbs measure ∝ ρ(w) e^{−βE(w)} with the training energy

    E(w) = #{μ : y_μ (w·x^μ) ≤ 0},

the number of misclassified examples (a tie counts as an error; with ±1 inputs and N odd there are none).
Students (grid parameter ``student``): ``"ising"``, w_i = ±1 (and an Ising teacher, B = sign(g)), or
``"spherical"``, |w|² = N uniform on the sphere (teacher B = √N g/|g|), with g a Gaussian vector of the
disorder stream. Inputs (``inputs``): ``"binary"``, x_i = ±1 (N must be odd), or ``"gaussian"``,
x_i ~ N(0, 1). Each seed is one teacher and one example set (the quenched disorder, T-free); errors over
example sets come from the reductions. The overlap is R = w·B/N.

Moves: the stabilities λ_μ = y_μ (w·x^μ) are kept up to date (O(P) per move). The Ising student flips one
w_i (ΔE counted over the P examples). The spherical student rotates a random pair (w_i, w_j) by an angle
θ uniform in [−θ_max, θ_max] (a symmetric proposal that keeps |w|² = N and the uniform measure on the
sphere), θ_max = min(π/2, s/(β²α√N)), s = ``[sampler] options.step`` (default 10): a rotation flips about
θα√N stabilities, so this keeps βΔE of order one (measured at N = 51, α = 6, T = 1: acceptance 0.6 with
s = 10; s = 2 accepts 0.89 of much smaller moves and R still drifts after 2000 sweeps). Both are random-proposal moves
(:attr:`FlipMoves.proposal`): Metropolis and parallel tempering serve them.

Measurements (one chain per temperature): ``train_error`` = E/P, ``R``, ``gen_error`` the exact probability
that student and teacher disagree on a fresh example and ``gen_error_arccos`` = arccos(R)/π. For Gaussian
inputs the two are equal (arccos(R)/π is exact); for ±1 inputs and an Ising student the exact
disagreement depends on the number of differing sites only (``theory.perceptron_exact.binary_disagreement``);
for ±1 inputs and a spherical student no closed form exists, and ``gen_error`` is the error on a fixed test
set of :data:`N_TEST` fresh examples drawn with the sample (an unbiased estimate of the exact disagreement
averaged over samples).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from pipeline.models._base import (
    BenchCase,
    Coords,
    FlipMoves,
    FlipVariant,
    Model,
    Observable,
    Param,
    measurement_memory,
)
from pipeline.rng.xoshiro import gauss, index, random_signs, seed_state, uniform

STUDENTS = ("ising", "spherical")
INPUTS = ("binary", "gaussian")
_ISING, _SPHERICAL = 0, 1
_BINARY, _GAUSSIAN = 0, 1
N_TEST = 2000
"""Test examples of a spherical student on ±1 inputs (no closed form for its disagreement probability)."""

# state = (w f64[C, N], lam f64[C, P] stabilities, prop f64[C, 3] the pending rotation (j, w_i', w_j'),
#          theta f64[C] the rotation step of each chain)
# dis = (Z f64[N, P] label-signed inputs y_mu x_i^mu (i-major), B f64[N] teacher, kinds int64[2]
#        (student, inputs), eps f64[N+1] exact binary disagreement by differing sites, Zt f64[N, K] test set)

_REC_E, _REC_WB, _REC_GEN, _N_REC = 0, 1, 2, 3


def n_examples(N: int, alpha: float) -> int:
    """P = floor(αN + 1/2) (round half up)."""
    return int(math.floor(alpha * N + 0.5))


@njit(cache=True, inline="always")
def delta(w, lam, prop, theta, Z, B, kinds, eps, Zt, c, i, rng):
    """ΔE of the chain's move at site i: flip w_i (Ising), or a rotation of (w_i, w_j) with j and θ drawn
    from the chain's stream and kept in ``prop`` (spherical)."""
    P = lam.shape[1]
    d = 0
    if kinds[0] == _ISING:
        two_w = 2.0 * w[c, i]
        for mu in range(P):
            old = lam[c, mu]
            new = old - two_w * Z[i, mu]
            d += (new <= 0.0) - (old <= 0.0)
        return float(d)
    N = w.shape[1]
    j = index(rng, N - 1)
    if j >= i:
        j += 1
    t = theta[c] * (2.0 * uniform(rng) - 1.0)
    cs, sn = math.cos(t), math.sin(t)
    wi, wj = w[c, i], w[c, j]
    ni, nj = cs * wi - sn * wj, sn * wi + cs * wj
    di, dj = ni - wi, nj - wj
    for mu in range(P):
        old = lam[c, mu]
        new = old + di * Z[i, mu] + dj * Z[j, mu]
        d += (new <= 0.0) - (old <= 0.0)
    prop[c, 0], prop[c, 1], prop[c, 2] = j, ni, nj
    return float(d)


@njit(cache=True, inline="always")
def apply(w, lam, prop, theta, Z, B, kinds, eps, Zt, c, i):
    """Make the move that :func:`delta` priced, and update the stabilities (O(P))."""
    P = lam.shape[1]
    if kinds[0] == _ISING:
        two_w = 2.0 * w[c, i]
        for mu in range(P):
            lam[c, mu] -= two_w * Z[i, mu]
        w[c, i] = -w[c, i]
        return
    j = int(prop[c, 0])
    di, dj = prop[c, 1] - w[c, i], prop[c, 2] - w[c, j]
    for mu in range(P):
        lam[c, mu] += di * Z[i, mu] + dj * Z[j, mu]
    w[c, i], w[c, j] = prop[c, 1], prop[c, 2]


@njit(cache=True)
def energy(w, lam, prop, theta, Z, B, kinds, eps, Zt, c):
    """Training energy: the number of examples with y (w·x) ≤ 0."""
    e = 0
    for mu in range(lam.shape[1]):
        e += lam[c, mu] <= 0.0
    return float(e)


@njit(cache=True)
def measure(w, lam, prop, theta, Z, B, kinds, eps, Zt, chains, row):
    """E, w·B and the exact generalisation error of chain ``chains[0]`` (columns ``_REC_*``)."""
    c = chains[0]
    N = w.shape[1]
    row[_REC_E] = energy(w, lam, prop, theta, Z, B, kinds, eps, Zt, c)
    wb, ww, bb = 0.0, 0.0, 0.0
    for i in range(N):
        wb += w[c, i] * B[i]
        ww += w[c, i] * w[c, i]
        bb += B[i] * B[i]
    row[_REC_WB] = wb
    if kinds[1] == _GAUSSIAN:
        row[_REC_GEN] = math.acos(min(1.0, max(-1.0, wb / math.sqrt(ww * bb)))) / math.pi
    elif kinds[0] == _ISING:
        row[_REC_GEN] = eps[int(round(0.5 * (N - wb)))]
    else:  # spherical student, ±1 inputs: the fixed test set (label-signed, so an error is w·z <= 0)
        K = Zt.shape[1]
        err = 0
        for k in range(K):
            s = 0.0
            for i in range(N):
                s += w[c, i] * Zt[i, k]
            err += s <= 0.0
        row[_REC_GEN] = err / K


@njit(cache=True)
def stabilities(Z, w):
    """λ_μ = Σ_i w_i Z_iμ."""
    N, P = Z.shape
    lam = np.zeros(P)
    for i in range(N):
        for mu in range(P):
            lam[mu] += w[i] * Z[i, mu]
    return lam


@njit(cache=True)
def _sphere(rng, N):
    """A uniform point on the sphere |w|² = N from the chain's stream (N Gaussians, normalised)."""
    w = np.empty(N)
    for i in range(N):
        w[i] = gauss(rng)
    return w * math.sqrt(N) / math.sqrt(np.sum(w * w))


# ---------------------------------------------------------------------------------------------------
# disorder, states, series
# ---------------------------------------------------------------------------------------------------


def _examples(gen: np.random.Generator, n: int, N: int, inputs: str) -> np.ndarray:
    if inputs == "binary":
        return (2 * gen.integers(0, 2, size=(n, N), dtype=np.int8) - 1).astype(np.float64)
    return gen.standard_normal((n, N))


def draw_disorder(coords: Coords, gen: np.random.Generator) -> tuple:
    """The teacher (from N Gaussians g: sign(g) for an Ising student, √N g/|g| for a spherical one), then
    the P examples, each labelled by the teacher, stored label-signed (Z_iμ = y_μ x_i^μ, i-major); then,
    for a spherical student on ±1 inputs, the test set."""
    N, alpha = int(coords["N"]), float(coords["alpha"])
    student, inputs = coords.get("student", "ising"), coords.get("inputs", "binary")
    if inputs == "binary" and N % 2 == 0:
        raise ValueError(f"N = {N}: ±1 inputs need an odd N (so that w·x never ties)")
    P = n_examples(N, alpha)
    g = gen.standard_normal(N)
    B = np.where(g >= 0, 1.0, -1.0) if student == "ising" else g * math.sqrt(N) / np.linalg.norm(g)

    def signed(x):
        y = np.where(x @ B >= 0.0, 1.0, -1.0)
        return np.ascontiguousarray((x * y[:, None]).T)

    Z = signed(_examples(gen, P, N, inputs))
    kinds = np.array([STUDENTS.index(student), INPUTS.index(inputs)], np.int64)
    eps = np.zeros(0)
    Zt = np.zeros((N, 0))
    if inputs == "binary" and student == "ising":
        from pipeline.theory.perceptron_exact import binary_disagreement

        eps = binary_disagreement(N)
    elif inputs == "binary":
        Zt = signed(_examples(gen, N_TEST, N, inputs))
    return Z, B, kinds, eps, Zt


STEP = Param("step", "float", lo=0.0, hi=1000.0, open_lo=True, default=(10.0,),
             doc="spherical student: rotation step s, theta_max = min(pi/2, s/(beta^2 alpha sqrt(N)))")


def rotation_step(N: int, P: int, T: float, step: float) -> float:
    """θ_max = min(π/2, s/(β²α√N)) with α = P/N."""
    x = (P / N) * math.sqrt(N) / T**2
    return math.pi / 2 if x == 0 else min(math.pi / 2, step / x)


def init_state(coords: Coords, dis, rngs: np.ndarray, options) -> tuple:
    """A random student per chain from its thermal stream (±1 signs, or a uniform point on the sphere)."""
    Z, kinds = dis[0], dis[2]
    N, P = Z.shape
    C = len(rngs)
    if kinds[0] == _ISING:
        w = np.stack([random_signs(rngs[a], N).astype(np.float64) for a in range(C)])
    else:
        w = np.stack([_sphere(rngs[a], N) for a in range(C)])
    lam = np.stack([stabilities(Z, w[a]) for a in range(C)])
    step = float((options or {}).get("step", STEP.default[0]))
    theta = np.full(C, rotation_step(N, P, float(coords["T"]), step))
    return w, lam, np.zeros((C, 3)), theta


def sweep_cost(dis) -> float:
    """Work of one sweep of one chain: N moves of O(P)."""
    N, P = dis[0].shape
    return float(N * max(P, 1) * 2)


FLIPS = FlipMoves(
    variants=(FlipVariant("stabilities", delta, apply),),
    energy=energy,
    metropolis_table=None,
    site_order="sequential",
    sweep_cost=sweep_cost,
    continuous=True,
    proposal=True,
)


def series(records: np.ndarray, coords: Coords, dis) -> dict[str, np.ndarray]:
    """Observable time series from one temperature's records."""
    N, P = dis[0].shape
    R = records[:, _REC_WB] / N
    return {
        "train_error": records[:, _REC_E] / max(P, 1),
        "R": R,
        "gen_error": records[:, _REC_GEN],
        "gen_error_arccos": np.arccos(np.clip(R, -1.0, 1.0)) / np.pi,
    }


def cost(coords: Coords, sampler) -> float:
    """Relative work of a point: (thermalize + sweeps) × N moves × O(P) (+ the test set's measurements)."""
    N = int(coords["N"])
    P = n_examples(N, float(coords["alpha"]))
    return 2.0 * (sampler.thermalize + sampler.sweeps) * N * max(P, 1)


def memory(coords: Coords, sampler, temperatures: int) -> dict[str, float]:
    """Peak bytes of one unit: the examples while they are drawn (the int8 draws of ±1 inputs, the float64
    inputs, their label-signed product and its i-major copy: ~26 bytes per entry), the test set of a
    spherical student on ±1 inputs (the same for N_TEST examples), the chains' students and stabilities
    (float64), and the measurements."""
    N = int(coords["N"])
    P = max(n_examples(N, float(coords["alpha"])), 1)
    C = temperatures * MODEL.replicas
    out = {"examples P x N float64, with the temporaries of their draw": 26.0 * N * P + 16.0 * N,
           "students and stabilities of the chains": C * 16.0 * (N + P)}
    if coords.get("inputs", "binary") == "binary" and coords.get("student", "ising") == "spherical":
        out["test set N_TEST x N float64"] = 26.0 * N * N_TEST
    return out | measurement_memory(MODEL, sampler, temperatures, _N_REC)


def exact(coords: Coords, streams) -> dict[str, float]:
    """Exact thermal averages over all 2^N Ising students of the point's own examples (N ≤ 20)."""
    from pipeline.theory.perceptron_exact import ising_student_exact

    if coords.get("student", "ising") != "ising":
        raise ValueError("exact enumeration is for the Ising student")
    Z, B = draw_disorder(coords, streams.disorder())[:2]
    return ising_student_exact(B, Z.T, np.ones(Z.shape[1]), float(coords["T"]),
                               inputs=coords.get("inputs", "binary"))


def constraints(grid) -> list[tuple[str, object, str]]:
    """±1 inputs need every N odd."""
    if "binary" in grid.get("inputs", ("binary",)):
        even = [n for n in grid.get("N", ()) if n % 2 == 0]
        if even:
            return [("grid.N", even, "inputs = 'binary' needs odd N (so that w.x never ties)")]
    return []


@njit(cache=True)
def measure_nothing(w, lam, prop, theta, Z, B, kinds, eps, Zt, chains, row):
    """The benchmark measures nothing per sweep."""
    row[0] = 0.0


def bench(N: int = 1001, T: float = 1.0, seed: int = 1, alpha: float = 1.0, student: str = "ising") -> BenchCase:
    """A random teacher, αN ±1 examples and a random student, sequential Metropolis: no C reference, the
    rate (attempted moves per second, each O(P)) is reported."""
    if N % 2 == 0:
        N += 1
    coords = {"N": N, "alpha": alpha, "T": T, "student": student, "inputs": "binary"}
    dis = draw_disorder(coords, np.random.default_rng(seed))
    rng = seed_state(seed)[None, :].copy()
    state = init_state(coords, dis, rng, {})
    P = dis[0].shape[1]

    def sanity(state, out, accepted, sweeps):
        e = energy(*state, *dis, 0)
        return {"train_error_final": e / max(P, 1), "acc_rate": accepted / (float(N) * sweeps)}

    return BenchCase(state=state, dis=dis, rngs=rng, tables=np.array([[1.0 / T]]), kfree=0, random_site=False,
                     variant="stabilities", measure=measure_nothing, record_width=1, sanity=sanity,
                     record_dtype=np.float64,
                     info={"model": "perceptron", "N": N, "P": P, "alpha": alpha, "T": T, "student": student})


MODEL = Model(
    name="perceptron",
    doc=__doc__,
    params=(
        Param("alpha", "float", lo=0.0, hi=1000.0, open_lo=True,
              doc="examples per weight: P = floor(alpha*N + 1/2)"),
        Param("student", "str", choices=STUDENTS, default=("ising",),
              doc="student (and teacher): +-1 weights, or on the sphere |w|^2 = N"),
        Param("inputs", "str", choices=INPUTS, default=("binary",),
              doc="example inputs: +-1 (N odd), or standard Gaussian"),
    ),
    observables=(
        Observable("train_error", "training error: fraction of the P examples misclassified <E>/P"),
        Observable("R", "teacher-student overlap <R>, R = w.B/N"),
        Observable("gen_error", "generalisation error: probability of disagreeing with the teacher on a fresh "
                   "example (exact; a fixed test set for a spherical student on +-1 inputs)"),
        Observable("gen_error_arccos", "arccos(R)/pi (the generalisation error for Gaussian inputs)"),
    ),
    derived=(),
    draw_disorder=draw_disorder,
    init_state=init_state,
    measure=measure,
    record_width=_N_REC,
    record_dtype=np.float64,
    series=series,
    flips=FLIPS,
    replicas=1,
    min_N=3,
    cost=cost,
    work_per_second=1.9e9,  # perceptron_learning: 5.7e11 in ~300 core-s (Zen 5 EPYC)
    convergence=("train_error", "R"),
    exact=exact,
    reductions=("learning_curves",),
    figures=("learning_curves",),
    bench=bench,
    disorder=True,
    sampler_options={"step": STEP},
    windows=("train_error", "R"),
    constraints=constraints,
    memory=memory,
)
