"""Shared synthetic data for the stats tests."""

import numpy as np
import pytest
from scipy.signal import lfilter


def _ar1(phi: float, shape, seed: int) -> np.ndarray:
    """Stationary AR(1) x_t = phi x_{t-1} + sqrt(1 - phi^2) eps_t along the last axis.

    x_0 ~ N(0, 1) is drawn from the stationary law, so every x_t has mean 0 and
    variance 1 and tau_int = (1 + phi) / (2 (1 - phi)) exactly (tau_int = 1/2 convention).
    """
    eps = np.random.default_rng(seed).standard_normal(shape)
    eps[..., 1:] *= np.sqrt(1.0 - phi**2)
    return lfilter([1.0], [1.0, -phi], eps, axis=-1)


@pytest.fixture
def ar1():
    """The AR(1) generator: ar1(phi, shape, seed) -> array."""
    return _ar1
