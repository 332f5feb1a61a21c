"""Fan a workflow's pending points out to Dask workers and stream results into the catalog.

The client keeps a bounded window of tasks in flight (a few per worker), writes finished points in
batches (every ``flush_points`` points or ``flush_seconds``), and never holds the whole sweep's
futures or results. Rerunning a workflow computes only the points not yet ``done``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.run.sweep import ladder_values, layout_for, sweep_attrs
from pipeline.run.tasks import make_tasks, pending_units
from pipeline.samplers.driver import run_task
from pipeline.spec.workflow import Workflow
from pipeline.store import provenance
from pipeline.store.catalog import Catalog


@dataclass
class RunReport:
    """What a run did."""

    name: str
    total: int
    already_done: int
    computed: int
    seconds: float
    catalog: str


def run_workflow(wf: Workflow, catalog: Catalog, client, *, overwrite: bool = False,
                 progress: bool | None = None, flush_points: int = 64, flush_seconds: float = 2.0,
                 window_per_worker: int = 3, on_batch: Callable[[int], None] | None = None) -> RunReport:
    """Run every pending point of ``wf`` on ``client``'s cluster and store the results.

    Parameters
    ----------
    progress : bool, optional
        Show a progress bar (points done / total, rate, ETA); default: when stderr is a terminal.
    on_batch : callable, optional
        Called with the number of points stored after each batch (tests use it).
    """
    from distributed import as_completed
    from tqdm.auto import tqdm

    t0 = time.time()
    start = provenance.now()
    with catalog.lock(wf.name):
        layout = layout_for(wf)
        done = catalog.prepare(wf.name, layout, sweep_attrs(wf), wf.requested(), overwrite=overwrite)
        layout = catalog.layout(wf.name)
        units = pending_units(wf, done)
        total = wf.n_points
        already = total - sum(len(pts) for _, pts in units)  # a ladder with a missing point reruns whole
        n_workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
        tasks = make_tasks(wf, units, n_workers)
        bar = tqdm(total=total, initial=already, unit="pt", desc=wf.name, file=sys.stderr,
                   disable=(not sys.stderr.isatty()) if progress is None else not progress,
                   dynamic_ncols=True, smoothing=0.1)
        sampler = wf.sampler
        window = max(2, window_per_worker * n_workers)
        queue = iter(tasks)
        batch: list = []
        ladder_batch: list = []
        last_flush = time.time()
        computed = 0

        def submit(task):
            return client.submit(run_task, wf.model, task, sampler, wf.seed, pure=False)

        def flush():
            nonlocal batch, ladder_batch, last_flush, computed
            todo, lad, batch, ladder_batch, last_flush = batch, ladder_batch, [], [], time.time()
            if todo:
                n = catalog.write_points(wf.name, todo, lad, layout=layout)
                computed += n
                bar.update(n)
                if on_batch:
                    on_batch(n)

        ac = as_completed()
        for task in _take(queue, window):
            ac.add(submit(task))
        try:
            for fut in ac:
                points, ladders = fut.result()
                batch.extend(points)
                ladder_batch.extend((idx, ladder_values(layout, res)) for idx, res in ladders)
                fut.release()
                nxt = next(queue, None)
                if nxt is not None:
                    ac.add(submit(nxt))
                if len(batch) >= flush_points or time.time() - last_flush >= flush_seconds:
                    flush()
        except BaseException:
            # a failed task or Ctrl-C: keep what has already come back, then stop
            flush()
            raise
        else:
            flush()
        finally:
            bar.close()
        catalog.update_attrs(wf.name, {"last_run_start": start, "last_run_end": provenance.now(),
                                       "last_run_host": provenance.host(),
                                       "last_run_points": str(computed)})
    return RunReport(wf.name, total, already, computed, time.time() - t0, str(catalog.path))


def _take(it, n):
    for _ in range(n):
        x = next(it, None)
        if x is None:
            return
        yield x
