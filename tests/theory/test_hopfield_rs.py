"""AGS replica-symmetric theory of the Hopfield model."""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize_scalar
from scipy.special import erf

from pipeline.theory.hopfield_rs import (
    T_M,
    RSSolution,
    T_c,
    T_g,
    alpha_c_line,
    alpha_M,
    free_energy_rs,
    gaussian_averages,
    phase_lines,
    retrieval_branch,
    retrieval_spinodal,
    solve_rs,
    spin_glass_branch,
)
from pipeline.theory.mean_field import curie_weiss_m


def _phi(z):
    return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _quad_averages(m, s, T):
    """Reference by adaptive quadrature, split at the zero of the field."""
    b = 1.0 / T
    z0 = -m / s
    pts = [z0] if abs(z0) < 12 else None

    def sech2(x):
        e = math.exp(-2 * abs(x))
        return 4 * e / (1 + e) ** 2

    def lncosh(x):
        return abs(x) + math.log1p(math.exp(-2 * abs(x)))

    kw = dict(points=pts, limit=400, epsabs=1e-14, epsrel=1e-13)
    M = quad(lambda z: _phi(z) * math.tanh(b * (m + s * z)), -12, 12, **kw)[0]
    C = b * quad(lambda z: _phi(z) * sech2(b * (m + s * z)), -12, 12, **kw)[0]
    F = T * quad(lambda z: _phi(z) * lncosh(b * (m + s * z)), -12, 12, **kw)[0]
    return M, C, F


@pytest.mark.parametrize(
    "m, s, T",
    [(0.97, 0.39, 0.001), (0.9, 0.4, 0.01), (0.97, 0.39, 0.05), (0.5, 0.3, 0.2), (0.0, 0.5, 0.3),
     (0.5, 0.3, 0.3), (0.3, 0.05, 0.5), (0.0, 1.2, 0.9), (0.2, 2.0, 1.5)],
)
def test_gaussian_averages_against_quad(m, s, T):
    got = gaussian_averages(m, s, T)
    ref = _quad_averages(m, s, T)
    assert got == pytest.approx(ref, rel=1e-10, abs=1e-12)


def test_gaussian_averages_zero_temperature_closed_forms():
    m, s = 0.9, 0.4
    M, C, F = gaussian_averages(m, s, 0.0)
    assert M == pytest.approx(erf(m / (s * math.sqrt(2))), rel=1e-14)
    assert C == pytest.approx(math.sqrt(2 / math.pi) / s * math.exp(-(m * m) / (2 * s * s)), rel=1e-12)
    assert F == pytest.approx(m * M + s * math.sqrt(2 / math.pi) * math.exp(-(m * m) / (2 * s * s)), rel=1e-14)
    # continuity T → 0
    assert gaussian_averages(m, s, 1e-6) == pytest.approx((M, C, F), rel=1e-9)


def test_curie_weiss_limit_alpha_zero():
    for T in (0.2, 0.5, 0.9):
        m_cw = curie_weiss_m(T)
        assert retrieval_branch(0.0, T).m == pytest.approx(m_cw, abs=1e-13)
        sol = solve_rs(0.0, T)
        assert sol.converged and sol.m == pytest.approx(math.tanh(sol.m / T), abs=1e-12)
        assert sol.m == pytest.approx(m_cw, abs=1e-10)
        # tiny load: continuous
        assert retrieval_branch(1e-8, T).m == pytest.approx(m_cw, abs=1e-6)
        # free energy reduces to the Curie-Weiss one, m²/2 − T ln 2cosh(βm)
        f = free_energy_rs(0.0, T, sol.m, sol.q, sol.r)
        assert f == pytest.approx(m_cw**2 / 2 - T * math.log(2 * math.cosh(m_cw / T)), rel=1e-12)


def test_storage_capacity_zero_temperature():
    a_M, m_M = retrieval_spinodal(0.0)
    assert a_M == pytest.approx(0.138, abs=1e-3)
    assert a_M == pytest.approx(0.1379, abs=1e-4)
    assert m_M == pytest.approx(0.967, abs=2e-3)

    # independent T = 0 reduction: with y = m/√(2αr), √(2α) = [erf y − (2y/√π) e^(−y²)] / y
    def neg_alpha(y):
        g = (erf(y) - 2 * y / math.sqrt(math.pi) * math.exp(-y * y)) / y
        return -0.5 * g * g

    res = minimize_scalar(neg_alpha, bounds=(0.5, 3.0), method="bounded", options={"xatol": 1e-12})
    assert a_M == pytest.approx(-res.fun, rel=1e-9)
    assert m_M == pytest.approx(erf(res.x), abs=1e-6)


def test_retrieval_exists_only_below_spinodal():
    a_M, _ = retrieval_spinodal(0.0)
    below = retrieval_branch(a_M - 1e-4, 0.0)
    assert below is not None and below.m > 0.9 and below.converged
    assert retrieval_branch(a_M + 1e-4, 0.0) is None
    # iteration from m = 1 above the spinodal falls to the spin-glass solution
    sol = solve_rs(0.15, 0.0, m0=1.0)
    assert sol.converged and sol.m == 0.0


def test_alpha_M_finite_temperature_and_reentrance():
    a0, a05, a1 = alpha_M([0.0, 0.05, 0.1])
    assert a05 == pytest.approx(0.1378, abs=1e-4)
    assert a1 == pytest.approx(0.1351, abs=1e-4)
    peak = alpha_M(0.023)
    assert peak == pytest.approx(0.1381, abs=1e-4)
    assert peak > a0 and peak > a05  # RS line bends back
    assert alpha_M(0.5) < alpha_M(0.2) < a1
    assert alpha_M(1.2) == 0.0


def test_T_M_inverse_and_asymptotics():
    for a in (0.01, 0.05, 0.12):
        T = T_M(a)
        assert alpha_M(T) == pytest.approx(a, rel=1e-8)
    # 1 − T_M ≈ 1.95√α near α = 0 (AGS)
    a = 1e-5
    assert (1 - T_M(a)) / math.sqrt(a) == pytest.approx(1.95, abs=0.01)
    assert math.isnan(T_M(0.139))
    assert T_M(0.0) == 1.0


def test_spin_glass_transition_T_g():
    alpha = 0.1
    assert T_g(alpha) == pytest.approx(1 + math.sqrt(alpha))
    # T_g(0.1) = 1.3162: q = 0 above, q > 0 below
    assert spin_glass_branch(alpha, 1.33).q == 0.0
    assert spin_glass_branch(alpha, 1.30).q > 1e-3
    assert spin_glass_branch(alpha, 1.28).q > spin_glass_branch(alpha, 1.30).q
    # continuous onset, q ∝ T_g − T
    q1 = spin_glass_branch(alpha, T_g(alpha) - 1e-3).q
    q2 = spin_glass_branch(alpha, T_g(alpha) - 2e-3).q
    assert 0 < q1 < 1e-2 and q2 / q1 == pytest.approx(2.0, rel=0.02)
    # the iteration agrees: from q0 = 0.5 it decays to the paramagnet above T_g
    assert solve_rs(alpha, 1.33, m0=0.0, q0=0.5).q == pytest.approx(0.0, abs=1e-10)


@pytest.mark.parametrize("alpha, T", [(0.05, 0.0), (0.1, 0.1), (0.05, 0.3), (0.02, 0.7), (0.12, 0.2)])
def test_iteration_agrees_with_branches(alpha, T):
    rb = retrieval_branch(alpha, T)
    it = solve_rs(alpha, T, m0=1.0)
    assert it.converged and rb.converged
    assert (it.m, it.q, it.r) == pytest.approx((rb.m, rb.q, rb.r), rel=1e-8, abs=1e-10)
    sg = spin_glass_branch(alpha, T)
    it = solve_rs(alpha, T, m0=0.0, q0=0.9)
    assert it.converged and it.m == 0.0
    assert (it.q, it.r) == pytest.approx((sg.q, sg.r), rel=1e-8)


def _gradient(alpha, T, sol, h=1e-6):
    x0 = np.array([sol.m, sol.q, sol.r])
    g = []
    for i in range(3):
        dx = np.zeros(3)
        dx[i] = h
        g.append((free_energy_rs(alpha, T, *(x0 + dx)) - free_energy_rs(alpha, T, *(x0 - dx))) / (2 * h))
    return np.array(g)


@pytest.mark.parametrize("alpha, T", [(0.05, 0.3), (0.1, 0.1), (0.02, 0.7), (0.12, 0.2), (0.1, 1.2)])
def test_free_energy_stationary_at_saddle_points(alpha, T):
    sols = [spin_glass_branch(alpha, T)]
    if T < 1:
        sols.append(retrieval_branch(alpha, T))
    for sol in sols:
        assert np.max(np.abs(_gradient(alpha, T, sol))) < 1e-7
    # and not stationary away from them
    m, q, r = sols[-1][:3]
    off = RSSolution(m + 0.05, 1 - 0.7 * (1 - q), r * 1.1, False)  # keeps β(1 − q) < 1
    assert np.max(np.abs(_gradient(alpha, T, off))) > 1e-3


def test_free_energy_special_cases():
    # paramagnet above T_g: −T ln 2 + α/2 + (αT/2) ln(1 − β)
    alpha, T = 0.1, 1.5
    pm = spin_glass_branch(alpha, T)
    f = free_energy_rs(alpha, T, pm.m, pm.q, pm.r)
    assert f == pytest.approx(-T * math.log(2) + alpha / 2 + alpha * T / 2 * math.log(1 - 1 / T), rel=1e-12)
    # T = 0 ground-state energies: e = −m²/2 − (α/2)(r − 1); e_SG = −1/π − √(2α/π)
    alpha = 0.08
    sg = spin_glass_branch(alpha, 0.0)
    assert free_energy_rs(alpha, 0.0, sg.m, sg.q, sg.r) == pytest.approx(
        -1 / math.pi - math.sqrt(2 * alpha / math.pi), rel=1e-12
    )
    rb = retrieval_branch(alpha, 0.0)
    e_R = free_energy_rs(alpha, 0.0, rb.m, rb.q, rb.r, C=rb.C)
    assert e_R == pytest.approx(-rb.m**2 / 2 - alpha / 2 * (rb.r - 1), rel=1e-12)
    # continuity T → 0
    for sol_fn in (retrieval_branch, spin_glass_branch):
        s0, s1 = sol_fn(alpha, 0.0), sol_fn(alpha, 1e-3)
        f0 = free_energy_rs(alpha, 0.0, s0.m, s0.q, s0.r, C=s0.C)
        f1 = free_energy_rs(alpha, 1e-3, s1.m, s1.q, s1.r, C=s1.C)
        assert f1 == pytest.approx(f0, abs=1e-4)


def test_thermodynamic_line_end_point():
    a0, m0 = alpha_c_line(0.0, return_m=True)
    assert a0 == pytest.approx(0.0519, abs=5e-4)
    # at T = 0 the retrieval state has m ≈ 1, e_R ≈ −1/2, so α_c = (π/2)(1/2 − 1/π)²
    assert a0 == pytest.approx(math.pi / 2 * (0.5 - 1 / math.pi) ** 2, abs=1e-5)
    assert m0 > 0.999
    # at the line the two free energies agree
    T = 0.3
    a = alpha_c_line(T)
    fR = free_energy_rs(a, T, *retrieval_branch(a, T)[:3])
    fS = free_energy_rs(a, T, *spin_glass_branch(a, T)[:3])
    assert fR == pytest.approx(fS, abs=1e-10)
    # below it retrieval is the global minimum, above it (but below α_M) only metastable
    for da, sign in ((-0.01, -1), (0.01, 1)):
        b = a + da
        d = free_energy_rs(b, T, *retrieval_branch(b, T)[:3]) - free_energy_rs(b, T, *spin_glass_branch(b, T)[:3])
        assert np.sign(d) == sign


def test_lines_ordering_and_T_c_inverse():
    a = 0.03
    assert T_c(a) < T_M(a) < T_g(a)
    assert alpha_c_line(T_c(a)) == pytest.approx(a, rel=1e-7)
    assert alpha_c_line([0.05, 0.1]) == pytest.approx([0.05291, 0.05309], abs=2e-5)
    assert (1 - T_c(1e-5)) / math.sqrt(1e-5) == pytest.approx(2.6, abs=0.02)
    assert math.isnan(T_c(0.06))


def test_phase_lines_shapes():
    lines = phase_lines(n=12)
    assert set(lines) == {"T_g", "T_M", "T_c"}
    for alpha, T in lines.values():
        assert alpha.shape == T.shape and np.all(np.isfinite(alpha))
    aM, TM = lines["T_M"]
    ac, Tc = lines["T_c"]
    assert TM[0] == 0.0 and aM[0] == pytest.approx(0.1379, abs=1e-4)
    assert ac[0] == pytest.approx(0.0519, abs=5e-4)
    assert aM[-1] == 0.0 and TM[-1] == 1.0
    assert np.all(ac <= aM)


@pytest.mark.parametrize("bad", [dict(alpha=-0.1, T=0.5), dict(alpha=0.1, T=-1.0), dict(alpha=math.nan, T=0.5)])
def test_bad_input(bad):
    with pytest.raises(ValueError, match="expected finite"):
        solve_rs(**bad)
    with pytest.raises(ValueError, match="expected finite"):
        retrieval_branch(**bad)
