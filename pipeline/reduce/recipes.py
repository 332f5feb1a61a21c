"""Named reduction recipes: what a model's sweeps are reduced with, by name.

A model declares the names of its recipes; the sweep stores them (attribute ``reductions``, a JSON
list) when it is created, and :func:`pipeline.reduce.reduce_sweep` runs them. Each recipe has a
settings schema (the keys of the workflow's ``[reduce]`` table it reads, their defaults and allowed
values): :func:`check_settings` validates a table against the recipes of a model when the workflow is
loaded, :func:`parse_settings` turns it into the recipe's settings when it runs.

Recipes
-------
``ferromagnet_fss``
    Finite-size scaling of a ferromagnet sweep (Curie–Weiss): T_c from Binder crossings, β, γ, ν̄
    (:mod:`pipeline.reduce.ferromagnet`).
``hopfield_phase_diagram``
    Hopfield (α, T) phase diagram: α_c(T → 0) from the retrieval loss extrapolated in N, T_g(α) from
    spin-glass crossings (:mod:`pipeline.reduce.hopfield`).
``hopfield_tc``
    Hopfield T_c(α) by thermodynamic integration on restricted branches: the non-retrieval free energy
    from β = 0, every retrieval basin's from T → 0, their crossing per sample, averaged and extrapolated in
    N (:mod:`pipeline.reduce.hopfield_tc`).
``learning_curves``
    Perceptron learning curves against the annealed theory (:mod:`pipeline.reduce.perceptron`).
``rbm_retrieval``
    RBM retrieval per hidden-unit kind: [m] and retained fractions over (α, T), the boundary α_M(T, N)
    against the AGS line, and the KL of the quadratic approximation (:mod:`pipeline.reduce.rbm`).
``sk_spin_glass``
    SK spin glass from parallel-tempering ladders: equilibration checks, T_c from overlap Binder and
    χ_SG crossings, e₀ extrapolated in N (:mod:`pipeline.reduce.sk`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import xarray as xr
from pydantic import BaseModel

from pipeline.errors import ReductionError
from pipeline.reduce import ferromagnet, hopfield, hopfield_tc, perceptron, rbm, sk
from pipeline.reduce._settings import problems, toml_value
from pipeline.reduce.ferromagnet import FerromagnetSettings
from pipeline.reduce.hopfield import HopfieldSettings
from pipeline.reduce.hopfield_tc import HopfieldTcSettings
from pipeline.reduce.perceptron import LearningSettings
from pipeline.reduce.rbm import RBMSettings
from pipeline.reduce.sk import SKSettings

__all__ = ["RECIPES", "Recipe", "check_settings", "get_recipe", "parse_settings"]


@dataclass(frozen=True)
class Recipe:
    """A named reduction.

    Attributes
    ----------
    name : str
        What models and sweeps call it.
    doc : str
        One paragraph: what it measures and how.
    settings : type of pydantic.BaseModel
        Schema of the ``[reduce]`` keys it reads (``extra="forbid"``; defaults for every key).
    run : callable
        ``run(ds, settings) -> {"json": dict, "text": str, "dataset": xarray.Dataset}``: the sweep (every
        point done) and the parsed settings give the JSON-ready result, a readable summary and a small
        dataset to store beside the sweep.
        A recipe whose settings have ``sizes_from`` (names of other sweeps of the catalog reduced by the
        same recipe: :attr:`joins`) takes a third argument, the list of (name, that sweep's own result)
        (see :func:`pipeline.reduce.reduce_sweep`).
    """

    name: str
    doc: str
    settings: type[BaseModel]
    run: Callable[..., dict[str, Any]]

    @property
    def joins(self) -> bool:
        """Whether results of other sweeps join this one's (its settings have ``sizes_from``)."""
        return "sizes_from" in self.settings.model_fields

    @property
    def keys(self) -> tuple[str, ...]:
        """The ``[reduce]`` keys of the recipe, in declaration order."""
        return tuple(self.settings.model_fields)


def _run_ferromagnet(ds: xr.Dataset, settings: BaseModel) -> dict[str, Any]:
    res = ferromagnet.reduce_ferromagnet(ds, settings.model_dump())
    return {"json": res, "text": ferromagnet.summary_text(res), "dataset": ferromagnet.reduction_dataset(res)}


def _run_hopfield(ds: xr.Dataset, settings: BaseModel) -> dict[str, Any]:
    res = hopfield.reduce_hopfield(ds, settings.model_dump())
    return {"json": res, "text": hopfield.summary_text(res), "dataset": hopfield.reduction_dataset(res)}


def _run_hopfield_tc(ds: xr.Dataset, settings: BaseModel, joined=()) -> dict[str, Any]:
    res = hopfield_tc.reduce_hopfield_tc(ds, settings.model_dump(), joined)
    return {"json": res, "text": hopfield_tc.summary_text(res), "dataset": hopfield_tc.reduction_dataset(res)}


def _run_learning(ds: xr.Dataset, settings: BaseModel) -> dict[str, Any]:
    res = perceptron.reduce_learning(ds, settings.model_dump())
    return {"json": res, "text": perceptron.summary_text(res), "dataset": perceptron.reduction_dataset(res)}


def _run_rbm(ds: xr.Dataset, settings: BaseModel) -> dict[str, Any]:
    res = rbm.reduce_rbm(ds, settings.model_dump())
    return {"json": res, "text": rbm.summary_text(res), "dataset": rbm.reduction_dataset(res)}


def _run_sk(ds: xr.Dataset, settings: BaseModel) -> dict[str, Any]:
    res = sk.reduce_sk(ds, settings.model_dump())
    return {"json": res, "text": sk.summary_text(res), "dataset": sk.reduction_dataset(res)}


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            name="ferromagnet_fss",
            doc=("Finite-size scaling of a ferromagnet sweep (dims N, T, seed, bin; m_abs, m2, m4 bins): T_c from "
                 "the U4 crossings of successive sizes extrapolated in N, beta/nu_bar and gamma/nu_bar from "
                 "power laws at T_c, nu_bar from the U4 collapse, beta and gamma."),
            settings=FerromagnetSettings,
            run=_run_ferromagnet,
        ),
        Recipe(
            name="hopfield_phase_diagram",
            doc=("Hopfield phase diagram (dims N, alpha, T, seed, init, bin): the retrieval line alpha_M(N, T) from "
                 "pattern starts extrapolated to N -> inf with several finite-size forms, alpha_c(T -> 0), and "
                 "T_g(alpha) from crossings of N^(2/3)[<q^2>](T) from random starts."),
            settings=HopfieldSettings,
            run=_run_hopfield,
        ),
        Recipe(
            name="sk_spin_glass",
            doc=("SK spin glass (dims N, T, seed, couplings; parallel-tempering ladders): ladders flagged by "
                 "log-binning and round trips, the identity [e] = -(beta/2)(1 - [q2]), T_c from crossings of the "
                 "overlap Binder ratio and of N^(2/3)[q2], e0 from the lowest quenched energies extrapolated "
                 "in N."),
            settings=SKSettings,
            run=_run_sk,
        ),
        Recipe(
            name="hopfield_tc",
            doc=("Hopfield T_c(alpha) by thermodynamic integration on restricted branches (a hopfield_branches "
                 "sweep, dims N, alpha, T, seed, branch): ln Z of the non-retrieval branch from beta = 0 and of every "
                 "retrieval basin from the lowest T, T_c(alpha, N) per sample where ln Z_R = ln Z_nR, the mean "
                 "over samples and the N -> inf extrapolation (over the sizes of the sweeps in sizes_from too)."),
            settings=HopfieldTcSettings,
            run=_run_hopfield_tc,
        ),
        Recipe(
            name="learning_curves",
            doc=("Teacher-student perceptron (dims N, alpha, T, seed, student, inputs): training error, R and "
                 "generalisation error averaged over example sets, against the annealed theory at N -> inf and "
                 "at the sweep's N; checked at high T, where annealed and quenched agree."),
            settings=LearningSettings,
            run=_run_learning,
        ),
        Recipe(
            name="rbm_retrieval",
            doc=("RBM retrieval from pattern starts (dims N, alpha, T, seed, hidden; Hebbian weights): "
                 "[<|m_1|>] and the fraction of seeds retaining pattern 1 per (hidden, N, alpha, T), the "
                 "boundary alpha_M(T, N) where that fraction crosses 1/2 (bootstrap over seeds) against the AGS "
                 "alpha_M(T), and the KL divergence of the quadratic (Hopfield) approximation of the visible "
                 "marginal against the weight scale, by enumeration."),
            settings=RBMSettings,
            run=_run_rbm,
        ),
    )
}


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; :class:`~pipeline.errors.ReductionError` naming the others if none is."""
    try:
        return RECIPES[name]
    except (KeyError, TypeError):
        raise ReductionError(f"no reduction recipe {name!r}; available: {', '.join(RECIPES)}") from None


def _recipes(names: Sequence[str] | str) -> list[Recipe]:
    if isinstance(names, str):
        names = [names]
    return [get_recipe(n) for n in names]


def check_settings(names: Sequence[str], raw: Mapping[str, Any]) -> list[str]:
    """Problems of a workflow's ``[reduce]`` table against the recipes ``names``; empty when it is valid.

    A key is allowed if any of the recipes reads it; its value must suit every recipe that reads it.
    Each problem is one line, ``[reduce] KEY = VALUE: WHY``, e.g.
    ``[reduce] threshold = 1.5: expected a value < 1`` or ``[reduce] treshold = 0.5: unknown key;
    allowed: ...``, in the order of the table's keys.

    Raises
    ------
    ReductionError
        An unknown recipe name (a model's declaration, not the workflow's).
    """
    recipes = _recipes(names)
    if not isinstance(raw, Mapping):
        return [f"[reduce] = {toml_value(raw)}: expected a table of settings"]
    allowed: dict[str, None] = {}
    for r in recipes:
        allowed.update(dict.fromkeys(r.keys))
    found: dict[str, list[str]] = {}
    for key in raw:
        if key not in allowed:
            if not recipes:
                why = "unknown key; the model declares no reduction, so [reduce] takes no settings"
            else:
                why = f"unknown key; allowed: {', '.join(sorted(allowed, key=str.lower))}"
            found.setdefault(key, []).append(why)
    for r in recipes:
        own = {k: v for k, v in raw.items() if k in r.settings.model_fields}
        for key, why in problems(r.settings, own):
            if why not in found.setdefault(key, []):
                found[key].append(why)
    out = []
    for key in raw:
        for why in found.get(key, []):
            out.append(f"[reduce] {key} = {toml_value(raw[key])}: {why}")
    return out


def parse_settings(recipe: Recipe | str, raw: Mapping[str, Any] | None,
                   names: Sequence[str] | None = None) -> BaseModel:
    """The settings of ``recipe`` from a ``[reduce]`` table, validated, defaults filled in.

    ``names`` are all the recipes the table serves (default: this one): keys of the others are ignored,
    keys of none of them refused.

    Raises
    ------
    ReductionError
        The table's problems (:func:`check_settings`), joined by "; ".
    """
    r = get_recipe(recipe) if isinstance(recipe, str) else recipe
    names = [r.name] if names is None else list(names)
    if r.name not in names:
        names.append(r.name)
    raw = dict(raw or {})
    bad = check_settings(names, raw)
    if bad:
        raise ReductionError("; ".join(bad))
    return r.settings.model_validate({k: v for k, v in raw.items() if k in r.settings.model_fields})
