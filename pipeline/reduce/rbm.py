"""RBM retrieval from a stored sweep: overlaps, retained fractions and α_M(T) per hidden kind; quadratic KL.

Conventions (those of :mod:`pipeline.models.rbm`): k_B = 1, T = 1/β, N visible units, Nh = floor(αN + 1/2)
hidden units, Hebbian weights W_iμ = scale·ξ_i^μ/√N, Mattis overlap of the visible layer with pattern 1
m = |m_1| = |(1/N) Σ_i ξ_i^1 s_i| (replica average; s_i = v_i for ±1 visible units). Each ``seed`` is an
independent disorder sample (its own patterns) with its own thermal history; every T and hidden kind of a
seed share the patterns. Disorder averages [·] are over the seeds. The sweep is read at one value of each
of ``visible``, ``weights`` (``"hebbian"`` only: Gaussian weights have no patterns to retrieve), ``scale``,
``bias`` and ``init`` (settings of the same names), and over every ``hidden`` kind it ran (or those in
the ``hidden`` setting).

Overlap table (:func:`overlap_table`)
    Per (hidden, N, α, T): [⟨|m_1|⟩], the seed average of the per-sample run average ``m``, with its
    standard error over seeds; and the fraction of samples that *retain* pattern 1, whose end overlap
    (mean of the last ``last_bins`` stored bins of ``m``) exceeds ``threshold`` (default 0.5), with its
    binomial standard error √(max(f(1 − f), 1/(4n))/n) over the n seeds (the floor keeps an error at
    f = 0 or 1). Why 0.5: a retrieval state keeps m ≥ m_M(T), the overlap on the AGS spinodal (0.97 at
    T = 0.05, 0.85 at T = 0.5, 0.58 at T = 0.8), while a lost pattern leaves a spin-glass or mixture
    state whose |m_1| is of order N^(−1/2) or P^(−1/2) (0.1–0.4 at the sizes run); 0.5 separates the two
    up to T ≈ 0.85, where m_M(T) itself falls to 0.5.

Retrieval boundary (:func:`retrieval_boundary`)
    Per hidden kind, N and T, α_M(T, N) is where the retained fraction f(α) first falls from above 1/2
    to 1/2 or below, by linear interpolation between the two grid loads around the crossing. Its error
    is the standard deviation over ``n_boot`` bootstrap replicas of the seeds (the same resampled seeds
    at every α); replicas without a crossing are counted (``boot_lost``) and left out. Where f ≤ 1/2
    already at the smallest load the boundary lies below the grid (``status = "below_grid"``, value
    None, ``bound`` = that α: an upper bound); where f > 1/2 at every load it lies above
    (``"above_grid"``, ``bound`` = the largest α: a lower bound). Each point carries the AGS
    replica-symmetric α_M(T) of the Hopfield model (:func:`pipeline.theory.hopfield_rs.alpha_M`) for
    comparison.

What to expect. With Gaussian hidden units (prior ∝ e^{−βh²/2}) and scale 1 the visible marginal is
exactly the Hopfield model's at the same β (``theory.rbm_exact``), so α_M(T, N) is the Hopfield
model's apparent capacity at that N: above the AGS line at small N (finite-size retrieval persists),
approaching it as N grows. With ±1 hidden units the quadratic (Hopfield) approximation of
ln 2cosh(βa_μ) holds only for small inputs a_μ = √N m_μ; in a retrieval state the condensed unit's input
is √N m_1, its free energy −T ln 2cosh(β√N m_1) ≈ −√N m_1 is only O(√N) against an O(N) entropy,
and −Σ_μ|a_μ| rewards spreading the overlap over many patterns (a mixture-like state with
|m_μ| ~ P^(−1/2), our reading of the measured [m]) where the Gaussian −Σ_μ a_μ²/2 rewards condensing it
on one. So at O(1) temperatures the 1/√N-scaled ±1 machine does not retrieve: [m] is small and falls
with N (a single ±1 hidden unit, P = 1, gives m = tanh(β/√N) → 0). This is in line with
A. Barra, G. Genovese, P. Sollich and D. Tantari, "Phase diagram of restricted Boltzmann machines and
generalized Hopfield networks with arbitrary priors", Phys. Rev. E 97, 022310 (2018), arXiv:1702.05882,
whose abstract states that the retrieval region is larger when the hidden units acquire a broader
prior, and so a stronger response to large fields: it shrinks as the hidden prior goes from Gaussian
towards binary.

Quadratic approximation (:func:`quadratic_kl`)
    Not from the sweep: KL(p ‖ p_quad) between the exact visible marginal of ±1 (``"spin"``) and {0, 1}
    (``"binary"``) hidden units and its quadratic approximation J ∝ W Wᵀ
    (:func:`pipeline.theory.rbm_exact.marginal_kl`), by enumeration of ``kl_Nv`` ±1 visible units with
    ``kl_Nh`` hidden units and Hebbian weights W = s·ξ/√Nv (zero biases) at temperature ``kl_T``, over
    the scales ``kl_scales``, averaged over ``kl_draws`` pattern draws from ``kl_seed`` (the same
    patterns at every scale and kind). With zero biases the neglected remainder is quartic in the
    inputs, δ ~ Σ_j y_j⁴/12, so KL ~ ½ Var_p(δ) ~ s⁸ at small s; the local log–log slope over the three
    smallest scales is reported. Hidden biases c ≠ 0 move the inputs off the expansion point, the
    remainder gains a term linear in a (∝ c³a) and KL ~ s² (both kinds; not computed here). Gaussian
    hidden units have KL = 0 exactly.

:func:`reduce_rbm` runs all three and returns the JSON-ready result (:func:`summary_text` and
:func:`reduction_dataset` render it as text and as a small dataset).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
import xarray as xr
from pydantic import Field

from pipeline.errors import ReductionError
from pipeline.reduce._common import _g
from pipeline.reduce._settings import Count, Fraction, PositiveFloat, Seed, Settings

__all__ = ["DEFAULTS", "HIDDEN", "KL_HIDDEN", "RBMSettings", "overlap_table", "quadratic_kl", "reduce_rbm",
           "reduction_dataset", "retrieval_boundary", "summary_text"]

HIDDEN = ("gaussian", "spin", "binary")
"""Hidden-unit kinds of the RBM model, in the order the result lists them (the exact Hopfield case first)."""
KL_HIDDEN = ("spin", "binary")
"""Hidden kinds whose quadratic approximation is not exact (Gaussian hidden units have KL = 0)."""

WHAT = "rbm reduction"

#: The default weight scales of the KL part: 15 points log-spaced over [0.1, 10^0.7 ≈ 5.0].
KL_SCALES = [float(x) for x in np.round(np.logspace(-1.0, 0.7, 15), 6)]

SizesAny = Annotated[list[Annotated[int, Field(strict=True, ge=2)]], Field(min_length=1)]
HiddenName = Literal["spin", "binary", "gaussian"]


class RBMSettings(Settings):
    """The ``[reduce]`` keys of the RBM retrieval reduction (recipe ``rbm_retrieval``)."""

    init: Literal["pattern", "random"] = Field("pattern", description="initial condition analysed")
    visible: Literal["spin", "binary"] = Field("spin", description="visible-unit kind analysed")
    scale: PositiveFloat = Field(1.0, description="weight scale analysed (1: the Hopfield mapping of "
                                                  "Gaussian hidden units)")
    bias: Annotated[float, Field(strict=True, ge=0)] = Field(0.0, description="bias deviation analysed")
    hidden: Annotated[list[HiddenName], Field(min_length=1)] | None = Field(
        None, description="hidden kinds analysed (default: every kind in the sweep)")
    sizes: SizesAny | None = Field(None, description="sizes analysed (default: all)")
    threshold: Fraction = Field(0.5, description="a sample retains pattern 1 if its end overlap |m_1| "
                                                 "exceeds this")
    last_bins: Annotated[int, Field(strict=True, ge=1)] = Field(1, description="bins of the end overlap")
    n_boot: Count = Field(400, description="bootstrap replicas over seeds")
    boot_seed: Seed = Field(0, description="seed of the bootstrap")
    kl_Nv: Annotated[int, Field(strict=True, ge=2, le=16)] = Field(
        12, description="visible units enumerated for the quadratic-approximation KL")
    kl_Nh: Annotated[int, Field(strict=True, ge=1, le=64)] = Field(6, description="hidden units (KL part)")
    kl_T: PositiveFloat = Field(1.0, description="temperature of the KL part")
    kl_scales: Annotated[list[PositiveFloat], Field(min_length=3)] = Field(
        KL_SCALES, description="weight scales s of the KL part (W = s xi/sqrt(Nv))")
    kl_draws: Annotated[int, Field(strict=True, ge=1, le=1000)] = Field(10, description="pattern draws (KL)")
    kl_seed: Seed = Field(0, description="seed of the KL part's patterns")


#: Settings of :func:`reduce_rbm` (the workflow's ``[reduce]`` table overrides them).
DEFAULTS: dict[str, Any] = RBMSettings().model_dump()


# ---------------------------------------------------------------------------------------------------
# selection
# ---------------------------------------------------------------------------------------------------


def _pick(d: xr.Dataset, dim: str, value: Any, key: str) -> xr.Dataset:
    """``d`` at ``dim = value`` (numbers matched to 1e-9); a missing value is refused naming the sweep's."""
    if dim not in d.dims:
        return d
    vals = d[dim].values
    if isinstance(value, str):
        have = [str(v) for v in vals]
        if value not in have:
            raise ReductionError(f"{WHAT}: {key} = {value!r} not in the sweep "
                                 f"({dim} = {', '.join(map(repr, have))})")
        return d.isel({dim: have.index(value)})
    hit = np.flatnonzero(np.isclose(np.asarray(vals, float), float(value), rtol=0, atol=1e-9))
    if hit.size == 0:
        raise ReductionError(f"{WHAT}: {key} = {value:g} not in the sweep ({dim} = {_g(vals)})")
    return d.isel({dim: int(hit[0])})


def _select(ds: xr.Dataset, s: Mapping[str, Any]) -> xr.Dataset:
    """The sweep at the settings' visible kind, Hebbian weights, scale, bias and init; dims (hidden, N,
    alpha, T, seed[, bin])."""
    for dim in ("N", "alpha", "T", "seed"):
        if dim not in ds.dims:
            raise ReductionError(f"{WHAT} needs dimension {dim!r}; the sweep has {list(ds.dims)} "
                                 "(is it an RBM sweep?)")
    if "m" not in ds:
        raise ReductionError(f"{WHAT} needs the Mattis overlap 'm'; not in the sweep (is it an RBM sweep?)")
    d = ds
    for dim, key in (("visible", "visible"), ("scale", "scale"), ("bias", "bias"), ("init", "init")):
        d = _pick(d, dim, s[key], key)
    if "weights" in d.dims:
        d = _pick(d, "weights", "hebbian", "weights")
    if "hidden" not in d.dims:
        raise ReductionError(f"{WHAT} needs dimension 'hidden' (the hidden-unit kinds); the sweep has "
                             f"{list(ds.dims)}")
    have = [str(v) for v in d["hidden"].values]
    want = [h for h in HIDDEN if h in have] if s["hidden"] is None else list(s["hidden"])
    missing = [h for h in want if h not in have]
    if missing:
        raise ReductionError(f"{WHAT}: hidden = {missing} not in the sweep "
                             f"(hidden = {', '.join(map(repr, have))})")
    d = d.isel(hidden=[have.index(h) for h in want])
    if s["sizes"] is not None:
        missing = [n for n in s["sizes"] if n not in d["N"].values]
        if missing:
            raise ReductionError(f"{WHAT}: sizes {missing} not in the sweep (N = {_g(d['N'].values)})")
        d = d.sel(N=list(s["sizes"]))
    d = d.sortby("N").sortby("alpha").sortby("T")
    if d.sizes["alpha"] < 2:
        raise ReductionError(f"{WHAT} needs at least 2 loads alpha to locate a retrieval boundary; the sweep "
                             f"has alpha = {_g(d['alpha'].values)}")
    if d.sizes["seed"] < 2:
        raise ReductionError(f"{WHAT} needs at least 2 seeds (disorder samples) for its errors; the sweep "
                             f"has {d.sizes['seed']}")
    return d


def _end_overlap(d: xr.Dataset, last_bins: int) -> xr.DataArray:
    """Mean of the last ``last_bins`` bin means of ``m`` (the run average where no bins are stored)."""
    if "m_bins" not in d:
        return d["m"]
    nb = d.sizes["bin"]
    k = int(min(last_bins, nb))
    return d["m_bins"].isel(bin=slice(nb - k, nb)).mean("bin")


def _values(d: xr.Dataset, da: xr.DataArray) -> np.ndarray:
    """``da`` as (hidden, N, alpha, T, seed), NaN where a point is not ``done``."""
    dims = ("hidden", "N", "alpha", "T", "seed")
    x = da.transpose(*dims).values.astype(float)
    if "done" in d:
        done = d["done"].astype(bool).broadcast_like(da).transpose(*dims).values
        x = np.where(done, x, np.nan)
    return x


# ---------------------------------------------------------------------------------------------------
# overlaps and retained fractions
# ---------------------------------------------------------------------------------------------------


def overlap_table(m: np.ndarray, end: np.ndarray, threshold: float) -> dict[str, np.ndarray]:
    """Seed averages of the run overlap and the retained fraction, per (..., α, T).

    Parameters
    ----------
    m, end : array (..., n_seeds)
        Per-sample run average ⟨|m_1|⟩ and end overlap; NaN marks a point that was not run (every seed
        NaN); a point run for some seeds only is refused.
    threshold : float
        A sample retains the pattern if its end overlap exceeds this.

    Returns
    -------
    dict of arrays (...)
        ``m`` [⟨|m_1|⟩], ``m_err`` its standard error over seeds, ``retained`` the fraction retaining,
        ``retained_err`` √(max(f(1 − f), 1/(4n))/n), ``n`` the seeds used (0 where not run: NaN values).
    """
    ok = np.isfinite(m) & np.isfinite(end)
    n = ok.sum(-1)
    partial = (n > 0) & (n < m.shape[-1])
    if partial.any():
        raise ReductionError(f"{WHAT}: {int(partial.sum())} point(s) have some seeds missing (not done or "
                             "NaN); finish the sweep first")
    run = n > 0
    n1 = np.maximum(n, 1)
    x = np.where(ok, m, 0.0)
    mean = x.sum(-1) / n1
    var = np.where(ok, (x - mean[..., None]) ** 2, 0.0).sum(-1) / np.maximum(n - 1, 1)
    frac = (ok & (np.where(ok, end, 0.0) > threshold)).sum(-1) / n1
    nan = np.full(n.shape, np.nan)
    mean, err = np.where(run, mean, nan), np.where(run, np.sqrt(var / n1), nan)
    ferr = np.sqrt(np.maximum(frac * (1 - frac), 0.25 / n1) / n1)
    frac, ferr = np.where(run, frac, nan), np.where(run, ferr, nan)
    return {"m": mean, "m_err": err, "retained": frac, "retained_err": ferr, "n": n}


def _first_crossing(alpha: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where f(α) (…, nα) first falls from > 1/2 to ≤ 1/2, linearly interpolated; and a status code
    (0 crossed, 1 below the grid: f ≤ 1/2 at the smallest α, 2 above it: f > 1/2 everywhere)."""
    above = f > 0.5
    cross = above[..., :-1] & ~above[..., 1:]
    has = cross.any(-1)
    k = np.argmax(cross, axis=-1)
    f0 = np.take_along_axis(f, k[..., None], -1)[..., 0]
    f1 = np.take_along_axis(f, (k + 1)[..., None], -1)[..., 0]
    a0, a1 = alpha[k], alpha[k + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = a0 + (f0 - 0.5) * (a1 - a0) / (f0 - f1)
    status = np.where(has, 0, np.where(~above[..., 0], 1, 2))
    return np.where(has, x, np.nan), status


_STATUS = ("crossed", "below_grid", "above_grid")


def retrieval_boundary(alpha: Sequence[float], end: np.ndarray, threshold: float, n_boot: int,
                       rng: np.random.Generator) -> dict[str, Any]:
    """α_M of one (hidden, N, T): the first crossing of the retained fraction through 1/2 in α.

    Parameters
    ----------
    alpha : sequence of float, increasing (nα,)
        The loads run.
    end : array (nα, n_seeds)
        End overlaps; no NaN.
    threshold : float
        Retention threshold on the end overlap.
    n_boot : int
        Bootstrap replicas over seeds (the same seeds at every α).
    rng : numpy.random.Generator

    Returns
    -------
    dict
        ``value`` (None unless crossed), ``err`` (bootstrap standard deviation; None if fewer than two
        replicas crossed), ``status`` ("crossed", "below_grid", "above_grid"), ``bound`` (None, or the
        grid end the boundary lies beyond), ``boot_lost`` (replicas without a crossing), ``fraction``.
    """
    a = np.asarray(alpha, float)
    ret = end > threshold  # (nα, ns)
    frac = ret.mean(-1)
    value, status = _first_crossing(a, frac)
    ns = end.shape[-1]
    idx = rng.integers(0, ns, size=(n_boot, ns))
    fb = ret[:, idx].mean(-1).T  # (B, nα)
    vb, _ = _first_crossing(a, fb)
    good = np.isfinite(vb)
    st = _STATUS[int(status)]
    return {
        "value": float(value) if st == "crossed" else None,
        "err": float(np.std(vb[good], ddof=1)) if st == "crossed" and good.sum() >= 2 else None,
        "status": st,
        "bound": None if st == "crossed" else float(a[0] if st == "below_grid" else a[-1]),
        "boot_lost": int((~good).sum()),
        "fraction": [float(x) for x in frac],
    }


# ---------------------------------------------------------------------------------------------------
# quadratic approximation
# ---------------------------------------------------------------------------------------------------


def quadratic_kl(Nv: int = 12, Nh: int = 6, scales: Sequence[float] = KL_SCALES, T: float = 1.0,
                 draws: int = 10, seed: int = 0, kinds: Sequence[str] = KL_HIDDEN) -> dict[str, Any]:
    """KL(p ‖ p_quad) of the visible marginal against its quadratic approximation, by enumeration.

    Parameters
    ----------
    Nv, Nh : int
        ±1 visible units (enumerated: 2^Nv states) and hidden units.
    scales : sequence of float
        Weight scales s: W = s·ξ/√Nv with ξ = ±1 (Nv, Nh) Hebbian patterns; zero biases.
    T : float
        Temperature.
    draws : int
        Pattern draws averaged, from ``numpy.random.default_rng(seed)``; the same draws at every scale
        and kind.
    kinds : sequence of {"spin", "binary"}
        Hidden kinds.

    Returns
    -------
    dict
        ``Nv``, ``Nh``, ``T``, ``draws``, ``seed``, ``scale`` (list); per kind ``kl[kind]`` (mean over
        draws, list), ``kl_err[kind]`` (standard error over draws; 0 for one draw) and ``slope[kind]``,
        the log–log slope of the mean KL over the three smallest scales (≈ 8 for a quartic remainder).
    """
    from pipeline.theory.rbm_exact import marginal_kl

    s = np.asarray(scales, float)
    if s.ndim != 1 or s.size < 3 or not np.all(np.isfinite(s) & (s > 0)) or np.any(np.diff(s) <= 0):
        raise ReductionError(f"{WHAT}: kl_scales = {_g(s)}: expected at least 3 increasing scales > 0")
    gen = np.random.default_rng(int(seed))
    xi = [(2 * gen.integers(0, 2, size=(int(Nv), int(Nh))) - 1).astype(float) for _ in range(int(draws))]
    out: dict[str, Any] = {"Nv": int(Nv), "Nh": int(Nh), "T": float(T), "draws": int(draws),
                           "seed": int(seed), "scale": s.tolist(), "kl": {}, "kl_err": {}, "slope": {}}
    for kind in kinds:
        kl = np.array([[marginal_kl(sc * x / np.sqrt(Nv), None, None, T, kind) for x in xi] for sc in s])
        mean = kl.mean(1)
        err = kl.std(1, ddof=1) / np.sqrt(kl.shape[1]) if kl.shape[1] > 1 else np.zeros(s.size)
        out["kl"][kind] = mean.tolist()
        out["kl_err"][kind] = err.tolist()
        lo = slice(0, 3)
        pos = mean[lo] > 0
        out["slope"][kind] = (float(np.polyfit(np.log(s[lo]), np.log(mean[lo]), 1)[0]) if pos.all() else None)
    return out


# ---------------------------------------------------------------------------------------------------
# everything
# ---------------------------------------------------------------------------------------------------


def _clean(x: np.ndarray) -> list:
    """A nested list with NaN as None (JSON has no NaN)."""
    return [_clean(v) for v in x] if np.ndim(x) > 1 else [None if not np.isfinite(v) else float(v) for v in x]


def reduce_rbm(ds: xr.Dataset, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything of the RBM retrieval reduction as JSON-ready data (see the module docstring).

    Returns
    -------
    dict
        ``hidden``, ``sizes``, ``alpha``, ``T``, ``samples`` (seeds), ``selection`` (visible, weights,
        scale, bias, init); ``table`` {hidden: {N: {m, m_err, retained, retained_err}}}, each a list over
        α of lists over T (None where not run); ``alpha_M`` [{hidden, N, T, value, err, status, bound,
        boot_lost, fraction, theory}]; ``alpha_M_lowest_T`` {hidden: {N: value}}; ``theory``
        ({"alpha_M": {T: AGS α_M(T)}}); ``kl`` (:func:`quadratic_kl`); ``method``; ``failed`` (empty).
    """
    from pipeline.theory.hopfield_rs import alpha_M

    s = RBMSettings.model_validate(dict(settings or {})).model_dump()
    d = _select(ds, s)
    hidden = [str(h) for h in d["hidden"].values]
    Ns = [int(n) for n in d["N"].values]
    alphas = np.asarray(d["alpha"].values, float)
    Ts = np.asarray(d["T"].values, float)
    m = _values(d, d["m"])
    end = _values(d, _end_overlap(d, s["last_bins"]))
    tab = overlap_table(m, end, s["threshold"])
    if not (tab["n"] > 0).any():
        raise ReductionError(f"{WHAT}: no point of the selection was run ({s['init']!r} starts, visible "
                             f"{s['visible']!r}, scale {s['scale']:g}, bias {s['bias']:g})")
    rng = np.random.default_rng(s["boot_seed"])
    theory = {f"{t:g}": float(alpha_M(float(t))) for t in Ts}
    points = []
    for ih, h in enumerate(hidden):
        for iN, N in enumerate(Ns):
            for iT, t in enumerate(Ts):
                run = tab["n"][ih, iN, :, iT] > 0
                if run.sum() < 2:
                    continue  # this (hidden, N, T) was not run at two loads (outside the sweep's subsets)
                b = retrieval_boundary(alphas[run], end[ih, iN, run, iT], s["threshold"], s["n_boot"], rng)
                points.append({"hidden": h, "N": N, "T": float(t), **b, "alphas": alphas[run].tolist(),
                               "theory": theory[f"{t:g}"]})
    lowest = {h: {str(p["N"]): p["value"] for p in points if p["hidden"] == h and p["T"] == float(Ts[0])}
              for h in hidden}
    kl = quadratic_kl(s["kl_Nv"], s["kl_Nh"], s["kl_scales"], s["kl_T"], s["kl_draws"], s["kl_seed"])
    table = {h: {str(N): {k: _clean(tab[k][ih, iN]) for k in ("m", "m_err", "retained", "retained_err")}
                 for iN, N in enumerate(Ns)} for ih, h in enumerate(hidden)}
    sel = {"visible": s["visible"], "weights": "hebbian", "scale": s["scale"], "bias": s["bias"],
           "init": s["init"]}
    return {
        "hidden": hidden,
        "sizes": Ns,
        "alpha": alphas.tolist(),
        "T": Ts.tolist(),
        "samples": int(d.sizes["seed"]),
        "selection": sel,
        "table": table,
        "alpha_M": points,
        "alpha_M_lowest_T": lowest,
        "theory": {"alpha_M": theory},
        "kl": kl,
        "failed": {},
        "method": {
            "m": "[<|m_1|>]: seed mean of the per-sample run average of |m_1| (replica average); error = "
                 "standard error over seeds",
            "retained": f"fraction of seeds whose end overlap (mean of the last {s['last_bins']} bin(s) of "
                        f"m) exceeds {s['threshold']:g}; error sqrt(max(f(1-f), 1/(4n))/n)",
            "alpha_M": "first alpha where the retained fraction falls from > 1/2 to <= 1/2, linear "
                       f"interpolation between the grid loads; error = std over {s['n_boot']} bootstrap "
                       "replicas of the seeds (replicas without a crossing left out, counted in boot_lost); "
                       "below_grid / above_grid: no crossing inside the grid",
            "theory": "AGS replica-symmetric alpha_M(T) of the Hopfield model: the N -> inf limit for "
                      "Gaussian hidden units at scale 1; finite N retains above it",
            "kl": f"KL(p || p_quad) of the visible marginal, enumerated: Nv = {kl['Nv']}, Nh = {kl['Nh']}, "
                  f"T = {kl['T']:g}, Hebbian W = s xi/sqrt(Nv), zero biases, mean over {kl['draws']} pattern "
                  f"draws (seed {kl['seed']}); slope = log-log slope over the 3 smallest s (quartic "
                  "remainder: 8)",
            "settings": s,
        },
    }


def summary_text(res: Mapping[str, Any]) -> str:
    """A few readable lines of the result."""
    sel = res["selection"]
    lines = [f"RBM retrieval ({sel['visible']} visible, Hebbian x {sel['scale']:g}, bias {sel['bias']:g}, "
             f"{sel['init']!r} starts), hidden {res['hidden']}, sizes {res['sizes']}, {res['samples']} seeds",
             f"alpha = {_g(res['alpha'])}", f"T = {_g(res['T'])}"]
    for h in res["hidden"]:
        lines.append(f"alpha_M(T) for {h} hidden units (AGS Hopfield in brackets):")
        for N in res["sizes"]:
            cells = []
            for p in (p for p in res["alpha_M"] if p["hidden"] == h and p["N"] == N):
                if p["status"] == "crossed":
                    e = "n/a" if p["err"] is None else f"{p['err']:.3f}"
                    cells.append(f"T={p['T']:g}: {p['value']:.3f}±{e}")
                else:
                    cells.append(f"T={p['T']:g}: {'<' if p['status'] == 'below_grid' else '>'}{p['bound']:g}")
            lines.append(f"  N={N}: " + ", ".join(cells))
        lines.append("  AGS: " + ", ".join(f"T={t}: {v:.3f}" for t, v in res["theory"]["alpha_M"].items()))
    i0 = 0
    for h in res["hidden"]:
        ms = ", ".join(f"N={N}: {res['table'][h][str(N)]['m'][i0][0]:.3f}" for N in res["sizes"]
                       if res["table"][h][str(N)]["m"][i0][0] is not None)
        lines.append(f"[m] at alpha={res['alpha'][i0]:g}, T={res['T'][0]:g}, {h} hidden: {ms}")
    kl = res["kl"]
    for kind in kl["kl"]:
        pick = [0, len(kl["scale"]) // 2, len(kl["scale"]) - 1]
        sl = kl["slope"][kind]
        lines.append(f"KL(p||p_quad) {kind} hidden (Nv={kl['Nv']}, Nh={kl['Nh']}, T={kl['T']:g}): "
                     + ", ".join(f"s={kl['scale'][i]:.3g}: {kl['kl'][kind][i]:.3g}" for i in pick)
                     + ("" if sl is None else f"; small-s slope {sl:.2f}"))
    return "\n".join(lines)


def reduction_dataset(res: Mapping[str, Any]) -> xr.Dataset:
    """The result as a small dataset: the tables over (hidden, N, alpha, T), α_M over (hidden, N, T), KL."""

    def arr(key):
        return np.array([[[[np.nan if v is None else v for v in row] for row in res["table"][h][str(N)][key]]
                           for N in res["sizes"]] for h in res["hidden"]], float)

    dims = ("hidden", "N", "alpha", "T")
    ds = xr.Dataset(
        {"m": (dims, arr("m"), {"long_name": "[<|m_1|>], seed mean of the run-averaged Mattis overlap"}),
         "m_err": (dims, arr("m_err")),
         "retained": (dims, arr("retained"), {"long_name": "fraction of seeds retaining pattern 1"}),
         "retained_err": (dims, arr("retained_err"))},
        coords={"hidden": list(res["hidden"]), "N": list(res["sizes"]), "alpha": list(res["alpha"]),
                "T": list(res["T"])})
    aM = np.full((len(res["hidden"]), len(res["sizes"]), len(res["T"])), np.nan)
    aE = aM.copy()
    for p in res["alpha_M"]:
        i = (res["hidden"].index(p["hidden"]), res["sizes"].index(p["N"]), res["T"].index(p["T"]))
        aM[i] = np.nan if p["value"] is None else p["value"]
        aE[i] = np.nan if p["err"] is None else p["err"]
    ds["alpha_M"] = (("hidden", "N", "T"), aM, {"long_name": "retrieval boundary: retained fraction 1/2"})
    ds["alpha_M_err"] = (("hidden", "N", "T"), aE)
    ds["alpha_M_AGS"] = ("T", [res["theory"]["alpha_M"][f"{t:g}"] for t in res["T"]])
    kl = res["kl"]
    ds["kl"] = (("kl_hidden", "kl_scale"), np.array([kl["kl"][k] for k in kl["kl"]]),
                {"long_name": "KL(p || p_quad) of the visible marginal"})
    ds["kl_err"] = (("kl_hidden", "kl_scale"), np.array([kl["kl_err"][k] for k in kl["kl"]]))
    ds = ds.assign_coords(kl_hidden=list(kl["kl"]), kl_scale=kl["scale"])
    ds.attrs["method"] = json.dumps(res["method"])
    return ds
