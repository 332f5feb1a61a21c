"""Build and run a C reference of ``shared/perf-reference`` for the bit-for-bit port tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest


def source(name: str) -> Path | None:
    """``shared/perf-reference/<name>.c`` beside the checkout (or inside it), if present."""
    here = Path(__file__).resolve()
    for root in (here.parents[2], here.parents[3]):
        src = root / "shared" / "perf-reference" / f"{name}.c"
        if src.exists():
            return src
    return None


def build(name: str, outdir: Path) -> Path:
    """Compile the reference ``name`` (as the Makefile does, ISO C99 so no FMA contraction); skips the test
    when there is no compiler or no source."""
    src, cc = source(name), shutil.which("cc") or shutil.which("gcc")
    if src is None or cc is None:
        pytest.skip(f"no C compiler or no shared/perf-reference/{name}.c")
    exe = Path(outdir) / name
    subprocess.run([cc, "-O2", "-std=c99", "-o", str(exe), str(src), "-lm"], check=True)
    return exe


def run(exe: Path, *args) -> dict:
    """The program's one JSON line."""
    out = subprocess.run([str(exe), *map(str, args)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)
