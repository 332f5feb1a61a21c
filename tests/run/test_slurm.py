"""Sweeps through dask-jobqueue on a real single-node Slurm (scripts/slurm/start.sh), against local runs.

The ``slurm`` tests need root and Debian's slurm-wlm + munge; they start the test Slurm once per session
(or reuse one already up in ``$SPINSWEEP_SLURM_DIR``, default /tmp/spinsweep-slurm) and skip otherwise.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import SpinsweepError
from pipeline.spec.cluster import ClusterSettings
from tests.conftest import cw_workflow

ROOT = Path(__file__).resolve().parents[2]
SLURM_DIR = Path(os.environ.get("SPINSWEEP_SLURM_DIR", "/tmp/spinsweep-slurm"))


# ---------------------------------------------------------------- no Slurm needed


def test_job_script_carries_walltime_queue_lifetime_and_directives():
    pytest.importorskip("dask_jobqueue")
    from pipeline.run.jobqueue import job_script

    s = ClusterSettings(kind="slurm", queue="short", account="phys", cores=4, memory="8GiB", walltime="02:00:00",
                        lifetime="1h50m", lifetime_stagger="4m", python="/opt/venv/bin/python",
                        job_extra_directives=("--constraint=avx512",), job_script_prologue=("module load gcc",))
    script = job_script(s)
    for line in ("#SBATCH -t 02:00:00", "#SBATCH -p short", "#SBATCH -A phys", "#SBATCH --cpus-per-task=4",
                 "#SBATCH --mem=8G", "#SBATCH --constraint=avx512", "module load gcc"):
        assert line in script.splitlines(), line
    cmd = script.splitlines()[-1]
    assert cmd.startswith("/opt/venv/bin/python -m distributed.cli.dask_worker ")
    assert "--nworkers 4" in cmd and "--nthreads 1" in cmd and "--memory-limit 2.00GiB" in cmd
    assert "--lifetime 6600s --lifetime-stagger 240s --no-lifetime-restart" in cmd
    pbs = job_script(s.with_overrides(kind="pbs", walltime="1-12:00:00"))
    assert "#PBS -l walltime=36:00:00" in pbs and "#PBS -q short" in pbs
    assert "#$ -P phys" in job_script(s.with_overrides(kind="sge"))
    assert "--lifetime" not in job_script(ClusterSettings(kind="slurm"))


@pytest.mark.parametrize("kw, match", [
    (dict(walltime="01:00:00", lifetime="58m", lifetime_stagger="2m"), "reaches walltime"),
    (dict(host="0.0.0.0"), "without TLS"),
    (dict(kind="local"), "not a batch queue"),
])
def test_refusals(kw, match):
    pytest.importorskip("dask_jobqueue")
    from pipeline.run.jobqueue import job_script, make_cluster

    s = ClusterSettings(**{"kind": "slurm", **kw})
    for f in (job_script, make_cluster):
        with pytest.raises(SpinsweepError, match=match):
            f(s)


def test_missing_dask_jobqueue_says_how_to_install(monkeypatch):
    from pipeline.run.jobqueue import job_script

    monkeypatch.setitem(__import__("sys").modules, "dask_jobqueue", None)  # import now raises ImportError
    with pytest.raises(SpinsweepError, match=re.escape("pip install 'spinsweep[jobqueue]'")):
        job_script(ClusterSettings(kind="slurm"))


# ---------------------------------------------------------------- a real Slurm


@pytest.fixture(scope="session")
def slurm():
    """The test Slurm's config path, with SLURM_CONF set; stopped at the end if this session started it."""
    missing = [c for c in ("slurmctld", "slurmd", "sbatch", "munged") if not shutil.which(c)]
    if missing:
        pytest.skip(f"Slurm not installed ({', '.join(missing)} missing): apt-get install slurm-wlm munge")
    if os.geteuid() != 0:
        pytest.skip("the test Slurm needs root (slurmd starts jobs as their owner)")
    pytest.importorskip("dask_jobqueue")
    pid = SLURM_DIR / "slurmctld.pid"
    ours = not (pid.exists() and Path(f"/proc/{pid.read_text().strip()}").exists())
    out = subprocess.run([ROOT / "scripts/slurm/start.sh", SLURM_DIR], capture_output=True, text=True, timeout=120)
    if out.returncode:
        pytest.fail(f"scripts/slurm/start.sh failed:\n{out.stdout}{out.stderr}")
    old = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(SLURM_DIR / "slurm.conf")
    yield os.environ["SLURM_CONF"]
    if ours:
        subprocess.run([ROOT / "scripts/slurm/stop.sh", SLURM_DIR], timeout=120)
    if old is None:
        os.environ.pop("SLURM_CONF", None)
    else:
        os.environ["SLURM_CONF"] = old


@contextlib.contextmanager
def _logs_on_failure(log_dir: Path):
    """Print the jobs' logs (and the Slurm daemons' tails) when the block fails."""
    try:
        yield
    except BaseException:
        for f in sorted(log_dir.glob("*")) + sorted((SLURM_DIR / "log").glob("slurm*.log")):
            print(f"==== {f}\n" + "\n".join(f.read_text(errors="replace").splitlines()[-60:]))
        raise


def _data_vars(cat, name):
    ds = cat.open(name).load()
    return {v: ds[v].values for v in ds.data_vars}


def _assert_identical(a, b):
    assert a.keys() == b.keys()
    for v in a:
        np.testing.assert_array_equal(a[v], b[v], err_msg=v)  # NaNs compare equal


def _local_run(wf, path, n_workers=1):
    from distributed import Client, LocalCluster

    from pipeline.run.graph import run_workflow
    from pipeline.store.catalog import Catalog

    cat = Catalog(path)
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as lc, Client(lc) as c:  # None would try port 8787
        run_workflow(wf, cat, c, progress=False)
    return _data_vars(cat, wf.name)


def _job_ids(log_dir: Path) -> set[str]:
    """Slurm job ids of the jobs this cluster submitted (one ``dask-worker-<id>.err`` each)."""
    return {m.group(1) for f in log_dir.glob("*.err") if (m := re.search(r"-(\d+)\.err$", f.name))}


class _Running(threading.Thread):
    """Polls ``squeue`` once a second: the most jobs running at once."""

    def __init__(self):
        super().__init__(daemon=True)
        self.most, self.stop = 0, threading.Event()

    def run(self):
        while not self.stop.wait(1.0):
            out = subprocess.run(["squeue", "-h", "-t", "R", "-o", "%i"], capture_output=True, text=True)
            self.most = max(self.most, len(out.stdout.split()))


@dataclasses.dataclass
class _SlurmRun:
    data: dict  # the sweep's data variables
    env: dict  # worker address -> its SLURM_JOB_ID, at the start
    most: int  # the most jobs running at once
    report: object  # run_workflow's RunReport
    lost: int  # task runs lost with a worker that died or was killed (the scheduler's "suspicious" count)


def _slurm_run(wf, path, settings, log_dir) -> _SlurmRun:
    """Run ``wf`` on a SLURMCluster started by :func:`start`; every point must be stored, none failed."""
    from distributed import Client

    from pipeline.run.graph import run_workflow
    from pipeline.run.jobqueue import make_cluster, start
    from pipeline.store.catalog import Catalog

    cat = Catalog(path)
    running = _Running()
    with _logs_on_failure(log_dir), make_cluster(settings, log_directory=str(log_dir)) as cluster, \
            Client(cluster) as client:
        start(cluster, settings)
        client.wait_for_workers(settings.jobs * settings.cores, timeout=120)
        env = client.run(lambda: os.environ.get("SLURM_JOB_ID"))
        running.start()
        rep = run_workflow(wf, cat, client, progress=False)
        running.stop.set()
        lost = client.run_on_scheduler(
            lambda dask_scheduler: getattr(dask_scheduler.task_prefixes.get("run_task"), "suspicious", 0))
        assert rep.computed == rep.total == wf.n_points and rep.failed == 0, rep
        assert bool(cat.done_mask(wf.name).all()) and not cat.failed_mask(wf.name).any()
    return _SlurmRun(_data_vars(cat, wf.name), env, running.most, rep, lost)


def _jobcomp(ids, state: str | None = None) -> list[str]:
    """Lines of Slurm's job-completion log (jobcomp/filetxt) for jobs ``ids``, those ending in ``state`` if given."""
    log = SLURM_DIR / "log/jobcomp.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return [ln for ln in lines if (m := re.match(r"JobId=(\d+) ", ln)) and m.group(1) in ids
            and (state is None or f" JobState={state} " in ln)]


def _settings(tmp_path, **kw):
    return ClusterSettings(kind="slurm", cores=1, memory="1GiB", walltime="00:10:00", jobs=2,
                           job_extra_directives=(f"--chdir={tmp_path}",), **kw)


@pytest.mark.slurm
def test_sweep_through_slurm_matches_local_run(tmp_path, slurm):
    from pipeline.spec.workflow import load_workflow

    wf = load_workflow(cw_workflow(tmp_path, N=(32, 64), T=(0.9, 0.97, 1.03, 1.1), seeds=2))
    log_dir = tmp_path / "logs"
    run = _slurm_run(wf, tmp_path / "slurm.zarr", _settings(tmp_path), log_dir)
    ids = _job_ids(log_dir)
    assert run.env and all(v in ids for v in run.env.values()), (run.env, ids)  # every worker in a Slurm job
    _assert_identical(run.data, _local_run(wf, tmp_path / "local.zarr"))


@pytest.mark.slurm
@pytest.mark.slow
@pytest.mark.timeout(1200)  # ~4 min on 2 idle cores, ~7 min with the cores shared
def test_jobs_reaching_their_walltime_are_replaced_and_results_unchanged(tmp_path, slurm):
    """1-minute jobs whose workers retire after 30 +- 5 s, on ~100 core-seconds of work: new jobs finish it.

    Slurm keeps time limits in whole minutes, so the walltime is 1 min, not less.
    """
    from pipeline.spec.workflow import load_workflow

    path = cw_workflow(tmp_path, N=(256, 512), T=tuple(np.linspace(0.8, 1.2, 8)), seeds=4,
                       thermalize=5000, sweeps=300000)  # 64 points of 1-2 s: ~100 core-seconds
    wf = load_workflow(path)
    wf = wf.model_copy(update={"run": wf.run.model_copy(update={"points_per_task": 1})})
    settings = _settings(tmp_path, lifetime="30s", lifetime_stagger="5s").with_overrides(walltime="00:01:00")
    log_dir = tmp_path / "logs"
    run = _slurm_run(wf, tmp_path / "slurm.zarr", settings, log_dir)
    ids = _job_ids(log_dir)
    with _logs_on_failure(log_dir):
        assert len(ids) > max(run.most, settings.jobs), (ids, run.most)  # more submitted than ever ran at once
        retired = [f for f in log_dir.glob("*.err") if "worker-lifetime-reached" in f.read_text()]
        assert retired, "no worker reached its lifetime"
        timeouts = _jobcomp(ids, "TIMEOUT")
        assert not timeouts, timeouts  # workers retired before the walltime, none was killed by it
    _assert_identical(run.data, _local_run(wf, tmp_path / "local.zarr", n_workers=2))


@pytest.mark.slurm
@pytest.mark.slow
@pytest.mark.timeout(1200)  # ~5 min on 2 idle cores
def test_jobs_killed_at_their_walltime_are_replaced_and_results_unchanged(tmp_path, slurm):
    """No ``lifetime``: Slurm kills the two 1-minute jobs mid-task, ~200 core-seconds of work in.

    ``start`` keeps the fixed ``jobs`` count adaptively, so fresh jobs replace the killed ones, and the
    scheduler reruns the tasks that the killed workers held (each task is lost at most a few times, below
    ``distributed.scheduler.allowed-failures``, so none ends as a ``KilledWorker``).
    """
    from pipeline.spec.workflow import load_workflow

    path = cw_workflow(tmp_path, N=(256, 512), T=tuple(np.linspace(0.8, 1.2, 8)), seeds=8,
                       thermalize=5000, sweeps=450000)  # 128 points of 1-2 s: ~200 core-seconds
    wf = load_workflow(path)
    wf = wf.model_copy(update={"run": wf.run.model_copy(update={"points_per_task": 1})})
    settings = _settings(tmp_path).with_overrides(walltime="00:01:00")
    assert settings.lifetime is None
    log_dir = tmp_path / "logs"
    run = _slurm_run(wf, tmp_path / "slurm.zarr", settings, log_dir)
    ids = _job_ids(log_dir)
    with _logs_on_failure(log_dir):
        assert len(ids) > max(run.most, settings.jobs), (ids, run.most)  # more submitted than ever ran at once
        timeouts = _jobcomp(ids, "TIMEOUT")
        assert timeouts, "no job reached its walltime: " + "\n".join(_jobcomp(ids))
        assert run.lost >= 1, "no task was lost with a killed worker: the jobs ended between tasks"
        assert (run.data["n_stored"] == 1).all() and not run.data["failed"].any()
        print(f"{len(ids)} jobs, {len(timeouts)} killed at their walltime, {run.lost} task runs lost and redone:\n"
              + "\n".join(timeouts))
    _assert_identical(run.data, _local_run(wf, tmp_path / "local.zarr", n_workers=2))


@pytest.mark.slurm
@pytest.mark.slow
def test_multi_worker_job_is_replaced_once_all_its_workers_retired(tmp_path, slurm):
    """A 2-core job (workers ``<job>-0``, ``<job>-1``) whose workers retire is replaced by a fresh job.

    dask's SpecCluster matches only one-worker jobs to their workers; make_cluster's cluster does both.
    """
    import time

    from distributed import Client

    from pipeline.run.jobqueue import make_cluster, start

    settings = _settings(tmp_path, lifetime="15s", lifetime_stagger="2s").with_overrides(
        cores=2, jobs=1, walltime="00:01:00")
    log_dir = tmp_path / "logs"
    with _logs_on_failure(log_dir), make_cluster(settings, log_directory=str(log_dir)) as cluster, \
            Client(cluster) as client:
        start(cluster, settings)
        client.wait_for_workers(2, timeout=120)
        first = set(client.run(lambda: os.environ.get("SLURM_JOB_ID")).values())
        assert len(first) == 1
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            now = set(client.run(lambda: os.environ.get("SLURM_JOB_ID")).values())
            if len(client.scheduler_info(n_workers=-1)["workers"]) == 2 and now and not now & first:
                break
            time.sleep(1)
        else:
            pytest.fail(f"no replacement job within 120 s (jobs {sorted(_job_ids(log_dir))})")
        assert len(_job_ids(log_dir)) >= 2
