"""The layout of a sweep's group: its dimensions, coordinates and variables, stored with the sweep.

The run layer builds a :class:`Layout` from the model and the sampler when a sweep is created; the
store writes it into the group's attributes (``layout``, JSON) and from then on reads everything it
needs from there. So ``catalog list/show/query`` and the writer never import a model: a sweep whose
model module is gone still opens, lists and answers queries.

Per-point variables span the grid dimensions (plus their own, e.g. ``bin`` or ``q``); ladder variables
(parallel tempering) span the grid dimensions without ``T`` (plus e.g. ``T_pair``). Arrays are chunked
one value at a time along the first ``n_outer`` grid dimensions (N and the numeric model parameters)
and whole along the others.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Variable:
    """One stored variable: its dimensions, dtype (``"f8"``, ``"i8"`` or ``"bool"``) and attributes."""

    dims: tuple[str, ...]
    dtype: str
    attrs: dict[str, str] = field(default_factory=dict)
    ladder: bool = False


@dataclass(frozen=True)
class Layout:
    """Dimensions, coordinates and variables of one sweep group.

    Attributes
    ----------
    dims : tuple of str
        Grid dimensions in storage order (``N``, numeric parameters, ``T``, ``seed``, categorical ones).
    n_outer : int
        How many leading grid dimensions are chunked one value at a time.
    coords : dict
        Values of every dimension: the grid's and the variables' own (``bin``, ``q``, ``T_pair``).
    coord_attrs : dict
        Attributes of the coordinates (long names, units).
    variables : dict of Variable
        Data variables, ``done`` and ``requested`` excluded (the store adds them).
    """

    dims: tuple[str, ...]
    n_outer: int
    coords: dict[str, list]
    variables: dict[str, Variable]
    coord_attrs: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def ladder_dims(self) -> tuple[str, ...]:
        """The dimensions of a ladder index: the grid's without ``T``."""
        return tuple(d for d in self.dims if d != "T")

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(self.coords[d]) for d in self.dims)

    @property
    def categorical(self) -> tuple[str, ...]:
        """Dimensions whose values are strings."""
        return tuple(d for d in self.coords if self.coords[d] and isinstance(self.coords[d][0], str))

    def point_variables(self) -> list[str]:
        return [k for k, v in self.variables.items() if not v.ladder]

    def ladder_variables(self) -> list[str]:
        return [k for k, v in self.variables.items() if v.ladder]

    def to_json(self) -> str:
        d = asdict(self)
        return json.dumps(d, default=_plain)

    @classmethod
    def from_json(cls, text: str) -> Layout:
        d = json.loads(text)
        variables = {k: Variable(tuple(v["dims"]), v["dtype"], v.get("attrs", {}), v.get("ladder", False))
                     for k, v in d["variables"].items()}
        return cls(tuple(d["dims"]), int(d["n_outer"]), d["coords"], variables, d.get("coord_attrs", {}))


def _plain(v: Any) -> Any:
    if hasattr(v, "tolist"):
        return v.tolist()
    if hasattr(v, "item"):
        return v.item()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")
