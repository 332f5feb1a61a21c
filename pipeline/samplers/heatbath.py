"""Heat bath (Glauber): each visited spin is set to +1 with probability 1/(1 + e^{−2βh}) given its field.

Works with any model whose :class:`~pipeline.models.FlipMoves` has a ``heatbath_table`` (one uniform
per attempt). Same site schedules and units as :mod:`pipeline.samplers.metropolis`.
"""

from __future__ import annotations

from pipeline.samplers.base import Sampler, SingleFlipSettings, lacks_flips
from pipeline.samplers.metropolis import run_single_temperature

SAMPLER = Sampler(
    name="heatbath",
    doc=__doc__,
    settings=SingleFlipSettings,
    missing=lambda model: lacks_flips(model, heatbath=True),
    run=run_single_temperature("heatbath"),
)
