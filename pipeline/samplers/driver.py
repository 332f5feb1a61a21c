"""Run one task on a worker: its units through the sampler, then the stored statistics of every point.

This is the only place that turns a model's measurement series into what the catalog stores: for each
scalar observable its mean, binned error, τ_int and bin means; for each array observable (e.g. ``P_q``)
its mean and binned error over its coordinate; for each derived quantity its jackknife value and error;
and a ``converged`` flag. :func:`stored_variables` declares the same names for the store's layout.
Nothing here knows about Dask or zarr.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pipeline.models import Model, get_model
from pipeline.samplers import get_sampler
from pipeline.samplers.base import Sampler, SamplerSettings
from pipeline.stats import bin_means, binned_error, jackknife, tau_int

CONVERGENCE_Z = 4.0
"""First- and second-half means of each convergence observable must agree within this many σ."""

N_WINDOWS = 4
"""Logarithmic windows of the measurements: window w holds measurements n/2^(w+1) .. n/2^w (w = 0 the
last half, 1 the quarter before it, ...)."""
WINDOW_BINS = 16
"""Bins per window for its error (fewer where the window is shorter)."""
EQUILIBRATION_P = 1e-4
"""A point fails the log-binning check when a checked window (:data:`CHECKED_WINDOWS`) differs from the last
half with a two-sided p-value below this (Welch's t with the windows' bins: a Gaussian 3.9σ; a t-test, since
errors from 16 bins are themselves uncertain and a plain 4σ cut on them flags ~0.5 % of well-equilibrated
points)."""

VarSpec = tuple[tuple[str, ...], str, dict[str, str]]
"""(extra dimensions beyond the grid's, dtype, attributes) of one stored variable."""


def stored_variables(model: Model) -> dict[str, VarSpec]:
    """Per-point variables: name -> (extra dims, dtype, attrs); ``bin`` is the measurement-bin dimension."""
    out: dict[str, VarSpec] = {}
    for o in model.observables:
        attrs = {"long_name": o.long_name, "units": o.units}
        if o.statistic == "min":
            out[o.name] = (o.dims, "f8", attrs | {"description": "minimum over the measurements of the chains"})
            continue
        if o.dims:
            out[o.name] = (o.dims, "f8", attrs | {"description": "mean over the measurements of the chains"})
            out[f"{o.name}_err"] = (o.dims, "f8", {"long_name": f"standard error of {o.name} (binning)",
                                                   "units": o.units})
            continue
        out[o.name] = ((), "f8", attrs | {"description": "mean over the measurements of the chain"})
        out[f"{o.name}_err"] = ((), "f8", {"long_name": f"standard error of {o.name} (binning)", "units": o.units})
        out[f"tau_int_{o.name}"] = ((), "f8", {"long_name": f"integrated autocorrelation time of {o.name}",
                                               "units": "measurements"})
        out[f"{o.name}_bins"] = (("bin",), "f8", {"long_name": f"bin means of {o.name}", "units": o.units})
    for d in model.derived:
        out[d.name] = ((), "f8", {"long_name": d.long_name, "units": d.units})
        out[f"{d.name}_err"] = ((), "f8", {"long_name": f"jackknife error of {d.name}", "units": d.units})
    out["converged"] = ((), "bool", {"long_name": "first and second halves of the measurements agree "
                                                  "within 4 standard errors"})
    for name in model.windows:
        unit = {"units": next(o.units for o in model.observables if o.name == name)}
        out[f"{name}_windows"] = (("window",), "f8", {"long_name": f"mean of {name} over logarithmic windows of "
                                                                   "the measurements (window w: n/2^(w+1)..n/2^w)"}
                                  | unit)
        out[f"{name}_windows_err"] = (("window",), "f8", {"long_name": f"standard error of {name}_windows "
                                                                       "(binning inside the window)"} | unit)
    if model.windows:
        out["equilibrated"] = ((), "bool", {"long_name": "the last half of the measurements agrees with the quarter "
                                                         "and the eighth before it (Welch t-tests, p >= 1e-4) for "
                                                         + ", ".join(model.windows)})
    return out


def log_windows(x: np.ndarray, n_windows: int = N_WINDOWS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Means, binned errors and bin counts of ``x`` over windows n/2^(w+1) .. n/2^w, w = 0 (the last half)
    upward. A window shorter than 2 measurements gives NaN."""
    n = x.size
    means, errs = np.full(n_windows, np.nan), np.full(n_windows, np.nan)
    k = np.zeros(n_windows, np.int64)
    for w in range(n_windows):
        seg = x[n >> (w + 1): n >> w]
        if seg.size >= 2:
            k[w] = min(WINDOW_BINS, seg.size)
            b = bin_means(seg, int(k[w]))
            means[w], errs[w] = float(b.mean()), float(binned_error(b))
    return means, errs, k


CHECKED_WINDOWS = (1, 2)
"""Windows compared with the last half (window 0) per point; the earliest (n/16..n/8, 16 short bins) is
left to the disorder-level check of the reductions, where errors come from the spread over samples."""


def windows_agree(m: np.ndarray, e: np.ndarray, k: np.ndarray) -> bool:
    """Whether windows 1 and 2 (the quarter and the eighth before the last half) agree with window 0:
    Welch's t-test of their means, two-sided p >= :data:`EQUILIBRATION_P` each. The stored means average
    every measurement, so a drift in any checked window biases them: each is tested against the last half."""
    from scipy.stats import t as student_t

    if not np.isfinite(m[0]) or k[0] < 2:
        return False
    for w in CHECKED_WINDOWS:
        if k[w] < 2:
            continue
        diff = abs(m[0] - m[w])
        if not np.isfinite(diff):
            return False
        if diff == 0:
            continue
        v0, v1 = e[0] ** 2, e[w] ** 2
        if v0 + v1 == 0:
            return False
        dof = (v0 + v1) ** 2 / (v0**2 / (k[0] - 1) + v1**2 / (k[w] - 1))
        if 2.0 * student_t.sf(diff / np.sqrt(v0 + v1), dof) < EQUILIBRATION_P:
            return False
    return True


def summarize_point(model: Model, coords: Mapping[str, Any], series: Mapping[str, np.ndarray],
                    n_bins: int) -> dict[str, Any]:
    """Statistics of one point from its measurement time series.

    Returns a flat dict with the names of :func:`stored_variables`.

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
        if obs.statistic == "min":
            out[obs.name] = x.min(axis=0) if obs.dims else float(x.min())
            continue
        if obs.dims:  # (n_meas, n_coord): bins along the measurements
            b = bin_means(x.T, n_bins)
            out[obs.name] = b.mean(axis=-1)
            out[f"{obs.name}_err"] = np.asarray(binned_error(b))
            continue
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
    equilibrated = True
    for name in model.windows:
        m, e, k = log_windows(np.asarray(series[name], dtype=np.float64))
        out[f"{name}_windows"], out[f"{name}_windows_err"] = m, e
        equilibrated &= windows_agree(m, e, k)
    if model.windows:
        out["equilibrated"] = equilibrated
    return out


def run_unit(model: Model, sampler: Sampler, coords_list: Sequence[Mapping[str, Any]],
             settings: SamplerSettings, workflow_seed: int):
    """Run one unit (a point, or a ladder); returns (per-point summaries in T order, ladder dict or None)."""
    res = sampler.run(model, coords_list, settings, workflow_seed)
    points = [summarize_point(model, c, s, settings.bins) for c, s in zip(res.coords, res.series, strict=True)]
    return res.coords, points, res.ladder


def run_point(model: Model, coords: Mapping[str, Any], settings: SamplerSettings,
              workflow_seed: int) -> dict[str, Any]:
    """Simulate one grid point with a single-temperature sampler and summarise it."""
    sampler = get_sampler(settings.algorithm)
    if sampler.ladder:
        raise ValueError(f"sampler {sampler.name!r} runs whole ladders: use run_unit")
    return run_unit(model, sampler, [coords], settings, workflow_seed)[1][0]


Unit = list[tuple[tuple[int, ...], dict[str, Any]]]
"""The points of one unit: (index in the grid, coordinates)."""


FAULT_ENV = "SPINSWEEP_INJECT_FAULT"
"""Testing hook: ``SPINSWEEP_INJECT_FAULT="N=32,T=1.0,seed=1"`` in a worker's environment makes every
point with those coordinates raise (a stand-in for a numerical failure), so that the failure path can be
exercised on real clusters. Unset in normal use."""


def _injected_fault(coords: Mapping[str, Any]) -> None:
    import os

    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    crash = spec.startswith("crash:")
    for item in spec.removeprefix("crash:").split(","):
        key, _, val = item.partition("=")
        have = coords.get(key.strip())
        if have is None:
            return
        try:
            same = np.isclose(float(have), float(val))
        except ValueError:
            same = str(have) == val.strip()
        if not same:
            return
    if crash:  # the worker process dies, as on a segfault or the kernel's OOM killer
        os._exit(70)
    raise FloatingPointError(f"injected fault at {spec} ({FAULT_ENV})")


def _message(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def run_task(model_name: str, units: list[tuple[tuple[int, ...] | None, Unit]], settings: SamplerSettings,
             workflow_seed: int) -> tuple[list, list, list]:
    """Worker entry point: run a task's units.

    Each unit is ``(ladder_index, points)``: ``ladder_index`` is the unit's index in the ladder
    dimensions (the grid's without T) for a ladder sampler, else ``None``. Returns
    ``([(point index, result), ...], [(ladder index, ladder result), ...], [(point index, message), ...])``:
    a unit whose simulation raises (an ``Exception``, e.g. a numerical failure) fails alone, every point
    of it listed with its one-line message, and the task goes on with its other units.
    """
    model = get_model(model_name)
    sampler = get_sampler(settings.algorithm)
    points, ladders, failed = [], [], []
    for ladder_idx, unit in units:
        try:
            for _, c in unit:
                _injected_fault(c)
            if sampler.ladder:
                by_T = {float(c["T"]): idx for idx, c in unit}
                coords, results, ladder = run_unit(model, sampler, [c for _, c in unit], settings, workflow_seed)
                done = [(by_T[float(c["T"])], r) for c, r in zip(coords, results, strict=True)]
                ladders.append((ladder_idx, ladder))
            else:
                (idx, c), = unit
                done = [(idx, run_unit(model, sampler, [c], settings, workflow_seed)[1][0])]
        except Exception as e:  # noqa: BLE001 - stored with the point; the sweep goes on
            failed.extend((idx, _message(e)) for idx, _ in unit)
            continue
        points.extend(done)
    return points, ladders, failed
