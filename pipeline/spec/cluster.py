"""The ``[cluster]`` table of a workflow: where its sweep runs.

Where a sweep runs never changes its results (streams hash coordinates, not scheduling), so the table
is not part of the sweep's specification hash: the same workflow runs unchanged on a laptop, on an
existing Dask cluster or on an HPC queue, and resumes on any of them. Command-line flags override it::

    [cluster]
    kind = "local"            # "local" (default), "scheduler", "slurm", "pbs", "sge"
    workers = 2               # local: worker processes (default one per core)

    [cluster]
    kind = "scheduler"
    address = "tls://head:8786"   # or scheduler_file = "~/scheduler.json"
    connect_timeout = "20s"

    [cluster]
    kind = "slurm"            # through dask-jobqueue (pip install 'spinsweep[jobqueue]')
    queue = "short"
    account = "phys"
    cores = 8                 # per job: 8 single-threaded worker processes
    memory = "16GiB"          # per job
    walltime = "02:00:00"
    jobs = 4                  # or adaptive_minimum / adaptive_maximum
    lifetime = "1h50m"        # workers retire gracefully before the walltime ends their job
    lifetime_stagger = "4m"
    job_extra_directives = ["--constraint=avx512"]
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

KINDS = ("local", "scheduler", "slurm", "pbs", "sge")
BATCH_KINDS = ("slurm", "pbs", "sge")
_WALLTIME = re.compile(r"^(\d+-)?\d{1,3}(:\d{2}){0,2}$")
_DURATION = re.compile(r"^(\d+(\.\d+)?(ms|s|m|h|d))+$")


class ClusterSettings(BaseModel):
    """Validated ``[cluster]`` settings (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = "local"
    # local
    workers: int | None = Field(default=None, ge=1, le=4096)
    host: str = "127.0.0.1"
    dashboard: bool = False
    allow_insecure: bool = False
    # existing scheduler
    address: str | None = None
    scheduler_file: str | None = None
    connect_timeout: str = "20s"
    # TLS (any kind)
    tls_ca_file: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    # batch queues (dask-jobqueue)
    queue: str | None = None
    account: str | None = None
    cores: int = Field(default=1, ge=1, le=1024)
    memory: str = "2GiB"
    walltime: str = "01:00:00"
    jobs: int = Field(default=1, ge=0, le=100000)
    adaptive_minimum: int | None = Field(default=None, ge=0)
    adaptive_maximum: int | None = Field(default=None, ge=1)
    lifetime: str | None = None
    lifetime_stagger: str | None = None
    job_extra_directives: tuple[str, ...] = ()
    job_script_prologue: tuple[str, ...] = ()
    interface: str | None = None
    local_directory: str | None = None
    python: str | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in KINDS:
            raise ValueError(f"expected one of {', '.join(KINDS)}")
        return v

    @field_validator("walltime")
    @classmethod
    def _walltime(cls, v: str) -> str:
        if not _WALLTIME.match(v):
            raise ValueError("expected a walltime such as '00:30:00', '2:00:00' or '1-12:00:00'")
        return v

    @field_validator("lifetime", "lifetime_stagger", "connect_timeout")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        if v is not None and not _DURATION.match(v):
            raise ValueError("expected a duration such as '55m', '1h50m' or '90s'")
        return v

    @field_validator("memory")
    @classmethod
    def _memory(cls, v: str) -> str:
        if not re.match(r"^\d+(\.\d+)?\s*([KMGT]i?B)$", v):
            raise ValueError("expected a size such as '4GiB' or '500MB'")
        return v

    @field_validator("job_extra_directives", "job_script_prologue")
    @classmethod
    def _lines(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for line in v:
            if any(ord(ch) < 32 for ch in line):
                raise ValueError("expected single-line strings (no control characters)")
        return v

    @model_validator(mode="after")
    def _consistent(self):
        if self.kind == "scheduler" and not (self.address or self.scheduler_file):
            raise ValueError("kind = 'scheduler' needs address (e.g. 'tcp://10.0.0.5:8786') or scheduler_file")
        if (self.adaptive_minimum is not None and self.adaptive_maximum is not None
                and self.adaptive_minimum > self.adaptive_maximum):
            raise ValueError(f"adaptive_minimum = {self.adaptive_minimum} exceeds adaptive_maximum = "
                             f"{self.adaptive_maximum}")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("tls_cert and tls_key go together")
        return self

    @property
    def tls(self) -> bool:
        return bool(self.tls_cert or self.tls_ca_file)

    @property
    def batch(self) -> bool:
        return self.kind in BATCH_KINDS

    def with_overrides(self, **kw) -> ClusterSettings:
        """A copy with the command line's non-``None`` values applied (revalidated)."""
        data = self.model_dump()
        data.update({k: v for k, v in kw.items() if v is not None})
        return ClusterSettings.model_validate(data)
