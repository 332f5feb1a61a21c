"""Hopfield sampler: exact enumeration at N = 12, the Curie-Weiss gauge, dense == overlap chains, the C
reference bit for bit, retrieval from noisy cues, and the model declaration."""


import numpy as np
import pytest

from pipeline.errors import SpecError
from pipeline.models import get_model
from pipeline.models.hopfield import (
    TIE_ACCEPT,
    choose_dense,
    cost,
    initial_state,
    n_patterns,
    patterns,
)
from pipeline.rng.streams import Streams
from pipeline.rng.xoshiro import seed_state
from pipeline.samplers import make_settings
from pipeline.samplers.base import ChainSet
from pipeline.samplers.bench import bench
from pipeline.samplers.driver import run_point
from pipeline.spec.workflow import parse_workflow
from pipeline.theory.exact import curie_weiss_exact
from pipeline.theory.hopfield_exact import hopfield_exact
from tests.models import _c_reference as c_reference

MODEL = get_model("hopfield")
WSEED = 20261127


def streams(coords, wseed=WSEED):
    # exactly as the samplers build them
    return Streams(wseed, "hopfield", coords, disorder_exclude=("T", "init"))


def sampler(thermalize=1000, sweeps=20000, measure_every=1, bins=32, noise=0.2):
    return make_settings("metropolis", thermalize=thermalize, sweeps=sweeps, measure_every=measure_every,
                         bins=bins, options={"noise": noise})


def run_chain(coords, smp, path=None, c_rule=False):
    """Two replicas at the point's T through the Metropolis sampler; returns (records, chains).

    ``path`` forces the overlap or dense variant; ``c_rule`` accepts k = 0 without a draw (the C rule)."""
    chains = ChainSet(MODEL, [coords], smp, WSEED, "metropolis", 2, variant=path)
    if c_rule:
        chains.kfree = 1
    return chains.run()[0], chains


def simulate(coords, smp, path=None):
    out, chains = run_chain(coords, smp, path)
    return MODEL.series(out, coords, chains.dis)


# --------------------------------------------------------------------------------------------------
# against exact enumeration
# --------------------------------------------------------------------------------------------------

N_EXACT = 12
TEMPS = (0.5, 1.0, 2.0)
N_SAMPLES = 16
COMPARED = ("energy", "m2", "q2")


@pytest.mark.parametrize("P", [1, 2, 3])
def test_sampler_matches_exact_enumeration(P):
    """Per-sample thermal averages at N = 12 against exact enumeration of that sample's patterns.

    Tolerances: each run has 20000 measured sweeps in 32 bins (bins of 625 sweeps, τ_int ≲ 5 sweeps here,
    so the binned errors are honest). (i) The disorder average of (sampler − exact) has only thermal
    noise, with standard error sqrt(Σ err_s²)/n: it must be within 4 of those (27 comparisons per run of
    this test: a false alarm has probability ~2e-3). (ii) Every single sample must be within 5 of its own
    error bar (3 × 3 × 16 = 144 comparisons per P: ~1e-4 false alarms at 5σ for Gaussian errors).
    (ii) also catches a wrong sample hidden in an average.
    """
    alpha = P / N_EXACT
    assert n_patterns(N_EXACT, alpha) == P
    smp = sampler()
    for T in TEMPS:
        diff = {k: [] for k in COMPARED}
        err = {k: [] for k in COMPARED}
        for seed in range(N_SAMPLES):
            coords = {"N": N_EXACT, "alpha": alpha, "T": T, "seed": seed, "init": "random"}
            res = run_point(MODEL, coords, smp, WSEED)
            ex = hopfield_exact(patterns(coords, streams(coords)), T)
            for k in COMPARED:
                diff[k].append(res[k] - ex[k])
                err[k].append(res[f"{k}_err"])
                assert abs(res[k] - ex[k]) < 5 * res[f"{k}_err"], (P, T, seed, k, res[k], ex[k])
        for k in COMPARED:
            d, e = np.asarray(diff[k]), np.asarray(err[k])
            sem = np.sqrt((e**2).sum()) / e.size
            assert abs(d.mean()) < 4 * sem, (P, T, k, d.mean(), sem)


@pytest.mark.parametrize("T", TEMPS)
def test_one_pattern_is_curie_weiss(T):
    # gauge σ_i → ξ_i σ_i: P = 1 is Curie-Weiss whatever the pattern, so every sample has the CW values.
    # Longer runs (80000 sweeps) than above: 4 samples, each within 4σ of the exact CW numbers.
    N = 12
    cw = curie_weiss_exact(N, T)
    smp = sampler(sweeps=80000)
    for seed in range(4):
        coords = {"N": N, "alpha": 1 / N, "T": T, "seed": seed, "init": "pattern"}
        res = run_point(MODEL, coords, smp, WSEED)
        for k, ck in [("energy", "energy"), ("m2", "m2"), ("m", "m_abs")]:
            assert abs(res[k] - cw[ck]) < 4 * res[f"{k}_err"], (seed, k, res[k], cw[ck])
        assert abs(res["heat_capacity"] - cw["heat_capacity"]) < 4 * res["heat_capacity_err"]


# --------------------------------------------------------------------------------------------------
# implementation: same chain both ways, the C reference
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("T", "init", "c_rule"), [(0.3, "random", False), (1.5, "noisy", False),
                                                   (0.7, "pattern", True)])
def test_dense_path_is_the_same_chain(T, init, c_rule):
    coords = {"N": 150, "alpha": 0.1, "T": T, "seed": 3, "init": init}
    smp = sampler(thermalize=30, sweeps=60, measure_every=3)
    a, ca = run_chain(coords, smp, path="overlap", c_rule=c_rule)
    b, cb = run_chain(coords, smp, path="dense", c_rule=c_rule)
    assert cb.variant_sweeps == {"dense": 90} and ca.variant_sweeps == {"overlap": 90}
    assert np.array_equal(a, b)
    assert np.array_equal(ca.state[0], cb.state[0]) and np.array_equal(ca.state[1], cb.state[1])
    assert np.array_equal(ca.rngs, cb.rngs)  # same number of draws
    assert ca.accepted.sum() == cb.accepted.sum() > 0
    assert TIE_ACCEPT == 0.5 and ca.tables[0, 0] == TIE_ACCEPT


def test_automatic_switch_keeps_the_chain():
    # low T from the pattern: the overlap pilot measures a small acceptance rate, then dense takes over
    coords = {"N": 120, "alpha": 0.1, "T": 0.1, "seed": 0, "init": "pattern"}
    smp = sampler(thermalize=1000, sweeps=1000)
    auto, c_auto = run_chain(coords, smp)
    ref, _ = run_chain(coords, smp, path="overlap")
    assert 0 < c_auto.variant_sweeps.get("dense", 0) < 2000
    assert np.array_equal(auto, ref)
    assert np.array_equal(simulate(coords, smp)["energy"], simulate(coords, smp, path="dense")["energy"])


def test_choose_dense_crossover():
    # dense when the acceptance rate is well below ~P/N and the run is long enough to build Jint
    assert choose_dense(1000, 100, 0.002, 10**5)
    assert not choose_dense(1000, 100, 0.3, 10**5)
    assert not choose_dense(1000, 100, 0.002, 10)  # the N^2 P build would not pay
    assert not choose_dense(10000, 1000, 0.0, 10**6)  # memory cap
    assert not choose_dense(100, 4, 0.0, 10**6)  # tiny P: the overlap test is already O(1)


@pytest.fixture(scope="module")
def c_program(tmp_path_factory):
    return c_reference.build("hopfield_metropolis", tmp_path_factory.mktemp("cref"))


@pytest.mark.parametrize("args", [(1000, 0.1, 0.3, 2000, 1), (301, 0.05, 0.2, 300, 7), (200, 0.3, 1.0, 300, 3)])
def test_bench_matches_c_reference(c_program, args):
    N, alpha, T, sweeps, seed = args
    c = c_reference.run(c_program, *args)
    py = bench(MODEL, N=N, T=T, sweeps=sweeps, seed=seed, alpha=alpha)
    assert py["P"] == c["P"] and py["sweeps"] == c["sweeps"]
    for k in ("overlap0_final", "overlap0_mean", "e_final"):
        assert f"{py[k]:.10f}" == f"{c[k]:.10f}", k  # the C program prints %.10f
    assert f"{py['acc_rate']:.6f}" == f"{c['acc_rate']:.6f}"
    assert py["flips_per_s"] > 0


# --------------------------------------------------------------------------------------------------
# physics at larger N
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("alpha", "retrieved"), [(0.05, True), (0.2, False)])
def test_retrieval_from_noisy_cues(alpha, retrieved):
    # 20 % of the spins of pattern 1 flipped, T = 0.1, N = 2000, 200 sweeps: below α_c ≈ 0.14 the network
    # retrieves the pattern (m → ~1), above it the overlap decays (to ~0.1-0.3 at this N and run length)
    N = 2000
    smp = sampler(thermalize=100, sweeps=100, measure_every=10, noise=0.2)
    for seed in range(2):
        coords = {"N": N, "alpha": alpha, "T": 0.1, "seed": seed, "init": "noisy"}
        out, _ = run_chain(coords, smp)
        final = out[-1, :2] / N  # |m_1| of both replicas after 200 sweeps
        if retrieved:
            assert np.all(final > 0.95), final
        else:
            assert np.all(final < 0.6), final


def test_initial_states():
    xi = patterns({"N": 4000, "alpha": 0.01, "seed": 0}, streams({"N": 4000, "alpha": 0.01, "seed": 0}))
    assert np.array_equal(initial_state(xi, 0, 0.2, seed_state(1)), xi[:, 0])
    noisy = initial_state(xi, 1, 0.2, seed_state(1))
    assert abs(np.mean(noisy != xi[:, 0]) - 0.2) < 0.03
    rnd = initial_state(xi, 2, 0.2, seed_state(1))
    assert abs(np.mean(rnd * xi[:, 0])) < 0.1


def test_patterns_are_shared_by_temperatures_and_inits():
    base = {"N": 50, "alpha": 0.1, "seed": 1}
    a = patterns({**base, "T": 0.5, "init": "pattern"}, streams({**base, "T": 0.5, "init": "pattern"}))
    b = patterns({**base, "T": 1.5, "init": "random"}, streams({**base, "T": 1.5, "init": "random"}))
    c = patterns({**base, "seed": 2, "T": 0.5, "init": "pattern"},
                 streams({**base, "seed": 2, "T": 0.5, "init": "pattern"}))
    assert a.shape == (50, 5) and a.dtype == np.int8 and set(np.unique(a)) == {-1, 1}
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_pattern_count():
    assert n_patterns(1000, 0.1) == 100
    assert n_patterns(12, 0.25) == 3
    assert n_patterns(10, 0.25) == 3  # floor(2.5 + 0.5)
    assert n_patterns(10, 0.01) == 1  # at least one


def test_series_and_summary():
    coords = {"N": 40, "alpha": 0.1, "T": 0.8, "seed": 0, "init": "random"}
    smp = sampler(thermalize=20, sweeps=128, measure_every=2, bins=8)
    series = simulate(coords, smp)
    assert set(series) == {o.name for o in MODEL.observables}
    assert all(v.shape == (64,) for k, v in series.items() if k != "P_q")
    assert series["P_q"].shape == (64, 51) and np.all(series["P_q"].sum(axis=1) == 1)
    assert np.all((series["m"] >= 0) & (series["m"] <= series["m_max"]) & (series["m_max"] <= 1))
    assert np.allclose(series["q2"], series["q_abs"] ** 2)
    assert np.all(series["energy2"] >= series["energy"] ** 2 - 1e-15)
    res = run_point(MODEL, coords, smp, WSEED)
    assert res["chi_sg"] == pytest.approx(40 * res["q2"])
    assert {"binder_q", "heat_capacity", "converged"} <= set(res)
    assert cost(coords, smp) == 2 * 40 * (20 + 128) * 5


# --------------------------------------------------------------------------------------------------
# declaration and workflow validation
# --------------------------------------------------------------------------------------------------

TOML = """
name = "hop"
model = "hopfield"
seed = 1
[grid]
N = [100]
T = [0.5]
seeds = 2
{extra}
[sampler]
thermalize = 10
sweeps = 100
bins = 8
{options}
"""


def test_workflow_defaults_and_options():
    wf = parse_workflow(TOML.format(extra="alpha = [0.05, 0.1]", options=""))
    assert wf.grid["alpha"] == (0.05, 0.1) and wf.grid["init"] == ("pattern", "random")
    assert wf.sampler.options == {"noise": 0.2} and wf.sampler.algorithm == "metropolis"
    assert MODEL.dims == ("N", "alpha", "T", "seed", "init") and MODEL.disorder
    wf = parse_workflow(TOML.format(extra='alpha = 0.1\ninit = ["noisy"]', options="options = { noise = 0.1 }"))
    assert wf.sampler.options == {"noise": 0.1}


@pytest.mark.parametrize(("extra", "options", "msg"), [
    ("", "", "missing key 'alpha' in [grid]"),
    ("alpha = 0.0", "", "alpha = 0.0 is not allowed: expected 0.0 < alpha <= 1.0"),
    ("alpha = 0.1\ninit = ['cue']", "", "init = 'cue' is not allowed: expected one of 'pattern', 'noisy', 'random'"),
    ("alpha = 0.1", "options = { noise = 0.7 }", "[sampler.options] noise = 0.7: expected 0.0 <= noise <= 0.5"),
    ("alpha = 0.1", "options = { flips = 0.1 }", "unknown key 'flips' in [sampler.options]; allowed: noise"),
])
def test_workflow_errors(extra, options, msg):
    with pytest.raises(SpecError) as e:
        parse_workflow(TOML.format(extra=extra, options=options))
    assert msg in str(e.value)


def test_exact_pointer_uses_the_points_patterns():
    coords = {"N": 8, "alpha": 0.25, "T": 0.9, "seed": 4, "init": "random"}
    st = streams(coords)
    assert MODEL.exact(coords, st)["energy"] == pytest.approx(hopfield_exact(patterns(coords, st), 0.9)["energy"])


def test_grid_with_PN_past_int32_is_refused_before_running():
    """The field sums are int32 (|sum_mu xi M_mu| <= PN): P*N >= 2^31 is refused at validation, naming the
    load, while the largest product that fits passes the constraint."""
    from pipeline.models.hopfield import MAX_PN
    from pipeline.spec.workflow import parse_workflow

    assert get_model("hopfield").constraints({"N": [46340], "alpha": [1.0]}) == []  # P*N = 46340^2 < 2^31
    text = ('name = "x"\nmodel = "hopfield"\nseed = 1\n[grid]\nN = [100000]\nalpha = [0.05, 0.25]\n'
            'T = [0.5]\nseeds = 1\n')
    with pytest.raises(SpecError, match=r"alpha.*0\.25.*P\*N = 2500000000.*" + str(MAX_PN)) as e:
        parse_workflow(text)
    assert "0.05" not in str(e.value).split("P*N")[0].split("alpha")[-1]
