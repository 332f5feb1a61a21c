"""Shared fixtures: small workflows written to temporary files, a real LocalCluster."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

CW_TOML = """
name = "{name}"
model = "curie_weiss"
seed = 7

[grid]
N = {N}
T = {T}
seeds = {seeds}

[sampler]
algorithm = "{algorithm}"
thermalize = {thermalize}
sweeps = {sweeps}
bins = {bins}
"""


def cw_workflow(tmp_path: Path, name: str = "cw", N=(16, 32), T=(0.8, 1.2), seeds: int = 2,
                algorithm: str = "metropolis", thermalize: int = 200, sweeps: int = 2000,
                bins: int = 16) -> Path:
    """Write a small Curie-Weiss workflow and return its path."""
    text = CW_TOML.format(name=name, N=[int(n) for n in N], T=[float(t) for t in T], seeds=seeds, algorithm=algorithm,
                          thermalize=thermalize, sweeps=sweeps, bins=bins)
    path = tmp_path / f"{name}.toml"
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(scope="session")
def client():
    """A real two-process LocalCluster, shared by the tests that need one."""
    from pipeline.run.cluster import connect
    from pipeline.spec.cluster import ClusterSettings

    with connect(ClusterSettings(workers=2)) as conn:
        yield conn.client
