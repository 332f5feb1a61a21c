"""Where a sweep runs: a local cluster, an existing Dask scheduler, or an HPC queue through dask-jobqueue.

The target comes from the workflow's ``[cluster]`` table (:class:`~pipeline.spec.cluster.ClusterSettings`)
with the command line's flags on top. Nothing a local run opens is reachable from the network: the
scheduler, the nannies and the workers listen on 127.0.0.1, and the dashboard is off unless asked
for (then on 127.0.0.1 too). Listening beyond loopback needs TLS (``tls_ca_file``, ``tls_cert``,
``tls_key``, or a ``distributed.comm.tls`` section in the Dask config), or ``allow_insecure``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.errors import SpinsweepError
from pipeline.spec.cluster import ClusterSettings

_QUIET = ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.worker",
          "distributed.core", "distributed.http.proxy", "distributed.deploy.adaptive", "dask_jobqueue")


def default_workers() -> int:
    """Worker processes for a local cluster: one per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS
        return max(1, os.cpu_count() or 1)


@dataclass
class Connection:
    """A client on its cluster: ``expected_workers`` sizes the tasks before a batch cluster's jobs start."""

    client: object
    expected_workers: int
    description: str
    dashboard: str | None = None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) resolves only to loopback addresses."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        addrs = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addrs) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addrs)


def security(settings: ClusterSettings):
    """A ``distributed.Security`` from the settings' TLS files, else from the Dask config (may be empty)."""
    from distributed.security import Security

    if settings.tls:
        for f in (settings.tls_ca_file, settings.tls_cert, settings.tls_key):
            if f and not os.path.isfile(os.path.expanduser(f)):
                raise SpinsweepError(f"TLS file {f!r} not found")
        files = {k: os.path.expanduser(v) if v else None for k, v in (
            ("tls_ca_file", settings.tls_ca_file), ("tls_client_cert", settings.tls_cert),
            ("tls_client_key", settings.tls_key), ("tls_scheduler_cert", settings.tls_cert),
            ("tls_scheduler_key", settings.tls_key), ("tls_worker_cert", settings.tls_cert),
            ("tls_worker_key", settings.tls_key))}
        return Security(require_encryption=True, **files)
    return Security()


def _has_tls(sec) -> bool:
    return bool(getattr(sec, "tls_ca_file", None) and getattr(sec, "tls_scheduler_cert", None))


def check_exposure(settings: ClusterSettings, sec=None) -> None:
    """Refuse a local or batch scheduler listening beyond loopback without TLS, unless ``allow_insecure``."""
    if settings.kind == "scheduler" or settings.allow_insecure:
        return
    host = settings.host
    if settings.kind != "local" and settings.interface is None and host == "127.0.0.1":
        return  # a batch scheduler on this host's loopback: its jobs must run here (the test Slurm)
    if not is_loopback(host) or settings.interface not in (None, "lo"):
        if not _has_tls(sec if sec is not None else security(settings)):
            where = f"interface {settings.interface!r}" if settings.interface not in (None, "lo") else f"host {host!r}"
            raise SpinsweepError(f"[cluster] {where}: a scheduler listening beyond 127.0.0.1 without TLS lets anyone "
                                 "on the network run code on it; give tls_ca_file, tls_cert and tls_key "
                                 "(--tls-ca-file/--tls-cert/--tls-key), or pass --allow-insecure")


@contextlib.contextmanager
def connect(settings: ClusterSettings) -> Iterator[Connection]:
    """A ``distributed.Client`` on the cluster the settings name, closed (with its cluster) on exit.

    Raises
    ------
    SpinsweepError
        If the scheduler cannot be reached, the settings expose a cluster without TLS, or dask-jobqueue
        is missing for a batch target.
    """
    from distributed import Client

    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.ERROR)
    if settings.dashboard:
        import importlib.util

        if importlib.util.find_spec("bokeh") is None:
            raise SpinsweepError("--dashboard: the Dask dashboard needs bokeh; pip install 'spinsweep[dashboard]' "
                                 "(or bokeh>=3.1)")
    sec = security(settings)
    if settings.kind == "scheduler":
        try:
            if settings.scheduler_file:
                path = os.path.expanduser(settings.scheduler_file)
                if not os.path.isfile(path):
                    raise SpinsweepError(f"--scheduler-file {settings.scheduler_file!r}: no such file")
                client = Client(scheduler_file=path, timeout=settings.connect_timeout, security=sec)
                where = f"scheduler from {settings.scheduler_file}"
            else:
                client = Client(settings.address, timeout=settings.connect_timeout, security=sec)
                where = f"scheduler {settings.address}"
        except (OSError, TimeoutError, ValueError) as e:
            target = settings.address or settings.scheduler_file
            raise SpinsweepError(f"--scheduler {target!r}: cannot connect ({e})") from None
        try:
            n = len(client.scheduler_info(n_workers=-1).get("workers", {}))
            yield Connection(client, max(1, n), where, client.dashboard_link if settings.dashboard else None)
        finally:
            client.close()
        return
    check_exposure(settings, sec)
    if settings.batch:
        from pipeline.run.jobqueue import make_cluster, start

        cluster = make_cluster(settings)
        try:
            start(cluster, settings)
            client = Client(cluster, security=sec if _has_tls(sec) else None)
            jobs = settings.adaptive_maximum or settings.jobs
            try:
                yield Connection(client, max(1, jobs * settings.cores), f"{settings.kind} via dask-jobqueue")
            finally:
                client.close()
        finally:
            cluster.close()
        return
    from distributed import LocalCluster

    n = settings.workers or default_workers()
    tls = _has_tls(sec)
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host=settings.host,
                           protocol="tls://" if tls else "tcp://", security=sec if tls else None,
                           dashboard_address=f"{settings.host}:0", worker_dashboard_address=None,
                           # the scheduler's HTTP server (health, metrics) always runs: on a free loopback
                           # port, with the dashboard's pages only when asked for
                           scheduler_kwargs={"dashboard": settings.dashboard}, silence_logs=logging.ERROR)
    client = Client(cluster, security=sec if tls else None)
    try:
        yield Connection(client, n, f"local cluster of {n} worker processes on {settings.host}",
                         client.dashboard_link if settings.dashboard else None)
    finally:
        client.close()
        cluster.close()
