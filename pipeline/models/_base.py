"""The model contract: what one module declares so the rest of spinsweep can run, store and reduce it.

A model module builds one :class:`Model` that names its grid parameters (beyond the common ``N``, ``T``
and ``seed``), the observables its sampler measures, the quantities derived from them, the update
rules it offers, and points at its simulation, exact reference, theory and reduction. Nothing else in
the code base switches on the model name.
"""

from __future__ import annotations

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
    """A quantity measured on every measurement sweep and stored with error bar, τ_int and bin means."""

    name: str
    long_name: str
    units: str = "1"


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


Simulate = Callable[..., dict[str, np.ndarray]]


@dataclass(frozen=True)
class Model:
    """Everything spinsweep needs to know about one model.

    Attributes
    ----------
    name : str
        The TOML ``model`` value, the registry key and the CLI name.
    params : tuple of Param
        Grid parameters beyond N, T and seed, in storage order.
    observables, derived : tuple
        What the sampler measures and what is computed from bin means.
    algorithms : tuple of str
        Allowed ``sampler.algorithm`` values; the first is the default.
    simulate : callable
        ``simulate(coords, sampler, streams) -> {observable: time series}``; see ``samplers._driver``.
    cost : callable
        ``cost(coords, sampler)``: relative work of a point (used to size tasks).
    convergence : tuple of str
        Observables whose first and second halves must agree for the ``converged`` flag.
    exact, theory : callable, optional
        Exact finite-N reference at a point (``exact(coords)``; disordered models take the point's
        ``streams`` too, since the answer depends on the sample), and the N → ∞ theory.
    reduce : callable, optional
        ``reduce(ds, settings) -> {"json": ..., "text": ..., "dataset": ...}``: the reduction of a stored
        sweep with the workflow's ``[reduce]`` settings (see :mod:`pipeline.reduce`).
    plot : callable, optional
        ``plot(ds, result, outdir) -> [paths]``: PNG figures of a sweep and its reduction.
    disorder : bool
        The model has quenched disorder (drawn per ``seed`` from the disorder stream, shared by every T).
    bench : callable, optional
        ``bench(N=..., T=..., sweeps=..., seed=..., **params) -> dict`` times the kernel alone
        (``flips_per_s`` = attempted updates per second) for ``spinsweep bench``.
    """

    name: str
    doc: str
    params: tuple[Param, ...]
    observables: tuple[Observable, ...]
    derived: tuple[Derived, ...]
    algorithms: tuple[str, ...]
    simulate: Simulate
    cost: Callable[[Coords, Any], float]
    convergence: tuple[str, ...]
    min_N: int = 2
    exact: Callable | None = None
    theory: Callable | None = None
    reduce: Callable | None = None
    plot: Callable | None = None
    bench: Callable | None = None
    disorder: bool = False
    sampler_options: Mapping[str, Any] = field(default_factory=dict)

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
