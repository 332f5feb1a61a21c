"""``spinsweep run --dry-run``: the plan's time estimate uses each model's measured work rate."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.models import available, get_model
from pipeline.run.plan import duration, plan
from pipeline.run.tasks import POINT_SECONDS
from pipeline.spec.cluster import ClusterSettings
from pipeline.spec.limits import estimate
from pipeline.spec.workflow import load_workflow
from pipeline.store.catalog import Catalog

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def test_every_model_states_a_positive_work_rate():
    for name in available():
        assert get_model(name).work_per_second > 0, name


@pytest.mark.parametrize("name", ["curie_weiss", "hopfield_tc", "sk_spin_glass"])
def test_plan_divides_the_cost_by_the_models_rate(tmp_path, name):
    wf = load_workflow(WORKFLOWS / f"{name}.toml")
    text = plan(wf, Catalog(tmp_path / "none.zarr"), ClusterSettings(kind="local", workers=2))
    cost = estimate(wf).cost
    assert f"cost: {cost:.3g} work units" in text
    core_s = cost / wf.model_def.work_per_second + POINT_SECONDS * wf.n_points
    assert f"~{duration(core_s)} of one core" in text and f"~{duration(core_s / 2)} on 2 workers" in text
    assert not (tmp_path / "none.zarr").exists()  # a plan writes nothing
