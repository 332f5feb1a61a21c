"""``spinsweep run --dry-run``: what a run would do, without starting a cluster or writing anything."""

from __future__ import annotations

import numpy as np

from pipeline.errors import CatalogError
from pipeline.run.tasks import make_tasks, pending_units, point_seconds
from pipeline.spec.cluster import ClusterSettings
from pipeline.spec.grid import coords_of
from pipeline.spec.workflow import Workflow
from pipeline.store.catalog import Catalog


def plan(wf: Workflow, catalog: Catalog, settings: ClusterSettings) -> str:
    """The plan of a run of ``wf`` as text: points, tasks, cost and, for a batch target, the job script."""
    from pipeline.run.cluster import default_workers

    done = np.zeros(wf.shape, dtype=bool)
    note = "new sweep"
    if catalog.has(wf.name):
        stored = catalog.attrs(wf.name).get("spec_hash")
        if stored == wf.spec_hash():
            done = catalog.done_mask(wf.name)
            failed = int(catalog.failed_mask(wf.name).sum())
            note = f"resuming: {int(done.sum())} done" + (f", {failed} failed last time (retried)" if failed else "")
        else:
            raise CatalogError(f"sweep {wf.name!r} exists in {str(catalog.path)!r} with a different specification; "
                               "rename the workflow or pass --overwrite")
    if settings.kind == "local":
        workers = settings.workers or default_workers()
    elif settings.batch:
        workers = (settings.adaptive_maximum or settings.jobs) * settings.cores
    else:
        workers = 1
    units = pending_units(wf, done)
    tasks = make_tasks(wf, units, workers)
    model = wf.model_def
    pending = [coords_of(wf, i) for _, pts in units for i in pts]
    cost = sum(model.cost(c, wf.sampler) for c in pending)
    n_pending = len(pending)
    core_s = sum(point_seconds(model, c, wf.sampler) for c in pending)
    target = {"local": f"local cluster, {workers} worker processes on {settings.host}",
              "scheduler": f"existing scheduler {settings.address or settings.scheduler_file}"}.get(
        settings.kind, f"{settings.kind} via dask-jobqueue: {workers} workers "
                       f"({settings.adaptive_maximum or settings.jobs} jobs x {settings.cores} cores)")
    lines = [f"sweep {wf.name!r} (model {wf.model}, {wf.sampler.algorithm}) into {catalog.path} ({note})",
             f"  points: {wf.n_points} in all, {n_pending} to run, in {len(tasks)} tasks",
             f"  cost: {cost:.3g} work units, ~{duration(core_s)} of one core "
             f"(~{duration(core_s / max(workers, 1))} on {workers} workers, at the {wf.model} runs' ~"
             f"{model.work_per_second:.1e} units/s per core on a Zen 5 EPYC; `spinsweep bench` times the kernel "
             "on yours)",
             f"  cluster: {target}"]
    if settings.batch:
        from pipeline.run.jobqueue import job_script

        lines.append("  job script:")
        lines.extend("    " + line for line in job_script(settings).splitlines())
    return "\n".join(lines)


def duration(s: float) -> str:
    """Seconds as a short duration: "45 s", "12 min", "3.5 h"."""
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"
