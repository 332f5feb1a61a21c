"""Limits on what a workflow may ask for, and the estimates they are checked against.

A workflow that validates can still ask for more than any machine gives: ``seeds = 10**12`` (a grid of
10¹² points), ``N = [10**9]`` (couplings of 8·10¹⁸ bytes), ``sweeps = 10**15`` (years of work). These are
refused by :func:`pipeline.spec.workflow.validate` before anything is expanded, scheduled or written, each
in one line that names the field, the estimate and the limit. :class:`Limits` holds the limits (the
command line's ``--max-points``, ``--max-memory`` and ``--max-cost``); :func:`estimate` computes what a
validated workflow needs from the model's ``cost`` and ``memory`` (:func:`pipeline.models.unit_memory`).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.models import unit_memory
from pipeline.samplers import get_sampler

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.spec.workflow import Workflow

DEFAULT_MAX_POINTS = 10_000_000
"""Grid points (of the product grid, which the catalog stores whole): 10⁷."""
DEFAULT_MAX_COST = 1e15
"""Work of a whole sweep in the models' cost units (attempted flips, weighted by their cost): 10¹⁵ is
10⁵-10⁷ core-seconds at the models' measured 10⁸-10¹⁰ units/s (``Model.work_per_second``), up to days on a
cluster of a hundred cores."""
FALLBACK_MEMORY = 16 * 2**30
"""Physical memory assumed where the operating system does not tell (``os.sysconf``)."""


def physical_memory() -> int | None:
    """This machine's physical memory in bytes, or ``None`` where ``os.sysconf`` does not tell."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return int(pages) * int(size) if pages > 0 and size > 0 else None


def default_max_memory() -> int:
    """Half this machine's physical memory (half of :data:`FALLBACK_MEMORY` where it is unknown)."""
    return (physical_memory() or FALLBACK_MEMORY) // 2


@dataclass(frozen=True)
class Limits:
    """The most a workflow may ask for.

    Attributes
    ----------
    max_points : int
        Points of the product grid (checked from the axes' lengths, before any is expanded).
    max_memory_bytes : float
        Peak memory of one unit of work (one sample: its chains, disorder, tables and measurements).
        Default: half this machine's physical memory.
    max_cost : float
        The model's cost summed over the requested points (attempted flips, weighted).
    """

    max_points: int = DEFAULT_MAX_POINTS
    max_memory_bytes: float = field(default_factory=default_max_memory)
    max_cost: float = DEFAULT_MAX_COST

    def __post_init__(self):
        for name in ("max_points", "max_memory_bytes", "max_cost"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:
                raise ValueError(f"Limits.{name} = {v!r}: expected a number > 0")

    @property
    def memory_is_default(self) -> bool:
        return self.max_memory_bytes == default_max_memory()


_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*$")


def parse_bytes(text: str | int | float) -> int:
    """A size in bytes from ``16GiB``, ``500MB``, ``1.5e10`` or ``12000000000`` (KB, MB... are powers
    of 1000, KiB, MiB... of 1024).

    Raises
    ------
    ValueError
        If the text is not such a size, or not > 0.
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        m = _SIZE.match(str(text))
        unit = m.group(2).lower() if m else None
        if m is None or unit not in _UNITS:
            raise ValueError(f"{text!r}: expected a size in bytes such as 16GiB, 500MB or 12000000000")
        value = float(m.group(1)) * _UNITS[unit]
    if not (math.isfinite(value) and value >= 1):
        raise ValueError(f"{text!r}: expected a size of at least 1 byte")
    return int(value)


def sci(x: float) -> str:
    """``4.0e12`` (one decimal, no '+' or leading zeros in the exponent) for messages."""
    if not math.isfinite(x):
        return str(x)
    mant, _, exp = f"{x:.1e}".partition("e")
    return f"{mant}e{int(exp)}"


@dataclass(frozen=True)
class Estimate:
    """What a validated workflow needs (:func:`estimate`).

    ``memory`` is the largest unit's peak (bytes), ``memory_parts`` its parts by what takes them,
    ``memory_at`` that unit's coordinates (without T and seed) and ``temperatures`` its temperatures (a
    ladder's, or 1); ``cost`` is the model's cost summed over the ``points`` requested points.
    """

    points: int
    cost: float
    memory: float
    memory_parts: dict[str, float]
    memory_at: dict[str, Any]
    temperatures: int


def estimate(wf: Workflow) -> Estimate:
    """Peak memory of the largest unit and the total cost of a validated workflow, without running it.

    The grid is visited per cell of its non-T, non-seed coordinates (N, the model's parameters), not per
    point: each cell's unit memory is evaluated at its highest requested temperature (tables grow with
    T), with the cell's requested temperatures for a ladder sampler, and its cost (a function of N and
    the model's parameters, the same for every T and seed) is counted once per requested point.
    """
    model = wf.model_def
    dims = model.dims
    t_ax, s_ax = dims.index("T"), dims.index("seed")
    mask = wf.requested()
    counts = mask.sum(axis=(t_ax, s_ax))
    temps_of = mask.any(axis=s_ax)  # (cells..., T) with T at t_ax
    temps_of = np.moveaxis(temps_of, t_ax, -1)
    ladder = get_sampler(wf.sampler.algorithm).ladder
    cell_dims = [d for d in dims if d not in ("T", "seed")]
    T_values = np.asarray(wf.grid["T"], dtype=float)
    total, best, best_parts, best_at, best_temps = 0.0, -1.0, {}, {}, 1
    for cell in np.argwhere(counts > 0):
        cell = tuple(int(i) for i in cell)
        at = {d: wf.grid[d][i] for d, i in zip(cell_dims, cell, strict=True)}
        Ts = T_values[temps_of[cell]]
        coords = {**at, "T": float(Ts.max()), "seed": 0}
        total += float(model.cost(coords, wf.sampler)) * int(counts[cell])
        n_t = int(Ts.size) if ladder else 1
        parts = {k: float(v) for k, v in unit_memory(model, coords, wf.sampler, n_t).items()}
        mem = sum(parts.values())
        if mem > best:
            best, best_parts, best_at, best_temps = mem, parts, at, n_t
    return Estimate(points=int(counts.sum()), cost=total, memory=best, memory_parts=best_parts,
                    memory_at=best_at, temperatures=best_temps)
