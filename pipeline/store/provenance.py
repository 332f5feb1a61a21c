"""Provenance of a run: versions, host, times. Kept in attributes, never in data variables."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata as _md
import platform
import socket

PACKAGES = ("numpy", "numba", "dask", "distributed", "xarray", "zarr", "scipy")


def now() -> str:
    """UTC time stamp, ISO 8601, seconds."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def versions() -> dict[str, str]:
    """Versions of spinsweep and the packages that shape its results."""
    from pipeline import __version__

    out = {"spinsweep": __version__, "python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = _md.version(p)
        except _md.PackageNotFoundError:
            out[p] = "not installed"
    return out


def host() -> str:
    """Host name of the client that ran the sweep."""
    return socket.gethostname()
