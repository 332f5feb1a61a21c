"""Annealed perceptron theory: the high-T closed form and Ising transition, the derivative identities of
ln Z_ann, and the finite-N annealed averages against the saddle point, the high-T limit and an exhaustive
average of the exact Z over every binary training set."""

import itertools

import numpy as np
import pytest

from pipeline.theory.annealed import (
    annealed,
    annealed_finite_N,
    high_T,
    high_T_finite_N,
    ising_high_T_transition,
    ising_transition,
    learning_curve,
)
from pipeline.theory.perceptron_exact import ising_student_exact


@pytest.mark.parametrize("ab", [0.05, 0.3, 1.0, 2.0, 5.0, 20.0, 100.0])
def test_spherical_high_T_closed_form(ab):
    r = high_T(ab, "spherical")
    assert r["eps_g"] == pytest.approx(np.arctan(np.pi / ab) / np.pi, abs=1e-6)
    assert r["R"] == pytest.approx(np.cos(np.pi * r["eps_g"]), abs=1e-12)


def test_spherical_high_T_tail():
    for ab in (1e3, 1e4):
        assert ab * high_T(ab, "spherical")["eps_g"] == pytest.approx(1.0, abs=4 / ab**2)  # 1 − π²/(3(αβ)²)


def test_ising_high_T_transition():
    """Seung, Sompolinsky & Tishby, Phys. Rev. A 45, 6056 (1992): in the high-T limit the Ising student jumps
    to R = 1 at αβ ≈ 1.70, and the interior (metastable) state disappears at αβ ≈ 2.08."""
    tr = ising_high_T_transition()
    assert tr["alpha_beta_c"] == pytest.approx(1.70, abs=0.01)
    assert tr["alpha_beta_spinodal"] == pytest.approx(2.08, abs=0.01)
    ab_c, ab_sp = tr["alpha_beta_c"], tr["alpha_beta_spinodal"]
    below, above = high_T(ab_c - 1e-3, "ising"), high_T(ab_c + 1e-3, "ising")
    assert below["state"] == "interior" and below["R"] == pytest.approx(tr["R_c"], abs=0.01)
    assert below["metastable"][0]["R"] == 1.0
    assert above["R"] == 1.0 and above["eps_g"] == 0.0 and above["metastable"][0]["state"] == "interior"
    assert high_T(ab_sp - 1e-4, "ising")["metastable"][0]["R"] == pytest.approx(tr["R_spinodal"], abs=0.01)
    assert high_T(ab_sp + 1e-4, "ising")["metastable"] == []


def test_ising_R_jumps_to_one_at_the_transition():
    T = 1.0
    tr = ising_transition(T)
    a_c, a_sp = tr["alpha_c"], tr["alpha_spinodal"]
    lc = learning_curve([0.5, a_c - 1e-3, a_c + 1e-3, 0.5 * (a_c + a_sp), a_sp + 1e-3], T, "ising")
    assert np.all(lc["R"][:2] < 0.7) and np.all(lc["R"][2:] == 1.0)
    assert list(lc["state"]) == ["interior", "interior", "perfect", "perfect", "perfect"]
    assert np.all(lc["R_metastable"][:2] == 1.0) and np.isnan(lc["R_metastable"][-1])
    assert lc["lnZ"][1] > 0 > lc["lnZ_metastable"][2]  # the branches cross at lnZ = 0
    # the finite-T transition tends to the high-T one in units of αβ
    ht = ising_high_T_transition()
    assert ising_transition(200.0)["alpha_c"] / 200.0 == pytest.approx(ht["alpha_beta_c"], rel=2e-3)


CASES = [("spherical", 0.5, 1.0), ("spherical", 5.0, 0.3), ("ising", 1.0, 1.0), ("ising", 4.0, 5.0)]


@pytest.mark.parametrize("student,alpha,T", CASES)
def test_train_error_is_the_beta_derivative(student, alpha, T):
    """E_train = −(1/α) ∂_β (ln Z_ann / N), by central differences."""
    beta, h = 1 / T, 1e-5
    up, down = annealed(alpha, 1 / (beta + h), student), annealed(alpha, 1 / (beta - h), student)
    d = (up["lnZ"] - down["lnZ"]) / (2 * h)
    assert annealed(alpha, T, student)["train_error"] == pytest.approx(-d / alpha, rel=1e-7, abs=1e-12)


@pytest.mark.parametrize("student,alpha,T", CASES)
def test_gen_error_is_the_alpha_derivative(student, alpha, T):
    """E_gen = −(1/β) ∂_α (ln Z_ann / N) + (1/β) ln z(β), for z = 1 and z = 1 + e^{−β}."""
    h = 1e-5
    d = (annealed(alpha + h, T, student)["lnZ"] - annealed(alpha - h, T, student)["lnZ"]) / (2 * h)
    r, lts = annealed(alpha, T, student), annealed(alpha, T, student, z="lts")
    assert r["E_gen"] == pytest.approx(-T * d, rel=1e-7, abs=1e-12)
    assert lts["E_gen"] == pytest.approx(-T * d + T * np.log1p(np.exp(-1 / T)), rel=1e-7)
    assert r["train_error"] <= r["E_gen"] <= r["eps_g"]  # E_gen ≤ ε_g by Jensen
    assert lts["eps_g"] == r["eps_g"] and lts["R"] == r["R"]


@pytest.mark.parametrize("student,ab", [("spherical", 0.7), ("spherical", 10.0), ("ising", 1.0)])
def test_high_T_gen_error_is_the_alpha_beta_derivative(student, ab):
    h = 1e-5
    d = (high_T(ab + h, student)["lnZ"] - high_T(ab - h, student)["lnZ"]) / (2 * h)
    assert high_T(ab, student)["eps_g"] == pytest.approx(-d, rel=1e-7)


@pytest.mark.parametrize("student,ab", [("spherical", 0.7), ("spherical", 3.0), ("ising", 1.2)])
def test_annealed_tends_to_high_T(student, ab):
    """β → 0 at fixed αβ: all three errors approach ε_g of the high-T limit, at O(β)."""
    ht = high_T(ab, student)
    for T in (1e2, 1e3):
        r = annealed(ab * T, T, student)
        for k in ("eps_g", "train_error", "E_gen"):
            assert r[k] == pytest.approx(ht["eps_g"], abs=2 / T), (T, k)


def test_spherical_R_rises_with_alpha():
    for T in (0.0, 0.5, 2.0):
        lc = learning_curve(np.linspace(0, 40, 81), T, "spherical")
        assert lc["R"][0] == 0.0 and np.all(np.diff(lc["R"]) > 0) and np.all(lc["R"] < 1)
        assert np.all(np.diff(lc["eps_g"]) < 0) and np.all(np.isnan(lc["R_metastable"]))
        assert np.all(lc["train_error"] <= lc["eps_g"])
    lc = learning_curve(np.linspace(0, 10, 41), 1.0, "ising")
    assert np.all((lc["R"] >= 0) & (lc["R"] <= 1))


# --- finite N ----------------------------------------------------------------------------------------------

FINITE = [("spherical", "gaussian", 2.0), ("ising", "gaussian", 1.0), ("ising", "binary", 1.0)]


@pytest.mark.parametrize("student,inputs,alpha", FINITE)
def test_finite_N_converges_to_the_saddle_point(student, inputs, alpha):
    """At T = 1 (interior maximum, far from the Ising transition) ⟨R⟩, ⟨ε⟩ and E_train approach the saddle
    point as c/N: N times the difference is constant to within 3% from N = 101 to 1601 (seen: N ΔR = 0.211,
    0.153, 0.153 for the three cases; binary inputs move ⟨ε⟩ by their own O(1/N), N Δε = −0.19 against −0.10
    for Gaussian inputs)."""
    s = annealed(alpha, 1.0, student)
    scaled = []
    for N in (101, 401, 1601):
        f = annealed_finite_N(alpha, 1.0, N, student, inputs)
        scaled.append([N * (f["R"] - s["R"]), N * (f["gen_error"] - s["eps_g"]),
                       N * (f["train_error"] - s["train_error"]), N * (f["lnZ"] - s["lnZ"])])
    scaled = np.array(scaled)
    assert np.allclose(scaled[:, :2], scaled[-1, :2], rtol=0.03)
    assert np.allclose(scaled[:, 2:], scaled[-1, 2:], rtol=0.15, atol=0.005)
    assert 0.1 < scaled[-1, 0] < 0.3


@pytest.mark.parametrize("student,inputs", [("spherical", "gaussian"), ("ising", "binary")])
def test_finite_N_small_beta_tends_to_high_T(student, inputs):
    """N = 51, fixed αβ (P = αβN/β an integer): the annealed averages approach high_T_finite_N at O(β)."""
    N = 51
    for ab in (0.5, 1.5):
        h = high_T_finite_N(ab, N, student, inputs)
        diffs = []
        for beta in (0.02, 0.01, 0.005):
            f = annealed_finite_N(ab / beta, 1 / beta, N, student, inputs)
            assert f["P"] == round(ab * N / beta)
            diffs.append([f[k] - h[k] for k in ("R", "gen_error", "train_error")])
        diffs = np.abs(diffs)
        assert np.all(diffs[:, :2] < 0.25 * np.array([[0.02], [0.01], [0.005]]))
        assert np.all(diffs[2] < 0.6 * diffs[1])


@pytest.mark.parametrize("student,inputs,ab", [("spherical", "gaussian", 1.0), ("ising", "gaussian", 1.0),
                                               ("ising", "binary", 1.2)])
def test_high_T_finite_N_converges_to_high_T(student, inputs, ab):
    ht = high_T(ab, student)
    d = [N * (high_T_finite_N(ab, N, student, inputs)["R"] - ht["R"]) for N in (201, 801, 3201)]
    assert np.allclose(d, d[-1], rtol=0.03)  # O(1/N)


def test_finite_N_normalisation_and_large_P():
    sph = annealed_finite_N(0.0, 1.0, 200, "spherical", "gaussian")
    assert sph["lnZ"] == pytest.approx(0.0, abs=1e-14) and sph["R"] == pytest.approx(0.0, abs=1e-14)
    assert sph["gen_error"] == pytest.approx(0.5, abs=1e-14)
    ising = annealed_finite_N(0.0, 1.0, 201, "ising", "binary")
    assert ising["lnZ"] == pytest.approx(np.log(2), rel=1e-14) and ising["gen_error"] == pytest.approx(0.5)
    for student in ("spherical", "ising"):  # N = 200, P = 20000: no overflow, and close to the saddle point
        f = annealed_finite_N(100.0, 1.0, 200, student, "gaussian")
        s = annealed(100.0, 1.0, student)
        assert f["P"] == 20000 and all(np.isfinite(f[k]) for k in ("R", "lnZ", "train_error", "gen_error"))
        assert f["R"] == pytest.approx(s["R"], abs=2e-3)


def test_spherical_finite_N_against_a_direct_integral():
    from scipy.integrate import quad
    from scipy.special import beta as beta_fn

    for N, alpha, T in [(3, 1.0, 1.0), (7, 4.0, 0.3), (40, 10.0, 0.5)]:
        P, g = round(alpha * N), -np.expm1(-1 / T)

        def w(R, N=N, P=P, g=g):
            rho = (1 - R * R) ** ((N - 3) / 2) / beta_fn(0.5, (N - 1) / 2)
            return rho * (1 - g * np.arccos(R) / np.pi) ** P

        Z = quad(w, -1, 1, epsabs=0, epsrel=1e-12, limit=200)[0]
        R = quad(lambda R, w=w: R * w(R), -1, 1, epsabs=0, epsrel=1e-12, limit=200)[0] / Z
        f = annealed_finite_N(alpha, T, N, "spherical", "gaussian")
        assert f["lnZ"] == pytest.approx(np.log(Z) / N, abs=1e-12) and f["R"] == pytest.approx(R, abs=1e-11)


@pytest.mark.parametrize("N,P", [(3, 3), (5, 2)])
def test_annealed_Z_is_the_average_of_the_exact_Z_over_every_training_set(N, P):
    """E[Z] and E[Σ_w R e^{−βE}] / E[Z] by enumerating all 2^{NP} binary training sets (teacher labels)."""
    B = np.ones(N)
    xs = np.array(list(itertools.product([1.0, -1.0], repeat=N)))
    for T in (0.5, 2.0):
        Z = ZR = 0.0
        for idx in itertools.product(range(2**N), repeat=P):
            X = xs[list(idx)]
            r = ising_student_exact(B, X, np.sign(X @ B), T)
            Z, ZR = Z + np.exp(r["lnZ"]), ZR + np.exp(r["lnZ"]) * r["R"]
        f = annealed_finite_N(P / N, T, N, "ising", "binary")
        assert f["P"] == P
        assert f["lnZ"] == pytest.approx(np.log(Z / 2 ** (N * P)) / N, rel=1e-13)
        assert f["R"] == pytest.approx(ZR / Z, rel=1e-13)


def test_refuses_bad_arguments():
    with pytest.raises(ValueError, match="gaussian"):
        annealed_finite_N(1.0, 1.0, 11, "spherical", "binary")
    with pytest.raises(ValueError, match="student"):
        annealed(1.0, 1.0, "potts")
    with pytest.raises(ValueError, match="T = -1"):
        annealed(1.0, -1.0, "ising")
    with pytest.raises(ValueError, match="odd"):
        annealed_finite_N(1.0, 1.0, 10, "ising", "binary")
    with pytest.raises(ValueError, match="z = "):
        annealed(1.0, 1.0, "ising", z="norm")
