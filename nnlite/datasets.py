"""Toy data made on the spot and loaders for real data the user already has.

Every generator takes a `seed` (or is deterministic) and draws from its own
numpy Generator. Features come as float64 arrays of shape (n, d), class
labels as integer arrays of shape (n,).
"""

from __future__ import annotations

import gzip
import math
import os
from typing import Any

import numpy as np

__all__ = ["spiral", "sine", "xor", "load_digits", "load_mnist", "read_idx"]


def _count(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _noise(value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"noise must be a number (the standard deviation of the added noise), got {value!r}")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"noise must be a finite number >= 0 (a standard deviation), got {value!r}")
    return float(value)


def spiral(
    n: int = 100, classes: int = 3, seed: int | None = None, noise: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the cs231n / nnfs data set).

    Point i of class c: radius r = i / (n - 1), angle t = 4 (c + r) + noise * N(0, 1),
    x = (r sin(2.5 t), r cos(2.5 t)). Returns X (n * classes, 2) and y (n * classes,).
    """
    n, classes, noise = _count("n", n), _count("classes", classes), _noise(noise)
    rng = np.random.default_rng(seed)
    r = np.linspace(0.0, 1.0, n)
    X = np.empty((n * classes, 2))
    y = np.repeat(np.arange(classes), n)
    for c in range(classes):
        t = np.linspace(4.0 * c, 4.0 * (c + 1), n) + noise * rng.standard_normal(n)
        X[c * n:(c + 1) * n] = np.column_stack([r * np.sin(2.5 * t), r * np.cos(2.5 * t)])
    return X, y


def sine(n: int = 1000, seed: int | None = None, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Regression data: x ~ U(0, 1) sorted, y = sin(2 pi x) + noise * N(0, 1); shapes (n, 1) and (n, 1)."""
    n, noise = _count("n", n), _noise(noise)
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 1.0, n))[:, None]
    return x, np.sin(2 * np.pi * x) + noise * rng.standard_normal((n, 1))


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points: X (4, 2) in {0, 1}^2, y = x1 xor x2 as class labels (4,)."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, np.array([0, 1, 1, 0])


def load_digits(scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits: X (1797, 64) float64, y (1797,) in 0..9.

    Pixels are 0..16; `scale=True` divides them by 16 to lie in [0, 1].
    Needs scikit-learn: `pip install -e ".[datasets]"` from the nnlite checkout (the PyPI
    project named nnlite is a different one); nothing is downloaded.
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError:
        raise ImportError(
            "nnlite.datasets.load_digits needs scikit-learn, which ships the digits: from the nnlite checkout, "
            'pip install -e ".[datasets]" (or pip install scikit-learn)'
        ) from None
    data = _sk_load_digits()
    X = data.data.astype(np.float64)
    return (X / 16.0 if scale else X), data.target.astype(np.int64)


_IDX_TYPES = {
    0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (raw, or gzip-compressed when the name ends in .gz).

    Format (LeCun's MNIST page): two zero bytes, a type byte (0x08 = uint8,
    ...), a byte with the number of dimensions d, d big-endian uint32 sizes,
    then the data in C order.
    """
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"{path!r} could not be read as an IDX file: {exc}") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path!r} is not an IDX file: it does not start with 0x00 0x00 and a known type byte")
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path!r}: IDX header is cut short")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = math.prod(shape) * dtype.itemsize  # Python ints: a crafted header cannot wrap around
    if len(raw) - header != expected:
        raise ValueError(
            f"{path!r}: IDX header says shape {shape} ({expected} bytes of data) but the file holds "
            f"{len(raw) - header} bytes after the header"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find_idx(directory: str, prefix: str, kind: str) -> str:
    # LeCun's names, and the dotted variant some mirrors use (train-images.idx3-ubyte).
    names = [f"{prefix}-{kind}-ubyte", f"{prefix}.{kind}-ubyte"]
    for name in names:
        for candidate in (name, name + ".gz"):
            path = os.path.join(directory, candidate)
            if os.path.exists(path):
                return path
    raise FileNotFoundError(
        f"no {names[0]} (or .gz) in {directory!r}: load_mnist reads the standard IDX files you already "
        f"have; it downloads nothing"
    )


def load_mnist(
    directory: str | os.PathLike, kind: str = "train", *, flatten: bool = True, scale: bool = True,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST (or Fashion-MNIST) from the standard IDX files in `directory`.

    `kind` is "train" (train-images-idx3-ubyte, train-labels-idx1-ubyte) or
    "t10k" (the test set); each file may be gzip-compressed (.gz). Returns
    X (n, rows * cols) of `dtype` (pixels / 255 with `scale=True`; (n, rows, cols)
    with `flatten=False`) and y (n,) int64.
    """
    if kind not in ("train", "t10k"):
        raise ValueError(f"load_mnist kind must be 'train' or 't10k', got {kind!r}")
    dtype = np.dtype(dtype)
    if scale and dtype.kind != "f":
        raise TypeError(
            f"load_mnist dtype must be a float type to hold pixels / 255, got {dtype}; "
            "for raw integer pixels pass scale=False"
        )
    directory = os.fspath(directory)
    images = read_idx(_find_idx(directory, f"{kind}-images", "idx3"))
    labels = read_idx(_find_idx(directory, f"{kind}-labels", "idx1"))
    if images.ndim != 3 or labels.ndim != 1:
        raise ValueError(
            f"load_mnist: expected images (n, rows, cols) and labels (n,); got {images.shape} and {labels.shape}"
        )
    if len(images) != len(labels):
        raise ValueError(f"load_mnist: {len(images)} images but {len(labels)} labels in {directory!r}")
    X = images.astype(dtype)
    if scale:
        X /= 255.0
    return (X.reshape(len(X), -1) if flatten else X), labels.astype(np.int64)
