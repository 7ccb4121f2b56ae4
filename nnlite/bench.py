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
from ._progress import Progress

__all__ = ["bench", "BenchResult", "median_time"]


def median_time(func: Callable[[], object], repeats: int = 7, progress: Progress | None = None) -> float:
    """Median wall time of `func()` in seconds over `repeats` calls, after one warm-up call.

    Each call, the warm-up included, counts one step on `progress` when given.
    """
    func()
    times = []
    if progress is not None:
        progress.update()
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
        if progress is not None:
            progress.update()
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


def _count(name: str, value: object) -> int:
    # int(1.5) would quietly time 1 element; int("10") would accept text
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"bench {name} must be an integer >= 1, got {value!r}")
    return int(value)


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
    size, repeats = _count("size", size), _count("repeats", repeats)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"bench dtype must be a float type such as float32, got {dtype!r}") from None
    if dtype.kind != "f":
        raise TypeError(f"bench dtype must be a float type, got {dtype}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(size).astype(dtype)
    if act.name == "maxout":
        pieces = getattr(act, "pieces", 1)
        if size < pieces:  # whole groups only: fewer elements would time an empty array
            raise ValueError(f"bench size must be at least {pieces} for maxout, which takes groups of {pieces}; "
                             f"got {size}")
        x = x[: size - size % pieces]
    out = np.empty_like(x)
    # three timings of repeats + 1 calls each: large sizes take a while, so a terminal shows them
    bar = Progress(3 * (int(repeats) + 1), f"bench {act.name}", unit="timed calls")
    floor = median_time(lambda: np.add(x, 1, out=out), repeats, bar)
    was_reusing, act.reuse_buffers = act.reuse_buffers, reuse_buffers
    try:
        forward = median_time(lambda: act.forward(x), repeats, bar)
        dvalues = np.ones_like(act.forward(x))

        def forward_backward() -> None:
            act.forward(x)
            act.backward(dvalues)

        forward_backward_time = median_time(forward_backward, repeats, bar)
    finally:
        bar.close()
        act.reuse_buffers = was_reusing
        act._buffers.clear()
    return BenchResult(
        activation=act.name, size=int(x.size), dtype=str(dtype), floor=floor,
        forward=forward, forward_backward=forward_backward_time,
    )
