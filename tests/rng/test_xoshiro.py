"""The inline xoshiro256** stream: reference values, ranges, and the SplitMix64 seeding of the C references."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from pipeline.rng.xoshiro import (
    gauss,
    index,
    index_r,
    load,
    next_r,
    next_u64,
    seed_state,
    sign,
    state_from_words,
    store,
    uniform,
    uniform_r,
)


def _splitmix_state(seed: int) -> list[int]:
    """SplitMix64 seeding written in plain Python integers (mod 2**64), as in the C references."""
    mask = (1 << 64) - 1
    x, out = seed, []
    for _ in range(4):
        x = (x + 0x9E3779B97F4A7C15) & mask
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out.append(z ^ (z >> 31))
    return out


def _xoshiro_next(s: list[int]) -> int:
    mask = (1 << 64) - 1

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & mask

    result = (rotl((s[1] * 5) & mask, 7) * 9) & mask
    t = (s[1] << 17) & mask
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 45)
    return result


@njit
def _draw(s, n):
    out = np.empty(n, np.uint64)
    for k in range(n):
        out[k] = next_u64(s)
    return out


@njit
def _many(s, n, m):
    u = np.empty(n)
    i = np.empty(n, np.int64)
    g = np.empty(n)
    sg = np.empty(n, np.int64)
    for k in range(n):
        u[k] = uniform(s)
        i[k] = index(s, m)
        g[k] = gauss(s)
        sg[k] = sign(s)
    return u, i, g, sg


@pytest.mark.parametrize("seed", [0, 1, 7, 2**62 + 5])
def test_seeding_and_stream_match_a_plain_python_reference(seed):
    s = seed_state(seed)
    ref = _splitmix_state(seed)
    assert [int(x) for x in s] == ref
    got = _draw(s, 50)
    assert [int(x) for x in got] == [_xoshiro_next(ref) for _ in range(50)]


def test_draws_have_the_right_ranges_and_moments():
    """Uniform mean 1/2 (σ/√n ≈ 0.0009 at n = 1e5: 5σ bound), index in [0, m), gauss N(0, 1), signs ±1."""
    u, i, g, sg = _many(seed_state(3), 100_000, 7)
    assert 0.0 <= u.min() and u.max() < 1.0 and abs(u.mean() - 0.5) < 5 * 0.2887 / np.sqrt(u.size)
    assert set(np.unique(i)) == set(range(7))
    assert abs(g.mean()) < 5 / np.sqrt(g.size) and abs(g.var() - 1) < 5 * np.sqrt(2 / g.size)
    assert set(np.unique(sg)) == {-1, 1} and abs(sg.mean()) < 5 / np.sqrt(sg.size)


def test_state_from_words_refuses_the_zero_state():
    with pytest.raises(ValueError, match="all zero"):
        state_from_words([0, 0, 0, 0])
    with pytest.raises(ValueError, match="4 uint64 words"):
        state_from_words([1, 2, 3])


@njit
def _register_draws(s, n):
    """uniform, index and raw outputs in turn, on the tuple (register) state."""
    st = load(s)
    out = np.empty(3 * n)
    for k in range(n):
        u, st = uniform_r(st)
        i, st = index_r(st, 1000)
        r, st = next_r(st)
        out[3 * k], out[3 * k + 1], out[3 * k + 2] = u, i, r >> np.uint64(40)
    store(s, st)
    return out


@njit
def _array_draws(s, n):
    out = np.empty(3 * n)
    for k in range(n):
        out[3 * k] = uniform(s)
        out[3 * k + 1] = index(s, 1000)
        out[3 * k + 2] = next_u64(s) >> np.uint64(40)
    return out


def test_register_form_draws_the_same_stream_and_leaves_the_same_state():
    a, b = seed_state(11), seed_state(11)
    np.testing.assert_array_equal(_register_draws(a, 200), _array_draws(b, 200))
    np.testing.assert_array_equal(a, b)
