"""The model contract: what one module declares so that samplers can drive it and the store can hold it.

A model module builds one :class:`Model`: physics only. It names its grid parameters (beyond the common
``N``, ``T`` and ``seed``), its observables and the quantities derived from them, how it draws its
quenched disorder and its initial states, and numba kernels with a leading chain axis: its moves
(:class:`FlipMoves`) and its measurement. Samplers (``pipeline.samplers``) drive those kernels; the
reductions and figures that apply are named, not imported. Nothing else in the code base switches on
the model name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Coords = Mapping[str, Any]
"""One grid point: ``{"N": 64, "T": 1.0, "seed": 3, ...}`` plus the model's own parameters."""


@dataclass(frozen=True)
class Param:
    """A grid parameter of a model beyond N, T and seed (e.g. ``alpha``, ``init``).

    Parameters
    ----------
    name : str
        TOML key in ``[grid]``, xarray dimension, CLI ``--where`` name.
    kind : {"float", "int", "str"}
        Value type; numeric parameters are "outer" dimensions (chunked one value at a time).
    lo, hi : float, optional
        Allowed range; ``open_lo``/``open_hi`` make the bound strict.
    choices : tuple of str, optional
        Allowed values of a string parameter.
    default : list, optional
        Value used when the workflow leaves the parameter out (``None``: the parameter is required).
    """

    name: str
    kind: str
    doc: str
    lo: float | None = None
    hi: float | None = None
    open_lo: bool = False
    open_hi: bool = False
    choices: tuple[str, ...] | None = None
    default: tuple | None = None

    def allowed(self) -> str:
        """Human description of the allowed values, for error messages."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        lo = "" if self.lo is None else f"{self.lo} {'<' if self.open_lo else '<='} "
        hi = "" if self.hi is None else f" {'<' if self.open_hi else '<='} {self.hi}"
        return f"{lo}{self.name}{hi} ({self.kind})"

    def check(self, value: Any) -> str | None:
        """``None`` if ``value`` is allowed, else the reason why not."""
        if self.kind == "str":
            if not isinstance(value, str) or (self.choices is not None and value not in self.choices):
                return f"expected {self.allowed()}"
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, {self.allowed()}"
        if self.kind == "int" and not float(value).is_integer():
            return f"expected an integer, {self.allowed()}"
        if not np.isfinite(value):
            return f"expected a finite number, {self.allowed()}"
        if self.lo is not None and (value < self.lo or (self.open_lo and value == self.lo)):
            return f"expected {self.allowed()}"
        if self.hi is not None and (value > self.hi or (self.open_hi and value == self.hi)):
            return f"expected {self.allowed()}"
        return None


@dataclass(frozen=True)
class Observable:
    """A quantity measured on every measurement sweep.

    A scalar observable is stored with its error bar, τ_int and bin means. An array observable has its
    own coordinate (``dims = ("q",)``, ``coords = {"q": centres}``), e.g. a histogram, and is stored as
    its mean and binned error over that coordinate.
    """

    name: str
    long_name: str
    units: str = "1"
    dims: tuple[str, ...] = ()
    coords: Mapping[str, Any] = field(default_factory=dict)
    statistic: str = "mean"
    """``"mean"`` (stored with errors) or ``"min"``: stored as its minimum over the measurements (e.g. the
    lowest energy visited; an array observable element by element), with no error bar."""


@dataclass(frozen=True)
class Derived:
    """A quantity computed from bin means of observables, with a jackknife error.

    ``func(means, coords)`` receives a dict of arrays (one per name in ``inputs``, bins axis removed)
    and the grid point, and returns an array of the same shape.
    """

    name: str
    long_name: str
    inputs: tuple[str, ...]
    func: Callable[[dict[str, np.ndarray], Coords], np.ndarray]
    units: str = "1"


def _heat_capacity(v: dict[str, np.ndarray], c: Coords) -> np.ndarray:
    return c["N"] * (v["energy2"] - v["energy"] ** 2) / c["T"] ** 2


HEAT_CAPACITY = Derived("heat_capacity", "specific heat per spin N(<e^2> - <e>^2)/T^2", ("energy2", "energy"),
                        _heat_capacity)
"""C = N(⟨e²⟩ − ⟨e⟩²)/T² from the per-spin energy and its square: for any model measuring both."""


@dataclass(frozen=True)
class FlipVariant:
    """One implementation of a model's single-spin flip: ΔE and the update, as numba functions.

    ``delta(*state, *dis, c, i) -> k`` returns the integer energy level of flipping spin ``i`` of chain
    ``c`` (the model's table maps k to a Boltzmann weight), or for a model with continuous couplings
    (:attr:`FlipMoves.continuous`) the energy change ΔE itself (float); ``apply(*state, *dis, c, i)`` flips it and
    keeps the model's auxiliary arrays (magnetisation, overlaps, local fields) in step. Both receive the
    arrays of the state tuple and then of the disorder tuple as plain arguments (``@njit(inline=
    "always")``: the sampler's loop inlines them).
    Variants of one model (e.g. Hopfield's overlap and dense paths) make the same decisions with the
    same draws: the same chain bit for bit, at different costs.
    """

    name: str
    delta: Callable
    apply: Callable
    fused: Mapping[str, Callable] = field(default_factory=dict)
    """Optional one-chain sweeps of this variant for a rule and schedule, keyed ``"metropolis/random"``,
    ``"metropolis/sequential"``, ...: ``sweep(*state, *dis, c, row, kfree, last, rng) -> accepted``, the
    same chain (same decisions, same draws) as the generic loop over ``delta``/``apply`` with that rule,
    written out where the generic loop costs speed (e.g. a magnetisation kept in a register instead of in
    memory). Each must be tested equal to the generic loop."""


@dataclass(frozen=True)
class FlipMoves:
    """What single-flip samplers (Metropolis, heat bath, parallel tempering) need of an Ising-like model.

    Attributes
    ----------
    variants : tuple of FlipVariant
        Implementations of the move; the first is the default.
    energy : numba function
        ``energy(*state, *dis, c) -> float``: total energy H of chain ``c`` (not per spin), for replica
        exchange.
    metropolis_table : callable or None
        ``metropolis_table(N, dis, temps) -> (acc[n_T, L], kfree)``: acc[t, k] = min(1, e^{−ΔE(k)/T_t})
        for k = 0..L−1 (zero beyond the model's cut), and the no-draw threshold: a move with k < kfree is
        accepted without a draw (the model chooses its rule for ΔE = 0 moves). Tables are built from the
        temperatures, not from β, so that they are bit for bit those of a single-temperature run.
    heatbath_table : callable, optional
        ``heatbath_table(N, dis, temps) -> p_up[n_T, 2H+1]``: probability that spin i is +1 given its
        integer field h = σ_i·k, at index h + H (clipped to 0 or 1 beyond ±H).
    site_order : {"sequential", "random"}
        The model's default site schedule.
    select : callable, optional
        ``select(dis, acc_rate, sweeps_left, current) -> variant name``: which variant to run next
        (``acc_rate`` is None before the first chunk). Default: always the first.
    prepare : callable, optional
        ``prepare(name, state, dis) -> (state, dis)``: build what variant ``name`` needs (e.g. a
        coupling matrix and local fields) before it runs.
    sweep_cost : callable, optional
        ``sweep_cost(dis) -> float``: relative work of one sweep of one chain (sizes the chunks).
    continuous : bool
        ``delta`` returns ΔE (float) rather than a level: Metropolis accepts ΔE ≤ 0 without a draw,
        else iff u < exp(−β ΔE) (computed per attempt, no table; ``metropolis_table`` may be None); heat
        bath sets σ_i = +1 iff u < 1/(1 + exp(−β σ_i ΔE)) (σ_i ΔE = 2 h_i, h_i the local field).
    """

    variants: tuple[FlipVariant, ...]
    energy: Callable
    metropolis_table: Callable | None
    heatbath_table: Callable | None = None
    site_order: str = "sequential"
    select: Callable | None = None
    prepare: Callable | None = None
    sweep_cost: Callable | None = None
    continuous: bool = False
    proposal: bool = False
    """``delta(*state, *dis, c, i, rng) -> ΔE`` draws a random proposal at site ``i`` from the chain's stream
    and stores it in the chain's state for ``apply`` (e.g. a rotation of two continuous weights); the
    proposal must be symmetric. Implies ``continuous``; Metropolis only (no heat bath)."""

    def variant(self, name: str) -> FlipVariant:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(name)


@dataclass(frozen=True)
class BlockMoves:
    """What block Gibbs needs of a two-layer model (an RBM): its two conditionals, each sampled whole.

    Given one layer the units of the other are independent, so a layer is drawn at once:
    ``hidden(*state, *dis, c, beta, rng)`` draws every hidden unit of chain ``c`` from P(h | v) at inverse
    temperature ``beta`` from the chain's stream ``rng``, ``visible(...)`` every visible unit from P(v | h);
    one sweep is ``hidden`` then ``visible``. ``energy(*state, *dis, c) -> float`` is the joint energy
    (for measurements and replica exchange); ``sweep_cost(dis)`` the relative work of one sweep of one
    chain (sizes the compiled chunks).
    """

    hidden: Callable
    visible: Callable
    energy: Callable
    sweep_cost: Callable | None = None


@dataclass(frozen=True)
class BenchCase:
    """The set-up of a model's C reference benchmark, for ``spinsweep bench`` (``pipeline.samplers.bench``).

    The chains' ``state``, ``dis`` and thermal streams ``rngs`` as the C program draws them, the rule's
    ``tables`` and ``kfree``, the site schedule, the move variant, a measurement kernel and its record
    width (recorded after every sweep), and ``sanity(state, out, accepted, sweeps) -> dict``: the numbers
    the C program prints, which a faithful port reproduces exactly.
    """

    state: tuple
    dis: tuple
    rngs: np.ndarray
    tables: np.ndarray
    kfree: int
    random_site: bool
    variant: str
    measure: Callable
    record_width: int
    sanity: Callable
    info: Mapping[str, Any]
    record_dtype: Any = np.int64


@dataclass(frozen=True)
class Model:
    """Everything spinsweep needs to know about one model: physics only.

    A model declares its parameters, observables, how it draws its quenched disorder and its initial
    states, and numba kernels over a leading chain axis (its moves and its measurement). Samplers in
    :mod:`pipeline.samplers` drive it; reductions and figures are named recipes it points at by name.

    Attributes
    ----------
    name : str
        The TOML ``model`` value, the registry key and the CLI name.
    params : tuple of Param
        Grid parameters beyond N, T and seed, in storage order; numeric ones shape the disorder,
        categorical ones (such as ``init``) the initial state.
    observables, derived : tuple
        What the measurement gives (scalars, or arrays over their own coordinate, e.g. ``P_q`` over
        ``q``) and what is computed from bin means.
    replicas : int or callable
        Chains per temperature that the measurement uses together (2 for two-replica overlaps), or
        ``replicas(dis) -> int`` where the number follows the disorder sample (e.g. one restricted chain
        per pattern).
    draw_disorder : callable
        ``draw_disorder(coords, gen) -> dis``: the sample's quenched disorder (a tuple of arrays) from
        the disorder ``numpy.random.Generator``; T-free, so every temperature of a sample shares it.
    init_state : callable
        ``init_state(coords, dis, rngs, options) -> state``: the state tuple of ``len(rngs)`` chains (spins
        first, int8[C, N]), drawn from their thermal streams (uint64[C, 4], advanced in place).
    flips : FlipMoves, optional
        Single-flip moves (what Metropolis, heat bath and parallel tempering need).
    blocks : BlockMoves, optional
        The two conditionals of a two-layer model (what block Gibbs needs).
    measure : numba function
        ``measure(*state, *dis, chains, row)``: one measurement of the replicas ``chains`` (int64[R]) of
        one temperature into ``row`` (``record_width`` entries of ``record_dtype``; ``record_width`` may be
        a function of the disorder, e.g. one column per pattern).
    series : callable
        ``series(records, coords, dis) -> {observable: time series}`` from the records (n_meas, width);
        an array observable's series has shape (n_meas, len(coordinate)).
    cost : callable
        ``cost(coords, sampler)``: relative work of a point (used to size tasks).
    work_per_second : float
        Units of ``cost`` one core gets through per second, measured on the model's shipped workflows
        (2-core Zen 5 EPYC, whole runs: within about 2x across them); the plan's time estimate.
    convergence : tuple of str
        Observables whose first and second halves must agree for the ``converged`` flag.
    exact, theory : callable, optional
        Exact finite-N reference at a point (``exact(coords)``; disordered models take the point's
        ``streams`` too), and the N → ∞ theory.
    reductions, figures : tuple of str
        Names of the recipes in :mod:`pipeline.reduce` and :mod:`pipeline.plot` that apply.
    disorder : bool
        The model has quenched disorder (drawn per ``seed``, shared by every T).
    bench : callable, optional
        ``bench(N=..., T=..., seed=..., **params) -> BenchCase``: the set-up of the model's C reference,
        which ``spinsweep bench`` runs through the production sampler loop.
    sampler_options : mapping of Param
        Model options set in ``[sampler] options`` (e.g. the noise of ``noisy`` starts).
    screen : callable, optional
        ``screen(dis, options) -> dis``: the disorder a unit runs on, from the drawn one and the model options
        (e.g. the basins ``hopfield_branches`` integrates); every later call (``replicas``, ``init_state``, the
        kernels, ``series``) sees its result. ``None``: the drawn disorder.
    constraints : callable, optional
        ``constraints(grid) -> [(key, value, why), ...]``: what the grid's values violate together (e.g. an
        even N with ±1 inputs), checked by ``spinsweep validate`` before anything runs.
    windows : tuple of str
        Scalar observables whose means over logarithmic windows of the measurements are stored (the
        last half, the quarter before it, ...) with an ``equilibrated`` flag: the equilibration check of
        glassy models.
    memory : callable, optional
        ``memory(coords, sampler, temperatures) -> {what: bytes}``: the peak memory of one unit at the point,
        ``temperatures`` temperatures (a parallel-tempering ladder; 1 otherwise) of ``replicas`` chains each
        on one disorder sample, run with the ``sampler`` settings; ``coords["T"]`` is the unit's highest
        temperature. Keyed by what takes the memory, naming its size (e.g. ``"couplings N^2 float64"``);
        :func:`measurement_memory` gives the part of the records and series. ``spinsweep validate`` refuses a
        workflow whose largest unit needs more than the machine has (:func:`unit_memory`; without it, a
        generic estimate: the spins and the measurements).
    """

    name: str
    doc: str
    params: tuple[Param, ...]
    observables: tuple[Observable, ...]
    derived: tuple[Derived, ...]
    draw_disorder: Callable
    init_state: Callable
    measure: Callable
    record_width: int | Callable[[tuple], int]
    series: Callable
    cost: Callable[[Coords, Any], float]
    convergence: tuple[str, ...]
    flips: FlipMoves | None = None
    blocks: BlockMoves | None = None
    record_dtype: Any = np.int64
    replicas: int | Callable[[tuple], int] = 1
    min_N: int = 2
    exact: Callable | None = None
    theory: Callable | None = None
    reductions: tuple[str, ...] = ()
    figures: tuple[str, ...] = ()
    bench: Callable | None = None
    disorder: bool = False
    sampler_options: Mapping[str, Any] = field(default_factory=dict)
    screen: Callable[[tuple, Mapping[str, Any]], tuple] | None = None
    windows: tuple[str, ...] = ()
    constraints: Callable[[Mapping[str, tuple]], list[tuple[str, Any, str]]] | None = None
    memory: Callable[[Coords, Any, int], Mapping[str, float]] | None = None
    work_per_second: float = 1e8

    @property
    def outer_params(self) -> tuple[Param, ...]:
        """Numeric parameters: stored as dimensions between N and T."""
        return tuple(p for p in self.params if p.kind != "str")

    @property
    def inner_params(self) -> tuple[Param, ...]:
        """Categorical parameters: stored as dimensions after seed."""
        return tuple(p for p in self.params if p.kind == "str")

    @property
    def dims(self) -> tuple[str, ...]:
        """Storage order of the grid dimensions."""
        return ("N", *(p.name for p in self.outer_params), "T", "seed", *(p.name for p in self.inner_params))

    @property
    def disorder_exclude(self) -> tuple[str, ...]:
        """Coordinates the disorder stream ignores: T and the categorical (initial-state) parameters."""
        return ("T", *(p.name for p in self.inner_params))


MEASUREMENTS = "measurement records and series"
"""The key of :func:`measurement_memory`'s part (it grows with ``[sampler] sweeps``, not with N)."""


def measurement_memory(model: Model, sampler, temperatures: int, width: int) -> dict[str, float]:
    """Bytes of a unit's measurements: the records (``temperatures`` × measurements × ``width`` of the
    model's ``record_dtype``), kept until the unit ends, and the series made from them (float64: one per
    scalar observable, one per coordinate value of an array observable, about twice the record's width for
    the model's arithmetic on it, and a few for the statistics' workspace), for every temperature."""
    n = float(sampler.sweeps // max(1, sampler.measure_every))
    per = sum(math.prod(len(o.coords[d]) for d in o.dims) for o in model.observables)
    records = temperatures * n * width * np.dtype(model.record_dtype).itemsize
    series = temperatures * n * 8.0 * (per + 2 * width + 8)
    return {MEASUREMENTS: records + series}


def unit_memory(model: Model, coords: Coords, sampler, temperatures: int = 1) -> dict[str, float]:
    """The parts of the peak memory of one unit at ``coords`` (see :attr:`Model.memory`), in bytes.

    A model without ``memory`` gets a generic estimate: its chains' spins (int8) and its measurements (a
    record width that depends on the disorder counts as 1): a lower bound.
    """
    if model.memory is not None:
        return dict(model.memory(coords, sampler, temperatures))
    per_t = model.replicas if isinstance(model.replicas, int) else 1  # a per-sample count: at least 1
    N, chains = float(coords["N"]), temperatures * per_t
    width = model.record_width if isinstance(model.record_width, int) else 1
    return {"spins chains x N int8": chains * N, **measurement_memory(model, sampler, temperatures, width)}
