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
    ("hopfield", {"N": 41, "alpha": 0.1, "T": 0.3, "seed": 2, "init": "noisy"}),   # odd N: the lone last site
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
