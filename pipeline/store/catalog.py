"""The zarr catalog: one group per sweep, a labelled dataset that plain xarray opens.

Layout of ``catalog.zarr/<name>`` (zarr v3), described by the group's own ``layout`` attribute
(:mod:`pipeline.store.layout`): grid dimensions (``N``, numeric model parameters such as ``alpha``,
``T``, ``seed``, categorical ones such as ``init``) plus the variables' own (``bin``, ``q``, ``T_pair``).
For each scalar observable ``<v>``: ``<v>``, ``<v>_err``, ``tau_int_<v>`` and the bin means
``<v>_bins``; array observables (``P_q``) with their errors; derived quantities with jackknife errors;
``converged``; ladder variables of parallel tempering; the ``done`` and ``requested`` masks. Attributes
hold the workflow text, its spec hash and provenance. Reductions live in the subgroup ``<name>/reduce``.

Bookkeeping beside the data: ``done``, ``requested``, ``failed`` (the last attempt raised; messages in
the group's ``failures`` attribute) and ``n_stored`` (results stored and marked done at each point: 1
at every done point, however often the sweep was interrupted and resumed).

Arrays are chunked one N (and one value of each numeric model parameter) at a time and whole along
the other grid dimensions up to :data:`CHUNK_POINTS` points per chunk. Only the client writes; zarr's
local store (>= 3.1.3) replaces each chunk file atomically, data before the ``done`` mask, so a killed
client leaves at worst points whose data is written but not yet marked done: a rerun recomputes them
bit for bit.
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


_HELD: dict[tuple[str, str], int] = {}
"""Sweep locks this process holds (path, name) -> depth."""


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

    def open(self, name: str, dask: bool = True):
        """The sweep as a lazily loaded ``xarray.Dataset`` (dask-backed unless ``dask=False``, which the
        quick catalog commands use: it spares importing dask)."""
        import xarray as xr

        self._require(name)
        with _quiet():
            return xr.open_zarr(str(self.path), group=name, consolidated=False, **({} if dask else {"chunks": None}))

    def read(self, name: str, var: str) -> np.ndarray:
        """One stored array of a sweep, whole, as numpy (zarr only: no xarray, no dask)."""
        return self._mask(name, var)

    def reduction_attrs(self, name: str) -> dict[str, Any] | None:
        """The attributes of the stored reduction of a sweep (method, created, summary), or ``None``."""
        path = self.path / name / "reduce" / "zarr.json"
        if not path.exists():
            return None
        return json.loads(path.read_text()).get("attributes", {})

    def open_reduction(self, name: str):
        """The stored reduction of a sweep, or ``None``."""
        import xarray as xr

        if not (self.path / name / "reduce" / "zarr.json").exists():
            return None
        with _quiet():
            return xr.open_zarr(str(self.path), group=f"{name}/reduce", consolidated=False)

    def _require(self, name: str) -> None:
        if not name or name.startswith(".") or any(c in name for c in "/\\") or not name.isprintable():
            raise CatalogError(f"sweep name {name!r}: not a sweep name (letters, digits, '_', '-', '.'; "
                               "no path separators, not starting with '.')")
        if not self.has(name):
            have = ", ".join(self.names()) or "none"
            raise CatalogError(f"sweep {name!r} not in catalog {str(self.path)!r}; sweeps there: {have}")

    def has_variable(self, name: str, var: str) -> bool:
        return (self.path / name / var / "zarr.json").exists()

    def done_mask(self, name: str) -> np.ndarray:
        return self._mask(name, "done")

    def failed_mask(self, name: str) -> np.ndarray:
        """The points whose last attempt raised (all False for a sweep stored before failures were kept)."""
        if not self.has_variable(name, "failed"):
            return np.zeros_like(self.done_mask(name))
        return self._mask(name, "failed")

    def requested_mask(self, name: str) -> np.ndarray:
        """The points the sweep runs (all of the product grid unless the workflow has subsets)."""
        return self._mask(name, "requested")

    def _mask(self, name: str, var: str) -> np.ndarray:
        import zarr

        if not self.has_variable(name, var):
            raise CatalogError(f"sweep {name!r} has no variable {var!r}")
        with _quiet():
            return np.asarray(zarr.open_array(str(self.path), path=f"{name}/{var}", mode="r")[...])

    # ---------------------------------------------------------------- writing
    @contextlib.contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Exclusive lock on a sweep, so two processes never write one sweep at once (re-entrant within one).

        Raises
        ------
        CatalogError
            If another process holds it: the second run of a sweep name is refused, not queued.
        """
        key = (str(self.path.resolve()), name)
        if key in _HELD:
            _HELD[key] += 1
            try:
                yield
            finally:
                _HELD[key] -= 1
            return
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / f".lock-{name}", os.O_CREAT | os.O_RDWR, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CatalogError(f"sweep {name!r} is being written by another spinsweep process "
                                   f"(lock {str(self.path / ('.lock-' + name))!r}); wait for it to finish, "
                                   "or run under another name") from None
            _HELD[key] = 1
            try:
                yield
            finally:
                del _HELD[key]
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

        coords: dict[str, Any] = {}
        for d, vals in layout.coords.items():
            coords[d] = np.asarray(vals, dtype=object) if d in layout.categorical else np.asarray(vals)
        sizes = {d: len(v) for d, v in layout.coords.items()}
        grid_chunks = dict(zip(layout.dims, grid_chunk_shape(layout), strict=True))

        def chunks_of(dims):
            return tuple(grid_chunks.get(d, sizes[d]) for d in dims)

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
        grid_ch = chunks_of(layout.dims)
        data["done"] = (layout.dims, da.zeros(layout.shape, dtype=bool, chunks=grid_ch),
                        {"long_name": "point computed and stored"})
        data["failed"] = (layout.dims, da.zeros(layout.shape, dtype=bool, chunks=grid_ch),
                          {"long_name": "the point's last attempt raised (its message: the group's `failures` "
                                        "attribute); a rerun retries it"})
        data["n_stored"] = (layout.dims, da.zeros(layout.shape, dtype=np.int32, chunks=grid_ch),
                            {"long_name": "results of the point stored and marked done (1 once done: a rerun never "
                                          "recomputes a done point)"})
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
        ds.attrs["failures"] = "{}"
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
            done = self.done_mask(name)
            self._forget_unmarked(name, done)
            return done
        self.create(name, layout, attrs, requested)
        return np.zeros(layout.shape, dtype=bool)

    def _forget_unmarked(self, name: str, done: np.ndarray) -> None:
        """Reset ``n_stored`` of points not marked done (a crash between a batch's data and its ``done``),
        so that it counts the results that were stored *and* kept: 1 at every done point, whatever happened."""
        import zarr

        if not self.has_variable(name, "n_stored"):
            return
        with _quiet():
            arr = zarr.open_array(str(self.path), path=f"{name}/n_stored", mode="r+")
            n = np.asarray(arr[...])
            stale = (n > 0) & ~done
            if stale.any():
                n[stale] = 0
                arr[...] = n

    def write_points(self, name: str, points: Iterable[tuple[tuple[int, ...], dict[str, Any]]],
                     ladders: Iterable[tuple[tuple[int, ...], dict[str, Any]]] = (),
                     layout: Layout | None = None,
                     failures: Iterable[tuple[tuple[int, ...], str]] = ()) -> int:
        """Store a batch of results: data first (points, then ladders), then ``n_stored``, ``done`` last.

        ``points`` are (grid index, {variable: value}); ``ladders`` are (ladder index, {variable: value})
        with the ladder index over :attr:`Layout.ladder_dims`; ``failures`` are (grid index, message) of
        points whose simulation raised: they are marked ``failed`` (not done) and their messages kept in
        the group's ``failures`` attribute until a rerun stores them. Each chunk file is replaced
        atomically (zarr >= 3.1.3), so a crash mid-batch leaves at worst data without its ``done`` mark,
        which a rerun recomputes bit for bit. Returns the number of points written.
        """
        import zarr

        layout = layout or self.layout(name)
        points, ladders, failures = list(points), list(ladders), list(failures)
        if not points and not ladders and not failures:
            return 0
        with _quiet():
            g = zarr.open_group(str(self.path), path=name, mode="r+")
            for var in layout.point_variables():
                _set(g[var], [(i, r[var]) for i, r in points])
            for var in layout.ladder_variables():
                _set(g[var], [(i, r[var]) for i, r in ladders])
            keys = set(g.array_keys()) if failures or points else set()
            if "failed" in keys:
                _set(g["failed"], [(i, False) for i, _ in points] + [(i, True) for i, _ in failures])
            if "n_stored" in keys:
                _set(g["n_stored"], [(i, 1) for i, _ in points], add=True)
            _set(g["done"], [(i, True) for i, _ in points])
        self._record_failures(name, layout, points, failures)
        return len(points)

    def failures(self, name: str) -> dict[str, dict[str, Any]]:
        """Failed points of a sweep: ``{flat index: {"coords": {...}, "error": message}}``."""
        return json.loads(self.attrs(name).get("failures", "{}"))

    def _record_failures(self, name: str, layout: Layout, points, failures) -> None:
        stored = self.failures(name) if self.has(name) else {}
        def flat(idx):
            return str(int(np.ravel_multi_index(idx, layout.shape)))

        cleared = [k for k in (flat(i) for i, _ in points) if k in stored]
        if not failures and not cleared:
            return
        for k in cleared:
            del stored[k]
        for idx, msg in failures:
            if len(stored) >= MAX_FAILURE_MESSAGES:
                break
            stored[flat(idx)] = {"coords": {d: layout.coords[d][i] for d, i in zip(layout.dims, idx, strict=True)},
                                 "error": msg[:MAX_MESSAGE_CHARS]}
        self.update_attrs(name, {"failures": json.dumps(stored, default=float)})

    def remove_if_empty(self) -> None:
        """Remove the catalog folder if it holds nothing but lock files (a run that failed before writing)."""
        if self.path.is_dir() and all(p.name.startswith(".lock-") for p in self.path.iterdir()):
            for p in self.path.iterdir():
                p.unlink()
            self.path.rmdir()

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


MAX_FAILURE_MESSAGES = 1000
"""Failure messages kept per sweep (the ``failed`` mask marks every failed point)."""
MAX_MESSAGE_CHARS = 500
CHUNK_POINTS = 4096
"""At most this many grid points per chunk (beyond the outer dimensions' one value per chunk), so that a
batch rewrites a bounded amount of data however big the grid."""


def grid_chunk_shape(layout: Layout) -> tuple[int, ...]:
    """Chunks of the grid dimensions: one value of each outer dimension (N, numeric model parameters), the
    others whole unless that exceeds :data:`CHUNK_POINTS` points, when the trailing ones are halved."""
    ch = [1 if k < layout.n_outer else n for k, n in enumerate(layout.shape)]
    for k in range(len(ch) - 1, layout.n_outer - 1, -1):
        while int(np.prod(ch)) > CHUNK_POINTS and ch[k] > 1:
            ch[k] = -(-ch[k] // 2)
    return tuple(ch)


def _set(arr, items: list[tuple[tuple[int, ...], Any]], add: bool = False) -> None:
    """Write values at leading indices of ``arr`` (a zarr array), one read-modify-write per touched chunk.

    ``items`` are (index over the leading dimensions, value over the rest); ``add`` adds to what is there.
    """
    if not items:
        return
    k = len(items[0][0])
    chunks = arr.chunks[:k]
    by_chunk: dict[tuple[int, ...], list] = defaultdict(list)
    for idx, v in items:
        by_chunk[tuple(i // c for i, c in zip(idx, chunks, strict=True))].append((idx, v))
    for ck, group in by_chunk.items():
        region = tuple(slice(c * s, min((c + 1) * s, n)) for c, s, n in zip(ck, chunks, arr.shape[:k], strict=True))
        cur = arr[region]
        for idx, v in group:
            local = tuple(i - r.start for i, r in zip(idx, region, strict=True))
            cur[local] = cur[local] + v if add else v
        arr[region] = cur


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
