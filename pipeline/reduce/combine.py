"""Combine the independent samples (the ``seed`` dimension) of a stored sweep.

Each seed is an independent chain (and, for disordered models, an independent disorder sample), stored
with its bin means. Observables are averaged over seeds with the standard error of the pooled bins;
derived, non-linear quantities (U4, χ, ...) are recomputed from the pooled bin means with a jackknife
over all seed × bin blocks, which keeps their bias O(1/(S·B)) and their errors honest.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr

from pipeline.stats import jackknife


def pooled_bins(ds: xr.Dataset, var: str) -> xr.DataArray:
    """Bin means of ``var`` with ``seed`` and ``bin`` stacked into one ``block`` dimension."""
    b = ds[f"{var}_bins"]
    return b.stack(block=("seed", "bin")).reset_index("block", drop=True)


def combine_observable(ds: xr.Dataset, var: str) -> tuple[xr.DataArray, xr.DataArray]:
    """Mean over seeds and bins of an observable and its standard error from the pooled blocks."""
    b = pooled_bins(ds, var)
    n = b.sizes["block"]
    return b.mean("block"), b.std("block", ddof=1) / np.sqrt(n)


def combine_derived(
    ds: xr.Dataset, inputs: tuple[str, ...], func: Callable[..., np.ndarray]
) -> tuple[xr.DataArray, xr.DataArray]:
    """``func`` of pooled means of ``inputs`` (as numpy arrays), with a jackknife over blocks.

    ``func`` receives the arrays positionally, in the order of ``inputs``, with the block axis
    removed, broadcast over the other dimensions (N, T, ...).
    """
    blocks = [pooled_bins(ds, v) for v in inputs]
    dims = [d for d in blocks[0].dims if d != "block"]
    arrays = [blk.transpose(*dims, "block").values for blk in blocks]
    val, err = jackknife(func, *arrays)
    coords = {d: blocks[0][d] for d in dims}
    return xr.DataArray(val, dims=dims, coords=coords), xr.DataArray(err, dims=dims, coords=coords)
