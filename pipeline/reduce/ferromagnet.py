"""Reduction of a ferromagnet sweep (Curie–Weiss): T_c, β, γ, ν̄ by finite-size scaling.

Mean-field scaling in N (ν̄ = dν): at T_c, ⟨|m|⟩ ~ N^(−β/ν̄) and χ ~ N^(γ/ν̄), and U4 is a function of
x = (T − T_c) N^(1/ν̄). Curie–Weiss: T_c = 1, β = 1/2, γ = 1, ν̄ = 2.

Recipe (each step's method, window and seed are stored with the result):

1. The seeds (independent chains) are pooled: ⟨|m|⟩ is averaged with the standard error of all
   seed × bin blocks; U4 = 1 − ⟨m⁴⟩/(3⟨m²⟩²) and χ = N(⟨m²⟩ − ⟨|m|⟩²)/T are recomputed from pooled
   block means with a jackknife over blocks.
2. T_c: crossings of U4(T) of successive sizes, each from a weighted local cubic fit of the
   difference of the two curves over ``n_local`` temperatures, with a seeded parametric bootstrap;
   the crossings extrapolated as T_cross = T_c + a N_eff^(−ω), ω = 1 (U4's leading correction is
   N^(−1/2), so crossings shift as N^(−1/2 − 1/ν̄) = N^(−1); exact finite-N sums confirm it).
3. β/ν̄ and γ/ν̄: weighted log–log fits of ⟨|m|⟩ and χ interpolated at T_c, the T_c error propagated
   by refitting at T_c ± err.
4. ν̄: the U4 data collapse (Houdayer–Hartmann quality) with T_c free, which keeps ν̄ from inheriting
   the T_c error and absorbs the leading shift of the crossings; bootstrap error, plus a finite-size
   systematic: the change of ν̄ when the smallest size (where corrections to scaling are largest) is
   left out. On exact Curie–Weiss curves the collapse of N = 128…2048 gives ν̄ = 1.949, of 256…2048
   1.968: the bias is real and of the size of that change.
5. β = (β/ν̄)·ν̄ and γ = (γ/ν̄)·ν̄ with errors in quadrature.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import numpy as np
import xarray as xr
from pydantic import Field

from pipeline.errors import ReductionError
from pipeline.reduce._settings import Count, PositiveFloat, Seed, Settings, TWindow
from pipeline.reduce.collapse import fit_collapse
from pipeline.reduce.combine import combine_derived, combine_observable
from pipeline.reduce.exponents import mean_field_exponents


class FerromagnetSettings(Settings):
    """The ``[reduce]`` keys of the ferromagnet reduction (recipe ``ferromagnet_fss``)."""

    window: TWindow | None = Field(None, description="[T_lo, T_hi]: temperatures used by the crossings, fits "
                                                     "and collapse (default: all)")
    n_boot: Count = Field(400, description="parametric bootstrap replicas of the Binder crossings")
    seed: Seed = Field(0, description="seed of the bootstraps")
    omega: PositiveFloat | None = Field(1.0, description="shift exponent of the crossings, T_cross = T_c + a "
                                                         "N_eff^-omega (None: fitted)")
    n_local: Annotated[int, Field(strict=True, ge=4)] | None = Field(
        5, description="grid points of the local cubic fit of each crossing (None: adaptive)")
    collapse_n_boot: Count = Field(40, description="bootstrap refits of the U4 collapse")


#: Settings of :func:`reduce_ferromagnet` (the workflow's ``[reduce]`` table overrides them).
DEFAULTS: dict[str, Any] = FerromagnetSettings().model_dump()


def combined_curves(ds: xr.Dataset) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Seed-pooled U4, ⟨|m|⟩, χ and ⟨m²⟩ as (value, error) arrays of shape (N, T)."""
    ds = ds.transpose("N", "T", "seed", "bin", ...)
    Nn = ds["N"].values[:, None].astype(float)
    Tt = ds["T"].values[None, :]
    out = {
        "U4": combine_derived(ds, ("m4", "m2"), lambda m4, m2: 1.0 - m4 / (3.0 * m2**2)),
        "chi": combine_derived(ds, ("m2", "m_abs"), lambda m2, ma: Nn * (m2 - ma**2) / Tt),
        "m_abs": combine_observable(ds, "m_abs"),
        "m2": combine_observable(ds, "m2"),
    }
    return {k: (v.transpose("N", "T").values, e.transpose("N", "T").values) for k, (v, e) in out.items()}


def reduce_ferromagnet(ds: xr.Dataset, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """T_c and exponents of a stored ferromagnet sweep; see the module docstring.

    Parameters
    ----------
    ds : xarray.Dataset
        The sweep (dims N, T, seed, bin), every point done.
    settings : dict, optional
        The workflow's ``[reduce]`` table: ``window`` = [T_lo, T_hi] (temperatures used), ``n_boot``,
        ``seed``, ``omega``, ``n_local``, ``collapse_n_boot``.

    Returns
    -------
    dict
        ``{"Tc": {"value", "err"}, "exponents": {...}, "sizes": [...], "crossings": [...],
        "fits": {...}, "method": {...}}`` (JSON-ready).

    Raises
    ------
    ReductionError
        For a single N, fewer than 4 temperatures, or a T grid that does not bracket the crossings.
    """
    cfg = DEFAULTS | dict(settings or {})
    unknown = set(cfg) - set(DEFAULTS)
    if unknown:
        raise ReductionError(f"[reduce] unknown key(s) {sorted(unknown)}; allowed: {', '.join(DEFAULTS)}")
    sizes = ds["N"].values
    if sizes.size < 2:
        raise ReductionError(f"finite-size scaling needs at least 2 sizes; sweep has N = {sizes.tolist()}")
    if cfg["window"] is not None:
        lo, hi = cfg["window"]
        ds = ds.sel(T=slice(lo, hi))
    T = ds["T"].values
    if T.size < 4:
        raise ReductionError(f"finite-size scaling needs at least 4 temperatures in the window; "
                             f"T = {T.tolist()}")
    c = combined_curves(ds)
    res = mean_field_exponents(
        sizes, T, *c["U4"], *c["m_abs"], *c["chi"], n_boot=int(cfg["n_boot"]), seed=int(cfg["seed"]),
        omega=cfg["omega"], collapse_fit_Tc=True, collapse_n_boot=int(cfg["collapse_n_boot"]),
        crossing_method="poly", n_local=cfg["n_local"])
    _add_collapse_systematic(res, sizes, T, *c["U4"])
    res["method"]["window"] = [float(T[0]), float(T[-1])]
    res["method"]["combine"] = "seeds pooled: observables by block means, U4 and chi by jackknife over seed x bin blocks"
    res["method"]["chi"] = "connected susceptibility N(<m^2> - <|m|>^2)/T"
    return res


def _add_collapse_systematic(res: dict[str, Any], N, T, U, dU) -> None:
    """Widen ν̄'s error by the change when the smallest size is dropped; propagate to β and γ."""
    ex = res["exponents"]
    nu, nu_stat = ex["nu_bar"]["value"], ex["nu_bar"]["err"]
    if len(N) < 4:
        res["method"]["nu_bar_systematic"] = "none (fewer than 4 sizes)"
        return
    col = res["fits"]["collapse_U4"]
    drop = fit_collapse(N[1:], T, U[1:], dU[1:], Tc0=col["Tc"], nu_bar0=nu, fit_Tc=True, errors="none")
    sys_err = abs(drop.nu_bar - nu)
    nu_err = float(np.hypot(nu_stat, sys_err))
    col.update(nu_bar_without_smallest=drop.nu_bar, err_finite_size=sys_err)
    ex["nu_bar"]["err"] = nu_err
    for name, ratio in (("beta", "beta_over_nu_bar"), ("gamma", "gamma_over_nu_bar")):
        r, dr = ex[ratio]["value"], ex[ratio]["err"]
        if r is not None:
            ex[name] = {"value": r * nu, "err": float(np.hypot(nu * dr, r * nu_err))}
    res["method"]["nu_bar_systematic"] = (f"|nu_bar(all N) - nu_bar(without N = {int(N[0])})| = {sys_err:.4f}, "
                                          "added in quadrature")


def summary_text(res: dict[str, Any]) -> str:
    """The reduction as a readable table."""
    def ve(x):
        return "—" if x["value"] is None else f"{x['value']:.4f} ± {x['err']:.4f}"

    ex = res["exponents"]
    rows = [("T_c", ve(res["Tc"]), "1"), ("β/ν̄", ve(ex["beta_over_nu_bar"]), "1/4"),
            ("γ/ν̄", ve(ex["gamma_over_nu_bar"]), "1/2"), ("ν̄ (U4 collapse)", ve(ex["nu_bar"]), "2"),
            ("ν̄ (dU4/dT at T_c)", ve(ex["nu_bar_dU4dT"]), "2"), ("β", ve(ex["beta"]), "1/2"),
            ("γ", ve(ex["gamma"]), "1")]
    lines = [f"finite-size scaling of sizes N = {res['sizes']}, T in {res['method']['window']}",
             f"{'quantity':20s} {'estimate':>20s}   mean field"]
    lines += [f"{a:20s} {b:>20s}   {c}" for a, b, c in rows]
    lines.append("crossings: " + ", ".join(f"{c['N1']}/{c['N2']}: {c['T']:.4f}({c['err']:.4f})"
                                          for c in res["crossings"]))
    return "\n".join(lines)


def reduction_dataset(res: dict[str, Any]) -> xr.Dataset:
    """The reduction as a small dataset (crossings along ``pair``; estimates as scalars)."""
    cr = res["crossings"]
    data = {
        "crossing_T": ("pair", [c["T"] for c in cr], {"long_name": "U4 crossing temperature"}),
        "crossing_T_err": ("pair", [c["err"] for c in cr]),
        "crossing_U4": ("pair", [c["U"] for c in cr]),
        "crossing_U4_err": ("pair", [c["U_err"] for c in cr]),
        "Tc": ((), res["Tc"]["value"], {"long_name": "critical temperature", "units": "J/k_B"}),
        "Tc_err": ((), res["Tc"]["err"]),
    }
    for k, v in res["exponents"].items():
        data[k] = ((), np.nan if v["value"] is None else v["value"])
        data[f"{k}_err"] = ((), np.nan if v["err"] is None else v["err"])
    coords = {"N1": ("pair", [c["N1"] for c in cr]), "N2": ("pair", [c["N2"] for c in cr])}
    ds = xr.Dataset(data, coords=coords)
    ds.attrs["method"] = json.dumps(res["method"])
    ds.attrs["sizes"] = json.dumps(res["sizes"])
    ds.attrs["summary"] = json.dumps({"Tc": f"{res['Tc']['value']:.5f} ± {res['Tc']['err']:.5f}",
                                      **{k: f"{v['value']:.4f} ± {v['err']:.4f}"
                                         for k, v in res["exponents"].items() if v["value"] is not None}})
    return ds
