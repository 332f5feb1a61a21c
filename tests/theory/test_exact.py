"""Exact finite-N Curie-Weiss sums against brute force and against N → ∞ theory."""

import itertools
import math

import numpy as np
import pytest
from scipy.special import gamma

from pipeline.theory.exact import curie_weiss_distribution, curie_weiss_exact, enumerate_ising
from pipeline.theory.mean_field import curie_weiss_m

TEMPS = [0.3, 0.7, 1.0, 1.5, 3.0]


def brute_force_cw(N, T, J=1.0):
    """Independent reference: loop over all 2^N states with H = −(J/N) Σ_{i<j} σ_iσ_j."""
    states = np.array(list(itertools.product([-1, 1], repeat=N)), dtype=float)
    pair = np.array(
        [sum(s[i] * s[j] for i in range(N) for j in range(i + 1, N)) for s in states]
    )
    H = -J / N * pair
    w = np.exp(-(H - H.min()) / T)
    p = w / w.sum()
    m = states.sum(axis=1) / N
    e = H / N
    mean = lambda x: float(p @ x)  # noqa: E731
    log_Z = math.log(w.sum()) - H.min() / T
    return {
        "m_abs": mean(np.abs(m)),
        "m2": mean(m**2),
        "m4": mean(m**4),
        "energy": mean(e),
        "energy2": mean(e**2),
        "binder": 1 - mean(m**4) / (3 * mean(m**2) ** 2),
        "chi": N * (mean(m**2) - mean(np.abs(m)) ** 2) / T,
        "chi_m2": N * mean(m**2) / T,
        "heat_capacity": N * (mean(e**2) - mean(e) ** 2) / T**2,
        "free_energy": -T * log_Z / N,
    }


@pytest.mark.parametrize("N", [2, 3, 4, 8])
@pytest.mark.parametrize("T", TEMPS)
def test_exact_matches_brute_force(N, T):
    ref = brute_force_cw(N, T)
    got = curie_weiss_exact(N, T)
    assert set(got) == set(ref)
    for key, val in ref.items():
        assert got[key] == pytest.approx(val, rel=1e-10, abs=1e-12), key


def test_exact_with_coupling_J():
    ref = brute_force_cw(5, 0.8, J=2.0)
    got = curie_weiss_exact(5, 0.8, J=2.0)
    for key, val in ref.items():
        assert got[key] == pytest.approx(val, rel=1e-10, abs=1e-12), key


def test_vectorised_over_T():
    T = np.array([0.5, 1.0, 2.0])
    vec = curie_weiss_exact(6, T)
    for i, t in enumerate(T):
        one = curie_weiss_exact(6, float(t))
        for key in one:
            assert vec[key][i] == pytest.approx(one[key], rel=1e-13)
    assert isinstance(curie_weiss_exact(6, 1.0)["m2"], float)


def test_enumerate_ising_matches_cw_sum():
    N = 7
    J = np.full((N, N), 1.0 / N)
    got = enumerate_ising(J, 0.9)
    ref = curie_weiss_exact(N, 0.9)
    for key in ["free_energy", "energy", "energy2", "m_abs", "m2", "m4"]:
        assert got[key] == pytest.approx(ref[key], rel=1e-12), key
    assert got["ground_energy"] == pytest.approx(-(N * N - N) / (2 * N * N))


def test_distribution_normalised_and_consistent():
    m, p = curie_weiss_distribution(50, 0.8)
    assert p.sum() == pytest.approx(1.0)
    assert p @ m**2 == pytest.approx(curie_weiss_exact(50, 0.8)["m2"])
    assert p[np.argmax(p)] > p[len(p) // 2]  # bimodal below T_c
    m, p = curie_weiss_distribution(50, 2.0)
    assert np.argmax(p) == len(p) // 2  # peaked at m = 0 above T_c


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_bad_temperature(bad):
    with pytest.raises(ValueError, match="expected finite T > 0"):
        curie_weiss_exact(4, bad)


def test_bad_N():
    with pytest.raises(ValueError, match="expected an integer N >= 1"):
        curie_weiss_exact(0, 1.0)


def test_large_N_ordered_phase_matches_mean_field():
    got = curie_weiss_exact(4096, 0.5)
    assert got["m_abs"] == pytest.approx(curie_weiss_m(0.5), abs=1e-3)
    # connected susceptibility → mean-field value β(1−m²)/(1−β(1−m²))
    m = curie_weiss_m(0.5)
    chi_mf = 2 * (1 - m * m) / (1 - 2 * (1 - m * m))
    assert got["chi"] == pytest.approx(chi_mf, rel=0.02)


def test_large_N_paramagnet_gaussian_fluctuations():
    N, T = 4096, 2.0
    got = curie_weiss_exact(N, T)
    assert got["m2"] == pytest.approx(1.0 / (N * (1.0 - 1.0 / T)), rel=0.01)
    assert got["chi_m2"] == pytest.approx(1.0 / (T - 1.0), rel=0.01)


def test_binder_at_Tc_approaches_limit():
    U4_inf = 1.0 - gamma(0.25) ** 4 / (24 * math.pi**2)
    assert U4_inf == pytest.approx(0.2705, abs=1e-4)
    res = curie_weiss_exact(1024, 1.0)
    assert res["binder"] == pytest.approx(0.281, abs=1e-3)
    u = [curie_weiss_exact(N, 1.0)["binder"] for N in (10**3, 10**4, 10**5)]
    dist = [abs(x - U4_inf) for x in u]
    assert dist[0] > dist[1] > dist[2]
    assert dist[2] < 2e-3
    # corrections ~ N^(-1/2): ratio of successive distances ≈ √10
    assert dist[0] / dist[1] == pytest.approx(math.sqrt(10), rel=0.15)


def test_critical_magnetisation_scaling():
    sizes = [10**3, 10**4, 10**5]
    scaled = [curie_weiss_exact(N, 1.0)["m_abs"] * N**0.25 for N in sizes]
    # converges: successive differences shrink
    assert abs(scaled[2] - scaled[1]) < abs(scaled[1] - scaled[0])
    # limit ⟨|m|⟩N^(1/4) = 12^(1/4) Γ(1/2)/Γ(1/4) for P(m) ∝ exp(−N m⁴/12)
    limit = 12**0.25 * gamma(0.5) / gamma(0.25)
    assert scaled[2] == pytest.approx(limit, rel=0.01)
