"""Hopfield phase diagram from a stored sweep: retrieval line, α_c extrapolated in N, spin-glass line.

Pure functions over an xarray Dataset in the catalog layout (dims ``N``, ``alpha``, ``T``, ``seed``,
``init``, ``bin``; variables ``m``, ``m_bins``, ``q2``, ``q2_bins``, ...; see
:mod:`pipeline.store.catalog`). Nothing here reads or writes the catalog.

Conventions: σ_i = ±1, k_B = 1, T = 1/β, α = P/N, J_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ, Mattis overlap
m = |m_1| = |(1/N) Σ_i ξ_i^1 σ_i| (replica average), two-replica overlap q = (1/N) Σ_i σ_i^a σ_i^b. Each
``seed`` is an independent disorder sample (its own patterns) with its own thermal history; every
T and ``init`` of a seed share the patterns.

Retrieval line (:func:`retrieval_line`)
    From ``pattern`` initial states, a sample *retains* the pattern if its overlap at the end of the
    run (mean of the last ``last_bins`` stored bins of ``m``) exceeds ``threshold`` (default 0.5;
    retrieval states have m ≳ 0.95, lost ones m ≲ 0.35 at the sizes used). At fixed (N, T) the
    fraction of retaining samples falls from 1 to 0 across the apparent capacity α_M(N, T), located
    as the midpoint (fraction 1/2) of a logistic fit in α of the retained counts (maximum likelihood,
    with half a pseudo-count per α so that a sharp step still has a finite fit). Errors: bootstrap
    over seeds. ``criterion="mean"`` instead interpolates linearly where the seed average of the
    end overlap crosses ``threshold``.

α_c (:func:`extrapolate_alpha_c`)
    α_M(N, T) is extrapolated to N → ∞ with several finite-size forms (by default
    α_c + a N^(−1/2), α_c + a N^(−1), α_c + a N^(−1/2) + b N^(−1)), each by weighted least squares
    and refitted on every bootstrap replica (statistical error, scaled by √(χ²/dof) when that
    exceeds 1). The reported value is the mean over the forms; its error is the rms statistical
    error ⊕ half the spread between the forms (the finite-size form is a real systematic: apparent
    α_c(N) approaches its limit slowly). The T → 0 end of the retrieval line is then taken as
    α_c(T → 0) = α_c(T_r) + [α_M^RS(0) − α_M^RS(T_r)] (``T0_correction="rs"``, the small RS
    T-dependence, 0.0028 at T_r = 0.1 and 0.0001 at T_r = 0.05; half the correction is added to the
    error), or by a straight line in T through several retrieval temperatures (``"linear"``), or
    not at all (``"none"``).

Spin-glass line (:func:`spin_glass_line`)
    From ``random`` initial states, mean-field FSS gives χ_SG = N[⟨q²⟩] ~ N^(1/3) at T_g, so the
    curves Y_N(T) = N^(2/3) [⟨q²⟩] of different N cross at T_g (larger N above it below T_g, below it
    above T_g). [⟨q²⟩] is the seed average of the per-sample time average ``q2``. Each pair of
    successive sizes gives a crossing (a local quadratic fit of the difference of the two curves
    around its sign change, done on log Y, which is nearly linear in T: log Y_N2 − log Y_N1 goes from
    (2/3) ln(N2/N1) deep in the spin-glass phase to −(1/3) ln(N2/N1) in the paramagnet); errors from a
    bootstrap over seeds (independently per N, the same replicas for all pairs). T_g is the mean of
    the pairs' crossings (``estimate="mean"``, default; with a few thousand spins and ~20 disorder
    samples the crossings scatter by ±0.05 without a resolved drift) or the largest pair's
    (``"largest"``); its error is the bootstrap error of that estimate ⊕ half the distance between
    the largest pair's crossing and the mean (the finite-size drift as a systematic).

:func:`reduce_hopfield` runs all three and returns the JSON-ready summary (:func:`summary_text` and
:func:`reduction_dataset` render it as text and as a small dataset).

Points a sweep did not run (outside its ``[[grid.subset]]`` tables: NaN and not ``done`` for every seed)
are skipped: each boundary uses the loads and temperatures actually run from its initial condition.
A point run for some seeds but not others means an unfinished sweep and is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
import xarray as xr
from pydantic import Field

from pipeline.errors import ReductionError
from pipeline.reduce._common import _g, _wls_line
from pipeline.reduce._settings import (
    Count,
    Fraction,
    Init,
    Loads,
    PositiveFloat,
    Seed,
    Settings,
    Sizes,
    Temperatures,
    TWindow,
)
from pipeline.reduce.crossings import bootstrap_means, crossing_estimate, curve_crossings
from pipeline.reduce.extrapolate import FORMS, extrapolate_forms

__all__ = [
    "FORMS",
    "RetrievalPoint",
    "SGCrossing",
    "end_overlap",
    "retrieval_line",
    "extrapolate_alpha_c",
    "alpha_c_T0",
    "spin_glass_line",
    "reduce_hopfield",
    "summary_text",
    "reduction_dataset",
    "DEFAULTS",
    "HopfieldSettings",
]

#: Share of bootstrap replicas allowed to lose a boundary before it is refused.
MAX_FAILED = 0.2

#: Names of the finite-size forms (:data:`FORMS`) a workflow may ask for.
FormName = Literal[tuple(FORMS)]


class HopfieldSettings(Settings):
    """The ``[reduce]`` keys of the Hopfield phase diagram (recipe ``hopfield_phase_diagram``)."""

    init_retrieval: Init = Field("pattern", description="initial condition of the retrieval runs")
    T_retrieval: Temperatures | None = Field(None, description="retrieval temperature(s) (default: every T < "
                                                               "T_retrieval_max in the sweep)")
    T_retrieval_max: PositiveFloat = Field(0.5, description="retrieval temperatures lie below, spin-glass ones above")
    threshold: Fraction = Field(0.5, description="a sample retains the pattern if its end overlap |m_1| "
                                                       "exceeds this")
    criterion: Literal["fraction", "mean"] = Field(
        "fraction", description="logistic midpoint of the retained fraction, or the seed-mean end overlap")
    last_bins: Annotated[int, Field(strict=True, ge=1)] = Field(1, description="bins averaged for the end overlap")
    check_end_bin: Annotated[int, Field(strict=True, ge=0)] | None = Field(
        None, description="run-length check: also read retention from the last_bins bins ending at this bin "
                          "(0-based, e.g. the bin ending at half the run) and report alpha_M at both lengths")
    forms: Annotated[list[FormName], Field(min_length=1)] = Field(
        ["N^-1/2", "N^-1", "N^-1/2+N^-1"], description="finite-size forms of the N -> inf extrapolation of alpha_M")
    T0_correction: Literal["rs", "linear", "none"] = Field("rs", description="how alpha_c(T -> 0) follows from "
                                                                             "the retrieval temperatures")
    init_sg: Init = Field("random", description="initial condition of the spin-glass runs")
    Tg_alpha: Loads | None = Field(
        None, description="loads of the spin-glass line (default: every alpha run at >= 3 temperatures above "
                          "T_retrieval_max for >= 2 sizes)")
    Tg_T_window: TWindow | None = Field(None, description="[T_lo, T_hi] of the spin-glass crossings (default: "
                                                          "all T > T_retrieval_max)")
    Tg_exponent: PositiveFloat = Field(2.0 / 3.0, description="crossed curves N^exponent [<q^2>]")
    Tg_estimate: Literal["mean", "largest"] = Field("mean", description="T_g from the mean of all pairs' "
                                                                        "crossings or the largest pair's")
    sizes_retrieval: Sizes | None = Field(None, description="sizes of the retrieval line (default: all)")
    sizes_sg: Sizes | None = Field(None, description="sizes of the spin-glass line (default: all)")
    n_boot: Count = Field(400, description="bootstrap replicas over seeds")
    boot_seed: Seed = Field(0, description="seed of the bootstraps")


#: Settings of :func:`reduce_hopfield` (the workflow's ``[reduce]`` table overrides them).
DEFAULTS: dict[str, Any] = HopfieldSettings().model_dump()


# ---------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------


def _need(ds: xr.Dataset, dims: Sequence[str], what: str) -> None:
    missing = [d for d in dims if d not in ds.dims]
    if missing:
        raise ReductionError(f"{what}: the dataset lacks dimension(s) {missing}; expected the catalog layout "
                             f"with dims N, alpha, T, seed, init, bin (has {list(ds.dims)})")


def _pick_init(ds: xr.Dataset, init: str, what: str) -> xr.Dataset:
    if "init" not in ds.dims:
        return ds
    inits = [str(v) for v in ds["init"].values]
    if init not in inits:
        raise ReductionError(f"{what} needs init = {init!r} points; the sweep has init = {inits}")
    return ds.sel(init=init)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(int(seed))


def _done(d: xr.Dataset, dims: Sequence[str]) -> np.ndarray:
    """The ``done`` mask (True where the dataset has none) as an array over ``dims``."""
    ones = xr.DataArray(np.ones([d.sizes[k] for k in dims], dtype=bool), dims=tuple(dims),
                        coords={k: d[k] for k in dims})
    if "done" not in d:
        return ones.values
    return (d["done"].astype(bool) & ones).transpose(*dims).values


def _columns(valid: np.ndarray, where: str, values: np.ndarray, name: str) -> np.ndarray:
    """Which entries along axis 0 of ``valid`` (…, seed) were run: all seeds valid keeps it, none drops it
    (a point outside the sweep's subsets); a partly valid one is refused (an unfinished sweep)."""
    flat = valid.reshape(valid.shape[0], -1)
    n_ok, full = flat.sum(-1), flat.shape[1]
    partial = (n_ok > 0) & (n_ok < full)
    if partial.any():
        bad = values[partial]
        raise ReductionError(f"{where}: {name} = {_g(bad)} have missing points (not done or NaN: "
                             f"{int(full - n_ok[partial][0])} of {full}); finish the sweep first")
    return n_ok == full


def end_overlap(ds: xr.Dataset, last_bins: int = 1, end_bin: int | None = None) -> xr.DataArray:
    """Overlap at the end of each run: mean of the last ``last_bins`` bin means of ``m``.

    With ``end_bin`` (0-based), the ``last_bins`` bins ending at that bin instead: the overlap at an
    earlier time of the same run (the run-length check). Falls back to the run average ``m`` if the
    bins are not stored (not with ``end_bin``). Dims: those of ``m``.
    """
    if "m_bins" in ds:
        b = ds["m_bins"]
        nb = b.sizes["bin"]
        stop = nb if end_bin is None else int(end_bin) + 1
        if not 0 < stop <= nb:
            raise ReductionError(f"check_end_bin = {end_bin}: the sweep stores bins 0 ... {nb - 1}")
        k = int(max(1, min(last_bins, stop)))
        return b.isel(bin=slice(stop - k, stop)).mean("bin")
    if end_bin is not None:
        raise ReductionError(f"check_end_bin = {end_bin}: the sweep stores no bins of 'm' (set [sampler] bins)")
    if "m" in ds:
        return ds["m"]
    raise ReductionError("retrieval line needs the Mattis overlap 'm' (or its bins 'm_bins'); not in the dataset")


# ---------------------------------------------------------------------------------------------------
# retrieval line
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrievalPoint:
    """Apparent retrieval capacity α_M(N, T) of one size and temperature.

    Attributes
    ----------
    N : int
    T : float
    alpha : float
        α where the retained fraction crosses 1/2 (or the mean end overlap crosses the threshold).
    err : float
        Bootstrap standard error (over seeds).
    alphas, fraction, mean_m : numpy.ndarray
        The α grid, the fraction of seeds retaining the pattern and the seed-mean end overlap.
    n_seeds : int
    samples : numpy.ndarray
        α_M in each bootstrap replica (NaN where a replica lost the crossing).
    """

    N: int
    T: float
    alpha: float
    err: float
    alphas: np.ndarray = field(repr=False, compare=False)
    fraction: np.ndarray = field(repr=False, compare=False)
    mean_m: np.ndarray = field(repr=False, compare=False)
    n_seeds: int = 0
    samples: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"N": int(self.N), "T": float(self.T), "alpha": float(self.alpha), "err": float(self.err),
                "n_seeds": int(self.n_seeds), "alphas": [float(a) for a in self.alphas],
                "fraction": [float(f) for f in self.fraction], "mean_m": [float(v) for v in self.mean_m]}


def _logistic_midpoint(x: np.ndarray, k: np.ndarray, n: np.ndarray, iters: int = 40) -> np.ndarray:
    """α where a logistic fit of retained counts k (…, nx) out of n (nx) crosses 1/2.

    Maximum likelihood of p(x) = 1/(1 + exp(−(a + b u))), u = (x − x̄)/s, with counts k + 1/2 of n + 1
    (the pseudo-counts keep the fit finite for a sharp step), by Newton steps vectorised over the
    leading axes. NaN where the fitted slope is not negative (no decrease) or the midpoint is outside
    the grid extended by one spacing.
    """
    x = np.asarray(x, float)
    k = np.asarray(k, float)
    xm, s = x.mean(), max(np.ptp(x), 1e-12) / 2
    u = (x - xm) / s
    kk = k + 0.5
    nn = np.asarray(n, float) + 1.0
    lead = k.shape[:-1]
    a = np.zeros(lead)
    b = np.full(lead, -4.0)
    for _ in range(iters):
        eta = np.clip(a[..., None] + b[..., None] * u, -40, 40)
        p = 1.0 / (1.0 + np.exp(-eta))
        r = kk - nn * p
        w = nn * p * (1 - p)
        ga, gb = r.sum(-1), (r * u).sum(-1)
        haa, hab, hbb = w.sum(-1), (w * u).sum(-1), (w * u * u).sum(-1)
        det = haa * hbb - hab * hab
        det = np.where(det > 0, det, np.nan)
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        step = np.maximum(1.0, np.maximum(np.abs(da), np.abs(db)) / 5.0)  # damped
        a = a + np.nan_to_num(da) / step
        b = b + np.nan_to_num(db) / step
    mid = xm - s * a / b
    h = np.min(np.diff(np.sort(x))) if x.size > 1 else 0.0
    bad = ~(b < 0) | (mid < x.min() - h) | (mid > x.max() + h) | ~np.isfinite(mid)
    return np.where(bad, np.nan, mid)


def _interp_down(x: np.ndarray, y: np.ndarray, thr: float) -> np.ndarray:
    """First downward crossing of ``thr`` by y(x) (…, nx), linear interpolation; NaN if none."""
    above = y > thr
    cross = above[..., :-1] & ~above[..., 1:]
    has = cross.any(-1)
    k = np.argmax(cross, axis=-1)
    y0 = np.take_along_axis(y, k[..., None], -1)[..., 0]
    y1 = np.take_along_axis(y, (k + 1)[..., None], -1)[..., 0]
    x0, x1 = x[k], x[k + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = x0 + (y0 - thr) * (x1 - x0) / (y0 - y1)
    return np.where(has, xc, np.nan)


def retrieval_line(
    ds: xr.Dataset,
    *,
    init: str = "pattern",
    T: float | Sequence[float] | None = None,
    sizes: Sequence[int] | None = None,
    threshold: float = 0.5,
    criterion: str = "fraction",
    last_bins: int = 1,
    end_bin: int | None = None,
    n_boot: int = 400,
    seed: int = 0,
) -> list[RetrievalPoint]:
    """Apparent retrieval capacity α_M(N, T) from ``init`` (default ``pattern``) starts.

    Parameters
    ----------
    ds : xarray.Dataset
        Catalog layout (dims N, alpha, T, seed[, init][, bin]); needs ``m`` or ``m_bins``.
    init : str
        Initial condition whose runs are used (default ``"pattern"``).
    T : float or sequence, optional
        Temperatures to use (default: all of the sweep).
    sizes : sequence of int, optional
        Sizes to use (default: all).
    threshold : float
        A sample retains the pattern if its end overlap exceeds this (default 0.5).
    criterion : {"fraction", "mean"}
        ``"fraction"``: logistic midpoint of the retained fraction; ``"mean"``: where the seed-mean
        end overlap crosses ``threshold`` (linear interpolation).
    last_bins : int
        Bins averaged for the end overlap (default 1: the last bin).
    end_bin : int, optional
        Read the overlap from the ``last_bins`` bins ending at this bin (0-based) instead of at the
        end of the run (see :func:`end_overlap`).
    n_boot, seed : int
        Bootstrap replicas over seeds and the bootstrap's seed.

    Returns
    -------
    list of RetrievalPoint, ordered by T then N.

    Raises
    ------
    ReductionError
        Missing dims or init; fewer than 3 α values; an α grid that does not bracket the retrieval
        loss for some (N, T) (the smallest α must retain in most samples and the largest lose in most);
        a crossing lost in more than 20 % of the bootstrap replicas.
    """
    what = "retrieval line"
    _need(ds, ("N", "alpha", "T", "seed"), what)
    if criterion not in ("fraction", "mean"):
        raise ReductionError(f"{what}: criterion = {criterion!r}: expected 'fraction' or 'mean'")
    if not 0 < threshold < 1:
        raise ReductionError(f"{what}: threshold = {threshold!r}: expected 0 < threshold < 1")
    d = _pick_init(ds, init, what)
    if T is not None:
        Ts = np.atleast_1d(np.asarray(T, float))
        missing = [t for t in Ts if not np.any(np.isclose(d["T"].values, t))]
        if missing:
            raise ReductionError(f"{what}: T = {_g(missing)} not in the sweep (T = {_g(d['T'].values)})")
        d = d.sel(T=Ts, method="nearest")
    if sizes is not None:
        d = d.sel(N=list(sizes))
    alphas = np.asarray(d["alpha"].values, float)
    if alphas.size < 3:
        raise ReductionError(f"{what} needs at least 3 alpha values to locate the retrieval loss; "
                             f"sweep has alpha = {_g(alphas)}")
    score = end_overlap(d, last_bins, end_bin).transpose("N", "T", "alpha", "seed")
    S = score.values  # (nN, nT, na, ns)
    valid_all = np.isfinite(S) & _done(d, ("N", "T", "alpha", "seed"))
    n_seeds = S.shape[-1]
    if n_seeds < 2:
        raise ReductionError(f"{what} needs at least 2 seeds (independent disorder samples); sweep has {n_seeds}")
    rng = _rng(seed)
    out: list[RetrievalPoint] = []
    if not valid_all.any():
        raise ReductionError(f"{what}: no {init!r} runs at T = {_g(d['T'].values)} in the sweep")
    for iT, t in enumerate(d["T"].values):
        for iN, n in enumerate(d["N"].values):
            if not valid_all[iN, iT].any():
                continue  # this size was not run at this T from `init` starts (outside the sweep's subsets)
            keep = _columns(valid_all[iN, iT], f"{what}: N={int(n)}, T={t:g}", alphas, "alpha")
            s = S[iN, iT][keep]  # (na, ns)
            al = alphas[keep]
            if al.size < 3:
                raise ReductionError(f"{what} needs at least 3 alpha values at N={int(n)}, T={t:g} from "
                                     f"{init!r} starts; the sweep ran alpha = {_g(al)}")
            ret = (s > threshold).astype(float)
            frac = ret.mean(-1)
            mm = s.mean(-1)
            y = frac if criterion == "fraction" else mm
            lvl = 0.5 if criterion == "fraction" else threshold
            if not (y[0] > lvl and y[-1] < lvl):
                name = "fraction retaining the pattern" if criterion == "fraction" else "mean end overlap"
                raise ReductionError(
                    f"{what}: the alpha grid {_g(al)} does not bracket the retrieval loss at N={int(n)}, "
                    f"T={t:g}: {name} goes {_g(np.round(y, 3))} (needs > {lvl:g} at the smallest alpha and "
                    f"< {lvl:g} at the largest); extend the alpha grid")
            idx = rng.integers(0, n_seeds, size=(n_boot, n_seeds))
            sb = s[:, idx]  # (na, B, ns)
            if criterion == "fraction":
                a0 = float(_logistic_midpoint(al, ret.sum(-1), np.full(al.size, n_seeds)))
                kb = (sb > threshold).sum(-1).T  # (B, na)
                ab = _logistic_midpoint(al, kb, np.full(al.size, n_seeds))
            else:
                a0 = float(_interp_down(al, mm, threshold))
                ab = _interp_down(al, sb.mean(-1).T, threshold)
            if not np.isfinite(a0):
                raise ReductionError(f"{what}: N={int(n)}, T={t:g}: no retrieval loss located inside alpha = "
                                     f"{_g(al)} (fraction {_g(np.round(frac, 3))})")
            nfail = int(np.isnan(ab).sum())
            if nfail > MAX_FAILED * n_boot:
                raise ReductionError(f"{what}: N={int(n)}, T={t:g}: the retrieval loss near alpha = {a0:.4g} is "
                                     f"lost in {nfail} of {n_boot} bootstrap replicas; more seeds needed")
            err = float(np.nanstd(ab, ddof=1))
            out.append(RetrievalPoint(int(n), float(t), a0, err, al, frac, mm, n_seeds, ab))
    return out


# ---------------------------------------------------------------------------------------------------
# extrapolation in N
# ---------------------------------------------------------------------------------------------------


def extrapolate_alpha_c(
    N,
    alpha,
    err,
    samples=None,
    *,
    forms: Sequence[str] = ("N^-1/2", "N^-1", "N^-1/2+N^-1"),
) -> dict[str, Any]:
    """Extrapolate α_M(N) to N → ∞ with several finite-size forms; error = statistical ⊕ form spread.

    :func:`pipeline.reduce.extrapolate.extrapolate_forms` with α_M's words in its messages.

    Parameters
    ----------
    N, alpha, err : array_like, shape (nN,)
        Sizes (distinct), apparent capacities and their standard errors (> 0).
    samples : array_like, shape (n_boot, nN), optional
        Bootstrap replicas of α_M(N) (NaN allowed); without them the statistical errors are the
        weighted-least-squares ones.
    forms : sequence of str
        Names in :data:`FORMS`. A form is used only if it leaves at least one degree of freedom;
        the others are reported under ``skipped``.

    Returns
    -------
    dict
        ``value``, ``err``, ``err_stat`` (rms of the forms' statistical errors), ``err_sys`` (half the
        range of the forms' values), ``forms`` (per form: value, err, chi2, dof, coef), ``skipped``.

    Raises
    ------
    ReductionError
        Fewer than 2 sizes, non-positive errors, unknown forms, or no form with a degree of freedom.
    """
    return extrapolate_forms(N, alpha, err, samples, forms=forms, what="alpha_c extrapolation", quantity="alpha_M")


def alpha_c_T0(T: Sequence[float], alpha_c: Sequence[float], err: Sequence[float],
               method: str = "rs") -> dict[str, Any]:
    """The T → 0 end of the retrieval line from N-extrapolated α_M(T) at the retrieval temperatures.

    ``"rs"``: α(T_r) + [α_M^RS(0) − α_M^RS(T_r)] at the lowest T_r, with half the correction added
    (in quadrature) to the error; ``"linear"``: weighted straight line in T through all T_r (needs
    2); ``"none"``: the lowest T_r as is.
    """
    T = np.asarray(T, float)
    a = np.asarray(alpha_c, float)
    e = np.asarray(err, float)
    if T.size == 0:
        raise ReductionError("alpha_c(T -> 0): no retrieval temperature")
    i = int(np.argmin(T))
    if method == "none":
        return {"value": float(a[i]), "err": float(e[i]), "method": "none", "T": float(T[i]), "correction": 0.0}
    if method == "rs":
        from pipeline.theory.hopfield_rs import alpha_M

        corr = float(alpha_M(0.0) - alpha_M(float(T[i])))
        return {"value": float(a[i] + corr), "err": float(np.hypot(e[i], 0.5 * corr)), "method": "rs",
                "T": float(T[i]), "correction": corr}
    if method == "linear":
        if T.size < 2:
            raise ReductionError(f"alpha_c(T -> 0) by a line in T needs at least 2 retrieval temperatures; "
                                 f"got T = {_g(T)}")
        c0, slope, _, var_c, _ = _wls_line(T, a, 1.0 / e**2)
        return {"value": float(c0), "err": float(np.sqrt(var_c)), "method": "linear",
                "T": 0.0, "slope": float(slope), "correction": float(c0 - a[i])}
    raise ReductionError(f"alpha_c(T -> 0): T0_correction = {method!r}: expected 'rs', 'linear' or 'none'")


# ---------------------------------------------------------------------------------------------------
# spin-glass line
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SGCrossing:
    """Crossing of N^(2/3)[⟨q²⟩](T) of two successive sizes at one α."""

    alpha: float
    N1: int
    N2: int
    T: float
    err: float
    samples: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"alpha": float(self.alpha), "N1": int(self.N1), "N2": int(self.N2), "T": float(self.T),
                "err": float(self.err)}


def spin_glass_line(
    ds: xr.Dataset,
    *,
    init: str = "random",
    alphas: Sequence[float] | None = None,
    T_window: Sequence[float] | None = None,
    sizes: Sequence[int] | None = None,
    exponent: float = 2.0 / 3.0,
    width: int = 4,
    estimate: str = "mean",
    n_boot: int = 400,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """T_g(α) from crossings of Y_N(T) = N^exponent [⟨q²⟩] (default exponent 2/3).

    Parameters
    ----------
    ds : xarray.Dataset
        Catalog layout; needs ``q2``.
    init : str
        Initial condition used (default ``"random"``).
    alphas : sequence of float, optional
        Loads to analyse (default: all of the sweep).
    T_window : (lo, hi), optional
        Temperatures used (default: all).
    sizes : sequence of int, optional
        Sizes used (default: all; at least 2).
    exponent : float
        Y = N^exponent [⟨q²⟩]; 2/3 from χ_SG ~ N^(1/3) at T_g.
    width : int
        Grid points of the local fit (quadratic from 4 points, else straight line) of
        log Y_N2 − log Y_N1 around its sign change (default 4).
    estimate : {"mean", "largest"}
        T_g as the mean of all pairs' crossings (default) or the largest pair's crossing.
    n_boot, seed : int
        Bootstrap over seeds (independently per N; the same replicas for all pairs).

    Returns
    -------
    list of dict, one per α: ``alpha``, ``value``, ``err`` (= ``err_stat`` ⊕ ``err_sys``: bootstrap
    error of the estimate ⊕ |largest − mean of pairs| / 2), ``crossings`` (per pair), ``theory``
    (1 + √α), ``Y`` (the curves N^exponent [⟨q²⟩] and errors, for plots).

    Raises
    ------
    ReductionError
        Missing ``q2``, init or α; fewer than 2 sizes or 3 temperatures; curves that do not cross in
        the window; a crossing lost in more than 20 % of the bootstrap replicas.
    """
    what = "spin-glass line"
    _need(ds, ("N", "alpha", "T", "seed"), what)
    if "q2" not in ds:
        raise ReductionError(f"{what} needs the two-replica overlap moment 'q2'; not in the dataset")
    if estimate not in ("mean", "largest"):
        raise ReductionError(f"{what}: estimate = {estimate!r}: expected 'mean' (of all pairs) or 'largest' (pair)")
    d = _pick_init(ds, init, what)
    if sizes is not None:
        d = d.sel(N=list(sizes))
    if T_window is not None:
        lo, hi = (float(v) for v in T_window)
        d = d.sel(T=(d["T"] >= lo) & (d["T"] <= hi))
    Ns = np.asarray(d["N"].values, int)
    Ts = np.asarray(d["T"].values, float)
    if Ns.size < 2:
        raise ReductionError(f"{what} needs at least 2 sizes for crossings; got N = {_g(Ns)}")
    if Ts.size < 3:
        raise ReductionError(f"{what} needs at least 3 temperatures in the window; got T = {_g(Ts)}")
    all_a = np.asarray(d["alpha"].values, float)
    valid_all = np.isfinite(d["q2"].transpose("alpha", "T", "N", "seed").values) & _done(
        d, ("alpha", "T", "N", "seed"))
    if alphas is None:  # every load run from `init` starts at >= 3 temperatures of the window
        n_full = valid_all.all(-1)  # (alpha, T, N): all seeds run
        alphas = all_a[(n_full.sum(1) >= 3).sum(-1) >= 2]
        if alphas.size == 0:
            raise ReductionError(f"{what}: no load alpha has {init!r} runs at 3 or more temperatures in "
                                 f"T = [{Ts[0]:g}, {Ts[-1]:g}]")
    out = []
    rng = _rng(seed)
    for a in np.atleast_1d(np.asarray(alphas, float)):
        if not np.any(np.isclose(all_a, a)):
            raise ReductionError(f"{what}: alpha = {a:g} is not in the sweep (alpha = {_g(all_a)})")
        ia = int(np.argmin(np.abs(all_a - a)))
        va = valid_all[ia]  # (T, N, seed)
        keepN = va.any(axis=(0, 2))  # sizes run at this load from `init` starts
        if keepN.sum() < 2:
            raise ReductionError(f"{what} needs at least 2 sizes with {init!r} runs at alpha = {a:g}; the sweep "
                                 f"ran N = {_g(Ns[keepN])}")
        Nk = Ns[keepN]
        keepT = _columns(va[:, keepN], f"{what}: alpha = {a:g}", Ts, "T")
        Tk = Ts[keepT]
        if Tk.size < 3:
            raise ReductionError(f"{what} needs at least 3 temperatures with {init!r} runs at alpha = {a:g}; "
                                 f"the sweep ran T = {_g(Tk)} in the window")
        q2 = d["q2"].isel(alpha=ia).transpose("N", "T", "seed").values[keepN][:, keepT]  # (nN, nT, ns)
        ns = q2.shape[-1]
        if ns < 2:
            raise ReductionError(f"{what} needs at least 2 seeds (disorder samples) for its errors; got {ns}")
        scale = Nk.astype(float)[:, None] ** exponent
        Y = scale * q2.mean(-1)  # (nN, nT)
        Yerr = scale * q2.std(-1, ddof=1) / np.sqrt(ns)
        if np.any(Y <= 0):
            raise ReductionError(f"{what}: alpha = {a:g}: [q2] is not positive everywhere; cannot take logs")
        # bootstrap: resample seeds independently per size (the same replicas serve all pairs)
        Yb = scale[:, :, None] * bootstrap_means(q2, n_boot, rng)  # (nN, B, nT)
        lY, lYb = np.log(Y), np.log(np.maximum(Yb, 1e-300))
        lvar = (Yerr / Y) ** 2
        found = curve_crossings(Nk, Tk, lY, lvar, lYb, width=width, direction="down", max_failed=MAX_FAILED,
                                what=f"{what}: alpha = {a:g}", curve=f"N^{exponent:.3g}[q2]",
                                diff_name="log difference", target="T_g",
                                hint="more seeds or a wider T grid needed")
        cross = [SGCrossing(float(a), c.N1, c.N2, c.T, c.err, c.samples) for c in found]
        est = crossing_estimate(cross, estimate)
        out.append({
            "alpha": float(a), "value": est["value"], "err": est["err"],
            "err_stat": est["err_stat"], "err_sys": est["err_sys"], "estimate": estimate,
            "theory": float(1 + np.sqrt(a)),
            "crossings": [c.as_dict() for c in cross],
            "Y": {"N": Nk.tolist(), "T": Tk.tolist(), "value": Y.tolist(), "err": Yerr.tolist()},
        })
    return out


# ---------------------------------------------------------------------------------------------------
# everything
# ---------------------------------------------------------------------------------------------------


def _settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    s = dict(DEFAULTS)
    unknown = [k for k in (settings or {}) if k not in DEFAULTS]
    if unknown:
        raise ReductionError(f"hopfield reduction: unknown setting(s) {unknown}; allowed: {list(DEFAULTS)}")
    s.update(settings or {})
    return s


def _extrapolate_T_M(pts: Sequence[RetrievalPoint], Tr: np.ndarray, forms: tuple[str, ...]) -> list[dict[str, Any]]:
    """α_M(T) at N → ∞ per retrieval temperature from the points α_M(N, T) of :func:`retrieval_line`."""
    from pipeline.theory.hopfield_rs import alpha_M

    out = []
    for t in Tr:
        pt = [p for p in pts if np.isclose(p.T, t)]
        N = np.array([p.N for p in pt], float)
        a = np.array([p.alpha for p in pt])
        e = np.array([max(p.err, 1e-6) for p in pt])
        B = min(p.samples.size for p in pt)
        samples = np.column_stack([p.samples[:B] for p in pt])
        ex = extrapolate_alpha_c(N, a, e, samples, forms=forms)
        out.append({"T": float(t), "alpha": ex["value"], "err": ex["err"], "err_stat": ex["err_stat"],
                    "err_sys": ex["err_sys"], "forms": ex["forms"], "skipped": ex["skipped"],
                    "theory": float(alpha_M(float(t)))})
    return out


def _run_length(ds: xr.Dataset, full: Sequence[RetrievalPoint], early: Sequence[RetrievalPoint],
                T_M_early: list[dict[str, Any]], end_bin: int, last_bins: int) -> dict[str, Any]:
    """The run-length check: α_M(N, T) read at an earlier time of the same runs against the run's end.

    Both use the same bootstrap replicas (the same seeds drawn), so the error of the difference is the
    spread of the paired differences, which is smaller than the two errors in quadrature.
    """
    import json

    nb = int(ds.sizes.get("bin", 0))
    sampler = json.loads(ds.attrs.get("spec", "{}")).get("sampler", {})
    times = {}
    if {"thermalize", "sweeps"} <= sampler.keys() and nb:
        per_bin = sampler["sweeps"] / nb
        times = {"t_early": sampler["thermalize"] + (end_bin + 1) * per_bin,
                 "t_end": sampler["thermalize"] + sampler["sweeps"], "window": last_bins * per_bin}
    points = []
    for a, b in zip(full, early, strict=True):
        d = a.samples - b.samples
        points.append({"N": a.N, "T": a.T, "alpha": a.alpha, "alpha_early": b.alpha, "diff": a.alpha - b.alpha,
                       "err": float(np.nanstd(d, ddof=1)), "err_alpha": a.err, "err_early": b.err})
    return {"end_bin": end_bin, "last_bins": last_bins, **times, "per_size": points,
            "T_M_early": [{k: t[k] for k in ("T", "alpha", "err", "theory")} for t in T_M_early]}


def reduce_hopfield(ds: xr.Dataset, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Phase diagram of a Hopfield sweep: α_c(T → 0), T_M points, T_g(α); JSON-ready.

    ``settings`` (the workflow's ``[reduce]`` table) override :data:`DEFAULTS`:

    - ``T_retrieval`` (float or list; default all T < ``T_retrieval_max`` = 0.5): retrieval temperatures;
      ``init_retrieval`` ("pattern"), ``threshold`` (0.5), ``criterion`` ("fraction"), ``last_bins`` (1);
    - ``forms``: finite-size forms for α_M(N) (see :data:`FORMS`); ``T0_correction`` ("rs", "linear", "none");
    - ``init_sg`` ("random"), ``Tg_alpha`` (default every α), ``Tg_T_window`` (default T > T_retrieval_max),
      ``Tg_exponent`` (2/3), ``Tg_estimate`` ("mean" or "largest");
    - ``check_end_bin`` (None): also read retention at the bins ending there (the run-length check,
      reported under ``run_length``: α_M(N, T) at both times, their paired difference, α_M(T) at N → ∞);
    - ``sizes_retrieval``, ``sizes_sg``: sizes used by each boundary (default all);
    - ``n_boot`` (400), ``boot_seed`` (0).

    Returns
    -------
    dict with ``alpha_c`` {value, err, ...}, ``T_M`` [{T, alpha, err, ...}], ``T_g`` [{alpha, value, err,
    ...}], ``sizes``; for figures ``per_size`` ({"T_M": [{N, T, alpha, err}], "T_g": [{N, N1, N2, alpha,
    value, err}]}), ``retrieval_curves`` ([{T, N, alpha, y, err}], y the retained fraction) and
    ``q_curves`` ([{alpha, N, T, y, err}], y = N^(2/3)[⟨q²⟩]); ``theory`` (RS values) and ``method``
    (a dict of descriptions, one per step).
    """
    s = _settings(settings)
    _need(ds, ("N", "alpha", "T", "seed"), "hopfield reduction")
    from pipeline.theory.hopfield_rs import alpha_M

    Tall = np.asarray(ds["T"].values, float)
    Tmax = float(s["T_retrieval_max"])
    Tr = s["T_retrieval"]
    Tr = Tall[Tall < Tmax] if Tr is None else np.atleast_1d(np.asarray(Tr, float))
    if Tr.size == 0:
        raise ReductionError(f"hopfield reduction: no retrieval temperature (T < {Tmax:g}) in the sweep "
                             f"(T = {_g(Tall)}); add one, e.g. T = 0.1")
    nb, bs = int(s["n_boot"]), int(s["boot_seed"])
    line = {"init": s["init_retrieval"], "T": Tr, "sizes": s["sizes_retrieval"], "threshold": float(s["threshold"]),
            "criterion": s["criterion"], "last_bins": int(s["last_bins"]), "n_boot": nb, "seed": bs}
    forms = tuple(s["forms"])
    pts = retrieval_line(ds, **line)
    T_M = _extrapolate_T_M(pts, Tr, forms)
    run_length = None
    if s["check_end_bin"] is not None:
        try:
            early = retrieval_line(ds, **line, end_bin=int(s["check_end_bin"]))
            run_length = _run_length(ds, pts, early, _extrapolate_T_M(early, Tr, forms),
                                     int(s["check_end_bin"]), int(s["last_bins"]))
        except ReductionError as e:  # the check cannot be made (e.g. the early grid does not bracket): say so
            run_length = {"end_bin": int(s["check_end_bin"]), "error": str(e)}
    ac = alpha_c_T0([t["T"] for t in T_M], [t["alpha"] for t in T_M], [t["err"] for t in T_M],
                    method=s["T0_correction"])
    Tg_win = s["Tg_T_window"]
    if Tg_win is None:
        hi = Tall[Tall > Tmax]
        if hi.size < 3:
            raise ReductionError(f"hopfield reduction: spin-glass line needs at least 3 temperatures above "
                                 f"{Tmax:g}; sweep has T = {_g(Tall)}")
        Tg_win = (float(hi.min()), float(hi.max()))
    Tg = spin_glass_line(ds, init=s["init_sg"], alphas=s["Tg_alpha"], T_window=Tg_win, sizes=s["sizes_sg"],
                         exponent=float(s["Tg_exponent"]), estimate=s["Tg_estimate"], n_boot=nb, seed=bs)
    obs = (f"fraction of samples with |m_1| > {float(s['threshold']):g} at the end"
           if s["criterion"] == "fraction" else f"seed-mean end overlap |m_1| (threshold {float(s['threshold']):g})")
    method = {
        "retrieval": (
            f"alpha_M(N,T): logistic midpoint in alpha of the fraction of {s['init_retrieval']!r} starts whose Mattis "
            f"overlap (mean of the last {s['last_bins']} bin(s)) stays > {float(s['threshold']):g}"
            if s["criterion"] == "fraction" else
            f"alpha_M(N,T): alpha where the seed-mean end overlap from {s['init_retrieval']!r} starts falls below "
            f"{float(s['threshold']):g} (linear interpolation)") + f"; bootstrap over seeds ({nb} replicas)",
        "alpha_c": (f"N -> inf: mean of the forms {list(s['forms'])} (weighted least squares; forms without a degree "
                    "of freedom skipped); error = rms bootstrap error (x sqrt(chi2/dof) if > 1) + half the spread "
                    "of the forms, in quadrature"),
        "T0": ({"rs": f"alpha_c(T={ac['T']:g}) + alpha_M^RS(0) - alpha_M^RS({ac['T']:g}) = {ac['correction']:+.4f} "
                      "(replica-symmetric T-dependence); half of it added to the error in quadrature",
                "linear": "straight line in T through the retrieval temperatures, evaluated at T = 0",
                "none": f"the lowest retrieval temperature T = {ac['T']:g}, uncorrected"}[ac["method"]]),
        "T_g": (f"crossings of N^{float(s['Tg_exponent']):.3g}[<q^2>](T) (log, local quadratic) of successive sizes "
                f"from {s['init_sg']!r} starts; T_g = "
                + ("mean of all pairs" if s["Tg_estimate"] == "mean" else "largest pair")
                + "; error = bootstrap over seeds + half |largest pair - mean of pairs|, in quadrature"),
        "retrieval_observable": obs,
        "T_c_line": ("AGS replica-symmetric theory (equal free energies of the retrieval and spin-glass "
                     "branches) in this sweep; measured by workflows/hopfield_tc.toml (recipe hopfield_tc: "
                     "thermodynamic integration on restricted branches), which the figure draws when the catalog "
                     "holds it"),
    }
    retrieval_curves = []
    for p in pts:
        f = np.asarray(p.fraction) if s["criterion"] == "fraction" else np.asarray(p.mean_m)
        err = np.sqrt(np.maximum(f * (1 - f), 0.25 / p.n_seeds) / p.n_seeds) if s["criterion"] == "fraction" \
            else np.full(f.size, np.nan)
        retrieval_curves.append({"T": p.T, "N": p.N, "alpha": [float(a) for a in p.alphas],
                                 "y": [float(v) for v in f], "err": [float(v) for v in err]})
    q_curves = [{"alpha": g["alpha"], "N": int(n), "T": g["Y"]["T"], "y": g["Y"]["value"][i], "err": g["Y"]["err"][i]}
                for g in Tg for i, n in enumerate(g["Y"]["N"])]
    per_size = {
        "T_M": [{"N": p.N, "T": p.T, "alpha": p.alpha, "err": p.err} for p in pts],
        "T_g": [{"N": c["N2"], "N1": c["N1"], "N2": c["N2"], "alpha": c["alpha"], "value": c["T"], "err": c["err"]}
                for g in Tg for c in g["crossings"]],
    }
    return {
        "alpha_c": {"value": ac["value"], "err": ac["err"], "T": ac["T"], "method": ac["method"],
                    "correction": ac["correction"], "theory": float(alpha_M(0.0))},
        "T_M": T_M,
        "T_g": [{k: v for k, v in g.items() if k != "Y"} for g in Tg],
        "sizes": [int(n) for n in np.asarray(ds["N"].values)],
        "per_size": per_size,
        "retrieval_curves": retrieval_curves,
        "q_curves": q_curves,
        **({"run_length": run_length} if run_length is not None else {}),
        "theory": {"alpha_c_T0": float(alpha_M(0.0)), "T_g": {f"{g['alpha']:g}": g["theory"] for g in Tg},
                   "alpha_M": {f"{t:g}": float(alpha_M(float(t))) for t in Tr}},
        "method": method,
    }


def summary_text(res: Mapping[str, Any]) -> str:
    """The result of :func:`reduce_hopfield` as a readable table."""
    a = res["alpha_c"]
    lines = [f"Hopfield phase diagram, sizes N = {res['sizes']}",
             f"{'quantity':28s} {'estimate':>20s}   RS theory (AGS)",
             f"{'alpha_c (T -> 0)':28s} {a['value']:>11.4f} ± {a['err']:.4f}   {a['theory']:.4f}"]
    for t in res["T_M"]:
        lines.append(f"{'alpha_M (T = ' + format(t['T'], 'g') + ')':28s} {t['alpha']:>11.4f} ± {t['err']:.4f}   "
                     f"{t['theory']:.4f}")
    for g in res["T_g"]:
        lines.append(f"{'T_g (alpha = ' + format(g['alpha'], 'g') + ')':28s} {g['value']:>11.4f} ± {g['err']:.4f}   "
                     f"{g['theory']:.4f}")
    lines.append("alpha_M(N): " + ", ".join(f"N={p['N']} T={p['T']:g}: {p['alpha']:.4f}({p['err']:.4f})"
                                           for p in res["per_size"]["T_M"]))
    lines.append("T_g crossings: " + ", ".join(f"a={c['alpha']:g} {c['N1']}/{c['N2']}: {c['value']:.3f}({c['err']:.3f})"
                                              for c in res["per_size"]["T_g"]))
    rl = res.get("run_length")
    if rl is not None and "error" in rl:
        lines.append(f"run-length check: {rl['error']}")
    elif rl is not None:
        when = f"t = {rl['t_early']:g} vs {rl['t_end']:g} sweeps" if "t_early" in rl else f"bin {rl['end_bin']}"
        lines.append(f"run-length check ({when}): alpha_M(N, T) end - early: " + ", ".join(
            f"N={p['N']} T={p['T']:g}: {p['diff']:+.4f}({p['err']:.4f})" for p in rl["per_size"]))
        lines.append("  alpha_M(T) at N -> inf, early: " + ", ".join(
            f"T={t['T']:g}: {t['alpha']:.4f}({t['err']:.4f})" for t in rl["T_M_early"]))
    lines += [f"{k}: {v}" for k, v in res["method"].items()]
    return "\n".join(lines)


def reduction_dataset(res: Mapping[str, Any]) -> xr.Dataset:
    """The result as a small dataset: α_M(N, T) along ``point``, T_g crossings along ``pair``, estimates."""
    import json

    pm = res["per_size"]["T_M"]
    pc = res["per_size"]["T_g"]
    data = {
        "alpha_M_N": ("point", [p["alpha"] for p in pm], {"long_name": "apparent retrieval capacity alpha_M(N, T)"}),
        "alpha_M_N_err": ("point", [p["err"] for p in pm]),
        "crossing_T": ("pair", [c["value"] for c in pc], {"long_name": "crossing of N^(2/3)[<q^2>](T)"}),
        "crossing_T_err": ("pair", [c["err"] for c in pc]),
        "alpha_c": ((), res["alpha_c"]["value"], {"long_name": "retrieval capacity at T -> 0, N -> inf"}),
        "alpha_c_err": ((), res["alpha_c"]["err"]),
        "T_M_alpha": ("T_retrieval", [t["alpha"] for t in res["T_M"]]),
        "T_M_alpha_err": ("T_retrieval", [t["err"] for t in res["T_M"]]),
        "T_g": ("alpha_sg", [g["value"] for g in res["T_g"]], {"long_name": "spin-glass temperature", "units": "J/k_B"}),
        "T_g_err": ("alpha_sg", [g["err"] for g in res["T_g"]]),
    }
    coords = {"point_N": ("point", [p["N"] for p in pm]), "point_T": ("point", [p["T"] for p in pm]),
              "pair_alpha": ("pair", [c["alpha"] for c in pc]), "N1": ("pair", [c["N1"] for c in pc]),
              "N2": ("pair", [c["N2"] for c in pc]), "T_retrieval": [t["T"] for t in res["T_M"]],
              "alpha_sg": [g["alpha"] for g in res["T_g"]]}
    out = xr.Dataset(data, coords=coords)
    out.attrs["method"] = json.dumps(res["method"])
    out.attrs["sizes"] = json.dumps(res["sizes"])
    return out
