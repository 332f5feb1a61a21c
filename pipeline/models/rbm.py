"""Restricted Boltzmann machine: a visible and a hidden layer, coupled only across, sampled by block Gibbs.

Conventions: k_B = 1, T = 1/β, N = Nv visible units, Nh = floor(αN + 1/2) (at least 1) hidden units,

    E(v, h) = −Σ_ij v_i W_ij h_j − Σ_i b_i v_i − Σ_j c_j h_j   [+ Σ_j h_j²/2 for Gaussian hidden units].

Visible units are ``"spin"`` (±1) or ``"binary"`` ({0, 1}); hidden units ``"spin"``, ``"binary"`` or
``"gaussian"``. Gaussian hidden units carry the β-scaled prior ∝ exp(−β h²/2) (the +h²/2 above), so that
integrating them out gives exp(β/2 Σ_j a_j²), a_j = c_j + Σ_i W_ij v_i: the Hopfield weight with
J = W Wᵀ at the *same* β (without the β in the prior the RBM maps to a Hopfield model at β², not β).

Weights (the sample's quenched disorder, T-free): ``"hebbian"``, W_iμ = scale·ξ_i^μ/√N from Nh random
patterns ξ^μ = ±1 (drawn exactly as the Hopfield model draws its patterns, so an RBM and a Hopfield
model given the same disorder stream hold the same patterns), or ``"gaussian"``, W_ij = scale·g_ij/√N.
Biases b_i, c_j are Gaussian of standard deviation ``bias`` (default 0). Every draw is made whatever the
kinds, so every kind of one seed shares its patterns, weights and biases.

Moves: block Gibbs (``[sampler] algorithm = "block_gibbs"``). Given v the hidden units are independent:
a spin unit is +1 with probability 1/(1 + e^{−2βa}), a binary unit 1 with probability 1/(1 + e^{−βa}), a
Gaussian unit Normal(a, 1/β); and the same for v given h, with a_i = b_i + Σ_j W_ij h_j. Weights and
activations are float32, accumulated row by row in index order and the sigmoid evaluated in double: the
algorithm, stream (xoshiro256**) and draw order of ``shared/perf-reference/rbm_gibbs.c``, which
:func:`bench` reproduces bit for bit.

Measurement (two replicas per temperature, every ``measure_every`` sweeps): the joint energy; the mean
visible unit; the Mattis overlaps m_μ = (1/N) Σ_i ξ_i^μ s_i of the visible layer with the patterns
(s_i = v_i for spin units, 2v_i − 1 for binary ones; for Gaussian weights the patterns are unrelated draws,
a null reference of size 1/√N); the two-replica overlaps q = (1/N) Σ_i s_i^a s_i^b of the visible layer
(and its P(q)) and q_h = (1/Nh) Σ_j h_j^a h_j^b of the hidden layer; the exact free energy of the visible
configuration F(v) = −T ln Σ_h e^{−βE(v,h)} (closed forms: see ``theory.rbm_exact``); and its Hopfield
energy e_H(v) = −(|Wᵀs|² − Σ_ij W_ij²)/(2N), the quadratic energy −(1/2N) Σ_{i≠j} (W Wᵀ)_ij s_i s_j per
spin, which for Hebbian weights of scale 1 is the Hopfield model's energy per spin.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from pipeline.models._base import (
    HEAT_CAPACITY,
    BenchCase,
    BlockMoves,
    Coords,
    Derived,
    Model,
    Observable,
    Param,
    measurement_memory,
)
from pipeline.models.sk import Q_CENTRES, q_histogram
from pipeline.rng.xoshiro import gauss, random_signs, seed_state, sign, uniform

VISIBLE = ("spin", "binary")
HIDDEN = ("spin", "binary", "gaussian")
_SPIN, _BINARY, _GAUSSIAN = 0, 1, 2
_INITS = ("random", "pattern")

# state = (v f32[C, N], h f32[C, Nh], act_v f32[C, N], act_h f32[C, Nh], beta_c f64[C]): act_* are scratch,
#   beta_c the inverse temperature of each chain (block Gibbs keeps a chain at its point's T), for F(v)
# dis = (W f32[N, Nh], WT f32[Nh, N], b f32[N], c f32[Nh], xi int8[N, Nh], kinds int64[2], w2 f64[1])
#   kinds = (visible, hidden) codes; w2 = Σ_ij W_ij² (double)

_REC_E = 0  # joint energy of replica a, b: columns 0, 1
_REC_V = 2  # Σ_i v_i of replica a, b
_REC_F = 4  # F(v) of replica a, b
_REC_EH = 6  # N·e_H(v) = −(|Wᵀs|² − Σ W²)/2, replica a, b
_REC_Q = 8  # Σ_i s^a_i s^b_i
_REC_QH = 9  # Σ_j h^a_j h^b_j
_REC_M = 10  # Σ_i ξ_i^μ s_i: Nh columns for replica a, then Nh for b


def n_hidden(N: int, alpha: float) -> int:
    """Nh = floor(αN + 1/2), at least 1 (the Hopfield model's P = αN)."""
    return max(1, int(math.floor(alpha * N + 0.5)))


@njit(cache=True, inline="always")
def _activations(M, units, bias, act):
    """act = bias + Σ_k units[k]·M[k] (rows k = 0, 1, ... in order, four at a time, float32; rows of zero
    units are skipped: adding 0·M[k] changes nothing)."""
    m, n = M.shape
    for j in range(n):
        act[j] = bias[j]
    k = 0
    while k + 4 <= m:
        u0, u1, u2, u3 = units[k], units[k + 1], units[k + 2], units[k + 3]
        for j in range(n):
            act[j] = (((act[j] + u0 * M[k, j]) + u1 * M[k + 1, j]) + u2 * M[k + 2, j]) + u3 * M[k + 3, j]
        k += 4
    while k < m:
        u = units[k]
        if u != 0:
            for j in range(n):
                act[j] += u * M[k, j]
        k += 1


@njit(cache=True, inline="always")
def _draw(kind, act, beta, out, rng):
    """Every unit of a layer from its conditional given its activation (one stream draw or two per unit)."""
    for j in range(act.size):
        a = np.float64(act[j])
        if kind == _SPIN:
            out[j] = 1.0 if uniform(rng) < 1.0 / (1.0 + np.exp(-2.0 * beta * a)) else -1.0
        elif kind == _BINARY:
            out[j] = 1.0 if uniform(rng) < 1.0 / (1.0 + np.exp(-beta * a)) else 0.0
        else:
            out[j] = a + gauss(rng) / np.sqrt(beta)


@njit(cache=True, inline="always")
def sample_hidden(v, h, act_v, act_h, beta_c, W, WT, b, c, xi, kinds, w2, ch, beta, rng):
    """Every hidden unit of chain ``ch`` from P(h | v)."""
    _activations(W, v[ch], c, act_h[ch])
    _draw(kinds[1], act_h[ch], beta, h[ch], rng)


@njit(cache=True, inline="always")
def sample_visible(v, h, act_v, act_h, beta_c, W, WT, b, c, xi, kinds, w2, ch, beta, rng):
    """Every visible unit of chain ``ch`` from P(v | h)."""
    _activations(WT, h[ch], b, act_v[ch])
    _draw(kinds[0], act_v[ch], beta, v[ch], rng)


@njit(cache=True)
def energy(v, h, act_v, act_h, beta_c, W, WT, b, c, xi, kinds, w2, ch):
    """Joint energy E(v, h) of chain ``ch`` (double sums; +Σ h²/2 for Gaussian hidden units)."""
    N, Nh = W.shape
    e = 0.0
    for i in range(N):
        vi = np.float64(v[ch, i])
        if vi != 0.0:
            r = 0.0
            for j in range(Nh):
                r += np.float64(W[i, j]) * h[ch, j]
            e -= vi * (r + b[i])
    for j in range(Nh):
        hj = np.float64(h[ch, j])
        e -= c[j] * hj
        if kinds[1] == _GAUSSIAN:
            e += 0.5 * hj * hj
    return e


@njit(cache=True)
def free_energy(W, b, c, kinds, vv, beta):
    """F(v) = −T ln Σ_h e^{−βE(v,h)} of one visible configuration, in double (see ``theory.rbm_exact``)."""
    N, Nh = W.shape
    T = 1.0 / beta
    f = 0.0
    for i in range(N):
        f -= b[i] * np.float64(vv[i])
    for j in range(Nh):
        a = np.float64(c[j])
        for i in range(N):
            a += np.float64(W[i, j]) * vv[i]
        x = beta * a
        if kinds[1] == _SPIN:  # ln 2cosh x
            f -= T * (abs(x) + np.log1p(np.exp(-2.0 * abs(x))))
        elif kinds[1] == _BINARY:  # ln(1 + e^x)
            f -= T * (max(x, 0.0) + np.log1p(np.exp(-abs(x))))
        else:
            f -= 0.5 * a * a
    if kinds[1] == _GAUSSIAN:
        f -= 0.5 * Nh * T * np.log(2.0 * np.pi * T)
    return f


@njit(cache=True)
def _visible_record(v, W, b, c, xi, kinds, w2, ch, beta, row, r, s):
    """Replica r's columns: Σ v, F(v), the Hopfield energy (times N²) and the pattern overlaps (times N);
    fills ``s`` with the spin variables of the visible layer."""
    N, Nh = W.shape
    P = xi.shape[1]
    tot = 0.0
    for i in range(N):
        tot += v[ch, i]
        s[i] = v[ch, i] if kinds[0] == _SPIN else 2.0 * v[ch, i] - 1.0
    row[_REC_V + r] = tot
    row[_REC_F + r] = free_energy(W, b, c, kinds, v[ch], beta)
    u2 = 0.0
    for j in range(Nh):
        u = 0.0
        for i in range(N):
            u += np.float64(W[i, j]) * s[i]
        u2 += u * u
    row[_REC_EH + r] = -0.5 * (u2 - w2[0])
    for mu in range(P):
        m = 0.0
        for i in range(N):
            m += xi[i, mu] * s[i]
        row[_REC_M + r * P + mu] = m


@njit(cache=True)
def measure(v, h, act_v, act_h, beta_c, W, WT, b, c, xi, kinds, w2, chains, row):
    """Record of replicas a = chains[0], b = chains[1] (columns ``_REC_*``, float64)."""
    N = v.shape[1]
    s = np.empty((2, N))
    for r in range(2):
        ch = chains[r]
        row[_REC_E + r] = energy(v, h, act_v, act_h, beta_c, W, WT, b, c, xi, kinds, w2, ch)
        _visible_record(v, W, b, c, xi, kinds, w2, ch, beta_c[ch], row, r, s[r])
    Q = 0.0
    for i in range(N):
        Q += s[0, i] * s[1, i]
    row[_REC_Q] = Q
    QH = 0.0
    for j in range(h.shape[1]):
        QH += np.float64(h[chains[0], j]) * h[chains[1], j]
    row[_REC_QH] = QH


def record_width(dis) -> int:
    """Columns of a record: the fixed ones and the overlaps with the Nh patterns of both replicas."""
    return _REC_M + 2 * dis[4].shape[1]


# ---------------------------------------------------------------------------------------------------
# disorder, states, series
# ---------------------------------------------------------------------------------------------------


def draw_disorder(coords: Coords, gen: np.random.Generator) -> tuple:
    """Patterns, Gaussian weights and biases from the disorder stream, in that order, whatever the kinds.

    The patterns ξ (int8 ±1, (N, Nh)) are drawn first and exactly as ``models.hopfield.draw_disorder``
    draws its P = Nh patterns; then g (N, Nh) standard normal, then b (N) and c (Nh) standard normal.
    """
    N, alpha = int(coords["N"]), float(coords["alpha"])
    Nh = n_hidden(N, alpha)
    xi = (2 * gen.integers(0, 2, size=(N, Nh), dtype=np.int8) - 1).astype(np.int8)
    g = gen.standard_normal((N, Nh))
    b, c = gen.standard_normal(N), gen.standard_normal(Nh)
    weights = coords.get("weights", "hebbian")
    scale, bias = float(coords.get("scale", 1.0)), float(coords.get("bias", 0.0))
    base = xi if weights == "hebbian" else g
    W = (scale * base / math.sqrt(N)).astype(np.float32)
    kinds = np.array([VISIBLE.index(coords.get("visible", "spin")), HIDDEN.index(coords.get("hidden", "spin"))],
                     np.int64)
    w2 = np.array([float(np.sum(W.astype(np.float64) ** 2))])
    return (W, np.ascontiguousarray(W.T), (bias * b).astype(np.float32), (bias * c).astype(np.float32), xi,
            kinds, w2)


def init_state(coords: Coords, dis, rngs: np.ndarray, options) -> tuple:
    """Visible units from ``init`` (``"random"``: one ``sign`` draw per unit from the chain's stream;
    ``"pattern"``: pattern 1); hidden units zero (the first half-sweep draws them)."""
    W, xi, kinds = dis[0], dis[4], dis[5]
    N, Nh = W.shape
    C = len(rngs)
    init = coords.get("init", "random")
    if init == "pattern":
        s = np.repeat(xi[:, 0][None, :].astype(np.float32), C, axis=0)
    elif init == "random":
        s = np.stack([random_signs(rngs[a], N) for a in range(C)]).astype(np.float32)
    else:
        raise ValueError(f"init = {init!r}: expected one of {', '.join(map(repr, _INITS))}")
    v = s if kinds[0] == _SPIN else 0.5 * (s + 1.0)
    beta = np.full(C, 1.0 / float(coords["T"]))
    z = np.zeros((C, Nh), np.float32)
    return (np.ascontiguousarray(v, dtype=np.float32), z, np.zeros((C, N), np.float32), z.copy(), beta)


def sweep_cost(dis) -> float:
    """Work of one sweep of one chain: two passes over W."""
    N, Nh = dis[0].shape
    return 2.0 * N * Nh


BLOCKS = BlockMoves(hidden=sample_hidden, visible=sample_visible, energy=energy, sweep_cost=sweep_cost)

def series(records: np.ndarray, coords: Coords, dis) -> dict[str, np.ndarray]:
    """Observable time series (replica averages) from one temperature's records."""
    N, Nh = dis[0].shape
    P = dis[4].shape[1]
    e = records[:, _REC_E:_REC_E + 2] / N
    M = np.stack([records[:, _REC_M:_REC_M + P], records[:, _REC_M + P:_REC_M + 2 * P]], axis=1) / N
    q = records[:, _REC_Q] / N
    eh = records[:, _REC_EH:_REC_EH + 2] / N
    return {
        "energy": e.mean(axis=1),
        "energy2": (e * e).mean(axis=1),
        "m_v": records[:, _REC_V:_REC_V + 2].mean(axis=1) / N,
        "m": np.abs(M[:, :, 0]).mean(axis=1),
        "m_max": np.abs(M).max(axis=2).mean(axis=1),
        "q_abs": np.abs(q),
        "q2": q * q,
        "q4": q**4,
        "q_h": records[:, _REC_QH] / Nh,
        "q_h2": (records[:, _REC_QH] / Nh) ** 2,
        "free_energy": records[:, _REC_F:_REC_F + 2].mean(axis=1) / N,
        "hopfield_energy": eh.mean(axis=1),
        "P_q": q_histogram(q),
    }


def cost(coords: Coords, sampler) -> float:
    """Relative work of a point: 2 replicas × (sweeps of two passes over W + measurements of about two)."""
    N = int(coords["N"])
    Nh = n_hidden(N, float(coords["alpha"]))
    n_meas = sampler.sweeps // max(1, sampler.measure_every)
    return 2.0 * 2.0 * N * Nh * (sampler.thermalize + sampler.sweeps + n_meas)


def memory(coords: Coords, sampler, temperatures: int) -> dict[str, float]:
    """Peak bytes of one unit: the weights while they are drawn (int8 patterns, float64 Gaussians and the
    float64 temporaries of the scaling, W and Wᵀ float32: ~29 bytes per weight), the chains' units and
    activations (float32), and the measurements (a record of 10 + 2 Nh float64: the overlaps with every
    pattern)."""
    N = int(coords["N"])
    Nh = n_hidden(N, float(coords["alpha"]))
    C = temperatures * MODEL.replicas
    return {"weights N x Nh float32, with the float64 temporaries of their draw": 29.0 * N * Nh + 16.0 * (N + Nh),
            "units and activations of the chains": C * (8.0 * (N + Nh) + 6.0 * N),
            **measurement_memory(MODEL, sampler, temperatures, _REC_M + 2 * Nh)}


def exact(coords: Coords, streams) -> dict[str, float]:
    """Exact thermal averages of the point's own RBM (N ≤ 20); see ``theory.rbm_exact``."""
    from pipeline.theory.rbm_exact import rbm_exact

    W, _, b, c = draw_disorder(coords, streams.disorder())[:4]
    return rbm_exact(W.astype(np.float64), b.astype(np.float64), c.astype(np.float64), float(coords["T"]),
                     visible=coords.get("visible", "spin"), hidden=coords.get("hidden", "spin"))


# ---------------------------------------------------------------------------------------------------
# the C reference
# ---------------------------------------------------------------------------------------------------


@njit(cache=True)
def c_reference_setup(Nv, Nh, seed):
    """Weights, biases and visible units exactly as ``rbm_gibbs.c`` draws them; returns (W, a, b, v, rng).

    W_ij = (float)(gauss()/√Nv) row by row, then a_i = (float)(0.1 gauss()), then b_j likewise, then
    v_i = sign() as ±1.0f.
    """
    rng = seed_state(seed)
    W = np.empty((Nv, Nh), np.float32)
    s = math.sqrt(Nv)
    for i in range(Nv):
        for j in range(Nh):
            W[i, j] = np.float32(gauss(rng) / s)
    a = np.empty(Nv, np.float32)
    for i in range(Nv):
        a[i] = np.float32(0.1 * gauss(rng))
    bb = np.empty(Nh, np.float32)
    for j in range(Nh):
        bb[j] = np.float32(0.1 * gauss(rng))
    v = np.empty(Nv, np.float32)
    for i in range(Nv):
        v[i] = sign(rng)
    return W, a, bb, v, rng


@njit(cache=True)
def measure_means(v, h, act_v, act_h, beta_c, W, WT, b, c, xi, kinds, w2, chains, row):
    """What ``rbm_gibbs.c`` accumulates per sweep: mean(v) and mean(h) of the chain."""
    ch = chains[0]
    sv = 0.0
    for i in range(v.shape[1]):
        sv += v[ch, i]
    sh = 0.0
    for j in range(h.shape[1]):
        sh += h[ch, j]
    row[0] = sv / v.shape[1]
    row[1] = sh / h.shape[1]


def bench(N: int = 784, T: float = 1.0, seed: int = 1, Nh: int = 500) -> BenchCase:
    """The set-up of ``rbm_gibbs.c`` (N = Nv): float32 Gaussian weights of variance 1/Nv, biases 0.1·gauss,
    ±1 units both sides, block Gibbs at β = 1/T. The sanity numbers (mean_v, mean_h, e_final) equal the C
    program's for the same arguments."""
    Nv, Nh, beta = int(N), int(Nh), 1.0 / float(T)
    W, a, bb, v, rng = c_reference_setup(Nv, Nh, int(seed))
    z = np.zeros(0, np.int8)
    dis = (W, np.ascontiguousarray(W.T), a, bb, z.reshape(Nv, 0) if Nv else z, np.array([_SPIN, _SPIN]),
           np.zeros(1))
    state = (v[None, :].copy(), np.zeros((1, Nh), np.float32), np.zeros((1, Nv), np.float32),
             np.zeros((1, Nh), np.float32), np.array([beta]))

    def sanity(state, out, accepted, sweeps):
        e = energy(*state, *dis, 0)
        return {"mean_v": float(out[0, :, 0].mean()), "mean_h": float(out[0, :, 1].mean()),
                "e_final": e / (Nv + Nh)}

    return BenchCase(state=state, dis=dis, rngs=rng[None, :].copy(), tables=np.array([[beta]]), kfree=0,
                     random_site=False, variant="block_gibbs", measure=measure_means, record_width=2,
                     sanity=sanity, record_dtype=np.float64,
                     info={"model": "rbm", "N": Nv + Nh, "Nv": Nv, "Nh": Nh, "T": float(T), "beta": beta})


def _binder_q(v, c):
    return 1.0 - v["q4"] / (3.0 * v["q2"] ** 2)


MODEL = Model(
    name="rbm",
    doc=__doc__,
    params=(
        Param("alpha", "float", lo=0.0, hi=8.0, open_lo=True,
              doc="hidden units per visible unit: Nh = floor(alpha*N + 1/2) >= 1 (the Hebbian patterns' load)"),
        Param("scale", "float", lo=0.0, hi=100.0, default=(1.0,),
              doc="weight scale: W = scale * xi/sqrt(N) (hebbian) or scale * g/sqrt(N) (gaussian)"),
        Param("bias", "float", lo=0.0, hi=100.0, default=(0.0,),
              doc="standard deviation of the Gaussian biases b_i, c_j"),
        Param("visible", "str", choices=VISIBLE, default=("spin",), doc="visible units: +-1 or {0,1}"),
        Param("hidden", "str", choices=HIDDEN, default=("spin",),
              doc="hidden units: +-1, {0,1} or Gaussian with the prior exp(-beta h^2/2)"),
        Param("weights", "str", choices=("hebbian", "gaussian"), default=("hebbian",),
              doc="weights: Hebbian W = xi/sqrt(N) from Nh patterns, or Gaussian"),
        Param("init", "str", choices=_INITS, default=("random",),
              doc="initial visible layer: random, or pattern 1"),
    ),
    observables=(
        Observable("energy", "joint energy per visible unit <E(v,h)>/N (replica average)"),
        Observable("energy2", "second moment of the joint energy per visible unit <(E/N)^2>"),
        Observable("m_v", "visible magnetisation <(1/N) sum_i v_i>"),
        Observable("m", "Mattis overlap of the visible layer with pattern 1 <|m_1|>"),
        Observable("m_max", "largest Mattis overlap of the visible layer <max_mu |m_mu|>"),
        Observable("q_abs", "visible two-replica overlap <|q|>, q = (1/N) sum_i s_i^a s_i^b"),
        Observable("q2", "second moment of the visible two-replica overlap <q^2>"),
        Observable("q4", "fourth moment of the visible two-replica overlap <q^4>"),
        Observable("q_h", "hidden two-replica overlap <q_h>, q_h = (1/Nh) sum_j h_j^a h_j^b"),
        Observable("q_h2", "second moment of the hidden two-replica overlap <q_h^2>"),
        Observable("free_energy", "free energy of the visible configuration <F(v)>/N, F = -T ln sum_h e^(-E/T)"),
        Observable("hopfield_energy", "Hopfield (quadratic, J = W W^T, no diagonal) energy per spin of the visible layer"),
        Observable("P_q", "visible two-replica overlap distribution P(q) (linear share between bins)",
                   dims=("q",), coords={"q": Q_CENTRES}),
    ),
    derived=(
        Derived("binder_q", "Binder cumulant of the visible overlap, 1 - <q^4>/(3<q^2>^2)", ("q4", "q2"),
                _binder_q),
        HEAT_CAPACITY,
    ),
    draw_disorder=draw_disorder,
    init_state=init_state,
    measure=measure,
    record_width=record_width,
    record_dtype=np.float64,
    series=series,
    blocks=BLOCKS,
    replicas=2,
    min_N=2,
    cost=cost,
    work_per_second=5.7e8,  # rbm_hopfield: 4.1e11 in ~720 core-s (Zen 5 EPYC)
    convergence=("energy", "q2"),
    exact=exact,
    reductions=("rbm_retrieval",),
    figures=("rbm_retrieval",),
    bench=bench,
    disorder=True,
    memory=memory,
)
