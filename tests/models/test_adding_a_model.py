"""The README's "adding a model" example, registered as written: one module plus one registry line.

Metropolis (random sites) and parallel tempering on it against the exact energy of the periodic Ising ring,
⟨E⟩ = −N (λ+^(N−1) 2 sinh β + λ−^(N−1) 2 cosh β) / (λ+^N + λ−^N) with λ+ = 2 cosh β, λ− = 2 sinh β.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def exact_energy(N: int, T: float) -> float:
    b = 1.0 / T
    lp, lm = 2 * np.cosh(b), 2 * np.sinh(b)
    return -(lp ** (N - 1) * 2 * np.sinh(b) + lm ** (N - 1) * 2 * np.cosh(b)) / (lp**N + lm**N)


@pytest.fixture(scope="module")
def ring(tmp_path_factory):
    text = README.read_text()
    code = re.search(r"<!-- adding-a-model example -->\n```python\n(.*?)```", text, re.S).group(1)
    d = tmp_path_factory.mktemp("plugin")
    (d / "ising_ring.py").write_text(code)
    sys.path.insert(0, str(d))
    from pipeline import models

    models._REGISTRY["ising_ring"] = "ising_ring"  # the one registry line
    try:
        yield models.get_model("ising_ring")
    finally:
        models._REGISTRY.pop("ising_ring")
        models._cache.pop("ising_ring", None)
        sys.path.remove(str(d))


def test_metropolis_and_parallel_tempering_match_the_exact_energy(ring):
    """Within 4 standard errors (binned, 32 bins of 500 sweeps, τ_int of a few sweeps) at each T."""
    from pipeline.samplers import make_settings
    from pipeline.samplers.driver import run_point, run_unit
    from pipeline.samplers.parallel_tempering import SAMPLER as PT

    N, temps = 16, (0.7, 1.0, 1.6)
    smp = make_settings("metropolis", thermalize=1000, sweeps=16000, bins=32)
    for T in temps:
        res = run_point(ring, {"N": N, "T": T, "seed": 0}, smp, 1)
        assert abs(res["energy"] - exact_energy(N, T)) < 4 * res["energy_err"], (T, res["energy"])
    pt = make_settings("parallel_tempering", thermalize=1000, sweeps=16000, bins=32)
    coords, points, ladder = run_unit(ring, PT, [{"N": N, "T": T, "seed": 1} for T in temps], pt, 1)
    for c, res in zip(coords, points, strict=True):
        assert abs(res["energy"] - exact_energy(N, c["T"])) < 4 * res["energy_err"], (c, res["energy"])
    assert np.all(ladder["swap_acceptance"] > 0)


def test_the_workflow_validates_and_refuses_what_the_model_cannot_serve(ring):
    from pipeline.errors import SpecError
    from pipeline.spec.workflow import validate

    raw = {"name": "r", "model": "ising_ring", "seed": 1, "grid": {"N": [16], "T": [1.0, 2.0], "seeds": 1},
           "sampler": {"algorithm": "parallel_tempering", "sweeps": 100, "bins": 8}}
    assert validate(raw).sampler.algorithm == "parallel_tempering"
    with pytest.raises(SpecError, match="cannot serve sampler 'heatbath': it lacks a heat-bath table"):
        validate({**raw, "sampler": {"algorithm": "heatbath", "sweeps": 100, "bins": 8}})
