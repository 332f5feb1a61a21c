"""The ``spinsweep`` command line: thin commands over spec, run, store, reduce and plot.

Bad input (a workflow that does not validate, an unknown sweep, a refused reduction) is printed in
one line per problem with exit code 2; bugs keep their traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipeline.errors import SpinsweepError

app = typer.Typer(help="Map spin-system models of neural networks by Monte Carlo: run sweeps on a Dask "
                       "cluster, store them in a zarr catalog, reduce and plot them.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
catalog_app = typer.Typer(help="List, show and query the sweeps in the catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")

CatalogOpt = Annotated[Path | None, typer.Option("--catalog", help="zarr catalog (default: "
                                                 "$SPINSWEEP_CATALOG or catalogs/catalog.zarr)")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="override a workflow field, "
                                                  "e.g. --set sampler.sweeps=2000 (repeatable)")]


def _fail(e: SpinsweepError) -> None:
    for line in str(e).splitlines():
        typer.echo(f"spinsweep: error: {line}", err=True)
    raise typer.Exit(2)


def _catalog(path: Path | None):
    from pipeline.store.catalog import Catalog

    return Catalog(path)


MaxPointsOpt = Annotated[str | None, typer.Option("--max-points", help="refuse a grid of more points "
                                                  "(default 1e7)")]
MaxMemoryOpt = Annotated[str | None, typer.Option("--max-memory", help="refuse a workflow one sample of "
                                                  "which (its chains, disorder and measurements) needs more "
                                                  "memory: bytes, or e.g. 16GiB (default: half this "
                                                  "machine's)")]
MaxCostOpt = Annotated[str | None, typer.Option("--max-cost", help="refuse a sweep of a higher total cost, "
                                                "in the models' work units (attempted flips weighted by their cost; default 1e15)")]


def _limits(max_points: str | int | None = None, max_memory: str | int | None = None,
            max_cost: str | float | None = None):
    """The :class:`~pipeline.spec.limits.Limits` of ``--max-points``, ``--max-memory``, ``--max-cost``
    (``None``: the default); a bad value is a :class:`SpinsweepError`."""
    import math

    from pipeline.spec.limits import Limits, parse_bytes

    def number(opt: str, v, integer: bool) -> float:
        try:
            x = float(v)
        except (TypeError, ValueError):
            x = math.nan
        if not (math.isfinite(x) and x >= 1 and (not integer or x.is_integer())):
            kind = "an integer" if integer else "a number"
            raise SpinsweepError(f"{opt} {v!r}: expected {kind} >= 1, e.g. {'1e8' if integer else '1e16'}")
        return int(x) if integer else x

    kw = {}
    if max_points is not None:
        kw["max_points"] = number("--max-points", max_points, integer=True)
    if max_memory is not None:
        try:
            kw["max_memory_bytes"] = parse_bytes(max_memory)
        except ValueError as e:
            raise SpinsweepError(f"--max-memory {e}") from None
    if max_cost is not None:
        kw["max_cost"] = number("--max-cost", max_cost, integer=False)
    return Limits(**kw)


@app.command()
def validate(workflow: Annotated[Path, typer.Argument(help="workflow TOML file")], set_: SetOpt = None,
             max_points: MaxPointsOpt = None, max_memory: MaxMemoryOpt = None,
             max_cost: MaxCostOpt = None) -> None:
    """Check a workflow file without running it (also against the limits on grid size, memory and cost)."""
    from pipeline.run.plan import duration
    from pipeline.spec.limits import estimate, sci
    from pipeline.spec.workflow import load_workflow

    try:
        wf = load_workflow(workflow, overrides=set_, limits=_limits(max_points, max_memory, max_cost))
    except SpinsweepError as e:
        _fail(e)
    shape = " x ".join(f"{d}={len(wf.grid[d])}" for d in wf.model_def.dims)
    est = estimate(wf)
    typer.echo(f"{workflow}: ok — sweep {wf.name!r}, model {wf.model}, {wf.n_points} points ({shape}), "
               f"{wf.sampler.algorithm}, {wf.sampler.thermalize}+{wf.sampler.sweeps} sweeps; ~{sci(est.cost)} "
               f"work units (~{duration(est.cost / wf.model_def.work_per_second)} of one core), "
               f"~{sci(est.memory)} bytes per sample")


@app.command()
def run(
    workflow: Annotated[Path, typer.Argument(help="workflow TOML file")],
    catalog: CatalogOpt = None,
    cluster: Annotated[str | None, typer.Option(help="where to run: local, scheduler, slurm, pbs or sge "
                                                     "(default: the workflow's [cluster] kind, else local)")] = None,
    scheduler: Annotated[str | None, typer.Option(help="address of an existing Dask scheduler, "
                                                        "e.g. tcp://127.0.0.1:8786")] = None,
    scheduler_file: Annotated[str | None, typer.Option(help="scheduler file written by `dask scheduler "
                                                             "--scheduler-file`")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes of the local cluster "
                                                      "(default: one per core)")] = None,
    host: Annotated[str | None, typer.Option(help="address the local cluster listens on "
                                                  "(default 127.0.0.1; beyond loopback needs TLS)")] = None,
    dashboard: Annotated[bool | None, typer.Option("--dashboard/--no-dashboard",
                                                   help="serve the Dask dashboard (on loopback; off by "
                                                        "default) and print its URL")] = None,
    tls_ca_file: Annotated[str | None, typer.Option(help="TLS CA certificate")] = None,
    tls_cert: Annotated[str | None, typer.Option(help="TLS certificate (of this client and a local cluster)")] = None,
    tls_key: Annotated[str | None, typer.Option(help="TLS private key")] = None,
    allow_insecure: Annotated[bool, typer.Option(help="let a cluster listen beyond loopback without TLS")] = False,
    set_: SetOpt = None,
    overwrite: Annotated[bool, typer.Option(help="replace a stored sweep of the same name whose "
                                                 "specification differs")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan (points, tasks, cost, job script) "
                                                            "and exit without running or writing")] = False,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress",
                                                  help="progress bar (default: on a terminal)")] = None,
    max_points: MaxPointsOpt = None, max_memory: MaxMemoryOpt = None, max_cost: MaxCostOpt = None,
) -> None:
    """Run a workflow's sweep (only the points not yet done or failed) and store it in the catalog.

    Ctrl-C (or SIGTERM) stops the run after storing what has come back; rerun to resume.
    """
    from pipeline.spec.workflow import load_workflow

    try:
        wf = load_workflow(workflow, overrides=set_, limits=_limits(max_points, max_memory, max_cost))
        cat = _catalog(catalog)
        if workers is not None and workers < 1:
            raise SpinsweepError(f"--workers {workers}: expected an integer >= 1")
        settings = _cluster_settings(wf.cluster, cluster, scheduler, scheduler_file, workers, host, dashboard,
                                     tls_ca_file, tls_cert, tls_key, allow_insecure)
        if dry_run:
            from pipeline.run.plan import plan

            typer.echo(plan(wf, cat, settings))
            return
        rep = _run_interruptible(wf, cat, settings, overwrite, progress)
        fail = f", {rep.failed} failed" if rep.failed else ""
        typer.echo(f"sweep {rep.name!r}: {rep.computed} points computed{fail}, {rep.already_done} already done, "
                   f"{rep.total} in all, {rep.seconds:.1f} s -> {rep.catalog}")
        for coords, msg in rep.failures[:5]:
            where = ", ".join(f"{k}={v}" for k, v in coords.items())
            typer.echo(f"spinsweep: failed point {where}: {msg}", err=True)
        if rep.failed > 5:
            typer.echo(f"spinsweep: ... and {rep.failed - 5} more failed points (spinsweep catalog show "
                       f"{rep.name})", err=True)
        if rep.interrupted:
            typer.echo("spinsweep: interrupted: what came back is stored; rerun to resume", err=True)
            raise typer.Exit(130)
        if rep.failed:
            typer.echo("spinsweep: rerun the workflow to retry the failed points", err=True)
            raise typer.Exit(1)
        if wf.run.reduce:
            _do_reduce(cat, wf.name, as_json=False)
        if wf.run.plot:
            _do_plot(cat, wf.name, None)
    except SpinsweepError as e:
        _fail(e)


def _cluster_settings(base, kind, scheduler, scheduler_file, workers, host, dashboard, tls_ca_file, tls_cert,
                      tls_key, allow_insecure):
    """The workflow's ``[cluster]`` with the command line on top, revalidated (errors as one line)."""
    from pydantic import ValidationError

    if (scheduler or scheduler_file) and kind in (None, "scheduler"):
        kind = "scheduler"
    try:
        return base.with_overrides(kind=kind, address=scheduler, scheduler_file=scheduler_file, workers=workers,
                                   host=host, dashboard=dashboard, tls_ca_file=tls_ca_file, tls_cert=tls_cert,
                                   tls_key=tls_key, allow_insecure=allow_insecure or None)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or "cluster"
        raise SpinsweepError(f"--{field.replace('_', '-')} {err.get('input')!r}: "
                             f"{err['msg'].replace('Value error, ', '')}") from None


def _run_interruptible(wf, cat, settings, overwrite, progress):
    """Run on the target's cluster; SIGTERM (a batch system's kill) acts as Ctrl-C, and a Ctrl-C while the
    cluster starts or stops exits cleanly too."""
    import signal

    from pipeline.run.cluster import check_exposure, connect
    from pipeline.run.graph import RunReport, run_workflow

    def term(signum, frame):
        raise KeyboardInterrupt

    check_exposure(settings)  # before anything is written
    old = signal.signal(signal.SIGTERM, term)
    fresh = not cat.path.exists()
    try:
        with cat.lock(wf.name):  # refuse a second process on this sweep before starting a cluster
            with connect(settings) as conn:
                if conn.dashboard:
                    typer.echo(f"dashboard: {conn.dashboard}", err=True)
                return run_workflow(wf, cat, conn.client, overwrite=overwrite, progress=progress,
                                    expected_workers=conn.expected_workers)
    except KeyboardInterrupt:
        return RunReport(wf.name, wf.n_points, 0, 0, 0.0, str(cat.path), interrupted=True)
    except SpinsweepError:
        if fresh:  # e.g. an unreachable scheduler: leave no catalog holding only a lock file behind
            cat.remove_if_empty()
        raise
    finally:
        signal.signal(signal.SIGTERM, old)


@catalog_app.command("list")
def catalog_list(catalog: CatalogOpt = None,
                 as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """Sweeps in the catalog: name, model, grid shape, points done / total, created."""
    from pipeline.store.summary import sweep_summaries

    try:
        rows = sweep_summaries(_catalog(catalog))
    except SpinsweepError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        typer.echo("(catalog is empty)")
        return
    from pipeline.store.query import format_records

    flat = [{"name": r["name"], "model": r["model"],
             "shape": " x ".join(f"{k}={v}" for k, v in r["shape"].items()),
             "done": f"{r['done']}/{r['total']}", "failed": r["failed"], "created": r["created"]} for r in rows]
    typer.echo(format_records(flat, "table"))


@catalog_app.command("show")
def catalog_show(name: str, catalog: CatalogOpt = None) -> None:
    """One sweep: its grid, variables, provenance and stored reductions."""
    from pipeline.store.summary import describe

    try:
        typer.echo(describe(_catalog(catalog), name))
    except SpinsweepError as e:
        _fail(e)


@catalog_app.command("query")
def catalog_query(
    name: str,
    var: Annotated[list[str], typer.Option("--var", help="variable(s) to report, with their errors")],
    where: Annotated[list[str] | None, typer.Option("--where", help="filter on a dimension, e.g. "
                                                    "'N=64', 'T<1.2', 'init=pattern' (repeatable)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    catalog: CatalogOpt = None,
) -> None:
    """Grid points of a sweep as records: coordinates, variables and their errors."""
    from pipeline.store.query import format_records, records, select

    try:
        if fmt not in ("table", "csv", "json"):
            raise SpinsweepError(f"--format {fmt!r}: expected one of table, csv, json")
        ds = _catalog(catalog).open(name, dask=False)
        typer.echo(format_records(records(select(ds, where or []), var), fmt))
    except SpinsweepError as e:
        _fail(e)


@app.command()
def bench(
    model: Annotated[str, typer.Argument(help="model name, e.g. cw (curie_weiss) or hopfield")],
    N: Annotated[int, typer.Option("--N", help="number of spins")] = 1024,
    T: Annotated[float, typer.Option("--T", help="temperature")] = 1.0,
    alpha: Annotated[float | None, typer.Option("--alpha", help="load alpha = P/N (models with patterns)")] = None,
    Nv: Annotated[int | None, typer.Option("--Nv", help="visible units (rbm; the same as --N)")] = None,
    Nh: Annotated[int | None, typer.Option("--Nh", help="hidden units (rbm)")] = None,
    sweeps: Annotated[int, typer.Option("--sweeps", help="sweeps to time (0: about 2e8 flips)")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="seed of the stream (as in the C references)")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object")] = False,
) -> None:
    """Time a model's kernel alone, single-threaded: attempted flips (RBM: unit updates) per second."""
    from pipeline.models import get_model
    from pipeline.samplers.bench import bench as run_bench

    aliases = {"cw": "curie_weiss"}
    try:
        m = get_model(aliases.get(model, model))
        if m.bench is None:
            raise SpinsweepError(f"model {m.name!r} has no benchmark")
        N = Nv if Nv is not None else N
        if N < m.min_N or T <= 0:
            raise SpinsweepError(f"--N {N} --T {T}: expected N >= {m.min_N} and T > 0")
        kwargs = {"alpha": alpha} if alpha is not None else {}
        if Nh is not None:
            if Nh < 1:
                raise SpinsweepError(f"--Nh {Nh}: expected at least 1 hidden unit")
            kwargs["Nh"] = Nh
        res = run_bench(m, N=N, T=T, sweeps=sweeps, seed=seed, **kwargs)
    except SpinsweepError as e:
        _fail(e)
    except TypeError as e:
        _fail(SpinsweepError(f"bench {model}: {e}"))
    if as_json:
        typer.echo(json.dumps(res))
    else:
        typer.echo(f"{res['model']} N={res['N']} T={res['T']}: {res['flips_per_s']:.3g} flips/s "
                   f"({res['sweeps']} sweeps in {res['seconds']:.2f} s)")


def _do_reduce(cat, name: str, as_json: bool) -> dict:
    from pipeline.reduce import reduce_sweep

    result = reduce_sweep(cat, name)
    if as_json:
        typer.echo(json.dumps(result["json"]))
    else:
        typer.echo(result["text"])
    return result


def _do_plot(cat, name: str, outdir: Path | None) -> list[Path]:
    """Figures of a sweep from its stored reduction (reduced first when missing or stale)."""
    import json

    from pipeline.plot import plot_sweep
    from pipeline.reduce import reduce_sweep, stored_result

    result = stored_result(cat, name)
    if result is None and json.loads(cat.attrs(name).get("reductions", "[]")):
        result = reduce_sweep(cat, name)["json"]
    paths = plot_sweep(cat, name, outdir, result=result)
    for p in paths:
        typer.echo(f"wrote {p}")
    return paths


@app.command()
def reduce(name: str, catalog: CatalogOpt = None,
           as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """Run the reductions the sweep's model declares (critical point, exponents, phase boundaries)."""
    try:
        _do_reduce(_catalog(catalog), name, as_json)
    except SpinsweepError as e:
        _fail(e)


@app.command()
def plot(name: str, catalog: CatalogOpt = None,
         out: Annotated[Path | None, typer.Option("-o", "--out", help="output folder "
                                                  "(default: figures/NAME)")] = None) -> None:
    """Write the sweep's figures as PNG files."""
    try:
        _do_plot(_catalog(catalog), name, out)
    except SpinsweepError as e:
        _fail(e)


def main() -> None:  # pragma: no cover
    app(sys.argv[1:])
