"""Reductions of stored sweeps: each model points at its own (``Model.reduce``).

:func:`reduce_sweep` reads a complete sweep from the catalog, runs the model's reduction with the
workflow's ``[reduce]`` settings, stores the result in ``<name>/reduce`` with its provenance, and
returns it as JSON-ready data and text.
"""

from __future__ import annotations

import json
from typing import Any

from pipeline.errors import ReductionError


def reduce_sweep(catalog, name: str) -> dict[str, Any]:
    """Reduce sweep ``name`` of ``catalog``; returns ``{"json": ..., "text": ...}``.

    Raises
    ------
    ReductionError
        If the sweep is incomplete or its model declares no reduction, or the data cannot support it.
    """
    from pipeline.store import provenance
    from pipeline.store.catalog import model_of

    model = model_of(catalog, name)
    if model.reduce is None:
        raise ReductionError(f"model {model.name!r} declares no reduction")
    done, req = catalog.done_mask(name), catalog.requested_mask(name)
    if not done[req].all():
        raise ReductionError(f"sweep {name!r} is incomplete: {int(done[req].sum())}/{int(req.sum())} points "
                             "done; run the workflow again to finish it")
    attrs = catalog.attrs(name)
    settings = json.loads(attrs.get("reduce_settings", "{}"))
    ds = catalog.open(name).load()
    out = model.reduce(ds, settings)
    red = out["dataset"]
    red.attrs.update({"created": provenance.now(), "versions": json.dumps(provenance.versions()),
                      "sweep_spec_hash": attrs.get("spec_hash", ""), "settings": json.dumps(settings),
                      "result": json.dumps(out["json"])})
    red.attrs.setdefault("method", json.dumps(out["json"].get("method", {})))
    catalog.write_reduction(name, red)
    return out


def stored_result(catalog, name: str) -> dict[str, Any] | None:
    """The JSON result of the stored reduction of ``name``, if any and if it matches the sweep."""
    red = catalog.open_reduction(name)
    if red is None or red.attrs.get("sweep_spec_hash") != catalog.attrs(name).get("spec_hash"):
        return None
    return json.loads(red.attrs["result"])
