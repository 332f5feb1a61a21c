"""Exact SK enumeration: the Walsh–Hadamard overlap distribution against a direct double sum, and the
Gaussian identity [<e>] = -(beta/2)(1 - [<q^2>]) on the disorder average."""

import itertools

import numpy as np
import pytest

from pipeline.models.sk import draw_disorder
from pipeline.theory.sk_exact import sk_exact, states


def brute(J, T):
    """Every pair of states, directly."""
    N = J.shape[0]
    S = np.array(list(itertools.product([1, -1], repeat=N)), float)
    E = -0.5 * np.einsum("xi,ij,xj->x", S, J, S)
    p = np.exp(-E / T)
    p /= p.sum()
    Q = S @ S.T / N
    return {"energy": p @ E / N, "q2": p @ Q**2 @ p, "q4": p @ Q**4 @ p, "q_abs": p @ np.abs(Q) @ p,
            "lnZ": np.log(np.exp(-E / T).sum())}


@pytest.mark.parametrize("N", [3, 5, 6])
def test_enumeration_matches_a_direct_double_sum(N):
    J = draw_disorder({"N": N}, np.random.default_rng(N))[0]
    for T in (0.4, 1.0, 2.5):
        got, want = sk_exact(J, T)[0], brute(J, T)
        for k in want:
            assert got[k] == pytest.approx(want[k], rel=1e-11, abs=1e-13), (N, T, k)
        assert got["P_q"].sum() == pytest.approx(1.0)
        assert np.allclose(got["P_q"], got["P_q"][::-1])  # no field: P(q) = P(-q)


def test_states_are_all_configurations_once():
    S = states(4)
    assert S.shape == (16, 4) and len({tuple(r) for r in S}) == 16 and set(np.unique(S)) == {-1, 1}


def test_gaussian_identity_holds_for_the_disorder_average():
    """[<e>] = -(beta/2)(1 - [<q^2>]) (q^2 with its i = j terms) over 3000 Gaussian samples at N = 8, within 4
    standard errors of the mean of the per-sample difference; per sample it does not hold (checked: the
    per-sample differences spread by far more than their mean)."""
    gen = np.random.default_rng(11)
    for T in (0.5, 1.0, 2.0):
        d = []
        for _ in range(3000):
            r = sk_exact(draw_disorder({"N": 8}, gen)[0], T)[0]
            d.append(r["energy"] + 0.5 / T * (1 - r["q2"]))
        d = np.array(d)
        sem = d.std(ddof=1) / np.sqrt(d.size)
        assert abs(d.mean()) < 4 * sem, (T, d.mean(), sem)
        assert d.std() > 20 * sem


def test_refuses_bad_couplings():
    with pytest.raises(ValueError, match="symmetric"):
        sk_exact(np.triu(np.ones((4, 4)), 1), 1.0)
    with pytest.raises(ValueError, match="N <= 20"):
        sk_exact(np.zeros((21, 21)), 1.0)
