"""Model registry: one module per model, one line here (see the README's "adding a model").

>>> from pipeline.models import get_model
>>> get_model("curie_weiss").name
'curie_weiss'
"""

from __future__ import annotations

import importlib

from pipeline.errors import SpecError
from pipeline.models._base import (
    HEAT_CAPACITY,
    MEASUREMENTS,
    BenchCase,
    BlockMoves,
    Derived,
    FlipMoves,
    FlipVariant,
    Model,
    Observable,
    Param,
    measurement_memory,
    unit_memory,
)

__all__ = ["HEAT_CAPACITY", "MEASUREMENTS", "BenchCase", "BlockMoves", "Derived", "FlipMoves", "FlipVariant", "Model",
           "Observable", "Param", "available", "get_model", "measurement_memory", "unit_memory"]

# name -> module that defines MODEL
_REGISTRY = {
    "curie_weiss": "pipeline.models.curie_weiss",
    "hopfield": "pipeline.models.hopfield",
    "hopfield_branches": "pipeline.models.hopfield_branches",
    "sk": "pipeline.models.sk",
    "rbm": "pipeline.models.rbm",
    "perceptron": "pipeline.models.perceptron",
}
_cache: dict[str, Model] = {}


def available() -> list[str]:
    """Registered model names, sorted."""
    return sorted(_REGISTRY)


def get_model(name: str) -> Model:
    """The :class:`Model` registered as ``name``.

    Raises
    ------
    SpecError
        If no model of that name is registered (the message lists those that are).
    """
    if name not in _REGISTRY:
        raise SpecError(f"model {name!r} not registered; available: {', '.join(available())}")
    if name not in _cache:
        _cache[name] = importlib.import_module(_REGISTRY[name]).MODEL
    return _cache[name]
