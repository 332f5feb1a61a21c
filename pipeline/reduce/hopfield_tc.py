"""T_c(α) of the Hopfield model by thermodynamic integration on restricted branches (recipe ``hopfield_tc``).

Input: a ``hopfield_branches`` sweep (dims N, alpha, T, seed, branch): per sample and temperature the
energy per spin of the non-retrieval branch (branch 0, max_μ |m_μ| < θ) and of each retrieval basin
(μ, +) (branch μ + 1), its second moment, and each basin's lowest energy.

Method, per sample (β_0 < … < β_K the ladder, H = N e the total energy, d⟨H⟩/dβ = −Var H):

- non-retrieval, from the paramagnet: ln Z_nR(β) = ln g_nR − ∫_0^β ⟨H⟩_nR dβ', with ln g_nR = N ln 2 +
  ln(1 − 2P p_K) the states below the threshold (p_K = Prob(M_μ ≥ K) for a uniform state, a binomial
  tail; the union bound is exact to O((2P p_K)²), < 10⁻¹⁰ at N ≥ 100, θ = 0.5) and ⟨H⟩ = 0 at β = 0;
- each basin, from T → 0: ln Z_μ(β) = ln Z_μ(β_K) + ∫_β^β_K ⟨H⟩_μ dβ', anchored at the lowest T by
  ln Z_μ(β_K) = −β_K H_min + s, H_min the lowest energy the basin's chain visited and s its entropy.
  For excitations of gap Δ above the ground state, s = ln(1 + e^{−β_KΔ}) ≈ βδ/(βΔ) ≤ βδ with βδ = β_K(⟨H⟩
  − H_min): s = βδ/2 is used, ±βδ/2 its systematic;
- ln Z_R = ln 2 + ln Σ_μ Z_μ (basins (μ, ±) have equal Z by σ → −σ); D(β) = ln Z_R − ln Z_nR, and T_c =
  1/β_c at the lowest-temperature sign change of D (from nR-dominated above to R-dominated below), found on
  the cubic Hermite interpolant of D and D' = ⟨H⟩_nR − ⟨H⟩_R.

Integrals: cubic Hermite on each interval from ⟨H⟩ and its slope −Var H at the nodes (error O(h⁵) per
interval, O(h⁴) in all); the grid systematic is the Richardson estimate |T_c(every other node) − T_c(all)|/15.
Statistical error of a sample: the spread of T_c over ``n_draws`` Gaussian redraws of the node energies
within their errors. Over samples: the mean of T_c(α, N) and its standard error (thermal and disorder
noise together); the systematic (grid ⊕ anchor, sample means) is reported beside it. N → ∞: the
finite-size forms of ``forms`` fitted by weighted least squares; the spread of the forms is added.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
import xarray as xr
from pydantic import AfterValidator, Field
from scipy.special import logsumexp

from pipeline.errors import ReductionError
from pipeline.reduce._settings import Count, Seed, Settings
from pipeline.reduce.extrapolate import FORMS, extrapolate_forms

__all__ = ["HopfieldTcSettings", "basin_weights", "branch_log_z", "crossing", "hermite_cumulative", "log_g_nonretrieval",
           "reduce_hopfield_tc", "reduction_dataset", "sample_tc", "summary_text", "trapezoid_cumulative"]

FormName = Literal[tuple(FORMS)]
SweepName = Annotated[str, Field(strict=True, min_length=1)]


def _distinct(v: list[str]) -> list[str]:
    if len(set(v)) != len(v):
        raise ValueError("expected each sweep once")
    return v


class HopfieldTcSettings(Settings):
    """The ``[reduce]`` keys of recipe ``hopfield_tc``."""

    forms: Annotated[list[FormName], Field(min_length=1)] = Field(
        ["N^-1", "N^-1/2"], description="finite-size forms of the N -> inf extrapolation of T_c(N)")
    min_N: Annotated[int, Field(strict=True, ge=0)] = Field(
        0, description="smallest size in the N -> inf fits (every size is still reported per size)")
    typical_min_N: Annotated[int, Field(strict=True, ge=0)] | None = Field(
        None, description="smallest size in the typical-basin T_c's N -> inf fits (default: min_N); its own "
                          "corrections, from the non-retrieval branch, die out faster than T_c's")
    n_draws: Count = Field(200, description="Gaussian redraws of the node energies for a sample's error")
    boot_seed: Seed = Field(0, description="seed of the redraws")
    sizes_from: Annotated[list[SweepName], AfterValidator(_distinct)] = Field(
        [], description="other hopfield_tc sweeps of the catalog (e.g. the runs of other sizes) whose T_c(alpha, N) "
                        "join this sweep's in the N -> inf fits")


DEFAULTS: dict[str, Any] = HopfieldTcSettings().model_dump()


# ---------------------------------------------------------------------------------------------------
# integration
# ---------------------------------------------------------------------------------------------------


def hermite_cumulative(x, f, df) -> np.ndarray:
    """∫_{x_0}^{x_j} f for every node j, cubic Hermite on each interval from f and f' at its ends.

    ∫_a^b ≈ h(f_a + f_b)/2 + h²(f'_a − f'_b)/12, exact for cubics. ``f``, ``df``: (..., n) along x."""
    x = np.asarray(x, float)
    f = np.asarray(f, float)
    df = np.asarray(df, float)
    h = np.diff(x)
    seg = h * (f[..., :-1] + f[..., 1:]) / 2 + h**2 * (df[..., :-1] - df[..., 1:]) / 12
    return np.concatenate([np.zeros(f.shape[:-1] + (1,)), np.cumsum(seg, axis=-1)], axis=-1)


def trapezoid_cumulative(x, f, df=None) -> np.ndarray:
    """∫_{x_0}^{x_j} f for every node j by the trapezoid rule (``df`` ignored: same call as Hermite)."""
    x = np.asarray(x, float)
    f = np.asarray(f, float)
    seg = np.diff(x) * (f[..., :-1] + f[..., 1:]) / 2
    return np.concatenate([np.zeros(f.shape[:-1] + (1,)), np.cumsum(seg, axis=-1)], axis=-1)


RULES = {"hermite": hermite_cumulative, "trapezoid": trapezoid_cumulative}


def log_g_nonretrieval(N: int, P: int, K: int) -> float:
    """ln of the number of states with every |M_μ| < K: N ln 2 + ln(1 − 2P Prob(M ≥ K)) (union bound)."""
    from scipy.stats import binom

    b = math.ceil((N + K) / 2)  # M = 2B − N ≥ K
    tail = float(binom.sf(b - 1, N, 0.5))
    return N * math.log(2.0) + math.log1p(-min(2.0 * P * tail, 1.0 - 1e-300))


def branch_log_z(beta, H, V, H_min, log_g_nr: float, *, rule: str = "hermite", anchor: float = 0.5,
                 H0_nr: float = 0.0):
    """ln Z of each branch at the ladder's nodes.

    Parameters
    ----------
    beta : array (n,)
        Increasing inverse temperatures.
    H, V : arrays (1 + P, n)
        ⟨H⟩ and Var H of branch 0 (nR) and the basins (μ, +).
    H_min : array (P,)
        Each basin's lowest visited energy (the anchor at β_K = beta[-1]).
    log_g_nr : float
        ln of the number of nR states (``log_g_nonretrieval``; exact counts in tests).
    rule : {"hermite", "trapezoid"}
    anchor : float
        The basin entropy at β_K as a fraction of β_K(⟨H⟩ − H_min) (0.5; 0 and 1 bound it).
    H0_nr : float
        ⟨H⟩_nR at β = 0: 0 up to the excluded states' share (< 10⁻⁷ N at N ≥ 100, θ = 0.5); exact in tests.

    Returns
    -------
    (log_z_nr (n,), log_z_basin (P, n))
    """
    beta = np.asarray(beta, float)
    H = np.asarray(H, float)
    V = np.asarray(V, float)
    cum = RULES[rule]
    # nR from β = 0, where ⟨H⟩ = H0_nr and d⟨H⟩/dβ = −Var H (taken from the highest-T node)
    b0 = np.concatenate([[0.0], beta])
    h0 = np.concatenate([[H0_nr], H[0]])
    v0 = np.concatenate([[V[0, 0]], V[0]])
    lz_nr = log_g_nr - cum(b0, h0, -v0)[1:]
    Hb, Vb = H[1:], V[1:]
    total = cum(beta, Hb, -Vb)  # ∫_{β_0}^{β_j}
    rest = total[:, -1:] - total  # ∫_{β_j}^{β_K}
    bK = beta[-1]
    s = anchor * bK * np.maximum(Hb[:, -1] - np.asarray(H_min, float), 0.0)
    lz_b = (-bK * np.asarray(H_min, float) + s)[:, None] + rest
    return lz_nr, lz_b


def crossing(beta, D, dD) -> float:
    """β where D changes sign from < 0 (higher T) to ≥ 0 at the lowest such T, on the cubic Hermite
    interpolant of D with slopes dD; NaN if D never changes sign."""
    beta = np.asarray(beta, float)
    neg = np.nonzero(D < 0)[0]
    if neg.size == 0 or neg[-1] == beta.size - 1:
        return math.nan
    j = int(neg[-1])
    a, b = beta[j], beta[j + 1]
    h = b - a

    def p(x):
        t = (x - a) / h
        h00, h10, h01, h11 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t, -2 * t**3 + 3 * t**2, t**3 - t**2
        return h00 * D[j] + h10 * h * dD[j] + h01 * D[j + 1] + h11 * h * dD[j + 1]

    lo, hi = a, b
    for _ in range(60):  # p(lo) < 0 <= p(hi): bisection
        mid = 0.5 * (lo + hi)
        if p(mid) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _crossing_T(beta, H, lz_nr, lz_b, basins="all", weights=None) -> tuple[float, np.ndarray]:
    """(T_c, D at the nodes) from the branches' ln Z; ``basins="typical"``: the crossing of ln Z_nR with the
    typical basin's ⟨ln Z_μ⟩_μ instead of ln Z_R (see :func:`sample_tc`). ``weights`` (B,): how many of the
    sample's basins each integrated one stands for (:func:`basin_weights`; ``None``: one each, every basin ran)."""
    w = np.ones(lz_b.shape[0]) if weights is None else np.asarray(weights, float)
    if basins == "typical":
        lz_r, h_r = w @ lz_b / w.sum(), w @ H[1:] / w.sum()
    else:
        lz_r = math.log(2.0) + logsumexp(lz_b, b=w[:, None], axis=0)
        h_r = (w[:, None] * np.exp(lz_b - (lz_r - math.log(2.0))) * H[1:]).sum(axis=0)
    D = lz_r - lz_nr
    bc = crossing(beta, D, H[0] - h_r)  # d ln Z/dβ = −⟨H⟩
    return (1.0 / bc if np.isfinite(bc) and bc > 0 else math.nan), D


def _tc_of(beta, H, V, H_min, log_g_nr, rule="hermite", anchor=0.5, H0_nr=0.0,
           basins="all", weights=None) -> tuple[float, np.ndarray]:
    """(T_c, D at the nodes) of one integration (:func:`branch_log_z`, :func:`_crossing_T`)."""
    lz_nr, lz_b = branch_log_z(beta, H, V, H_min, log_g_nr, rule=rule, anchor=anchor, H0_nr=H0_nr)
    return _crossing_T(beta, H, lz_nr, lz_b, basins, weights)


def basin_weights(e_screen, ran, random: int) -> np.ndarray | None:
    """How many basins each integrated basin stands for, when only some ran (model options ``lowest_basins``,
    ``random_basins`` of ``hopfield_branches``).

    ``e_screen`` (P,): every basin's screening energy; ``ran`` (P,) bool: the basins that were integrated: the
    first ``random`` patterns (a uniform sample, the patterns being i.i.d.) and the lowest-screened others.
    Stratified at the cut e* = the highest screening energy of those lowest ones: every basin with e ≤ e* ran
    (weight 1); of those above it only the uniform sample ran, each standing for n_above / n_sampled of them.
    Given e*, the basins above it are i.i.d. conditioned on e > e*, the sampled ones included, so Σ_μ Z_μ and
    Σ_μ ln Z_μ are estimated without bias. Returns the weights of the basins that ran, in pattern order (ones if
    all ran), or ``None`` where no sampled basin lies above the cut (the basins that ran then only bound Z_R
    from below)."""
    ran = np.asarray(ran, bool)
    if ran.all():
        return np.ones(int(ran.sum()))
    e = np.asarray(e_screen, float)
    first = np.arange(e.size) < random
    lowest = ran & ~first
    above = e > (e[lowest].max() if lowest.any() else -np.inf)
    sampled = above & first
    if not sampled.any() or not ran[~above].all():
        return None
    return np.where(above, above.sum() / sampled.sum(), 1.0)[ran]


def sample_tc(beta, H, H_err, V, H_min, log_g_nr: float, *, n_draws: int = 200,
              rng: np.random.Generator | None = None, weights=None) -> dict[str, Any]:
    """T_c of one sample: Hermite value, statistical error (Gaussian redraws of ⟨H⟩), and the systematic
    checks: the grid (Hermite on every other node: its error is ~2⁴ times the full grid's, so
    |T_c(half) − T_c(full)|/15 estimates the full grid's, Richardson; the trapezoid value is reported too)
    and the anchor (entropy at 0 and at 1 × β_K(⟨H⟩ − H_min)).

    The **typical-basin** T_c is where ln Z_nR crosses ⟨ln Z_μ⟩_μ, the mean over the sample's basins (the
    self-averaging free energy of one retrieval state, what the replica theory computes). It has the same
    N → ∞ limit as T_c: ln Z_R − ⟨ln Z_μ⟩ lies between ln 2 and ln 2P + max_μ ln Z_μ − ⟨ln Z_μ⟩, and the
    basins' spread of ln Z_μ grows as √N (``spread``, measured), so the difference per spin vanishes as
    ~√(ln P / N). That extreme-value term, the best of 2P basins beating the typical one, is the leading
    finite-size drift of T_c(N); the typical-basin value does not carry it.

    Returns ``value``, ``err``, ``half_grid``, ``err_grid``, ``trapezoid``, ``anchor_lo``, ``anchor_hi``,
    ``D`` (ln Z_R − ln Z_nR at the nodes), ``crossed`` (share of the redraws with a crossing),
    ``typical``, ``typical_err``, ``typical_sys`` (grid ⊕ anchor, as for T_c), ``spread`` (the standard
    deviation of ln Z_μ over the basins at the node nearest T_c) and the branches' ``log_z_nr`` (n,) and
    ``log_z_basin`` (B, n). ``weights``: see :func:`_crossing_T` (where only some of the basins ran)."""
    rng = rng or np.random.default_rng(0)
    beta = np.asarray(beta, float)
    H = np.asarray(H, float)
    V = np.asarray(V, float)
    half = sorted(set(range(0, beta.size, 2)) | {beta.size - 1})  # every other node, the anchor kept

    def tc(h=H, half_grid=False, **kw) -> float:
        if half_grid:
            return _tc_of(beta[half], h[:, half], V[:, half], H_min, log_g_nr, weights=weights, **kw)[0]
        return _tc_of(beta, h, V, H_min, log_g_nr, weights=weights, **kw)[0]

    def both(h) -> tuple[float, float]:  # T_c and the typical-basin T_c from one integration
        lz = branch_log_z(beta, h, V, H_min, log_g_nr)
        return _crossing_T(beta, h, *lz, weights=weights)[0], _crossing_T(beta, h, *lz, "typical", weights)[0]

    lz_nr, lz_b = branch_log_z(beta, H, V, H_min, log_g_nr)
    value, D = _crossing_T(beta, H, lz_nr, lz_b, weights=weights)
    typical = _crossing_T(beta, H, lz_nr, lz_b, "typical", weights)[0]
    pairs = np.array([both(H + rng.standard_normal(H.shape) * H_err) for _ in range(n_draws)]).reshape(-1, 2)
    draws, typ_draws = pairs[:, 0], pairs[:, 1]
    ok, typ_ok = np.isfinite(draws), np.isfinite(typ_draws)
    t_half = tc(half_grid=True)
    near = int(np.argmin(np.abs(beta - 1.0 / value))) if np.isfinite(value) else 0
    return {"value": value, "err": float(np.std(draws[ok], ddof=1)) if ok.sum() > 1 else math.nan,
            "half_grid": t_half, "err_grid": abs(t_half - value) / 15.0,
            "trapezoid": tc(rule="trapezoid"), "anchor_lo": tc(anchor=0.0), "anchor_hi": tc(anchor=1.0),
            "D": D, "crossed": float(ok.mean()),
            "typical": typical,
            "typical_err": float(np.std(typ_draws[typ_ok], ddof=1)) if typ_ok.sum() > 1 else math.nan,
            "typical_sys": math.hypot(abs(tc(half_grid=True, basins="typical") - typical) / 15.0,
                                      0.5 * abs(tc(anchor=1.0, basins="typical") - tc(anchor=0.0, basins="typical"))),
            "spread": _weighted_std(lz_b[:, near], weights) if lz_b.shape[0] > 1 else 0.0,
            "log_z_nr": lz_nr, "log_z_basin": lz_b}


def _weighted_std(x, weights=None) -> float:
    w = np.ones(len(x)) if weights is None else np.asarray(weights, float)
    m = w @ x / w.sum()
    return float(math.sqrt(w @ (x - m) ** 2 / w.sum()))


# ---------------------------------------------------------------------------------------------------
# the recipe
# ---------------------------------------------------------------------------------------------------


def _options(ds: xr.Dataset) -> dict[str, Any]:
    spec = json.loads(ds.attrs.get("spec", "{}") or "{}")
    return dict((spec.get("sampler") or {}).get("options") or {})


def _threshold(ds: xr.Dataset) -> float:
    return float(_options(ds).get("threshold", 0.5))


def _forms_fit(N, y, err, forms) -> dict[str, Any] | None:
    usable = [f for f in forms if len(N) >= len(FORMS[f]) + 2]  # one degree of freedom
    if len(N) < 2 or not usable:
        return None
    return extrapolate_forms(N, y, err, forms=usable, what="T_c extrapolation", quantity="T_c")


def _per_size(ds: xr.Dataset, s: Mapping[str, Any], theta: float, sweep: str) -> list[dict[str, Any]]:
    """{alpha, per_size} for every load of the sweep that has a size with >= 2 finished, crossing samples."""
    from pipeline.theory.hopfield_exact import threshold_count

    rng = np.random.default_rng(int(s["boot_seed"]))
    Ts = np.asarray(ds["T"].values, float)
    order = np.argsort(-Ts)  # increasing β
    beta = 1.0 / Ts[order]
    if beta.size < 3:
        raise ReductionError(f"hopfield_tc: T = {Ts.tolist()}: expected a ladder of at least 3 temperatures")
    done = ds["done"].values.astype(bool)
    n_random = int(_options(ds).get("random_basins", 0))  # the uniform sample of the basins: the first patterns
    out = []
    for a in ds["alpha"].values:
        per_size = []
        for N in ds["N"].values:
            N_ = int(N)
            sub = ds.sel(N=N, alpha=a)
            # the sample's P basins: those with a screening energy (every one, whether it ran or not); in sweeps
            # stored before screening, the finite entries of the energy
            scr = sub["e_screen"] if "e_screen" in sub else sub["energy"]
            v = scr.transpose(..., "branch").values
            P = int(np.isfinite(v.reshape(-1, v.shape[-1])[:, 1:]).any(axis=0).sum())
            if P < 1:
                continue
            K = threshold_count(N_, theta)
            lg = log_g_nonretrieval(N_, P, K)
            dn = done[list(ds["N"].values).index(N), list(ds["alpha"].values).index(a)]
            vals, errs, grids, alo, ahi, crossed, Ds = [], [], [], [], [], 0, []
            typ, typ_sys, spread, f_nr, f_b, ran_n, screens = [], [], [], [], [], [], []
            j_rs, T_rs = _reference_node(beta, P / N_)
            for k in range(sub.sizes["seed"]):
                if not dn[:, k].all():
                    continue
                pt = sub.isel(seed=k, T=order)
                # the branches that ran: nR and the basins with finite energies (every one, or those the
                # model's options selected); their weights stand in for the others (basin_weights)
                e_all = pt["energy"].values[:, :1 + P]
                ran = np.isfinite(e_all).all(axis=0)
                cols = np.nonzero(ran)[0]
                e_scr = np.nanmin(pt["e_screen"].values[:, 1:1 + P], axis=0) if "e_screen" in pt else None
                w = basin_weights(e_scr, ran[1:], n_random) if e_scr is not None else np.ones(cols.size - 1)
                weighted = w is not None  # else the basins that ran bound Z_R from below, and no typical basin
                w = w if weighted else np.ones(cols.size - 1)
                e = e_all[:, cols].T  # (1 + B, n_T)
                e_err = pt["energy_err"].values[:, cols].T
                e2 = pt["energy2"].values[:, cols].T
                H, H_err, V = N_ * e, N_ * e_err, N_ * N_ * np.maximum(e2 - e * e, 0.0)
                H_min = N_ * np.nanmin(pt["e_min"].values[:, cols[1:]], axis=0)
                r = sample_tc(beta, H, H_err, V, H_min, lg, n_draws=int(s["n_draws"]), rng=rng, weights=w)
                ran_n.append(cols.size - 1)
                f_nr.append(-T_rs * r["log_z_nr"][j_rs] / N_)
                f_b.append(-T_rs * float(w @ r["log_z_basin"][:, j_rs] / w.sum()) / N_ if weighted else math.nan)
                Ds.append(r["D"] / N_)
                if not np.isfinite(r["value"]):
                    vals.append(math.nan)
                    continue
                if e_scr is not None and ran[1:].all():
                    screens.append(_screen_check(e_scr, r["log_z_basin"], beta, r["value"]))
                crossed += 1
                typ.append(r["typical"] if weighted else math.nan)
                typ_sys.append(r["typical_sys"])
                spread.append(r["spread"])
                vals.append(r["value"])
                errs.append(r["err"])
                grids.append(r["err_grid"])
                alo.append(r["anchor_lo"])
                ahi.append(r["anchor_hi"])
            v = np.array([x for x in vals if np.isfinite(x)])
            if v.size < 2:
                continue
            mean = float(v.mean())
            sem = float(v.std(ddof=1) / math.sqrt(v.size))
            grid = float(np.mean(grids))
            anch = 0.5 * abs(float(np.mean(ahi)) - float(np.mean(alo)))
            per_size.append({"N": N_, "P": P, "value": mean, "err": sem, "err_sys": math.hypot(grid, anch),
                             "err_grid": grid, "err_anchor": anch, "thermal_err": float(np.sqrt(np.mean(np.square(errs)))),
                             "n_samples": len(vals), "n_crossed": crossed, "samples": [float(x) for x in vals],
                             "sweep": sweep, "typical": _typical_size(typ, typ_sys), "basin_spread": float(np.mean(spread)),
                             "basins": {"ran": int(np.min(ran_n)), "of": P}, "screen": _screen_summary(screens),
                             "vs_rs": _vs_rs(T_rs, P / N_, f_b, f_nr) if j_rs >= 0 else None,
                             "curve": {"T": [float(t) for t in 1.0 / beta], "y": np.mean(Ds, axis=0).tolist(),
                                       "err": (np.std(Ds, axis=0, ddof=1) / math.sqrt(len(Ds))).tolist()}})
        if per_size:
            out.append({"alpha": float(a), "per_size": per_size})
    return out


def _screen_check(e_screen, lz_b, beta, tc: float) -> dict[str, float]:
    """Against a sample whose basins all ran: how the screening energies rank the basins' ln Z_μ at the node
    nearest T_c. ``rank_corr``: Spearman's correlation of −e_screen with ln Z_μ; ``best_rank``: the screening
    rank (0 = lowest energy) of the basin of largest Z_μ; ``lowest_share_8``: the share of Z_R held by the
    8 lowest-screened basins."""
    from scipy.stats import spearmanr

    j = int(np.argmin(np.abs(beta - 1.0 / tc)))
    z = lz_b[:, j]
    order = np.argsort(e_screen, kind="stable")
    rank = np.empty(order.size, int)
    rank[order] = np.arange(order.size)
    share = float(np.exp(logsumexp(z[order[:8]]) - logsumexp(z)))
    rho = float(spearmanr(-np.asarray(e_screen), z)[0]) if z.size > 2 else math.nan
    return {"rank_corr": rho, "best_rank": int(rank[int(np.argmax(z))]), "lowest_share_8": share}


def _screen_summary(checks: list[dict[str, float]]) -> dict[str, Any] | None:
    """The samples' :func:`_screen_check`: mean rank correlation, largest best_rank, smallest share."""
    if not checks:
        return None
    rho = [c["rank_corr"] for c in checks if np.isfinite(c["rank_corr"])]
    return {"rank_corr": float(np.mean(rho)) if rho else None,  # None: P <= 2, no ranking to correlate
            "best_rank_max": int(max(c["best_rank"] for c in checks)),
            "lowest_share_8_min": float(min(c["lowest_share_8"] for c in checks)), "n_samples": len(checks)}


def _reference_node(beta: np.ndarray, alpha: float) -> tuple[int, float]:
    """The ladder node nearest the AGS RS T_c(alpha): (index, T); (-1, NaN) where RS has no T_c."""
    from pipeline.theory.hopfield_rs import T_c as T_c_rs

    t = float(T_c_rs(alpha))
    if not np.isfinite(t):
        return -1, math.nan
    j = int(np.argmin(np.abs(1.0 / beta - t)))
    return j, float(1.0 / beta[j])


def _vs_rs(T: float, alpha: float, f_basin: list[float], f_nr: list[float]) -> dict[str, Any]:
    """The typical basin's and the nR branch's free energy per spin at T against the AGS RS retrieval and
    spin-glass ones at the sample's alpha = P/N: sample means of the differences and their standard errors."""
    from pipeline.theory.hopfield_rs import free_energy_rs, retrieval_branch, spin_glass_branch

    def rs(sol):
        return math.nan if sol is None else free_energy_rs(alpha, T, sol.m, sol.q, sol.r, C=sol.C)

    out: dict[str, Any] = {"T": T, "alpha": alpha}
    for key, f, ref in (("basin", f_basin, rs(retrieval_branch(alpha, T))),
                        ("nonretrieval", f_nr, rs(spin_glass_branch(alpha, T)))):
        d = np.asarray(f, float) - ref
        d = d[np.isfinite(d)]  # a sample whose basins could not be weighted (basin_weights) has no typical basin
        out[key] = {"value": float(d.mean()) if d.size else math.nan,
                    "err": float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else math.nan, "n_samples": int(d.size)}
    return out


def _typical_size(values: list[float], sys: list[float]) -> dict[str, Any]:
    """The typical-basin T_c(alpha, N) over the samples whose T_c crossed: mean, standard error, systematic."""
    v = np.array([x for x in values if np.isfinite(x)])
    if v.size < 2:
        return {"value": math.nan, "err": math.nan, "err_sys": math.nan, "n_samples": int(v.size)}
    return {"value": float(v.mean()), "err": float(v.std(ddof=1) / math.sqrt(v.size)),
            "err_sys": float(np.nanmean(sys)), "n_samples": int(v.size)}


def _fit_entry(per_size: list[dict[str, Any]], key: Callable[[dict], Mapping[str, Any]], min_N: int,
               forms) -> dict[str, Any]:
    """The N -> inf fit of ``key(p)["value"]`` over the sizes N >= min_N (errors stat (+) sys)."""
    fitted = [p for p in per_size if p["N"] >= min_N and np.isfinite(key(p).get("value", math.nan))]
    Ns = np.array([p["N"] for p in fitted], float)
    y = np.array([key(p)["value"] for p in fitted])
    dy = np.array([math.hypot(key(p)["err"], key(p)["err_sys"]) for p in fitted])
    fit = _forms_fit(Ns, y, dy, forms)
    if fit is None:
        return {"value": math.nan, "err": math.nan, "err_stat": math.nan, "err_sys": math.nan, "forms": {},
                "fit_sizes": [int(n) for n in Ns]}
    return {"value": fit["value"], "err": fit["err"], "err_stat": fit["err_stat"], "err_sys": fit["err_sys"],
            "forms": {k: {"value": f["value"], "err": f["err"], "chi2": f["chi2"], "dof": f["dof"],
                          "coef": [float(c) for c in f["coef"]], "powers": [float(q) for q in f["powers"]]}
                      for k, f in fit["forms"].items()},
            "fit_sizes": [int(n) for n in Ns]}


def _join(own: list[dict[str, Any]], joined: Sequence[tuple[str, Mapping[str, Any]]], theta: float,
          own_name: str) -> list[dict[str, Any]]:
    """The loads of ``own`` and of the other sweeps' results, each load's sizes from whichever sweep holds
    them (a size held by two sweeps is refused: its samples would count twice or disagree)."""
    loads: dict[float, list[dict[str, Any]]] = {round(e["alpha"], 9): list(e["per_size"]) for e in own}
    where = {(a, p["N"]): own_name for a, ps in loads.items() for p in ps}
    for other, res in joined:
        if not math.isclose(float(res.get("threshold", math.nan)), theta):
            raise ReductionError(f"[reduce] sizes_from: sweep {other!r} restricts the branches at threshold "
                                 f"{res.get('threshold')}, this sweep at {theta:g}: their T_c do not join")
        for e in res["T_c"]:
            a = round(float(e["alpha"]), 9)
            for p in e["per_size"]:
                if p.get("sweep") not in (None, "", other):  # a size the other sweep joined itself
                    continue
                if (a, p["N"]) in where:
                    raise ReductionError(f"[reduce] sizes_from: sweeps {where[a, p['N']]!r} and {other!r} both hold "
                                         f"alpha = {a:g}, N = {p['N']}: each size may come from one sweep only")
                where[a, p["N"]] = other
                loads.setdefault(a, []).append(dict(p) | {"sweep": other})
    return [{"alpha": a, "per_size": sorted(loads[a], key=lambda p: p["N"])} for a in sorted(loads)]


def reduce_hopfield_tc(ds: xr.Dataset, settings: Mapping[str, Any] | None = None,
                       joined: Sequence[tuple[str, Mapping[str, Any]]] = ()) -> dict[str, Any]:
    """T_c(α, N) per sample, its disorder average and the N → ∞ extrapolation; JSON-ready.

    ``joined``: (name, result) of other ``hopfield_tc`` sweeps (setting ``sizes_from``, e.g. the sweeps of
    other sizes); their own sizes join this sweep's in each load's extrapolation, and loads only they hold
    are extrapolated too.

    Returns ``T_c``: [{alpha, value, err, err_stat, err_sys, theory, forms, fit_sizes, typical, per_size:
    [{N, value, err, err_sys, n_samples, n_crossed, samples, sweep, curve, typical, basin_spread}]}],
    ``sizes``, ``sweeps`` (the sweeps the sizes come from), ``threshold`` and ``method``; ``curve`` is the
    sample mean of (ln Z_R − ln Z_nR)/N over the sweep's ladder ({T, y, err}); ``typical`` the
    typical-basin T_c (:func:`sample_tc`): per size {value, err, err_sys, n_samples}, per load its N → ∞
    fit {value, err, forms, fit_sizes}; ``basin_spread`` the sample mean of the standard deviation of
    ln Z_μ over the basins near T_c; ``vs_rs`` {T, alpha, basin, nonretrieval}: at the node nearest the
    AGS RS T_c, the typical basin's free energy per spin minus the RS retrieval one and the nR branch's
    minus the RS spin-glass one ({value, err} over samples): where a T_c away from RS comes from.
    """
    from pipeline.theory.hopfield_rs import T_c as T_c_rs

    s = DEFAULTS | dict(settings or {})
    for d in ("N", "alpha", "T", "seed", "branch"):
        if d not in ds.dims:
            raise ReductionError(f"hopfield_tc needs a hopfield_branches sweep with dimension {d!r}; got dims "
                                 f"{list(ds.dims)}")
    theta = _threshold(ds)
    sweep = str(ds.attrs.get("spinsweep_sweep", ""))
    loads = _join(_per_size(ds, s, theta, sweep), joined, theta, sweep)
    typ_min = int(s["min_N"] if s.get("typical_min_N") is None else s["typical_min_N"])
    out = []
    for load in loads:
        a, per_size = load["alpha"], load["per_size"]
        entry = {"alpha": float(a), "theory": float(T_c_rs(float(a))), "per_size": per_size}
        entry |= _fit_entry(per_size, lambda p: p, int(s["min_N"]), s["forms"])
        typ = _fit_entry(per_size, lambda p: p.get("typical", {}), typ_min, s["forms"])
        entry["typical"] = {k: typ[k] for k in ("value", "err", "forms", "fit_sizes")}
        out.append(entry)
    if not out:
        raise ReductionError("hopfield_tc: no (alpha, N) with at least 2 finished samples whose branches cross")
    method = {
        "branches": f"non-retrieval max_mu |m_mu| < {theta:g}; retrieval basins (mu, +-) labelled by the largest "
                    "|m_mu| >= threshold; restricted Metropolis with parallel tempering per branch",
        "integration": "cubic Hermite in beta from <H> and -Var H at the ladder's nodes; nR from beta = 0 "
                       "(ln 2^N less the states above the threshold), basins from the lowest T",
        "anchor": "ln Z_mu(beta_K) = -beta_K H_min + s, s = (1/2) beta_K (<H> - H_min) +- the same",
        "T_c": "lowest-T sign change of ln Z_R - ln Z_nR (cubic Hermite interpolation)",
        "typical": "the same crossing with the typical basin, <ln Z_mu>_mu over the sample's basins, for ln Z_R: the "
                   "same N -> inf limit (ln Z_R - <ln Z_mu> < ln 2P + max - mean, the basins' spread of ln Z_mu "
                   "grows as sqrt N: basin_spread) without the best-of-2P-basins drift; extrapolated alike over N >= "
                   + str(typ_min),
        "basins": "every basin, or (hopfield_branches options lowest_basins, random_basins) the lowest by their "
                  "screening energy (zero-temperature descent from the pattern) and a uniform sample (the first "
                  "patterns) standing for the others above the screening cut (stratified weights, basin_weights)",
        "errors": "per sample: Gaussian redraws of the node energies; per (alpha, N): standard error over samples; "
                  "err_sys = grid (|T_c(half grid) - T_c(full)|/15, Richardson for an h^4 rule) (+) anchor half-range, sample means",
        "extrapolation": f"N -> inf: mean of the forms {list(s['forms'])} with a degree of freedom (weighted least "
                         "squares, errors stat (+) sys) over the sizes N >= " + str(int(s["min_N"]))
                         + "; error = rms stat (x sqrt(chi2/dof)) + half the forms' spread",
    }
    sweeps = sorted({p["sweep"] for e in out for p in e["per_size"]})
    return {"T_c": out, "sizes": sorted({p["N"] for e in out for p in e["per_size"]}), "sweeps": sweeps,
            "threshold": theta, "method": method}


def summary_text(res: Mapping[str, Any]) -> str:
    """The result of :func:`reduce_hopfield_tc` as a readable table."""
    lines = [f"Hopfield T_c by thermodynamic integration on restricted branches (threshold {res['threshold']:g})",
             f"{'alpha':>7s} {'N':>6s} {'T_c':>9s} {'stat':>7s} {'sys':>7s} {'samples':>8s}   {'typical':>9s} "
             f"{'stat':>7s} {'spread':>7s}   RS theory"]
    several = len(res.get("sweeps", [])) > 1
    for e in res["T_c"]:
        for p in e["per_size"]:
            t = p.get("typical", {})
            lines.append(f"{e['alpha']:7.4f} {p['N']:6d} {p['value']:9.4f} {p['err']:7.4f} {p['err_sys']:7.4f} "
                         f"{p['n_crossed']:>3d}/{p['n_samples']:<4d}   {t.get('value', math.nan):9.4f} "
                         f"{t.get('err', math.nan):7.4f} {p.get('basin_spread', math.nan):7.2f}   {e['theory']:.4f}"
                         + (f"   (sweep {p['sweep']})" if several else ""))
        if np.isfinite(e["value"]):
            t = e.get("typical", {})
            lines.append(f"{e['alpha']:7.4f} {'inf':>6s} {e['value']:9.4f} {e['err']:7.4f} {'':7s} {'':8s}   "
                         f"{t.get('value', math.nan):9.4f} {t.get('err', math.nan):7.4f} {'':7s}   {e['theory']:.4f}")
    rows = [(e["alpha"], p) for e in res["T_c"] for p in e["per_size"] if p.get("vs_rs")]
    if rows:
        lines.append("free energy per spin minus AGS RS at the node nearest RS T_c (typical basin - retrieval, "
                     "nR - spin glass):")
        for a, p in rows:
            v = p["vs_rs"]
            lines.append(f"{a:7.4f} {p['N']:6d}   T = {v['T']:.3f}   basin {v['basin']['value']:+.4f} +- "
                         f"{v['basin']['err']:.4f}   nR {v['nonretrieval']['value']:+.4f} +- {v['nonretrieval']['err']:.4f}")
    part = [(e["alpha"], p) for e in res["T_c"] for p in e["per_size"] if p.get("basins", {}).get("ran", p["P"]) < p["P"]]
    if part:
        lines.append("sizes integrating a share of the basins (the lowest-screened and a uniform sample, weighted):")
        lines += [f"{a:7.4f} {p['N']:6d}   {p['basins']['ran']} of {p['P']} basins" for a, p in part]
    checks = [(e["alpha"], p) for e in res["T_c"] for p in e["per_size"] if p.get("screen")]
    if checks:
        lines.append("screening against the sizes whose basins all ran (rank correlation of -e_screen with ln Z_mu "
                     "near T_c; worst screening rank of the best basin; least share of Z_R in the 8 lowest-screened):")
        lines += [f"{a:7.4f} {p['N']:6d}   rho {math.nan if p['screen']['rank_corr'] is None else p['screen']['rank_corr']:.3f}   best rank <= "
                  f"{p['screen']['best_rank_max']}   share >= {p['screen']['lowest_share_8_min']:.4f}" for a, p in checks]
    lines += [f"{k}: {v}" for k, v in res["method"].items()]
    return "\n".join(lines)


def reduction_dataset(res: Mapping[str, Any]) -> xr.Dataset:
    """T_c(α, N) along ``point`` and the extrapolated T_c(α) along ``alpha``."""
    pts = [(e["alpha"], p) for e in res["T_c"] for p in e["per_size"]]
    data = {
        "T_c_N": ("point", [p["value"] for _, p in pts], {"long_name": "T_c(alpha, N), mean over samples"}),
        "T_c_N_err": ("point", [p["err"] for _, p in pts]),
        "T_c_N_sys": ("point", [p["err_sys"] for _, p in pts]),
        "T_c": ("alpha", [e["value"] for e in res["T_c"]], {"long_name": "T_c(alpha), N -> inf"}),
        "T_c_err": ("alpha", [e["err"] for e in res["T_c"]]),
        "T_c_rs": ("alpha", [e["theory"] for e in res["T_c"]], {"long_name": "AGS replica-symmetric T_c"}),
    }
    coords = {"point_alpha": ("point", [a for a, _ in pts]), "point_N": ("point", [p["N"] for _, p in pts]),
              "alpha": [e["alpha"] for e in res["T_c"]]}
    out = xr.Dataset(data, coords=coords)
    out.attrs["method"] = json.dumps(res["method"])
    return out

