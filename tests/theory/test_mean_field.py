"""Mean-field Curie-Weiss solver."""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from pipeline.theory.mean_field import U4_CRITICAL, curie_weiss_m, curie_weiss_mean_field


def test_root_at_half():
    ref = brentq(lambda m: m - math.tanh(2 * m), 0.5, 1.0, xtol=1e-15)
    assert curie_weiss_m(0.5) == pytest.approx(ref, abs=1e-13)
    assert curie_weiss_m(0.5) == pytest.approx(0.9575, abs=1e-4)


@pytest.mark.parametrize("T", [1e-3, 0.05, 0.2, 0.5, 0.9, 0.99, 0.9999, 1 - 1e-9])
def test_self_consistent(T):
    m = curie_weiss_m(T)
    assert m == pytest.approx(math.tanh(m / T), abs=1e-13)
    assert m > 0


def test_limits_and_vectorisation():
    T = np.array([0.0, 0.01, 1.0, 1.5, 10.0])
    m = curie_weiss_m(T)
    assert m.shape == T.shape
    assert m[0] == 1.0 and m[1] == pytest.approx(1.0, abs=1e-15)
    assert np.all(m[2:] == 0.0)


@pytest.mark.parametrize("eps", [1e-2, 1e-4, 1e-8])
def test_critical_behaviour(eps):
    m = curie_weiss_m(1 - eps)
    assert m == pytest.approx(math.sqrt(3 * eps), rel=2 * eps + 1e-6)


def test_coupling_rescales_temperature():
    assert curie_weiss_m(1.0, J=2.0) == pytest.approx(curie_weiss_m(0.5))


def test_mean_field_dict():
    out = curie_weiss_mean_field(0.5)
    m = out["m"]
    assert out["energy"] == pytest.approx(-m * m / 2)
    assert out["chi"] == pytest.approx(2 * (1 - m * m) / (1 - 2 * (1 - m * m)))
    assert out["binder"] == pytest.approx(2 / 3)
    assert out["free_energy"] == pytest.approx(m * m / 2 - 0.5 * math.log(2 * math.cosh(2 * m)))
    # c = de/dT by finite differences
    h = 1e-5
    de = (curie_weiss_mean_field(0.5 + h)["energy"] - curie_weiss_mean_field(0.5 - h)["energy"]) / (2 * h)
    assert out["heat_capacity"] == pytest.approx(de, rel=1e-6)
    para = curie_weiss_mean_field(2.0)
    assert para["chi"] == pytest.approx(1.0) and para["binder"] == 0.0
    assert para["free_energy"] == pytest.approx(-2 * math.log(2))
    assert curie_weiss_mean_field(1.0)["binder"] == pytest.approx(U4_CRITICAL)
    assert curie_weiss_mean_field(1 - 1e-7)["heat_capacity"] == pytest.approx(1.5, rel=1e-5)
    assert curie_weiss_mean_field(0.0)["free_energy"] == -0.5


def test_bad_input():
    with pytest.raises(ValueError, match="expected finite T >= 0"):
        curie_weiss_m(-0.1)
    with pytest.raises(ValueError, match="expected J > 0"):
        curie_weiss_m(0.5, J=0.0)
