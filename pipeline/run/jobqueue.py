"""HPC batch queues through dask-jobqueue: a Slurm, PBS or SGE cluster from the ``[cluster]`` table.

Each batch job runs ``cores`` single-threaded worker processes (one chain per core). Jobs end at their
walltime; with ``lifetime`` set, workers retire gracefully before that (``--lifetime``, staggered by
``--lifetime-stagger``), the scheduler moves their work to the others and the job exits. Either way the
cluster submits a replacement job: :func:`start` always scales adaptively, a fixed ``jobs`` count too
(minimum = maximum = ``jobs``). Without ``lifetime`` the queue kills the workers mid-task; the scheduler
reruns their tasks elsewhere, so only those tasks' work is lost. Results do not depend on which worker
ran a point, so a sweep that outlives many jobs is bit-identical to one run locally.

dask-jobqueue is optional (``pip install 'spinsweep[jobqueue]'``) and imported only when needed.
"""

from __future__ import annotations

import asyncio
import re
import sys

from pipeline.errors import SpinsweepError
from pipeline.spec.cluster import BATCH_KINDS, ClusterSettings

_CLASSES = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster"}
_UNITS = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
PLACEHOLDER = "tcp://<scheduler-address>:<port>"


def _jobqueue():
    try:
        import dask_jobqueue
    except ImportError:
        raise SpinsweepError("a batch-queue [cluster] needs dask-jobqueue: pip install 'spinsweep[jobqueue]'"
                             ) from None
    return dask_jobqueue


def duration_seconds(text: str) -> float:
    """Seconds in a duration such as ``'1h50m'``, ``'90s'`` or ``'1.5h'`` (``lifetime``'s format)."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise SpinsweepError(f"duration {text!r}: expected a form such as '55m', '1h50m' or '90s'")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def walltime_seconds(text: str) -> int:
    """Seconds in a walltime, read as Slurm does: ``M``, ``M:S``, ``H:M:S``, ``D-H``, ``D-H:M``, ``D-H:M:S``."""
    days, _, clock = text.rpartition("-")
    f = [int(x) for x in clock.split(":")]
    if days or len(f) == 3:  # D-H[:M[:S]] or H:M:S
        h, m, s = (f + [0, 0])[:3]
    else:  # M[:S]
        h, m, s = 0, f[0], (f[1] if len(f) == 2 else 0)
    return ((int(days or 0) * 24 + h) * 60 + m) * 60 + s


def _hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _check(settings: ClusterSettings) -> None:
    if settings.kind not in BATCH_KINDS:
        raise SpinsweepError(f"[cluster] kind = {settings.kind!r} is not a batch queue ({', '.join(BATCH_KINDS)})")
    if settings.lifetime:
        wall = walltime_seconds(settings.walltime)
        end = duration_seconds(settings.lifetime) + duration_seconds(settings.lifetime_stagger or "0s")
        if end >= wall:
            raise SpinsweepError(
                f"[cluster] lifetime = {settings.lifetime!r} (+ lifetime_stagger = {settings.lifetime_stagger!r}) "
                f"reaches walltime = {settings.walltime!r}: the queue would kill workers before they retire; "
                "leave a margin of a few minutes plus the longest task")
    from pipeline.run.cluster import check_exposure

    check_exposure(settings)  # no scheduler beyond loopback without TLS, unless allow_insecure


def _security(settings: ClusterSettings):
    """TLS for scheduler, workers and client (the settings' files, else the Dask config), or None."""
    from pipeline.run.cluster import security

    sec = security(settings)
    return sec if (sec.tls_ca_file and sec.tls_scheduler_cert) else None


def worker_args(settings: ClusterSettings) -> list[str]:
    """The ``dask worker`` options: lifetime, stagger, and never restarting inside the job.

    A worker that restarted after its lifetime would stay in a job that the queue kills at its walltime
    mid-task; one that exits ends its job, and the cluster submits a fresh one.
    """
    if not settings.lifetime:
        return []
    args = ["--lifetime", f"{duration_seconds(settings.lifetime):g}s"]
    if settings.lifetime_stagger:
        args += ["--lifetime-stagger", f"{duration_seconds(settings.lifetime_stagger):g}s"]
    return args + ["--no-lifetime-restart"]


def job_kwargs(settings: ClusterSettings, log_directory: str | None = None) -> dict:
    """Keyword arguments shared by the dask-jobqueue cluster and job classes for ``settings``."""
    kw = dict(cores=settings.cores, processes=settings.cores, memory=settings.memory,
              queue=settings.queue, job_extra_directives=list(settings.job_extra_directives),
              job_script_prologue=list(settings.job_script_prologue), interface=settings.interface,
              local_directory=settings.local_directory, python=settings.python or sys.executable,
              worker_extra_args=worker_args(settings), log_directory=log_directory)
    wall = settings.walltime
    if settings.kind == "slurm":
        kw.update(walltime=wall, account=settings.account)
    elif settings.kind == "pbs":
        kw.update(walltime=_hms(walltime_seconds(wall)), account=settings.account)
    else:  # sge: its project (-P) plays the account's part
        kw.update(walltime=_hms(walltime_seconds(wall)), project=settings.account)
    return kw


def _scheduler_options(settings: ClusterSettings) -> dict:
    """Bind the scheduler to ``host`` (or ``interface``); its HTTP server too, with no dashboard."""
    if settings.interface:
        from distributed.utils import get_ip_interface

        try:
            ip, opts = get_ip_interface(settings.interface), {"interface": settings.interface}
        except ValueError as e:
            raise SpinsweepError(f"[cluster] interface = {settings.interface!r}: {e}") from None
    else:
        ip, opts = settings.host, {"host": settings.host}
    http = f"[{ip}]" if ":" in ip else ip
    opts.update(dashboard=settings.dashboard, dashboard_address=f"{http}:{8787 if settings.dashboard else 0}")
    return opts


def make_cluster(settings: ClusterSettings, log_directory: str | None = None):
    """A dask-jobqueue cluster (``SLURMCluster``, ``PBSCluster``, ``SGECluster``) for ``settings``, no jobs yet.

    Its scheduler runs in this process; call :func:`start` to submit jobs. ``log_directory`` keeps
    the jobs' stdout and stderr there.

    Raises
    ------
    SpinsweepError
        If dask-jobqueue is missing, the kind is not a batch queue, the lifetime does not end before the
        walltime, or the scheduler would listen off this host without TLS or ``allow_insecure``.
    """
    _check(settings)
    jq = _jobqueue()
    base = getattr(jq, _CLASSES[settings.kind])
    cls = type(base.__name__, (_ReplaceFinishedJobs, base), {})
    return cls(scheduler_options=_scheduler_options(settings), security=_security(settings),
               **job_kwargs(settings, log_directory))


def start(cluster, settings: ClusterSettings):
    """Submit jobs and keep them coming: adaptive between the bounds when set, else exactly ``jobs``.

    ``adaptive_minimum`` defaults to 0 and ``adaptive_maximum`` to ``max(jobs, adaptive_minimum)``. A
    fixed count is kept adaptively too (minimum = maximum = ``jobs``), with or without ``lifetime``: a job
    whose workers retired, or that the queue killed at its walltime, is replaced by a fresh one (a plain
    ``scale`` would never resubmit it, and a sweep longer than the walltime would stall).
    """
    lo, hi = settings.adaptive_minimum, settings.adaptive_maximum
    if lo is None and hi is None:
        lo = hi = settings.jobs
    else:
        lo = lo or 0
        hi = hi if hi is not None else max(settings.jobs, lo, 1)
    cluster.adapt(minimum_jobs=lo, maximum_jobs=hi)
    return cluster


def job_script(settings: ClusterSettings) -> str:
    """The job script that :func:`start` would submit (scheduler address left as a placeholder).

    Builds the job object alone: no scheduler starts and nothing is submitted.
    """
    _check(settings)
    jq = _jobqueue()
    job_cls = getattr(jq, _CLASSES[settings.kind]).job_cls
    security = _security(settings)
    kw = job_kwargs(settings)
    if security is not None:
        kw.update(security=security, protocol="tls://")
    return job_cls(PLACEHOLDER.replace("tcp://", "tls://") if security else PLACEHOLDER, name="dummy-name",
                   **kw).job_script()


class _ReplaceFinishedJobs:
    """Forget a job once all its workers are gone, so that adaptive scaling submits a replacement.

    ``SpecCluster`` does this for one-worker jobs only: a job of ``cores`` > 1 workers names them
    ``<job>-0``, ``<job>-1``... and the base class never matches them to the job.
    """

    def _job_of(self, name) -> str | None:
        for job, spec in self.worker_spec.items():
            if str(name) == str(job) or str(name) in {str(job) + s for s in spec.get("group", ())}:
                return job
        return None

    def _update_worker_status(self, op, msg):
        if op == "remove" and msg in self.scheduler_info.get("workers", {}):
            job = self._job_of(self.scheduler_info["workers"][msg]["name"])
            if job is not None and "group" in self.worker_spec.get(job, {}):
                import dask
                from dask.utils import parse_timedelta

                def forget():
                    left = [d["name"] for d in self.scheduler_info.get("workers", {}).values()]
                    if job in self.workers and all(self._job_of(n) != job for n in left):
                        self._futures.add(asyncio.ensure_future(self.workers[job].close()))
                        del self.workers[job]

                delay = parse_timedelta(dask.config.get("distributed.deploy.lost-worker-timeout"))
                asyncio.get_running_loop().call_later(delay, forget)
        super()._update_worker_status(op, msg)
