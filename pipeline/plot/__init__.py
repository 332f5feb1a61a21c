"""Figures of stored sweeps (matplotlib, Agg, PNG), by name.

A sweep stores the names of its figures (attribute ``plots``, a JSON list written when it is created
from the model's declaration). Each name maps in :data:`FIGURES` to ``figure(ds, result, outdir)``,
which receives the sweep, the JSON result of its stored reduction and the output folder, and returns
the paths it wrote. Figures never reduce: :func:`plot_sweep` refuses a sweep whose figures need a
reduction that is not stored (``spinsweep reduce NAME`` first).

Nothing here imports the models, the specification, the runner or the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xarray as xr

from pipeline.errors import SpinsweepError

__all__ = ["COMPANIONS", "FIGURES", "NEEDS_REDUCTION", "companion_results", "figure_names", "get_figure", "plot_sweep"]

Figure = Callable[[xr.Dataset, dict | None, Path], list[Path]]


def ferromagnet_fss(ds: xr.Dataset, result: dict[str, Any] | None, outdir: Path) -> list[Path]:
    """Order parameter, U4 with its crossings, collapses and log-log fits, with the exact finite-N
    Curie–Weiss curves and the mean-field solution overlaid (:mod:`pipeline.plot.ferromagnet`)."""
    from pipeline.plot.ferromagnet import plot_ferromagnet
    from pipeline.theory.exact import curie_weiss_exact
    from pipeline.theory.mean_field import curie_weiss_mean_field

    return [Path(p) for p in plot_ferromagnet(ds, result, Path(outdir), exact_curves=curie_weiss_exact,
                                              theory=curie_weiss_mean_field)]


def hopfield_phase_diagram(ds: xr.Dataset, result: dict[str, Any] | None, outdir: Path) -> list[Path]:
    """The (α, T) phase diagram with the AGS lines, and the retrieval and spin-glass data behind it
    (:mod:`pipeline.plot.hopfield`)."""
    from pipeline.plot.hopfield import plot_hopfield

    return [Path(p) for p in plot_hopfield(ds, result, Path(outdir))]


def overlap_distribution(ds: xr.Dataset, result: dict[str, Any] | None, outdir: Path) -> list[Path]:
    """[P(q)] per size at a few loads and temperatures (:mod:`pipeline.plot.overlap`); needs no reduction."""
    from pipeline.plot.overlap import plot_overlap_distribution

    return [Path(p) for p in plot_overlap_distribution(ds, result, Path(outdir))]


def sk_spin_glass(ds: xr.Dataset, result: dict[str, Any] | None, outdir: Path) -> list[Path]:
    """P(q) below and above T_c, g(T) and N^(2/3)[q²] crossings, e(N) extrapolation and swap acceptance
    along the ladder (:mod:`pipeline.plot.sk`)."""
    from pipeline.plot.sk import plot_sk

    return [Path(p) for p in plot_sk(ds, result, Path(outdir))]


def learning_curves(ds: xr.Dataset, result: dict[str, Any] | None, outdir: Path) -> list[Path]:
    """Perceptron errors and overlaps against αβ at high T and against α at low T, over the annealed theory
    (:mod:`pipeline.plot.perceptron`)."""
    from pipeline.plot.perceptron import plot_learning_curves

    return [Path(p) for p in plot_learning_curves(ds, result, Path(outdir))]


def rbm_retrieval(ds: xr.Dataset, result: dict[str, Any] | None, outdir: Path) -> list[Path]:
    """RBM [m] over (α, T) for Gaussian and ±1 hidden units with the measured α_M(T) and the AGS Hopfield
    lines, m(T) per N at the smallest load, and the KL of the quadratic approximation
    (:mod:`pipeline.plot.rbm`)."""
    from pipeline.plot.rbm import plot_rbm

    return [Path(p) for p in plot_rbm(ds, result, Path(outdir))]


def hopfield_tc(ds: xr.Dataset, result: dict[str, Any] | None, outdir: Path) -> list[Path]:
    """T_c(α, N) against 1/N with its N → ∞ fits, (ln Z_R − ln Z_nR)/N against T, and T_c on the (α, T)
    plane over the AGS lines (:mod:`pipeline.plot.hopfield_tc`)."""
    from pipeline.plot.hopfield_tc import plot_hopfield_tc

    return [Path(p) for p in plot_hopfield_tc(ds, result, Path(outdir))]


#: Figure name -> ``figure(ds, result, outdir) -> paths``.
FIGURES: dict[str, Figure] = {
    "ferromagnet_fss": ferromagnet_fss,
    "hopfield_phase_diagram": hopfield_phase_diagram,
    "hopfield_tc": hopfield_tc,
    "learning_curves": learning_curves,
    "overlap_distribution": overlap_distribution,
    "rbm_retrieval": rbm_retrieval,
    "sk_spin_glass": sk_spin_glass,
}

#: Figures drawn from the result of a reduction (the recipe of the same name).
NEEDS_REDUCTION: frozenset[str] = frozenset({"ferromagnet_fss", "hopfield_phase_diagram", "hopfield_tc", "learning_curves",
                                             "rbm_retrieval", "sk_spin_glass"})


#: Results of other sweeps that a figure draws too: figure name -> recipe names. :func:`plot_sweep` passes the
#: stored results of every other sweep of the catalog reduced by such a recipe as ``result["companions"][recipe]``
#: (a list of {"sweep", "result"}), e.g. the T_c line measured by a ``hopfield_tc`` sweep on the phase diagram.
COMPANIONS: dict[str, tuple[str, ...]] = {"hopfield_phase_diagram": ("hopfield_tc",)}


def companion_results(catalog, name: str, recipes: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    """The stored results of the catalog's other sweeps reduced by each of ``recipes`` (current ones only)."""
    from pipeline.reduce import recipe_names, stored_result

    out: dict[str, list[dict[str, Any]]] = {}
    for other in catalog.names():
        if other == name or not catalog.has(other):
            continue
        try:
            declared = recipe_names(catalog, other)
            res = stored_result(catalog, other) if any(r in declared for r in recipes) else None
        except SpinsweepError:
            continue
        if res is None:
            continue
        for r in recipes:
            if r in declared:
                one = res[r] if len(declared) > 1 and isinstance(res, dict) and r in res else res
                out.setdefault(r, []).append({"sweep": other, "result": one})
    return out


def get_figure(name: str) -> Figure:
    """The figure called ``name``; :class:`~pipeline.errors.SpinsweepError` naming the others if none is."""
    try:
        return FIGURES[name]
    except (KeyError, TypeError):
        raise SpinsweepError(f"no figure {name!r}; available: {', '.join(FIGURES)}") from None


def figure_names(catalog, name: str) -> list[str]:
    """The figure names sweep ``name`` declares (its ``plots`` attribute; empty if none)."""
    names = json.loads(catalog.attrs(name).get("plots", "[]") or "[]")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise SpinsweepError(f"sweep {name!r}: attribute 'plots' = {names!r}: expected a list of figure names")
    return names


def plot_sweep(catalog, name: str, outdir: str | Path | None = None,
               result: dict[str, Any] | None = None) -> list[Path]:
    """Write the figures of sweep ``name`` into ``outdir`` (default ``figures/NAME``); returns the paths.

    ``result`` is the reduction's JSON result (default: the stored one, if it matches the sweep). A
    sweep reduced by several recipes stores their results under the recipes' names; each figure then
    gets the result of the recipe of its own name.

    Raises
    ------
    SpinsweepError
        The sweep declares no figures or an unknown one, or its figures need a reduction and none is
        stored (or the stored one belongs to another version of the sweep).
    """
    from pipeline.reduce import recipe_names, stored_result

    names = figure_names(catalog, name)
    if not names:
        raise SpinsweepError(f"sweep {name!r} declares no figures")
    figures = [(n, get_figure(n)) for n in names]
    if result is None:
        result = stored_result(catalog, name)
    if result is None and any(n in NEEDS_REDUCTION for n in names):
        raise SpinsweepError(f"sweep {name!r} has no stored reduction; run `spinsweep reduce {name}` first")
    several = len(recipe_names(catalog, name)) > 1
    out = Path(outdir) if outdir is not None else Path("figures") / name
    out.mkdir(parents=True, exist_ok=True)
    ds = catalog.open(name).load()
    paths: list[Path] = []
    for n, fig in figures:
        res = result
        if several and isinstance(result, dict) and n in result:
            res = result[n]
        if n in COMPANIONS and isinstance(res, dict):
            comp = companion_results(catalog, name, COMPANIONS[n])
            if comp:
                res = dict(res) | {"companions": comp}
        paths += [Path(p) for p in fig(ds, res, out)]
    return paths
