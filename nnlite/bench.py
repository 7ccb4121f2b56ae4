"""Time any activation, built-in or your own, against the memory-bandwidth floor.

The floor is `np.add(x, 1, out=y)` on the same array: one read and one write
of every element, the least an elementwise forward pass can cost. A forward
at 2x the floor does about two passes over memory; exp-based activations sit
higher because exp itself costs more than the memory traffic.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import activations

__all__ = ["bench", "BenchResult", "median_time"]


def median_time(func: Callable[[], object], repeats: int = 7) -> float:
    """Median wall time of `func()` in seconds over `repeats` calls, after one warm-up call."""
    func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


@dataclass
class BenchResult:
    """Median times in seconds; ratios are relative to the bandwidth floor."""

    activation: str
    size: int
    dtype: str
    floor: float
    forward: float
    forward_backward: float

    @property
    def forward_ratio(self) -> float:
        """Forward time over the floor's: 1 would be as fast as one pass over memory."""
        return self.forward / self.floor

    @property
    def forward_backward_ratio(self) -> float:
        """Forward plus backward time over the floor's."""
        return self.forward_backward / self.floor

    def __str__(self) -> str:
        return (
            f"{self.activation} on {self.size:,} {self.dtype}: "
            f"floor {self.floor * 1e3:.2f} ms, forward {self.forward * 1e3:.2f} ms "
            f"({self.forward_ratio:.1f}x), forward+backward {self.forward_backward * 1e3:.2f} ms "
            f"({self.forward_backward_ratio:.1f}x)"
        )


def bench(
    activation: str | activations.Activation,
    size: int = 1_000_000,
    dtype: type | str = np.float32,
    repeats: int = 7,
    seed: int = 0,
    reuse_buffers: bool = True,
) -> BenchResult:
    """Time `activation` (a registry name or an instance) on `size` standard-normal inputs.

    Returns the median forward and forward+backward times next to the
    bandwidth floor on the same array. With `reuse_buffers` (the default) the
    activation keeps its result arrays between calls, as in `Sequential.fit`.
    """
    act = activations.get(activation)
    size = int(size)
    if size < 1:
        raise ValueError(f"bench size must be >= 1, got {size}")
    if int(repeats) < 1:
        raise ValueError(f"bench repeats must be >= 1, got {repeats}")
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"bench dtype must be a float type, got {dtype}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(size).astype(dtype)
    if act.name == "maxout":
        x = x[: size - size % getattr(act, "pieces", 1)]
    out = np.empty_like(x)
    floor = median_time(lambda: np.add(x, 1, out=out), repeats)
    was_reusing, act.reuse_buffers = act.reuse_buffers, reuse_buffers
    try:
        forward = median_time(lambda: act.forward(x), repeats)
        dvalues = np.ones_like(act.forward(x))

        def forward_backward() -> None:
            act.forward(x)
            act.backward(dvalues)

        forward_backward_time = median_time(forward_backward, repeats)
    finally:
        act.reuse_buffers = was_reusing
        act._buffers.clear()
    return BenchResult(
        activation=act.name, size=int(x.size), dtype=str(dtype), floor=floor,
        forward=forward, forward_backward=forward_backward_time,
    )
