"""xoshiro256** random stream for numba kernels (Blackman & Vigna 2018), seeded by splitmix64.

The stream is a ``uint64[4]`` state array passed explicitly into every kernel; the functions here are
``@njit(inline="always")`` so a flip loop pays a handful of integer operations per draw, as the C
references in ``shared/perf-reference`` do (a ``numpy.random.Generator`` called per flip costs ~2.5-3x).

Draws are bit-for-bit those of the C references:

- ``uniform``: ``(next >> 11) * 2**-53`` in [0, 1);
- ``index(n)``: ``((next >> 32) * n) >> 32`` in [0, n) (Lemire, no rejection; n < 2**32);
- ``sign``: +1 if the top bit of ``next`` is set, else -1;
- ``gauss``: ``sqrt(-2 ln(1 - u1)) cos(2π u2)`` (one normal per two uniforms).

The same draws exist in a register form for tight loops: ``load(s)`` copies the state into a tuple of
four ``uint64`` words, ``uniform_r(st)`` / ``index_r(st, n)`` return ``(draw, st)``, and ``store(s, st)``
writes the state back. A loop that keeps its state in a local tuple lets LLVM hold it in registers: with
the array form every draw reloads and stores the four words, because the compiler cannot prove that the
loop's other stores (spins, overlaps) do not alias the state. That is worth ~9 % on Curie-Weiss.

Notes
-----
Every shift amount and multiplier is a ``np.uint64`` constant: mixing ``uint64`` with a Python int
promotes to float64 in numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_U5 = np.uint64(5)
_U7 = np.uint64(7)
_U9 = np.uint64(9)
_U11 = np.uint64(11)
_U17 = np.uint64(17)
_U27 = np.uint64(27)
_U30 = np.uint64(30)
_U31 = np.uint64(31)
_U32 = np.uint64(32)
_U45 = np.uint64(45)
_U57 = np.uint64(57)
_U19 = np.uint64(19)
_U63 = np.uint64(63)
_TWO_M53 = 1.0 / 9007199254740992.0


@njit(inline="always")
def _rotl(x, k, k_comp):
    return (x << k) | (x >> k_comp)


@njit(inline="always")
def next_u64(s):
    """Advance the state ``s`` (uint64[4]) in place and return the next 64-bit output."""
    result = _rotl(s[1] * _U5, _U7, _U57) * _U9
    t = s[1] << _U17
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], _U45, _U19)
    return result


@njit(inline="always")
def uniform(s):
    """Uniform double in [0, 1) with 53 random bits."""
    return np.float64(next_u64(s) >> _U11) * _TWO_M53


@njit(inline="always")
def index(s, n):
    """Integer in [0, n) from the high 32 bits (no rejection; bias < n / 2**32)."""
    return np.int64(((next_u64(s) >> _U32) * np.uint64(n)) >> _U32)


@njit(inline="always")
def sign(s):
    """+1 or -1 from the top bit."""
    return 1 if (next_u64(s) >> _U63) else -1


@njit(inline="always")
def gauss(s):
    """Standard normal by Box-Muller, one per two uniforms (the sine partner is discarded)."""
    u1 = uniform(s)
    u2 = uniform(s)
    return np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(6.283185307179586 * u2)


@njit(inline="always")
def load(s):
    """The state array ``s`` as a tuple of four words, for the register form of the draws."""
    return (s[0], s[1], s[2], s[3])


@njit(inline="always")
def store(s, st):
    """Write the tuple state ``st`` back into the state array ``s``."""
    s[0] = st[0]
    s[1] = st[1]
    s[2] = st[2]
    s[3] = st[3]


@njit(inline="always")
def next_r(st):
    """:func:`next_u64` on a tuple state: returns (output, new state)."""
    s0, s1, s2, s3 = st
    result = _rotl(s1 * _U5, _U7, _U57) * _U9
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, _U45, _U19)
    return result, (s0, s1, s2, s3)


@njit(inline="always")
def uniform_r(st):
    """:func:`uniform` on a tuple state: returns (u, new state)."""
    r, st = next_r(st)
    return np.float64(r >> _U11) * _TWO_M53, st


@njit(inline="always")
def index_r(st, n):
    """:func:`index` on a tuple state: returns (i, new state), i an unsigned integer (no wraparound check
    when it indexes an array)."""
    r, st = next_r(st)
    return ((r >> _U32) * np.uint64(n)) >> _U32, st


@njit(cache=True)
def seed_state(seed):
    """xoshiro256** state from a 64-bit seed by splitmix64, as the C references do."""
    s = np.empty(4, dtype=np.uint64)
    x = np.uint64(seed)
    for i in range(4):
        x += _GOLDEN
        z = x
        z = (z ^ (z >> _U30)) * _MIX1
        z = (z ^ (z >> _U27)) * _MIX2
        s[i] = z ^ (z >> _U31)
    return s


@njit(cache=True)
def random_signs(s, n):
    """``n`` spins ±1 (int8) drawn with :func:`sign`, in order."""
    out = np.empty(n, dtype=np.int8)
    for i in range(n):
        out[i] = sign(s)
    return out


def state_from_words(words) -> np.ndarray:
    """A xoshiro state from four 64-bit words (e.g. ``SeedSequence.generate_state(4, np.uint64)``).

    The all-zero state is the generator's one fixed point and is refused.
    """
    s = np.asarray(words, dtype=np.uint64).copy()
    if s.shape != (4,):
        raise ValueError(f"xoshiro256** state needs 4 uint64 words, got shape {s.shape}")
    if not s.any():
        raise ValueError("xoshiro256** state must not be all zero")
    return s
