"""Units and tasks: what a worker runs at once.

A **unit** is the set of chains that one sampler call runs on one disorder sample: a single grid point
for a single-temperature sampler, a whole ladder (every requested T of one N, model parameters, sample
and initial condition) for parallel tempering. A ladder is never split: not by task sizing, not by grid
subsets (the ladder is the union of the subsets' temperatures), not by resume (a ladder with any point
missing is rerun whole; its points are the same bit for bit).

A **task** is a list of units in sample order, sized in core-seconds (the model's cost at its measured
``work_per_second``, plus a fixed time per point) so that each takes ~0.2-10 s and there are ~4 per worker
when the grid allows. The cut depends only on the workflow and
the pending set, never on scheduling, and it does not affect results (streams hash coordinates).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from pipeline.models import Model
from pipeline.samplers import get_sampler
from pipeline.spec.grid import coords_of, iter_indices
from pipeline.spec.workflow import Workflow

Index = tuple[int, ...]


def ladder_index(wf: Workflow, idx: Index) -> Index:
    """The ladder of a point: its index without the T axis."""
    t = wf.model_def.dims.index("T")
    return idx[:t] + idx[t + 1:]


def pending_units(wf: Workflow, done: np.ndarray) -> list[tuple[Index | None, list[Index]]]:
    """The units still to run: ``(ladder index or None, [point indices])``, in grid order."""
    sampler = get_sampler(wf.sampler.algorithm)
    if not sampler.ladder:
        return [(None, [idx]) for idx in iter_indices(wf) if not done[idx]]
    ladders: dict[Index, list[Index]] = defaultdict(list)
    incomplete: set[Index] = set()
    for idx in iter_indices(wf):
        key = ladder_index(wf, idx)
        ladders[key].append(idx)
        if not done[idx]:
            incomplete.add(key)
    return [(key, pts) for key, pts in ladders.items() if key in incomplete]


POINT_SECONDS = 2e-3
"""Fixed core-time of one point (setting up its chains, summarising its series: ~1-2 ms), added to the
model's work so that tiny points are grouped into tasks big enough to amortise the scheduler's per-task
overhead (a few ms)."""
MIN_TASK, MAX_TASK = 0.2, 10.0
"""Task sizes in core-seconds."""


def point_seconds(model: Model, coords: dict, sampler) -> float:
    """Expected core-seconds of one point: its cost at the model's ``work_per_second`` plus
    :data:`POINT_SECONDS` (the rate is the one measured on the shipped workflows; a slower CPU scales every
    point alike, so the cut into tasks stays balanced)."""
    return model.cost(coords, sampler) / model.work_per_second + POINT_SECONDS


def make_tasks(wf: Workflow, units: list[tuple[Index | None, list[Index]]], n_workers: int) -> list[list]:
    """Cut ``units`` into tasks: lists of ``(ladder index or None, [(point index, coords), ...])``.

    Units are taken in sample order (N, numeric parameters, seed), so the units of a task mostly share
    their disorder sample, and cut into tasks of about ``total / (4 × workers)`` core-seconds, between
    :data:`MIN_TASK` and :data:`MAX_TASK` (so ~4 tasks per worker where the grid allows, and the
    scheduler's overhead stays below ~1 % of the compute); ``run.points_per_task`` overrides the
    automatic size (in points, rounded up to whole units).
    """
    model = wf.model_def
    if not units:
        return []
    costs = np.array([sum(point_seconds(model, coords_of(wf, i), wf.sampler) for i in pts) for _, pts in units])
    t_axis = model.dims.index("T")

    def sample_key(pts):  # N, outer params, seed: the points that share quenched disorder
        idx = pts[0]
        return idx[:t_axis] + idx[t_axis + 1:t_axis + 2]

    order = sorted(range(len(units)), key=lambda k: (sample_key(units[k][1]), units[k][1][0]))
    units, costs = [units[k] for k in order], costs[order]
    per = wf.run.points_per_task
    target = min(MAX_TASK, max(costs.sum() / (4 * max(n_workers, 1)), MIN_TASK))
    tasks, task_costs, cur, acc, n_cur = [], [], [], 0.0, 0
    for (lad, pts), c in zip(units, costs, strict=True):
        full = (n_cur >= per) if per else (acc + c > target)
        if cur and full:
            tasks.append(cur)
            task_costs.append(acc)
            cur, acc, n_cur = [], 0.0, 0
        cur.append((lad, [(i, coords_of(wf, i)) for i in pts]))
        acc += c
        n_cur += len(pts)
    if cur:
        tasks.append(cur)
        task_costs.append(acc)
    # biggest first: long tasks start early, short ones fill the tail
    order = np.argsort(-np.asarray(task_costs), kind="stable")
    return [tasks[k] for k in order]
