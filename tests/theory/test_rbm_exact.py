"""Exact RBM enumeration: closed-form hidden sums against a brute-force joint sum over (v, h) (quadrature
for gaussian hidden units), the Hebbian RBM as a Hopfield model, the stated quadratic couplings, and the
KL divergence of the quadratic ("Hopfield") approximation of the visible marginal."""

import itertools

import numpy as np
import pytest
from scipy.integrate import quad

from pipeline.theory.hopfield_exact import hopfield_exact, random_patterns
from pipeline.theory.rbm_exact import (
    hidden_states,
    marginal_kl,
    quadratic_free_energy,
    rbm_exact,
    visible_free_energy,
    visible_states,
)

NV, NH, T0 = 6, 4, 1.3
COMBOS = list(itertools.product(["spin", "binary"], ["spin", "binary", "gaussian"]))
VALUES = {"spin": (1.0, -1.0), "binary": (0.0, 1.0)}


def params(seed, Nv=NV, Nh=NH, scale=0.7):
    gen = np.random.default_rng(seed)
    return scale * gen.standard_normal((Nv, Nh)), 0.5 * gen.standard_normal(Nv), 0.5 * gen.standard_normal(Nh)


def configs(n, kind):
    """All configurations by itertools, independent of the module's bit order."""
    return np.array(list(itertools.product(VALUES[kind], repeat=n)), float)


def gaussian_moments(a, T):
    """∫ h^k exp(−(h²/2 − a h)/T) dh for k = 0, 1, 2 and every entry of a, by adaptive quadrature."""
    out = np.empty((3, *a.shape))
    for idx, aj in np.ndenumerate(a):
        for k in range(3):
            out[(k, *idx)] = quad(lambda h, aj=aj, k=k: h**k * np.exp(-(0.5 * h * h - aj * h) / T),
                                  -np.inf, np.inf, epsabs=0.0, epsrel=1e-13, limit=200)[0]
    return out


def brute(W, b, c, T, visible, hidden):
    """Every (v, h) pair directly for discrete hidden units; per-unit quadrature over h for gaussian ones."""
    Nv, Nh = W.shape
    V = configs(Nv, visible)
    if hidden == "gaussian":
        A = c + V @ W
        I0, I1, I2 = gaussian_moments(A, T)
        log_zh = np.log(I0).sum(axis=1)  # ln ∫dh e^{−βE(v,h)} + βb·v
        mh, h2 = I1 / I0, I2 / I0
        w_v = np.exp(V @ b / T + log_zh)
        Z = w_v.sum()
        p = w_v / Z
        C_h = mh.T @ (p[:, None] * mh)
        np.fill_diagonal(C_h, p @ h2)
        E_v = -V @ b + (-A * mh + 0.5 * h2).sum(axis=1)
        mean_h, mean_vh, energy = p @ mh, V.T @ (p[:, None] * mh), p @ E_v
        q_h2 = (C_h**2).sum() / Nh**2
    else:
        H = configs(Nh, hidden)
        E = -V @ W @ H.T - (V @ b)[:, None] - (H @ c)[None, :]  # (2^Nv, 2^Nh)
        w = np.exp(-E / T)
        Z = w.sum()
        pj = w / Z
        p, p_h = pj.sum(axis=1), pj.sum(axis=0)
        log_zh = np.log(w.sum(axis=1)) - V @ b / T
        mean_h, mean_vh, energy = p_h @ H, V.T @ pj @ H, (pj * E).sum()
        Qh = H @ H.T / Nh
        q_h2 = p_h @ Qh**2 @ p_h
    F = -T * (V @ b / T + log_zh)
    Qv = V @ V.T / Nv
    return {"mean_v": p @ V, "mean_h": mean_h, "mean_vh": mean_vh, "lnZ": np.log(Z), "energy": energy,
            "m_v": (p @ V).mean(), "q_v2": p @ Qv**2 @ p, "q_h2": q_h2, "free_energy": p @ F / Nv,
            "V": V, "F": F}


@pytest.mark.parametrize("visible, hidden", COMBOS)
def test_rbm_exact_matches_a_brute_force_joint_sum(visible, hidden):
    """Discrete hidden units: a direct sum of 2^10 Boltzmann weights differs from the closed forms only by
    round-off (~1e-15 relative per term; measured ≤ 3e-14), so 1e-10 is generous. Gaussian hidden units:
    each quadrature is converged to ~1e-13 relative (measured agreement ≤ 1e-13); 1e-9 leaves room for
    quad's error estimate being loose."""
    W, b, c = params(1)
    got, want = rbm_exact(W, b, c, T0, visible, hidden), brute(W, b, c, T0, visible, hidden)
    rel = 1e-9 if hidden == "gaussian" else 1e-10
    for k in ("mean_v", "mean_h", "mean_vh", "lnZ", "energy", "m_v", "q_v2", "q_h2", "free_energy"):
        assert np.allclose(got[k], want[k], rtol=rel, atol=rel), (visible, hidden, k, got[k], want[k])


@pytest.mark.parametrize("visible, hidden", COMBOS)
def test_visible_free_energy_is_minus_T_ln_of_the_hidden_sum(visible, hidden):
    """F(v) = −T ln Σ_h e^{−βE(v, h)} row by row; tolerances as in the joint test (F is O(1-10), so 1e-10
    absolute is ~1e-11 relative for the sums and quadrature-limited for gaussian units)."""
    W, b, c = params(2)
    want = brute(W, b, c, T0, visible, hidden)
    got = visible_free_energy(W, b, c, T0, want["V"], hidden)
    assert got.shape == (2**NV,)
    assert np.allclose(got, want["F"], rtol=0, atol=1e-9 if hidden == "gaussian" else 1e-10)
    assert visible_free_energy(W, b, c, T0, want["V"][3], hidden) == pytest.approx(want["F"][3], abs=1e-9)


def test_free_energy_is_stable_for_large_inputs():
    """βa_j ~ ±1e4: the logaddexp forms give the exact limits −b·v − Σ_j|a_j| (spin) and
    −b·v − Σ_j max(a_j, 0) (binary) to round-off (1e-12 relative), where a naive ln(2cosh) would overflow."""
    W, b, c = params(3, scale=1e3)
    V = visible_states(NV, "spin")
    A = c + V @ W
    for hidden, lim in (("spin", np.abs(A)), ("binary", np.maximum(A, 0.0))):
        F = visible_free_energy(W, b, c, 0.1, V, hidden)
        assert np.all(np.isfinite(F))
        assert np.allclose(F, -V @ b - lim.sum(axis=1), rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("visible", ["spin", "binary"])
def test_gaussian_hidden_hebbian_rbm_is_the_hopfield_model(visible):
    """W_iμ = ξ_i^μ/√N, zero biases: F(v) − H_hop(v) is the v-independent −(PT/2) ln(2πT) (the prior's
    normalisation), to round-off of O(10) energies (1e-12 absolute)."""
    N, P = 8, 3
    xi = random_patterns(N, P, np.random.default_rng(4)).astype(float)
    V = visible_states(N, visible)
    H_hop = -((V @ xi) ** 2).sum(axis=1) / (2 * N)
    for T in (0.5, 1.0, 2.0):
        F = visible_free_energy(xi / np.sqrt(N), None, None, T, V, "gaussian")
        assert np.allclose(F - H_hop, -0.5 * P * T * np.log(2 * np.pi * T), rtol=0, atol=1e-12)


def test_gaussian_hidden_hebbian_rbm_reproduces_hopfield_exact():
    """For ±1 visible units the diagonal J_ii = P/N only shifts the energy by P/2, so the marginal is exactly
    hopfield_exact's (zero diagonal): equal ⟨q²⟩, and lnZ and ⟨F⟩ shifted by the stated constants. Both
    are exact sums over the same 2^8 states (round-off only: 1e-12)."""
    N, P = 8, 3
    xi = random_patterns(N, P, np.random.default_rng(5))
    for T in (0.5, 1.0, 2.0):
        r, h = rbm_exact(xi / np.sqrt(N), None, None, T, "spin", "gaussian"), hopfield_exact(xi, T)
        const = -P / 2 - 0.5 * P * T * np.log(2 * np.pi * T)  # F(v) − H_hopfield(v)
        assert r["q_v2"] == pytest.approx(h["q2"], rel=1e-12)
        assert r["free_energy"] == pytest.approx(h["energy"] + const / N, rel=1e-12)
        assert -T * r["lnZ"] / N == pytest.approx(h["free_energy"] + const / N, rel=1e-12)


@pytest.mark.parametrize("visible, hidden", COMBOS)
def test_quadratic_free_energy_has_the_stated_hopfield_couplings(visible, hidden):
    """F_quad(v) = −½ vᵀJv − h·v + const with the J, h and const of the module docstring; a polynomial
    identity, so only round-off (1e-12 absolute on O(10) values)."""
    W, b, c = params(6)
    T = T0
    beta = 1 / T
    V = visible_states(NV, visible)
    WWt, Wc = W @ W.T, W @ c
    J, h, const = {
        "spin": (beta * WWt, b + beta * Wc, -NH * T * np.log(2) - 0.5 * beta * c @ c),
        "binary": (beta / 4 * WWt, b + 0.5 * W.sum(axis=1) + beta / 4 * Wc,
                   -NH * T * np.log(2) - 0.5 * c.sum() - beta / 8 * c @ c),
        "gaussian": (WWt, b + Wc, -0.5 * c @ c - 0.5 * NH * T * np.log(2 * np.pi * T)),
    }[hidden]
    want = -0.5 * np.einsum("xi,ij,xj->x", V, J, V) - V @ h + const
    assert np.allclose(quadratic_free_energy(W, b, c, T, V, hidden), want, rtol=0, atol=1e-12)
    if hidden == "gaussian":
        exact = visible_free_energy(W, b, c, T, V, hidden)
        assert np.array_equal(quadratic_free_energy(W, b, c, T, V, hidden), exact)


def naive_kl(W, b, c, T, visible, hidden):
    V = visible_states(W.shape[0], visible)
    lp, lq = (-f(W, b, c, T, V, hidden) / T for f in (visible_free_energy, quadratic_free_energy))
    lp, lq = lp - np.logaddexp.reduce(lp), lq - np.logaddexp.reduce(lq)
    return np.exp(lp) @ (lp - lq)


@pytest.mark.parametrize("visible", ["spin", "binary"])
def test_marginal_kl_is_zero_for_gaussian_hidden_units(visible):
    W, b, c = params(7, scale=3.0)
    assert marginal_kl(W, b, c, T0, "gaussian", visible) == 0.0


@pytest.mark.parametrize("visible, hidden", [x for x in COMBOS if x[1] != "gaussian"])
def test_marginal_kl_is_the_kl_divergence(visible, hidden):
    """Against Σ p ln(p/p_quad) from the two public free energies, where KL ~ 1e-3..1 is far above that
    formula's round-off (~1e-15), so both agree to 1e-9 relative."""
    W, b, c = params(8)
    for s in (0.5, 1.0, 2.0):
        kl = marginal_kl(s * W, b, s * c, T0, hidden, visible)
        assert kl > 1e-6
        assert kl == pytest.approx(naive_kl(s * W, b, s * c, T0, visible, hidden), rel=1e-9)


@pytest.mark.parametrize("visible, hidden", [x for x in COMBOS if x[1] != "gaussian"])
def test_marginal_kl_vanishes_as_scale_to_the_eighth(visible, hidden):
    """W and c scaled by s → 0 (b fixed): the remainder δ = β(F_quad − F) = −Σ_j y_j⁴/12 + O(y⁶) is quartic,
    so KL ≈ ½ Var_p(δ) ~ s⁸. Measured local log-log slope p between s and 2s: 7.99999 (spin hidden) and
    7.9993-7.9997 (binary hidden) at s = 1e-3, 8 − 1e-7 resp. 8 − 7e-5 at s = 1e-4; the approach is O(s²)
    for spin hidden units and O(s) for binary ones (the linear term x/2 of ln(1 + eˣ) makes p(v) depend on
    s at first order). Asserted: |p − 8| < 2e-3 at s = 1e-3 and shrinking tenfold-ish by s = 1e-4 (< 1/5).
    KL at s = 1e-3 is ~1e-23..1e-26, far below the round-off of ln p, and still equals the leading ½ Var_p(δ)
    (measured: to 2e-6..8e-6, the O(s)/O(s²) corrections; asserted to 1e-4). Over s = 1e-3..2 KL > 0 and
    increases."""
    W, b, c = params(9)

    def slope(s):
        return np.log(marginal_kl(2 * s * W, b, 2 * s * c, T0, hidden, visible)
                      / marginal_kl(s * W, b, s * c, T0, hidden, visible)) / np.log(2)

    p3, p4 = slope(1e-3), slope(1e-4)
    assert abs(p3 - 8) < 2e-3 and abs(p4 - 8) < abs(p3 - 8) / 5, (p3, p4)

    s = 1e-3
    V = visible_states(NV, visible)
    y = (s * c + V @ (s * W)) / T0 / (2 if hidden == "binary" else 1)
    delta = -(y**4).sum(axis=1) / 12
    lp = -visible_free_energy(s * W, b, s * c, T0, V, hidden) / T0
    prob = np.exp(lp - np.logaddexp.reduce(lp))
    half_var = 0.5 * prob @ (delta - prob @ delta) ** 2
    assert marginal_kl(s * W, b, s * c, T0, hidden, visible) == pytest.approx(half_var, rel=1e-4)

    kl = np.array([marginal_kl(s * W, b, s * c, T0, hidden, visible) for s in np.geomspace(1e-3, 2.0, 12)])
    assert np.all(kl > 0) and np.all(np.diff(kl) > 0)


@pytest.mark.parametrize("visible, hidden", [x for x in COMBOS if x[1] != "gaussian"])
def test_marginal_kl_vanishes_as_scale_squared_with_fixed_hidden_biases(visible, hidden):
    """Only W scaled, c ≠ 0 fixed: δ(v) − δ(0) is linear in W (ρ'(βc_j) ≠ 0), so KL ~ s². Measured slope
    between s and 2s: 2.002-2.014 at s = 1e-3, 2.0002-2.0014 at s = 1e-4 (corrections O(s), with a larger
    coefficient for {0, 1} visible units); asserted within 3e-3 of 2 at s = 1e-4."""
    W, b, c = params(10)
    kl = [marginal_kl(s * W, b, c, T0, hidden, visible) for s in (1e-4, 2e-4)]
    assert np.log(kl[1] / kl[0]) / np.log(2) == pytest.approx(2.0, abs=3e-3)


def test_temperature_sequence_enumerates_once_and_matches_single_calls():
    W, b, c = params(11)
    temps = [0.7, 1.3, 4.0]
    many = rbm_exact(W, b, c, temps, "binary", "gaussian")
    assert isinstance(many, list) and len(many) == 3
    for T, r in zip(temps, many, strict=True):
        one = rbm_exact(W, b, c, T, "binary", "gaussian")
        assert isinstance(one, dict) and one.keys() == r.keys()
        for k in r:
            assert np.array_equal(r[k], one[k]), k


def test_states_are_all_configurations_once():
    for kind, vals in VALUES.items():
        S = visible_states(5, kind)
        assert S.shape == (32, 5) and len({tuple(r) for r in S}) == 32 and set(np.unique(S)) == set(vals)
        assert np.array_equal(hidden_states(5, kind), S)
    with pytest.raises(ValueError, match="enumerated"):
        hidden_states(3, "gaussian")


def test_refuses_bad_input():
    W, b, c = params(12)
    with pytest.raises(ValueError, match="hidden kind"):
        rbm_exact(W, b, c, 1.0, "spin", "potts")
    with pytest.raises(ValueError, match="visible kind"):
        rbm_exact(W, b, c, 1.0, "gaussian", "spin")
    with pytest.raises(ValueError, match="T ="):
        rbm_exact(W, b, c, [1.0, -1.0])
    with pytest.raises(ValueError, match="expected"):
        rbm_exact(W, b[:-1], c, 1.0)
    with pytest.raises(ValueError, match="n <= 20"):
        rbm_exact(np.zeros((21, 2)), None, None, 1.0)
    with pytest.raises(ValueError, match="rows of length"):
        visible_free_energy(W, b, c, 1.0, np.ones((3, NV + 1)), "spin")
