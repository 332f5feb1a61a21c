"""The grid of a workflow as index space: points, their coordinates, and tasks of sensible size."""

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


def make_tasks(wf: Workflow, indices: list[tuple[int, ...]], n_workers: int) -> list[list[tuple[int, ...]]]:
    """Cut ``indices`` into tasks.

    Points of one task share everything but T (and the model's categorical parameters), so a task
    regenerates its quenched disorder once. Tasks aim at ~``target`` attempted flips each, and there
    are at least ~4 tasks per worker when the grid allows, for load balance. ``run.points_per_task``
    overrides the automatic size. The cut depends only on the workflow and the pending set, never on
    scheduling, and it does not affect results (each point has its own streams).
    """
    model = wf.model_def
    if not indices:
        return []
    costs = np.array([model.cost(coords_of(wf, i), wf.sampler) for i in indices])
    if wf.run.points_per_task:
        per = wf.run.points_per_task
        return [indices[k:k + per] for k in range(0, len(indices), per)]
    total = costs.sum()
    target = min(2e9, max(total / (4 * max(n_workers, 1)), 5e7))  # ~0.5 to 20 s of flips per task
    tasks, task_costs, cur, acc, cur_key = [], [], [], 0.0, None
    t_axis = model.dims.index("T")

    def sample_key(idx):  # N, outer params, seed: the points that share quenched disorder
        return idx[:t_axis] + idx[t_axis + 1:t_axis + 2]

    order = sorted(range(len(indices)), key=lambda k: (sample_key(indices[k]), indices[k]))
    indices, costs = [indices[k] for k in order], costs[order]
    for idx, c in zip(indices, costs, strict=True):
        key = sample_key(idx)
        if cur and (acc + c > target or key != cur_key):
            tasks.append(cur)
            task_costs.append(acc)
            cur, acc = [], 0.0
        cur.append(idx)
        cur_key = key
        acc += c
    if cur:
        tasks.append(cur)
        task_costs.append(acc)
    # biggest first: long tasks start early, short ones fill the tail
    order = np.argsort(-np.asarray(task_costs), kind="stable")
    return [tasks[k] for k in order]
