"""Exact perceptron results: the binary disagreement probability against all 2^N inputs, and the
enumerated Ising student against a plain double loop and its T → ∞ and T → 0 limits."""

import itertools

import numpy as np
import pytest

from pipeline.theory.perceptron_exact import binary_disagreement, ising_student_exact, n_examples


def all_inputs(N):
    return np.array(list(itertools.product([1, -1], repeat=N)), dtype=float)


@pytest.mark.parametrize("N", [5, 7, 9, 11])
def test_binary_disagreement_matches_all_inputs(N):
    X, B = all_inputs(N), np.ones(N)
    got = binary_disagreement(N)
    for n_d in range(N + 1):
        w = B.copy()
        w[:n_d] = -1
        assert got[n_d] == pytest.approx(np.mean(np.sign(X @ w) != np.sign(X @ B)), abs=1e-12), n_d


@pytest.mark.parametrize("N", [1, 3, 101, 1001])
def test_binary_disagreement_symmetry(N):
    eps = binary_disagreement(N)
    assert eps.shape == (N + 1,) and eps[0] == 0.0 and eps[N] == 1.0
    assert np.allclose(eps[::-1], 1.0 - eps, rtol=0, atol=1e-15)  # w -> -w
    assert np.allclose(eps[1:-1:2], eps[2::2], rtol=0, atol=1e-14)  # the staircase eps(2j - 1) = eps(2j)
    assert np.all(np.diff(eps[::2]) > 0)


def test_binary_disagreement_approaches_arccos():
    """(B·x, w·x)/√N are sums of N independent terms, jointly Gaussian with correlation R as N → ∞ (central
    limit theorem), where the disagreement probability is arccos(R)/π. The lattice correction is largest at
    n_d = 1, ≈ 0.161/√N (= 0.0036 at N = 2001), and O(1/N) in the bulk (≈ 0.37/N at n_d = N/4)."""
    N = 2001
    eps = binary_disagreement(N)
    d = eps - np.arccos(1 - 2 * np.arange(N + 1) / N) / np.pi
    assert np.abs(d).max() < 0.01
    assert 0.15 < np.sqrt(N) * np.abs(d).max() < 0.17 and abs(d[1]) == np.abs(d).max()
    assert 0.3 < N * abs(d[N // 4]) < 0.45


def test_binary_disagreement_refuses_even_N():
    with pytest.raises(ValueError, match="odd"):
        binary_disagreement(10)


def test_n_examples_rounds_half_up():
    assert [n_examples(a, 10) for a in (0.0, 0.05, 0.14, 0.15, 2.25)] == [0, 1, 1, 2, 23]


def double_loop(B, X, y, T, eps_of_nd):
    """Every student, every example, in plain Python."""
    N = len(B)
    Z = E1 = R1 = G1 = A1 = 0.0
    for w in itertools.product([1, -1], repeat=N):
        E = 0
        for x, lab in zip(X, y, strict=True):
            E += lab * sum(wi * xi for wi, xi in zip(w, x, strict=True)) <= 0
        n_d = sum(1 for wi, bi in zip(w, B, strict=True) if wi != bi)
        R = 1 - 2 * n_d / N
        p = np.exp(-E / T)
        Z, E1, R1 = Z + p, E1 + p * E, R1 + p * R
        G1, A1 = G1 + p * eps_of_nd[n_d], A1 + p * np.arccos(R) / np.pi
    return {"energy": E1 / Z, "train_error": E1 / Z / len(y), "R": R1 / Z, "gen_error": G1 / Z,
            "gen_error_arccos": A1 / Z, "lnZ": np.log(Z)}


@pytest.mark.parametrize("inputs,N,P", [("binary", 5, 7), ("gaussian", 4, 6)])
def test_enumeration_matches_a_double_loop(inputs, N, P):
    gen = np.random.default_rng(N)
    B = gen.choice([-1.0, 1.0], N)
    X = gen.choice([-1.0, 1.0], (P, N)) if inputs == "binary" else gen.standard_normal((P, N))
    y = np.sign(X @ B)
    y[0] *= -1  # one noisy label: E_min = 1 is not the teacher's
    eps = binary_disagreement(N) if inputs == "binary" else np.arccos(1 - 2 * np.arange(N + 1) / N) / np.pi
    temps = [0.3, 1.0, 4.0]
    for T, got in zip(temps, ising_student_exact(B, X, y, temps, inputs), strict=True):
        want = double_loop(B, X, y, T, eps)
        for k in want:
            assert got[k] == pytest.approx(want[k], rel=1e-12, abs=1e-14), (T, k)
        assert got["E_min"] >= 1


def training_set(N, P, seed):
    gen = np.random.default_rng(seed)
    B = gen.choice([-1.0, 1.0], N)
    X = gen.choice([-1.0, 1.0], (P, N))
    return B, X, np.sign(X @ B)


def test_infinite_temperature_is_the_uniform_average():
    N, P = 11, 22
    B, X, y = training_set(N, P, 1)
    r = ising_student_exact(B, X, y, np.inf)
    W = all_inputs(N)
    E = np.count_nonzero((W @ X.T) * y <= 0, axis=1)
    assert r["R"] == pytest.approx(0.0, abs=1e-15)  # Σ_w w = 0
    assert r["train_error"] == pytest.approx(E.mean() / P, rel=1e-13)
    assert r["gen_error"] == pytest.approx(0.5, abs=1e-14)  # ε(N − n_d) = 1 − ε(n_d)
    assert r["lnZ"] == pytest.approx(N * np.log(2), rel=1e-14)


def test_zero_temperature_picks_the_minimum_energy_students():
    N, P = 11, 22
    B, X, y = training_set(N, P, 2)
    W = all_inputs(N)
    E = np.count_nonzero((W @ X.T) * y <= 0, axis=1)
    best = W[E == E.min()]
    r = ising_student_exact(B, X, y, 0.01)  # the next level is e^{-100} down
    assert r["E_min"] == 0 and r["energy"] < 1e-30  # labels from the teacher: it has E = 0
    assert r["R"] == pytest.approx(np.mean(best @ B) / N, rel=1e-12)
    n_d = np.count_nonzero(best != B, axis=1)
    assert r["gen_error"] == pytest.approx(binary_disagreement(N)[n_d].mean(), rel=1e-12)
    assert r["lnZ"] == pytest.approx(np.log(len(best)), rel=1e-12)


def test_scalar_and_sequence_T():
    B, X, y = training_set(7, 10, 3)
    one = ising_student_exact(B, X, y, 1.0)
    assert isinstance(one, dict) and ising_student_exact(B, X, y, [1.0]) == [one]


def test_refuses_bad_input():
    B, X, y = training_set(7, 10, 4)
    with pytest.raises(ValueError, match="odd"):
        ising_student_exact(B[:6], X[:, :6], y, 1.0)
    with pytest.raises(ValueError, match="T > 0"):
        ising_student_exact(B, X, y, [1.0, 0.0])
    with pytest.raises(ValueError, match="inputs"):
        ising_student_exact(B, X, y, 1.0, inputs="uniform")
    with pytest.raises(ValueError, match="±1"):
        ising_student_exact(B, 0.5 * X, y, 1.0)
    with pytest.raises(ValueError, match=r"expected \(P, 7\)"):
        ising_student_exact(B, X.T, y, 1.0)
