"""Finite-size scaling of spin-model sweeps: Binder crossings, power laws, data collapse.

Pure numerics on plain arrays (numpy/scipy only): sizes ``N`` (1-D, strictly
increasing), temperatures ``T`` (1-D, strictly increasing) and, per observable, a
mean ``y[iN, iT]`` with standard errors ``dy[iN, iT]``.

Conventions: σ_i = ±1, k_B = 1, T = 1/β, intensive quantities per spin. Mean-field
systems have no length, so finite-size scaling is written in N with ν̄ = d ν
(the "effective" correlation-volume exponent):

    ⟨|m|⟩ ~ N^(−β/ν̄),   χ ~ N^(γ/ν̄),   U4 = f((T − T_c) N^(1/ν̄)),

and for Curie-Weiss β = 1/2, γ = 1, ν̄ = 2, T_c = 1.

This module is a facade; the numerics live in

* :mod:`pipeline.reduce.crossings`: crossings of the curves of successive sizes and their bootstrap;
* :mod:`pipeline.reduce.extrapolate`: N → ∞ extrapolation (crossings; several finite-size forms);
* :mod:`pipeline.reduce.powerlaw`: power-law fits in N and interpolation at a temperature;
* :mod:`pipeline.reduce.collapse`: the data collapse.
"""

from __future__ import annotations

from pipeline.reduce._common import _check_N, _check_T, _check_table, _fmt, _noiseless, _wls_line
from pipeline.reduce.collapse import CollapseResult, collapse, fit_collapse
from pipeline.reduce.crossings import (
    MAX_FAILED_REPLICAS,
    Crossing,
    CurveCrossing,
    binder_crossings,
    bootstrap_means,
    crossing_estimate,
    curve_crossings,
    local_root,
    local_window,
    pick_interval,
)
from pipeline.reduce.extrapolate import _FORMS, FORMS, extrapolate_crossings, extrapolate_forms
from pipeline.reduce.powerlaw import PowerLawFit, fit_power_law, interpolate_at

__all__ = [
    "Crossing",
    "CollapseResult",
    "PowerLawFit",
    "binder_crossings",
    "extrapolate_crossings",
    "fit_power_law",
    "interpolate_at",
    "collapse",
    "fit_collapse",
    # shared with the other reductions
    "CurveCrossing",
    "FORMS",
    "MAX_FAILED_REPLICAS",
    "bootstrap_means",
    "crossing_estimate",
    "curve_crossings",
    "extrapolate_forms",
    "local_root",
    "local_window",
    "pick_interval",
]

# private helpers that callers of the former single module import
_private = (_check_N, _check_T, _check_table, _fmt, _noiseless, _wls_line, _FORMS)
