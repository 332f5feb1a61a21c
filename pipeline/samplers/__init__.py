"""Samplers drive models: Metropolis, heat bath and parallel tempering over chains of any model that
exposes the pieces they need (see :mod:`pipeline.samplers.base`), and block Gibbs over two-layer models
(RBMs). One module per sampler, one line in the registry.
"""

from __future__ import annotations

import importlib

from pipeline.errors import SpecError
from pipeline.samplers.base import Sampler, SamplerSettings

__all__ = ["Sampler", "SamplerSettings", "available", "get_sampler", "make_settings"]

_REGISTRY = {
    "metropolis": "pipeline.samplers.metropolis",
    "heatbath": "pipeline.samplers.heatbath",
    "parallel_tempering": "pipeline.samplers.parallel_tempering",
    "block_gibbs": "pipeline.samplers.block_gibbs",
}
_cache: dict[str, Sampler] = {}


def available() -> list[str]:
    """Registered sampler names."""
    return list(_REGISTRY)


def get_sampler(name: str) -> Sampler:
    """The :class:`Sampler` registered as ``name``."""
    if name not in _REGISTRY:
        raise SpecError(f"sampler {name!r} not registered; available: {', '.join(available())}")
    if name not in _cache:
        _cache[name] = importlib.import_module(_REGISTRY[name]).SAMPLER
    return _cache[name]


def make_settings(algorithm: str, **settings) -> SamplerSettings:
    """Validated settings of sampler ``algorithm`` (e.g. ``make_settings("metropolis", sweeps=2000)``)."""
    return get_sampler(algorithm).settings(algorithm=algorithm, **settings)
