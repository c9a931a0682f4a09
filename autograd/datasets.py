"""Small data sets made in pure Python, seeded so they are the same everywhere."""

from __future__ import annotations

import math
import random

__all__ = ["make_moons"]


def make_moons(
    samples: int = 100, noise: float = 0.1, seed: int = 0
) -> tuple[list[tuple[float, float]], list[int]]:
    """Two interleaving half circles, labelled -1 and +1.

    The upper moon is centred at (0, 0), the lower one at (1, 0.5); each
    point is moved by Gaussian noise of standard deviation ``noise``.

    >>> X, y = make_moons(100, noise=0.1, seed=1)
    >>> len(X), y.count(-1), y.count(1)
    (100, 50, 50)
    """
    if samples < 2:
        raise ValueError(f"make_moons needs at least 2 samples, got {samples}")
    if noise < 0:
        raise ValueError(f"noise must not be negative, got {noise}")
    rng = random.Random(seed)
    upper = samples // 2
    lower = samples - upper
    points: list[tuple[float, float]] = []
    labels: list[int] = []
    for i in range(upper):
        angle = math.pi * i / (upper - 1) if upper > 1 else 0.0
        points.append((math.cos(angle), math.sin(angle)))
        labels.append(-1)
    for i in range(lower):
        angle = math.pi * i / (lower - 1) if lower > 1 else 0.0
        points.append((1.0 - math.cos(angle), 0.5 - math.sin(angle)))
        labels.append(1)
    noisy = [(x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)) for x, y in points]
    return noisy, labels
