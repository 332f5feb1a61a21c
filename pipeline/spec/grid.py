"""The grid of a workflow as index space: points and their coordinates (tasks: ``pipeline.run.tasks``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np

from pipeline.spec.workflow import Workflow


def coords_of(wf: Workflow, idx: tuple[int, ...]) -> dict[str, Any]:
    """Coordinates of the point at index ``idx`` (in ``model.dims`` order)."""
    return {d: wf.grid[d][i] for d, i in zip(wf.model_def.dims, idx, strict=True)}


def iter_indices(wf: Workflow) -> Iterator[tuple[int, ...]]:
    """Every requested point's index tuple, in C order of ``model.dims``."""
    if not wf.subsets:
        return itertools.product(*(range(n) for n in wf.shape))
    return (tuple(int(i) for i in idx) for idx in np.argwhere(wf.requested()))
