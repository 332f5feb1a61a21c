"""Reductions of stored sweeps by named recipes (:mod:`pipeline.reduce.recipes`).

A sweep stores the names of its recipes (attribute ``reductions``, a JSON list written when it is
created from the model's declaration). :func:`reduce_sweep` reads a complete sweep from the catalog,
runs its recipes with the workflow's ``[reduce]`` settings, stores the result in ``<name>/reduce``
with its provenance, and returns it as JSON-ready data and text. :func:`check_settings` validates a
``[reduce]`` table against recipe names when a workflow is loaded.

Nothing here imports the models, the specification, the runner or the CLI: a recipe is found by its
name alone.
"""

from __future__ import annotations

import json
from typing import Any

from pipeline.errors import ReductionError
from pipeline.reduce.recipes import RECIPES, Recipe, check_settings, get_recipe, parse_settings

__all__ = ["RECIPES", "Recipe", "check_settings", "get_recipe", "parse_settings", "recipe_names", "reduce_sweep",
           "stored_result"]


def recipe_names(catalog, name: str) -> list[str]:
    """The recipe names sweep ``name`` declares (its ``reductions`` attribute; empty if none)."""
    names = json.loads(catalog.attrs(name).get("reductions", "[]") or "[]")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ReductionError(f"sweep {name!r}: attribute 'reductions' = {names!r}: expected a list of recipe names")
    return names


def reduce_sweep(catalog, name: str) -> dict[str, Any]:
    """Reduce sweep ``name`` of ``catalog``; returns ``{"json": ..., "text": ..., "dataset": ...}``.

    With one recipe (every shipped model) the result is that recipe's. With several, ``json`` maps each
    recipe name to its result, ``text`` joins their summaries and ``dataset`` is the first recipe's.

    Raises
    ------
    ReductionError
        If the sweep declares no reduction or is incomplete, its settings do not validate, or the data
        cannot support the reduction.
    """
    from pipeline.store import provenance

    names = recipe_names(catalog, name)
    if not names:
        raise ReductionError(f"sweep {name!r} declares no reduction")
    recipes = [get_recipe(n) for n in names]
    _require_complete(catalog, name, f"sweep {name!r}", "the workflow")
    attrs = catalog.attrs(name)
    settings = json.loads(attrs.get("reduce_settings", "{}"))
    parsed = [parse_settings(r, settings, names) for r in recipes]
    ds = catalog.open(name).load()
    joined_hashes: dict[str, list[str]] = {}
    outs = []
    for r, s in zip(recipes, parsed, strict=True):
        if r.joins and s.sizes_from:
            joined = [(other, _own_result(catalog, name, other, r)) for other in s.sizes_from]
            joined_hashes |= {other: _version(catalog, other) for other in s.sizes_from}
            outs.append(r.run(ds, s, joined))
        else:
            outs.append(r.run(ds, s))
    if len(outs) == 1:
        out = outs[0]
    else:
        out = {"json": {r.name: o["json"] for r, o in zip(recipes, outs, strict=True)},
               "text": "\n\n".join(f"[{r.name}]\n{o['text']}" for r, o in zip(recipes, outs, strict=True)),
               "dataset": outs[0]["dataset"]}
    red = out["dataset"]
    red.attrs.update({"created": provenance.now(), "versions": json.dumps(provenance.versions()),
                      "sweep_spec_hash": attrs.get("spec_hash", ""), "settings": json.dumps(settings),
                      "recipes": json.dumps(names), "result": json.dumps(out["json"]),
                      "joined": json.dumps(joined_hashes)})
    red.attrs.setdefault("method", json.dumps(outs[0]["json"].get("method", {})))
    catalog.write_reduction(name, red)
    return out


def _require_complete(catalog, name: str, what: str, workflow: str) -> None:
    """:class:`ReductionError` ``WHAT is incomplete: k/n points done; run WORKFLOW again ...`` unless every
    requested point of sweep ``name`` is done."""
    done, req = catalog.done_mask(name), catalog.requested_mask(name)
    if not done[req].all():
        raise ReductionError(f"{what} is incomplete: {int(done[req].sum())}/{int(req.sum())} points done; run "
                             f"{workflow} again to finish it")


def _version(catalog, name: str) -> list[str]:
    """What a joined sweep's result depends on: its specification and its ``[reduce]`` settings."""
    attrs = catalog.attrs(name)
    return [attrs.get("spec_hash", ""), attrs.get("reduce_settings", "{}")]


def _own_result(catalog, name: str, other: str, recipe: Recipe) -> dict[str, Any]:
    """Recipe ``recipe``'s result of sweep ``other`` on its own data and settings (its own ``sizes_from``
    left out), for joining into the reduction of ``name``."""
    where = f"sweep {name!r}: [reduce] sizes_from"
    if other == name:
        raise ReductionError(f"{where} names the sweep itself; list the other sweeps whose sizes join it")
    if not catalog.has(other):
        raise ReductionError(f"{where}: no sweep {other!r} in the catalog {catalog.path} (it holds: "
                             f"{', '.join(catalog.names()) or 'none'}); run that workflow into this catalog, or rerun "
                             f"{name!r}'s with --set 'reduce.sizes_from=[]' to reduce it alone")
    names = recipe_names(catalog, other)
    if recipe.name not in names:
        raise ReductionError(f"{where}: sweep {other!r} is not reduced by {recipe.name!r}")
    _require_complete(catalog, other, f"{where}: sweep {other!r}", "its workflow")
    attrs = catalog.attrs(other)
    s = parse_settings(recipe, json.loads(attrs.get("reduce_settings", "{}")), names)
    return recipe.run(catalog.open(other).load(), s.model_copy(update={"sizes_from": []}))["json"]


def stored_result(catalog, name: str) -> dict[str, Any] | None:
    """The JSON result of the stored reduction of ``name``, if any and if it matches the sweep (its
    specification, the ``[reduce]`` settings the sweep holds now, and the specifications of the sweeps
    joined into it)."""
    red = catalog.open_reduction(name)
    attrs = catalog.attrs(name)
    if red is None or red.attrs.get("sweep_spec_hash") != attrs.get("spec_hash"):
        return None
    if "settings" in red.attrs and json.loads(red.attrs["settings"]) != json.loads(attrs.get("reduce_settings", "{}")):
        return None
    for other, v in json.loads(red.attrs.get("joined", "{}")).items():
        if not catalog.has(other) or _version(catalog, other) != v:
            return None
    return json.loads(red.attrs["result"])
