"""Fingerprints of stored sweeps: one hash per grid point over every stored variable of the point.

Used to pin the sampler-layer redesign to the numbers of the code before it: ``fingerprints.json`` was
written by this script from commit 43baf4d (before the redesign) with::

    python tests/regression/fingerprint.py write

and ``test_regression.py`` recomputes the same sweeps with today's code and compares point by point.
A point is keyed by its coordinates (so a changed storage order of dimensions does not matter) and
hashed over the float64 bytes of the variables listed in the file (variables added later are ignored).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
SWEEPS = {
    "curie_weiss": ROOT / "workflows" / "curie_weiss.toml",
    "hopfield_regression": HERE / "hopfield_regression.toml",
    "cw_heatbath_regression": HERE / "cw_heatbath_regression.toml",
}


def _key(coords: dict) -> str:
    return ",".join(f"{k}={format(float(v), '.12g') if not isinstance(v, str) else v}"
                    for k, v in sorted(coords.items()))


def _plain(v):
    return v.item() if hasattr(v, "item") else str(v)


def point_hashes(ds, variables: list[str]) -> dict[str, str]:
    """``{coordinate key: sha256}`` of every done point of ``ds`` over ``variables``."""
    dims = [d for d in ds["done"].dims]
    done = np.asarray(ds["done"].values)
    vals = {v: np.asarray(ds[v].transpose(*dims, ...).values) for v in variables}
    out = {}
    for idx in np.argwhere(done):
        idx = tuple(int(i) for i in idx)
        coords = {d: _plain(ds[d].values[i]) for d, i in zip(dims, idx, strict=True)}
        h = hashlib.sha256()
        for v in variables:
            h.update(v.encode())
            h.update(np.ascontiguousarray(vals[v][idx], dtype=np.float64).tobytes())
        out[_key(coords)] = h.hexdigest()[:20]
    return out


def stored_variables(ds) -> list[str]:
    return sorted(v for v in ds.data_vars if v not in ("done", "requested") and "seed" in ds[v].dims)


def run_sweep(workflow: Path, catalog: Path, workers: int = 2) -> None:
    subprocess.run([sys.executable, "-c", "from pipeline.cli import app; app()", "run", str(workflow), "--catalog", str(catalog),
                    "--workers", str(workers), "--no-progress", "--set", "run.reduce=false",
                    "--set", "run.plot=false"], check=True, cwd=ROOT)


def write() -> None:
    import xarray as xr

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        cat = Path(tmp) / "c.zarr"
        for name, wf in SWEEPS.items():
            run_sweep(wf, cat)
            ds = xr.open_zarr(str(cat), group=name, consolidated=False).load()
            variables = stored_variables(ds)
            out[name] = {"workflow": str(wf.relative_to(ROOT)), "variables": variables,
                         "points": point_hashes(ds, variables)}
    (HERE / "fingerprints.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["write"]:
        write()
    else:
        print(__doc__)
