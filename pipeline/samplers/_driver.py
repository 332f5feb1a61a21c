"""Run one grid point: simulate, then reduce its time series to stored statistics.

This is the only place that turns a model's raw measurements into what the catalog stores: for each
observable its mean, binned error, τ_int and bin means; for each derived quantity its jackknife value
and error; and a ``converged`` flag. Workers call :func:`run_points`; nothing here knows about Dask or
zarr.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from pipeline.models import Model, get_model
from pipeline.run.seeds import Streams
from pipeline.stats import bin_means, binned_error, jackknife, tau_int

CONVERGENCE_Z = 4.0
"""First- and second-half means of each convergence observable must agree within this many σ."""


def summarize_point(model: Model, coords: Mapping[str, Any], series: Mapping[str, np.ndarray],
                    n_bins: int) -> dict[str, Any]:
    """Statistics of one point from its measurement time series.

    Returns a flat dict: ``<obs>``, ``<obs>_err``, ``tau_int_<obs>``, ``<obs>_bins`` (array of
    ``n_bins``) for each observable; ``<derived>``, ``<derived>_err`` for each derived quantity;
    ``converged`` (bool).

    Notes
    -----
    Errors of observables are standard errors of the bin means, honest while a bin is much longer
    than τ_int (the stored τ_int lets a reader check). Derived quantities get a jackknife over bins.
    ``converged`` compares the means of the first and second halves of the bins of each of
    ``model.convergence`` (|Δ| < 4σ of the difference): a drift left by too short a thermalisation
    shows up as a disagreement.
    """
    out: dict[str, Any] = {}
    bins: dict[str, np.ndarray] = {}
    for obs in model.observables:
        x = np.asarray(series[obs.name], dtype=np.float64)
        b = bin_means(x, n_bins)
        bins[obs.name] = b
        out[obs.name] = float(b.mean())
        out[f"{obs.name}_err"] = float(binned_error(b))
        with warnings.catch_warnings():  # a short series is flagged by its stored τ_int, not on stderr
            warnings.simplefilter("ignore", RuntimeWarning)
            out[f"tau_int_{obs.name}"] = float(tau_int(x))
        out[f"{obs.name}_bins"] = b
    for d in model.derived:
        val, err = jackknife(lambda *m, d=d: d.func(dict(zip(d.inputs, m, strict=True)), coords),
                             *(bins[k] for k in d.inputs))
        out[d.name] = float(val)
        out[f"{d.name}_err"] = float(err)
    half = n_bins // 2
    ok = True
    for name in model.convergence:
        a, b = bins[name][:half], bins[name][half:2 * half]
        diff = abs(a.mean() - b.mean())
        sigma = np.hypot(binned_error(a), binned_error(b))
        if diff > 0 and not diff <= CONVERGENCE_Z * sigma:
            ok = False
    out["converged"] = ok
    return out


def run_point(model: Model, coords: Mapping[str, Any], sampler, workflow_seed: int) -> dict[str, Any]:
    """Simulate one grid point and summarise it (see :func:`summarize_point`)."""
    exclude = ("T", *(p.name for p in model.inner_params))
    streams = Streams(workflow_seed, model.name, coords, disorder_exclude=exclude)
    series = model.simulate(coords, sampler, streams)
    return summarize_point(model, coords, series, sampler.bins)


def run_points(model_name: str, points: list[tuple[tuple[int, ...], dict[str, Any]]], sampler,
               workflow_seed: int) -> list[tuple[tuple[int, ...], dict[str, Any]]]:
    """Worker entry point: run a task's points; returns ``[(index, result), ...]``."""
    model = get_model(model_name)
    return [(idx, run_point(model, coords, sampler, workflow_seed)) for idx, coords in points]
