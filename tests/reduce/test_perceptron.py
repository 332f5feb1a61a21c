"""The learning-curve reduction on a real small perceptron sweep: curves, theory, the high-T check, figure."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from pipeline.errors import ReductionError, SpecError
from pipeline.reduce import check_settings
from pipeline.reduce.perceptron import reduce_learning, reduction_dataset, summary_text
from pipeline.run.graph import run_workflow
from pipeline.spec.workflow import load_workflow, parse_workflow
from pipeline.store.catalog import Catalog

TOML = """
name = "perceptron_small"
model = "perceptron"
seed = 5

[grid]
N = [15]
T = [1.0, 10.0]
alpha = [0.5, 1.0, 5.0, 10.0, 20.0]
student = ["ising", "spherical"]
inputs = ["binary", "gaussian"]
seeds = 24

[[grid.subset]]
T = 10.0
alpha = [5.0, 10.0, 20.0]
student = "ising"
inputs = "binary"

[[grid.subset]]
T = 10.0
alpha = [5.0, 10.0, 20.0]
student = "spherical"
inputs = "gaussian"

[[grid.subset]]
T = 1.0
alpha = [0.5, 1.0]

[sampler]
algorithm = "metropolis"
thermalize = 200
sweeps = 1000
bins = 8
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory, client):
    """168 small points (a few seconds on 2 workers)."""
    tmp = tmp_path_factory.mktemp("perceptron")
    path = tmp / "p.toml"
    path.write_text(textwrap.dedent(TOML))
    cat = Catalog(tmp / "c.zarr")
    run_workflow(load_workflow(path), cat, client, progress=False)
    return cat, cat.open("perceptron_small").load()


def test_curves_carry_theory_and_pass_the_high_T_check(small):
    _, ds = small
    res = reduce_learning(ds)
    kinds = {(c["student"], c["inputs"], c["T"]) for c in res["curves"]}
    # T = 1 has every (student, inputs) pair, T = 10 the two subsets
    assert kinds == {("ising", "binary", 10.0), ("spherical", "gaussian", 10.0), *(
        (s, i, 1.0) for s in ("ising", "spherical") for i in ("binary", "gaussian"))}
    for c in res["curves"]:
        assert len(c["alpha"]) == (3 if c["T"] == 10.0 else 2)
        assert all(n == 24 for n in c["n_samples"])
        if c["student"] == "spherical" and c["inputs"] == "binary":
            assert all(v is None for v in c["annealed_N"]["R"])  # no finite-N annealed form
        else:
            assert all(v is not None for v in c["annealed_N"]["R"])
    assert res["checks"] and res["all_ok"], summary_text(res)
    assert abs(res["ising_transition"]["alpha_beta_c"] - 1.696) < 0.01
    sph = res["high_T"]["spherical"]
    x = np.asarray(sph["alpha_beta"])
    assert np.allclose(sph["eps_g"], np.arctan(np.pi / x) / np.pi, atol=1e-6)
    table = reduction_dataset(res)
    assert table.sizes["point"] == sum(len(c["alpha"]) for c in res["curves"])


def test_the_check_fails_on_a_wrong_theory(small, monkeypatch):
    """The high-T check can fail: shift the finite-N annealed R by 0.05 and it must report disagreement."""
    from pipeline.reduce import perceptron

    _, ds = small
    real = perceptron._finite_N

    def shifted(*a):
        r = real(*a)
        return None if r is None else {**r, "R": r["R"] + 0.05}

    monkeypatch.setattr(perceptron, "_finite_N", shifted)
    res = reduce_learning(ds)
    assert not res["all_ok"]
    assert any(c["observable"] == "R" and not c["ok"] for c in res["checks"])


def test_settings_are_validated_and_a_foreign_sweep_refused(small):
    assert check_settings(["learning_curves"], {"high_T": 5.0}) == []
    assert any("high_t" in line for line in check_settings(["learning_curves"], {"high_t": 5.0}))
    _, ds = small
    with pytest.raises(ReductionError, match="needs 'R'"):
        reduce_learning(ds.drop_vars("R"))
    with pytest.raises(SpecError, match="reduce"):
        parse_workflow(textwrap.dedent(TOML) + "\n[reduce]\nhigh_T = -1\n")


def test_figure(small, tmp_path):
    from pipeline.plot.perceptron import plot_learning_curves

    _, ds = small
    paths = plot_learning_curves(ds, reduce_learning(ds), tmp_path)
    assert len(paths) == 1 and tmp_path.joinpath("learning_curves.png").stat().st_size > 20000
