"""Hostile input beyond the schema: refused before anything is written, in one line, with exit code 2.

Every input runs through the real command line in-process (typer's CliRunner) as ``spinsweep validate``
and ``spinsweep run --catalog ...``: exit code 2, exactly one ``spinsweep: error:`` line on stderr and no
traceback, no catalog created where there was none, and an existing catalog left as it was (file list,
sizes and modification times). ``run`` starts its Dask cluster only once the workflow validates, so
refused inputs cost nothing; the one valid run is the module fixture's tiny sweep.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipeline.cli import _limits, app
from pipeline.errors import SpinsweepError
from pipeline.spec.limits import Limits, parse_bytes, sci
from pipeline.spec.workflow import MAX_WORKFLOW_BYTES, load_workflow, parse_workflow

TINY = """name = "tiny"
model = "curie_weiss"
seed = 7

[grid]
N = [8]
T = [1.0]
seeds = 1

[sampler]
algorithm = "metropolis"
thermalize = 10
sweeps = 100
bins = 4
"""

HOPFIELD = TINY.replace('model = "curie_weiss"', 'model = "hopfield"').replace("seeds = 1", "seeds = 1\nalpha = [0.1]")

runner = CliRunner()
ENV = {"SPINSWEEP_CATALOG": None}


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], env=ENV, catch_exceptions=True)


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under ``root``: (size, mtime in ns)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            p = Path(dirpath, name)
            st_ = p.stat()
            out[str(p.relative_to(root))] = (st_.st_size, st_.st_mtime_ns)
    return out


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A catalog holding one tiny sweep, run through ``spinsweep run`` on a one-worker LocalCluster."""
    d = tmp_path_factory.mktemp("hostile")
    wf = d / "tiny.toml"
    wf.write_text(TINY)
    cat = d / "stored.zarr"
    r = invoke("run", wf, "--catalog", cat, "--workers", 1, "--no-progress")
    assert r.exit_code == 0, (r.output, r.exception)
    assert "1 points computed" in r.stdout
    return cat, snapshot(cat)


def text(s: str) -> Callable[[Path], Path]:
    def write(d: Path) -> Path:
        p = d / "wf.toml"
        p.write_text(s, encoding="utf-8")
        return p
    return write


def raw(b: bytes, name: str = "wf.toml") -> Callable[[Path], Path]:
    def write(d: Path) -> Path:
        p = d / name
        p.write_bytes(b)
        return p
    return write


def edit(old: str, new: str, base: str = TINY) -> Callable[[Path], Path]:
    assert old in base, old
    return text(base.replace(old, new))


def name(value: str) -> Callable[[Path], Path]:
    return edit('name = "tiny"', f"name = {value}")


def directory(d: Path) -> Path:
    p = d / "dir.toml"
    p.mkdir()
    return p


def fifo(d: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    p = d / "fifo.toml"
    os.mkfifo(p)
    return p


def dev_zero(d: Path) -> Path:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    return Path("/dev/zero")


def deep(opener: str, closer: str, n: int = 10_000) -> Callable[[Path], Path]:
    return text(TINY + f"\n[reduce]\nx = {opener * n}1{closer * n}\n")


# (id, how to make the workflow path, extra arguments, a piece of the expected message)
HOSTILE = [
    ("seeds-1e12", edit("seeds = 1", "seeds = 1000000000000"), (),
     "[grid] seeds = 1000000000000: the grid would have 1.0e12 points, above the limit of 1.0e7 "
     "(raise it with --max-points)"),
    ("T-range-1e12", edit("T = [1.0]", "T = { start = 0.5, stop = 1.5, num = 1000000000000 }"), (),
     "the grid would have 1.0e12 points"),
    ("seeds-over-max-points", edit("seeds = 1", "seeds = 100"), ("--max-points", "50"),
     "[grid] seeds = 100: the grid would have 1.0e2 points, above the limit of 5.0e1"),
    # sizes far beyond any machine's memory (the default limit is half of this one's)
    ("N-1e12", edit("N = [8]", "N = [1000000000000]"), (),
     "[grid] N = [1000000000000]: one sample at N = 1000000000000 needs ~1.8e13 bytes (acceptance tables"),
    ("N-1e9-over-max-memory", edit("N = [8]", "N = [1000000000]"), ("--max-memory", "12e9"),
     "[grid] N = [1000000000]: one sample at N = 1000000000 needs ~1.8e10 bytes (acceptance tables N float64 "
     "per temperature), above the limit of 1.2e10 bytes (raise it with --max-memory)"),
    ("hopfield-N-1e7", edit("N = [8]", "N = [10000000]", HOPFIELD), (),
     "P*N = 10000000000000; expected P*N <= 2147483647"),
    ("hopfield-N-1.4e5-over-max-memory", edit("N = [8]", "N = [140000]", HOPFIELD), ("--max-memory", "1e9"),
     "(patterns P x N int8)"),
    ("sk-N-1e7", edit('model = "curie_weiss"', 'model = "sk"', TINY.replace("N = [8]", "N = [10000000]")), (),
     "(couplings N^2 float64"),
    ("sweeps-1e18", edit("sweeps = 100", "sweeps = 1000000000000000000"), (),
     "[sampler] sweeps = 1000000000000000000: one sample at N = 8 keeps 1000000000000000000 measurements"),
    ("thermalize-1e15", edit("thermalize = 10", "thermalize = 1000000000000000"), (),
     "[sampler] thermalize = 1000000000000000: the sweep would cost ~8.0e15 work units"),
    ("cost-over-max-cost", text(TINY), ("--max-cost", "100"), "above the limit of 1.0e2 "),
    ("memory-over-max-memory", text(TINY), ("--max-memory", "1KiB"), "above the limit of 1.0e3 bytes"),
    ("binary-file", raw(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "x.bin"), (),
     "x.bin': not UTF-8 text (byte 0x89 at offset 0)"),
    ("utf-16-file", raw(TINY.encode("utf-16")), (), "UTF-16 byte-order mark"),
    ("nul-byte", raw(TINY.encode().replace(b"seed = 7", b"seed = 7\x00")), (), "not a text file (a NUL byte"),
    ("directory", directory, (), "a directory, not a workflow file"),
    ("fifo", fifo, (), "a FIFO, not a workflow file"),
    ("dev-zero", dev_zero, (), "a character device, not a workflow file"),
    ("over-1-MiB", text(TINY + "#" * MAX_WORKFLOW_BYTES), (), "workflow files are small text files"),
    ("missing-file", lambda d: d / "nowhere.toml", (), "No such file or directory"),
    ("name-dotdot-slash", name('"../x"'), (), "the name becomes a directory of the catalog"),
    ("name-absolute", name('"/abs"'), (), "the name becomes a directory of the catalog"),
    ("name-empty", name('""'), (), "expected a non-empty name"),
    ("name-slash", name('"a/b"'), (), "the name becomes a directory of the catalog"),
    ("name-newline", name('"a\\nb"'), (), "name = 'a\\nb'"),
    ("name-control", name('"a\\u0007b"'), (), "name = 'a\\x07b'"),
    ("name-leading-dot", name('".lock-tiny"'), (), "starting with a letter, digit or '_'"),
    ("name-trailing-dot", name('"tiny."'), (), "not ending with '.'"),
    ("name-101-chars", name('"' + "a" * 101 + '"'), (), "101 characters"),
    ("name-CON", name('"CON"'), (), "'CON' is a reserved device name on Windows"),
    ("name-lpt1-ext", name('"lpt1.txt"'), (), "'lpt1' is a reserved device name on Windows"),
    ("name-dunder", name('"__x"'), (), "reserved by zarr"),
    ("name-zarr-json", name('"zarr.json"'), (), "the catalog's own metadata file"),
    ("name-not-string", name("3"), (), "expected a string of at most 100"),
    ("T-nan", edit("T = [1.0]", "T = [nan]"), (), "T = nan is not allowed: expected temperatures T > 0"),
    ("T-inf", edit("T = [1.0]", "T = [inf]"), (), "T = inf is not allowed"),
    ("T-negative", edit("T = [1.0]", "T = [-1.0]"), (), "T = -1.0 is not allowed"),
    ("T-zero", edit("T = [1.0]", "T = [0.0]"), (), "T = 0.0 is not allowed"),
    ("T-1e300", edit("T = [1.0]", "T = [1e300]", HOPFIELD), (), "T = 1e+300 is not allowed"),
    ("T-duplicates", edit("T = [1.0]", "T = [1.0, 1.0]"), (), "expected distinct temperatures"),
    ("T-range-nan", edit("T = [1.0]", "T = { start = nan, stop = 1.0, num = 3 }"), (), "T = nan is not allowed"),
    ("T-range-num-true", edit("T = [1.0]", "T = { start = 0.5, stop = 1.0, num = true }"), (),
     "T.num: expected an integer"),
    ("N-true", edit("N = [8]", "N = [true]"), (), "[grid] N = [true]: expected a list of integers >= 2"),
    ("N-float", edit("N = [8]", "N = [32.5]"), (), "[grid] N = [32.5]: expected a list of integers"),
    ("sweeps-true", edit("sweeps = 100", "sweeps = true"), (), "[sampler] sweeps = true: expected an integer"),
    ("bins-string", edit("bins = 4", 'bins = "4"'), (), "[sampler] bins = '4': expected an integer"),
    ("sweeps-2**70", edit("sweeps = 100", "sweeps = 1180591620717411303424"), (), "expected an integer below 2**63"),
    ("seed-2**70", edit("seed = 7", "seed = 1180591620717411303424"), (), "expected an integer 0 <= seed < 2**63"),
    ("integer-5000-digits", edit("seed = 7", "seed = " + "9" * 5000), (), "malformed TOML"),
    ("alpha-2**70", edit("alpha = [0.1]", "alpha = [1180591620717411303424]", HOPFIELD), (),
     "alpha = 1180591620717411303424 is not allowed"),
    ("unknown-model", edit('model = "curie_weiss"', 'model = "ising"'), (), "not registered; available:"),
    ("option-wrong-type", edit("bins = 4", 'bins = 4\noptions = { noise = "lots" }', HOPFIELD), (),
     "[sampler.options] noise = 'lots': expected a number"),
    ("nested-inline-tables", deep("{a = ", "}"), (), "nested too deeply"),
    ("nested-arrays", deep("[", "]"), (), "nested too deeply"),
    ("nested-20-tables", text(TINY + "\n[reduce." + ".".join("abcdefghijklmnopqrst") + "]\nx = 1\n"), (),
     "nested more than 16 levels deep"),
    ("subset-T-range-1e12", edit("seeds = 1", "seeds = 1\n[[grid.subset]]\nT = { start = 1.0, stop = 1.0, "
                                 "num = 1000000000000 }"), (),
     "more than [grid] T has (1)"),
    ("subset-value-a-list", edit("seeds = 1", "seeds = 1\n[[grid.subset]]\nT = [[1.0]]"), (),
     "T = [1.0] is not in [grid] T = [1.0]"),
    ("key-with-newline", edit("T = [1.0]", 'T = { start = 1.0, stop = 2.0, num = 2, "a\\nb" = 1 }'), (),
     "Extra inputs are not permitted"),
    ("set-into-non-table", text(TINY), ("--set", "name.x=3"), "'name' is not a table"),
    ("set-deep-value", text(TINY), ("--set", "sampler.sweeps=" + "[" * 5000 + "]" * 5000), "nested too deeply"),
]


@pytest.mark.parametrize(("make", "extra", "expected"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_hostile_input_is_refused_in_one_line_before_anything_is_written(tmp_path, stored, command, make,
                                                                         extra, expected):
    path = make(tmp_path)
    existing, before = stored
    fresh = tmp_path / "c.zarr"
    for cat in (fresh, existing) if command == "run" else (None,):
        args = [command, path, *extra] + (["--catalog", cat] if cat is not None else [])
        r = invoke(*args)
        lines = r.stderr.splitlines()
        assert r.exit_code == 2, (r.exit_code, r.stderr, r.exception)
        assert isinstance(r.exception, SystemExit), r.exception  # no traceback
        assert "Traceback" not in r.output
        assert len(lines) == 1 and lines[0].startswith("spinsweep: error: "), r.stderr
        assert expected in lines[0], lines[0]
        assert r.stdout == ""
    if command == "run":
        assert not fresh.exists()
        assert snapshot(existing) == before


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=512))
def test_random_bytes_never_give_a_traceback(scratch, data):
    path = scratch / "random.toml"
    path.write_bytes(data)
    r = invoke("validate", path)
    lines = r.stderr.splitlines()
    assert r.exit_code == 2 and isinstance(r.exception, SystemExit), (data, r.stderr, r.exception)
    assert lines and all(line.startswith("spinsweep: error: ") for line in lines), (data, r.stderr)


def test_valid_workflow_reports_its_estimates(tmp_path):
    path = text(TINY)(tmp_path)
    r = invoke("validate", path, "--max-points", "1e3", "--max-memory", "16GiB", "--max-cost", "1e12")
    assert r.exit_code == 0, r.output
    assert "ok" in r.stdout and "~8.8e2 work units" in r.stdout and "bytes per sample" in r.stdout


def test_limits_from_the_command_line():
    assert _limits() == Limits()
    lim = _limits("1e8", "16GiB", "2e16")
    assert (lim.max_points, lim.max_memory_bytes, lim.max_cost) == (10**8, 16 * 2**30, 2e16)
    assert _limits(max_memory="1500000000").max_memory_bytes == 1_500_000_000
    assert parse_bytes("500MB") == 500 * 10**6 and parse_bytes("2 tib") == 2 * 2**40
    for bad in (("0", None, None), ("1.5", None, None), ("lots", None, None), (None, "16 parsecs", None),
                (None, "0", None), (None, None, "nan"), (None, None, "-1")):
        with pytest.raises(SpinsweepError):
            _limits(*bad)
    with pytest.raises(ValueError):
        Limits(max_points=0)
    assert sci(4e12) == "4.0e12" and sci(1.24e-3) == "1.2e-3"


def test_default_memory_limit_is_half_this_machines_memory():
    from pipeline.spec.limits import default_max_memory, physical_memory

    phys = physical_memory()
    if phys is not None:
        assert default_max_memory() == phys // 2
    assert Limits().memory_is_default and not Limits(max_memory_bytes=123).memory_is_default


def test_limits_are_checked_before_the_grid_is_expanded():
    """A grid of 10¹⁸ points is refused from the axes' lengths: nothing of that size is built."""
    wf = TINY.replace("seeds = 1", "seeds = 10000000000").replace("T = [1.0]", "T = {start = 1, stop = 2, num = 100000000}")
    with pytest.raises(SpinsweepError, match=r"\[grid\] seeds = 10000000000: the grid would have 1.0e18 points"):
        parse_workflow(wf, "wf.toml")


def test_estimates_follow_the_models_memory():
    """Each model's memory estimate grows as its allocations do: N² couplings (SK), P·N patterns (Hopfield),
    N·Nh weights (RBM), P·N examples (perceptron), N-long tables (Curie-Weiss), and a ladder's chains."""
    from pipeline.spec.limits import estimate

    big = Limits(max_memory_bytes=1e30, max_cost=1e30)

    def peak(model: str, N: int, extra: str = "", sampler: str = "metropolis", T: str = "[1.0]"):
        base = TINY.replace('model = "curie_weiss"', f'model = "{model}"').replace("N = [8]", f"N = [{N}]")
        base = base.replace("seeds = 1", f"seeds = 1\n{extra}").replace('"metropolis"', f'"{sampler}"')
        return estimate(parse_workflow(base.replace("T = [1.0]", f"T = {T}"), "wf.toml", limits=big))

    sk = peak("sk", 10_000)
    assert sk.memory > 28 * 10_000**2 and "couplings N^2 float64" in max(sk.memory_parts, key=sk.memory_parts.get)
    hop = peak("hopfield", 100_000, "alpha = [0.1]")
    assert hop.memory >= 3 * 100_000 * 10_000
    assert "couplings N^2 int32 (dense path)" in peak("hopfield", 4000, "alpha = [0.1]").memory_parts
    assert "couplings N^2 int32 (dense path)" not in hop.memory_parts
    rbm = peak("rbm", 10_000, "alpha = [1.0]", "block_gibbs")
    assert rbm.memory > 29 * 10_000**2
    per = peak("perceptron", 10_001, "alpha = [2.0]")
    assert per.memory > 26 * 10_001 * 20_002
    spherical = peak("perceptron", 10_001, 'alpha = [2.0]\nstudent = ["spherical"]')
    assert "test set N_TEST x N float64" in spherical.memory_parts
    cw = peak("curie_weiss", 10**8)
    assert cw.memory > 2 * 8 * 10**8
    ladder = peak("sk", 64, sampler="parallel_tempering", T="[0.5, 1.0, 1.5, 2.0]")
    single = peak("sk", 64, T="[0.5, 1.0, 1.5, 2.0]")
    assert ladder.temperatures == 4 and single.temperatures == 1
    assert ladder.memory > single.memory
    assert ladder.cost == pytest.approx(single.cost)


def test_cost_is_summed_over_the_requested_points_only():
    from pipeline.spec.limits import estimate

    text_ = HOPFIELD.replace("alpha = [0.1]", 'alpha = [0.1]\ninit = ["pattern", "random"]\n[[grid.subset]]\n'
                             'init = "pattern"\nT = [0.5]').replace("T = [1.0]", "T = [0.5, 1.0]")
    wf = parse_workflow(text_, "wf.toml")
    est = estimate(wf)
    assert wf.n_points == est.points == 1
    one = wf.model_def.cost({"N": 8, "alpha": 0.1, "T": 0.5, "seed": 0, "init": "pattern"}, wf.sampler)
    assert est.cost == pytest.approx(one)


def test_shipped_workflows_are_within_the_default_limits():
    for path in sorted(Path(__file__).parents[2].joinpath("workflows").glob("*.toml")):
        load_workflow(path, limits=Limits(max_memory_bytes=2 * 2**30))  # a 4 GiB laptop runs each


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = raw(b"\xef\xbb\xbf" + TINY.encode())(tmp_path)
    assert load_workflow(path).name == "tiny"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_an_unreadable_file_is_one_line(tmp_path):
    path = text(TINY)(tmp_path)
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: every file is readable")
        with pytest.raises(SpinsweepError, match="cannot read workflow '.*wf.toml': Permission denied"):
            load_workflow(path)
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
