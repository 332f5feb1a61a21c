"""``spinsweep bench``: time the production sampler loop on a model's C-reference set-up.

The loop timed is :func:`pipeline.samplers._kernels.chain_run`, the one every sweep runs, with the
model's move variant and the Metropolis rule, one chain, a measurement after every sweep (as the C
programs accumulate one number per sweep). Set-up and JIT compilation are not timed.
"""

from __future__ import annotations

import time

import numpy as np

from pipeline.models import Model
from pipeline.samplers import _kernels
from pipeline.samplers.base import metropolis_rows


def _run(model: Model, case, sweeps: int) -> tuple[np.ndarray, int]:
    out = np.empty((1, sweeps, case.record_width), case.record_dtype)
    accepted = np.zeros(len(case.rngs), np.int64)
    z = np.zeros(0, np.int64)
    slots = np.arange(len(case.rngs), dtype=np.int64).reshape(1, -1)
    temp_of = np.zeros(len(case.rngs), np.int64)
    ladder_rng = np.ones(4, np.uint64)
    args = (case.state, case.dis, metropolis_rows(case.tables), case.kfree, case.random_site, slots, temp_of,
            np.ones(1), sweeps, 0, 1, 0, case.rngs, ladder_rng, out, 0, accepted, z, z.copy(),
            np.zeros(len(case.rngs), np.int64), np.zeros(1, np.int64))
    if model.blocks is not None and case.variant == "block_gibbs":
        b = model.blocks
        _kernels.chain_run("block_gibbs", b.hidden, b.visible, b.energy, case.measure, *args)
        return out, 0
    flips = model.flips
    v = flips.variant(case.variant)
    _kernels.chain_run("metropolis", v.delta, v.apply, flips.energy, case.measure, *args,
                       fused=(v.fused.get("metropolis/random"), v.fused.get("metropolis/sequential")),
                       continuous=flips.continuous, proposal=flips.proposal)
    return out, int(accepted.sum())


def bench(model: Model, N: int, T: float, sweeps: int = 0, seed: int = 1, **params) -> dict:
    """Attempted flips per second of the production loop on ``model``'s C-reference set-up.

    ``sweeps = 0`` picks about 2e8 attempted flips. Returns the timing and the C program's sanity
    numbers (equal to the C program's for the same arguments when the port is faithful).
    """
    if model.bench is None:
        raise ValueError(f"model {model.name!r} has no benchmark")
    case = model.bench(N=N, T=T, seed=seed, **params)
    units = int(case.info.get("N", N))  # updated units per sweep (an RBM's visible + hidden)
    sweeps = int(sweeps) or max(10, int(2e8 // units))
    small = {k: min(v, 16) for k, v in params.items() if k in ("Nh",)}
    _run(model, model.bench(N=min(N, 64), T=T, seed=seed, **(params | small)), 2)  # compile and warm up
    t0 = time.perf_counter()
    out, accepted = _run(model, case, sweeps)
    seconds = time.perf_counter() - t0
    rule = "block_gibbs" if case.variant == "block_gibbs" else f"{case.variant}, metropolis"
    return {**case.info, "kernel": f"samplers._kernels.chain_run({rule})", "impl": "numba",
            "sweeps": sweeps, "seed": seed, "seconds": seconds, "flips_per_s": units * sweeps / seconds,
            **case.sanity(case.state, out, accepted, sweeps)}
