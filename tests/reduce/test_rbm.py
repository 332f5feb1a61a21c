"""The RBM retrieval reduction: planted boundaries, selection and settings, the KL part, a tiny real sweep."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest
import xarray as xr

from pipeline.errors import ReductionError
from pipeline.reduce import RECIPES, check_settings, parse_settings, reduce_sweep
from pipeline.reduce.rbm import (
    DEFAULTS,
    KL_SCALES,
    overlap_table,
    quadratic_kl,
    reduce_rbm,
    retrieval_boundary,
)

from ._fake_catalog import FakeCatalog

DIMS = ("N", "alpha", "scale", "bias", "T", "seed", "visible", "hidden", "weights", "init")
ALPHA = np.round(np.arange(1, 11) * 0.02, 6)  # 0.02 ... 0.20
T = np.array([0.05, 0.3, 0.6])
KL_FAST = {"kl_Nv": 6, "kl_Nh": 2, "kl_draws": 2, "kl_scales": [0.1, 0.2, 0.4, 1.0]}


def _capacities(n_seeds: int = 16) -> np.ndarray:
    """Per-seed loads below which a seed retains: a quarter at 0.09, half at 0.11, a quarter at 0.13, so the
    retained fraction on ALPHA is 1, 1, 1, 1, 0.75 (0.10), 0.25 (0.12), 0, ... and crosses 1/2 at 0.11."""
    q = n_seeds // 4
    return np.r_[np.full(q, 0.09), np.full(n_seeds - 2 * q, 0.11), np.full(q, 0.13)]


def synth(N=(64, 128), seeds: int = 16, scales=(1.0,), bins: int = 4) -> xr.Dataset:
    """A catalog-layout RBM sweep with planted retention (``m``, ``m_bins``, ``done``).

    Gaussian hidden units: at T = 0.05 the capacities of :func:`_capacities` (α_M = 0.11); at T = 0.3 every
    seed retains below α = 0.05 (the fraction falls from 1 at 0.04 to 0 at 0.06: α_M = 0.05); at T = 0.6 no
    seed retains (below the grid). ±1 hidden units never retain (end overlap and run average 0.3). Retained
    runs have end overlap 0.95 and run average 0.9, lost ones 0.2 and 0.2; the bins before the last are
    0.99 (still near the pattern: only the last bin decides).
    """
    shape = (len(N), ALPHA.size, len(scales), 1, T.size, seeds, 1, 2, 1, 1)
    end = np.full(shape, 0.3)
    run = np.full(shape, 0.3)
    caps = {0: _capacities(seeds), 1: np.full(seeds, 0.05), 2: np.full(seeds, 0.0)}
    for iT, cap in caps.items():
        keep = ALPHA[:, None] < cap[None, :]  # (alpha, seed)
        sl = (slice(None), slice(None), slice(None), 0, iT, slice(None), 0, 1, 0, 0)  # hidden = "gaussian"
        end[sl] = np.where(keep, 0.95, 0.2)[None, :, None, :]
        run[sl] = np.where(keep, 0.9, 0.2)[None, :, None, :]
    bins_ = np.repeat(end[..., None], bins, axis=-1)
    bins_[..., :-1] = 0.99
    coords = {"N": list(N), "alpha": ALPHA, "scale": list(scales), "bias": [0.0], "T": T,
              "seed": np.arange(seeds), "visible": ["spin"], "hidden": ["spin", "gaussian"], "weights": ["hebbian"],
              "init": ["pattern"],
              "bin": np.arange(bins)}
    data = {"m": (DIMS, run), "m_bins": ((*DIMS, "bin"), bins_), "done": (DIMS, np.ones(shape, bool))}
    return xr.Dataset(data, coords=coords)


@pytest.fixture(scope="module")
def ds():
    return synth()


@pytest.fixture(scope="module")
def res(ds):
    return reduce_rbm(ds, {"n_boot": 200, **KL_FAST})


# ------------------------------------------------------------------------------------------- boundaries


def _point(res, hidden, N, T):
    (p,) = [p for p in res["alpha_M"] if p["hidden"] == hidden and p["N"] == N and p["T"] == T]
    return p


def test_planted_boundaries_and_statuses(res):
    """The first crossing of 1/2 is interpolated between the grid loads; no crossing is reported with its
    bound and status, not as a number."""
    assert res["hidden"] == ["gaussian", "spin"] and res["sizes"] == [64, 128] and res["samples"] == 16
    for N in (64, 128):
        p = _point(res, "gaussian", N, 0.05)
        assert p["status"] == "crossed" and p["value"] == pytest.approx(0.11, abs=1e-12)
        assert p["fraction"][3:7] == [1.0, 0.75, 0.25, 0.0]
        assert 0 < p["err"] < 0.01 and p["boot_lost"] == 0
        assert p["theory"] == pytest.approx(0.1378, abs=1e-3)
        p = _point(res, "gaussian", N, 0.3)
        assert p["status"] == "crossed" and p["value"] == pytest.approx(0.05)
        assert p["err"] == pytest.approx(0.0)  # every replica has the same step
        p = _point(res, "gaussian", N, 0.6)
        assert (p["status"], p["value"], p["err"], p["bound"]) == ("below_grid", None, None, 0.02)
        for t in T:
            assert _point(res, "spin", N, float(t))["status"] == "below_grid"
    assert res["alpha_M_lowest_T"]["gaussian"] == {"64": pytest.approx(0.11), "128": pytest.approx(0.11)}
    assert res["alpha_M_lowest_T"]["spin"] == {"64": None, "128": None}


def test_above_grid_and_first_crossing():
    rng = np.random.default_rng(0)
    a = np.array([0.1, 0.2, 0.3])
    up = retrieval_boundary(a, np.full((3, 8), 0.9), 0.5, 50, rng)
    assert (up["status"], up["value"], up["bound"]) == ("above_grid", None, 0.3)
    # a dip below 1/2 and back: the first crossing counts
    end = np.array([[0.9] * 4, [0.9, 0.2, 0.2, 0.2], [0.9] * 4])
    b = retrieval_boundary(a, end, 0.5, 50, rng)
    assert b["status"] == "crossed" and b["value"] == pytest.approx(0.1 + 0.5 / 0.75 * 0.1)


def test_table_means_errors_and_fractions(res):
    tab = res["table"]["gaussian"]["64"]
    m, f = np.array(tab["m"]), np.array(tab["retained"])
    assert m.shape == (ALPHA.size, T.size)
    assert f[:4, 0].tolist() == [1.0] * 4 and f[4, 0] == 0.75 and f[5, 0] == 0.25
    # m at alpha = 0.10, T = 0.05: 12 seeds at 0.9, 4 at 0.2
    x = np.r_[np.full(12, 0.9), np.full(4, 0.2)]
    assert m[4, 0] == pytest.approx(x.mean()) and tab["m_err"][4][0] == pytest.approx(x.std(ddof=1) / 4)
    assert tab["retained_err"][4][0] == pytest.approx(np.sqrt(0.75 * 0.25 / 16))
    assert tab["retained_err"][0][0] == pytest.approx(np.sqrt(0.25 / 16) / 4)  # floor at f = 1
    assert np.all(np.array(res["table"]["spin"]["64"]["retained"]) == 0)


def test_last_bins_average_the_end_window(ds):
    """With every bin averaged the early, still-retained bins (0.99) lift every lost seed above 0.5."""
    r = reduce_rbm(ds, {"n_boot": 20, "last_bins": 4, **KL_FAST})
    assert np.all(np.array(r["table"]["spin"]["64"]["retained"]) == 1.0)


def test_points_outside_the_subsets_are_skipped_and_partial_ones_refused():
    d = synth()
    sl = {"N": 1, "T": 1}
    d["m"][sl] = np.nan
    d["m_bins"][sl] = np.nan
    d["done"][sl] = False
    r = reduce_rbm(d, {"n_boot": 20, **KL_FAST})
    assert not [p for p in r["alpha_M"] if p["N"] == 128 and p["T"] == 0.3]
    assert all(v[1] is None for v in r["table"]["gaussian"]["128"]["m"])
    json.dumps(r, allow_nan=False)
    d["done"].values[0, 0, 0, 0, 0, 3, 0, 0, 0, 0] = False  # one seed of one point not done
    with pytest.raises(ReductionError, match="some seeds missing"):
        reduce_rbm(d, {"n_boot": 20, **KL_FAST})


def test_overlap_table_alone():
    m = np.array([[0.9, 0.7, np.nan], [np.nan] * 3])
    with pytest.raises(ReductionError, match="some seeds missing"):
        overlap_table(m, m, 0.5)
    t = overlap_table(m[[1]], m[[1]], 0.5)
    assert t["n"].tolist() == [0] and np.isnan(t["m"]).all()


# ------------------------------------------------------------------------------------ selection, settings


def test_selection_picks_the_settings_values_and_refuses_missing_ones():
    d = synth(scales=(0.5, 1.0))
    d["m"].loc[{"scale": 0.5}] = 0.01  # only scale 1 carries the planted data
    r = reduce_rbm(d, {"n_boot": 20, **KL_FAST})
    assert _point(r, "gaussian", 64, 0.05)["value"] == pytest.approx(0.11)
    r = reduce_rbm(d, {"n_boot": 20, "scale": 0.5, "hidden": ["spin"], **KL_FAST})
    assert r["hidden"] == ["spin"] and r["selection"]["scale"] == 0.5
    assert r["table"]["spin"]["64"]["m"][0][0] == pytest.approx(0.01)
    with pytest.raises(ReductionError, match=r"scale = 2 not in the sweep \(scale = \[0.5, 1\]\)"):
        reduce_rbm(d, {"scale": 2.0, **KL_FAST})
    with pytest.raises(ReductionError, match=r"hidden = \['binary'\] not in the sweep"):
        reduce_rbm(d, {"hidden": ["binary"], **KL_FAST})
    with pytest.raises(ReductionError, match=r"init = 'random' not in the sweep"):
        reduce_rbm(d, {"init": "random", **KL_FAST})
    with pytest.raises(ReductionError, match=r"sizes \[256\] not in the sweep"):
        reduce_rbm(d, {"sizes": [256], **KL_FAST})
    with pytest.raises(ReductionError, match="needs the Mattis overlap 'm'"):
        reduce_rbm(d.drop_vars("m"), KL_FAST)


def test_defaults_and_settings_messages():
    assert RECIPES["rbm_retrieval"].settings().model_dump() == DEFAULTS == {
        "init": "pattern", "visible": "spin", "scale": 1.0, "bias": 0.0, "hidden": None, "sizes": None,
        "threshold": 0.5, "last_bins": 1, "n_boot": 400, "boot_seed": 0, "kl_Nv": 12, "kl_Nh": 6, "kl_T": 1.0,
        "kl_scales": KL_SCALES, "kl_draws": 10, "kl_seed": 0}
    assert len(KL_SCALES) == 15 and KL_SCALES[0] == 0.1 and KL_SCALES[-1] == pytest.approx(10**0.7, rel=1e-6)
    names = ["rbm_retrieval"]
    assert check_settings(names, {"threshold": 0.5, "hidden": ["gaussian", "spin"], "kl_Nv": 10}) == []
    assert check_settings(names, {"threshold": 1.5}) == ["[reduce] threshold = 1.5: expected a value < 1"]
    assert check_settings(names, {"kl_Nv": 20}) == ["[reduce] kl_Nv = 20: expected a value <= 16"]
    (msg,) = check_settings(names, {"hidden": ["potts"]})
    assert msg.startswith("[reduce] hidden = ['potts']: item 1 = 'potts': expected 'spin', 'binary' or")
    (msg,) = check_settings(names, {"treshold": 0.5})
    assert msg.startswith("[reduce] treshold = 0.5: unknown key; allowed: ") and "threshold" in msg
    assert check_settings(names, {"kl_scales": [0.1, 0.2]}) == [
        "[reduce] kl_scales = [0.1, 0.2]: expected a list of at least 3 value(s)"]
    assert check_settings(names, {"n_boot": 5}) == ["[reduce] n_boot = 5: expected a value >= 10"]
    assert parse_settings("rbm_retrieval", {"last_bins": 2}).last_bins == 2


# ------------------------------------------------------------------------------------------------- KL


def test_quadratic_kl_is_the_mean_of_marginal_kl_and_quartic_at_small_scale():
    """KL ~ s^8 at small s (the remainder ln cosh y - y^2/2 ~ -y^4/12 with zero biases), for both kinds;
    the mean over draws is that of marginal_kl on the same patterns; {0, 1} units (y = βa/2) lie below."""
    from pipeline.theory.rbm_exact import marginal_kl

    s = [0.05, 0.07, 0.1, 0.5, 2.0]
    kl = quadratic_kl(Nv=8, Nh=3, scales=s, T=1.0, draws=3, seed=4)
    for kind in ("spin", "binary"):
        assert kl["slope"][kind] == pytest.approx(8.0, abs=0.1)
        assert np.all(np.diff(kl["kl"][kind]) > 0) and np.all(np.array(kl["kl_err"][kind]) >= 0)
    assert np.all(np.array(kl["kl"]["binary"]) < np.array(kl["kl"]["spin"]))
    gen = np.random.default_rng(4)
    xi = [(2 * gen.integers(0, 2, size=(8, 3)) - 1).astype(float) for _ in range(3)]
    want = np.mean([marginal_kl(0.5 * x / np.sqrt(8), None, None, 1.0, "spin") for x in xi])
    assert kl["kl"]["spin"][3] == pytest.approx(want, rel=1e-12)
    g = quadratic_kl(Nv=6, Nh=2, scales=[0.1, 0.2, 0.3], draws=1, kinds=("gaussian",))
    assert g["kl"]["gaussian"] == [0.0, 0.0, 0.0] and g["slope"]["gaussian"] is None
    assert g["kl_err"]["gaussian"] == [0.0, 0.0, 0.0]
    with pytest.raises(ReductionError, match="kl_scales"):
        quadratic_kl(scales=[0.3, 0.2, 0.1])


def test_default_kl_part_is_cheap_and_reported(res):
    import time

    t = time.perf_counter()
    kl = quadratic_kl()
    assert time.perf_counter() - t < 10
    assert kl["Nv"] == 12 and kl["Nh"] == 6 and len(kl["scale"]) == 15
    for kind in ("spin", "binary"):
        assert kl["slope"][kind] == pytest.approx(8.0, abs=0.1)
    assert res["kl"]["Nv"] == 6 and set(res["kl"]["kl"]) == {"spin", "binary"}


# --------------------------------------------------------------------------- recipe, catalog, figure


def test_recipe_through_reduce_sweep_and_the_figure(ds, tmp_path):
    from pipeline.plot import plot_sweep

    cat = FakeCatalog("rbm", ds, reductions=["rbm_retrieval"], plots=["rbm_retrieval"],
                      settings={"n_boot": 50, **KL_FAST})
    out = reduce_sweep(cat, "rbm")
    assert cat.writes == 1 and "alpha_M(T) for gaussian hidden units" in out["text"]
    json.dumps(out["json"], allow_nan=False)
    red = out["dataset"]
    assert dict(red["m"].sizes) == {"hidden": 2, "N": 2, "alpha": ALPHA.size, "T": T.size}
    assert float(red["alpha_M"].sel(hidden="gaussian", N=64, T=0.05)) == pytest.approx(0.11)
    paths = plot_sweep(cat, "rbm", tmp_path)
    assert [p.name for p in paths] == ["rbm_retrieval.png"] and paths[0].stat().st_size > 50000


TINY = """
name = "rbm_tiny"
model = "rbm"
seed = 11

[grid]
N = [25, 50]
alpha = [0.04, 0.3]
T = [0.1, 0.2]
seeds = 3
hidden = ["gaussian", "spin"]
init = "pattern"

[sampler]
algorithm = "block_gibbs"
thermalize = 200
sweeps = 400
measure_every = 4
bins = 4

[reduce]
n_boot = 50
kl_Nv = 6
kl_Nh = 2
kl_draws = 2
"""


def test_tiny_real_sweep_reduces_and_plots(tmp_path, client):
    """A real 48-point sweep: the stored layout suits the reduction; Gaussian hidden units retain at the
    smallest load; one ±1 hidden unit (N = 25, α = 0.04: Nh = 1) gives m = tanh(β/√N) (it never flips,
    so every visible unit sees the field ±1/√N), within 4 standard errors + 0.02."""
    from pipeline.plot import plot_sweep
    from pipeline.run.graph import run_workflow
    from pipeline.spec.workflow import load_workflow
    from pipeline.store.catalog import Catalog

    path = tmp_path / "tiny.toml"
    path.write_text(textwrap.dedent(TINY))
    cat = Catalog(tmp_path / "c.zarr")
    run_workflow(load_workflow(path), cat, client, progress=False)
    res = reduce_sweep(cat, "rbm_tiny")["json"]
    assert res["hidden"] == ["gaussian", "spin"] and res["sizes"] == [25, 50]
    g = res["table"]["gaussian"]
    assert g["50"]["m"][0][0] > 0.95 and g["50"]["retained"][0][0] == 1.0
    sp = res["table"]["spin"]["25"]
    for iT, t in enumerate(res["T"]):
        want = np.tanh(1.0 / (t * 5.0))
        assert abs(sp["m"][0][iT] - want) < 4 * sp["m_err"][0][iT] + 0.02, (t, sp["m"][0][iT], want)
    paths = plot_sweep(cat, "rbm_tiny", tmp_path / "fig")
    assert [p.name for p in paths] == ["rbm_retrieval.png"]
