"""Figures of a Hopfield sweep: the (α, T) phase diagram with AGS theory, and the data behind it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.plot._style import np, plt, save, size_colors

REGION_STYLE = {"PM": "#f2f2f2", "SG": "#fde0c5", "SG+R": "#cfe3f5", "R": "#a9d5b4"}


def _tc_companions(result) -> list[dict]:
    """The hopfield_tc sweeps of the catalog, the one with the most (alpha, N) points (e.g. one joining the
    others' sizes by ``sizes_from``) first."""
    comp = (result or {}).get("companions", {}).get("hopfield_tc", [])
    return sorted(comp, key=lambda c: -sum(len(e["per_size"]) for e in c["result"].get("T_c", [])))


def draw_phase_diagram(ax, result: dict[str, Any] | None, alpha_max: float = 0.21, T_max: float = 1.6) -> None:
    """AGS replica-symmetric lines, the four regions labelled, and the simulated boundaries."""
    from pipeline.theory.hopfield_rs import phase_lines

    lines = phase_lines(n=120, alpha_max=alpha_max)
    ag, Tg = lines["T_g"]
    aM, TM = lines["T_M"]
    ac, Tcl = lines["T_c"]
    # regions: PM above T_g; SG below T_g; SG+R inside T_M; R inside T_c (both re-entrant: polygons)
    ax.fill_between(ag, Tg, T_max, color=REGION_STYLE["PM"], zorder=0)
    ax.fill_between(ag, 0, Tg, color=REGION_STYLE["SG"], zorder=0)
    ax.fill(np.r_[0, aM, 0], np.r_[0, TM, 1], color=REGION_STYLE["SG+R"], zorder=1)
    ax.fill(np.r_[0, ac, 0], np.r_[0, Tcl, 1], color=REGION_STYLE["R"], zorder=2)
    ax.plot(ag, Tg, "k-", lw=1.6, label=r"AGS $T_g = 1+\sqrt{\alpha}$", zorder=3)
    ax.plot(aM, TM, "b-", lw=1.6, label=r"AGS $T_M(\alpha)$: retrieval states exist", zorder=3)
    ax.plot(ac, Tcl, "g-", lw=1.6, label=r"AGS $T_c(\alpha)$: retrieval is the global minimum", zorder=3)
    kw = {"fontsize": 14, "fontweight": "bold", "ha": "center", "va": "center", "zorder": 6}
    ax.text(0.05, 1.45, "PM", **kw)
    ax.text(0.17, 0.55, "SG", **kw)
    ax.text(0.105, 0.12, "SG+R", **kw)
    ax.text(0.025, 0.35, "R", **kw)
    from pipeline.plot.hopfield_tc import draw_tc_points, tc_sizes

    companions = _tc_companions(result)[:1]
    col = {}
    if result:
        per = result.get("per_size", {})
        sizes = sorted({p["N"] for p in per.get("T_M", []) + per.get("T_g", [])})
        every = sorted(set(sizes) | {n for c in companions for n in tc_sizes(c["result"])})
        col = size_colors(every) if every else {}
        for N in sizes:  # one loop per line, so that the legend lists each line's sizes together
            pts = [p for p in per.get("T_M", []) if p["N"] == N]
            if pts:
                ax.errorbar([p["alpha"] for p in pts], [p["T"] for p in pts], xerr=[p["err"] for p in pts],
                            fmt="o", ms=4, color=col[N], mfc="white", zorder=7, label=f"retrieval loss, N = {N}")
        for N in sizes:
            pts = [p for p in per.get("T_g", []) if p["N"] == N]
            if pts:
                pair = f"{pts[0]['N1']}/{N}" if "N1" in pts[0] else f"{N}"
                ax.errorbar([p["alpha"] for p in pts], [p["value"] for p in pts], yerr=[p["err"] for p in pts],
                            fmt="^", ms=4, color=col[N], mfc="white", zorder=7,
                            label=f"SG onset, crossing N = {pair}")
        tm = result.get("T_M", [])
        if tm:
            ax.errorbar([p["alpha"] for p in tm], [p["T"] for p in tm], xerr=[p["err"] for p in tm], fmt="o",
                        color="navy", ms=7, zorder=8, label=r"retrieval loss, $N\to\infty$")
        tg = result.get("T_g", [])
        if tg:
            ax.errorbar([p["alpha"] for p in tg], [p["value"] for p in tg], yerr=[p["err"] for p in tg], fmt="^",
                        color="k", ms=7, zorder=8, label=r"$T_g$, $N\to\infty$")
        ac_ = result.get("alpha_c")
        if ac_:
            ax.errorbar([ac_["value"]], [0.0], xerr=[ac_["err"]], fmt="*", color="crimson", ms=14, zorder=9,
                        clip_on=False, label=rf"$\alpha_c(T\to0) = {ac_['value']:.4f} \pm {ac_['err']:.4f}$")
    for comp in companions:  # T_c measured by a hopfield_tc sweep of the same catalog
        draw_tc_points(ax, comp["result"], colors=col)
    ax.set(xlim=(0, alpha_max), ylim=(0, T_max), xlabel=r"storage load $\alpha = P/N$",
           ylabel=r"temperature $T$  [$J/k_B$]")


def plot_hopfield(ds, result: dict[str, Any] | None, outdir: Path) -> list[str]:
    """Write phase_diagram.png (and the data panels the sweep supports); returns the paths."""
    paths = []
    fig, ax = plt.subplots(figsize=(11.0, 6.2))
    draw_phase_diagram(ax, result)
    title = "Hopfield model: Monte Carlo boundaries on the replica-symmetric (AGS) phase diagram"
    tc = _tc_companions(result)
    if tc:
        from pipeline.plot.hopfield_tc import tc_sizes

        Ns = tc_sizes(tc[0]["result"])
        title += ("\n$T_c(\\alpha)$ measured by thermodynamic integration on restricted branches (the green line is "
                  f"AGS theory):\nsweep {tc[0]['sweep']!r}, N = {Ns[0]} ... {Ns[-1]}")
    elif result:
        title += "\nthe R / SG+R line $T_c(\\alpha)$ is drawn from AGS theory (run workflows/hopfield_tc.toml to measure it)"
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, framealpha=0.9)
    paths.append(save(fig, outdir / "phase_diagram.png"))
    if result and result.get("retrieval_curves"):
        paths.append(_retrieval_panel(result, outdir))
    if result and result.get("q_curves"):
        paths.append(_spin_glass_panel(result, outdir))
    if result and result.get("run_length", {}).get("per_size"):
        paths.append(_run_length_panel(result, outdir))
    return paths


def _panels(n: int, ncols: int = 3):
    """A grid of n panels, at most ``ncols`` wide; unused axes are hidden. Returns (figure, flat axes)."""
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    fig, axs = plt.subplots(nrows, ncols, figsize=(5.5 * ncols, 4.3 * nrows), squeeze=False)
    flat = list(axs.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _retrieval_panel(result: dict[str, Any], outdir: Path) -> str:
    """Retrieval overlap against α per N at the retrieval temperature(s), with the located α_M(N)."""
    curves = result["retrieval_curves"]
    temps = sorted({c["T"] for c in curves})
    fig, axs = _panels(len(temps))
    sizes = sorted({c["N"] for c in curves})
    col = size_colors(sizes)
    for ax, T in zip(axs, temps, strict=True):
        for c in (c for c in curves if c["T"] == T):
            ax.errorbar(c["alpha"], c["y"], c["err"], fmt="o-", ms=3, lw=0.8, color=col[c["N"]],
                        label=f"N = {c['N']}")
        for p in result.get("per_size", {}).get("T_M", []):
            if p["T"] == T:
                ax.axvline(p["alpha"], color=col[p["N"]], lw=0.6, ls=":")
        ax.set(xlabel=r"$\alpha$", ylabel=result.get("method", {}).get("retrieval_observable", "retrieval"),
               title=f"pattern starts, T = {T:g}")
        ax.legend(fontsize=8)
    return save(fig, outdir / "retrieval.png")


def _spin_glass_panel(result: dict[str, Any], outdir: Path) -> str:
    """N^(2/3)[⟨q²⟩] against T per N for each α: the curves cross at T_g."""
    curves = result["q_curves"]
    alphas = sorted({c["alpha"] for c in curves})
    fig, axs = _panels(len(alphas), ncols=2)
    sizes = sorted({c["N"] for c in curves})
    col = size_colors(sizes)
    for ax, a in zip(axs, alphas, strict=True):
        for c in (c for c in curves if c["alpha"] == a):
            ax.errorbar(c["T"], c["y"], c["err"], fmt="o-", ms=3, lw=0.8, color=col[c["N"]], label=f"N = {c['N']}")
        ax.axvline(1 + np.sqrt(a), color="k", ls="--", lw=1, label=r"$1+\sqrt{\alpha}$")
        for p in result.get("T_g", []):
            if abs(p["alpha"] - a) < 1e-9:
                ax.axvspan(p["value"] - p["err"], p["value"] + p["err"], color="crimson", alpha=0.2,
                           label=rf"$T_g = {p['value']:.3f} \pm {p['err']:.3f}$")
        ax.set(xlabel="T", ylabel=r"$N^{2/3}[\langle q^2\rangle]$", yscale="log",
               title=f"random starts, α = {a:g}: curves cross at $T_g$")
        ax.legend(fontsize=8)
    return save(fig, outdir / "spin_glass.png")


def _run_length_panel(result: dict[str, Any], outdir: Path) -> str:
    """α_M(N, T) read at the end of the runs and earlier in the same runs (the run-length check), per T."""
    rl = result["run_length"]
    pts = rl["per_size"]
    temps = sorted({p["T"] for p in pts})
    fig, axs = _panels(len(temps), ncols=4)
    t_end, t_early = (f"t = {rl['t_end']:g}", f"t = {rl['t_early']:g}") if "t_early" in rl else ("end", "early")
    inf_end = {t["T"]: t for t in result.get("T_M", [])}
    inf_early = {t["T"]: t for t in rl.get("T_M_early", [])}
    for ax, T in zip(axs, temps, strict=True):
        p = sorted((p for p in pts if p["T"] == T), key=lambda p: p["N"])
        N = np.array([q["N"] for q in p], float)
        ax.errorbar(N, [q["alpha"] for q in p], [q["err_alpha"] for q in p], fmt="o-", color="C0", ms=4,
                    label=f"{t_end} sweeps")
        ax.errorbar(N * 1.04, [q["alpha_early"] for q in p], [q["err_early"] for q in p], fmt="s--", mfc="none",
                    color="C1", ms=4, label=f"{t_early} sweeps")
        for d, c, dx in ((inf_end, "C0", 1.0), (inf_early, "C1", 1.1)):
            if T in d:
                ax.errorbar([N.max() * 2.2 * dx], [d[T]["alpha"]], [d[T]["err"]], fmt="*", color=c, ms=9)
        if T in inf_end:
            ax.axhline(inf_end[T]["theory"], color="k", ls=":", lw=1, label=r"RS $\alpha_M(T)$")
        ax.set(xscale="log", xlabel="N  (stars: N → ∞)", ylabel=r"$\alpha_M(N, T)$", title=f"T = {T:g}")
        ax.legend(fontsize=7)
    fig.suptitle("Run-length check: the retrieval capacity read from the same runs at two times "
                 "(retained = |m| > threshold over the last window)", fontsize=10)
    return save(fig, outdir / "run_length.png")
