"""Toy data made on the spot and loaders for real data the user already has.

Every generator takes a `seed` (or is deterministic) and draws from its own
numpy Generator. Features come as float64 arrays of shape (n, d), class
labels as integer arrays of shape (n,).
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from typing import Any

import numpy as np

__all__ = ["spiral", "sine", "xor", "load_digits", "load_mnist", "read_idx",
           "tishby_bits", "load_tishby_mat", "read_mat"]


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


# ------------------------------------------------------- Shwartz-Ziv & Tishby's 12-bit task

_GOLDEN = (1 + 5**0.5) / 2
# Positive patterns per bit count k (all k >= 8, none k <= 4): (E, A) at most this, compared as tuples.
_TISHBY_THRESHOLDS = {5: (3, 0), 6: (7, 1), 7: (11, 99)}


def _icosahedron_vertices() -> np.ndarray:
    """The 12 vertices (0, +-1, +-g), (+-1, +-g, 0), (+-g, 0, +-1) of a regular icosahedron, g the golden ratio."""
    vertices = []
    for a in (1.0, -1.0):
        for b in (1.0, -1.0):
            vertices += [(0.0, a, b * _GOLDEN), (a, b * _GOLDEN, 0.0), (b * _GOLDEN, 0.0, a)]
    return np.array(vertices)


def _icosahedron_graph() -> tuple[np.ndarray, np.ndarray]:
    """(adjacent, antipodal) as 12 x 12 integer matrices: edges of length 2 and opposite vertices."""
    v = _icosahedron_vertices()
    dist = np.linalg.norm(v[:, None] - v[None], axis=2)
    adjacent = np.isclose(dist, 2.0).astype(np.int64)
    antipodal = np.isclose(dist, 2 * np.sqrt(1 + _GOLDEN**2)).astype(np.int64)
    return adjacent, antipodal


def tishby_bits(seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Every 12-bit pattern once with a binary label of the construction of Shwartz-Ziv & Tishby (2017).

    Returns X (4096, 12) float64 of 0/1 (row i is i in binary, with the bits
    assigned to the icosahedron's vertices) and y (4096,) int64 with 2118 ones.
    The original file (var_u.mat) may not be redistributed; this rule has its
    construction: the bits sit on the 12 vertices of an icosahedron, and the
    label depends only on numbers that the icosahedron's 120 symmetries keep,
    so it is invariant under them. For a pattern with k bits set, E counts the
    icosahedron edges with both ends set and A the opposite vertex pairs with
    both set (E then A measure how clustered the set bits are). Label 1 for

        k >= 8;  k = 7 and E <= 11;  k = 6 and (E, A) <= (7, 1);  k = 5 and (E, A) <= (3, 0)

    ((E, A) compared as pairs), 0 otherwise (all k <= 4): shares by k of 7.6%,
    57.6% and 92.4% for k = 5, 6, 7 (the original's are about 8%, 58%, 92%)
    and 0% / 100% outside. `seed` draws which bit sits on which vertex (a
    random numbering of the vertices; the label counts do not depend on it);
    seed=None puts bit i on vertex i of the list made by: for a in (1, -1),
    for b in (1, -1): (0, a, b g), (a, b g, 0), (b g, 0, a); g = (1 + sqrt 5) / 2.
    """
    vertex_of_bit = np.arange(12) if seed is None else np.random.default_rng(seed).permutation(12)
    X = (np.arange(4096)[:, None] >> np.arange(12)) & 1
    adjacent, antipodal = _icosahedron_graph()
    adjacent = adjacent[np.ix_(vertex_of_bit, vertex_of_bit)]
    antipodal = antipodal[np.ix_(vertex_of_bit, vertex_of_bit)]
    k = X.sum(axis=1)
    edges = np.einsum("ni,ij,nj->n", X, adjacent, X) // 2
    pairs = np.einsum("ni,ij,nj->n", X, antipodal, X) // 2
    y = k >= 8
    for bits, (max_edges, max_pairs) in _TISHBY_THRESHOLDS.items():
        y |= (k == bits) & ((edges < max_edges) | ((edges == max_edges) & (pairs <= max_pairs)))
    return X.astype(np.float64), y.astype(np.int64)


# MAT-file v5 (MathWorks, "MAT-File Format", 2023): data element types and array classes
_MI_TYPES = {
    1: np.int8, 2: np.uint8, 3: np.int16, 4: np.uint16, 5: np.int32, 6: np.uint32,
    7: np.float32, 9: np.float64, 12: np.int64, 13: np.uint64,
}
_MI_MATRIX, _MI_COMPRESSED = 14, 15
_MX_NUMERIC = {6: np.float64, 7: np.float32, 8: np.int8, 9: np.uint8, 10: np.int16, 11: np.uint16,
               12: np.int32, 13: np.uint32, 14: np.int64, 15: np.uint64}


def _mat_elements(raw: bytes, endian: str, path: str):
    """Yield (type, payload bytes) for each data element of a MAT v5 byte string."""
    pos = 0
    while pos + 8 <= len(raw):
        mi_type, size = np.frombuffer(raw, endian + "u4", 2, pos)
        mi_type, size = int(mi_type), int(size)
        if mi_type >> 16:  # small element: type and size in the first 4 bytes, data in the next 4
            mi_type, size = mi_type & 0xFFFF, mi_type >> 16
            yield mi_type, raw[pos + 4:pos + 4 + size]
            pos += 8
            continue
        if pos + 8 + size > len(raw):
            raise ValueError(f"{path!r}: a MAT data element is cut short")
        yield mi_type, raw[pos + 8:pos + 8 + size]
        # compressed elements are not padded; every other one is padded to 8 bytes
        pos += 8 + (size if mi_type == _MI_COMPRESSED else -(-size // 8) * 8)


def _mat_numeric(payload: bytes, endian: str, path: str) -> tuple[str, np.ndarray] | None:
    """(name, array) of a miMATRIX element holding a real numeric or logical array; None for other classes."""
    parts = list(_mat_elements(payload, endian, path))
    if len(parts) < 4:
        raise ValueError(f"{path!r}: a MAT array element has {len(parts)} parts, expected flags, dims, name, data")
    flags = np.frombuffer(parts[0][1], endian + "u4")
    mx_class, is_complex = int(flags[0] & 0xFF), bool(flags[0] & 0x800)
    if mx_class not in _MX_NUMERIC or is_complex:
        return None
    dims = tuple(int(d) for d in np.frombuffer(parts[1][1], endian + "i4"))
    name = parts[2][1].decode("ascii")
    data_type, data = parts[3]
    if data_type not in _MI_TYPES:
        raise ValueError(f"{path!r}: variable {name!r} stores its data as MAT type {data_type}, which is not numeric")
    values = np.frombuffer(data, np.dtype(_MI_TYPES[data_type]).newbyteorder(endian))
    if values.size != int(np.prod(dims)):
        raise ValueError(f"{path!r}: variable {name!r} has dimensions {dims} but {values.size} values")
    # MATLAB stores column-major and may store doubles in a smaller integer type
    return name, values.astype(_MX_NUMERIC[mx_class]).reshape(dims, order="F")


def read_mat(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The real numeric and logical variables of a MAT-file v5 (MATLAB's -v6 and -v7 format), by name.

    A small reader in numpy and zlib (no scipy): it handles compressed and
    uncompressed variables in either byte order and skips cells, structs,
    strings and complex arrays. MAT v7.3 files are HDF5; save with -v7 instead.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 128 or raw[126:128] not in (b"IM", b"MI"):
        kind = "an HDF5 (MATLAB -v7.3) file" if raw[:8] == b"\x89HDF\r\n\x1a\n" else "not a MAT-file v5"
        raise ValueError(f"{path!r} is {kind}: read_mat reads MAT v5 files (MATLAB save -v7 or -v6)")
    endian = "<" if raw[126:128] == b"IM" else ">"
    variables = {}
    for mi_type, payload in _mat_elements(raw[128:], endian, path):
        if mi_type == _MI_COMPRESSED:
            try:
                payload = zlib.decompress(payload)
            except zlib.error as exc:
                raise ValueError(f"{path!r}: a compressed MAT variable could not be inflated: {exc}") from None
            mi_type, payload = next(_mat_elements(payload, endian, path))
        if mi_type == _MI_MATRIX:
            found = _mat_numeric(payload, endian, path)
            if found is not None:
                variables[found[0]] = found[1]
    return variables


def load_tishby_mat(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Shwartz-Ziv & Tishby's original data set from the `var_u.mat` a user has.

    The file holds `F` (4096 x 12, one 12-bit pattern per row) and `y` (4096
    labels, 0 or 1, as a row or a column). Returns X (4096, 12) float64 and
    y (4096,) int64, as `tishby_bits` does. Read with `read_mat` (numpy and
    zlib only).
    """
    variables = read_mat(path)
    missing = [name for name in ("F", "y") if name not in variables]
    if missing:
        raise ValueError(f"{os.fspath(path)!r} has no numeric variable {' or '.join(missing)}; "
                         f"expected F (patterns x bits) and y (labels); found {sorted(variables)}")
    X, y = variables["F"].astype(np.float64), variables["y"].reshape(-1)
    if X.ndim != 2 or len(y) != len(X):
        raise ValueError(f"{os.fspath(path)!r}: F must be (n, bits) with one label in y per row; "
                         f"got F {X.shape} and y with {len(y)} values")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"{os.fspath(path)!r}: y must hold labels 0 or 1")
    return X, y.astype(np.int64)
