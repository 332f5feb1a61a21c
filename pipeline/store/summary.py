"""Human and JSON summaries of the sweeps in a catalog."""

from __future__ import annotations

import json
from typing import Any

from pipeline.store.catalog import Catalog


def sweep_summaries(cat: Catalog) -> list[dict[str, Any]]:
    """One dict per sweep: name, model, shape, done, total, created."""
    rows = []
    for name in cat.names():
        attrs = cat.attrs(name)
        done, req = cat.done_mask(name), cat.requested_mask(name)
        layout = cat.layout(name)
        shape = {d: len(layout.coords[d]) for d in layout.dims}
        rows.append({"name": name, "model": attrs.get("model", "?"), "shape": shape,
                     "done": int((done & req).sum()), "failed": _n_failed(cat, name), "total": int(req.sum()),
                     "created": attrs.get("created", "")})
    return rows


def _n_failed(cat: Catalog, name: str) -> int:
    """Points whose last attempt failed (0 for a sweep written before failures were stored)."""
    return int(cat.failed_mask(name).sum())


def describe(cat: Catalog, name: str) -> str:
    """A readable account of one sweep (read with zarr alone, from the stored layout: quick on any size)."""
    attrs = cat.attrs(name)
    layout = cat.layout(name)
    done, req = cat.done_mask(name), cat.requested_mask(name)
    subset = "" if req.all() else f" (grid subsets: {int(req.sum())} of the {req.size} product points)"
    lines = [f"sweep {name!r} in {cat.path}", f"  model: {attrs.get('model')} — {attrs.get('model_doc', '')}",
             f"  points: {int((done & req).sum())}/{int(req.sum())} done{subset}"]
    n_failed = _n_failed(cat, name)
    if n_failed:
        msgs = list(cat.failures(name).values())
        lines.append(f"  failed: {n_failed} points (a rerun retries them); first messages:")
        for m in msgs[:5]:
            where = ", ".join(f"{k}={v}" for k, v in m["coords"].items())
            lines.append(f"    {where}: {m['error']}")
    for d, vals in layout.coords.items():
        shown = ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in vals[:10])
        lines.append(f"  {d} ({len(vals)}): {shown}{', ...' if len(vals) > 10 else ''}")
    stored = layout.point_variables()
    base = sorted(v for v in stored if not v.endswith(("_err", "_bins"))
                  and not v.startswith("tau_int_") and v not in ("converged", "equilibrated"))
    bare = [v for v in base if f"{v}_err" not in stored]
    lines.append("  variables: " + ", ".join(base) + " (each with _err"
                 + (f" but {', '.join(bare)}" if bare else "") + "; scalar observables with tau_int_ and _bins)")
    if layout.ladder_variables():
        lines.append("  ladder variables: " + ", ".join(layout.ladder_variables()) + " (per ladder: "
                     + ", ".join(layout.ladder_dims) + ")")
    for var, what in (("converged", "the halves check"), ("equilibrated", "the log-binning check")):
        if var in layout.variables:
            ok = cat.read(name, var)[done]
            lines.append(f"  {var}: {int(ok.sum())}/{int(done.sum())} done points pass {what}")
    lines.append(f"  workflow seed: {attrs.get('workflow_seed')}, spec hash {attrs.get('spec_hash')}")
    lines.append(f"  created {attrs.get('created')} on {attrs.get('host')}; last run "
                 f"{attrs.get('last_run_start', '-')} .. {attrs.get('last_run_end', '-')}")
    vers = json.loads(attrs.get("versions", "{}"))
    lines.append("  versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    red = cat.reduction_attrs(name)
    if red is not None:
        lines.append(f"  reduction ({red.get('method', '?')}, {red.get('created', '')}):")
        for k, v in json.loads(red.get("summary", "{}")).items():
            lines.append(f"    {k}: {v}")
    else:
        lines.append("  reduction: none (spinsweep reduce NAME)")
    return "\n".join(lines)
