"""Random streams: the xoshiro256** generator inlined into numba kernels, and the coordinate-seeded streams.

The lowest layer with ``stats`` and ``theory``: models draw their disorder and initial states from these
streams, samplers advance them. See :mod:`pipeline.rng.xoshiro` and :mod:`pipeline.rng.streams`.
"""
