"""Select grid points of a stored sweep and turn them into records (table, CSV, JSON)."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import numpy as np

from pipeline.errors import CatalogError

_WHERE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(==|=|!=|<=|>=|<|>)\s*(.+?)\s*$")
_OPS = {
    "=": np.equal, "==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
    ">": np.greater, ">=": np.greater_equal,
}


def parse_where(clause: str, dims: tuple[str, ...]) -> tuple[str, str, Any]:
    """``"T<1.2"`` → ``("T", "<", 1.2)``.

    Raises
    ------
    CatalogError
        If the clause is malformed or names no dimension of the sweep.
    """
    m = _WHERE.match(clause)
    if not m:
        raise CatalogError(f"--where {clause!r}: expected NAME OP VALUE with OP one of "
                           f"{', '.join(_OPS)}, e.g. 'N=64' or 'T<1.2'")
    name, op, raw = m.groups()
    if name not in dims:
        raise CatalogError(f"--where {clause!r}: {name!r} is not a dimension; allowed: {', '.join(dims)}")
    raw = raw.strip("'\"")
    try:
        value: Any = float(raw)
    except ValueError:
        value = raw
    return name, op, value


def select(ds, clauses: list[str]):
    """Subset ``ds`` by ``--where`` clauses on its grid dimensions (floats compared with a tolerance)."""
    dims = tuple(d for d in ds.dims if d != "bin")
    for clause in clauses:
        name, op, value = parse_where(clause, dims)
        coord = ds[name].values
        numeric = np.issubdtype(coord.dtype, np.number)
        if not numeric:
            coord = np.array([str(c) for c in coord], dtype=object)
        if isinstance(value, str) == numeric:
            kind = "numbers" if numeric else "text"
            raise CatalogError(f"--where {clause!r}: {name} holds {kind}; values: "
                               f"{', '.join(map(str, coord[:8]))}")
        if isinstance(value, float) and op in ("=", "==", "!="):
            close = np.isclose(coord.astype(float), value, rtol=1e-9, atol=1e-12)
            mask = close if op != "!=" else ~close
        else:
            mask = _OPS[op](coord, value)
        ds = ds.isel({name: np.flatnonzero(mask)})
    return ds


def records(ds, variables: list[str], only_done: bool = True) -> list[dict[str, Any]]:
    """One record per grid point: coordinates, then each variable and its error (when stored).

    A variable with a dimension of its own (``P_q`` over ``q``) gives a list per point; a ladder
    variable (no ``T``) is repeated at every T of its ladder.
    """
    import xarray as xr

    dims = list(ds["done"].dims)
    if not variables:
        raise CatalogError("--var: name at least one variable")
    cols: list[str] = []
    for v in variables:
        if v not in ds.data_vars:
            have = sorted(x for x in ds.data_vars if not x.endswith("_bins"))
            raise CatalogError(f"--var {v!r}: not in the sweep; variables: {', '.join(have)}")
        if "bin" in ds[v].dims:
            raise CatalogError(f"--var {v!r} has a bin dimension; query its summary instead")
        cols.append(v)
        if f"{v}_err" in ds.data_vars and not v.endswith("_err"):
            cols.append(f"{v}_err")
    sub = ds[cols + ["done"]].load()
    flat = {}
    for c in cols:
        arr = xr.broadcast(sub[c], sub["done"])[0]
        extra = [d for d in arr.dims if d not in dims]
        vals = arr.transpose(*dims, *extra).values
        flat[c] = vals.reshape(sub["done"].size, -1) if extra else vals.ravel()
    mesh = np.meshgrid(*(sub[d].values for d in dims), indexing="ij")
    done = sub["done"].transpose(*dims).values.ravel()
    out = []
    for k in range(done.size):
        if only_done and not done[k]:
            continue
        rec: dict[str, Any] = {d: _py(mesh[i].ravel()[k]) for i, d in enumerate(dims)}
        for c in cols:
            v = flat[c][k]
            rec[c] = [_py(x) for x in v] if np.ndim(v) else _py(v)
        out.append(rec)
    return out


def _py(x: Any) -> Any:
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        x = float(x)
        return None if np.isnan(x) else x
    return x


def format_records(recs: list[dict[str, Any]], fmt: str) -> str:
    """Render records as ``table``, ``csv`` or ``json``."""
    if fmt == "json":
        return json.dumps(recs, indent=None)
    cols = list(recs[0]) if recs else []
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(recs)
        return buf.getvalue().rstrip("\n")
    if fmt == "table":
        if not recs:
            return "(no points)"

        def cell(v):
            if isinstance(v, float):
                return f"{v:.6g}"
            return "" if v is None else str(v)

        rows = [[cell(r[c]) for c in cols] for r in recs]
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
        lines = ["  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))]
        lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
        return "\n".join(lines)
    raise CatalogError(f"--format {fmt!r}: expected one of table, csv, json")
