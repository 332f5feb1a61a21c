"""The sampler layer reproduces, bit for bit, the points stored by the code before it.

``fingerprints.json`` holds one hash per grid point over every stored variable, written by
``fingerprint.py`` from commit 43baf4d (one Monte Carlo loop per model). Here the same workflows run
through today's ``spinsweep run`` (generic samplers, model kernels over a chain axis, the layout-driven
store) on a real two-worker local cluster, and every point must hash the same: the shipped
``curie_weiss.toml`` (420 points, Metropolis on random sites), a Curie–Weiss heat-bath sweep, and a
reduced Hopfield grid with pattern, noisy and random starts at low T (dense path) and high T (overlap
path).
"""

from __future__ import annotations

import json

import pytest
import xarray as xr

from tests.regression import fingerprint as fp

REF = json.loads((fp.HERE / "fingerprints.json").read_text())


@pytest.mark.parametrize("name", list(fp.SWEEPS))
def test_points_are_bit_identical_to_the_code_before_the_sampler_layer(tmp_path, name):
    cat = tmp_path / "c.zarr"
    fp.run_sweep(fp.SWEEPS[name], cat)
    ds = xr.open_zarr(str(cat), group=name, consolidated=False).load()
    want = REF[name]["points"]
    got = fp.point_hashes(ds, REF[name]["variables"])
    assert set(got) == set(want)
    differ = sorted(k for k in want if got[k] != want[k])
    assert not differ, f"{len(differ)} of {len(want)} points differ, e.g. {differ[:3]}"
