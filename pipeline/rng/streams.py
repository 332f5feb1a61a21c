"""Deterministic random streams: from the workflow seed and a point's coordinates, never its position.

Each stream is a ``SeedSequence`` built from the workflow seed and a stable hash (BLAKE2b) of the
model name, the stream's purpose and the point's coordinates, written canonically (floats with 12
significant digits). The thermal stream hashes every coordinate; the disorder stream leaves out T
(and the categorical parameters, such as the initial condition), so every temperature of a sample
sees the same couplings or patterns. Results therefore do not depend on scheduling, task cuts or the
number of workers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from pipeline.rng.xoshiro import state_from_words


def _canon(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return format(float(v), ".12g")
    if isinstance(v, int | np.integer):
        return str(int(v))
    return str(v)


def seed_sequence(workflow_seed: int, model: str, purpose: str, coords: Mapping[str, Any],
                  exclude: Iterable[str] = ()) -> np.random.SeedSequence:
    """The ``SeedSequence`` of one stream of one point."""
    skip = set(exclude)
    key = "|".join([model, purpose] + [f"{k}={_canon(coords[k])}" for k in sorted(coords) if k not in skip])
    digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]
    return np.random.SeedSequence([int(workflow_seed) & 0xFFFFFFFF, int(workflow_seed) >> 32, *words])


class Streams:
    """The random streams of one grid point.

    Parameters
    ----------
    workflow_seed : int
    model : str
    coords : mapping
        The point's coordinates (N, T, seed and the model's parameters).
    disorder_exclude : iterable of str
        Coordinates the disorder stream ignores (T and categorical parameters).
    """

    def __init__(self, workflow_seed: int, model: str, coords: Mapping[str, Any],
                 disorder_exclude: Iterable[str] = ("T",)):
        self.workflow_seed = int(workflow_seed)
        self.model = model
        self.coords = dict(coords)
        self.disorder_exclude = tuple(disorder_exclude)

    def thermal(self, replica: int = 0) -> np.ndarray:
        """xoshiro256** state (uint64[4]) for the Markov chain of ``replica``."""
        ss = seed_sequence(self.workflow_seed, self.model, f"thermal/{replica}", self.coords)
        return state_from_words(ss.generate_state(4, np.uint64))

    def disorder(self) -> np.random.Generator:
        """numpy ``Generator`` for quenched disorder, identical for every T of a sample."""
        ss = seed_sequence(self.workflow_seed, self.model, "disorder", self.coords, self.disorder_exclude)
        return np.random.Generator(np.random.PCG64(ss))
