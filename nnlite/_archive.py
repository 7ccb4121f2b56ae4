"""The .npz file of a saved model: written atomically, read without trusting it.

Writing: the arrays go to a temporary file in the target's folder, which is
then renamed over the target (os.replace is atomic), so a crash leaves the
old file or the new one, never half a file. The target keeps its permission
bits (a new file gets the umask's default), and a failure names the target,
not the temporary file.

Reading: a file is checked before any array is allocated. Every member's
header (shape, dtype) is read first and must agree with the member's size
in the zip directory, so a 1 KB file cannot make the reader allocate
terabytes; object (pickled) arrays are refused and never unpickled.
"""

from __future__ import annotations

import math
import os
import secrets
import stat
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

# Deflate cannot expand data by more than about 1032x; a member that claims more is damaged.
_MAX_DEFLATE_RATIO = 1100


class ModelFileError(ValueError):
    """A file that is not a readable nnlite model (damaged, foreign or hostile)."""


def write_atomically(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """np.savez(`arrays`) to `path` through a temporary file and an atomic rename."""
    path = os.fspath(path)
    # Saving through a symlink updates the file it points to rather than replacing the link.
    target = os.path.realpath(path) if os.path.islink(path) else path
    folder, base = os.path.split(target)
    tmp = os.path.join(folder, f".{base}.{secrets.token_hex(4)}.tmp")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = None  # a new file: open() below gives the umask's default
    try:
        with open(tmp, "xb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno is not None:
            raise OSError(exc.errno, f"cannot save the model: {exc.strerror}", path) from None
        if isinstance(exc, OSError):
            raise OSError(f"cannot save the model to {path!r}: {exc}") from None
        raise


@dataclass
class Member:
    """One array of the archive as its header describes it."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype


class Archive:
    """An open model file whose members' headers have been checked; `read(name)` loads one array."""

    def __init__(self, path: str, file: Any, zf: zipfile.ZipFile, members: dict[str, Member]):
        self.path, self._file, self._zf, self.members = path, file, zf, members

    def read(self, name: str) -> np.ndarray:
        with self._zf.open(f"{name}.npy") as fp:
            try:
                return np.lib.format.read_array(fp, allow_pickle=False)
            except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
                raise ModelFileError(f"{self.path!r}: array {name!r} is damaged ({exc})") from None

    def close(self) -> None:
        self._zf.close()  # does not close a file object it was given
        self._file.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_archive(path: str | os.PathLike) -> Archive:
    """Open `path` as a model archive, checking every member's header against its size.

    Raises FileNotFoundError for a missing file and `ModelFileError` (a
    ValueError) naming what is wrong for anything that is not a sound .npz.
    """
    path = os.fspath(path)
    f = open(path, "rb")
    try:
        if f.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
            raise ModelFileError(f"{path!r} is not a readable nnlite model file: it is not an .npz (zip) archive")
        f.seek(0)
        zf = zipfile.ZipFile(f)
        members = {}
        for info in zf.infolist():
            member = _check_member(path, zf, info)
            members[member.name] = member
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        f.close()
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"{path!r} is not a readable nnlite model file: {exc}") from None
    return Archive(path, f, zf, members)


def _check_member(path: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Member:
    if not info.filename.endswith(".npy"):
        raise ModelFileError(f"{path!r} holds {info.filename!r}, which is not an array")
    name = info.filename[:-4]
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > _MAX_DEFLATE_RATIO * info.compress_size + 4096:
        raise ModelFileError(f"{path!r}: array {name!r} claims {info.file_size} bytes from {info.compress_size}")
    with zf.open(info) as fp:
        try:
            version = np.lib.format.read_magic(fp)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
        except ValueError as exc:
            raise ModelFileError(f"{path!r}: array {name!r} has a damaged header ({exc})") from None
        header_size = fp.tell()
    if dtype.hasobject:
        raise ModelFileError(
            f"{path!r}: array {name!r} holds Python objects (pickled data); nnlite never writes "
            f"those and never loads them"
        )
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes != info.file_size - header_size:
        raise ModelFileError(
            f"{path!r}: array {name!r} claims shape {shape} ({nbytes} bytes) but holds "
            f"{info.file_size - header_size} bytes"
        )
    return Member(name, tuple(shape), dtype)
