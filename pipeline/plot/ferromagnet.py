"""Figures of a ferromagnet sweep: order parameter, Binder cumulant, collapses, finite-size fits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.ticker import NullFormatter

from pipeline.plot._style import np, plt, save, size_colors
from pipeline.reduce.powerlaw import interpolate_at


def plot_ferromagnet(ds, result: dict[str, Any], outdir: Path, exact_curves=None, theory=None) -> list[str]:
    """Write order_parameter.png, binder.png, collapse.png and scaling.png; returns their paths.

    ``exact_curves(N, T_array)`` (exact finite-N dict with ``m_abs``, ``binder``) and ``theory(T)``
    (N → ∞ dict with ``m``) are overlaid when given.
    """
    from pipeline.reduce.ferromagnet import combined_curves

    c = combined_curves(ds)
    sizes = ds["N"].values
    T = ds["T"].values
    col = size_colors(sizes)
    Tfine = np.linspace(T.min(), T.max(), 400)
    ex = {}
    if exact_curves is not None:
        ex = {int(N): exact_curves(int(N), Tfine) for N in sizes}
    Tc = result["Tc"]["value"] if result else None
    Tc_err = result["Tc"]["err"] if result else None
    paths = []

    # 1. order parameter
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for i, N in enumerate(sizes):
        ax.errorbar(T, c["m_abs"][0][i], c["m_abs"][1][i], fmt="o", color=col[N], label=f"N = {N}")
        if ex:
            ax.plot(Tfine, ex[int(N)]["m_abs"], "-", color=col[N], lw=0.8, alpha=0.8)
    if theory is not None:
        ax.plot(Tfine, theory(Tfine)["m"], "k--", lw=1.5, label="mean field, m = tanh(m/T)")
    if Tc is not None:
        ax.axvspan(Tc - Tc_err, Tc + Tc_err, color="0.6", alpha=0.3, label=f"T_c = {Tc:.4f}({_e(Tc_err)})")
    ax.set(xlabel="temperature T  [J/k_B]", ylabel=r"$\langle |m| \rangle$",
           title="Order parameter (points: Monte Carlo; thin lines: exact finite N)")
    ax.legend(loc="upper right")
    paths.append(save(fig, outdir / "order_parameter.png"))

    # 2. Binder cumulant with crossings
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for i, N in enumerate(sizes):
        ax.errorbar(T, c["U4"][0][i], c["U4"][1][i], fmt="o", color=col[N], label=f"N = {N}")
        if ex:
            ax.plot(Tfine, ex[int(N)]["binder"], "-", color=col[N], lw=0.8, alpha=0.8)
    if result:
        cr = result["crossings"]
        ax.errorbar([x["T"] for x in cr], [x["U"] for x in cr], xerr=[x["err"] for x in cr],
                    yerr=[x["U_err"] for x in cr], fmt="s", mfc="none", color="crimson", ms=7,
                    label="crossings of successive N")
        ax.axvline(Tc, color="crimson", lw=1, ls=":", label=f"extrapolated T_c = {Tc:.4f}({_e(Tc_err)})")
    ax.axhline(0.2705, color="k", lw=0.8, ls="--", label=r"$U_4^*(N\to\infty) = 0.2705$")
    ax.set(xlabel="temperature T  [J/k_B]", ylabel=r"$U_4 = 1 - \langle m^4\rangle / 3\langle m^2\rangle^2$",
           title="Binder cumulant")
    ax.legend(loc="upper right", fontsize=8)
    paths.append(save(fig, outdir / "binder.png"))

    if not result:
        return paths
    ex_ = result["exponents"]
    nu = ex_["nu_bar"]["value"]
    bn = ex_["beta_over_nu_bar"]["value"]
    Tc_col = result["fits"]["collapse_U4"]["Tc"]

    # 3. collapses
    fig, axs = plt.subplots(1, 2, figsize=(11, 4.4))
    for i, N in enumerate(sizes):
        x = (T - Tc_col) * N ** (1 / nu)
        axs[0].errorbar(x, c["U4"][0][i], c["U4"][1][i], fmt="o", color=col[N], label=f"N = {N}")
        x = (T - Tc) * N ** (1 / nu)
        axs[1].errorbar(x, c["m_abs"][0][i] * N**bn, c["m_abs"][1][i] * N**bn, fmt="o", color=col[N],
                        label=f"N = {N}")
    axs[0].set(xlabel=r"$(T - T_c)\,N^{1/\bar\nu}$", ylabel=r"$U_4$",
               title=f"U4 collapse: ν̄ = {_pm(ex_['nu_bar'])}, T_c = {Tc_col:.4f}")
    axs[1].set(xlabel=r"$(T - T_c)\,N^{1/\bar\nu}$", ylabel=r"$N^{\beta/\bar\nu}\langle|m|\rangle$",
               title=f"order-parameter collapse: β/ν̄ = {bn:.3f}, ν̄ = {nu:.3f}")
    for a in axs:
        a.legend(fontsize=8)
    paths.append(save(fig, outdir / "collapse.png"))

    # 4. finite-size fits at T_c and the crossing extrapolation
    fig, axs = plt.subplots(1, 3, figsize=(14, 4.3))
    for key, ax, label, exp_key, sign in (("m_abs", axs[0], r"$\langle|m|\rangle(T_c)$", "beta_over_nu_bar", -1),
                                          ("chi", axs[1], r"$\chi(T_c)$", "gamma_over_nu_bar", 1)):
        v, e = interpolate_at(T, c[key][0], c[key][1], Tc)
        ax.errorbar(sizes, v, e, fmt="o", color="k", label="Monte Carlo at T_c")
        fit = result["fits"][key]
        xs = np.geomspace(sizes.min() * 0.8, sizes.max() * 1.25, 50)
        slope = fit["exponent"]
        ax.plot(xs, fit["prefactor"] * xs**slope, "r-",
                label=f"slope {slope:.3f} ± {ex_[exp_key]['err']:.3f}  (mean field {sign * (0.25 if sign < 0 else 0.5):+.2f})")
        ax.set(xscale="log", yscale="log", xlabel="N", ylabel=label)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.legend(fontsize=8)
    axs[0].set_title(f"β/ν̄ = {ex_['beta_over_nu_bar']['value']:.3f} → β = {_pm(ex_['beta'])}")
    axs[1].set_title(f"γ/ν̄ = {ex_['gamma_over_nu_bar']['value']:.3f} → γ = {_pm(ex_['gamma'])}")
    cr = result["crossings"]
    neff = np.array([np.sqrt(x["N1"] * x["N2"]) for x in cr])
    axs[2].errorbar(1 / neff, [x["T"] for x in cr], [x["err"] for x in cr], fmt="s", color="crimson",
                    label="U4 crossings")
    ext = result["fits"]["extrapolation"]
    xs = np.linspace(0, 1.1 / neff.min(), 50)
    if ext.get("a") is not None:
        axs[2].plot(xs, Tc + ext["a"] * xs ** ext["omega"], "k-", lw=1,
                    label=f"T_c + a N_eff^-{ext['omega']:g}")
    axs[2].errorbar([0], [Tc], [Tc_err], fmt="D", color="k", label=f"T_c = {Tc:.4f}({_e(Tc_err)})")
    axs[2].set(xlabel=r"$1/N_{\rm eff}$,  $N_{\rm eff} = \sqrt{N_1 N_2}$", ylabel="crossing temperature",
               title="Extrapolation of the crossings")
    axs[2].legend(fontsize=8)
    paths.append(save(fig, outdir / "scaling.png"))
    return paths


def _e(err: float) -> str:
    """Error in units of the last digit shown with 4 decimals, e.g. 0.0021 -> '21'."""
    return f"{round(err * 1e4):d}" if err < 0.1 else f"{err:.2f}"


def _pm(x: dict[str, float]) -> str:
    return f"{x['value']:.3f} ± {x['err']:.3f}"
