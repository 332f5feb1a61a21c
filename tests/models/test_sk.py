"""SK model: exact enumeration at N = 12 over 100+ coupling samples, the C reference bit for bit, the
coupling draws, the quench, and every single-flip sampler against exact sums."""

import numpy as np
import pytest

from pipeline.models import get_model
from pipeline.models.sk import Q_CENTRES, draw_disorder, q_histogram
from pipeline.rng.streams import Streams
from pipeline.samplers import get_sampler, make_settings
from pipeline.samplers.base import ChainSet
from pipeline.samplers.bench import bench
from pipeline.samplers.driver import run_point, run_unit
from pipeline.theory.sk_exact import sk_exact
from tests.models import _c_reference as c_reference

MODEL = get_model("sk")
WSEED = 20261202


def couplings(coords, wseed=WSEED):
    st = Streams(wseed, "sk", coords, disorder_exclude=MODEL.disorder_exclude)
    return draw_disorder(coords, st.disorder())[0]


def test_disorder_average_matches_exact_enumeration_at_N12():
    """Must-show 1: [<e>], [<q^2>] and g = (3 - [q4]/[q2]^2)/2 from parallel tempering on 100 samples at
    N = 12, T = 0.5, 1.0, 1.5, against exact enumeration.

    Two comparisons. (a) The same 100 samples enumerated exactly: the difference is thermal noise only, whose
    standard error is the per-sample binned errors combined (sqrt(sum err^2)/n; for g by the delta method
    from [q2] and [q4], their covariance dropped, which can only widen it). (b) The exact average over 2000
    fresh draws: combined error = the simulation's error over samples (std/sqrt(100)) (+) the exact
    average's own (std/sqrt(2000)). Both within 4 combined standard errors (a 4-sigma miss happens by
    chance about once in 16 000 comparisons; a wrong move, table or disorder draw misses by far more)."""
    temps = [0.5, 1.0, 1.5]
    settings = make_settings("parallel_tempering", thermalize=1000, sweeps=8000, measure_every=1, bins=16)
    pt = get_sampler("parallel_tempering")
    ns = 100
    sim = {k: np.empty((3, ns)) for k in ("energy", "q2", "q4", "energy_err", "q2_err", "q4_err")}
    ex = {k: np.empty((3, ns)) for k in ("energy", "q2", "q4")}
    for s in range(ns):
        cl = [{"N": 12, "T": T, "seed": s, "couplings": "gaussian"} for T in temps]
        coords, points, _ = run_unit(MODEL, pt, cl, settings, WSEED)
        exact = sk_exact(couplings(cl[0]), temps)
        for t in range(3):
            for k in sim:
                sim[k][t, s] = points[t][k]
            for k in ex:
                ex[k][t, s] = exact[t][k]
    gen = np.random.default_rng(5)
    fresh = {k: np.empty((3, 2000)) for k in ("energy", "q2", "q4")}
    for d in range(2000):
        J = draw_disorder({"N": 12}, gen)[0]
        for t, r in enumerate(sk_exact(J, temps)):
            for k in fresh:
                fresh[k][t, d] = r[k]

    def g(q2, q4):
        return 0.5 * (3 - q4 / q2**2)

    for t, T in enumerate(temps):
        for k in ("energy", "q2"):
            thermal = np.sqrt(np.sum(sim[f"{k}_err"][t] ** 2)) / ns
            d = sim[k][t].mean() - ex[k][t].mean()
            assert abs(d) < 4 * thermal, (T, k, d, thermal)
            comb = np.hypot(sim[k][t].std(ddof=1) / np.sqrt(ns), fresh[k][t].std(ddof=1) / np.sqrt(2000))
            assert abs(sim[k][t].mean() - fresh[k][t].mean()) < 4 * comb, (T, k)
        q2, q4 = sim["q2"][t].mean(), sim["q4"][t].mean()
        e2 = np.sqrt(np.sum(sim["q2_err"][t] ** 2)) / ns
        e4 = np.sqrt(np.sum(sim["q4_err"][t] ** 2)) / ns
        g_err = 0.5 * np.hypot(e4 / q2**2, 2 * q4 * e2 / q2**3)
        assert abs(g(q2, q4) - g(ex["q2"][t].mean(), ex["q4"][t].mean())) < 4 * g_err, T
        # against the fresh draws: bootstrap of the simulated g over samples (+) that of the exact one
        rng = np.random.default_rng(t)
        ib, jb = rng.integers(0, ns, (400, ns)), rng.integers(0, 2000, (400, 2000))
        gs = g(sim["q2"][t][ib].mean(1), sim["q4"][t][ib].mean(1)).std()
        gf = g(fresh["q2"][t][jb].mean(1), fresh["q4"][t][jb].mean(1)).std()
        assert abs(g(q2, q4) - g(fresh["q2"][t].mean(), fresh["q4"][t].mean())) < 4 * np.hypot(gs, gf), T


@pytest.mark.parametrize("algorithm", ["metropolis", "heatbath"])
def test_single_temperature_samplers_match_exact_sums(algorithm):
    """Plain Metropolis (sequential sites) and heat bath on one N = 10 sample at T = 0.7 and 1.5 against its
    exact averages, within 4 binned standard errors (40 000 sweeps: errors ~1e-3, far below any
    wrong-rule bias, e.g. Metropolis acceptance without the exp or heat bath with 2h for h)."""
    settings = make_settings(algorithm, thermalize=2000, sweeps=40000, bins=32)
    for T in (0.7, 1.5):
        c = {"N": 10, "T": T, "seed": 3, "couplings": "gaussian"}
        p = run_point(MODEL, c, settings, WSEED)
        e = sk_exact(couplings(c), T)[0]
        for k in ("energy", "q2", "q4", "q_abs"):
            assert abs(p[k] - e[k]) < 4 * p[f"{k}_err"], (algorithm, T, k, p[k], e[k], p[f"{k}_err"])
        assert p["e_min"] == pytest.approx(e["e_gs"], abs=1e-12)  # a 2^10-state sample: the quench finds it
        P = q_histogram(e["q"]).T @ e["P_q"]  # the exact P(q) shared onto the stored bins
        # 41 bins per point, errors from 32 bins (Student-t tails): 5 sigma keeps chance misses below 1e-3
        assert np.all(np.abs(p["P_q"] - P) < 5 * p["P_q_err"] + 1e-9)


def test_bimodal_couplings_match_exact_sums():
    """±1/√N couplings: the draw and the chain, on one N = 10 sample, against enumeration."""
    settings = make_settings("parallel_tempering", thermalize=2000, sweeps=30000, bins=32)
    cl = [{"N": 10, "T": T, "seed": 1, "couplings": "bimodal"} for T in (0.5, 1.0)]
    J = couplings(cl[0])
    assert set(np.unique(np.abs(J[np.triu_indices(10, 1)]))) == {1 / np.sqrt(10)}
    coords, points, _ = run_unit(MODEL, get_sampler("parallel_tempering"), cl, settings, WSEED)
    for p, e in zip(points, sk_exact(J, [0.5, 1.0]), strict=True):
        for k in ("energy", "q2"):
            assert abs(p[k] - e[k]) < 4 * p[f"{k}_err"]


def test_couplings_are_symmetric_gaussian_and_shared_by_temperatures():
    """J symmetric, zero diagonal, variance 1/N (4000 entries: the sample variance of N·J² is 2 ± 0.03 for
    chi-square-like spread, so |N var - 1| < 0.1 is ~7 sigma), and the same for every T and replica."""
    J = couplings({"N": 90, "T": 0.5, "seed": 2, "couplings": "gaussian"})
    assert np.array_equal(J, J.T) and not np.diag(J).any()
    x = J[np.triu_indices(90, 1)]
    assert abs(90 * x.var() - 1) < 0.1 and abs(x.mean()) < 4 / np.sqrt(90 * x.size)
    assert np.array_equal(J, couplings({"N": 90, "T": 1.3, "seed": 2, "couplings": "gaussian"}))
    assert not np.array_equal(J, couplings({"N": 90, "T": 0.5, "seed": 3, "couplings": "gaussian"}))


def test_fields_stay_exact_after_many_flips():
    """Incremental local fields drift only by rounding: after 2000 sweeps they equal J·σ to 1e-10."""
    settings = make_settings("metropolis", thermalize=0, sweeps=2000, bins=4)
    c = ChainSet(MODEL, [{"N": 64, "T": 0.9, "seed": 0, "couplings": "gaussian"}], settings, WSEED, "metropolis", 2)
    c.run()
    sigma, h = c.state
    assert np.allclose(h, sigma.astype(float) @ c.dis[0], atol=1e-10)


def test_q_histogram_is_a_normalised_linear_share():
    """Each q adds weight 1, split between its two nearest centres so that the histogram's mean is q."""
    q = np.array([-1.0, -0.3125, 0.0, 0.025, 0.51, 1.0])
    H = q_histogram(q)
    assert np.allclose(H.sum(1), 1.0)
    assert np.allclose(H @ Q_CENTRES, q)
    assert np.allclose(q_histogram(-q), H[:, ::-1])  # symmetric under q -> -q


def test_kernel_is_a_faithful_port_of_the_C_reference(tmp_path):
    """Same couplings, stream and draw order: sk_metropolis.c's e_final and acc_rate to every printed digit."""
    exe = c_reference.build("sk_metropolis", tmp_path)
    for N, T, sweeps, seed in [(128, 0.8, 400, 1), (61, 1.3, 300, 42)]:
        c = c_reference.run(exe, N, T, sweeps, seed)
        py = bench(MODEL, N=N, T=T, sweeps=sweeps, seed=seed)
        assert f"{py['e_final']:.10f}" == f"{c['e_final']:.10f}"
        assert f"{py['acc_rate']:.6f}" == f"{c['acc_rate']:.6f}"


def test_declaration():
    """The model names its recipes, measures two replicas and has continuous moves."""
    assert MODEL.replicas == 2 and MODEL.flips.continuous and MODEL.disorder
    assert MODEL.reductions == ("sk_spin_glass",) and MODEL.windows == ("energy", "q2")
    assert {o.name for o in MODEL.observables} >= {"energy", "q_abs", "q2", "q4", "P_q", "e_min"}
