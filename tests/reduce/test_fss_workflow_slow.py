"""The shipped FSS workflow end to end (slow: ~4 min on 2 cores): the issue's bars on T_c and exponents."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.reduce import reduce_sweep
from pipeline.run.graph import run_workflow
from pipeline.spec.workflow import load_workflow
from pipeline.store.catalog import Catalog

WORKFLOW = Path(__file__).resolve().parents[2] / "workflows" / "curie_weiss_fss.toml"


@pytest.mark.slow
def test_fss_workflow_recovers_mean_field_values(tmp_path, client):
    """T_c within 0.01 of 1, β within 0.05 of 1/2, γ within 0.1 of 1, ν̄ within 0.3 of 2, each within
    2 of its reported errors (the errors include the finite-size systematics, so 2σ is the bar)."""
    wf = load_workflow(WORKFLOW)
    cat = Catalog(tmp_path / "c.zarr")
    run_workflow(wf, cat, client, progress=False)
    res = reduce_sweep(cat, wf.name)["json"]
    ex = res["exponents"]
    for name, got, truth, tol in (("Tc", res["Tc"], 1.0, 0.01), ("beta", ex["beta"], 0.5, 0.05),
                                  ("gamma", ex["gamma"], 1.0, 0.1), ("nu_bar", ex["nu_bar"], 2.0, 0.3)):
        assert abs(got["value"] - truth) < tol, (name, got)
        assert abs(got["value"] - truth) < 2 * got["err"], (name, got)
