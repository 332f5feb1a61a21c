"""The zarr catalog: one group per sweep, a labelled dataset that plain xarray opens.

Layout of ``catalog.zarr/<name>`` (zarr v3): dimensions ``model.dims`` (``N``, numeric model
parameters such as ``alpha``, ``T``, ``seed``, categorical ones such as ``init``) plus ``bin``.
For each observable ``<v>``: ``<v>``, ``<v>_err``, ``tau_int_<v>`` and the bin means ``<v>_bins``;
for each derived quantity ``<d>``, ``<d>_err``; ``converged`` and the ``done`` mask. Attributes hold
the workflow text, its spec hash and provenance. Reductions live in the subgroup ``<name>/reduce``.

Arrays are chunked one N (and one value of each numeric model parameter) at a time and whole along
the other grid dimensions. Only the client writes; zarr's local store replaces each chunk file
atomically, data before the ``done`` mask, so a killed client leaves at worst points whose data is
written but not yet marked done: a rerun recomputes them bit for bit.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import warnings
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import CatalogError
from pipeline.models import Model, get_model
from pipeline.store import provenance

DEFAULT_CATALOG = Path("catalogs") / "catalog.zarr"
ENV_VAR = "SPINSWEEP_CATALOG"


def default_catalog() -> Path:
    """``$SPINSWEEP_CATALOG`` if set, else ``catalogs/catalog.zarr``."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_CATALOG)


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
        warnings.filterwarnings("ignore", category=UserWarning, module="zarr")
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="xarray")
        warnings.filterwarnings("ignore", message=".*does not have a Zarr V3 specification.*")
        yield


def variables(model: Model) -> dict[str, tuple[str, dict[str, str], bool]]:
    """Stored data variables: name -> (kind, attrs, has_bin_dim)."""
    out: dict[str, tuple[str, dict[str, str], bool]] = {}
    for o in model.observables:
        attrs = {"long_name": o.long_name, "units": o.units}
        out[o.name] = ("f8", attrs | {"description": "mean over the measurements of the chain"}, False)
        out[f"{o.name}_err"] = ("f8", {"long_name": f"standard error of {o.name} (binning)",
                                       "units": o.units}, False)
        out[f"tau_int_{o.name}"] = ("f8", {"long_name": f"integrated autocorrelation time of {o.name}",
                                           "units": "measurements"}, False)
        out[f"{o.name}_bins"] = ("f8", {"long_name": f"bin means of {o.name}", "units": o.units}, True)
    for d in model.derived:
        out[d.name] = ("f8", {"long_name": d.long_name, "units": d.units}, False)
        out[f"{d.name}_err"] = ("f8", {"long_name": f"jackknife error of {d.name}", "units": d.units}, False)
    out["converged"] = ("bool", {"long_name": "first and second halves of the measurements agree "
                                              "within 4 standard errors"}, False)
    return out


class Catalog:
    """A zarr catalog of sweeps on local disk.

    Parameters
    ----------
    path : path-like, optional
        The store; default :func:`default_catalog`.
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_catalog()

    # ---------------------------------------------------------------- reading
    def exists(self) -> bool:
        return (self.path / "zarr.json").exists()

    def names(self) -> list[str]:
        """Sweep names in the catalog."""
        if not self.exists():
            return []
        import zarr

        with _quiet():
            root = zarr.open_group(str(self.path), mode="r")
            return sorted(root.group_keys())

    def has(self, name: str) -> bool:
        return (self.path / name / "zarr.json").exists()

    def attrs(self, name: str) -> dict[str, Any]:
        self._require(name)
        return json.loads((self.path / name / "zarr.json").read_text()).get("attributes", {})

    def open(self, name: str):
        """The sweep as a lazily loaded ``xarray.Dataset``."""
        import xarray as xr

        self._require(name)
        with _quiet():
            return xr.open_zarr(str(self.path), group=name, consolidated=False)

    def open_reduction(self, name: str):
        """The stored reduction of a sweep, or ``None``."""
        import xarray as xr

        if not (self.path / name / "reduce" / "zarr.json").exists():
            return None
        with _quiet():
            return xr.open_zarr(str(self.path), group=f"{name}/reduce", consolidated=False)

    def _require(self, name: str) -> None:
        if not self.has(name):
            have = ", ".join(self.names()) or "none"
            raise CatalogError(f"sweep {name!r} not in catalog {str(self.path)!r}; sweeps there: {have}")

    def done_mask(self, name: str) -> np.ndarray:
        return self._mask(name, "done")

    def requested_mask(self, name: str) -> np.ndarray:
        """The points the sweep runs (all of the product grid unless the workflow has subsets)."""
        return self._mask(name, "requested")

    def _mask(self, name: str, var: str) -> np.ndarray:
        import zarr

        with _quiet():
            return np.asarray(zarr.open_array(str(self.path), path=f"{name}/{var}", mode="r")[...])

    # ---------------------------------------------------------------- writing
    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Exclusive lock on a sweep, so two clients never write one sweep at once."""
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / f".lock-{name}", os.O_CREAT | os.O_RDWR, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CatalogError(f"sweep {name!r} is being written by another spinsweep process "
                                   f"(lock {str(self.path / ('.lock-' + name))!r})") from None
            yield
        finally:
            os.close(fd)

    def create(self, wf, overwrite: bool = False) -> None:
        """Create the empty sweep group for workflow ``wf`` (all points not done)."""
        import dask.array as da
        import xarray as xr

        model = wf.model_def
        dims = model.dims
        shape = wf.shape
        n_outer = 1 + len(model.outer_params)
        chunks = (1,) * n_outer + shape[n_outer:]
        coords: dict[str, Any] = {d: np.asarray(wf.grid[d]) for d in dims}
        for p in model.inner_params:
            coords[p.name] = np.asarray(wf.grid[p.name], dtype=object)
        coords["bin"] = np.arange(wf.sampler.bins)
        data = {}
        for var, (kind, attrs, has_bin) in variables(model).items():
            vdims = dims + (("bin",) if has_bin else ())
            vshape = shape + ((wf.sampler.bins,) if has_bin else ())
            vchunks = chunks + ((wf.sampler.bins,) if has_bin else ())
            arr = (da.zeros(vshape, dtype=bool, chunks=vchunks) if kind == "bool"
                   else da.full(vshape, np.nan, chunks=vchunks))
            data[var] = (vdims, arr, attrs)
        data["done"] = (dims, da.zeros(shape, dtype=bool, chunks=chunks),
                        {"long_name": "point computed and stored"})
        data["requested"] = (dims, wf.requested(),
                             {"long_name": "point belongs to the sweep (the workflow's grid subsets)"})
        ds = xr.Dataset(data, coords=coords)
        ds["T"].attrs.update(long_name="temperature", units="J/k_B")
        ds["N"].attrs.update(long_name="number of spins")
        ds["seed"].attrs.update(long_name="independent sample index: its own quenched disorder (shared by every "
                                          "T) and thermal history" if model.disorder else
                                          "independent chain index (its own thermal history)")
        ds["bin"].attrs.update(long_name="measurement bin")
        ds.attrs.update(self._spec_attrs(wf))
        encoding = {v: {"chunks": chunks + ((wf.sampler.bins,) if "bin" in ds[v].dims else ())}
                    for v in ds.data_vars}
        with _quiet():  # metadata for the lazy (dask) variables; coordinates and `requested` written now
            ds.to_zarr(str(self.path), group=wf.name, mode="w", compute=False, zarr_format=3,
                       consolidated=False, encoding=encoding)
        self._consolidate(wf.name)

    @staticmethod
    def _spec_attrs(wf) -> dict[str, Any]:
        model = wf.model_def
        return {
            "spinsweep_sweep": wf.name,
            "model": wf.model,
            "model_doc": model.doc.strip().splitlines()[0],
            "workflow_seed": str(wf.seed),
            "spec_hash": wf.spec_hash(),
            "spec": json.dumps(wf.spec_dict(), default=float),
            "workflow_text": wf.text,
            "workflow_source": wf.source,
            "reduce_settings": json.dumps(wf.reduce),
            "plot_settings": json.dumps(wf.plot),
            "conventions": "sigma_i = +-1, k_B = 1, T = 1/beta; intensive quantities per spin",
            "created": provenance.now(),
            "versions": json.dumps(provenance.versions()),
            "host": provenance.host(),
        }

    def update_attrs(self, name: str, attrs: dict[str, Any]) -> None:
        import zarr

        with _quiet():
            g = zarr.open_group(str(self.path), path=name, mode="r+")
            g.attrs.update(attrs)
        self._consolidate(name)

    def _consolidate(self, name: str) -> None:
        """Rewrite the root's consolidated metadata (xarray's default open reads it from the root).

        Serialised by a catalog-wide lock, and each consolidation reads what is on disk, so the last
        one always describes every sweep, whichever clients wrote them. ``name`` is the sweep changed.
        """
        import zarr

        fd = os.open(self.path / ".lock-consolidate", os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with _quiet():
                zarr.consolidate_metadata(str(self.path), zarr_format=3)
        finally:
            os.close(fd)

    def prepare(self, wf, overwrite: bool = False) -> np.ndarray:
        """Create the sweep or check that the stored one has the same specification.

        Returns the ``done`` mask.

        Raises
        ------
        CatalogError
            If a sweep of this name exists with a different specification (unless ``overwrite``).
        """
        if self.has(wf.name) and not overwrite:
            stored = self.attrs(wf.name)
            if stored.get("spec_hash") != wf.spec_hash():
                diff = _spec_diff(json.loads(stored.get("spec", "{}")), wf.spec_dict())
                raise CatalogError(
                    f"sweep {wf.name!r} exists in {str(self.path)!r} with a different specification "
                    f"({diff}); rename the workflow, or pass --overwrite to replace the stored sweep")
            return self.done_mask(wf.name)
        self.create(wf, overwrite=overwrite)
        return np.zeros(wf.shape, dtype=bool)

    def write_points(self, wf, results: Iterable[tuple[tuple[int, ...], dict[str, Any]]]) -> int:
        """Store a batch of point results; data first, ``done`` last. Returns the number written."""
        import zarr

        model = wf.model_def
        n_outer = 1 + len(model.outer_params)
        by_block: dict[tuple[int, ...], list] = defaultdict(list)
        for idx, res in results:
            by_block[idx[:n_outer]].append((idx[n_outer:], res))
        if not by_block:
            return 0
        names = list(variables(model))
        n = 0
        with _quiet():
            g = zarr.open_group(str(self.path), path=wf.name, mode="r+")
            for block, items in by_block.items():
                for var in names:
                    arr = g[var]
                    cur = arr[block]
                    for inner, res in items:
                        cur[inner] = res[var]
                    arr[block] = cur
            done = g["done"]
            for block, items in by_block.items():
                cur = done[block]
                for inner, _ in items:
                    cur[inner] = True
                done[block] = cur
                n += len(items)
        return n

    def delete(self, name: str) -> None:
        import shutil

        self._require(name)
        shutil.rmtree(self.path / name)

    def write_reduction(self, name: str, ds) -> None:
        """Store a reduction dataset in ``<name>/reduce`` (replacing an earlier one)."""
        self._require(name)
        with _quiet():
            ds.to_zarr(str(self.path), group=f"{name}/reduce", mode="w", zarr_format=3, consolidated=False)
        self._consolidate(name)


def _spec_diff(old: dict, new: dict) -> str:
    """The first few fields that differ, e.g. "grid.seeds: 3 -> 4"."""
    out = []

    def walk(a, b, prefix):
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                walk(a.get(k), b.get(k), f"{prefix}.{k}" if prefix else k)
        elif a != b:
            fa, fb = (f"{len(x)} values" if isinstance(x, list) and len(x) > 4 else x for x in (a, b))
            out.append(f"{prefix}: {fa} -> {fb}")

    walk(old, new, "")
    return "; ".join(out[:3]) or "different specification hash"


def model_of(catalog: Catalog, name: str) -> Model:
    """The registered model of a stored sweep."""
    return get_model(catalog.attrs(name)["model"])
