"""Figures of a Hopfield T_c sweep (recipe ``hopfield_tc``): T_c(α, N) against 1/N with the fits, the
free-energy difference of the branches, and T_c on the (α, T) plane over the AGS lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.plot._style import np, plt, save, size_colors


def tc_sizes(result: dict[str, Any]) -> list[int]:
    """The sizes of a ``hopfield_tc`` result."""
    return sorted({p["N"] for e in result.get("T_c", []) for p in e["per_size"]})


def draw_tc_points(ax, result: dict[str, Any], label_prefix: str = "", colors: dict | None = None) -> None:
    """T_c(α, N) per size (open squares) and the N → ∞ values (filled) of a ``hopfield_tc`` result;
    ``colors``: N -> colour (default: this result's sizes alone)."""
    entries = result.get("T_c", [])
    sizes = tc_sizes(result)
    col = colors if colors is not None else (size_colors(sizes) if sizes else {})
    for N in sizes:
        pts = [(e["alpha"], p) for e in entries for p in e["per_size"] if p["N"] == N]
        ax.errorbar([a for a, _ in pts], [p["value"] for _, p in pts],
                    yerr=[np.hypot(p["err"], p["err_sys"]) for _, p in pts], fmt="s", ms=4, color=col[N],
                    mfc="white", zorder=7, label=f"{label_prefix}$T_c$ (TI), N = {N}")
    ext = [e for e in entries if np.isfinite(e.get("value", np.nan))]
    if ext:
        ax.errorbar([e["alpha"] for e in ext], [e["value"] for e in ext], yerr=[e["err"] for e in ext], fmt="s",
                    color="darkgreen", ms=7, zorder=8, label=rf"{label_prefix}$T_c$ (TI), $N\to\infty$ fit")


def _draw_vs_inverse_N(ax, entries: list[dict[str, Any]], typical: bool) -> None:
    """One load per colour: the per-size values against 1/N (open: left out of the fits), the fits, their
    mean at 1/N = 0 and the AGS RS value; ``typical``: the typical-basin T_c instead of T_c."""
    acol = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, max(len(entries), 1)))
    for c, e in zip(acol, entries, strict=True):
        fit = e.get("typical", {}) if typical else e
        per = [(p["N"], p.get("typical", {}) if typical else p) for p in e["per_size"]]
        per = [(N, v) for N, v in per if np.isfinite(v.get("value", np.nan))]
        if not per:
            continue
        fit_N = np.array(fit.get("fit_sizes") or [N for N, _ in per], float)
        for fitted in (True, False):
            ps = [(N, v) for N, v in per if (N in fit_N) == fitted]
            if ps:
                ax.errorbar([1.0 / N for N, _ in ps], [v["value"] for _, v in ps],
                            yerr=[np.hypot(v["err"], v["err_sys"]) for _, v in ps], fmt="o" if typical else "s",
                            color=c, ms=5, mfc=c if fitted else "white",
                            label=rf"$\alpha = {e['alpha']:g}$" if fitted else None)
        x = np.linspace(0.0, 1.05 / (fit_N.min() if fit_N.size else min(N for N, _ in per)), 100)
        for k, f in enumerate(fit.get("forms", {}).values()):
            y = f["value"] + sum(a * (1.0 / x[1:]) ** (-q) for a, q in zip(f["coef"], f["powers"], strict=True))
            ax.plot(x[1:], y, color=c, lw=1, ls=("-", "--", ":")[k % 3])
            ax.plot([0.0], [f["value"]], "o", color=c, ms=3)
        if np.isfinite(fit.get("value", np.nan)):
            ax.errorbar([0.0], [fit["value"]], yerr=[fit["err"]], fmt="D", color=c, ms=6, mec="k", zorder=6)
        ax.plot([0.0], [e["theory"]], "*", color=c, ms=13, mec="k", zorder=7)
    ax.plot([], [], "*", color="grey", mec="k", ms=11, label="AGS RS $T_c$ at $1/N = 0$")
    for k, name in enumerate(entries[0].get("forms", {})):
        ax.plot([], [], color="grey", lw=1, ls=("-", "--", ":")[k % 3], label=f"fit $+ a\\,${name}")
    ax.plot([], [], "D", color="grey", mec="k", ms=6, label="mean of the fits")
    ax.plot([], [], "o" if typical else "s", color="grey", mfc="white", ms=5, label="size left out of the fits")
    ax.set_xlim(left=-0.0004)
    ax.legend(fontsize=8)


def plot_hopfield_tc(ds, result: dict[str, Any] | None, outdir: Path) -> list[str]:
    """Write hopfield_tc.png: T_c(α, N) and the typical-basin T_c vs 1/N, (ln Z_R − ln Z_nR)/N vs T, and
    T_c on the (α, T) plane."""
    from pipeline.theory.hopfield_rs import phase_lines

    if not result or not result.get("T_c"):
        return []
    entries = result["T_c"]
    fig, grid = plt.subplots(2, 2, figsize=(13.5, 10.0))
    axs = [grid[0, 0], grid[1, 0], grid[1, 1], grid[0, 1]]
    _draw_vs_inverse_N(axs[0], entries, typical=False)
    axs[0].set(xlabel="$1/N$", ylabel="$T_c(\\alpha, N)$", title="T_c per size (mean over samples), N -> inf fits")
    _draw_vs_inverse_N(axs[3], entries, typical=True)
    axs[3].set(xlabel="$1/N$", ylabel="typical-basin $T_c(\\alpha, N)$",
               title="typical basin <ln Z_mu> vs nR: the same limit, no best-of-2P drift")
    ax = axs[1]
    e = entries[len(entries) // 2]
    col = size_colors([p["N"] for p in e["per_size"]])
    for p in e["per_size"]:
        cv = p["curve"]
        ax.errorbar(cv["T"], cv["y"], yerr=cv["err"], color=col[p["N"]], ms=3, fmt="o-", lw=1, label=f"N = {p['N']}")
        ax.axvline(p["value"], color=col[p["N"]], lw=0.8, ls=":")
    ax.axhline(0.0, color="k", lw=0.8)
    ax.axvline(e["theory"], color="g", lw=1.2, label="AGS RS $T_c$")
    ax.set(xscale="log", xlabel="$T$", ylabel=r"$[\ln Z_R - \ln Z_{nR}]/N$",
           title=rf"retrieval minus non-retrieval, $\alpha = {e['alpha']:g}$ (sample mean)")
    lo = min(min(p["curve"]["y"]) for p in e["per_size"])
    ax.set_ylim(max(lo, -0.4), 0.4)
    ax.legend(fontsize=8)
    ax = axs[2]
    lines = phase_lines(n=120, alpha_max=0.06)
    ax.plot(*lines["T_c"], "g-", lw=1.6, label=r"AGS $T_c(\alpha)$")
    ax.plot(*lines["T_M"], "b-", lw=1.2, label=r"AGS $T_M(\alpha)$")
    ax.plot(*lines["T_g"], "k-", lw=1.2, label=r"AGS $T_g$")
    draw_tc_points(ax, result)
    ax.set(xlim=(0, 0.06), ylim=(0, 1.4), xlabel=r"$\alpha$", ylabel="$T$",
           title="T_c(alpha) on the phase diagram")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return [save(fig, Path(outdir) / "hopfield_tc.png")]
