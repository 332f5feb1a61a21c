"""Named reduction recipes: registry, settings schemas and their messages, reduce_sweep by recipe name."""

from __future__ import annotations

import ast
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import ReductionError
from pipeline.reduce import RECIPES, check_settings, get_recipe, parse_settings, reduce_sweep, stored_result
from pipeline.reduce import ferromagnet as fm
from pipeline.reduce import hopfield as hop

from ._fake_catalog import FakeCatalog
from ._synth import ferromagnet_dataset
from .test_hopfield_reduce import synth

ROOT = Path(__file__).resolve().parents[2]
MODEL_RECIPE = {"curie_weiss": "ferromagnet_fss", "hopfield": "hopfield_phase_diagram", "sk": "sk_spin_glass",
                "rbm": "rbm_retrieval", "perceptron": "learning_curves", "hopfield_branches": "hopfield_tc"}
FM, HOP, SK = "ferromagnet_fss", "hopfield_phase_diagram", "sk_spin_glass"


@pytest.fixture(scope="module")
def hop_ds():
    return synth(N=(500, 1000, 2000), seeds=24)


@pytest.fixture(scope="module")
def fm_ds():
    return ferromagnet_dataset()


# ----------------------------------------------------------------------------------------- registry


def test_registry_names_and_lookup():
    assert set(RECIPES) == {FM, HOP, SK, "hopfield_tc", "learning_curves", "rbm_retrieval"}
    for name, r in RECIPES.items():
        assert r.name == name and r.doc and callable(r.run)
        assert r.settings.model_config.get("extra") == "forbid"
    with pytest.raises(ReductionError, match=r"no reduction recipe 'sk_fss'; available: ferromagnet_fss, "
                                             r"hopfield_phase_diagram, sk_spin_glass, hopfield_tc, learning_curves, "
                                             r"rbm_retrieval"):
        get_recipe("sk_fss")


def test_schema_defaults_are_the_defaults_of_today():
    assert RECIPES[FM].settings().model_dump() == fm.DEFAULTS == {
        "window": None, "n_boot": 400, "seed": 0, "omega": 1.0, "n_local": 5, "collapse_n_boot": 40}
    assert RECIPES[HOP].settings().model_dump() == hop.DEFAULTS == {
        "init_retrieval": "pattern", "T_retrieval": None, "T_retrieval_max": 0.5, "threshold": 0.5,
        "criterion": "fraction", "last_bins": 1, "check_end_bin": None, "forms": ["N^-1/2", "N^-1", "N^-1/2+N^-1"], "T0_correction": "rs",
        "init_sg": "random", "Tg_alpha": None, "Tg_T_window": None, "Tg_exponent": 2.0 / 3.0, "Tg_estimate": "mean",
        "sizes_retrieval": None, "sizes_sg": None, "n_boot": 400, "boot_seed": 0}


def test_no_reduce_or_plot_module_imports_models_spec_run_samplers_or_cli():
    forbidden = ("pipeline.models", "pipeline.spec", "pipeline.run", "pipeline.samplers", "pipeline.cli")
    for pkg in ("reduce", "plot"):
        for path in (ROOT / "pipeline" / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                for n in names:
                    assert not n.startswith(forbidden), (path, n)
                    if pkg == "reduce":
                        assert not n.startswith("pipeline.plot"), (path, n)


# ------------------------------------------------------------------------------------ check_settings


def _shipped():
    for path in sorted((ROOT / "workflows").glob("*.toml")):
        raw = tomllib.loads(path.read_text())
        yield path.name, raw["model"], raw.get("reduce", {})


@pytest.mark.parametrize(("fname", "model", "table"), list(_shipped()), ids=[f for f, _, _ in _shipped()])
def test_shipped_workflows_settings_are_valid(fname, model, table):
    names = [MODEL_RECIPE[model]]
    assert check_settings(names, table) == []
    parse_settings(names[0], table)  # and they parse


def test_typo_key_is_refused_with_the_allowed_keys():
    (msg,) = check_settings([HOP], {"threshhold": 0.5})
    assert msg.startswith("[reduce] threshhold = 0.5: unknown key; allowed: ")
    allowed = msg.split("allowed: ", 1)[1].split(", ")
    assert set(allowed) == set(RECIPES[HOP].keys) and "threshold" in allowed
    (msg,) = check_settings([FM], {"n_bot": 400})
    assert msg == "[reduce] n_bot = 400: unknown key; allowed: collapse_n_boot, n_boot, n_local, omega, seed, window"


@pytest.mark.parametrize(("names", "key", "value", "expected"), [
    ([HOP], "threshold", 1.5, "[reduce] threshold = 1.5: expected a value < 1"),
    ([HOP], "threshold", 0, "[reduce] threshold = 0: expected a value > 0"),
    ([HOP], "criterion", "median", "[reduce] criterion = 'median': expected 'fraction' or 'mean'"),
    ([HOP], "T0_correction", "cubic", "[reduce] T0_correction = 'cubic': expected 'rs', 'linear' or 'none'"),
    ([HOP], "Tg_estimate", "median", "[reduce] Tg_estimate = 'median': expected 'mean' or 'largest'"),
    ([HOP], "n_boot", 5, "[reduce] n_boot = 5: expected a value >= 10"),
    ([HOP], "last_bins", 0, "[reduce] last_bins = 0: expected a value >= 1"),
    ([HOP], "last_bins", 1.5, "[reduce] last_bins = 1.5: expected an integer"),
    ([HOP], "boot_seed", -1, "[reduce] boot_seed = -1: expected a value >= 0"),
    ([HOP], "Tg_exponent", "2/3", "[reduce] Tg_exponent = '2/3': expected a number"),
    ([HOP], "forms", ["N^-1/2", "log"],
     "[reduce] forms = ['N^-1/2', 'log']: item 2 = 'log': expected 'N^-1/2', 'N^-1', 'N^-1/2+N^-1', 'N^-1/3', "
     "'N^-2/3', 'N^-2/3+N^-1', 'N^-2/3+N^-4/3' or 'N^-1+N^-2'"),
    ([HOP], "forms", [], "[reduce] forms = []: expected a list of at least 1 value(s)"),
    ([HOP], "T_retrieval", [0.1, -0.05], "[reduce] T_retrieval = [0.1, -0.05]: item 2 = -0.05: expected a value > 0"),
    ([HOP], "T_retrieval", [0.1, 0.05], "[reduce] T_retrieval = [0.1, 0.05]: expected strictly increasing values"),
    ([HOP], "Tg_alpha", [0.05, 1.5], "[reduce] Tg_alpha = [0.05, 1.5]: item 2 = 1.5: expected a value <= 1"),
    ([HOP], "Tg_T_window", [1.5, 0.9], "[reduce] Tg_T_window = [1.5, 0.9]: expected [lo, hi] with lo < hi"),
    ([HOP], "sizes_sg", [1000], "[reduce] sizes_sg = [1000]: expected a list of at least 2 value(s)"),
    ([HOP], "init_sg", "ferro", "[reduce] init_sg = 'ferro': expected 'pattern', 'noisy' or 'random'"),
    ([FM], "window", [0.9], "[reduce] window = [0.9]: expected [lo, hi], two temperatures"),
    ([FM], "window", [1.1, 0.9], "[reduce] window = [1.1, 0.9]: expected [lo, hi] with lo < hi"),
    ([FM], "omega", 0, "[reduce] omega = 0: expected a value > 0"),
    ([FM], "n_local", 3, "[reduce] n_local = 3: expected a value >= 4"),
    ([FM], "n_boot", True, "[reduce] n_boot = true: expected an integer"),
    ([FM], "collapse_n_boot", 2, "[reduce] collapse_n_boot = 2: expected a value >= 10"),
])
def test_bad_value_is_refused_in_one_line(names, key, value, expected):
    assert check_settings(names, {key: value}) == [expected]


def test_one_line_per_problem_in_table_order():
    table = {"n_boot": 5, "threshold": 0.4, "treshold": 0.5, "criterion": "median"}
    out = check_settings([HOP], table)
    assert [m.split(" = ")[0] for m in out] == ["[reduce] n_boot", "[reduce] treshold", "[reduce] criterion"]
    assert all("\n" not in m for m in out)


def test_keys_of_any_declared_recipe_are_allowed_and_shared_keys_must_suit_each():
    both = [FM, HOP]
    assert check_settings(both, {"window": [0.9, 1.1], "threshold": 0.4, "n_boot": 100}) == []
    assert check_settings(both, {"n_boot": 5}) == ["[reduce] n_boot = 5: expected a value >= 10"]
    (msg,) = check_settings(both, {"windw": [0.9, 1.1]})
    assert "unknown key" in msg and "window" in msg and "threshold" in msg
    assert check_settings([], {"n_boot": 5}) == [
        "[reduce] n_boot = 5: unknown key; the model declares no reduction, so [reduce] takes no settings"]
    assert check_settings([], {}) == []


def test_parse_settings_ignores_the_other_recipes_keys_and_refuses_unknown_ones():
    s = parse_settings(HOP, {"Tg_alpha": 0.05, "window": [0.9, 1.1]}, [FM, HOP])
    assert s.Tg_alpha == [0.05] and s.n_boot == 400
    with pytest.raises(ReductionError, match=r"\[reduce\] window = \[0.9, 1.1\]: unknown key"):
        parse_settings(HOP, {"window": [0.9, 1.1]})
    with pytest.raises(ReductionError, match=r"threshold = 2: expected a value < 1; \[reduce\] n_boot = 1"):
        parse_settings(HOP, {"threshold": 2, "n_boot": 1})
    assert parse_settings(get_recipe(FM), None).model_dump() == fm.DEFAULTS


@settings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_threshold_accepted_exactly_inside_the_unit_interval(x):
    out = check_settings([HOP], {"threshold": x})
    if 0 < x < 1:
        assert out == []
    else:
        assert len(out) == 1 and out[0].startswith(f"[reduce] threshold = {x!r}: expected a value ")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12),
       st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=5), st.booleans(),
                 st.lists(st.integers(), max_size=3)))
def test_any_table_gives_one_line_per_bad_key(key, value):
    out = check_settings([FM, HOP], {key: value})
    known = key in RECIPES[FM].keys or key in RECIPES[HOP].keys
    if not known:
        assert len(out) == 1 and "unknown key; allowed:" in out[0]
    for m in out:
        assert m.startswith(f"[reduce] {key} = ") and "\n" not in m


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=-5, max_value=10_000))
def test_n_boot_bound(n):
    assert (check_settings([FM], {"n_boot": n}) == []) == (n >= 10)


# ----------------------------------------------------------------------------------------- running


def test_recipes_give_the_reductions_of_today(hop_ds, fm_ds):
    raw = {"Tg_alpha": [0.05, 0.1], "n_boot": 60, "T_retrieval": 0.05, "Tg_T_window": [1.0, 1.6]}
    out = RECIPES[HOP].run(hop_ds, parse_settings(HOP, raw))
    direct = hop.reduce_hopfield(hop_ds, raw)
    assert json.dumps(out["json"], sort_keys=True) == json.dumps(direct, sort_keys=True)
    assert out["text"] == hop.summary_text(direct)
    assert float(out["dataset"]["alpha_c"]) == direct["alpha_c"]["value"]

    raw = {"n_boot": 50, "collapse_n_boot": 10, "window": [0.88, 1.12]}
    out = RECIPES[FM].run(fm_ds, parse_settings(FM, raw))
    direct = fm.reduce_ferromagnet(fm_ds, raw)
    assert json.dumps(out["json"], sort_keys=True) == json.dumps(direct, sort_keys=True)
    assert out["text"] == fm.summary_text(direct) and "T_c" in out["text"]
    assert out["dataset"].sizes["pair"] == 3


def test_reduce_sweep_by_stored_recipe_names(fm_ds):
    cat = FakeCatalog("fss", fm_ds, reductions=[FM], settings={"n_boot": 40, "collapse_n_boot": 10})
    out = reduce_sweep(cat, "fss")
    assert abs(out["json"]["Tc"]["value"] - 1.0) < 0.02
    red = cat.reduction
    assert {"created", "versions", "method", "settings", "result", "recipes"} <= set(red.attrs)
    assert json.loads(red.attrs["recipes"]) == [FM] and red.attrs["sweep_spec_hash"] == "h1"
    assert stored_result(cat, "fss") == json.loads(json.dumps(out["json"]))
    cat._attrs["spec_hash"] = "h2"  # another version of the sweep: the stored reduction does not match
    assert stored_result(cat, "fss") is None


def test_reduce_sweep_refusals(fm_ds):
    with pytest.raises(ReductionError, match=r"sweep 'fss' declares no reduction"):
        reduce_sweep(FakeCatalog("fss", fm_ds), "fss")
    with pytest.raises(ReductionError, match=r"no reduction recipe 'nope'"):
        reduce_sweep(FakeCatalog("fss", fm_ds, reductions=["nope"]), "fss")
    done = np.ones((4, 13), bool)
    done[0, 0] = False
    with pytest.raises(ReductionError, match=r"sweep 'fss' is incomplete: 51/52 points done"):
        reduce_sweep(FakeCatalog("fss", fm_ds, reductions=[FM], done=done), "fss")
    with pytest.raises(ReductionError, match=r"\[reduce\] n_boot = 3: expected a value >= 10"):
        reduce_sweep(FakeCatalog("fss", fm_ds, reductions=[FM], settings={"n_boot": 3}), "fss")
    with pytest.raises(ReductionError, match=r"at least 2 sizes"):
        reduce_sweep(FakeCatalog("one", fm_ds.isel(N=[0]), reductions=[FM]), "one")


def test_reduce_sweep_with_several_recipes_keeps_each_result_under_its_name(fm_ds, monkeypatch):
    from pipeline.reduce import recipes as rec

    extra = rec.Recipe("extra", "a stand-in second recipe", RECIPES[FM].settings,
                       lambda ds, s: {"json": {"n": int(ds.sizes["N"]), "n_boot": s.n_boot}, "text": "extra",
                                      "dataset": None})
    monkeypatch.setitem(rec.RECIPES, "extra", extra)
    cat = FakeCatalog("fss", fm_ds, reductions=[FM, "extra"], settings={"n_boot": 30, "collapse_n_boot": 10})
    out = reduce_sweep(cat, "fss")
    assert set(out["json"]) == {FM, "extra"}
    assert out["json"]["extra"] == {"n": 4, "n_boot": 30}
    assert "Tc" in out["json"][FM] and "[extra]" in out["text"]
    assert "crossing_T" in out["dataset"]  # the first recipe's dataset is stored
    assert json.loads(cat.reduction.attrs["result"]) == json.loads(json.dumps(out["json"]))
