"""Workflow validation: every bad input gets one message naming the field, the value and what is allowed."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import SpecError
from pipeline.spec.workflow import load_workflow, parse_workflow

GOOD = """
name = "cw"
model = "curie_weiss"
seed = 1

[grid]
N = [16, 32]
T = { start = 0.5, stop = 1.5, num = 11 }
seeds = 3

[sampler]
algorithm = "heatbath"
thermalize = 100
sweeps = 1000
"""


def test_good_workflow_expands_grid():
    wf = parse_workflow(GOOD, "good.toml")
    assert wf.grid["N"] == (16, 32)
    assert np.allclose(wf.grid["T"], np.linspace(0.5, 1.5, 11))
    assert wf.grid["seed"] == (0, 1, 2)
    assert wf.shape == (2, 11, 3)
    assert wf.sampler.algorithm == "heatbath"


def test_shipped_workflows_validate():
    from pathlib import Path

    for path in sorted(Path(__file__).parents[2].joinpath("workflows").glob("*.toml")):
        load_workflow(path)


def _bad(text: str):
    with pytest.raises(SpecError) as e:
        parse_workflow(text, "w.toml")
    return str(e.value)


@pytest.mark.parametrize(
    ("old", "new", "field", "hint"),
    [
        ('model = "curie_weiss"', 'model = "curie_wiess"', "model", "available: curie_weiss"),
        ("N = [16, 32]", "N = [1, 16]", "N", ">= 2"),
        ("N = [16, 32]", "N = []", "N", "empty grid"),
        ("N = [16, 32]", 'N = "sixteen"', "N", "list of integers"),
        ("T = { start = 0.5, stop = 1.5, num = 11 }", "T = [0.5, -1.0]", "T", "T > 0"),
        ("T = { start = 0.5, stop = 1.5, num = 11 }", "T = []", "T", "empty grid"),
        ("T = { start = 0.5, stop = 1.5, num = 11 }", "T = { start = 0.5, stop = 1.5, num = 0 }", "T",
         ">= 1"),
        ("seeds = 3", "seeds = 0", "seeds", ">= 1"),
        ('name = "cw"', 'name = ""', "name", "non-empty"),
        ("seed = 1", "seed = -4", "seed", "0 <= seed"),
        ('algorithm = "heatbath"', 'algorithm = "wolff"', "algorithm", "metropolis, heatbath"),
        ("sweeps = 1000", "sweeps = 10", "sweeps", "2 x bins"),
        ("thermalize = 100", "thermalize = -1", "thermalize", ">= 0"),
    ],
)
def test_bad_values_name_field_value_and_allowed(old, new, field, hint):
    assert old in GOOD
    msg = _bad(GOOD.replace(old, new))
    assert len(msg.splitlines()) == 1, msg
    assert re.search(rf"(?<![A-Za-z_]){field}(?![A-Za-z_])", msg), msg
    assert hint in msg, msg
    assert "w.toml" in msg


def test_unknown_keys_list_the_allowed_ones():
    msg = _bad("frobnicate = 3\n" + GOOD)
    assert "unknown key 'frobnicate' at top level" in msg and "allowed: name, model" in msg
    msg = _bad(GOOD.replace("seeds = 3", "seeds = 3\ntemp = 1"))
    assert "unknown key 'temp' in [grid]; allowed: N, T, seeds" in msg
    msg = _bad(GOOD.replace("sweeps = 1000", "sweeps = 1000\nsweep = 3"))
    assert "unknown key 'sweep' in [sampler]" in msg


def test_malformed_toml_gives_line_number():
    msg = _bad(GOOD + "\n[[broken\n")
    assert re.search(r"malformed TOML at line \d+", msg), msg


def test_missing_keys():
    msg = _bad(GOOD.replace("seeds = 3", ""))
    assert "missing key 'seeds' in [grid]" in msg


def test_every_problem_reported_once_per_line():
    msg = _bad(GOOD.replace("N = [16, 32]", "N = []").replace("seeds = 3", "seeds = 0"))
    lines = msg.splitlines()
    assert len(lines) == 2 and "N" in lines[0] and "seeds" in lines[1]


def test_overrides_apply_before_validation():
    wf = parse_workflow(GOOD, overrides=["sampler.sweeps=4000", "name=other", "grid.N=[8]"])
    assert wf.sampler.sweeps == 4000 and wf.name == "other" and wf.grid["N"] == (8,)
    with pytest.raises(SpecError, match="sweeps"):
        parse_workflow(GOOD, overrides=["sampler.sweeps=0"])
    with pytest.raises(SpecError, match="expected key=value"):
        parse_workflow(GOOD, overrides=["sampler.sweeps"])


def test_spec_hash_ignores_description_and_formatting():
    a = parse_workflow(GOOD)
    b = parse_workflow('description = "x"\n' + GOOD.replace("num = 11 }", "num = 11 }  # comment"))
    c = parse_workflow(GOOD.replace("seeds = 3", "seeds = 4"))
    assert a.spec_hash() == b.spec_hash() != c.spec_hash()


def test_missing_file():
    with pytest.raises(SpecError, match="cannot read workflow"):
        load_workflow("/nonexistent/w.toml")


@settings(max_examples=60, deadline=None)
@given(Ns=st.lists(st.integers(2, 4096), min_size=1, max_size=6, unique=True),
       start=st.floats(0.05, 3.0), step=st.floats(1e-3, 0.1), num=st.integers(1, 40),
       seeds=st.integers(1, 20))
def test_valid_grids_round_trip(Ns, start, step, num, seeds):
    # a resolvable step keeps the temperatures distinct (a range of width ~1e-16 is refused, rightly)
    stop = start + step * (num - 1)
    text = GOOD.replace("N = [16, 32]", f"N = {Ns}").replace(
        "T = { start = 0.5, stop = 1.5, num = 11 }", f"T = {{ start = {start!r}, stop = {stop!r}, num = {num} }}"
    ).replace("seeds = 3", f"seeds = {seeds}")
    wf = parse_workflow(text)
    assert wf.grid["N"] == tuple(sorted(Ns))
    assert len(wf.grid["T"]) == num and min(wf.grid["T"]) > 0
    assert wf.n_points == len(Ns) * num * seeds


@settings(max_examples=60, deadline=None)
@given(Ns=st.lists(st.integers(-5, 1), min_size=1, max_size=4))
def test_too_small_N_always_refused(Ns):
    msg = _bad(GOOD.replace("N = [16, 32]", f"N = {Ns}"))
    assert "N" in msg and ">= 2" in msg


HOP = """
name = "hop"
model = "hopfield"
seed = 3

[grid]
N = [50, 100]
alpha = [0.05, 0.1, 0.15]
T = [0.1, 1.2, 1.4]
seeds = 2
init = ["pattern", "random"]

[[grid.subset]]
init = "pattern"
T = [0.1]

[[grid.subset]]
init = "random"
alpha = [0.05, 0.1]
T = [1.2, 1.4]

[sampler]
sweeps = 400
bins = 8
"""


def test_grid_subsets_select_a_union_of_sub_products():
    from pipeline.spec.grid import iter_indices

    wf = parse_workflow(HOP, "hop.toml")
    assert wf.shape == (2, 3, 3, 2, 2)
    # pattern: 2 N x 3 alpha x 1 T x 2 seeds; random: 2 N x 2 alpha x 2 T x 2 seeds
    assert wf.n_points == 12 + 16 == wf.requested().sum() == len(list(iter_indices(wf)))
    assert wf.spec_dict()["subsets"][0] == {"init": ["pattern"], "T": [0.1]}
    assert wf.spec_hash() != parse_workflow(HOP.replace("T = [0.1]\n", "T = [1.2]\n"), "h").spec_hash()


@pytest.mark.parametrize(("old", "new", "hint"), [
    ("T = [0.1]\n", "T = [0.3]\n", "T = 0.3 is not in [grid] T"),
    ('init = "pattern"\n', 'init = "noisy"\n', "'noisy' is not in [grid] init"),
    ('init = "pattern"\n', 'seed = 1\n', "unknown key 'seed' in [grid.subset][0]"),
])
def test_bad_subsets_are_named(old, new, hint):
    with pytest.raises(SpecError) as e:
        parse_workflow(HOP.replace(old, new, 1), "hop.toml")
    assert hint in str(e.value)


def test_repeated_temperatures_refused():
    # the degenerate range hypothesis once generated (width 2e-16) and an explicit repeat, both named
    for T in ("[1.0, 1.0]", "{ start = 1.0, stop = 1.0000000000000002, num = 3 }"):
        msg = _bad(GOOD.replace("T = { start = 0.5, stop = 1.5, num = 11 }", f"T = {T}"))
        assert "[grid] T" in msg and "distinct temperatures" in msg
