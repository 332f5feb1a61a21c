"""Perceptron learning curves: simulation points with errors over the annealed theory, both students."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xarray as xr

from pipeline.plot._style import np, plt, save

STUDENT_COLORS = {"ising": "tab:blue", "spherical": "tab:red"}


def _largest_N(curves, T_pred) -> list[dict]:
    sel = [c for c in curves if T_pred(c["T"])]
    if not sel:
        return []
    N = max(c["N"] for c in sel)
    return [c for c in sel if c["N"] == N]


def plot_learning_curves(ds: xr.Dataset, result: dict[str, Any] | None, outdir: Path) -> list[str]:
    """``learning_curves.png``: (a) ε_g and ε_t against αβ at high T with the β → 0 theory, (b) R there,
    (c) the learning curves at the lowest T against the annealed approximation, (d) the same for R."""
    if result is None:
        return []
    hiT = result["settings"]["high_T"]
    curves = result["curves"]
    high = _largest_N(curves, lambda T: T >= hiT)
    temps = sorted({c["T"] for c in curves if c["T"] < hiT})
    low = _largest_N(curves, lambda T: bool(temps) and T == temps[0])
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    tr = result["ising_transition"]
    for ax, key, ylab in ((axes[0, 0], "eps", "error"), (axes[0, 1], "R", "teacher–student overlap R")):
        for st, th in result["high_T"].items():
            col = STUDENT_COLORS.get(st, "k")
            ax.plot(th["alpha_beta"], th["eps_g" if key == "eps" else "R"], color=col, lw=1.5,
                    label=f"{st}: theory β → 0 (annealed = quenched)")
        for c in high:
            col = STUDENT_COLORS.get(c["student"], "k")
            tag = f"{c['student']}/{c['inputs']}, N = {c['N']}, T = {c['T']:g}"
            if key == "eps":
                ax.errorbar(c["alpha_beta"], c["gen_error"], yerr=c["gen_error_err"], fmt="o", color=col,
                            label=f"ε_g MC, {tag}")
                ax.errorbar(c["alpha_beta"], c["train_error"], yerr=c["train_error_err"], fmt="s", mfc="none",
                            color=col, label=f"ε_t MC, {tag}")
            else:
                ax.errorbar(c["alpha_beta"], c["R"], yerr=c["R_err"], fmt="o", color=col, label=f"MC, {tag}")
        ax.axvline(tr["alpha_beta_c"], color=STUDENT_COLORS["ising"], ls=":", lw=1,
                   label=f"Ising first-order transition αβ = {tr['alpha_beta_c']:.3f}")
        ax.set_xscale("log")
        ax.set_xlabel("αβ")
        ax.set_ylabel(ylab)
        ax.legend(fontsize=7)
    axes[0, 0].set_title("high temperature: errors against αβ (ε_t ≈ ε_g as β → 0)", fontsize=10)
    axes[0, 1].set_title("high temperature: overlap with the teacher", fontsize=10)
    for ax, key in ((axes[1, 0], "eps"), (axes[1, 1], "R")):
        for c in low:
            col = STUDENT_COLORS.get(c["student"], "k")
            a = np.asarray(c["alpha"])
            ag = np.linspace(a.min(), a.max(), 200)
            from pipeline.theory.annealed import learning_curve

            th = learning_curve(ag, c["T"], c["student"])
            tag = f"{c['student']}/{c['inputs']}, N = {c['N']}"
            if key == "eps":
                ax.plot(ag, th["eps_g"], color=col, lw=1.5, label=f"{c['student']}: annealed ε_g")
                ax.plot(ag, th["train_error"], color=col, lw=1, ls="--", label=f"{c['student']}: annealed ε_t")
                ax.errorbar(a, c["gen_error"], yerr=c["gen_error_err"], fmt="o", color=col, label=f"ε_g MC, {tag}")
                ax.errorbar(a, c["train_error"], yerr=c["train_error_err"], fmt="s", mfc="none", color=col,
                            label=f"ε_t MC, {tag}")
            else:
                ax.plot(ag, th["R"], color=col, lw=1.5, label=f"{c['student']}: annealed")
                ax.errorbar(a, c["R"], yerr=c["R_err"], fmt="o", color=col, label=f"MC, {tag}")
        ax.set_xlabel("α = P/N")
        ax.set_ylabel("error" if key == "eps" else "R")
        ax.legend(fontsize=7)
    if low:
        axes[1, 0].set_title(f"learning curves at T = {low[0]['T']:g} (annealed approximation, not exact)",
                             fontsize=10)
        axes[1, 1].set_title(f"overlap at T = {low[0]['T']:g}", fontsize=10)
    out = Path(outdir) / "learning_curves.png"
    return [save(fig, out)]
