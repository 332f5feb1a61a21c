"""Generic numba loops over chains: single-flip sweeps, replica exchange and measurement.

The loops know nothing of a model's physics: they call the model's ``delta`` / ``apply`` (a
:class:`~pipeline.models.FlipVariant`), ``energy`` and ``measure`` functions, each of which takes the
arrays of the state tuple, then those of the disorder tuple, as plain arguments, then the chain (and
the site, or the replicas). One loop is built per (update rule, model variant) from a template, with
those functions as compile-time constants, so that numba inlines them: Metropolis and heat bath are the
two rules (``RULES``).

Chains and temperatures: ``slots[t, r]`` is the chain that holds temperature ``t`` for replica ``r``
(``temp_of`` is its inverse); a single-temperature run has one slot row. Swaps exchange the slots of two
chains (their configurations stay in place), so a replica exchange costs O(1) whatever the state.

Notes
-----
A loop built around other functions cannot be cached on disk by numba (the model kernels themselves
are): each worker process compiles it once per rule and model variant (1-2 s), then reuses it for every
task.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from pipeline.rng.xoshiro import index, uniform


@njit(inline="always")
def _track_ends(slots, walker_state, trips):
    """Round trips: a walker (chain) that went from the lowest T to the highest and back counts one.

    ``walker_state[c]``: 0 not yet at the lowest T, 1 last end visited the lowest, 2 the highest after
    the lowest. ``trips[r]`` counts completed trips of the walkers of replica ladder ``r``.
    """
    n_t, n_r = slots.shape
    for r in range(n_r):
        lo = slots[0, r]
        if walker_state[lo] == 2:
            trips[r] += 1
        walker_state[lo] = 1
        hi = slots[n_t - 1, r]
        if walker_state[hi] == 1:
            walker_state[hi] = 2


_COMPILED: dict = {}


def chain_run(rule: str, delta, apply, energy, measure, *args, fused=(None, None), continuous=False,
              proposal=False):
    """Advance every chain ``n_sweeps`` sweeps; swap, measure and count along the way.

    ``fused`` = (random-site sweep, sequential sweep): a model's own one-chain sweep for this rule and
    schedule (:attr:`~pipeline.models.FlipVariant.fused`), used instead of the generic site loop where
    given; tested to be the same chain. ``continuous``: ``delta`` returns ΔE itself (a model with
    continuous couplings, :attr:`~pipeline.models.FlipMoves.continuous`) and ``tables[t, 0]`` is β_t.
    ``proposal``: ``delta`` also takes the chain's stream and draws a random proposal
    (:attr:`~pipeline.models.FlipMoves.proposal`). Rule ``"block_gibbs"``: ``delta`` and ``apply`` are a
    two-layer model's hidden and visible conditionals (:class:`~pipeline.models.BlockMoves`), each called
    once per chain and sweep with β_t = ``tables[t, 0]``.

    The loop is specialised to (``rule``, ``delta``, ``apply``, ``energy``, ``measure``) by
    :func:`_make_chain_run`, compiled once per process and combination, so that numba inlines the model's
    functions into it (a call per attempted flip, with its reference counting, would cost 2-3x).

    Parameters (after the five functions)
    ----------
    state, dis : tuple of arrays
        The chains' state (spins first, leading chain axis) and the sample's disorder.
    tables : float64[n_T, L]
        The rule's table per temperature slot; ``kfree`` its no-draw threshold (Metropolis).
    random_site : bool
        Random-site schedule (one ``index`` draw per attempt) instead of sequential sites.
    slots, temp_of : int64[n_T, R], int64[C]
        Chain of each (temperature, replica) slot and its inverse; updated by swaps.
    betas : float64[n_T]
        Inverse temperatures of the slots.
    n_sweeps, sw0 : int
        Sweeps to run and how many this phase has run already (swap and measurement schedules count
        from the start of the phase, so chunking a phase into calls changes nothing).
    every, swap_every : int
        Measure after every ``every``-th sweep of the phase (0: never); attempt swaps after every
        ``swap_every``-th (0: never).
    rngs, ladder_rng : uint64[C, 4], uint64[4]
        Thermal streams of the chains and the swap stream of the ladder.
    out, rec : array[n_T, n_meas, width], int
        Measurement records and the next row; returns the next row after this call.
    accepted, swap_tries, swap_acc, walker_state, trips : int64 arrays
        Counters updated in place (accepted moves per chain; swaps per temperature pair; round trips per
        replica ladder).
    """
    key = (rule, delta, apply, energy, measure, len(args[0]), len(args[1]), *fused, continuous, proposal)
    fn = _COMPILED.get(key)
    if fn is None:
        fn = _COMPILED[key] = _make_chain_run(*key)
    return fn(*args)


RULES = ("metropolis", "heatbath")
"""The update rules: Metropolis (k < kfree accepted without a draw, else iff u < table[k]) and heat bath
(σ_i = +1 iff u < p_up(h), h = σ_i·k the spin's integer field, clipped past the table's half-width).
For continuous ΔE: Metropolis accepts ΔE ≤ 0 without a draw, else iff u < exp(−βΔE); heat bath sets
σ_i = +1 iff u < 1/(1 + exp(−β σ_i ΔE))."""

_RULE_BODIES = {
    # one attempt at site i of chain c; ``a`` counts accepted (changed) spins
    "metropolis": """
k = delta(ARRAYS, c, i)
if k < kfree or uniform(rng) < row[min(k, last)]:
    apply(ARRAYS, c, i)
    a += 1
""",
    "heatbath": """
s = A0[c, i]
h = s * delta(ARRAYS, c, i)
if h > H:
    p = 1.0
elif h < -H:
    p = 0.0
else:
    p = row[h + H]
new = 1 if uniform(rng) < p else -1
if new != s:
    apply(ARRAYS, c, i)
    a += 1
""",
}

_CONTINUOUS_BODIES = {
    # delta returns ΔE (float); row[0] is β of the chain's temperature
    "metropolis": """
d = delta(ARRAYS, c, i)
if d <= 0.0 or uniform(rng) < np.exp(-row[0] * d):
    apply(ARRAYS, c, i)
    a += 1
""",
    "heatbath": """
s = A0[c, i]
p = 1.0 / (1.0 + np.exp(-row[0] * s * delta(ARRAYS, c, i)))
new = 1 if uniform(rng) < p else -1
if new != s:
    apply(ARRAYS, c, i)
    a += 1
""",
}

_PROPOSAL_BODY = """
d = delta(ARRAYS, c, i, rng)
if d <= 0.0 or uniform(rng) < np.exp(-row[0] * d):
    apply(ARRAYS, c, i)
    a += 1
"""
"""A random proposal (drawn by ``delta`` from the chain's stream, stored in the state for ``apply``),
accepted with min(1, exp(−βΔE)): Metropolis with a symmetric proposal."""

_BLOCK_BODY = """
hidden(ARRAYS, c, row[0], rng)
visible(ARRAYS, c, row[0], rng)
"""
"""Block Gibbs: every hidden unit given v, then every visible unit given h."""

_TEMPLATE = """
@njit(inline="always")
def swap_round(ARRAYS, slots, temp_of, betas, ladder_rng, swap_tries, swap_acc):
    n_t, n_r = slots.shape
    for t in range(n_t - 1):
        for r in range(n_r):
            a = slots[t, r]
            b = slots[t + 1, r]
            d = (betas[t] - betas[t + 1]) * (energy(ARRAYS, a) - energy(ARRAYS, b))
            swap_tries[t] += 1
            if d >= 0.0 or uniform(ladder_rng) < np.exp(d):
                slots[t, r] = b
                slots[t + 1, r] = a
                temp_of[a] = t + 1
                temp_of[b] = t
                swap_acc[t] += 1


@njit
def run(state, dis, tables, kfree, random_site, slots, temp_of, betas, n_sweeps, sw0, every, swap_every,
        rngs, ladder_rng, out, rec, accepted, swap_tries, swap_acc, walker_state, trips):
    UNPACK
    n_t, n_r = slots.shape
    C = temp_of.size
    N = A0.shape[1]
    H = (tables.shape[1] - 1) // 2
    last = tables.shape[1] - 1  # Metropolis tables end with a 0 (every k past the model's table)
    n_out = out.shape[1]
    for sw in range(n_sweeps):
        for c in range(C):
            row = tables[temp_of[c]]
            rng = rngs[c]
            a = 0
            CHAIN_12
            accepted[c] += a
        done = sw0 + sw + 1
        if swap_every > 0 and n_t > 1 and done % swap_every == 0:
            swap_round(ARRAYS, slots, temp_of, betas, ladder_rng, swap_tries, swap_acc)
            track_ends(slots, walker_state, trips)
        if every > 0 and rec < n_out and done % every == 0:
            for t in range(n_t):
                measure(ARRAYS, slots[t], out[t, rec])
            rec += 1
    return rec
"""


def _make_chain_run(rule, delta, apply, energy, measure, n_state, n_dis, fused_random=None, fused_sequential=None,
                    continuous=False, proposal=False):
    """Build the loop for one rule and model variant from :data:`_TEMPLATE` and :data:`_RULE_BODIES`.

    The state and disorder tuples are unpacked once into arrays ``A0, A1, ...`` that every model
    function receives as plain arguments, and the rule's attempt is written into the site loop itself
    rather than called: a tuple item taken per attempt, or an array passed through a nested inlined
    call, costs an atomic reference-count increment and decrement per attempt (measured: 2-3x slower).
    """
    if rule not in (*RULES, "block_gibbs"):
        raise ValueError(f"rule {rule!r}: expected one of {(*RULES, 'block_gibbs')}")
    if proposal and rule != "metropolis":
        raise ValueError("random proposals take the Metropolis rule")
    names = [f"A{k}" for k in range(n_state + n_dis)]
    unpack = "; ".join([f"A{k} = state[{k}]" for k in range(n_state)]
                       + [f"A{n_state + k} = dis[{k}]" for k in range(n_dis)])
    def indent(text, n):
        return "\n".join(" " * n + line for line in text.strip("\n").splitlines()).lstrip()

    if rule == "block_gibbs":
        chain = _BLOCK_BODY
    else:
        rule_body = _PROPOSAL_BODY if proposal else (_CONTINUOUS_BODIES if continuous else _RULE_BODIES)[rule]
        body = "\n".join("    " + line for line in rule_body.strip("\n").splitlines())
        random = ("a = fused_random(ARRAYS, c, row, kfree, last, rng)" if fused_random is not None else
                  "for _ in range(N):\n    i = index(rng, N)\n" + body)
        sequential = ("a = fused_sequential(ARRAYS, c, row, kfree, last, rng)" if fused_sequential is not None else
                      "for i in range(N):\n" + body)
        chain = f"if random_site:\n    {indent(random, 4)}\nelse:\n    {indent(sequential, 4)}"
    src = (_TEMPLATE.replace("CHAIN_12", indent(chain, 12))
           .replace("ARRAYS", ", ".join(names)).replace("UNPACK", unpack))
    namespace = {"njit": njit, "np": np, "uniform": uniform, "index": index, "delta": delta, "apply": apply,
                 "energy": energy, "measure": measure, "track_ends": _track_ends, "hidden": delta, "visible": apply, "fused_random": fused_random,
                 "fused_sequential": fused_sequential}
    exec(compile(src, f"<spinsweep chain_run {rule}>", "exec"), namespace)
    return namespace["run"]
