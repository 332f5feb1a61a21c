"""The shipped SK workflow end to end (slow: ~7 min on 2 cores): the issue's bars on its own data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.reduce import reduce_sweep
from pipeline.run.graph import run_workflow
from pipeline.spec.workflow import load_workflow
from pipeline.store.catalog import Catalog

WORKFLOW = Path(__file__).resolve().parents[2] / "workflows" / "sk_spin_glass.toml"


@pytest.mark.slow
def test_sk_workflow_meets_the_bars(tmp_path, client):
    """T_c from the g crossings within 0.1 of 1 and within 2 errors; e0 within 0.01 of -0.7633 and within 2
    errors; the identity and the log-window checks within 4 standard errors at every (N, T) of the kept
    samples; swap acceptance >= 0.2 on every pair of every ladder, and every ladder with round trips;
    P(q) broad below T_c and narrowing with N above it."""
    wf = load_workflow(WORKFLOW)
    cat = Catalog(tmp_path / "c.zarr")
    run_workflow(wf, cat, client, progress=False)
    res = reduce_sweep(cat, wf.name)["json"]
    tc, e0 = res["Tc"], res["e0"]
    assert abs(tc["value"] - 1) < 0.1 and abs(tc["value"] - 1) <= 2 * tc["err"], tc
    assert abs(e0["value"] + 0.7633) < 0.01 and abs(e0["value"] + 0.7633) <= 2 * e0["err"], e0
    assert res["checks"]["identity_ok"] and res["checks"]["windows_ok"]
    assert res["ladder"]["swap_acceptance_min"] >= 0.2 and res["ladder"]["round_trips_min"] >= 1
    assert len(res["flagged"]) < 0.05 * sum(res["samples"].values())
    ds = cat.open(wf.name).load().sel(couplings="gaussian")
    q = ds["q"].values
    widths = []
    for N in ds["N"].values:
        low = ds["P_q"].sel(N=N, T=0.5).mean("seed").values
        assert low[np.abs(q) <= 0.25].sum() > 0.1
        high = ds["P_q"].sel(N=N, T=1.3).mean("seed").values
        assert q[np.argmax(high)] == 0.0
        widths.append(np.sqrt(np.sum(q**2 * high)))
    assert np.all(np.diff(widths) < 0)
