"""Sherrington–Kirkpatrick spin glass from a stored parallel-tempering sweep: checks, T_c and e₀.

Disorder averages [·] are over the samples (``seed``) of each size; every per-sample thermal average
stays in the store. The reduction (recipe ``sk_spin_glass``):

Checks (:func:`sample_flags`, :func:`window_checks`, :func:`identity_check`)
    A sample's ladder is flagged when any of its temperatures fails the logarithmic-binning check (its
    last half disagrees with the quarter or the eighth before it, Welch p < 1e-4; the stored
    ``equilibrated``) or the
    ladder made fewer than ``min_round_trips`` round trips. Flagged ladders are listed with their
    reasons and left out of every average (``flagged = "include"`` keeps them, still listed). On the
    disorder averages of the kept samples, every earlier logarithmic window must agree with the last half
    (z-scores per size and temperature), and for Gaussian couplings the exact identity [⟨e⟩] = −(β/2)(1 − [⟨q²⟩]) must
    hold: z = [e + (β/2)(1 − q²)] / its standard error over samples (Gaussian integration by parts; it
    holds at every N for q² including the i = j terms, for the disorder average only).

T_c (:func:`binder_crossings_sk`)
    Crossings of g_N(T) = ½(3 − [⟨q⁴⟩]/[⟨q²⟩]²) (a ratio of disorder averages) of successive sizes, and
    of N^(2/3)[⟨q²⟩] (χ_SG ~ N^(1/3) at T_c), by the crossing code shared with the other models
    (:func:`pipeline.reduce.crossings.curve_crossings`): a local quadratic fit of the difference, errors
    from a bootstrap over samples (independently per size). The estimate is the largest pair's crossing
    (``Tc_estimate = "largest"``, default: the g crossings of small SK sizes drift up towards 1, e.g.
    0.78, 0.92, 0.98 for 32/64, 64/128, 128/256) with half its distance to the mean of all pairs as a
    systematic (``"mean"``: the mean, same systematic).

e₀ (:func:`ground_state`)
    A sample's ground-state estimate is the lowest quenched energy its ladder reached (``e_min``,
    minimum over temperatures); [e_gs](N) over samples is extrapolated as e₀ + a N^(−2/3) (+ a second
    correction for the systematics: ``e0_forms``), error = bootstrap over samples ⊕ half the spread of
    the forms.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
import xarray as xr
from pydantic import Field

from pipeline.errors import ReductionError
from pipeline.reduce._common import _g
from pipeline.reduce._settings import Count, PositiveFloat, Seed, Settings, Sizes, TWindow
from pipeline.reduce.crossings import crossing_estimate, curve_crossings
from pipeline.reduce.extrapolate import FORMS, extrapolate_forms

__all__ = ["DEFAULTS", "SKSettings", "reduce_sk", "reduction_dataset", "summary_text"]

FormName = Literal[tuple(FORMS)]

E0_PARISI = -0.7633
"""Parisi ground-state energy per spin of the SK model (N → ∞)."""


class SKSettings(Settings):
    """The ``[reduce]`` keys of the SK reduction (recipe ``sk_spin_glass``)."""

    couplings: Literal["gaussian", "bimodal"] = Field("gaussian", description="coupling distribution analysed")
    sizes: Sizes | None = Field(None, description="sizes of the crossings and the extrapolation (default: all)")
    Tc_T_window: TWindow | None = Field(None, description="[T_lo, T_hi] of the crossings (default: all T)")
    Tc_width: Annotated[int, Field(strict=True, ge=2, le=12)] = Field(
        6, description="grid points of the local fit around each crossing (quadratic from 4, else a line)")
    Tc_estimate: Literal["mean", "largest"] = Field("largest", description="T_c from the largest pair's crossing "
                                                                           "(default) or the mean of all pairs'")
    e0_forms: Annotated[list[FormName], Field(min_length=1)] = Field(
        ["N^-2/3", "N^-2/3+N^-1"], description="finite-size forms of the ground-state extrapolation")
    e0_sizes: Sizes | None = Field(None, description="sizes of the e0 extrapolation (default: all)")
    z_max: PositiveFloat = Field(4.0, description="z-score beyond which a window or identity check fails")
    min_round_trips: Annotated[int, Field(strict=True, ge=0)] = Field(
        1, description="a ladder with fewer round trips is flagged")
    flagged: Literal["exclude", "include"] = Field("exclude", description="leave flagged ladders out of the "
                                                                          "averages, or keep them (listed)")
    n_boot: Count = Field(400, description="bootstrap replicas over samples")
    boot_seed: Seed = Field(0, description="seed of the bootstraps")


#: Settings of :func:`reduce_sk` (the workflow's ``[reduce]`` table overrides them).
DEFAULTS: dict[str, Any] = SKSettings().model_dump()

WHAT = "sk reduction"


def _sem(x: np.ndarray, axis: int = -1) -> np.ndarray:
    n = x.shape[axis]
    return x.std(axis=axis, ddof=1) / np.sqrt(n)


def _select(ds: xr.Dataset, s: Mapping[str, Any]) -> xr.Dataset:
    for dim in ("N", "T", "seed"):
        if dim not in ds.dims:
            raise ReductionError(f"{WHAT} needs dimension {dim!r}; the sweep has {list(ds.dims)}")
    for var in ("energy", "q2", "q4", "e_min"):
        if var not in ds:
            raise ReductionError(f"{WHAT} needs {var!r}; not in the sweep (is it an SK sweep?)")
    d = ds
    if "couplings" in ds.dims:
        kinds = [str(v) for v in ds["couplings"].values]
        if s["couplings"] not in kinds:
            raise ReductionError(f"{WHAT}: couplings = {s['couplings']!r} not in the sweep ({', '.join(kinds)})")
        d = ds.sel(couplings=s["couplings"])
    if s["sizes"] is not None:
        missing = [n for n in s["sizes"] if n not in d["N"].values]
        if missing:
            raise ReductionError(f"{WHAT}: sizes {missing} not in the sweep (N = {_g(d['N'].values)})")
        d = d.sel(N=list(s["sizes"]))
    return d.sortby("T")


def sample_flags(d: xr.Dataset, min_round_trips: int = 1) -> dict[int, dict[int, list[str]]]:
    """Reasons to distrust each sample's ladder: ``{N: {seed: [reasons]}}`` (only flagged ones).

    A ladder is flagged if a temperature failed the logarithmic-binning check (``equilibrated``), or if
    it made fewer than ``min_round_trips`` round trips (``round_trips``, parallel tempering only).
    """
    out: dict[int, dict[int, list[str]]] = {}
    Ts = d["T"].values
    for N in d["N"].values:
        dn = d.sel(N=N)
        flags: dict[int, list[str]] = {}
        for seed in dn["seed"].values:
            why = []
            p = dn.sel(seed=seed)
            if "equilibrated" in p:
                bad = ~p["equilibrated"].values.astype(bool)
                if bad.any():
                    why.append("log-binning windows disagree at T = " + ", ".join(f"{t:g}" for t in Ts[bad]))
            if "round_trips" in p:
                trips = int(p["round_trips"].values)
                if trips < min_round_trips:
                    why.append(f"{trips} round trips (< {min_round_trips})")
            if why:
                flags[int(seed)] = why
        if flags:
            out[int(N)] = flags
    return out


def _per_size(d: xr.Dataset, flags, s) -> list[dict[str, Any]]:
    """Per size: the kept samples' arrays (T, samples) of every quantity the reduction uses."""
    out = []
    for N in d["N"].values:
        dn = d.sel(N=N).transpose("T", "seed", ...)
        done = dn["done"].values.astype(bool).all(axis=0) if "done" in dn else np.ones(dn.sizes["seed"], bool)
        seeds = dn["seed"].values
        flagged = set(flags.get(int(N), {}))
        keep = done & np.array([s["flagged"] == "include" or int(x) not in flagged for x in seeds])
        if keep.sum() < 2:
            raise ReductionError(f"{WHAT}: N = {int(N)} has {int(keep.sum())} usable samples of {seeds.size} "
                                 f"({len(flagged)} flagged); at least 2 are needed for error bars")
        row = {"N": int(N), "seeds": seeds[keep].tolist()}
        for var in ("energy", "q2", "q4", "e_min"):
            row[var] = dn[var].values[:, keep].astype(float)
        for var in ("energy_windows", "q2_windows"):
            if var in dn:
                row[var] = dn[var].transpose("T", "seed", "window").values[:, keep].astype(float)
        if "swap_acceptance" in dn:
            row["swap"] = dn["swap_acceptance"].transpose("seed", "T_pair").values[keep].astype(float)
        if "round_trips" in dn:
            row["trips"] = dn["round_trips"].values[keep].astype(int)
        out.append(row)
    return out


def window_checks(sizes: Sequence[Mapping[str, Any]], T: np.ndarray, z_max: float) -> list[dict[str, Any]]:
    """Disorder-level logarithmic binning: per size, temperature and observable, [O] over the last half
    minus [O] over each earlier window (the quarter, eighth and sixteenth before it), in standard errors over
    samples; the largest |z| is reported and passes if ≤ ``z_max``."""
    out = []
    for row in sizes:
        for var in ("energy", "q2"):
            w = row.get(f"{var}_windows")
            if w is None:
                continue
            z = np.zeros((T.size, w.shape[-1] - 1))
            for j in range(1, w.shape[-1]):
                diff = w[:, :, 0] - w[:, :, j]  # (T, samples)
                m, e = diff.mean(-1), _sem(diff)
                z[:, j - 1] = np.where(e > 0, m / np.where(e > 0, e, 1), 0.0)
            for t in range(T.size):
                worst = float(z[t][np.argmax(np.abs(z[t]))])
                out.append({"N": row["N"], "T": float(T[t]), "observable": var,
                            "windows": [float(x) for x in w[t].mean(0)], "z": worst,
                            "ok": bool(abs(worst) <= z_max)})
    return out


def identity_check(sizes: Sequence[Mapping[str, Any]], T: np.ndarray, z_max: float) -> list[dict[str, Any]]:
    """[⟨e⟩] against −(β/2)(1 − [⟨q²⟩]) per size and temperature (Gaussian couplings): z of the mean of
    e + (β/2)(1 − q²) over samples."""
    out = []
    beta = 1.0 / T
    for row in sizes:
        rhs_s = -0.5 * beta[:, None] * (1.0 - row["q2"])
        diff = row["energy"] - rhs_s
        m, e = diff.mean(-1), _sem(diff)
        for t in range(T.size):
            out.append({"N": row["N"], "T": float(T[t]), "energy": float(row["energy"][t].mean()),
                        "rhs": float(rhs_s[t].mean()), "diff": float(m[t]), "err": float(e[t]),
                        "z": float(m[t] / e[t]) if e[t] > 0 else 0.0,
                        "ok": bool(e[t] == 0 or abs(m[t]) <= z_max * e[t])})
    return out


def _boot_index(rng: np.random.Generator, ns: int, n_boot: int) -> np.ndarray:
    return rng.integers(0, ns, size=(n_boot, ns))


def binder_crossings_sk(sizes, T, s, rng) -> dict[str, Any]:
    """T_c from crossings of g_N(T) and of N^(2/3)[⟨q²⟩] (log), bootstrap over samples per size."""
    Ns = np.array([r["N"] for r in sizes])
    if Ns.size < 2:
        raise ReductionError(f"{WHAT} needs at least 2 sizes for crossings; got N = {_g(Ns)}")
    tmask = np.ones(T.size, bool)
    if s["Tc_T_window"] is not None:
        lo, hi = s["Tc_T_window"]
        tmask = (T >= lo) & (T <= hi)
    Tw = T[tmask]
    if Tw.size < 3:
        raise ReductionError(f"{WHAT} needs at least 3 temperatures in the crossing window; got T = {_g(Tw)}")
    B = int(s["n_boot"])
    g, gvar, gb, Y, Yvar, Yb = [], [], [], [], [], []
    for r in sizes:
        q2, q4 = r["q2"][tmask], r["q4"][tmask]
        idx = _boot_index(rng, q2.shape[1], B)
        q2b, q4b = q2[:, idx].mean(-1).T, q4[:, idx].mean(-1).T  # (B, nT)
        gi = 0.5 * (3.0 - q4.mean(-1) / q2.mean(-1) ** 2)
        gib = 0.5 * (3.0 - q4b / q2b**2)
        g.append(gi), gb.append(gib), gvar.append(gib.var(0, ddof=1))
        scale = float(r["N"]) ** (2.0 / 3.0)
        Y.append(np.log(scale * q2.mean(-1))), Yb.append(np.log(scale * q2b))
        Yvar.append(np.log(scale * q2b).var(0, ddof=1))
    res = {}
    for key, y, var, yb, curve in (("g", g, gvar, gb, "g_N(T)"), ("chi", Y, Yvar, Yb, "N^(2/3)[q2]")):
        y, var, yb = np.array(y), np.array(var), np.stack(yb)
        found, lost = [], []
        for i in range(Ns.size - 1):  # a pair without a crossing is reported, the others still count
            try:
                found += curve_crossings(Ns[i:i + 2], Tw, y[i:i + 2], var[i:i + 2], yb[i:i + 2], direction="down", width=s["Tc_width"],
                                         max_failed=0.2, what=f"{WHAT}: {curve} crossings", curve=curve,
                                         target="T_c", hint="more samples or a finer T grid near T_c needed")
            except ReductionError as e:
                lost.append({"N1": int(Ns[i]), "N2": int(Ns[i + 1]), "why": str(e)})
        if not found:
            raise ReductionError(f"{WHAT}: no pair of sizes has a {curve} crossing in T = [{Tw[0]:g}, {Tw[-1]:g}]: "
                                 + "; ".join(x["why"] for x in lost))
        est = crossing_estimate(found, s["Tc_estimate"])
        res[key] = {**est, "crossings": [c.as_dict() for c in found], "pairs_without_crossing": lost}
    res["curves"] = {"N": Ns.tolist(), "T": Tw.tolist(), "g": np.array(g).tolist(),
                     "g_err": np.sqrt(np.array(gvar)).tolist(),
                     "Y": np.exp(np.array(Y)).tolist(), "Y_err": (np.exp(np.array(Y)) * np.sqrt(Yvar)).tolist()}
    return res


def ground_state(sizes, s, rng) -> dict[str, Any]:
    """e₀ from [e_gs](N), e_gs = min over the ladder of the quenched energies, extrapolated in N.

    The per-size table (``N``, ``e_gs``, ``e_gs_err``) is always returned; the extrapolation's keys are
    None, with ``failed`` saying why, when no form can be fitted.
    """
    rows = [r for r in sizes if s["e0_sizes"] is None or r["N"] in s["e0_sizes"]]
    Ns = np.array([r["N"] for r in rows], float)
    B = int(s["n_boot"])
    y, err, boot = [], [], []
    for r in rows:
        egs = r["e_min"].min(axis=0)  # per sample: lowest over the ladder
        y.append(egs.mean()), err.append(_sem(egs))
        boot.append(egs[_boot_index(rng, egs.size, B)].mean(-1))
    table = {"N": Ns.astype(int).tolist(), "e_gs": [float(v) for v in y], "e_gs_err": [float(v) for v in err],
             "parisi": E0_PARISI}
    try:
        ex = extrapolate_forms(Ns, y, err, np.column_stack(boot), forms=tuple(s["e0_forms"]),
                               what=f"{WHAT}: e0 extrapolation", quantity="e_gs")
    except ReductionError as e:
        return {**table, "value": None, "err": None, "err_stat": None, "err_sys": None, "forms": {},
                "skipped": {}, "failed": str(e)}
    return {**ex, **table}


def reduce_sk(ds: xr.Dataset, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything of the SK reduction as JSON-ready data (see the module docstring)."""
    s = SKSettings.model_validate(dict(settings or {})).model_dump()
    d = _select(ds, s)
    T = np.asarray(d["T"].values, float)
    flags = sample_flags(d, s["min_round_trips"])
    sizes = _per_size(d, flags, s)
    rng = np.random.default_rng(s["boot_seed"])
    windows = window_checks(sizes, T, s["z_max"])
    identity = identity_check(sizes, T, s["z_max"]) if s["couplings"] == "gaussian" else []
    failed: dict[str, str] = {}
    try:
        tc = binder_crossings_sk(sizes, T, s, rng)
    except ReductionError as err:  # the checks are still worth reporting (e.g. on too short a run)
        failed["Tc"] = failed["Tc_chi"] = str(err)
        tc = {k: {"value": None, "err": None, "err_stat": None, "err_sys": None, "estimate": s["Tc_estimate"],
                  "crossings": [], "pairs_without_crossing": []} for k in ("g", "chi")}
        tc["curves"] = None
    e0 = ground_state(sizes, s, rng)
    if "failed" in e0:
        failed["e0"] = e0["failed"]
    ladder: dict[str, Any] = {"T": T.tolist()}
    if all("swap" in r for r in sizes):
        ladder["swap_acceptance_min"] = float(min(np.nanmin(r["swap"]) for r in sizes))
        ladder["swap_acceptance"] = {str(r["N"]): {"mean": np.nanmean(r["swap"], 0).tolist(),
                                                   "min": np.nanmin(r["swap"], 0).tolist()} for r in sizes}
    if all("trips" in r for r in sizes):
        ladder["round_trips_min"] = int(min(r["trips"].min() for r in sizes))
        ladder["round_trips"] = {str(r["N"]): {"min": int(r["trips"].min()), "median": float(np.median(r["trips"]))}
                                 for r in sizes}
    flagged = [{"N": N, "seed": seed, "why": why} for N, f in flags.items() for seed, why in f.items()]
    return {
        "Tc": {k: tc["g"][k] for k in ("value", "err", "err_stat", "err_sys", "estimate")} | {
            "crossings": tc["g"]["crossings"], "pairs_without_crossing": tc["g"]["pairs_without_crossing"],
            "exact": 1.0},
        "Tc_chi": {k: tc["chi"][k] for k in ("value", "err", "err_stat", "err_sys", "estimate")} | {
            "crossings": tc["chi"]["crossings"], "pairs_without_crossing": tc["chi"]["pairs_without_crossing"],
            "exact": 1.0},
        "e0": {k: e0[k] for k in ("value", "err", "err_stat", "err_sys", "parisi")} | {
            "forms": e0["forms"], "skipped": e0["skipped"]},
        "e_gs": {"N": e0["N"], "value": e0["e_gs"], "err": e0["e_gs_err"]},
        "sizes": [r["N"] for r in sizes],
        "samples": {str(r["N"]): len(r["seeds"]) for r in sizes},
        "couplings": s["couplings"],
        "ladder": ladder,
        "flagged": flagged,
        "checks": {
            "windows_ok": all(w["ok"] for w in windows), "windows_max_abs_z": max((abs(w["z"]) for w in windows),
                                                                                 default=0.0),
            "identity_ok": all(i["ok"] for i in identity) if identity else None,
            "identity_max_abs_z": max((abs(i["z"]) for i in identity), default=None),
            "windows": windows, "identity": identity,
        },
        "failed": failed,
        "curves": tc["curves"],
        "method": {
            "Tc": "crossings of g = (3 - [q4]/[q2]^2)/2 of successive sizes (local quadratic fit), bootstrap over "
                  f"samples; {s['Tc_estimate']} of the pairs, systematic = |largest pair - mean|/2",
            "Tc_chi": "crossings of N^(2/3)[q2] (log), same procedure",
            "e0": "per sample the lowest quenched energy of its ladder; [e_gs](N) extrapolated with "
                  f"{', '.join(s['e0_forms'])}; error = bootstrap over samples (+) half the spread of the forms",
            "flagged": f"{s['flagged']}d from the averages: ladders with a failed log-binning check or fewer than "
                       f"{s['min_round_trips']} round trips",
            "settings": s,
        },
    }


def summary_text(res: Mapping[str, Any]) -> str:
    """A few readable lines of the result."""
    tc, tx, e0 = res["Tc"], res["Tc_chi"], res["e0"]
    lad, chk = res["ladder"], res["checks"]

    def est(x: Mapping[str, Any]) -> str:
        return "not estimated" if x["value"] is None else f"{x['value']:.4f} ± {x['err']:.4f}"

    lines = [
        f"SK ({res['couplings']}), sizes {res['sizes']}, samples {res['samples']}",
        f"T_c (g crossings)        = {est(tc)}   (exact 1)",
        f"T_c (N^(2/3)[q2] cross.) = {est(tx)}",
        f"e_0 (extrapolated)       = {est(e0)}   (Parisi {E0_PARISI})",
        "e_gs(N): " + ", ".join(f"{n}: {v:.4f}({e:.4f})" for n, v, e in
                                zip(res["e_gs"]["N"], res["e_gs"]["value"], res["e_gs"]["err"], strict=True)),
    ]
    lines += [f"{k} failed: {why}" for k, why in res.get("failed", {}).items() if k != "Tc_chi"]
    if "swap_acceptance_min" in lad:
        lines.append(f"ladder: {len(lad['T'])} temperatures {lad['T'][0]:g}..{lad['T'][-1]:g}, min swap acceptance "
                     f"{lad['swap_acceptance_min']:.3f}, min round trips {lad.get('round_trips_min', 'n/a')}")
    lines.append(f"checks: log windows {'ok' if chk['windows_ok'] else 'FAIL'} (max |z| {chk['windows_max_abs_z']:.2f})"
                 + ("" if chk["identity_ok"] is None else
                    f", identity [e] = -(beta/2)(1-[q2]) {'ok' if chk['identity_ok'] else 'FAIL'} "
                    f"(max |z| {chk['identity_max_abs_z']:.2f})"))
    lines.append(f"flagged ladders: {len(res['flagged'])}" + "".join(
        f"\n  N={f['N']} seed={f['seed']}: {'; '.join(f['why'])}" for f in res["flagged"][:10]))
    return "\n".join(lines)


def reduction_dataset(res: Mapping[str, Any]) -> xr.Dataset:
    """The result as a small dataset: g and N^(2/3)[q2] curves over (N, T), e_gs over N, estimates as attrs."""
    c = res["curves"]
    if c is None:
        return xr.Dataset(attrs={"failed": json.dumps(res.get("failed", {}))})
    ds = xr.Dataset(
        {"g": (("N", "T"), np.array(c["g"]), {"long_name": "overlap Binder ratio (3 - [q4]/[q2]^2)/2"}),
         "g_err": (("N", "T"), np.array(c["g_err"])),
         "Y": (("N", "T"), np.array(c["Y"]), {"long_name": "N^(2/3)[q2]"}),
         "Y_err": (("N", "T"), np.array(c["Y_err"]))},
        coords={"N": c["N"], "T": c["T"]})
    e = res["e_gs"]
    ds["e_gs"] = xr.DataArray(np.array(e["value"]), dims="N_e0", coords={"N_e0": e["N"]},
                              attrs={"long_name": "[lowest quenched energy per spin of the ladder]"})
    ds["e_gs_err"] = xr.DataArray(np.array(e["err"]), dims="N_e0", coords={"N_e0": e["N"]})
    ds.attrs.update({k: v for k, v in (("Tc", res["Tc"]["value"]), ("Tc_err", res["Tc"]["err"]),
                                       ("e0", res["e0"]["value"]), ("e0_err", res["e0"]["err"])) if v is not None})
    return ds
