import gzip
import struct
import sys

import numpy as np
import pytest

from nnlite import datasets


def test_spiral_shapes_labels_and_geometry():
    X, y = datasets.spiral(50, 4, seed=0)
    assert X.shape == (200, 2) and X.dtype == np.float64 and y.shape == (200,)
    np.testing.assert_array_equal(np.bincount(y), [50] * 4)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[:50], np.linspace(0, 1, 50), atol=1e-12)  # r = i / (n - 1) per arm
    X2, y2 = datasets.spiral(50, 4, seed=0)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, datasets.spiral(50, 4, seed=1)[0])
    clean, _ = datasets.spiral(5, 1, noise=0.0)
    t = np.linspace(0, 4, 5)
    r = np.linspace(0, 1, 5)
    np.testing.assert_allclose(clean, np.column_stack([r * np.sin(2.5 * t), r * np.cos(2.5 * t)]))


def test_sine_and_xor():
    X, y = datasets.sine(100, seed=0)
    assert X.shape == y.shape == (100, 1)
    assert np.all(np.diff(X[:, 0]) >= 0) and X.min() >= 0 and X.max() < 1
    np.testing.assert_allclose(y, np.sin(2 * np.pi * X))
    noisy = datasets.sine(100, seed=0, noise=0.1)[1]
    assert 0.05 < np.std(noisy - y) < 0.2
    X, y = datasets.xor()
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]).astype(int))


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"n": 2.5}, {"classes": 0}, {"n": True}])
def test_bad_sizes(kwargs):
    with pytest.raises(ValueError, match="integer >= 1"):
        datasets.spiral(**kwargs)


def test_load_digits():
    pytest.importorskip("sklearn")
    X, y = datasets.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.min() == 0.0 and X.max() == 1.0
    assert datasets.load_digits(scale=False)[0].max() == 16.0
    assert set(np.unique(y)) == set(range(10))


def test_load_digits_without_scikit_learn_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    with pytest.raises(ImportError, match=r'pip install -e "\.\[datasets\]"'):
        datasets.load_digits()


def idx_bytes(array, type_code=0x08):
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_mnist(directory, kind, images, labels, gz=False, dotted=False):
    sep = "." if dotted else "-"
    for stem, array in ((f"{kind}-images{sep}idx3-ubyte", images), (f"{kind}-labels{sep}idx1-ubyte", labels)):
        data = idx_bytes(array)
        if gz:
            with gzip.open(directory / (stem + ".gz"), "wb") as f:
                f.write(data)
        else:
            (directory / stem).write_bytes(data)


IMAGES = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5) * 4
LABELS = np.array([7, 0, 9], dtype=np.uint8)


@pytest.mark.parametrize("gz, dotted", [(False, False), (True, False), (False, True)])
def test_load_mnist_reads_raw_and_gzip_idx(tmp_path, gz, dotted):
    write_mnist(tmp_path, "t10k", IMAGES, LABELS, gz=gz, dotted=dotted)
    X, y = datasets.load_mnist(tmp_path, kind="t10k")
    assert X.shape == (3, 20) and X.dtype == np.float64
    np.testing.assert_allclose(X, IMAGES.reshape(3, 20) / 255.0)
    np.testing.assert_array_equal(y, [7, 0, 9])
    assert y.dtype == np.int64
    raw, _ = datasets.load_mnist(tmp_path, kind="t10k", flatten=False, scale=False, dtype=np.float32)
    assert raw.shape == (3, 4, 5) and raw.dtype == np.float32
    np.testing.assert_array_equal(raw, IMAGES)


def test_read_idx_other_types(tmp_path):
    values = np.array([[1.5, -2.0], [3.25, 1e-3]])
    path = tmp_path / "floats.idx"
    path.write_bytes(idx_bytes(values, type_code=0x0E))
    result = datasets.read_idx(path)
    np.testing.assert_array_equal(result, values)
    assert result.dtype == np.float64 and result.dtype.isnative


def test_bad_idx_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        datasets.load_mnist(tmp_path)
    with pytest.raises(ValueError, match="kind"):
        datasets.load_mnist(tmp_path, kind="test")
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"\x89PNG....")
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.read_idx(bad)
    short = tmp_path / "short.idx"
    short.write_bytes(idx_bytes(IMAGES)[:-7])
    with pytest.raises(ValueError, match=r"shape \(3, 4, 5\)"):
        datasets.read_idx(short)
    notgz = tmp_path / "not.idx.gz"
    notgz.write_bytes(idx_bytes(LABELS))
    with pytest.raises(ValueError, match="could not be read"):
        datasets.read_idx(notgz)
    write_mnist(tmp_path, "train", IMAGES, LABELS[:2])
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        datasets.load_mnist(tmp_path)
