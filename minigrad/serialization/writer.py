"""``save``: write nested training state as a checkpoint, atomically (the format: ``minigrad.serialization``)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import stat
import time
from typing import Any, BinaryIO

import numpy as np

import minigrad  # for minigrad.Tensor, looked up when save runs (minigrad imports this module as it starts)

try:
    import fcntl  # POSIX file locks: a save in progress locks its temporary file
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from minigrad.serialization.format import (
    _HINTS,
    _MAX_INT_BITS,
    _PREFIX,
    _STALE_AFTER,
    DTYPES,
    FORMAT_VERSION,
    MAGIC,
    MAX_DEPTH,
    MAX_HEADER_NBYTES,
    _align,
    _short,
)

# --------------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------------


def save(obj: Any, path: str | os.PathLike) -> None:
    """Save ``obj`` to ``path`` in the checkpoint format above, atomically.

    The bytes go to a temporary file in the same directory, which is flushed, fsynced and renamed over
    ``path`` (``os.replace``). If anything fails before the rename, ``path`` is untouched and the
    temporary file is removed. Temporary files that an earlier, killed save of ``path`` left behind
    are removed first (only provably abandoned ones: see the module docstring).

    Args:
        obj: a nested structure of the types listed in the module docstring.
        path: where to write the checkpoint.

    Raises:
        TypeError: ``obj`` holds something that cannot be saved (the message gives where, e.g.
            ``obj['optimizer']['state'][0]``, and what to save instead); nothing is written.
        ValueError: ``obj`` contains itself, nests deeper than ``MAX_DEPTH``, holds an int too large to
            save, or its header would exceed ``MAX_HEADER_NBYTES``; nothing is written.
        FileNotFoundError: the directory of ``path`` does not exist.
        IsADirectoryError: ``path`` is a directory.
        PermissionError: the directory of ``path`` is not writable.
    """
    path = os.fspath(path)
    arrays: list[tuple[int, np.ndarray]] = []  # (offset in the data section, little-endian array)
    root = _encode(obj, "obj", arrays, set(), 0)
    header = json.dumps({"root": root}, ensure_ascii=True, allow_nan=False).encode("ascii")
    if len(header) > MAX_HEADER_NBYTES:
        raise ValueError(
            f"cannot save to '{path}': the structure needs a {len(header)}-byte header, more than the "
            f"{MAX_HEADER_NBYTES} a checkpoint may have; keep long text and long lists of numbers in NumPy arrays"
        )
    data_start = _align(_PREFIX.size + len(header))
    data_nbytes = arrays[-1][0] + arrays[-1][1].nbytes if arrays else 0

    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot save to '{path}': the directory '{directory}' does not exist")
    if os.path.isdir(path):
        raise IsADirectoryError(
            f"cannot save to '{path}': it is a directory; give a file name, "
            f"e.g. '{os.path.join(path, 'checkpoint.mg')}'"
        )
    _remove_stale_temporaries(directory, os.path.basename(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    try:
        # O_EXCL: never reuse an existing file; mode 0o666 minus the umask, as open() would give
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except PermissionError as error:
        raise PermissionError(
            f"cannot save to '{path}': the directory '{directory}' is not writable (save writes a temporary "
            "file beside the checkpoint and renames it); choose a writable directory"
        ) from error
    try:
        with os.fdopen(fd, "wb") as f:
            _lock(f)  # held until the rename, so no other save takes this file for an abandoned one
            digest = hashlib.sha256()
            _write_chunk(f, digest, _PREFIX.pack(MAGIC, FORMAT_VERSION, len(header), data_nbytes))
            _write_chunk(f, digest, header + bytes(data_start - _PREFIX.size - len(header)))
            end = 0  # of the previous array, in the data section
            for offset, array in arrays:
                _write_chunk(f, digest, bytes(offset - end))  # zero padding up to the aligned offset
                _write_chunk(f, digest, _raw_bytes(array))
                end = offset + array.nbytes
            f.write(digest.digest())
            f.flush()
            os.fsync(f.fileno())
            if os.name != "nt":
                os.replace(tmp, path)
        if os.name == "nt":  # Windows cannot rename a file that is open
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_directory(directory)


def _raw_bytes(array: np.ndarray) -> memoryview:
    """The bytes of ``array`` in C order, without a copy when it is already C-contiguous."""
    return memoryview(np.ascontiguousarray(array).reshape(-1).view(np.uint8))


def _write_chunk(f: BinaryIO, digest: Any, chunk: bytes | memoryview) -> None:
    digest.update(chunk)
    f.write(chunk)


def _lock(f: BinaryIO) -> None:
    """An exclusive lock on a file being written (POSIX; where locks are unsupported, none)."""
    if fcntl is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where a directory cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_stale_temporaries(directory: str, name: str) -> None:
    """Remove the temporary files that killed saves of ``name`` left in ``directory`` (never fails)."""
    ours = re.compile(rf"\.{re.escape(name)}\.[0-9a-f]{{12}}\.tmp")  # exactly the names save gives
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in entries:
        if ours.fullmatch(entry):
            with contextlib.suppress(OSError):
                _remove_if_abandoned(os.path.join(directory, entry))


def _remove_if_abandoned(path: str) -> None:
    """Remove ``path`` only if it is an abandoned temporary file of ``save``.

    That is: a regular file (a symlink is not followed), owned by this user, empty or starting with
    (part of) the magic, not written to for ``_STALE_AFTER`` seconds, and not locked: a save in progress
    holds an exclusive lock on its file until the rename, and a killed process holds none. On Windows,
    which has no such lock, the removal fails (and is skipped) while any process has the file open.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or time.time() - info.st_mtime < _STALE_AFTER:
            return
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            return
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError (skipped) while a save holds it
        start = os.read(fd, len(MAGIC))
        if start != MAGIC[: len(start)] or not os.path.samestat(info, os.lstat(path)):
            return
        if os.name != "nt":
            os.remove(path)  # while locked: no save can be writing it
    finally:
        os.close(fd)
    if os.name == "nt":
        os.remove(path)


def _encode(obj: Any, where: str, arrays: list, active: set, depth: int) -> Any:
    """The header node for ``obj`` (``depth`` containers deep); arrays are appended to ``arrays``."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        if obj.bit_length() > _MAX_INT_BITS:
            raise ValueError(f"cannot save {where}: an int of {obj.bit_length()} bits (the most is 14000)")
        return {"int": str(int(obj))}
    if isinstance(obj, minigrad.Tensor):
        obj = obj.data
    if isinstance(obj, (np.ndarray, np.generic)):
        return _encode_array(np.asarray(obj), where, arrays)
    if isinstance(obj, float):
        return {"float": float.hex(obj)}
    if not isinstance(obj, (list, tuple, dict)):
        hint = _HINTS.get(type(obj))
        raise TypeError(
            f"cannot save {_short(where)}: a {type(obj).__name__} is not one of the types listed in "
            "minigrad.serialization's docstring" + (f"; {hint}" if hint else "")
        )
    if id(obj) in active:
        raise ValueError(f"cannot save {_short(where)}: it contains itself")
    if depth == MAX_DEPTH:
        raise ValueError(
            f"cannot save {_short(where)}: lists, tuples and dicts nest more than {MAX_DEPTH} deep there "
            f"(the most a checkpoint holds); flatten the structure"
        )
    active.add(id(obj))
    if isinstance(obj, dict):
        pairs = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(
                    f"cannot save {_short(where)}: its key {key!r} is not a str or an int; convert the keys "
                    "(str(key) or int(key))"
                )
            node = _encode(value, f"{where}[{key!r}]", arrays, active, depth + 1)
            pairs.append([key if isinstance(key, str) else {"int": str(int(key))}, node])
        node = {"dict": pairs}
    else:
        items = [_encode(value, f"{where}[{i}]", arrays, active, depth + 1) for i, value in enumerate(obj)]
        node = {"tuple" if isinstance(obj, tuple) else "list": items}
    active.discard(id(obj))
    return node


def _encode_array(a: np.ndarray, where: str, arrays: list) -> dict:
    if a.dtype.name not in DTYPES:
        raise TypeError(f"cannot save {_short(where)}: dtype {a.dtype} is not one of {', '.join(DTYPES)}")
    little = np.asarray(a, dtype=a.dtype.newbyteorder("<"))  # copies only a big-endian array
    offset = _align(arrays[-1][0] + arrays[-1][1].nbytes) if arrays else 0
    arrays.append((offset, little))
    return {"array": {"dtype": a.dtype.name, "shape": list(a.shape), "offset": offset, "nbytes": a.nbytes}}
