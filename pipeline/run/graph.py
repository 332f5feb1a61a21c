"""Fan a workflow's pending points out to Dask workers and stream results into the catalog.

The client keeps a bounded window of tasks in flight (a few per worker), writes finished points in
batches, and never holds the whole sweep's futures or results. A failing point is stored as failed
with its message; Ctrl-C stores what came back. Rerunning a workflow computes only the points not yet
``done`` (missing or failed).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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
    failed: int = 0
    failures: list[tuple[dict, str]] = field(default_factory=list)
    interrupted: bool = False


FOLLOWS_WORKFLOW = ("reduce_settings", "plot_settings", "reductions", "plots", "workflow_text", "workflow_source")
"""Sweep attributes a rerun rewrites from the current workflow and model: they shape no stored point."""


def run_workflow(wf: Workflow, catalog: Catalog, client, *, overwrite: bool = False,
                 progress: bool | None = None, flush_points: int = 64, flush_seconds: float = 2.0,
                 min_flush_seconds: float = 0.5, window_per_worker: int = 3,
                 on_batch: Callable[[int], None] | None = None,
                 expected_workers: int | None = None) -> RunReport:
    """Run every pending point of ``wf`` on ``client``'s cluster and store the results.

    Pending points are those not ``done``: never run, lost to a crash, or failed last time. A point
    whose simulation raises is stored as failed with its message and the rest of the sweep goes on;
    Ctrl-C (``KeyboardInterrupt``) stores what has come back and returns with ``interrupted`` set.

    Parameters
    ----------
    progress : bool, optional
        Show a progress bar (points done / total, rate, ETA); default: when stderr is a terminal.
    flush_points, flush_seconds, min_flush_seconds : int, float, float
        Results are written every ``flush_seconds``, or once ``flush_points`` have come back but not
        more often than every ``min_flush_seconds`` (so tiny points are written in big batches).
    on_batch : callable, optional
        Called with the number of points stored after each batch (tests use it).
    expected_workers : int, optional
        Workers the cluster will have (a batch cluster starts empty): sizes the tasks and the window.
    """
    from distributed import KilledWorker, as_completed, wait
    from tqdm.auto import tqdm

    t0 = time.time()
    start = provenance.now()
    with catalog.lock(wf.name):
        layout = layout_for(wf)
        attrs = sweep_attrs(wf)
        done = catalog.prepare(wf.name, layout, attrs, wf.requested(), overwrite=overwrite)
        # what is not part of the specification follows the workflow as it is now (a rerun after editing
        # [reduce] or [plot] reduces and draws with the new settings; the stored points are unchanged)
        stored = catalog.attrs(wf.name)
        changed = {k: attrs[k] for k in FOLLOWS_WORKFLOW if stored.get(k) != attrs[k]}
        if changed:  # a rewrite reconsolidates the catalog: only when something differs
            catalog.update_attrs(wf.name, changed)
        layout = catalog.layout(wf.name)
        units = pending_units(wf, done)
        total = wf.n_points
        already = total - sum(len(pts) for _, pts in units)  # a ladder with a missing point reruns whole
        n_workers = max(_n_workers(client), expected_workers or 1)
        checked = time.time()
        tasks = make_tasks(wf, units, n_workers)
        del units
        bar = tqdm(total=total, initial=already, unit="pt", desc=wf.name, file=sys.stderr,
                   disable=(not sys.stderr.isatty()) if progress is None else not progress,
                   dynamic_ncols=True, smoothing=0.1)
        sampler = wf.sampler
        queue = iter(tasks)
        batch: list = []
        ladder_batch: list = []
        fail_batch: list = []
        failures: list[tuple[dict, str]] = []
        last_flush = time.time()
        computed = failed = 0
        interrupted = False
        coords = {d: wf.grid[d] for d in layout.dims}

        in_flight: dict[str, list] = {}  # future key -> its task (bounded by the window)

        def submit(task):
            fut = client.submit(run_task, wf.model, task, sampler, wf.seed, pure=False)
            in_flight[fut.key] = task
            return fut

        def flush():
            nonlocal batch, ladder_batch, fail_batch, last_flush, computed, failed
            todo, lad, bad = batch, ladder_batch, fail_batch
            batch, ladder_batch, fail_batch, last_flush = [], [], [], time.time()
            if todo or bad or lad:
                n = catalog.write_points(wf.name, todo, lad, layout=layout, failures=bad)
                computed += n
                failed += len(bad)
                bar.update(n + len(bad))
                if bad:
                    bar.set_postfix(failed=failed)
                if on_batch:
                    on_batch(n)

        suspects: list[list] = []  # units of tasks whose workers all died, rerun one at a time at the end

        def collect(fut, alone: bool) -> None:
            task = in_flight.pop(fut.key)
            try:
                points, ladders, bad = fut.result()
            except KilledWorker as e:
                fut.release()
                if not alone:  # a crash (segfault, memory) took its workers down, maybe caused by a neighbour
                    suspects.extend([unit] for unit in task)
                    return
                points, ladders = [], []
                bad = [(idx, f"KilledWorker: the worker process died every time it ran this point, alone ({e})")
                       for _, unit in task for idx, _ in unit]
            fut.release()
            batch.extend(points)
            ladder_batch.extend((idx, ladder_values(layout, res)) for idx, res in ladders)
            fail_batch.extend(bad)
            for idx, msg in bad[:max(0, MAX_REPORTED - len(failures))]:
                failures.append(({d: coords[d][i] for d, i in zip(layout.dims, idx, strict=True)}, msg))

        def maybe_flush() -> None:
            since = time.time() - last_flush
            if since >= flush_seconds or (len(batch) >= flush_points and since >= min_flush_seconds):
                flush()

        ac = as_completed()
        for task in _take(queue, max(2, window_per_worker * n_workers)):
            ac.add(submit(task))
        try:
            for fut in ac:
                collect(fut, alone=False)
                # top the window up to a few tasks per worker (workers of a batch cluster come and go)
                if time.time() - checked > 1.0:
                    n_workers, checked = max(_n_workers(client), expected_workers or 1), time.time()
                for nxt in _take(queue, max(0, max(2, window_per_worker * n_workers) - ac.count())):
                    ac.add(submit(nxt))
                maybe_flush()
            for task in suspects:  # alone on the cluster: only a point that crashes by itself fails
                fut = submit(task)
                wait(fut)
                collect(fut, alone=True)
                maybe_flush()
        except KeyboardInterrupt:
            interrupted = True
            for fut in list(ac.futures):
                fut.cancel()
            flush()
        except BaseException:
            flush()  # a bug or a lost cluster: keep what has already come back, then stop
            raise
        else:
            flush()
        finally:
            bar.close()
        catalog.update_attrs(wf.name, {"last_run_start": start, "last_run_end": provenance.now(),
                                       "last_run_host": provenance.host(),
                                       "last_run_points": str(computed),
                                       "last_run_failed": str(failed),
                                       "last_run_interrupted": str(interrupted).lower()})
    return RunReport(wf.name, total, already, computed, time.time() - t0, str(catalog.path),
                     failed=failed, failures=failures, interrupted=interrupted)


MAX_REPORTED = 20
"""Failures a run report keeps (the catalog keeps up to 1000 messages and marks every failed point)."""


def _n_workers(client) -> int:
    return max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))


def _take(it, n):
    for _ in range(n):
        x = next(it, None)
        if x is None:
            return
        yield x
