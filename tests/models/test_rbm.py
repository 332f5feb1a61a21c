"""RBM model: block Gibbs against exact enumeration, the Hopfield mapping, the C reference.

Tolerances are statistical: each Monte Carlo mean is compared with its exact value in units of its
binned standard error (64 bins of a run much longer than the autocorrelation time of a 6 x 4 RBM, whose
block-Gibbs chain decorrelates in a few sweeps).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from numba import njit

from pipeline.models import get_model
from pipeline.samplers import make_settings
from pipeline.samplers.base import ChainSet
from pipeline.stats import bin_means, binned_error
from pipeline.theory.rbm_exact import rbm_exact

RBM = get_model("rbm")
NV, NH = 6, 4


@njit
def _measure_units(v, h, act_v, act_h, beta_c, W, WT, b, c, xi, kinds, w2, chains, row):
    """Test probe: every v_i, h_j and v_i h_j of both replicas, averaged over the two."""
    N, M = v.shape[1], h.shape[1]
    for k in range(row.size):
        row[k] = 0.0
    for ch in chains:
        for i in range(N):
            row[i] += 0.5 * v[ch, i]
        for j in range(M):
            row[N + j] += 0.5 * h[ch, j]
        for i in range(N):
            for j in range(M):
                row[N + M + i * M + j] += 0.5 * np.float64(v[ch, i]) * h[ch, j]


def _probe_run(coords, sweeps=40000, seed=11):
    model = replace(RBM, measure=_measure_units, record_width=NV + NH + NV * NH)
    settings = make_settings("block_gibbs", thermalize=200, sweeps=sweeps, bins=64)
    chains = ChainSet(model, [coords], settings, seed, "block_gibbs", 2)
    rec = chains.run()[0]
    b = bin_means(rec.T, 64)
    return chains.dis, b.mean(axis=-1), binned_error(b)


@pytest.mark.parametrize("visible", ["spin", "binary"])
@pytest.mark.parametrize("hidden", ["spin", "binary", "gaussian"])
def test_block_gibbs_matches_enumeration(visible, hidden):
    """Must-show 1: ⟨v_i⟩, ⟨h_j⟩, ⟨v_i h_j⟩ within 4 standard errors at every entry (Nv = 6, Nh = 4)."""
    coords = {"N": NV, "alpha": NH / NV, "T": 1.0, "seed": 3, "scale": 1.5, "bias": 0.5, "visible": visible,
              "hidden": hidden, "weights": "gaussian", "init": "random"}
    dis, mean, err = _probe_run(coords)
    W, _, b, c = (np.asarray(x, np.float64) for x in dis[:4])
    assert W.shape == (NV, NH) and np.abs(b).max() > 0.05  # the biases are really there
    ex = rbm_exact(W, b, c, 1.0, visible=visible, hidden=hidden)
    want = np.concatenate([ex["mean_v"], ex["mean_h"], ex["mean_vh"].ravel()])
    z = (mean - want) / err
    assert np.all(err > 0)
    assert np.abs(z).max() < 4.0, f"max |z| = {np.abs(z).max():.2f} at entry {np.abs(z).argmax()}"


def test_bench_reproduces_c_reference_numbers():
    """The bench set-up is rbm_gibbs.c's: its sanity numbers, printed by `rbm_gibbs 64 40 200 1` (gcc 12,
    -O3 -march=native), are reproduced to every printed digit."""
    from pipeline.samplers.bench import bench

    res = bench(RBM, N=64, T=1.0, sweeps=200, seed=1, Nh=40)
    assert res["N"] == 104
    assert f"{res['mean_v']:.10f}" == "-0.0154687500"
    assert f"{res['mean_h']:.10f}" == "0.0625000000"
    assert f"{res['e_final']:.10f}" == "-0.3011972228"


def _series_stats(model, chains, out, names):
    s = chains.series(out)[0]
    res = {}
    for k in names:
        b = bin_means(np.asarray(s[k], np.float64), 64)
        res[k] = (float(b.mean()), float(binned_error(b)))
    return res


@pytest.mark.parametrize("T", [0.3, 1.5])
def test_gaussian_hidden_rbm_samples_the_hopfield_model(T):
    """Must-show 2: an RBM with Gaussian hidden units (prior e^{-βh²/2}) and Hebbian weights ξ/√N samples
    the visible distribution of the Hopfield model with the same patterns: at N = 200, α = 0.05, started
    in pattern 1 (retrieval at T = 0.3, paramagnet at 1.5), the visible overlaps, ⟨q²⟩ and the Hopfield
    energy of the visible layer agree within 4 combined standard errors (both chains are production
    samplers: block Gibbs for the RBM, sequential Metropolis for the Hopfield model)."""
    from pipeline.models import hopfield
    from pipeline.models.rbm import draw_disorder
    from pipeline.rng.streams import Streams

    HOP = get_model("hopfield")
    seed = 5
    hc = {"N": 200, "alpha": 0.05, "T": T, "seed": 0, "init": "pattern"}
    rc = {"N": 200, "alpha": 0.05, "T": T, "seed": 0, "scale": 1.0, "bias": 0.0, "visible": "spin",
          "hidden": "gaussian", "weights": "hebbian", "init": "pattern"}

    def same_patterns(coords, gen):  # the Hopfield model's disorder stream for this sample
        return draw_disorder(coords, Streams(seed, "hopfield", hc, disorder_exclude=HOP.disorder_exclude).disorder())

    rbm = replace(RBM, draw_disorder=same_patterns)
    names = ("m", "m_max", "q2", "q_abs")
    h_set = make_settings("metropolis", thermalize=1000, sweeps=40000, measure_every=2, bins=64)
    hch = ChainSet(HOP, [hc], h_set, seed, "metropolis", 2)
    hs = _series_stats(HOP, hch, hch.run(), (*names, "energy"))
    r_set = make_settings("block_gibbs", thermalize=1000, sweeps=40000, measure_every=2, bins=64)
    rch = ChainSet(rbm, [rc], r_set, seed + 1, "block_gibbs", 2)
    rs = _series_stats(rbm, rch, rch.run(), (*names, "hopfield_energy"))
    assert np.array_equal(rch.dis[4], hopfield.patterns(hc, Streams(seed, "hopfield", hc,
                                                                    disorder_exclude=HOP.disorder_exclude)))
    pairs = [(k, k) for k in names] + [("energy", "hopfield_energy")]
    for hk, rk in pairs:
        (a, ea), (b, eb) = hs[hk], rs[rk]
        assert abs(a - b) < 4.0 * np.hypot(ea, eb), f"T={T} {hk}: hopfield {a:.5f}±{ea:.5f}, rbm {b:.5f}±{eb:.5f}"
    if T == 0.3:
        assert hs["m"][0] > 0.9  # the retrieval state, on both sides
