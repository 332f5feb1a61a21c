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
        spec = json.loads(attrs.get("spec", "{}"))
        done = cat.done_mask(name)
        shape = {k: len(v) for k, v in spec.get("grid", {}).items()}
        rows.append({"name": name, "model": attrs.get("model", "?"), "shape": shape,
                     "done": int(done.sum()), "total": int(done.size), "created": attrs.get("created", "")})
    return rows


def describe(cat: Catalog, name: str) -> str:
    """A readable account of one sweep."""
    ds = cat.open(name)
    attrs = ds.attrs
    done = cat.done_mask(name)
    lines = [f"sweep {name!r} in {cat.path}", f"  model: {attrs.get('model')} — {attrs.get('model_doc', '')}",
             f"  points: {int(done.sum())}/{done.size} done"]
    for d in ds.dims:
        vals = ds[d].values
        shown = ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in vals[:10].tolist())
        lines.append(f"  {d} ({len(vals)}): {shown}{', ...' if len(vals) > 10 else ''}")
    base = [v for v in ds.data_vars if not v.endswith(("_err", "_bins")) and not v.startswith("tau_int_")]
    lines.append("  variables: " + ", ".join(base) + " (each with _err; observables with tau_int_ and _bins)")
    if "converged" in ds:
        conv = ds["converged"].values[done]
        lines.append(f"  converged: {int(conv.sum())}/{int(done.sum())} done points pass the halves check")
    lines.append(f"  workflow seed: {attrs.get('workflow_seed')}, spec hash {attrs.get('spec_hash')}")
    lines.append(f"  created {attrs.get('created')} on {attrs.get('host')}; last run "
                 f"{attrs.get('last_run_start', '-')} .. {attrs.get('last_run_end', '-')}")
    vers = json.loads(attrs.get("versions", "{}"))
    lines.append("  versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    red = cat.open_reduction(name)
    if red is not None:
        lines.append(f"  reduction ({red.attrs.get('method', '?')}, {red.attrs.get('created', '')}):")
        for k, v in json.loads(red.attrs.get("summary", "{}")).items():
            lines.append(f"    {k}: {v}")
    else:
        lines.append("  reduction: none (spinsweep reduce NAME)")
    return "\n".join(lines)
