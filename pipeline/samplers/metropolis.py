"""Metropolis: single-spin flips accepted with min(1, e^{−βΔE}), at one temperature per grid point.

Works with any model that exposes :class:`~pipeline.models.FlipMoves`. The site schedule is the
model's own by default (random sites for Curie–Weiss, sequential for Hopfield), or ``[sampler] sites =
"sequential"`` / ``"random"``. Each grid point is one unit: the model's replicas at the point's T.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.models import Model
from pipeline.samplers.base import ChainSet, Sampler, SingleFlipSettings, UnitResult, lacks_flips


def run_single_temperature(rule: str):
    def run(model: Model, coords_list: Sequence[Mapping[str, Any]], settings: SingleFlipSettings,
            workflow_seed: int) -> UnitResult:
        results = []
        for coords in coords_list:
            chains = ChainSet(model, [coords], settings, workflow_seed, rule)
            results.append(chains.series(chains.run())[0])
        return UnitResult([dict(c) for c in coords_list], results)

    return run


SAMPLER = Sampler(
    name="metropolis",
    doc=__doc__,
    settings=SingleFlipSettings,
    missing=lacks_flips,
    run=run_single_temperature("metropolis"),
)
