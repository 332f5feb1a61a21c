"""Dask clusters: a local one of worker processes by default, or an existing scheduler by address.

HPC queues go through dask-jobqueue: start a ``SLURMCluster`` (or PBS, SGE...) in Python or with
``dask-jobqueue``'s own tools, scale it, and pass its scheduler address to ``spinsweep run
--scheduler``; the ``jobqueue`` extra installs it.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

from pipeline.errors import SpinsweepError


def default_workers() -> int:
    """Worker processes for a local cluster: one per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def connect(scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """A ``distributed.Client`` on an existing scheduler, or on a new ``LocalCluster``.

    The local cluster has ``workers`` single-threaded worker processes (numba kernels hold the GIL
    only between calls, but one chain per core is the efficient layout) and no dashboard.

    Raises
    ------
    SpinsweepError
        If the scheduler cannot be reached.
    """
    from distributed import Client, LocalCluster

    for name in ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.worker",
                 "distributed.core", "distributed.http.proxy"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as e:
            raise SpinsweepError(f"--scheduler {scheduler!r}: cannot connect ({e})") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or default_workers()
    if n < 1:
        raise SpinsweepError(f"--workers {n}: expected an integer >= 1")
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
