"""Learning curves of the teacher–student perceptron: simulation against the annealed theory.

Per (N, student, inputs, T, α) of a ``perceptron`` sweep: the averages over example sets (the seeds) of
the thermal means of the training error, R and the generalisation error, with standard errors from the
spread over example sets. Beside each: the annealed theory (``theory.annealed``) at N → ∞ (the saddle
point, which the figure draws) and at the sweep's own N (the exact finite-N annealed average over
ρ(w)(1 − (1 − e^{−β})ε(w))^P; not available for a spherical student on ±1 inputs), and the z-score of the
simulation against the latter.

Annealed and quenched averages agree at high temperature (β → 0 at fixed αβ): points with T ≥
``high_T`` are checked (|z| < ``z_max``); at lower T the annealed approximation is an approximation, and
the difference is reported, not checked. The high-T limit of the theory (ε_g(αβ): the spherical closed
form (1/π) arctan(π/(αβ)), the Ising student's first-order transition to R = 1) is given for the figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from pydantic import Field

from pipeline.errors import ReductionError
from pipeline.reduce._settings import PositiveFloat, Settings
from pipeline.theory import annealed as theory

__all__ = ["LearningSettings", "reduce_learning", "reduction_dataset", "summary_text"]

WHAT = "learning_curves"
OBS = ("train_error", "R", "gen_error", "gen_error_arccos")


class LearningSettings(Settings):
    """``[reduce]`` keys of the learning-curve reduction."""

    high_T: PositiveFloat = Field(5.0, description="temperatures from which the annealed theory is checked")
    z_max: PositiveFloat = Field(4.0, description="|z| beyond which a high-T point disagrees with the theory")


def _sem(x: np.ndarray) -> np.ndarray:
    n = np.sum(np.isfinite(x), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nanstd(x, axis=-1, ddof=1) / np.sqrt(n)


def _finite_N(alpha: float, T: float, N: int, student: str, inputs: str) -> dict[str, float] | None:
    if student == "spherical" and inputs == "binary":
        return None
    return theory.annealed_finite_N(alpha, T, N, student, inputs)


def _curve(d: xr.Dataset, N: int, student: str, inputs: str, T: float) -> dict[str, Any] | None:
    """One learning curve: every α with data at (N, student, inputs, T)."""
    x = d.sel(N=N, student=student, inputs=inputs, T=T)
    rows: dict[str, list] = {k: [] for k in ("alpha", "n_samples", *OBS, *(f"{k}_err" for k in OBS))}
    ann: dict[str, list] = {k: [] for k in ("R", "train_error", "eps_g", "E_gen")}
    annN: dict[str, list] = {k: [] for k in ("R", "train_error", "gen_error")}
    z: dict[str, list] = {k: [] for k in ("R", "train_error", "gen_error")}
    for a in x["alpha"].values:
        y = x.sel(alpha=a)
        vals = {k: np.asarray(y[k].values, float) for k in OBS}
        n = int(np.sum(np.isfinite(vals["R"])))
        if n < 2:
            continue
        rows["alpha"].append(float(a))
        rows["n_samples"].append(n)
        for k in OBS:
            rows[k].append(float(np.nanmean(vals[k])))
            rows[f"{k}_err"].append(float(_sem(vals[k])))
        th = theory.annealed(float(a), float(T), student)
        for k in ann:
            ann[k].append(float(th[k]))
        fn = _finite_N(float(a), float(T), int(N), student, inputs)
        for k in annN:
            v = None if fn is None else float(fn[k])
            annN[k].append(v)
            err = rows[f"{k}_err"][-1]
            z[k].append(None if v is None or not err > 0 else (rows[k][-1] - v) / err)
    if not rows["alpha"]:
        return None
    return {"N": int(N), "student": student, "inputs": inputs, "T": float(T), **rows,
            "alpha_beta": [a / float(T) for a in rows["alpha"]], "annealed": ann, "annealed_N": annN, "z": z}


def reduce_learning(ds: xr.Dataset, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every learning curve of the sweep with its theory, and the high-T check (see the module docstring)."""
    s = LearningSettings.model_validate(dict(settings or {})).model_dump()
    for dim in ("N", "alpha", "T", "seed", "student", "inputs"):
        if dim not in ds.dims:
            raise ReductionError(f"{WHAT} needs dimension {dim!r}; the sweep has {list(ds.dims)}")
    for var in OBS:
        if var not in ds:
            raise ReductionError(f"{WHAT} needs {var!r}; not in the sweep (is it a perceptron sweep?)")
    curves = []
    for N in ds["N"].values:
        for student in ds["student"].values:
            for inputs in ds["inputs"].values:
                for T in ds["T"].values:
                    c = _curve(ds, int(N), str(student), str(inputs), float(T))
                    if c is not None:
                        curves.append(c)
    if not curves:
        raise ReductionError(f"{WHAT}: no point of the sweep has results")
    checks = []
    for c in curves:
        if c["T"] < s["high_T"]:
            continue
        for k in ("train_error", "R", "gen_error"):
            zs = [v for v in c["z"][k] if v is not None]
            if zs:
                worst = float(np.max(np.abs(zs)))
                checks.append({"N": c["N"], "student": c["student"], "inputs": c["inputs"], "T": c["T"],
                               "observable": k, "points": len(zs), "max_abs_z": worst,
                               "ok": worst < s["z_max"]})
    ab = np.unique(np.concatenate([np.asarray(c["alpha_beta"]) for c in curves if c["T"] >= s["high_T"]] or
                                  [np.zeros(0)]))
    grid = np.geomspace(max(0.05, 0.5 * ab.min()) if ab.size else 0.1, max(2.0 * ab.max(), 4.0)
                        if ab.size else 20.0, 120)
    high = {st: {"alpha_beta": grid.tolist(), "eps_g": [float(theory.high_T(x, st)["eps_g"]) for x in grid],
                 "R": [float(theory.high_T(x, st)["R"]) for x in grid]} for st in theory.STUDENTS}
    tr = theory.ising_high_T_transition()
    return {"curves": curves, "high_T": high, "ising_transition": {k: float(v) for k, v in tr.items()
                                                                   if isinstance(v, int | float)},
            "checks": checks, "all_ok": all(c["ok"] for c in checks), "settings": s}


def summary_text(res: Mapping[str, Any]) -> str:
    """A few readable lines: the high-T checks and the Ising transition."""
    lines = [f"learning curves: {len(res['curves'])} (N, student, inputs, T) curves"]
    tr = res["ising_transition"]
    lines.append(f"Ising student, high T: first-order transition at alpha*beta = {tr['alpha_beta_c']:.4f} "
                 f"(spinodal {tr['alpha_beta_spinodal']:.4f})")
    for c in res["checks"]:
        lines.append(f"  high T: N={c['N']} {c['student']}/{c['inputs']} T={c['T']:g} {c['observable']}: "
                     f"max |z| = {c['max_abs_z']:.2f} over {c['points']} loads ({'ok' if c['ok'] else 'DISAGREES'})")
    return "\n".join(lines)


def reduction_dataset(res: Mapping[str, Any]) -> xr.Dataset:
    """The curves as a flat table over a ``point`` dimension (one row per (N, student, inputs, T, α))."""
    cols: dict[str, list] = {k: [] for k in ("N", "student", "inputs", "T", "alpha", *OBS)}
    for c in res["curves"]:
        for i, a in enumerate(c["alpha"]):
            for k in ("N", "student", "inputs", "T"):
                cols[k].append(c[k])
            cols["alpha"].append(a)
            for k in OBS:
                cols[k].append(c[k][i])
    return xr.Dataset({k: ("point", np.asarray(v)) for k, v in cols.items()},
                      attrs={"all_ok": int(bool(res["all_ok"]))})
