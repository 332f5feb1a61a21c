"""spinsweep: Monte Carlo maps of spin-system models of neural networks.

Conventions used throughout: spins σ_i = ±1, k_B = 1, T = 1/β, intensive quantities per spin.
"""

__version__ = "0.1.0"
