"""P(q): the disorder-averaged two-replica overlap distribution, one panel per (α, T), one curve per N."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xarray as xr

from pipeline.plot._style import np, plt, save, size_colors

MAX_T = 4
MAX_ALPHA = 3


def _pick(values: np.ndarray, k: int) -> list:
    """Up to ``k`` values spread over ``values`` (the ends included)."""
    if values.size <= k:
        return list(values)
    return list(values[np.unique(np.round(np.linspace(0, values.size - 1, k)).astype(int))])


def plot_overlap_distribution(ds: xr.Dataset, result: dict[str, Any] | None, outdir: Path) -> list[str]:
    """``overlap_distribution.png``: [P(q)] over samples (density, ±1 s.e. band) for each size.

    Uses the random starts when the sweep has them (the spin-glass onset), else the first initial
    condition; up to three loads and four temperatures spread over those that have data. Above T_g P(q)
    narrows around 0 as N grows (width ~ N^-1/2); below it stays broad.
    """
    if "P_q" not in ds:
        return []
    sel = ds
    if "init" in ds.dims:
        inits = list(ds["init"].values)
        sel = ds.sel(init="random" if "random" in inits else inits[0])
    done = sel["done"]
    has = done.any(dim=[d for d in done.dims if d not in ("T",) + (("alpha",) if "alpha" in done.dims else ())])
    alphas = list(sel["alpha"].values) if "alpha" in sel.dims else [None]
    alphas = [a for a in alphas if a is None or bool(has.sel(alpha=a).any())]
    alphas = _pick(np.asarray(alphas, dtype=object), MAX_ALPHA)
    q = sel["q"].values
    w = float(q[1] - q[0])
    sizes = [int(n) for n in sel["N"].values]
    colors = size_colors(sizes)
    panels = []
    for a in alphas:
        h = has.sel(alpha=a) if a is not None else has
        temps = np.asarray([T for T in sel["T"].values if bool(h.sel(T=T).all() if h.ndim > 1 else h.sel(T=T))])
        panels.append((a, _pick(temps, MAX_T)))
    n_cols = max((len(t) for _, t in panels), default=0)
    if not n_cols:
        return []
    fig, axes = plt.subplots(len(panels), n_cols, figsize=(3.3 * n_cols, 2.8 * len(panels)), squeeze=False,
                             sharex=True)
    for r, (a, temps) in enumerate(panels):
        for c in range(n_cols):
            ax = axes[r, c]
            if c >= len(temps):
                ax.set_visible(False)
                continue
            T = temps[c]
            for N in sizes:
                pt = sel.sel(N=N, T=T) if a is None else sel.sel(N=N, T=T, alpha=a)
                ok = pt["done"].values.astype(bool)
                if not ok.any():
                    continue
                P = pt["P_q"].transpose("seed", "q").values[ok] / w
                mean = P.mean(axis=0)
                err = P.std(axis=0, ddof=1) / np.sqrt(ok.sum()) if ok.sum() > 1 else np.zeros_like(mean)
                ax.plot(q, mean, color=colors[N], label=f"N = {N} ({ok.sum()} samples)")
                ax.fill_between(q, mean - err, mean + err, color=colors[N], alpha=0.25, lw=0)
            title = f"T = {T:g}" + ("" if a is None else f", α = {a:g}")
            ax.set_title(title, fontsize=10)
            if r == len(panels) - 1:
                ax.set_xlabel("q")
            if c == 0:
                ax.set_ylabel("[P(q)]")
    axes[0, 0].legend(loc="upper left", fontsize=7)
    fig.suptitle("two-replica overlap distribution (disorder average, ±1 s.e.)", fontsize=11)
    return [save(fig, Path(outdir) / "overlap_distribution.png")]
