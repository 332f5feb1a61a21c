"""Shared figure style: Agg backend, readable sizes, one colour per system size."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

plt.rcParams.update({
    "figure.dpi": 110, "savefig.dpi": 150, "font.size": 11, "axes.labelsize": 12, "legend.fontsize": 9,
    "axes.grid": True, "grid.alpha": 0.3, "errorbar.capsize": 2, "lines.markersize": 4,
})


def size_colors(sizes) -> dict:
    """A colour per N from a sequential map, small N light, large N dark."""
    cmap = plt.get_cmap("viridis")
    n = len(sizes)
    return {N: cmap(0.85 * (1 - k / max(n - 1, 1))) for k, N in enumerate(sizes)}


def save(fig, path) -> str:
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return str(path)


__all__ = ["np", "plt", "save", "size_colors"]
