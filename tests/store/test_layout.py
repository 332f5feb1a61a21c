"""The store reads its layout from the sweep's stored metadata, never from the model module."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import zarr

from pipeline.store.layout import Layout, Variable
from tests.conftest import cw_workflow


def test_layout_round_trips_through_json():
    lay = Layout(dims=("N", "T", "seed"), n_outer=1, coords={"N": [8], "T": [0.5, 1.0], "seed": [0], "q": [0.0]},
                 variables={"m": Variable(("N", "T", "seed"), "f8", {"long_name": "m"}),
                            "acc": Variable(("N", "seed", "T_pair"), "f8", ladder=True)})
    back = Layout.from_json(lay.to_json())
    assert back == lay and back.ladder_dims == ("N", "seed") and back.ladder_variables() == ["acc"]


def _cli(*args, catalog):
    env = dict(os.environ, SPINSWEEP_CATALOG=str(catalog))
    return subprocess.run([sys.executable, "-m", "pipeline", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300, stdin=subprocess.DEVNULL)


def test_catalog_commands_work_on_a_sweep_whose_model_is_not_registered(tmp_path):
    """A sweep made by a model that this installation does not have (renamed in the stored attributes):
    `catalog list`, `show` and `query` still answer from the stored layout."""
    cat = tmp_path / "c.zarr"
    wf = cw_workflow(tmp_path, name="orphan", N=(16,), T=(0.9, 1.1), seeds=1, sweeps=400, bins=8)
    assert _cli("run", wf, "--workers", 1, catalog=cat).returncode == 0
    g = zarr.open_group(str(cat), path="orphan", mode="r+")
    g.attrs.update({"model": "model_from_a_plugin_not_installed_here"})
    zarr.consolidate_metadata(str(cat), zarr_format=3)
    r = _cli("catalog", "list", "--json", catalog=cat)
    assert r.returncode == 0, r.stderr
    row = json.loads(r.stdout)[0]
    assert row["model"] == "model_from_a_plugin_not_installed_here" and row["done"] == row["total"] == 2
    assert row["shape"] == {"N": 1, "T": 2, "seed": 1}
    r = _cli("catalog", "show", "orphan", catalog=cat)
    assert r.returncode == 0 and "m_abs" in r.stdout, r.stderr
    r = _cli("catalog", "query", "orphan", "--var", "m_abs", "--where", "T<1", "--format", "json", catalog=cat)
    assert r.returncode == 0, r.stderr
    recs = json.loads(r.stdout)
    assert len(recs) == 1 and recs[0]["T"] == 0.9 and recs[0]["m_abs"] > 0
