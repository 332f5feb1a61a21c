"""The shipped Hopfield phase-diagram workflow end to end (slow: ~6 min on 2 cores): the issue's bars."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from pipeline.reduce import reduce_sweep
from pipeline.run.graph import run_workflow
from pipeline.spec.workflow import load_workflow
from pipeline.store.catalog import Catalog

WORKFLOW = Path(__file__).resolve().parents[2] / "workflows" / "hopfield_phase_diagram.toml"


@pytest.mark.slow
def test_main_job_meets_the_phase_diagram_bars(tmp_path, client):
    """α_c(T → 0) within 0.010 of 0.138 and within 2 of its errors (which include the spread between
    finite-size forms); T_g at α = 0.05 and 0.1 within 0.05 of 1 + √α."""
    wf = load_workflow(WORKFLOW)
    cat = Catalog(tmp_path / "c.zarr")
    run_workflow(wf, cat, client, progress=False)
    res = reduce_sweep(cat, wf.name)["json"]
    ac = res["alpha_c"]
    assert abs(ac["value"] - 0.138) < 0.010 and abs(ac["value"] - 0.138) <= 2 * ac["err"], ac
    for a in (0.05, 0.1):
        tg = next(t for t in res["T_g"] if abs(t["alpha"] - a) < 1e-9)
        assert abs(tg["value"] - (1 + math.sqrt(a))) < 0.05, tg
