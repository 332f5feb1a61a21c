"""Distributed for real: a worker or the client killed mid-sweep, two sweeps written into one catalog at
once, what a run listens on, exposure beyond loopback (refused, allowed, TLS), and sweep names refused
before anything is written.

Every test runs the real ``spinsweep`` command (and, where it says so, real ``dask scheduler`` and
``dask worker`` processes) as subprocesses; nothing is mocked. The store's own records (``done``,
``failed``, ``n_stored``) say what happened; data variables are compared bit for bit (NaN == NaN).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from tests.conftest import cw_workflow
from tests.test_cli import SPINSWEEP, cli

PY = sys.executable
KILL_GRID = {"N": (64, 128, 256, 512), "T": (0.8, 0.9, 1.0, 1.1, 1.2), "seeds": 2}
KILL_POINTS = 4 * 5 * 2


# ------------------------------------------------------------------ helpers
def _env(catalog: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SPINSWEEP_CATALOG", "SPINSWEEP_INJECT_FAULT")}
    if catalog is not None:
        env["SPINSWEEP_CATALOG"] = str(catalog)
    env.update(extra)
    return env


class Procs:
    """Processes a test starts, each in its own session; :meth:`close` SIGKILLs each one's process group."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, args, **kw) -> subprocess.Popen:
        kw.setdefault("stdout", subprocess.DEVNULL)
        kw.setdefault("stderr", subprocess.DEVNULL)
        p = subprocess.Popen([str(a) for a in args], stdin=subprocess.DEVNULL, start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def spinsweep(self, *args, catalog: Path, **kw) -> subprocess.Popen:
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        return self.start([*SPINSWEEP, *args], env=_env(catalog), text=True, **kw)

    def close(self) -> None:
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)  # the group: a LocalCluster's workers too
            except (ProcessLookupError, PermissionError):
                pass
        for p in self.procs:
            try:
                p.communicate(timeout=30)
            except (subprocess.TimeoutExpired, ValueError):
                pass


@pytest.fixture
def procs():
    ps = Procs()
    try:
        yield ps
    finally:
        ps.close()


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _one_error_line(r, rc: int = 2) -> str:
    """The single ``spinsweep: error:`` line of a refused command (its exit code checked)."""
    lines = _lines(r.stderr)
    assert r.returncode == rc, (r.returncode, r.stderr)
    assert len(lines) == 1 and lines[0].startswith("spinsweep: error:"), r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


def _together(*calls: tuple[tuple, Path], timeout: float = 240) -> list[subprocess.CompletedProcess]:
    """Run several `spinsweep ARGS` commands (each with its catalog) at once; their completed processes."""
    ps = [subprocess.Popen([*SPINSWEEP, *map(str, args)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=_env(cat)) for args, cat in calls]
    out = []
    try:
        for p in ps:
            o, e = p.communicate(timeout=timeout)
            out.append(subprocess.CompletedProcess(p.args, p.returncode, o, e))
    finally:
        for p in ps:
            if p.poll() is None:
                p.kill()
                p.wait()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _n_done(cat: Path, name: str) -> int:
    """Points marked done in the store (0 while the sweep's group or its ``done`` array is not there yet)."""
    import zarr

    try:
        return int(np.asarray(zarr.open_array(str(cat), path=f"{name}/done", mode="r")[...]).sum())
    except Exception:
        return 0


def _load(cat: Path, name: str) -> xr.Dataset:
    return xr.open_zarr(str(cat), group=name, consolidated=False).load()


def _assert_complete(ds: xr.Dataset) -> None:
    """Every point done, none failed, each stored exactly once."""
    assert bool(ds["done"].all()), f"{int((~ds['done']).sum())} points not done"
    assert not bool(ds["failed"].any())
    assert ds["n_stored"].dtype == np.int32
    bad = ds["n_stored"].values != 1
    assert not bad.any(), f"n_stored != 1 at {int(bad.sum())} points: {np.unique(ds['n_stored'].values)}"


def _assert_identical(a: xr.Dataset, b: xr.Dataset) -> None:
    assert set(a.data_vars) == set(b.data_vars)
    assert dict(a.sizes) == dict(b.sizes)
    for c in a.coords:
        np.testing.assert_array_equal(a[c].values, b[c].values, err_msg=c)
    for v in a.data_vars:
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)  # NaN == NaN


def _kill_workflow(d: Path) -> Path:
    """40 points of a few tenths of a second each, one point per task (many tasks, many batches)."""
    path = cw_workflow(d, name="k", N=KILL_GRID["N"], T=KILL_GRID["T"], seeds=KILL_GRID["seeds"],
                       sweeps=20000, thermalize=500)
    path.write_text(path.read_text() + "\n[run]\npoints_per_task = 1\n")
    return path


@pytest.fixture(scope="module")
def clean_k(tmp_path_factory):
    """The kill tests' workflow run undisturbed on one local worker: (workflow path, its dataset)."""
    d = tmp_path_factory.mktemp("clean_k")
    path = _kill_workflow(d)
    cat = d / "clean.zarr"
    r = cli("run", path, "--workers", 1, "--no-progress", catalog=cat)
    assert f"{KILL_POINTS} points computed" in r.stdout
    ds = _load(cat, "k")
    _assert_complete(ds)
    return path, ds


def _wait_for_done(p: subprocess.Popen, cat: Path, name: str, timeout: float = 120) -> int:
    """Poll the store until some point is done (or ``p`` exits); the done count then."""
    t0 = time.time()
    while (n := _n_done(cat, name)) == 0 and p.poll() is None and time.time() - t0 < timeout:
        time.sleep(0.05)
    return n


# ------------------------------------------------------------------ 1. a worker of an external cluster dies
def test_sigkill_of_an_external_worker_loses_nothing(tmp_path, procs, clean_k):
    """`dask scheduler` and two `dask worker --no-nanny` processes on 127.0.0.1; `spinsweep run --scheduler`
    on them; once some points are stored, SIGKILL one worker process. The run still exits 0 with every point
    done and stored exactly once (n_stored == 1), bit-identical to a clean one-worker local run: the dead
    worker's tasks (running, or finished but not yet fetched) are recomputed elsewhere, and no result is
    written twice."""
    from distributed import Client

    wf, clean = clean_k
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    procs.start([PY, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", port,
                 "--no-dashboard"], env=_env())
    workers = [procs.start([PY, "-m", "distributed.cli.dask_worker", addr, "--nthreads", 1, "--no-nanny",
                            "--host", "127.0.0.1", "--no-dashboard"], env=_env()) for _ in range(2)]
    with Client(addr, timeout="60s") as c:
        c.wait_for_workers(2, timeout=60)
        pids = set(c.run(os.getpid).values())
    assert pids == {w.pid for w in workers}  # --no-nanny: each worker is the process we started

    cat = tmp_path / "c.zarr"
    run = procs.spinsweep("run", wf, "--scheduler", addr, "--no-progress", catalog=cat)
    n = _wait_for_done(run, cat, "k")
    assert run.poll() is None and 0 < n < KILL_POINTS, f"kill would not land mid-sweep ({n} done)"
    os.kill(workers[0].pid, signal.SIGKILL)
    assert workers[0].wait(timeout=10) == -signal.SIGKILL
    out, err = run.communicate(timeout=180)
    assert run.returncode == 0, err
    assert f"{KILL_POINTS} points computed, 0 already done" in out
    assert workers[1].poll() is None  # the survivor did the rest
    ds = _load(cat, "k")
    _assert_complete(ds)
    _assert_identical(clean, ds)


# ------------------------------------------------------------------ 2. the client dies, then a rerun
def test_sigkill_of_the_client_then_rerun_computes_each_point_once(tmp_path, procs, clean_k):
    """SIGKILL the client's whole process group (client, its LocalCluster) right after the store's done count
    first rises, i.e. between two batches. The store then holds some but not all points, each done point
    stored once; a rerun computes exactly the others ("M points computed, n already done"), after which
    every point is done with n_stored == 1 (nothing computed twice) and the arrays are bit-identical to a
    clean run."""
    wf, clean = clean_k
    cat = tmp_path / "killed.zarr"
    run = procs.spinsweep("run", wf, "--workers", 2, "--no-progress", catalog=cat,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_done(run, cat, "k")
    os.killpg(run.pid, signal.SIGKILL)
    assert run.wait(timeout=30) == -signal.SIGKILL, "the run had finished before the kill"
    part = _load(cat, "k")
    n = int(part["done"].sum())
    assert 0 < n < KILL_POINTS, f"kill did not land part-way ({n} stored)"
    assert (part["n_stored"].values[part["done"].values] == 1).all()
    assert not bool(part["failed"].any())

    r = cli("run", wf, "--workers", 2, "--no-progress", catalog=cat)
    assert f"{KILL_POINTS - n} points computed, {n} already done, {KILL_POINTS} in all" in r.stdout
    ds = _load(cat, "k")
    _assert_complete(ds)
    _assert_identical(clean, ds)


# ------------------------------------------------------------------ 3. two sweeps into one catalog at once
def test_two_sweeps_written_into_one_catalog_at_the_same_moment(tmp_path, procs):
    """Two `spinsweep run` processes (sweeps 'a' and 'b', different workflow seeds) started together into one
    catalog both exit 0; `catalog list --json` lists both complete; plain xarray (the root's consolidated
    metadata) opens both; and each sweep equals the same workflow run alone into a catalog of its own."""
    a = cw_workflow(tmp_path, name="a", N=(32, 64, 128), T=(0.8, 1.0, 1.2), seeds=2, sweeps=5000)
    b = cw_workflow(tmp_path, name="b", N=(32, 64, 128), T=(0.8, 1.0, 1.2), seeds=2, sweeps=5000)
    b.write_text(b.read_text().replace("seed = 7", "seed = 8"))
    shared = tmp_path / "shared.zarr"
    runs = [procs.spinsweep("run", wf, "--workers", 1, "--no-progress", catalog=shared) for wf in (a, b)]
    alone = [procs.spinsweep("run", wf, "--workers", 1, "--no-progress", catalog=tmp_path / f"{wf.stem}.zarr")
             for wf in (a, b)]
    for p in runs + alone:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
        assert "18 points computed" in out, out
    rows = {r["name"]: r for r in json.loads(cli("catalog", "list", "--json", catalog=shared).stdout)}
    assert set(rows) == {"a", "b"}
    assert all(r["done"] == r["total"] == 18 and r["failed"] == 0 for r in rows.values()), rows
    for wf in (a, b):
        ds = _load(shared, wf.stem)
        _assert_complete(ds)
        _assert_identical(_load(tmp_path / f"{wf.stem}.zarr", wf.stem), ds)
        plain = xr.open_zarr(str(shared), group=wf.stem)  # consolidated metadata at the root, as xarray reads it
        assert bool(plain["done"].all()) and dict(plain.sizes) == dict(ds.sizes)
    assert not np.array_equal(_load(shared, "a")["m_abs"].values, _load(shared, "b")["m_abs"].values)


def test_the_same_sweep_twice_at_once_one_wins_the_other_fails_fast(tmp_path, procs):
    """Two runs of one workflow started together into one catalog: exactly one computes the sweep (exit 0,
    complete, each point stored once); the other exits 2, with one line saying the sweep is being written by
    another spinsweep process, while the winner is still running (the lock is taken before any cluster
    starts)."""
    wf = cw_workflow(tmp_path, name="same", N=(64, 128, 256), T=(0.8, 1.0, 1.2), seeds=2, sweeps=20000)
    cat = tmp_path / "c.zarr"
    runs = [procs.spinsweep("run", wf, "--workers", 1, "--no-progress", catalog=cat) for _ in range(2)]
    t0 = time.time()
    while all(p.poll() is None for p in runs) and time.time() - t0 < 120:
        time.sleep(0.05)
    first = next(p for p in runs if p.poll() is not None)
    other = next(p for p in runs if p is not first)
    assert other.poll() is None, "both runs ended before either could be seen losing the race"
    loser_out, loser_err = first.communicate(timeout=30)
    winner_out, winner_err = other.communicate(timeout=240)
    assert other.returncode == 0, winner_err
    assert "18 points computed, 0 already done" in winner_out
    line = _one_error_line(subprocess.CompletedProcess(first.args, first.returncode, loser_out, loser_err))
    assert "sweep 'same' is being written by another spinsweep process" in line, line
    assert loser_out == ""
    _assert_complete(_load(cat, "same"))


# ------------------------------------------------------------------ 4. what a local run listens on
def _process_tree(root: int) -> set[int]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    out, todo = set(), [root]
    while todo:
        x = todo.pop()
        out.add(x)
        todo += kids.get(x, [])
    return out


def _listening(pids: set[int]) -> set[tuple[str, int]]:
    """(address, port) of the TCP sockets listening in any of ``pids`` (from `ss -ltnpH`)."""
    out = set()
    for line in subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, timeout=10).stdout.splitlines():
        parts = line.split()
        if len(parts) < 6 or not {int(x) for x in re.findall(r"pid=(\d+)", line)} & pids:
            continue
        host, _, port = parts[3].rpartition(":")
        out.add((host.strip("[]").split("%")[0], int(port)))
    return out


def _on_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # '*' (every address) or anything else that is not a loopback address


def _watch(p: subprocess.Popen, timeout: float = 120, tick=None) -> set[tuple[str, int]]:
    """Every 0.3 s until ``p`` exits: the listening sockets of its process tree (``tick()`` called each time)."""
    seen: set[tuple[str, int]] = set()
    t0 = time.time()
    while p.poll() is None and time.time() - t0 < timeout:
        seen |= _listening(_process_tree(p.pid))
        if tick is not None:
            tick()
        time.sleep(0.3)
    assert p.poll() is not None, f"run did not finish in {timeout} s"
    return seen


def _listen_workflow(d: Path, name: str) -> Path:
    """24 points: ~10 s on two workers, time enough to look at the sockets a few dozen times."""
    return cw_workflow(d, name=name, N=(256, 512), T=(0.9, 1.0, 1.1, 1.2), seeds=3, sweeps=20000)


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs `ss` (iproute2)")
def test_a_default_local_run_listens_on_loopback_only(tmp_path, procs):
    """During `spinsweep run --workers 2` (no --host, no --dashboard), every TCP socket listening in the run's
    process tree (client, scheduler, nannies, workers, the scheduler's HTTP server) is on 127.0.0.1 or ::1."""
    run = procs.spinsweep("run", _listen_workflow(tmp_path, "listen"), "--workers", 2, "--no-progress",
                          catalog=tmp_path / "c.zarr", stdout=subprocess.DEVNULL)
    seen = _watch(run)
    err = run.stderr.read()
    assert run.returncode == 0, err
    assert len(seen) >= 3, f"saw too few listening sockets to say anything: {seen}"  # scheduler + 2 nannies...
    wide = sorted(s for s in seen if not _on_loopback(s[0]))
    assert not wide, f"listening beyond loopback: {wide} (of {sorted(seen)})"


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs `ss` (iproute2)")
def test_the_dashboard_is_served_on_loopback_while_the_run_lasts(tmp_path, procs):
    """`spinsweep run --dashboard` prints `dashboard: http://127.0.0.1:PORT/status` on stderr; that URL answers
    HTTP 200 during the run, and the run's sockets, the dashboard's included, all listen on loopback."""
    run = procs.spinsweep("run", _listen_workflow(tmp_path, "dash"), "--workers", 2, "--dashboard",
                          "--no-progress", catalog=tmp_path / "c.zarr", stdout=subprocess.DEVNULL)
    err_lines: list[str] = []
    reader = threading.Thread(target=lambda: err_lines.extend(run.stderr), daemon=True)
    reader.start()
    answered: list[tuple[str, int]] = []

    def check_dashboard():
        urls = [m.group(1) for line in err_lines if (m := re.match(r"dashboard: (\S+)", line))]
        if urls and not answered:
            with urllib.request.urlopen(urls[0], timeout=10) as resp:
                answered.append((urls[0], resp.status, resp.read().decode(errors="replace")))

    seen = _watch(run, tick=check_dashboard)
    reader.join(timeout=10)
    assert run.returncode == 0, "".join(err_lines)
    assert answered, f"no dashboard URL answered during the run; stderr: {''.join(err_lines)!r}"
    url, status, page = answered[0]
    assert status == 200 and "needs bokeh" not in page.lower() and "bokeh" in page.lower()  # the real dashboard
    u = urllib.parse.urlparse(url)
    assert u.scheme == "http" and u.hostname == "127.0.0.1" and u.path == "/status", url
    assert ("127.0.0.1", u.port) in seen
    wide = sorted(s for s in seen if not _on_loopback(s[0]))
    assert not wide, f"listening beyond loopback: {wide} (of {sorted(seen)})"


# ------------------------------------------------------------------ 5. exposure beyond loopback
def test_listening_beyond_loopback_without_tls_is_refused_unless_allowed(tmp_path):
    """`run --host 0.0.0.0`, and a workflow whose [cluster] table says host = "0.0.0.0", exit 2 with one line
    naming TLS and --allow-insecure, before the catalog is created; `--host 0.0.0.0 --allow-insecure`
    runs the sweep."""
    wf = cw_workflow(tmp_path, name="wide")
    in_table = cw_workflow(tmp_path, name="wide_table")
    in_table.write_text(in_table.read_text() + '\n[cluster]\nhost = "0.0.0.0"\n')
    refused, cat = tmp_path / "refused.zarr", tmp_path / "c.zarr"
    flag, table, allowed = _together(
        (("run", wf, "--host", "0.0.0.0", "--no-progress"), refused),
        (("run", in_table, "--no-progress"), refused),
        (("run", wf, "--host", "0.0.0.0", "--allow-insecure", "--workers", 1, "--no-progress"), cat))
    for r in (flag, table):
        line = _one_error_line(r)
        assert "TLS" in line and "--allow-insecure" in line and "0.0.0.0" in line, line
    assert not refused.exists()
    assert allowed.returncode == 0, allowed.stderr
    assert "8 points computed" in allowed.stdout
    _assert_complete(_load(cat, "wide"))


def _self_signed(d: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate it signs (subjectAltName 127.0.0.1, localhost), via `openssl`."""
    ca_key, ca, key, csr, cert, ext = (d / n for n in ("ca.key", "ca.pem", "key.pem", "cert.csr", "cert.pem",
                                                       "ext.cnf"))
    ext.write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\nbasicConstraints = CA:FALSE\n"
                   "keyUsage = digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth, clientAuth\n")
    for cmd in (["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2",
                 "-subj", "/CN=spinsweep test CA"],
                ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=localhost"],
                ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert,
                 "-days", "2", "-extfile", ext]):
        r = subprocess.run(["openssl", *map(str, cmd)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
    return ca, cert, key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_beyond_loopback_with_tls_runs(tmp_path):
    """`run --host 0.0.0.0 --tls-ca-file --tls-cert --tls-key` with a self-signed CA and certificate: the
    cluster (scheduler, workers, client) speaks TLS, the sweep completes and exits 0; a missing TLS file is
    one clean error line."""
    ca, cert, key = _self_signed(tmp_path)
    wf = cw_workflow(tmp_path, name="tls")
    cat, other = tmp_path / "c.zarr", tmp_path / "other.zarr"
    tls = ("--host", "0.0.0.0", "--tls-ca-file", ca, "--tls-cert", cert)
    r, missing = _together((("run", wf, *tls, "--tls-key", key, "--workers", 1, "--no-progress"), cat),
                           (("run", wf, *tls, "--tls-key", tmp_path / "nope.pem", "--no-progress"), other))
    assert r.returncode == 0, r.stderr
    assert "8 points computed" in r.stdout
    _assert_complete(_load(cat, "tls"))
    line = _one_error_line(missing)
    assert "nope.pem" in line and "not found" in line, line
    assert not other.exists()


# ------------------------------------------------------------------ 6. names that cannot name a sweep
@pytest.mark.parametrize("name", ["../x", "/abs", "", "a\x01b", ".hidden"],
                         ids=["dotdot", "absolute", "empty", "control", "hidden"])
def test_a_bad_sweep_name_is_refused_before_anything_is_written(tmp_path, name):
    """A workflow whose name would escape the catalog, be empty, hold a control character or be hidden:
    `validate` and `run` exit 2 with exactly one `spinsweep: error:` line about the name (the control
    character escaped, not printed), and no catalog (nor anything else) is created."""
    wf = cw_workflow(tmp_path, name="cw")
    wf.write_text(wf.read_text().replace('name = "cw"', f"name = {json.dumps(name)}"))  # a TOML basic string
    cat = tmp_path / "c.zarr"
    for r in _together((("validate", wf), cat), (("run", wf, "--no-progress"), cat)):
        line = _one_error_line(r)
        assert re.search(r"\bname\b", line.replace(str(wf), "")), line
        assert not any(ord(ch) < 32 for ch in line), repr(line)
    assert not cat.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cw.toml"]
