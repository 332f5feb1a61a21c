"""Figures of stored sweeps (matplotlib, Agg, PNG). Each model points at its own ``plot`` function.

``plot(ds, result, outdir)`` receives the sweep, the JSON result of its reduction (computed and stored
first when missing or stale) and the output folder, and returns the paths it wrote.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import SpinsweepError


def plot_sweep(catalog, name: str, outdir: str | Path | None = None) -> list[Path]:
    """Write the figures of sweep ``name`` into ``outdir`` (default ``figures/NAME``); returns the paths."""
    from pipeline.reduce import reduce_sweep, stored_result
    from pipeline.store.catalog import model_of

    model = model_of(catalog, name)
    if model.plot is None:
        raise SpinsweepError(f"model {model.name!r} declares no figures")
    result = stored_result(catalog, name)
    if result is None and model.reduce is not None:
        result = reduce_sweep(catalog, name)["json"]
    out = Path(outdir) if outdir is not None else Path("figures") / name
    out.mkdir(parents=True, exist_ok=True)
    return [Path(p) for p in model.plot(catalog.open(name).load(), result, out)]
