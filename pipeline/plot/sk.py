"""The SK spin glass on one page: P(q) below and above T_c, g(T) and N^(2/3)[q²] crossings, e(N), swaps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xarray as xr

from pipeline.plot._style import np, plt, save, size_colors

T_BELOW = 0.5
T_ABOVE = 1.3


def _nearest(values: np.ndarray, x: float) -> float:
    return float(values[int(np.argmin(np.abs(values - x)))])


def _pq_panel(ax, d: xr.Dataset, T: float, sizes, colors) -> None:
    q = d["q"].values
    w = float(q[1] - q[0])
    for N in sizes:
        pt = d.sel(N=N, T=T)
        ok = pt["done"].values.astype(bool) if "done" in pt else np.ones(pt.sizes["seed"], bool)
        P = pt["P_q"].transpose("seed", "q").values[ok] / w
        mean, err = P.mean(0), P.std(0, ddof=1) / np.sqrt(ok.sum())
        ax.plot(q, mean, color=colors[N], label=f"N = {N}")
        ax.fill_between(q, mean - err, mean + err, color=colors[N], alpha=0.25, lw=0)
    ax.set_xlabel("q")
    ax.set_ylabel("[P(q)]")
    ax.set_title(f"overlap distribution, T = {T:g} ({'below' if T < 1 else 'above'} T_c)", fontsize=10)
    ax.legend(fontsize=7)


def plot_sk(ds: xr.Dataset, result: dict[str, Any] | None, outdir: Path) -> list[str]:
    """``sk_spin_glass.png``: six panels from the sweep and its reduction (``result``)."""
    if result is None:
        return []
    d = ds.sel(couplings=result["couplings"]) if "couplings" in ds.dims else ds
    sizes = [int(n) for n in result["sizes"]]
    colors = size_colors(sizes)
    Ts = np.asarray(d["T"].values, float)
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.6))
    _pq_panel(axes[0, 0], d, _nearest(Ts, T_BELOW), sizes, colors)
    _pq_panel(axes[0, 1], d, _nearest(Ts, T_ABOVE), sizes, colors)

    c = result["curves"] or {"N": [], "T": []}
    for ax, key, est, label in ((axes[0, 2], "g", result["Tc"], "g = (3 − [q⁴]/[q²]²)/2"),
                                (axes[1, 0], "Y", result["Tc_chi"], "N^(2/3) [q²]")):
        for k, N in enumerate(c["N"]):
            ax.errorbar(c["T"], c[key][k], yerr=c[f"{key}_err"][k], color=colors[N], marker="o", ms=3,
                        lw=1, label=f"N = {N}")
        if est["value"] is not None:
            ax.axvspan(est["value"] - est["err"], est["value"] + est["err"], color="tab:red", alpha=0.15,
                       label=f"T_c = {est['value']:.3f} ± {est['err']:.3f}")
        ax.axvline(1.0, color="k", ls=":", lw=1, label="T_c = 1 (exact)")
        ax.set_xlabel("T")
        ax.set_ylabel(label)
        ax.legend(fontsize=7)
    axes[0, 2].set_title("overlap Binder ratio: crossings at T_c", fontsize=10)
    axes[1, 0].set_yscale("log")
    axes[1, 0].set_title("spin-glass susceptibility / N^(1/3): crossings at T_c", fontsize=10)

    ax = axes[1, 1]
    e, e0 = result["e_gs"], result["e0"]
    x = np.asarray(e["N"], float) ** (-2.0 / 3.0)
    ax.errorbar(x, e["value"], yerr=e["err"], fmt="o", color="k", label="[e_gs](N), lowest quench per ladder")
    xs = np.linspace(0, x.max() * 1.05, 100)
    Ns = np.where(xs > 0, xs, np.nan) ** (-1.5)
    for (name, f), ls in zip(e0["forms"].items(), ("-", "--", "-.", ":"), strict=False):
        y = f["value"] + sum(a * Ns ** (-p) for a, p in zip(f["coef"], f["powers"], strict=True))
        y = np.where(xs > 0, y, f["value"])
        ax.plot(xs, y, ls=ls, color="tab:blue", lw=1, label=f"e₀ + {name}: {f['value']:.4f}")
    if e0["value"] is not None:
        ax.errorbar([0], [e0["value"]], yerr=[e0["err"]], fmt="s", color="tab:red",
                    label=f"e₀ = {e0['value']:.4f} ± {e0['err']:.4f}")
    ax.plot([0], [e0["parisi"]], "*", color="gold", mec="k", ms=12, label=f"Parisi {e0['parisi']}")
    ax.set_xlabel("N^(−2/3)")
    ax.set_ylabel("ground-state energy per spin")
    ax.set_title("ground-state energy extrapolated in N", fontsize=10)
    ax.legend(fontsize=7)

    ax = axes[1, 2]
    lad = result["ladder"]
    if "swap_acceptance" in lad:
        T = np.asarray(lad["T"])
        mid = 0.5 * (T[:-1] + T[1:])
        for N in sizes:
            sa = lad["swap_acceptance"][str(N)]
            ax.plot(mid, sa["mean"], "o-", color=colors[N], ms=3, lw=1, label=f"N = {N} (mean)")
            ax.plot(mid, sa["min"], "v", color=colors[N], ms=3, alpha=0.7)
        ax.axhline(0.2, color="tab:red", ls="--", lw=1, label="0.2")
        ax.set_ylim(0, 1)
        trips = lad.get("round_trips_min")
        ax.set_title(f"swap acceptance (▼ min over samples); min round trips {trips}", fontsize=10)
        ax.set_xlabel("T (pair midpoint)")
        ax.set_ylabel("acceptance")
        ax.legend(fontsize=7)
    else:
        ax.set_visible(False)
    n = result["samples"]
    fig.suptitle(f"Sherrington–Kirkpatrick ({result['couplings']} couplings), parallel tempering; samples per N: "
                 + ", ".join(f"{k}: {v}" for k, v in n.items()), fontsize=12)
    return [save(fig, Path(outdir) / "sk_spin_glass.png")]
