"""Block Gibbs: every hidden unit given the visible layer, then every visible unit given the hidden one.

For a two-layer model (an RBM) the units of one layer are independent given the other, so each layer is
drawn whole from its exact conditional: one sweep is h ~ P(h | v), then v ~ P(v | h). The chain has the
joint Boltzmann distribution as its stationary law and is irreducible wherever the conditionals are
positive (every finite β). Works with any model exposing :class:`~pipeline.models.BlockMoves`; each grid
point is one unit, the model's replicas at the point's T, one thermal stream per replica.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.models import Model
from pipeline.samplers.base import ChainSet, Sampler, SamplerSettings, UnitResult


def run(model: Model, coords_list: Sequence[Mapping[str, Any]], settings: SamplerSettings,
        workflow_seed: int) -> UnitResult:
    """Each point of ``coords_list`` on its own: its replicas, block-Gibbs sweeps at its T."""
    results = []
    for coords in coords_list:
        chains = ChainSet(model, [coords], settings, workflow_seed, "block_gibbs")
        results.append(chains.series(chains.run())[0])
    return UnitResult([dict(c) for c in coords_list], results)


def missing(model: Model) -> str | None:
    """What ``model`` lacks for block Gibbs, or ``None``."""
    if model.blocks is None:
        return "two layers with conditionals (Model.blocks: a BlockMoves with hidden/visible samplers)"
    return None


SAMPLER = Sampler(name="block_gibbs", doc=__doc__, settings=SamplerSettings, missing=missing, run=run)
