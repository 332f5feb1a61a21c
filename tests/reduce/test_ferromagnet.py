"""The Curie-Weiss reduction on real sweeps in a real catalog: results, storage, determinism, refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.errors import ReductionError
from pipeline.reduce import reduce_sweep, stored_result
from pipeline.run.graph import run_workflow
from pipeline.spec.workflow import load_workflow
from pipeline.store.catalog import Catalog
from tests.conftest import cw_workflow

T_GRID = tuple(np.round(np.linspace(0.85, 1.15, 13), 6))


@pytest.fixture(scope="module")
def small_fss(tmp_path_factory, client):
    d = tmp_path_factory.mktemp("fss")
    wf = load_workflow(cw_workflow(d, name="fss", N=(32, 64, 128, 256), T=T_GRID, seeds=4, sweeps=8000,
                                   thermalize=1000, bins=32))
    cat = Catalog(d / "c.zarr")
    run_workflow(wf, cat, client, progress=False)
    return cat


def test_reduction_finds_mean_field_values_and_is_stored(small_fss):
    """Small sizes and short runs: loose but statistical bounds (3 reported errors, plus the known
    corrections to scaling at N <= 256, e.g. the collapse's ν̄ drifts by ~0.1 at these sizes)."""
    out = reduce_sweep(small_fss, "fss")
    res = out["json"]
    assert set(res) >= {"Tc", "exponents", "sizes", "method"}
    assert set(res["exponents"]) >= {"beta", "gamma", "nu_bar", "beta_over_nu_bar", "gamma_over_nu_bar"}
    Tc = res["Tc"]
    assert Tc["err"] > 0 and abs(Tc["value"] - 1.0) < 3 * Tc["err"] + 0.002
    ex = res["exponents"]
    assert abs(ex["beta_over_nu_bar"]["value"] - 0.25) < 3 * ex["beta_over_nu_bar"]["err"] + 0.01
    assert abs(ex["gamma_over_nu_bar"]["value"] - 0.5) < 3 * ex["gamma_over_nu_bar"]["err"] + 0.02
    assert abs(ex["nu_bar"]["value"] - 2.0) < 3 * ex["nu_bar"]["err"] + 0.15
    assert res["sizes"] == [32, 64, 128, 256]
    assert "T_c" in out["text"] and "β" in out["text"]
    # stored beside the sweep, with provenance, and listed by `catalog show`
    assert stored_result(small_fss, "fss") == json.loads(json.dumps(res))
    red = small_fss.open_reduction("fss")
    assert {"created", "versions", "method", "settings"} <= set(red.attrs)
    assert red["crossing_T"].sizes["pair"] == 3
    from pipeline.store.summary import describe

    assert "reduction (" in describe(small_fss, "fss")


def test_reduction_is_deterministic(small_fss):
    a = reduce_sweep(small_fss, "fss")["json"]
    b = reduce_sweep(small_fss, "fss")["json"]
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_figures_are_written(small_fss, tmp_path):
    from pipeline.plot import plot_sweep

    if stored_result(small_fss, "fss") is None:  # figures never reduce: store the reduction first
        reduce_sweep(small_fss, "fss")
    paths = plot_sweep(small_fss, "fss", tmp_path)
    assert {p.name for p in paths} == {"order_parameter.png", "binder.png", "collapse.png", "scaling.png"}
    for p in paths:
        assert p.stat().st_size > 20_000 and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_single_size_is_refused(tmp_path, client):
    wf = load_workflow(cw_workflow(tmp_path, name="one", N=(64,), T=T_GRID, seeds=1))
    cat = Catalog(tmp_path / "c.zarr")
    run_workflow(wf, cat, client, progress=False)
    with pytest.raises(ReductionError, match=r"at least 2 sizes; sweep has N = \[64\]"):
        reduce_sweep(cat, "one")


def test_grid_not_bracketing_the_crossing_is_refused(tmp_path, client):
    wf = load_workflow(cw_workflow(tmp_path, name="hot", N=(32, 64), T=(1.3, 1.4, 1.5, 1.6, 1.7), seeds=1))
    cat = Catalog(tmp_path / "c.zarr")
    run_workflow(wf, cat, client, progress=False)
    with pytest.raises(ReductionError, match="bracket"):
        reduce_sweep(cat, "hot")


def test_incomplete_sweep_is_refused(tmp_path, client):
    wf = load_workflow(cw_workflow(tmp_path, name="part", N=(32, 64), T=T_GRID, seeds=1))
    cat = Catalog(tmp_path / "c.zarr")
    from pipeline.run.sweep import layout_for, sweep_attrs

    cat.prepare(wf.name, layout_for(wf), sweep_attrs(wf), wf.requested())
    with pytest.raises(ReductionError, match="incomplete: 0/26 points done"):
        reduce_sweep(cat, "part")
