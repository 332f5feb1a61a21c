"""The zarr catalog: one group per sweep, a labelled dataset that plain xarray opens.

Layout of ``catalog.zarr/<name>`` (zarr v3), described by the group's own ``layout`` attribute
(:mod:`pipeline.store.layout`): grid dimensions (``N``, numeric model parameters such as ``alpha``,
``T``, ``seed``, categorical ones such as ``init``) plus the variables' own (``bin``, ``q``, ``T_pair``).
For each scalar observable ``<v>``: ``<v>``, ``<v>_err``, ``tau_int_<v>`` and the bin means
``<v>_bins``; array observables (``P_q``) with their errors; derived quantities with jackknife errors;
``converged``; ladder variables of parallel tempering; the ``done`` and ``requested`` masks. Attributes
hold the workflow text, its spec hash and provenance. Reductions live in the subgroup ``<name>/reduce``.

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
from pipeline.store.layout import Layout

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

    def layout(self, name: str) -> Layout:
        """The stored layout of a sweep (dimensions, coordinates, variables)."""
        attrs = self.attrs(name)
        if "layout" not in attrs:
            raise CatalogError(f"sweep {name!r} in {str(self.path)!r} has no stored layout (written by a "
                               "spinsweep before 0.2); rerun its workflow with --overwrite")
        return Layout.from_json(attrs["layout"])

    def create(self, name: str, layout: Layout, attrs: dict[str, Any], requested: np.ndarray) -> None:
        """Create the empty sweep group ``name`` (no point done) with its layout and attributes."""
        import dask.array as da
        import xarray as xr

        n_outer = layout.n_outer
        coords: dict[str, Any] = {}
        for d, vals in layout.coords.items():
            coords[d] = np.asarray(vals, dtype=object) if d in layout.categorical else np.asarray(vals)
        sizes = {d: len(v) for d, v in layout.coords.items()}

        def chunks_of(dims):
            return tuple(1 if d in layout.dims[:n_outer] else sizes[d] for d in dims)

        data = {}
        for var, v in layout.variables.items():
            shape = tuple(sizes[d] for d in v.dims)
            ch = chunks_of(v.dims)
            if v.dtype == "bool":
                arr = da.zeros(shape, dtype=bool, chunks=ch)
            elif v.dtype == "i8":
                arr = da.full(shape, -1, dtype=np.int64, chunks=ch)
            else:
                arr = da.full(shape, np.nan, chunks=ch)
            data[var] = (v.dims, arr, v.attrs)
        data["done"] = (layout.dims, da.zeros(layout.shape, dtype=bool, chunks=chunks_of(layout.dims)),
                        {"long_name": "point computed and stored"})
        data["requested"] = (layout.dims, requested,
                             {"long_name": "point belongs to the sweep (the workflow's grid subsets)"})
        for d in layout.categorical:  # labels need zarr-python's string type; codes open in any zarr v3 reader
            labels = list(layout.coords[d])
            coords[f"{d}_code"] = (d, np.arange(len(labels), dtype=np.int8),
                                   {"long_name": f"integer code of {d}", "flag_values": list(range(len(labels))),
                                    "flag_meanings": " ".join(labels)})
        ds = xr.Dataset(data, coords=coords)
        for d, a in layout.coord_attrs.items():
            if d in ds.coords:
                ds[d].attrs.update(a)
        ds.attrs.update(attrs)
        ds.attrs["layout"] = layout.to_json()
        encoding = {v: {"chunks": chunks_of(ds[v].dims)} for v in ds.data_vars}
        with _quiet():  # metadata for the lazy (dask) variables; coordinates and `requested` written now
            ds.to_zarr(str(self.path), group=name, mode="w", compute=False, zarr_format=3,
                       consolidated=False, encoding=encoding)
        self._consolidate(name)

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

    def prepare(self, name: str, layout: Layout, attrs: dict[str, Any], requested: np.ndarray,
                overwrite: bool = False) -> np.ndarray:
        """Create the sweep or check that the stored one has the same specification (``attrs["spec_hash"]``).

        Returns the ``done`` mask.

        Raises
        ------
        CatalogError
            If a sweep of this name exists with a different specification (unless ``overwrite``).
        """
        if self.has(name) and not overwrite:
            stored = self.attrs(name)
            if stored.get("spec_hash") != attrs.get("spec_hash"):
                diff = _spec_diff(json.loads(stored.get("spec", "{}")), json.loads(attrs.get("spec", "{}")))
                raise CatalogError(
                    f"sweep {name!r} exists in {str(self.path)!r} with a different specification "
                    f"({diff}); rename the workflow, or pass --overwrite to replace the stored sweep")
            self.layout(name)  # refuse a sweep without a stored layout before computing anything
            return self.done_mask(name)
        self.create(name, layout, attrs, requested)
        return np.zeros(layout.shape, dtype=bool)

    def write_points(self, name: str, points: Iterable[tuple[tuple[int, ...], dict[str, Any]]],
                     ladders: Iterable[tuple[tuple[int, ...], dict[str, Any]]] = (),
                     layout: Layout | None = None) -> int:
        """Store a batch of results; data first (points, then ladders), ``done`` last.

        ``points`` are (grid index, {variable: value}); ``ladders`` are (ladder index, {variable: value})
        with the ladder index over :attr:`Layout.ladder_dims`. Returns the number of points written.
        """
        import zarr

        layout = layout or self.layout(name)
        n_outer = layout.n_outer
        points, ladders = list(points), list(ladders)
        if not points and not ladders:
            return 0
        with _quiet():
            g = zarr.open_group(str(self.path), path=name, mode="r+")
            for items, names in ((points, layout.point_variables()), (ladders, layout.ladder_variables())):
                by_block: dict[tuple[int, ...], list] = defaultdict(list)
                for idx, res in items:
                    by_block[tuple(idx[:n_outer])].append((tuple(idx[n_outer:]), res))
                for block, group in by_block.items():
                    for var in names:
                        arr = g[var]
                        cur = arr[block]
                        for inner, res in group:
                            cur[inner] = res[var]
                        arr[block] = cur
            done = g["done"]
            by_block = defaultdict(list)
            for idx, _ in points:
                by_block[tuple(idx[:n_outer])].append(tuple(idx[n_outer:]))
            for block, inner in by_block.items():
                cur = done[block]
                for i in inner:
                    cur[i] = True
                done[block] = cur
        return len(points)

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
