"""Synthetic finite-size-scaling data with planted T_c and exponents (mean-field scaling in N)."""

import numpy as np
from scipy.special import gammaln

#: U4 at T_c in the N -> infinity limit of Curie-Weiss, 1 - Gamma(1/4)^4 / (24 pi^2).
U4_STAR = 0.2705
X0 = np.arctanh(1 - 3 * U4_STAR)


def g(x):
    """Monotone decreasing Binder scaling function: 2/3 deep in the ordered phase, 0 above, g(0) = 0.2705."""
    return (1 - np.tanh(x + X0)) / 3


def h(x):
    """Scaling function of N^(beta/nu_bar) <|m|>, positive and decreasing."""
    return 0.6 + 0.4 * (1 - np.tanh(x))


def k(x):
    """Scaling function of N^(-gamma/nu_bar) chi, positive, peaked below T_c."""
    return 0.3 + np.exp(-0.5 * (x + 0.5) ** 2)


def planted(N, T, *, Tc=1.0, nu_bar=2.0, b_nu=0.25, g_nu=0.5, corr=0.0, w=0.5):
    """Noiseless (U4, <|m|>, chi), shape (nN, nT), with an optional correction corr * N^-w to U4."""
    N = np.asarray(N, float)[:, None]
    T = np.asarray(T, float)[None]
    x = (T - Tc) * N ** (1 / nu_bar)
    U = g(x) + corr * N ** (-w)
    return U, N ** (-b_nu) * h(x), N**g_nu * k(x)


def curie_weiss_exact(N, T):
    """Exact finite-N Curie-Weiss U4, <|m|>, N<m^2>/T from the sum over M with binomial degeneracy.

    H = -(1/N) sum_{i<j} s_i s_j = -(M^2 - N) / (2N); the constant drops out of every average.
    """
    U, m, chi = (np.empty((len(N), len(T))) for _ in range(3))
    for a, n in enumerate(N):
        M = np.arange(-n, n + 1, 2)
        kk = (n + M) // 2
        lg = gammaln(n + 1) - gammaln(kk + 1) - gammaln(n - kk + 1)
        for b, t in enumerate(T):
            lw = lg + M.astype(float) ** 2 / (2 * n * t)
            p = np.exp(lw - lw.max())
            p /= p.sum()
            mm = M / n
            m2, m4 = (p * mm**2).sum(), (p * mm**4).sum()
            U[a, b] = 1 - m4 / (3 * m2**2)
            m[a, b] = (p * np.abs(mm)).sum()
            chi[a, b] = n * m2 / t
    return U, m, chi


def ferromagnet_dataset(N=(32, 64, 128, 256), T=None, seeds=3, bins=16, noise=0.01, rng=5):
    """Catalog-layout ferromagnet sweep (dims N, T, seed, bin; ``m_abs_bins``, ``m2_bins``, ``m4_bins``):
    exact finite-N Curie-Weiss moments with relative Gaussian noise per seed x bin block."""
    import xarray as xr

    T = np.round(np.linspace(0.85, 1.15, 13), 6) if T is None else np.asarray(T, float)
    N = [int(n) for n in N]
    U, m, chi = curie_weiss_exact(N, T)
    m2 = chi * T[None] / np.array(N, float)[:, None]
    m4 = (1 - U) * 3 * m2**2
    rng = np.random.default_rng(rng)
    dims = ("N", "T", "seed", "bin")
    data = {f"{k}_bins": (dims, x[:, :, None, None] * (1 + noise * rng.standard_normal(x.shape + (seeds, bins))))
            for k, x in (("m_abs", m), ("m2", m2), ("m4", m4))}
    return xr.Dataset(data, coords={"N": N, "T": T, "seed": np.arange(seeds), "bin": np.arange(bins)})
