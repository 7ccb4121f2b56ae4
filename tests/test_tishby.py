"""The 12-bit data set of Shwartz-Ziv & Tishby: the generated one and the reader of the original .mat file."""

import itertools
import struct
import zlib

import numpy as np
import pytest

from nnlite import datasets

GOLDEN = (1 + 5**0.5) / 2


def _vertices():
    # the documented order, built here independently of the module
    out = []
    for a in (1, -1):
        for b in (1, -1):
            out += [(0, a, b * GOLDEN), (a, b * GOLDEN, 0), (b * GOLDEN, 0, a)]
    return np.array(out, float)


def _rotation(axis, angle):
    x, y, z = np.asarray(axis, float) / np.linalg.norm(axis)
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c + x * x * (1 - c), x * y * (1 - c) - z * s, x * z * (1 - c) + y * s],
                     [y * x * (1 - c) + z * s, c + y * y * (1 - c), y * z * (1 - c) - x * s],
                     [z * x * (1 - c) - y * s, z * y * (1 - c) + x * s, c + z * z * (1 - c)]])


def _symmetry_permutations():
    """The icosahedron's symmetries as vertex permutations: closure of a 5-fold and a 3-fold rotation and -I."""
    v = _vertices()
    face = v[0] + v[1] + v[2]  # (0,1,g), (1,g,0), (g,0,1) are mutually adjacent: a face
    assert np.allclose([np.linalg.norm(v[0] - v[1]), np.linalg.norm(v[1] - v[2]), np.linalg.norm(v[0] - v[2])], 2)
    generators = []
    for matrix in (_rotation(v[0], 2 * np.pi / 5), _rotation(face, 2 * np.pi / 3), -np.eye(3)):
        moved = v @ matrix.T
        perm = np.argmin(np.linalg.norm(moved[:, None] - v[None], axis=2), axis=1)
        assert np.allclose(v[perm], moved)
        generators.append(tuple(perm))
    group, frontier = {tuple(range(12))}, [tuple(range(12))]
    while frontier:
        new = []
        for g, h in itertools.product(frontier, generators):
            composed = tuple(np.asarray(h)[list(g)])
            if composed not in group:
                group.add(composed)
                new.append(composed)
        frontier = new
    return [np.array(p) for p in group]


def test_every_pattern_once_and_the_label_shares():
    X, y = datasets.tishby_bits(seed=0)
    assert X.shape == (4096, 12) and X.dtype == np.float64 and y.shape == (4096,) and y.dtype == np.int64
    assert set(np.unique(X)) == {0.0, 1.0}
    assert len(np.unique(X, axis=0)) == 4096
    assert int(y.sum()) == 2118
    bits = X.sum(axis=1)
    share = {k: y[bits == k].mean() for k in range(13)}
    for k in range(5):
        assert share[k] == 0
    for k in range(8, 13):
        assert share[k] == 1
    for k, target in ((5, 0.08), (6, 0.58), (7, 0.92)):
        assert abs(share[k] - target) < 0.01


def test_labels_are_invariant_under_the_120_symmetries_of_the_icosahedron():
    X, y = datasets.tishby_bits(seed=None)
    group = _symmetry_permutations()
    assert len(group) == 120
    powers = 1 << np.arange(12)
    for perm in group:
        # bit i of the moved pattern is bit perm^-1(i): same as permuting columns
        moved = X[:, np.argsort(perm)].astype(np.int64) @ powers
        np.testing.assert_array_equal(y[moved], y)
    # and the labels are not trivially symmetric: a random relabelling of the bits breaks them
    scrambled = X[:, np.random.default_rng(3).permutation(12)].astype(np.int64) @ powers
    assert not np.array_equal(y[scrambled], y)


def test_seeds_renumber_the_vertices_only():
    X0, y0 = datasets.tishby_bits(seed=None)
    X1, y1 = datasets.tishby_bits(seed=1)
    np.testing.assert_array_equal(X0, X1)
    assert not np.array_equal(y0, y1)
    assert y1.sum() == y0.sum()
    for k in range(13):
        assert y1[X1.sum(axis=1) == k].sum() == y0[X0.sum(axis=1) == k].sum()
    np.testing.assert_array_equal(datasets.tishby_bits(seed=1)[1], y1)


def _mat_element(mi_type, payload):
    pad = -len(payload) % 8
    return struct.pack("<II", mi_type, len(payload)) + payload + b"\0" * pad


def _handmade_mat(name, array, data_type=9, dtype="<f8", mx_class=6, compress=False):
    """A MAT v5 file written byte by byte from the format description (no scipy)."""
    flags = _mat_element(6, struct.pack("<II", mx_class, 0))
    dims = _mat_element(5, struct.pack("<" + "i" * array.ndim, *array.shape))
    name_el = _mat_element(1, name.encode())
    data = _mat_element(data_type, np.asarray(array, dtype).tobytes(order="F"))
    matrix = _mat_element(14, flags + dims + name_el + data)
    if compress:
        body = zlib.compress(matrix)
        matrix = struct.pack("<II", 15, len(body)) + body
    header = b"MATLAB 5.0 MAT-file, handmade".ljust(116, b" ") + b"\0" * 8 + struct.pack("<H", 0x0100) + b"IM"
    return header + matrix


@pytest.mark.parametrize("compress", [False, True])
def test_read_mat_handmade_file(tmp_path, compress):
    F = np.arange(24.0).reshape(4, 6)
    path = tmp_path / "f.mat"
    path.write_bytes(_handmade_mat("F", F, compress=compress))
    np.testing.assert_array_equal(datasets.read_mat(path)["F"], F)
    # doubles stored as uint8 (as MATLAB does for small integers) come back as float64
    path.write_bytes(_handmade_mat("F", F, data_type=2, dtype="u1", compress=compress))
    out = datasets.read_mat(path)["F"]
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, F)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("y_shape", [(1, 4096), (4096, 1)])
def test_load_tishby_mat_against_scipy_savemat(tmp_path, compress, y_shape):
    sio = pytest.importorskip("scipy.io")
    X, y = datasets.tishby_bits(seed=2)
    path = tmp_path / "var_u.mat"
    sio.savemat(path, {"F": X, "y": y.reshape(y_shape).astype(np.uint8), "other": "text"},
                do_compression=compress)
    X2, y2 = datasets.load_tishby_mat(path)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)
    assert X2.dtype == np.float64 and y2.dtype == np.int64


def test_load_tishby_mat_errors(tmp_path):
    bad = tmp_path / "bad.mat"
    bad.write_bytes(b"not a mat file" * 20)
    with pytest.raises(ValueError, match="not a MAT-file v5"):
        datasets.load_tishby_mat(bad)
    only_f = tmp_path / "f.mat"
    only_f.write_bytes(_handmade_mat("F", np.zeros((4, 12))))
    with pytest.raises(ValueError, match="no numeric variable y"):
        datasets.load_tishby_mat(only_f)
    cut = tmp_path / "cut.mat"
    cut.write_bytes(_handmade_mat("F", np.zeros((4, 12)))[:-40])
    with pytest.raises(ValueError, match="cut short"):
        datasets.read_mat(cut)
    with pytest.raises(FileNotFoundError):
        datasets.load_tishby_mat(tmp_path / "missing.mat")
