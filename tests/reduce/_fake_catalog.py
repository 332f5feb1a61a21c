"""A catalog stand-in holding one sweep in memory (what reduce_sweep and plot_sweep use of a catalog)."""

from __future__ import annotations

import json

import numpy as np


class FakeCatalog:
    """``attrs``, ``open``, ``done_mask``, ``requested_mask``, ``write_reduction``, ``open_reduction``."""

    def __init__(self, name, ds, reductions=(), plots=(), settings=None, done=None, spec_hash="h1"):
        self.name, self.ds = name, ds
        self._attrs = {"spec_hash": spec_hash, "reduce_settings": json.dumps(settings or {}),
                       "reductions": json.dumps(list(reductions)), "plots": json.dumps(list(plots))}
        shape = tuple(ds.sizes[d] for d in ("N", "T"))
        self.done = np.ones(shape, bool) if done is None else done
        self.reduction = None
        self.writes = 0

    def attrs(self, name):
        assert name == self.name
        return dict(self._attrs)

    def open(self, name):
        assert name == self.name
        return self.ds

    def done_mask(self, name):
        return self.done

    def requested_mask(self, name):
        return np.ones_like(self.done, dtype=bool)

    def write_reduction(self, name, red):
        self.reduction = red
        self.writes += 1

    def open_reduction(self, name):
        return self.reduction

