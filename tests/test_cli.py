"""The command line as a user runs it: real processes, a real LocalCluster, a real zarr store."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from tests.conftest import cw_workflow

SPINSWEEP = [sys.executable, "-m", "pipeline"]


def cli(*args, catalog: Path | None = None, timeout: float = 300, check: bool = True):
    env = dict(os.environ)
    env.pop("SPINSWEEP_CATALOG", None)
    if catalog is not None:
        env["SPINSWEEP_CATALOG"] = str(catalog)
    r = subprocess.run([*SPINSWEEP, *map(str, args)], capture_output=True, text=True, env=env,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    if check and r.returncode:
        raise AssertionError(f"spinsweep {' '.join(map(str, args))} -> {r.returncode}\n{r.stderr}")
    return r


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """One small sweep run through the CLI on a 2-worker LocalCluster."""
    d = tmp_path_factory.mktemp("cli")
    wf = cw_workflow(d, name="small", N=(16, 32), T=(0.9, 1.1), seeds=2)
    cat = d / "c.zarr"
    r = cli("run", wf, "--workers", 2, catalog=cat)
    assert "4 points computed" not in r.stdout  # 8 points
    assert "8 points computed" in r.stdout
    return d, wf, cat


def test_validate_reports_ok_and_errors(tmp_path):
    wf = cw_workflow(tmp_path)
    r = cli("validate", wf)
    assert "ok" in r.stdout and "8 points" in r.stdout
    r = cli("validate", wf, "--set", "grid.seeds=0", check=False)
    assert r.returncode == 2 and "seeds" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("edit", "field"),
    [(('model = "curie_weiss"', 'model = "curie_wiess"'), "model"),
     (("T = [0.8, 1.2]", "T = [0.8, -1.0]"), "T"),
     (("N = [16, 32]", "N = [1, 16]"), "N"),
     (("N = [16, 32]", "N = []"), "N"),
     (("seeds = 2", "seeds = 0"), "seeds"),
     (("N = [16, 32]", 'N = "sixteen"'), "N"),
     (('name = "cw"', 'name = ""'), "name"),
     (("T = [0.8, 1.2]", "T = []"), "T"),
     (("seed = 7", "seed = 7\nfrobnicate = 3"), "frobnicate"),
     (("[sampler]", "[[sampler"), "line")])
def test_bad_workflow_exits_2_with_one_line_and_writes_nothing(tmp_path, edit, field):
    path = cw_workflow(tmp_path)
    path.write_text(path.read_text().replace(*edit))
    cat = tmp_path / "c.zarr"
    r = cli("run", path, catalog=cat, check=False)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2, r.stderr
    assert len(lines) == 1 and field in lines[0] and "Traceback" not in r.stderr, r.stderr
    assert not cat.exists()


@pytest.mark.parametrize(
    ("added", "expected"),
    [("[reduce]\nn_boott = 200", "[reduce] n_boott = 200: unknown key; allowed:"),
     ("[reduce]\nn_boot = 3", "[reduce] n_boot = 3: expected a value >= 10"),
     ("[reduce]\nwindow = [1.2, 0.8]", "[reduce] window = [1.2, 0.8]:"),
     ('[sampler]\nalgorithm = "wolff"', "[sampler] algorithm = 'wolff': expected one of metropolis, heatbath, "
                                         "parallel_tempering"),
     ("[sampler]\nswap_every = 2", "unknown key 'swap_every' in [sampler]"),
     ('[sampler]\nalgorithm = "parallel_tempering"\nreplicas = 3', "[sampler] replicas = 3: model "
                                                                   "'curie_weiss' measures 1 replica(s)")])
def test_reduce_and_sampler_settings_are_refused_before_anything_runs(tmp_path, added, expected):
    """A [reduce] typo or out-of-range setting, an unknown sampler or a sampler setting that does not apply:
    `validate` and `run` both exit 2 with one line naming the key, the value and what is allowed, and
    nothing is written."""
    path = cw_workflow(tmp_path)
    text = path.read_text()
    if added.startswith("[sampler]"):
        extra = added.removeprefix("[sampler]\n")
        text = text.replace('algorithm = "metropolis"', extra) if "algorithm" in extra else \
            text.replace("[sampler]", added)
    else:
        text += "\n" + added + "\n"
    path.write_text(text)
    cat = tmp_path / "c.zarr"
    for cmd in ("validate", "run"):
        r = cli(cmd, path, catalog=cat, check=False)
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        assert r.returncode == 2, r.stderr
        assert len(lines) == 1 and expected in lines[0] and "Traceback" not in r.stderr, r.stderr
    assert not cat.exists()


def test_a_sampler_the_model_cannot_serve_is_refused(tmp_path):
    """Naming the model, the sampler and what is missing (a model without a heat-bath table)."""
    from pipeline.errors import SpecError
    from pipeline.models import get_model
    from pipeline.spec.workflow import validate

    hop = get_model("hopfield")
    orig = hop.flips
    object.__setattr__(hop, "flips", dataclasses.replace(orig, heatbath_table=None))
    try:
        raw = {"name": "h", "model": "hopfield", "seed": 1, "grid": {"N": [20], "T": [1.0], "seeds": 1,
                                                                     "alpha": 0.1},
               "sampler": {"algorithm": "heatbath", "sweeps": 100, "bins": 8}}
        with pytest.raises(SpecError) as e:
            validate(raw, source="w.toml")
        assert str(e.value) == ("w.toml [sampler] algorithm = 'heatbath': model 'hopfield' cannot serve sampler "
                                "'heatbath': it lacks a heat-bath table (FlipMoves.heatbath_table)")
    finally:
        object.__setattr__(hop, "flips", orig)


def test_plain_xarray_opens_the_sweep_without_spinsweep(swept):
    _, _, cat = swept
    code = (f"import sys, xarray as xr; ds = xr.open_zarr({str(cat)!r}, group='small'); "
            "assert 'pipeline' not in sys.modules; print(dict(ds.sizes), sorted(ds.data_vars)[:3])")
    r = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-I", "-c", code], capture_output=True,
                       text=True, cwd="/")
    assert r.returncode == 0, r.stderr
    assert "'N': 2" in r.stdout


def test_query_json_csv_table(swept):
    _, _, cat = swept
    recs = json.loads(cli("catalog", "query", "small", "--var", "m_abs", "--var", "binder", "--where", "N=16",
                          "--format", "json", catalog=cat).stdout)
    assert len(recs) == 4
    assert set(recs[0]) == {"N", "T", "seed", "m_abs", "m_abs_err", "binder", "binder_err"}
    assert all(r["N"] == 16 for r in recs)
    recs = json.loads(cli("catalog", "query", "small", "--var", "m_abs", "--where", "T<1.0", "--format", "json",
                          catalog=cat).stdout)
    assert len(recs) == 4 and all(r["T"] < 1.0 for r in recs)
    csv = cli("catalog", "query", "small", "--var", "energy", "--format", "csv", catalog=cat).stdout.splitlines()
    assert csv[0] == "N,T,seed,energy,energy_err" and len(csv) == 9
    table = cli("catalog", "query", "small", "--var", "chi", catalog=cat).stdout
    assert "chi_err" in table.splitlines()[0]
    r = cli("catalog", "query", "small", "--var", "nope", catalog=cat, check=False)
    assert r.returncode == 2 and "--var 'nope'" in r.stderr and "m_abs" in r.stderr
    r = cli("catalog", "query", "small", "--var", "m_abs", "--where", "L=3", catalog=cat, check=False)
    assert r.returncode == 2 and "allowed: N, T, seed" in r.stderr


def test_catalog_list_and_show(swept):
    _, _, cat = swept
    rows = json.loads(cli("catalog", "list", "--json", catalog=cat).stdout)
    assert rows[0]["name"] == "small" and rows[0]["done"] == rows[0]["total"] == 8
    assert rows[0]["shape"] == {"N": 2, "T": 2, "seed": 2}
    show = cli("catalog", "show", "small", catalog=cat).stdout
    assert "8/8 done" in show and "versions" in show
    r = cli("catalog", "show", "nope", catalog=cat, check=False)
    assert r.returncode == 2 and "not in catalog" in r.stderr


def test_bench_json():
    out = json.loads(cli("bench", "cw", "--N", 256, "--T", 1.0, "--sweeps", 200, "--json").stdout)
    assert out["model"] == "curie_weiss" and out["N"] == 256 and out["flips_per_s"] > 0


def test_bench_sk_json_reproduces_the_C_sanity_numbers_keys():
    out = json.loads(cli("bench", "sk", "--N", 128, "--T", 0.8, "--sweeps", 100, "--json").stdout)
    assert out["model"] == "sk" and out["N"] == 128 and out["flips_per_s"] > 0
    assert -0.8 < out["e_final"] < -0.4 and 0 < out["acc_rate"] < 1


def test_shipped_sk_workflows_validate():
    """The quick and the full SK workflows load, with parallel tempering and reduce/plot on."""
    root = Path(__file__).resolve().parents[1] / "workflows"
    for name, points in (("sk_spin_glass.toml", 4 * 20 * 240), ("sk_spin_glass_full.toml", None)):
        r = cli("validate", root / name)
        assert "ok" in r.stdout and (points is None or f"{points} points" in r.stdout), r.stdout


def _done(cat: Path, name: str) -> int:
    try:
        return int(xr.open_zarr(cat, group=name, consolidated=False)["done"].sum())
    except Exception:
        return 0


def test_external_scheduler_and_worker_processes(tmp_path):
    """`dask scheduler` and `dask worker` started as separate processes on 127.0.0.1; run --scheduler."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    addr = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    procs = [subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", addr, "--nworkers", "1", "--nthreads", "1",
             "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True))
        path = cw_workflow(tmp_path, name="ext")
        cat = tmp_path / "c.zarr"
        deadline = time.time() + 60
        while True:
            r = cli("run", path, "--scheduler", addr, catalog=cat, check=False, timeout=120)
            if r.returncode == 0 or time.time() > deadline:
                break
            time.sleep(1)
        assert r.returncode == 0, r.stderr
        assert "8 points computed" in r.stdout
        recs = json.loads(cli("catalog", "query", "ext", "--var", "m_abs", "--format", "json", catalog=cat).stdout)
        assert len(recs) == 8
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=30)


def test_unreachable_scheduler_is_a_clean_error(tmp_path):
    r = cli("run", cw_workflow(tmp_path), "--scheduler", "tcp://127.0.0.1:9", "--set", 'cluster.connect_timeout="2s"',
            catalog=tmp_path / "c.zarr", check=False, timeout=120)
    assert r.returncode == 2 and "cannot connect" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "c.zarr").exists()  # nothing written, not even the lock file


def test_run_overrides_and_env_catalog(tmp_path):
    path = cw_workflow(tmp_path, name="ov")
    cat = tmp_path / "env.zarr"
    cli("run", path, "--workers", 1, "--set", "grid.seeds=1", "--set", "name=ov1", catalog=cat)
    ds = xr.open_zarr(cat, group="ov1")
    assert ds.sizes["seed"] == 1 and np.all(ds["done"].values)


def test_reduce_refuses_too_few_temperatures(swept):
    _, _, cat = swept
    r = cli("reduce", "small", "--json", catalog=cat, check=False)
    assert r.returncode == 2 and "at least 4 temperatures" in r.stderr and "Traceback" not in r.stderr


def test_run_with_reduce_and_plot_then_reduce_json(tmp_path):
    """A workflow that declares [run] reduce/plot: one command runs, reduces and draws."""
    path = cw_workflow(tmp_path, name="chain", N=(32, 64, 128), T=tuple(np.round(np.linspace(0.85, 1.15, 13), 4)),
                       seeds=4, sweeps=10000)
    path.write_text(path.read_text() + "\n[run]\nreduce = true\nplot = true\n")
    cat = tmp_path / "c.zarr"
    env_cwd = tmp_path
    r = subprocess.run([*SPINSWEEP, "run", str(path), "--workers", "2"], capture_output=True, text=True,
                       env=dict(os.environ, SPINSWEEP_CATALOG=str(cat)), cwd=env_cwd, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "T_c" in r.stdout
    pngs = [line.split()[-1] for line in r.stdout.splitlines() if line.startswith("wrote ")]
    assert len(pngs) == 4 and all(Path(env_cwd, p).exists() for p in pngs)
    out = json.loads(cli("reduce", "chain", "--json", catalog=cat).stdout)
    assert set(out) >= {"Tc", "exponents", "sizes", "method"}
    assert set(out["Tc"]) == {"value", "err"}
    assert {"beta", "gamma", "nu_bar", "beta_over_nu_bar", "gamma_over_nu_bar"} <= set(out["exponents"])
    show = cli("catalog", "show", "chain", catalog=cat).stdout
    assert "reduction (" in show and "Tc:" in show
    r = cli("plot", "chain", "-o", tmp_path / "figs", catalog=cat)
    assert (tmp_path / "figs" / "binder.png").exists()


def test_hopfield_sweep_query_by_init_and_alpha(tmp_path):
    """Must-show: `catalog query NAME --var m --where init=pattern --where alpha=0.1 --format csv`."""
    from tests.spec.test_workflow import HOP

    path = tmp_path / "hop.toml"
    path.write_text(HOP)
    cat = tmp_path / "c.zarr"
    cli("run", path, "--workers", 1, catalog=cat)
    csv = cli("catalog", "query", "hop", "--var", "m", "--where", "init=pattern", "--where", "alpha=0.1",
              "--format", "csv", catalog=cat).stdout.splitlines()
    assert csv[0] == "N,alpha,T,seed,init,m,m_err"
    rows = [r.split(",") for r in csv[1:]]
    assert len(rows) == 4 and all(r[4] == "pattern" and float(r[1]) == 0.1 for r in rows)
    assert all(0.0 <= float(r[5]) <= 1.0 for r in rows)
