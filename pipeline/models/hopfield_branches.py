"""Hopfield network restricted to its branches (basins, non-retrieval): thermodynamic integration of T_c.

One chain per branch and temperature. The Hamiltonian, patterns and conventions are those of :mod:`pipeline.models.hopfield` (H = −(1/2N)
Σ_μ (M_μ² − N), M_μ = Σ_i ξ_i^μ σ_i, P = floor(αN + 1/2) patterns drawn as ``hopfield`` draws them, from
this model's disorder stream: shared by every temperature and branch of a sample).

Branches. Every configuration gets one label from its overlaps: with μ* the pattern of the largest |M_μ|
(the lowest index on a tie) and K = ⌈θN⌉ (θ the sampler option ``threshold``, default 0.5),

- basin (μ*, sign M_μ*) if |M_μ*| ≥ K: the 2P retrieval basins;
- non-retrieval (nR) otherwise: max_μ |m_μ| < θ.

The labels partition the 2^N states, so Z = Σ_basins Z_b + Z_nR exactly, and σ → −σ maps basin (μ, +)
onto (μ, −) with the same energy, so Z_R = 2 Σ_μ Z_(μ,+). Branch index 0 is nR, branch μ + 1 the basin
(μ, +).

Moves: Metropolis restricted to a branch: a flip is proposed and accepted with min(1, e^−βΔE) as in
``hopfield`` (k < 0 without a draw, k = 0 with probability ½), unless the new state leaves the chain's
branch, which is rejected (``delta`` returns a level past the table, one draw, as any move the table
refuses). Detailed balance holds inside the branch, so each chain samples e^−βH restricted to it; the
parallel-tempering sampler exchanges neighbouring temperatures of the same branch (replica ladder r =
branch r), so swaps never leave a branch either. Cost per attempt O(P) for ΔE and O(P) for the branch
test.

Chains: 1 + B per temperature (:attr:`Model.replicas` from the sample): chain 0 runs nR, from a random start
redrawn until it lies in nR (a uniform state has max |m| ~ √(2 ln 2P / N), far below θ at N ≥ 50), chain r
the basin of pattern μ = sel[r − 1] from ξ^μ (refused if two patterns coincide up to sign, which leaves a
basin empty). B = P (sel = every pattern) unless the options ``lowest_basins`` = L and ``random_basins`` = A
ask for a share (:func:`screen`): the first A patterns, a uniform sample, and the L of lowest screening
energy among the others (the end of a zero-temperature descent inside the basin from its pattern). The
lowest basins carry Z_R (at N = 800, α = 0.045 the 8 lowest-screened hold ≥ 0.9999 of it near T_c, the best
basin's screening rank ≤ 4), the sample stands for the rest; ``pipeline.reduce.hopfield_tc`` weights them.

Observables per branch (coordinate ``branch`` of length :data:`MAX_BRANCHES`, NaN past 1 + P):
the energy per spin and its square, its minimum over the measurements (the anchor of a basin's
integration at the lowest T) and max_μ |m_μ|. ``pipeline.reduce.hopfield_tc`` integrates them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from pipeline.models._base import Coords, FlipMoves, FlipVariant, Model, Observable, Param, measurement_memory
from pipeline.models.hopfield import (
    _update,
    initial_state,
    metropolis_table,
    n_patterns,
    overlap_dtype,
    overlaps,
)
from pipeline.models.hopfield import draw_disorder as hopfield_disorder
from pipeline.models.hopfield import energy as hopfield_energy
from pipeline.theory.hopfield_exact import threshold_count

MAX_PATTERNS = 160
"""Largest P accepted (the stored ``branch`` coordinate has 1 + MAX_PATTERNS entries): α = 0.045 up to N =
3555, α = 0.02 up to N = 8000."""
MAX_BRANCHES = 1 + MAX_PATTERNS

LEAVES = np.int64(1) << np.int64(40)
"""The level ``delta`` returns for a move out of the chain's branch: past every table, so refused."""

# state = (sigma int8[C, N], M int16/int32[C, P], branch int64[C], K int64[C] = ceil(threshold N))
# dis = (xf int8[N*P] flat i-major patterns, xi int8[N, P], sel int64[B] the patterns whose basins run,
#        e_screen float64[P] each basin's screening energy per spin): drawn as (xf, xi), completed by ``screen``
# ``metropolis_table`` (from xi = dis[1]) is the ``hopfield`` one.


@njit(cache=True, inline="always")
def level(sigma, m, br, K, xf, c, i):
    """(k, stays) for flipping σ_i of chain c, in one pass over the patterns, O(P).

    k = σ_i Σ_μ ξ_i^μ M_μ − P (ΔE = 2k/N). ``stays``: the flip keeps the chain in its branch. After the
    flip M'_ν = M_ν − 2σ_i ξ_i^ν. nR: every |M'_ν| < K. Basin μ+: M'_μ ≥ K, |M'_ν| < M'_μ for ν < μ and
    ≤ M'_μ for ν > μ (μ stays the lowest index of the largest |M'|)."""
    P = m.shape[1]
    off = i * P
    t = np.int32(-2 * sigma[c, i])
    b = br[c]
    split = P if b == 0 else b - 1  # nR: every pattern counts as "below"
    dot = np.int32(0)
    lo = np.int32(0)  # max |M'_nu| over nu < split
    hi = np.int32(0)  # max |M'_nu| over nu > split
    for nu in range(P):  # one branch-free pass (selects), so that it vectorises
        x = np.int32(xf[off + nu])
        w = np.int32(m[c, nu])
        dot = np.int32(dot + np.int32(x * w))
        u = np.int32(w + np.int32(t * x))
        u = np.int32(max(u, np.int32(-u)))
        lo = np.int32(max(lo, np.int32(u if nu < split else 0)))
        hi = np.int32(max(hi, np.int32(u if nu > split else 0)))
    k = np.int64(sigma[c, i]) * dot - P
    if b == 0:
        return k, lo < K[c]
    v = np.int32(m[c, split]) + np.int32(t * np.int32(xf[off + split]))
    return k, v >= K[c] and lo < v and hi <= v


@njit(cache=True, inline="always")
def stays(sigma, m, br, K, xf, c, i):
    """Whether flipping σ_i of chain c keeps it in its branch (see :func:`level`)."""
    return level(sigma, m, br, K, xf, c, i)[1]


@njit(cache=True, inline="always")
def delta(sigma, m, br, K, xf, xi, sel, es, c, i):
    """k = σ_i Σ_μ ξ_i^μ M_μ − P (ΔE = 2k/N) for flipping σ_i of chain c, or :data:`LEAVES` if the flip
    leaves the chain's branch."""
    k, ok = level(sigma, m, br, K, xf, c, i)
    return k if ok else LEAVES


@njit(cache=True, inline="always")
def apply(sigma, m, br, K, xf, xi, sel, es, c, i):
    """Flip σ_i of chain c and update its overlaps, O(P)."""
    P = m.shape[1]
    sigma[c, i] = -sigma[c, i]
    _update(m, c, xf, i * P, P, m.dtype.type(2 * sigma[c, i]))


@njit(cache=True)
def measure(sigma, M, br, K, xf, xi, sel, es, chains, row):
    """Σ_μ M_μ² (columns 0..R−1) and max_μ |M_μ| (columns R..2R−1) of each chain of one temperature, in
    chain order (chain r of the slot row runs nR for r = 0, the basin of pattern sel[r − 1] otherwise: ladders
    never mix branches)."""
    P = M.shape[1]
    R = chains.size
    for r in range(R):
        c = chains[r]
        msq = 0
        top = 0
        for mu in range(P):
            v = abs(np.int64(M[c, mu]))
            msq += v * v
            top = max(top, v)
        row[r] = msq
        row[R + r] = top


@njit(cache=True, inline="always")
def energy(sigma, m, br, K, xf, xi, sel, es, c):
    """Total energy H = −(Σ_μ M_μ² − PN)/(2N) of chain c (``hopfield``'s, with this model's arrays)."""
    return hopfield_energy(sigma, m, br, xf, xi, xi, c)


@njit(cache=True)
def quench(xf, xi, mu, K):
    """Energy per spin of the zero-temperature descent inside basin (μ, +) from the pattern ξ^μ: sequential
    sweeps flipping every spin whose flip lowers H and stays in the basin, until a sweep flips none (each
    flip lowers H by ≥ 2/N, so it ends). (screening energy of the basin, the final spins), O(N P) per sweep."""
    N, P = xi.shape
    sigma = xi[:, mu].copy().reshape(1, N)
    m = overlaps(xi, sigma[0]).reshape(1, P)
    br = np.full(1, mu + 1, np.int64)
    Kc = np.full(1, K, np.int64)
    moved = True
    while moved:
        moved = False
        for i in range(N):
            k, ok = level(sigma, m, br, Kc, xf, 0, i)
            if k < 0 and ok:
                sigma[0, i] = -sigma[0, i]
                _update(m, 0, xf, i * P, P, np.int32(2 * sigma[0, i]))
                moved = True
    msq = 0.0
    for nu in range(P):
        msq += np.float64(m[0, nu]) ** 2
    return -(msq - np.float64(P) * N) / (2.0 * N * N), sigma[0]


@njit(cache=True)
def label(M, K):
    """Branch of a configuration from its overlaps: 0 (nR), μ + 1 (basin μ+) or −(μ + 1) (basin μ−)."""
    mu = 0
    top = abs(np.int64(M[0]))
    for nu in range(1, M.size):
        if abs(np.int64(M[nu])) > top:
            top = abs(np.int64(M[nu]))
            mu = nu
    if top < K:
        return 0
    return mu + 1 if M[mu] > 0 else -(mu + 1)


def draw_disorder(coords: Coords, gen: np.random.Generator) -> tuple:
    """The sample's patterns, drawn as :func:`pipeline.models.hopfield.draw_disorder` draws them: (xf, xi),
    completed by :func:`screen`."""
    return hopfield_disorder(coords, gen)[:2]


def _count(options, key: str) -> int:
    return int((options or {}).get(key, OPTIONS[key].default[0]))


def _K(N: int, options) -> int:
    """K = ⌈θN⌉ for the option ``threshold`` θ."""
    return threshold_count(N, float((options or {}).get("threshold", THRESHOLD.default[0])))


def screen(dis, options) -> tuple:
    """The disorder a unit runs on: (xf, xi, sel, e_screen). ``e_screen[μ]``: basin (μ, +)'s screening energy
    (:func:`quench`, every pattern); ``sel``: the patterns whose basins get a chain, in increasing order.

    With ``lowest_basins`` = L > 0 and ``random_basins`` = A, L + A < P: the first A patterns (a uniform sample
    of the basins, the patterns being i.i.d.) and the L of lowest screening energy among the others; every
    pattern otherwise. ``pipeline.reduce.hopfield_tc`` weights the sample back to all 2P basins."""
    xf, xi = dis[0], dis[1]
    N, P = xi.shape
    K = _K(N, options)
    e = np.array([quench(xf, xi, mu, K)[0] for mu in range(P)])
    if integrated(P, options) == P:
        sel = np.arange(P, dtype=np.int64)
    else:
        low, rnd = _count(options, "lowest_basins"), _count(options, "random_basins")
        rest = rnd + np.argsort(e[rnd:], kind="stable")[:low]
        sel = np.sort(np.concatenate([np.arange(rnd), rest])).astype(np.int64)
    return xf, xi, sel, e


def integrated(P: int, options) -> int:
    """How many basins get a chain at P patterns (see :func:`screen`)."""
    low, rnd = _count(options, "lowest_basins"), _count(options, "random_basins")
    return P if low == 0 or low + rnd >= P else low + rnd


def branches(dis) -> int:
    """Chains per temperature: nR and the selected basins (μ, +)."""
    return 1 + dis[2].size


def init_state(coords: Coords, dis, rngs: np.ndarray, options) -> tuple:
    """Chain r: a random start inside nR (r = 0), the pattern ξ^μ of μ = sel[r − 1] in basin (μ, +) otherwise."""
    xi, sel = dis[1], dis[2]
    N, P = xi.shape
    if P > MAX_PATTERNS:
        raise ValueError(f"N = {N}, alpha = {coords['alpha']}: P = {P} patterns; expected at most {MAX_PATTERNS}")
    K = _K(N, options)
    R = len(rngs)
    sigma = np.empty((R, N), np.int8)
    br = np.concatenate([[0], sel + 1]).astype(np.int64)
    for r in range(R):
        if r == 0:
            for _ in range(1000):
                sigma[0] = initial_state(xi, 2, 0.0, rngs[0])
                if label(overlaps(xi, sigma[0]), K) == 0:
                    break
            else:
                raise ValueError(f"N = {N}, threshold = {K / N}: no random start below the threshold in 1000 draws")
        else:
            sigma[r] = xi[:, br[r] - 1]
            if label(overlaps(xi, sigma[r]), K) != br[r]:
                raise ValueError(f"N = {N}, seed = {coords.get('seed')}: pattern {br[r] - 1} coincides with an "
                                 "earlier one up to sign, so its basin is empty; choose another seed or a larger N")
    M = np.stack([overlaps(xi, sigma[r]) for r in range(R)]).astype(overlap_dtype(N))
    return sigma, M, br, np.full(R, K, np.int64)


def sweep_cost(dis) -> float:
    """Work of one sweep of one chain: N attempts of O(2P + 1)."""
    N, P = dis[1].shape
    return float(N * (2 * P + 1))


FLIPS = FlipMoves(
    variants=(FlipVariant("restricted", delta, apply),),
    energy=energy,
    metropolis_table=metropolis_table,
    site_order="sequential",
    sweep_cost=sweep_cost,
)

BRANCH = np.arange(MAX_BRANCHES)


def series(records: np.ndarray, coords: Coords, dis) -> dict[str, np.ndarray]:
    """Per-branch series (n_meas, MAX_BRANCHES): branch 0 and μ + 1 for the basins that ran (μ in sel), NaN
    elsewhere; ``e_screen`` at every basin 1 ... P."""
    N, P = dis[1].shape
    cols = np.concatenate([[0], dis[2] + 1])
    R = cols.size
    r = records.astype(np.float64)
    n = r.shape[0]
    e = np.full((n, MAX_BRANCHES), np.nan)
    top = np.full((n, MAX_BRANCHES), np.nan)
    e[:, cols] = -(r[:, :R] - P * N) / (2.0 * N * N)
    top[:, cols] = r[:, R:2 * R] / N
    scr = np.full(MAX_BRANCHES, np.nan)
    scr[1:1 + P] = dis[3]
    return {"energy_nr": e[:, 0], "energy": e, "energy2": e * e, "e_min": e, "m_max": top,
            "e_screen": np.broadcast_to(scr, (n, MAX_BRANCHES))}


def record_width(dis) -> int:
    return 2 * branches(dis)


def cost(coords: Coords, sampler) -> float:
    """Relative work of a point: (1 + B) chains (B basins, :func:`integrated`) × N (thermalize + sweeps)
    attempts × O(2P + 1)."""
    N = int(coords["N"])
    P = n_patterns(N, float(coords["alpha"]))
    return (1.0 + integrated(P, sampler.options)) * N * (sampler.thermalize + sampler.sweeps) * (2 * P + 1)


def memory(coords: Coords, sampler, temperatures: int) -> dict[str, float]:
    """Peak bytes of one unit: patterns, the (1 + P) chains per temperature, tables and measurements."""
    N = int(coords["N"])
    P = n_patterns(N, float(coords["alpha"]))
    B = integrated(P, sampler.options)
    C = temperatures * (1 + B)
    kcut = min(float(P) * N, 20.0 * N * float(coords["T"]) + 1)
    return ({"patterns P x N int8": 3.0 * N * P,
             "spins and overlaps of the chains": C * (N + 4.0 * P + 16.0),
             "acceptance tables kcut float64 per temperature": 3 * 8.0 * temperatures * (kcut + 2)}
            | measurement_memory(MODEL, sampler, temperatures, 2 * (1 + B)))


def constraints(grid) -> list[tuple[str, object, str]]:
    """P ≤ :data:`MAX_PATTERNS` at every (N, α) of the grid."""
    out = []
    for N in grid.get("N", ()):
        for a in grid.get("alpha", ()):
            if n_patterns(int(N), float(a)) > MAX_PATTERNS:
                out.append(("alpha", a, f"gives P = {n_patterns(int(N), float(a))} patterns at N = {N}; "
                                        f"expected at most {MAX_PATTERNS} (one chain per pattern)"))
    return out


THRESHOLD = Param("threshold", "float", lo=0.05, hi=0.95, default=(0.5,),
                  doc="a configuration is in a retrieval basin when max_mu |m_mu| >= threshold")
OPTIONS = {
    "threshold": THRESHOLD,
    "lowest_basins": Param("lowest_basins", "int", lo=0, hi=MAX_PATTERNS, default=(0,),
                           doc="integrate this many basins of lowest screening energy (zero-temperature descent "
                               "from the pattern) besides the random_basins; 0: every basin"),
    "random_basins": Param("random_basins", "int", lo=0, hi=MAX_PATTERNS, default=(0,),
                           doc="with lowest_basins: also integrate the basins of the first random_basins patterns, "
                               "a uniform sample that weights the others back in (the typical basin, the rest of Z_R)"),
}

MODEL = Model(
    name="hopfield_branches",
    doc=__doc__,
    params=(Param("alpha", "float", lo=0.0, hi=1.0, open_lo=True,
                  doc="load alpha = P/N (P = floor(alpha*N + 1/2) >= 1 Hebbian patterns)"),),
    observables=(
        Observable("energy_nr", "energy per spin <H>/N of the non-retrieval branch"),
        Observable("energy", "energy per spin <H>/N of each branch (0: non-retrieval, mu+1: basin of pattern mu)",
                   dims=("branch",), coords={"branch": BRANCH}),
        Observable("energy2", "second moment of the energy per spin <(H/N)^2> of each branch", dims=("branch",),
                   coords={"branch": BRANCH}),
        Observable("e_min", "lowest energy per spin visited by each branch's chain", dims=("branch",),
                   coords={"branch": BRANCH}, statistic="min"),
        Observable("m_max", "largest Mattis overlap <max_mu |m_mu|> of each branch", dims=("branch",),
                   coords={"branch": BRANCH}),
        Observable("e_screen", "screening energy per spin of each basin: the end of the zero-temperature descent "
                               "inside it from its pattern (every basin, whether or not it was integrated)",
                   dims=("branch",), coords={"branch": BRANCH}, statistic="min"),
    ),
    derived=(),
    draw_disorder=draw_disorder,
    init_state=init_state,
    measure=measure,
    record_width=record_width,
    series=series,
    flips=FLIPS,
    replicas=branches,
    min_N=4,
    cost=cost,
    work_per_second=3.5e9,  # hopfield_tc: 1.05e13 in 4090 core-s; N = 1600 / 3200 at alpha = 0.015: 3.6e9, 4.6e9 per s (Zen 5 EPYC)
    convergence=("energy_nr",),
    windows=("energy_nr",),
    reductions=("hopfield_tc",),
    figures=("hopfield_tc",),
    disorder=True,
    sampler_options=OPTIONS,
    screen=screen,
    memory=memory,
    constraints=constraints,
)
