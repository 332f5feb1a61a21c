"""A model's fused one-chain sweeps are the generic loop's chain, bit for bit (same decisions, same draws)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.models import get_model
from pipeline.samplers import make_settings
from pipeline.samplers.base import ChainSet


@pytest.mark.parametrize(("model", "coords"), [
    ("curie_weiss", {"N": 37, "T": 0.9, "seed": 1}),
    ("curie_weiss", {"N": 64, "T": 1.5, "seed": 0}),
    ("hopfield", {"N": 41, "alpha": 0.1, "T": 0.3, "seed": 2, "init": "noisy"}),   # N % 4 = 1: a site left over
    ("hopfield", {"N": 43, "alpha": 0.2, "T": 0.8, "seed": 5, "init": "noisy"}),   # N % 4 = 3: three left over
    ("hopfield", {"N": 60, "alpha": 0.15, "T": 1.2, "seed": 0, "init": "random"}),
])
def test_fused_sweep_equals_the_generic_loop(model, coords):
    m = get_model(model)
    smp = make_settings("metropolis", thermalize=50, sweeps=200, bins=4, options={"noise": 0.2} if model == "hopfield" else {})
    runs = []
    for generic in (False, True):
        chains = ChainSet(m, [coords], smp, 3, "metropolis", m.replicas,
                          variant=m.flips.variants[0].name)
        chains.generic = generic
        runs.append((chains.run(), chains))
    (a, ca), (b, cb) = runs
    assert any(ca.fused(v) != (None, None) for v in m.flips.variants[:1])
    np.testing.assert_array_equal(a, b)
    for x, y in zip(ca.state, cb.state, strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(ca.rngs, cb.rngs)
    assert ca.accepted.sum() == cb.accepted.sum() > 0


def test_hopfield_overlaps_in_int32_run_the_same_chain_as_int16():
    """Above N = 32767 the overlaps are stored int32 (overlap_dtype); the kernels are the same code for both
    widths, so an int32 copy of a small chain must follow the int16 one bit for bit."""
    from pipeline.models import hopfield as hf

    assert hf.overlap_dtype(32767) == np.int16 and hf.overlap_dtype(32768) == np.int32
    case = hf.bench(N=301, T=0.4, seed=3, alpha=0.12)
    runs = []
    for dtype in (np.int16, np.int32):
        sigma, M, h = (case.state[0].copy(), case.state[1].astype(dtype), case.state[2].copy())
        rng = case.rngs[0].copy()
        acc = sum(hf.metropolis_sequential_overlap(sigma, M, h, *case.dis, 0, case.tables[0], 1,
                                                   case.tables[0].size - 1, rng) for _ in range(50))
        runs.append((sigma, M.astype(np.int64), rng, acc))
    for x, y in zip(*runs, strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(runs[0][1][0], hf.overlaps(case.dis[1], runs[0][0][0]))
