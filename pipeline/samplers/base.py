"""What a sampler is: its validated settings, what it needs of a model, and how it runs one unit of work.

A sampler drives a model's kernels over a set of chains that share one disorder sample: a single grid
point (its replicas at one temperature) for Metropolis and heat bath, a whole temperature ladder for
parallel tempering. :class:`ChainSet` is the generic engine behind all three: it holds the chains'
state, runs the compiled loop of :mod:`pipeline.samplers._kernels` in chunks (choosing the model's
move variant per chunk), and collects the measurement records and ladder statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from pipeline.models import Model
from pipeline.rng.streams import Streams, seed_sequence
from pipeline.rng.xoshiro import state_from_words
from pipeline.samplers import _kernels


class SamplerSettings(BaseModel):
    """Monte Carlo settings shared by every point of a sweep (a sweep is N attempted updates per chain)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    algorithm: str
    thermalize: int = Field(default=1000, ge=0, description="sweeps before measuring")
    sweeps: int = Field(default=10000, ge=1, description="measurement sweeps")
    measure_every: int = Field(default=1, ge=1, description="sweeps between measurements")
    bins: int = Field(default=32, ge=4, le=4096, description="bins for errors; their means are stored")
    options: dict[str, Any] = Field(default_factory=dict, description="model options")

    @property
    def n_measurements(self) -> int:
        return self.sweeps // self.measure_every


class SingleFlipSettings(SamplerSettings):
    """Settings of the single-flip samplers: the site schedule on top of the common ones."""

    sites: Literal["model", "sequential", "random"] = Field(
        default="model", description="site schedule: the model's own, sequential i = 0..N-1, or random sites")


@dataclass(frozen=True)
class UnitResult:
    """What one unit (a point, or a ladder) gives: per-temperature series and ladder statistics."""

    coords: list[dict[str, Any]]
    series: list[dict[str, np.ndarray]]
    ladder: dict[str, Any] | None = None


@dataclass(frozen=True)
class Sampler:
    """A sampler as the rest of spinsweep sees it.

    Attributes
    ----------
    name : str
        The ``[sampler] algorithm`` value.
    settings : type
        Its pydantic settings (``extra = "forbid"``): the keys ``[sampler]`` may hold with it.
    ladder : bool
        One unit is every temperature of a sample (parallel tempering), never split.
    missing : callable
        ``missing(model) -> str | None``: what the model lacks for this sampler (``None``: it can serve).
    run : callable
        ``run(model, coords_list, settings, workflow_seed) -> UnitResult``.
    ladder_variables : mapping
        Ladder-level outputs: name -> (extra dims, dtype, attrs).
    """

    name: str
    doc: str
    settings: type[SamplerSettings]
    missing: Callable[[Model], str | None]
    run: Callable[..., UnitResult]
    ladder: bool = False
    ladder_variables: Mapping[str, tuple[tuple[str, ...], str, dict[str, str]]] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------
# the generic chain engine
# ---------------------------------------------------------------------------------------------------

CHUNK_WORK = 2e6
"""Work (the model's ``sweep_cost`` summed over chains) per compiled call: 10-50 ms, so the Python loop
costs nothing and a model's move variant can switch in time."""


def _concat(parts: Sequence[tuple]) -> tuple:
    return tuple(np.ascontiguousarray(np.concatenate([p[k] for p in parts], axis=0)) for k in range(len(parts[0])))


class ChainSet:
    """The chains of one unit: ``n_T`` temperatures × ``R`` replicas on one disorder sample.

    ``replicas`` = R chains per temperature (``None``: the model's :attr:`~pipeline.models.Model.replicas`).
    Chain ``t·R + r`` starts at temperature ``t`` as replica ``r``, with the thermal stream that a
    single-temperature run of that point would use for replica ``r`` (``Streams(...).thermal(r)``): a
    stream is a function of the coordinates, never of the order of work.
    """

    def __init__(self, model: Model, coords_list: Sequence[Mapping[str, Any]], settings: SamplerSettings,
                 workflow_seed: int, rule: str, replicas: int | None = None, variant: str | None = None):
        flips = model.flips
        self.blocks = model.blocks if rule == "block_gibbs" else None
        assert flips is not None or self.blocks is not None
        self.model, self.flips, self.settings = model, flips, settings
        self.coords = [dict(c) for c in coords_list]
        base = self.coords[0]
        streams = [Streams(workflow_seed, model.name, c, disorder_exclude=model.disorder_exclude)
                   for c in self.coords]
        opts = dict(settings.options)
        self.dis = model.draw_disorder(base, streams[0].disorder())
        if model.screen is not None:
            self.dis = model.screen(self.dis, opts)
        if replicas is None:  # the model's: a number, or one per disorder sample (e.g. one per pattern)
            replicas = model.replicas(self.dis) if callable(model.replicas) else model.replicas
        R = self.R = int(replicas)
        n_t = len(self.coords)
        self.rngs = np.stack([s.thermal(r) for s in streams for r in range(R)])
        self.state = _concat([model.init_state(c, self.dis, self.rngs[t * R:(t + 1) * R], opts)
                              for t, c in enumerate(self.coords)])
        self.N = int(self.state[0].shape[1])
        temps = np.array([float(c["T"]) for c in self.coords])
        self.betas = 1.0 / temps
        if self.blocks is not None or flips.continuous or flips.proposal:  # β in column 0
            self.tables, self.kfree = metropolis_rows(self.betas[:, None]), 0
        elif rule == "metropolis":
            acc, self.kfree = flips.metropolis_table(self.N, self.dis, temps)
            self.tables = metropolis_rows(acc)
        else:
            self.tables, self.kfree = flips.heatbath_table(self.N, self.dis, temps), 0
        self.rule = rule
        order = flips.site_order if flips is not None and getattr(settings, "sites", "model") == "model" \
            else getattr(settings, "sites", "sequential")
        self.random_site = order == "random"
        self.slots = np.arange(n_t * R, dtype=np.int64).reshape(n_t, R)
        self.temp_of = np.repeat(np.arange(n_t, dtype=np.int64), R)
        ladder_key = {k: v for k, v in base.items() if k != "T"}
        ss = seed_sequence(workflow_seed, model.name, "ladder", ladder_key)
        self.ladder_rng = state_from_words(ss.generate_state(4, np.uint64))
        self.variant: str | None = None
        self.forced = variant  # run one move variant only (tests: every variant is the same chain)
        self.generic = False  # True: ignore the variants' fused sweeps (tests: they are the same chain)
        self.acc_rate: float | None = None
        moves = self.blocks if self.blocks is not None else flips
        cost = moves.sweep_cost(self.dis) if moves.sweep_cost else float(self.N)
        self.chunk = max(1, int(CHUNK_WORK // (len(self.temp_of) * cost)))
        self.variant_sweeps: dict[str, int] = {}
        w = model.record_width
        self.width = int(w(self.dis) if callable(w) else w)
        self.reset_counters()

    def reset_counters(self) -> None:
        C, n_t = len(self.temp_of), len(self.coords)
        self.accepted = np.zeros(C, np.int64)
        self.swap_tries = np.zeros(max(n_t - 1, 0), np.int64)
        self.swap_acc = np.zeros(max(n_t - 1, 0), np.int64)
        self.walker_state = np.zeros(C, np.int64)
        self.trips = np.zeros(self.R, np.int64)
        self.attempted = 0

    def fused(self, v) -> tuple:
        """The variant's own sweeps for this rule (random, sequential), unless the generic loop is forced."""
        if self.generic:
            return (None, None)
        return (v.fused.get(f"{self.rule}/random"), v.fused.get(f"{self.rule}/sequential"))

    def _pick(self, sweeps_left: int) -> str:
        f = self.flips
        if self.forced is not None:
            return self.forced
        if f.select is None or len(f.variants) == 1:
            return f.variants[0].name
        return f.select(self.dis, self.acc_rate, sweeps_left, self.variant)

    def advance(self, n_sweeps: int, every: int = 0, swap_every: int = 0, out: np.ndarray | None = None,
                rec: int = 0) -> int:
        """Run ``n_sweeps`` sweeps of every chain, measuring every ``every``-th into ``out`` from row ``rec``."""
        if out is None:
            out = np.empty((len(self.coords), 0, self.width), self.model.record_dtype)
        done = 0
        step = self.chunk if every == 0 else every * max(1, self.chunk // every)
        if self.blocks is not None:
            return self._advance_blocks(n_sweeps, step, every, swap_every, out, rec)
        while done < n_sweeps:
            n = min(step, n_sweeps - done)
            if self.acc_rate is None and len(self.flips.variants) > 1 and self.forced is None:  # a short pilot measures acceptance
                n = min(n, max(1, step // 8) if every == 0 else every)
            name = self._pick(n_sweeps - done)
            if name != self.variant and self.flips.prepare is not None:
                self.state, self.dis = self.flips.prepare(name, self.state, self.dis)
            self.variant = name
            v = self.flips.variant(name)
            before = int(self.accepted.sum())
            rec = _kernels.chain_run(self.rule, v.delta, v.apply, self.flips.energy, self.model.measure,
                                     self.state, self.dis, self.tables, self.kfree, self.random_site, self.slots,
                                     self.temp_of, self.betas, n, done, every, swap_every, self.rngs,
                                     self.ladder_rng, out, rec, self.accepted, self.swap_tries, self.swap_acc,
                                     self.walker_state, self.trips,
                                     fused=self.fused(v), continuous=self.flips.continuous,
                                     proposal=self.flips.proposal)
            self.acc_rate = (int(self.accepted.sum()) - before) / (len(self.temp_of) * self.N * n)
            self.attempted += len(self.temp_of) * self.N * n
            self.variant_sweeps[name] = self.variant_sweeps.get(name, 0) + n
            done += n
        return rec

    def _advance_blocks(self, n_sweeps: int, step: int, every: int, swap_every: int, out: np.ndarray,
                        rec: int) -> int:
        """:meth:`advance` for block Gibbs: the model's two conditionals per chain and sweep."""
        b, done = self.blocks, 0
        while done < n_sweeps:
            n = min(step, n_sweeps - done)
            rec = _kernels.chain_run("block_gibbs", b.hidden, b.visible, b.energy, self.model.measure,
                                     self.state, self.dis, self.tables, 0, False, self.slots, self.temp_of,
                                     self.betas, n, done, every, swap_every, self.rngs, self.ladder_rng, out, rec,
                                     self.accepted, self.swap_tries, self.swap_acc, self.walker_state, self.trips)
            self.attempted += len(self.temp_of) * self.N * n
            done += n
        return rec

    def run(self, swap_every: int = 0) -> np.ndarray:
        """Thermalise, then measure: the records (n_T, n_meas, width)."""
        s = self.settings
        self.advance(int(s.thermalize), 0, swap_every)
        self.reset_counters()
        every = int(s.measure_every)
        n_meas = int(s.sweeps) // every
        out = np.empty((len(self.coords), n_meas, self.width), self.model.record_dtype)
        rec = self.advance(n_meas * every, every, swap_every, out, 0)
        assert rec == n_meas
        return out

    def series(self, out: np.ndarray) -> list[dict[str, np.ndarray]]:
        return [self.model.series(out[t], c, self.dis) for t, c in enumerate(self.coords)]


def metropolis_rows(acc: np.ndarray) -> np.ndarray:
    """A model's Metropolis table with a trailing 0: the loop reads row[min(k, last)], no branch."""
    return np.ascontiguousarray(np.concatenate([acc, np.zeros((acc.shape[0], 1))], axis=1))


def lacks_flips(model: Model, *, heatbath: bool = False, energy: bool = False) -> str | None:
    """What a single-flip sampler misses in ``model``, or ``None``."""
    if model.flips is None:
        return "single-flip moves (Model.flips: a FlipMoves with delta/apply and a Metropolis table)"
    if heatbath and model.flips.proposal:
        return "a heat-bath rule (its moves are random proposals, for Metropolis only)"
    if heatbath and model.flips.heatbath_table is None and not model.flips.continuous:
        return "a heat-bath table (FlipMoves.heatbath_table)"
    if energy and model.flips.energy is None:
        return "an energy (FlipMoves.energy) for replica exchange"
    return None
