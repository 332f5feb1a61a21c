"""``python -m pipeline`` is ``spinsweep``."""

from pipeline.cli import app

app(prog_name="spinsweep")
