"""Figures by name: FIGURES, and plot_sweep reading the sweep's figure names and stored reduction."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import SpinsweepError
from pipeline.plot import FIGURES, NEEDS_REDUCTION, get_figure, plot_sweep
from pipeline.reduce import reduce_sweep
from tests.reduce._fake_catalog import FakeCatalog
from tests.reduce._synth import ferromagnet_dataset

from .test_hopfield_plot import RESULT as HOPFIELD_RESULT

PNG = b"\x89PNG\r\n\x1a\n"
FM_FIGS = {"order_parameter.png", "binder.png", "collapse.png", "scaling.png"}


@pytest.fixture(scope="module")
def fm_ds():
    return ferromagnet_dataset()


def test_registry():
    assert set(FIGURES) == {"ferromagnet_fss", "hopfield_phase_diagram", "hopfield_tc", "learning_curves",
                            "overlap_distribution", "rbm_retrieval", "sk_spin_glass"}
    assert NEEDS_REDUCTION <= set(FIGURES) and "overlap_distribution" not in NEEDS_REDUCTION
    with pytest.raises(SpinsweepError, match=r"no figure 'x'; available: ferromagnet_fss, hopfield_phase_diagram, "
                                             r"hopfield_tc, learning_curves, overlap_distribution, rbm_retrieval, sk_spin_glass"):
        get_figure("x")


def test_hopfield_figure_draws_measured_tc_from_a_companion(tmp_path):
    """With a hopfield_tc result among the companions, the phase diagram draws its T_c points (per size and
    extrapolated) and its title says T_c is measured; without, the title says it is theory."""
    import matplotlib.pyplot as plt

    from pipeline.plot.hopfield import draw_phase_diagram

    tc = {"T_c": [{"alpha": 0.03, "value": 0.55, "err": 0.04, "theory": 0.48,
                   "per_size": [{"N": 200, "value": 0.8, "err": 0.02, "err_sys": 0.01},
                                {"N": 400, "value": 0.65, "err": 0.02, "err_sys": 0.01}]}]}
    fig, ax = plt.subplots()
    draw_phase_diagram(ax, HOPFIELD_RESULT | {"companions": {"hopfield_tc": [{"sweep": "hopfield_tc", "result": tc}]}})
    labels = ax.get_legend_handles_labels()[1]
    plt.close(fig)
    assert "$T_c$ (TI), N = 200" in labels and "$T_c$ (TI), N = 400" in labels
    assert any("N\\to\\infty$ fit" in lab for lab in labels)
    paths = FIGURES["hopfield_phase_diagram"](None, HOPFIELD_RESULT | {"companions": {"hopfield_tc": [
        {"sweep": "hopfield_tc", "result": tc}]}}, tmp_path)
    assert paths[0].name == "phase_diagram.png"


def test_hopfield_figure_from_a_result(tmp_path):
    paths = FIGURES["hopfield_phase_diagram"](None, HOPFIELD_RESULT, tmp_path)
    assert all(isinstance(p, Path) for p in paths)
    assert sorted(p.name for p in paths) == ["phase_diagram.png", "retrieval.png", "spin_glass.png"]


def test_plot_sweep_never_reduces(fm_ds, tmp_path):
    cat = FakeCatalog("fss", fm_ds, reductions=["ferromagnet_fss"], plots=["ferromagnet_fss"])
    with pytest.raises(SpinsweepError, match=r"sweep 'fss' has no stored reduction; run `spinsweep reduce fss` first"):
        plot_sweep(cat, "fss", tmp_path)
    assert cat.writes == 0
    with pytest.raises(SpinsweepError, match="sweep 'fss' declares no figures"):
        plot_sweep(FakeCatalog("fss", fm_ds), "fss", tmp_path)
    with pytest.raises(SpinsweepError, match="no figure 'nope'"):
        plot_sweep(FakeCatalog("fss", fm_ds, plots=["nope"]), "fss", tmp_path)


def test_plot_sweep_draws_the_stored_or_given_reduction(fm_ds, tmp_path):
    cat = FakeCatalog("fss", fm_ds, reductions=["ferromagnet_fss"], plots=["ferromagnet_fss"],
                      settings={"n_boot": 40, "collapse_n_boot": 10})
    res = reduce_sweep(cat, "fss")["json"]
    paths = plot_sweep(cat, "fss", tmp_path / "stored")
    assert {p.name for p in paths} == FM_FIGS
    assert all(p.parent == tmp_path / "stored" and p.read_bytes()[:8] == PNG for p in paths)
    cat.reduction = None  # nothing stored: the result passed in is used
    paths = plot_sweep(cat, "fss", tmp_path / "given", result=res)
    assert {p.name for p in paths} == FM_FIGS and cat.writes == 1


def test_plot_sweep_passes_each_figure_its_recipes_result(fm_ds, tmp_path, monkeypatch):
    import pipeline.plot as plot

    seen = {}

    def fake(name):
        def fig(ds, result, outdir):
            seen[name] = result
            p = Path(outdir) / f"{name}.png"
            p.write_bytes(PNG)
            return [p]
        return fig

    monkeypatch.setitem(plot.FIGURES, "ferromagnet_fss", fake("ferromagnet_fss"))
    monkeypatch.setitem(plot.FIGURES, "other", fake("other"))
    cat = FakeCatalog("fss", fm_ds, reductions=["ferromagnet_fss", "other"], plots=["ferromagnet_fss", "other"])
    merged = {"ferromagnet_fss": {"Tc": 1}, "other": {"x": 2}}
    paths = plot_sweep(cat, "fss", tmp_path, result=merged)
    assert [p.name for p in paths] == ["ferromagnet_fss.png", "other.png"]
    assert seen == {"ferromagnet_fss": {"Tc": 1}, "other": {"x": 2}}
