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


@app.command()
def validate(workflow: Annotated[Path, typer.Argument(help="workflow TOML file")], set_: SetOpt = None) -> None:
    """Check a workflow file without running it."""
    from pipeline.spec.workflow import load_workflow

    try:
        wf = load_workflow(workflow, overrides=set_)
    except SpinsweepError as e:
        _fail(e)
    shape = " x ".join(f"{d}={len(wf.grid[d])}" for d in wf.model_def.dims)
    typer.echo(f"{workflow}: ok — sweep {wf.name!r}, model {wf.model}, {wf.n_points} points ({shape}), "
               f"{wf.sampler.algorithm}, {wf.sampler.thermalize}+{wf.sampler.sweeps} sweeps")


@app.command()
def run(
    workflow: Annotated[Path, typer.Argument(help="workflow TOML file")],
    catalog: CatalogOpt = None,
    scheduler: Annotated[str | None, typer.Option(help="address of an existing Dask scheduler, "
                                                        "e.g. tcp://127.0.0.1:8786")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes of the local cluster "
                                                      "(default: one per core)")] = None,
    set_: SetOpt = None,
    overwrite: Annotated[bool, typer.Option(help="replace a stored sweep of the same name whose "
                                                 "specification differs")] = False,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress",
                                                  help="progress bar (default: on a terminal)")] = None,
) -> None:
    """Run a workflow's sweep (only the points not yet done) and store it in the catalog."""
    from pipeline.run.cluster import connect
    from pipeline.run.graph import run_workflow
    from pipeline.spec.workflow import load_workflow

    try:
        wf = load_workflow(workflow, overrides=set_)
        cat = _catalog(catalog)
        if workers is not None and workers < 1:
            raise SpinsweepError(f"--workers {workers}: expected an integer >= 1")
        with connect(scheduler, workers) as client:
            rep = run_workflow(wf, cat, client, overwrite=overwrite, progress=progress)
        typer.echo(f"sweep {rep.name!r}: {rep.computed} points computed, {rep.already_done} already done, "
                   f"{rep.total} in all, {rep.seconds:.1f} s -> {rep.catalog}")
        if wf.run.reduce:
            _do_reduce(cat, wf.name, as_json=False)
        if wf.run.plot:
            _do_plot(cat, wf.name, None)
    except SpinsweepError as e:
        _fail(e)


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
             "done": f"{r['done']}/{r['total']}", "created": r["created"]} for r in rows]
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
        ds = _catalog(catalog).open(name)
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
