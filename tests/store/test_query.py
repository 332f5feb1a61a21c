"""``--where`` parsing and record selection on a small in-memory dataset in the catalog layout."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

from pipeline.errors import CatalogError
from pipeline.store.query import format_records, parse_where, records, select

DIMS = ("N", "alpha", "T", "seed", "init")


def _ds() -> xr.Dataset:
    shape = (2, 2, 3, 2, 2)
    rng = np.random.default_rng(0)
    ds = xr.Dataset(
        {"m": (DIMS, rng.random(shape)), "m_err": (DIMS, np.full(shape, 0.01)),
         "done": (DIMS, np.ones(shape, bool))},
        coords={"N": [100, 200], "alpha": [0.05, 0.1], "T": [0.1, 0.7 + 0.1 * 2, 1.2], "seed": [0, 1],
                "init": np.array(["pattern", "random"], dtype=object)})
    ds["done"][0, 0, 0, 0, 0] = False
    return ds


@given(name=st.sampled_from(["N", "alpha", "T", "seed"]), op=st.sampled_from(["=", "==", "!=", "<", "<=", ">", ">="]),
       value=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), space=st.sampled_from(["", " ", "  "]))
def test_parse_where_round_trips(name, op, value, space):
    assert parse_where(f"{name}{space}{op}{space}{value!r}", DIMS) == (name, op, value)


@given(text=st.text(max_size=12))
def test_parse_where_never_crashes(text):
    try:
        name, op, value = parse_where(text, DIMS)
    except CatalogError as e:
        assert "--where" in str(e)
    else:
        assert name in DIMS


def test_select_with_float_tolerance_strings_and_ranges():
    ds = _ds()
    sub = select(ds, ["T=0.9", "init=pattern", "N>=200"])  # 0.7 + 0.2 is not exactly 0.9
    assert sub.sizes["T"] == 1 and sub.sizes["init"] == 1 and list(sub["N"].values) == [200]
    with pytest.raises(CatalogError, match="init holds text"):
        select(ds, ["init=3"])
    with pytest.raises(CatalogError, match="allowed: N, alpha, T, seed, init"):
        select(ds, ["L=3"])


def test_records_skip_undone_points_and_carry_errors():
    recs = records(_ds(), ["m"])
    assert len(recs) == 2 * 2 * 3 * 2 * 2 - 1
    assert set(recs[0]) == {"N", "alpha", "T", "seed", "init", "m", "m_err"}
    assert json.loads(format_records(recs[:2], "json")) == recs[:2]
    assert format_records(recs[:1], "csv").splitlines()[0] == "N,alpha,T,seed,init,m,m_err"
    with pytest.raises(CatalogError, match="--format 'xml'"):
        format_records(recs, "xml")
