"""The RBM retrieval figure: [m] over (α, T) per hidden kind with AGS lines, m(T) per N, and the KL.

Drawn from the result of the ``rbm_retrieval`` reduction alone (:func:`pipeline.reduce.rbm.reduce_rbm`):
panel (a) [⟨|m_1|⟩] over the (α, T) plane for Gaussian hidden units with the measured boundary points
α_M(T, N) and the Hopfield model's AGS replica-symmetric lines T_M, T_c, T_g (theory, not measured);
(b) the same for ±1 hidden units; (c) [m] against T at the smallest α for both kinds and every N, with
the Curie–Weiss m(T) (the α → 0 retrieval overlap of the Hopfield model) and, for a size whose smallest
load has a single hidden unit, that ±1 unit's m = tanh(β/√N) (the unit never flips; every visible unit
then sees the field ±1/√N); (d) KL(p ‖ p_quad) of the quadratic approximation against the weight
scale, log–log, with an s⁸ guide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeline.plot._style import np, plt, save, size_colors

#: Display names of the hidden kinds.
LABEL = {"gaussian": "Gaussian hidden units", "spin": "±1 hidden units", "binary": "{0, 1} hidden units"}
SHORT = {"gaussian": "Gaussian", "spin": "±1", "binary": "{0, 1}"}
#: One marker per size for the boundary points drawn over the colour map.
MARKERS = ("o", "s", "D", "^", "v", "P")
T_TOP = 1.5


def _edges(x: Sequence[float]) -> np.ndarray:
    """Cell edges around grid values: midpoints inside, half a spacing beyond the ends (not below 0)."""
    x = np.asarray(x, float)
    if x.size == 1:
        return np.array([0.5 * x[0], 1.5 * x[0]])
    mid = 0.5 * (x[1:] + x[:-1])
    return np.r_[max(0.0, x[0] - (mid[0] - x[0])), mid, x[-1] + (x[-1] - mid[-1])]


def _table(result: Mapping[str, Any], hidden: str, N: int, key: str) -> np.ndarray:
    """One table of the result as an (α, T) float array, NaN where not run."""
    rows = result["table"][hidden][str(N)][key]
    return np.array([[np.nan if v is None else v for v in row] for row in rows], float)


def _plane_size(result: Mapping[str, Any], hidden: str) -> int:
    """The largest N run at every (α, T) of the grid (the largest N run most widely if none is)."""
    cover = {N: np.isfinite(_table(result, hidden, N, "m")).mean() for N in result["sizes"]}
    full = [N for N, c in cover.items() if c == 1.0]
    return max(full) if full else max(cover, key=lambda N: (cover[N], N))


def _theory_lines(ax, lines: Mapping[str, tuple], first: bool) -> None:
    """AGS lines of the Hopfield model (theory), labelled only in the first panel that draws them."""
    for key, style, name in (
            ("T_M", {"color": "crimson", "ls": "-", "lw": 2.0}, r"$T_M(\alpha)$: retrieval states exist"),
            ("T_c", {"color": "darkorange", "ls": "--", "lw": 1.8},
             r"$T_c(\alpha)$: retrieval is the global minimum"),
            ("T_g", {"color": "k", "ls": ":", "lw": 1.8}, r"$T_g = 1+\sqrt{\alpha}$: spin-glass onset")):
        a, T = lines[key]
        ax.plot(a, T, zorder=4, label=f"Hopfield AGS theory, {name}" if first else None, **style)


def _plane(ax, fig, result: Mapping[str, Any], hidden: str, markers: Mapping[int, str],
           lines: Mapping[str, tuple], first: bool) -> None:
    """[m] over (α, T) at the plane's size, the measured α_M(T, N) of every size and the AGS ``lines``."""
    N = _plane_size(result, hidden)
    alpha, T = np.asarray(result["alpha"]), np.asarray(result["T"])
    m = np.ma.masked_invalid(_table(result, hidden, N, "m"))
    mesh = ax.pcolormesh(_edges(alpha), _edges(T), m.T, cmap="viridis", vmin=0.0, vmax=1.0, shading="flat",
                         zorder=1)
    fig.colorbar(mesh, ax=ax, pad=0.015, label=r"$[\langle|m_1|\rangle]$")
    alpha_max = float(_edges(alpha)[-1])
    _theory_lines(ax, lines, first)
    for n in result["sizes"]:
        pts = [p for p in result["alpha_M"]
               if p["hidden"] == hidden and p["N"] == n and p["status"] == "crossed"]
        if pts:
            ax.errorbar([p["value"] for p in pts], [p["T"] for p in pts],
                        xerr=[0.0 if p["err"] is None else p["err"] for p in pts], fmt=markers[n], ms=6,
                        mfc="white", mec="k", ecolor="k", elinewidth=1.0, zorder=6,
                        label=f"measured $\\alpha_M(T)$, N = {n}")
    ax.set(xlim=(0, alpha_max), ylim=(0, T_TOP), xlabel=r"load $\alpha = N_h/N$", ylabel=r"temperature $T$")
    ax.axhspan(float(_edges(T)[-1]), T_TOP, color="0.92", zorder=0, label="not simulated" if first else None)
    ax.grid(False)
    ax.set_title(f"({'a' if first else 'b'}) {LABEL.get(hidden, hidden)}: $[m]$ at N = {N}", fontsize=11)


def _m_of_T(ax, result: Mapping[str, Any]) -> None:
    """[m](T) at the smallest α, every hidden kind and size, with the Curie–Weiss m(T)."""
    from pipeline.theory.mean_field import curie_weiss_m

    T = np.asarray(result["T"])
    col = size_colors(result["sizes"])
    styles = {"gaussian": ("o", "-"), "spin": ("s", "--"), "binary": ("^", ":")}
    for h in result["hidden"]:
        mk, ls = styles.get(h, ("x", "-."))
        for N in result["sizes"]:
            m, e = _table(result, h, N, "m")[0], _table(result, h, N, "m_err")[0]
            ok = np.isfinite(m)
            if ok.any():
                ax.errorbar(T[ok], m[ok], e[ok], fmt=mk, ls=ls, lw=1.2, ms=5, color=col[N],
                            mfc=col[N] if h == "gaussian" else "white", label=f"{SHORT.get(h, h)}, N = {N}")
    Tf = np.linspace(0.0, max(1.0, T.max()), 300)
    ax.plot(Tf, curie_weiss_m(Tf), color="0.3", lw=1.0, ls="-.", zorder=0,
            label=r"Curie–Weiss $m(T)$, $\alpha\to0$ (theory)")
    a0 = float(result["alpha"][0])
    one = [N for N in result["sizes"] if int(np.floor(a0 * N + 0.5)) <= 1]  # sizes with Nh = 1
    if "spin" in result["hidden"] and one:
        Tt = np.linspace(0.03, Tf[-1], 300)
        for N in one:
            ax.plot(Tt, np.tanh(1.0 / (Tt * np.sqrt(N))), color=col[N], lw=0.9, ls=":", zorder=0,
                    label=rf"one ±1 unit: $\tanh(1/T\sqrt{{N}})$, N = {N} (theory)")
    ax.set(xlabel=r"temperature $T$", ylabel=r"$[\langle|m_1|\rangle]$", ylim=(0, 1.05), xlim=(0, Tf[-1]))
    ax.set_title(f"(c) retrieval overlap at the smallest load, α = {result['alpha'][0]:g} (pattern starts)",
                 fontsize=11)
    ax.legend(fontsize=7.5, loc="lower left", bbox_to_anchor=(0.315, 0.27), framealpha=0.92,
              title="hidden units, size", title_fontsize=7.5)


def _kl(ax, kl: Mapping[str, Any]) -> None:
    """KL(p ‖ p_quad) against the weight scale, log–log, with the s⁸ guide through the smallest scale."""
    s = np.asarray(kl["scale"])
    colors = {"spin": "tab:blue", "binary": "tab:green"}
    for kind, y in kl["kl"].items():
        y, e = np.asarray(y), np.asarray(kl["kl_err"][kind])
        slope = kl["slope"].get(kind)
        lab = f"{LABEL.get(kind, kind)}" + ("" if slope is None else f" (small-s slope {slope:.2f})")
        ax.errorbar(s, y, e, fmt="o-", ms=4, lw=1.2, color=colors.get(kind), label=lab)
    ref = np.asarray(kl["kl"]["spin" if "spin" in kl["kl"] else next(iter(kl["kl"]))])
    guide = ref[0] * (s / s[0]) ** 8
    keep = guide <= 3 * np.nanmax(ref)
    ax.plot(s[keep], guide[keep], "k--", lw=1.0, label=r"$\propto s^8$ (quartic remainder, zero biases)")
    ax.set(xscale="log", yscale="log", xlabel=r"weight scale $s$  ($W = s\,\xi/\sqrt{N_v}$)",
           ylabel=r"KL$(p\,\|\,p_{\rm quad})$ [nats]")
    ax.set_title(f"(d) quadratic (Hopfield) approximation: exact enumeration, $N_v$ = {kl['Nv']}, "
                 f"$N_h$ = {kl['Nh']}, T = {kl['T']:g}", fontsize=11)
    ax.text(0.98, 0.04, f"mean over {kl['draws']} Hebbian pattern draws; Gaussian hidden units: KL = 0",
            transform=ax.transAxes, ha="right", va="bottom", fontsize=8)
    ax.legend(fontsize=8, loc="upper left")


def plot_rbm(ds, result: dict[str, Any] | None, outdir: Path) -> list[str]:
    """``rbm_retrieval.png``: four panels from the ``rbm_retrieval`` result (nothing without one)."""
    from pipeline.theory.hopfield_rs import phase_lines

    if result is None:
        return []
    lines = phase_lines(n=40, alpha_max=float(_edges(result["alpha"])[-1]))  # ~3 s: computed once
    markers = {N: MARKERS[k % len(MARKERS)] for k, N in enumerate(result["sizes"])}
    fig, axes = plt.subplots(2, 2, figsize=(14.5, 11.0))
    hidden = list(result["hidden"])
    planes = [h for h in ("gaussian", "spin") if h in hidden] or hidden[:2]
    for k, ax in enumerate(axes[0]):
        if k < len(planes):
            _plane(ax, fig, result, planes[k], markers, lines, first=k == 0)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7.5, loc="upper right", framealpha=0.92)
        else:
            ax.set_visible(False)
    _m_of_T(axes[1, 0], result)
    _kl(axes[1, 1], result["kl"])
    sel = result["selection"]
    fig.suptitle(f"RBM with Hebbian weights ξ/√N (scale {sel['scale']:g}), {sel['visible']} visible units, "
                 f"block Gibbs from pattern 1; {result['samples']} samples per point", fontsize=12)
    return [save(fig, Path(outdir) / "rbm_retrieval.png")]
