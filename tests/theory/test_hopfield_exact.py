"""Exact Hopfield enumeration against Curie-Weiss (P = 1), symmetries and an independent brute force."""

import itertools

import numpy as np
import pytest

from pipeline.theory.exact import curie_weiss_exact, enumerate_ising
from pipeline.theory.hopfield_exact import (
    hopfield_exact,
    hopfield_exact_disorder_average,
    overlap_distribution,
    random_patterns,
)

SCALARS = ("energy", "energy2", "m", "m2", "m_max", "q_abs", "q2", "q4", "free_energy", "heat_capacity")


def brute_force(xi, T):
    """Independent reference: loops over states (and pairs of states for q) with J_ij = Σ_μ ξξ/N."""
    N, P = xi.shape
    J = xi.astype(float) @ xi.T.astype(float) / N
    np.fill_diagonal(J, 0.0)
    states = np.array(list(itertools.product([-1, 1], repeat=N)), dtype=float)
    H = np.array([-sum(J[i, j] * s[i] * s[j] for i in range(N) for j in range(i + 1, N)) for s in states])
    w = np.exp(-(H - H.min()) / T)
    p = w / w.sum()
    m = states @ xi.astype(float) / N
    q = states @ states.T / N  # q of every pair of states
    pq = np.outer(p, p)
    return {
        "energy": p @ (H / N),
        "m2": p @ m[:, 0] ** 2,
        "m_max": p @ np.abs(m).max(axis=1),
        "q2": (pq * q**2).sum(),
        "q4": (pq * q**4).sum(),
        "q_abs": (pq * np.abs(q)).sum(),
    }


@pytest.mark.parametrize("T", [0.3, 0.8, 1.0, 1.7, 4.0])
def test_one_pattern_is_curie_weiss_in_the_gauge(T):
    # σ_i → ξ_i σ_i maps P = 1 onto Curie-Weiss: M_1 ↔ M, so e, |m_1|, m_1² and f agree exactly
    N = 11
    xi = random_patterns(N, 1, np.random.default_rng(5))
    h = hopfield_exact(xi, T)
    cw = curie_weiss_exact(N, T)
    for hk, ck in [("energy", "energy"), ("energy2", "energy2"), ("m", "m_abs"), ("m2", "m2"),
                   ("free_energy", "free_energy"), ("heat_capacity", "heat_capacity")]:
        assert h[hk] == pytest.approx(cw[ck], rel=1e-11, abs=1e-13), hk


def test_gauge_invariance_of_pattern_choice():
    # for P = 1 any pattern gives the same thermodynamics (the all-ones pattern is plain CW)
    N, T = 9, 0.9
    a = hopfield_exact(np.ones((N, 1), np.int8), T)
    b = hopfield_exact(random_patterns(N, 1, np.random.default_rng(1)), T)
    for k in SCALARS:
        assert a[k] == pytest.approx(b[k], rel=1e-11, abs=1e-13), k


def test_symmetric_under_pattern_sign_flip_and_order():
    rng = np.random.default_rng(2)
    xi = random_patterns(10, 3, rng)
    ref = hopfield_exact(xi, 0.6)
    flipped = xi.copy()
    flipped[:, 0] *= -1
    flipped[:, 2] *= -1
    f = hopfield_exact(flipped, 0.6)
    for k in SCALARS:
        assert f[k] == pytest.approx(ref[k], rel=1e-11, abs=1e-13), k
    # reordering patterns 2 and 3 changes nothing either (pattern 1, which m refers to, stays first)
    g = hopfield_exact(xi[:, [0, 2, 1]], 0.6)
    for k in SCALARS:
        assert g[k] == pytest.approx(ref[k], rel=1e-11, abs=1e-13), k


@pytest.mark.parametrize(("N", "P", "T"), [(6, 2, 0.5), (7, 3, 1.2), (5, 1, 2.0)])
def test_matches_brute_force(N, P, T):
    xi = random_patterns(N, P, np.random.default_rng(N * 10 + P))
    h = hopfield_exact(xi, T)
    b = brute_force(xi, T)
    for k, v in b.items():
        assert h[k] == pytest.approx(v, rel=1e-10, abs=1e-13), k


def test_matches_generic_enumeration():
    xi = random_patterns(12, 3, np.random.default_rng(7))
    J = xi.astype(float) @ xi.T.astype(float) / 12
    h = hopfield_exact(xi, 0.7)
    g = enumerate_ising(J, 0.7)
    for k in ("energy", "energy2", "free_energy", "ground_energy"):
        assert h[k] == pytest.approx(g[k], rel=1e-11), k


def test_overlap_distribution_and_q2_routes_agree():
    xi = random_patterns(9, 2, np.random.default_rng(3))
    h = hopfield_exact(xi, 0.5)
    assert h["Pq"].sum() == pytest.approx(1.0, abs=1e-13)
    assert np.all(h["Pq"] >= -1e-15)
    assert h["q2"] == pytest.approx(h["q2_pq"], rel=1e-12)
    assert np.allclose(h["Pq"], h["Pq"][::-1], atol=1e-14)  # q → −q (flip one replica)
    # T → ∞: independent uniform spins, d ~ Binomial(N, 1/2), so <q^2> = 1/N
    q, Pq = overlap_distribution(np.full(2**9, 2.0**-9), 9)
    assert Pq @ q**2 == pytest.approx(1 / 9, rel=1e-12)
    assert hopfield_exact(xi, 1e4)["q2"] == pytest.approx(1 / 9, rel=1e-3)


def test_low_temperature_limits():
    xi = random_patterns(10, 1, np.random.default_rng(4))
    cold = hopfield_exact(xi, 0.02)
    assert cold["m"] == pytest.approx(1.0, abs=1e-9)  # the two ground states ±ξ
    assert cold["q2"] == pytest.approx(1.0, abs=1e-9)
    assert cold["energy"] == pytest.approx(cold["ground_energy"], abs=1e-9)


def test_disorder_average():
    res = hopfield_exact_disorder_average(8, 2, 0.8, 5, np.random.default_rng(11))
    rng = np.random.default_rng(11)
    each = [hopfield_exact(random_patterns(8, 2, rng), 0.8)["energy"] for _ in range(5)]
    assert np.allclose(res["energy_samples"], each)
    assert res["energy"] == pytest.approx(np.mean(each))
    assert res["energy_err"] == pytest.approx(np.std(each, ddof=1) / np.sqrt(5))
    one = hopfield_exact_disorder_average(8, 2, 0.8, 1, np.random.default_rng(0))
    assert one["q2_err"] == 0.0


@pytest.mark.parametrize(("xi", "T", "msg"), [
    (np.ones((21, 1)), 1.0, "N = 21: exact enumeration is limited to N <= 20"),
    (np.zeros((4, 1)), 1.0, r"xi: expected entries \+1 or -1"),
    (np.ones(4), 1.0, "expected patterns of shape"),
    (np.ones((4, 1)), 0.0, "T = 0.0: expected finite T > 0"),
])
def test_errors(xi, T, msg):
    with pytest.raises(ValueError, match=msg):
        hopfield_exact(xi, T)


def test_disorder_average_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="P = 0: expected an integer P >= 1"):
        hopfield_exact_disorder_average(6, 0, 1.0, 3, rng)
    with pytest.raises(ValueError, match="n_samples = 0"):
        hopfield_exact_disorder_average(6, 1, 1.0, 0, rng)
    with pytest.raises(ValueError, match="N = 30"):
        hopfield_exact_disorder_average(30, 1, 1.0, 1, rng)
