"""Parallel tempering (replica exchange) over the grid's temperatures of one sample.

The ladder is the grid's T values of one (N, model parameters, sample): one unit of work, one swap
stream (seeded by the ladder's coordinates), never split by task sizing, grid subsets or resume. Each
temperature holds ``replicas`` chains (default: the model's, 2 where it measures overlaps); replica r
of temperature t exchanges only with replica r of t ± 1, so the replicas form independent ladders on the
same disorder. Every ``swap_every`` sweeps one pass over the neighbouring pairs, lowest T first, swaps
the configurations of (t, t+1) with probability min(1, exp[(β_t − β_{t+1})(E_t − E_{t+1})]) (the
chains keep their configurations; their temperatures move). Between swap rounds every chain makes
Metropolis sweeps at its current temperature.

Ladder outputs: ``swap_acceptance`` over ``T_pair`` (pair t = (T_t, T_{t+1}), accepted / attempted over
the measurement phase, all replicas), ``round_trips`` (walkers that went lowest T → highest T → lowest,
summed over replica ladders, measurement phase).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import Field

from pipeline.models import Model
from pipeline.samplers.base import ChainSet, Sampler, SingleFlipSettings, UnitResult, lacks_flips


class PTSettings(SingleFlipSettings):
    """Parallel-tempering settings: replicas per temperature and the swap interval."""

    replicas: int | None = Field(default=None, ge=1, le=64,
                                 description="chains per temperature (default: the model's)")
    swap_every: int = Field(default=1, ge=1, description="sweeps between swap rounds")


def run_ladder(model: Model, coords_list: Sequence[Mapping[str, Any]], settings: PTSettings,
               workflow_seed: int) -> UnitResult:
    """One ladder: every temperature of ``coords_list`` (one sample), swaps every ``swap_every`` sweeps."""
    coords_list = sorted((dict(c) for c in coords_list), key=lambda c: float(c["T"]))
    chains = ChainSet(model, coords_list, settings, workflow_seed, "metropolis", settings.replicas)
    out = chains.run(swap_every=int(settings.swap_every))
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(chains.swap_tries > 0, chains.swap_acc / np.maximum(chains.swap_tries, 1), np.nan)
    ladder = {"swap_acceptance": acc, "round_trips": int(chains.trips.sum()),
              "T_pair": [float(c["T"]) for c in coords_list[:-1]]}
    return UnitResult(coords_list, chains.series(out), ladder)


def _missing(model: Model) -> str | None:
    return lacks_flips(model, energy=True)


SAMPLER = Sampler(
    name="parallel_tempering",
    doc=__doc__,
    settings=PTSettings,
    missing=_missing,
    run=run_ladder,
    ladder=True,
    ladder_variables={
        "swap_acceptance": (("T_pair",), "f8", {"long_name": "replica-exchange acceptance of the pair "
                                                             "(T_pair, next T), measurement phase"}),
        "round_trips": ((), "i8", {"long_name": "round trips lowest T -> highest T -> lowest T of the "
                                                "ladder's walkers, measurement phase"}),
    },
)
