"""Checkpoints: ``save`` and ``load`` nested training state without pickle.

A checkpoint holds JSON that describes the structure and raw bytes for the arrays. ``load`` only ever
builds dicts, lists, tuples, numbers, strings and NumPy arrays of an allowed dtype, so loading a file,
even a hostile one, never runs code. ``save`` is atomic: a crash mid-save leaves the previous file whole.

What can be saved (enough for model, optimizer, scheduler, RNG state and epoch/step):

- dict with str or int keys (insertion order is kept; an OrderedDict loads as a plain dict), list, tuple,
  nested at most ``MAX_DEPTH`` (100) inside one another;
- NumPy array of a dtype in ``DTYPES``, any shape (0-d included), any layout (saved C-contiguous, any
  byte order; it loads native-endian, writable and owning its memory);
- minigrad Tensor: its values only (``.data``), whether it requires grad or not. It loads as a NumPy array
  (no ``requires_grad``, no ``.grad``);
- NumPy scalar (``np.float32(1.5)``): loads as a 0-d array;
- int of any size up to 14,000 bits (a PCG64 state holds 128-bit ints), float (nan and ±inf included; a
  nan's sign and payload are not kept), bool, None, str (any str, a lone surrogate such as
  ``os.fsdecode`` makes of a non-UTF-8 file name included).

File format, version 1 (integers little-endian)::

    offset  size  field
    0       8     magic b"MINIGRAD"
    8       4     format version, uint32 (1)
    12      8     H = header length in bytes, uint64 (at most MAX_HEADER_NBYTES, 64 MiB)
    20      8     D = data section length in bytes, uint64
    28      H     header: UTF-8 JSON, below
    28+H          zero bytes up to S, the first multiple of 64 at or after 28 + H
    S       D     data section: each array's raw bytes, C order, little-endian, at an offset (from S)
                  that is a multiple of 64; zero bytes between arrays
    S+D     32    SHA-256 of bytes [0, S+D)

The file is exactly S + D + 32 bytes long. The header is ``{"root": node}``, where a node is one of::

    null, true, false, "text"      None, True, False, a str
    {"int": "-42"}                 an int, in ASCII decimal digits (at most 4300)
    {"float": "0x1.8p+1"}          a float, as float.hex() writes it ("inf", "-inf" and "nan" too)
    {"list": [node, ...]}
    {"tuple": [node, ...]}
    {"dict": [[key, node], ...]}   key: a string or an {"int": ...} node; no key twice
    {"array": {"dtype": "float32", "shape": [2, 3], "offset": 0, "nbytes": 24}}

An array's bytes are ``data[offset : offset + nbytes]``, ``nbytes = prod(shape) * itemsize``, and no two
arrays share a byte. ``save`` writes every non-ASCII character of a string as a JSON ``\\uXXXX`` escape,
so the header is ASCII. ``load`` checks every one of these rules before it returns anything and raises
``CheckpointError``, naming the file and the broken rule, on any departure.

Loading a large file: ``load`` reads the 28-byte prefix first and refuses anything that is not a regular
file starting with the magic (a directory, a pipe, ``/dev/zero``, a PyTorch ``.pt`` zip, a NumPy ``.npy``,
JSON) or whose announced sizes disagree with the file's size, before it reads anything else. It then
reads each array straight into its own buffer while the SHA-256 is computed on the way, so its peak
memory is the loaded arrays plus the header, not two copies of the file.

Temporary files: ``save`` writes ``.<name>.<12 hex digits>.tmp`` beside the checkpoint and renames it.
A process killed mid-save leaves that file behind; the next ``save`` to the same path removes it when it
is provably an abandoned one of ours (see ``_remove_if_abandoned``) and never touches any other file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import secrets
import stat
import struct
import sys
import time
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

import minigrad  # for minigrad.Tensor, looked up when save runs (minigrad imports this module as it starts)

try:
    import fcntl  # POSIX file locks: a save in progress locks its temporary file
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["DTYPES", "FORMAT_VERSION", "MAGIC", "MAX_DEPTH", "MAX_HEADER_NBYTES", "CheckpointError", "load", "save"]

MAGIC = b"MINIGRAD"
FORMAT_VERSION = 1
ALIGN = 64
MAX_DEPTH = 100  # lists, tuples and dicts inside one another (a training state nests about 5)
MAX_HEADER_NBYTES = 64 * 2**20  # the header describes structure; arrays, however large, live in the data section
DTYPES = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
)
_PREFIX = struct.Struct("<8sIQQ")  # magic, version, H, D
_DIGEST_SIZE = hashlib.sha256().digest_size  # 32
_MAX_DIMS = 64  # NumPy's limit
_DECIMAL = re.compile(r"-?[0-9]{1,4300}")  # 4300: the most digits Python's int() converts by default
_MAX_INT_BITS = 14_000  # fewer than 4300 decimal digits
_CHUNK = 2**20  # bytes read at a time where nothing is kept (padding, a file being checksummed only)
_STALE_AFTER = 10.0  # seconds without a write before a temporary file can be taken for abandoned
_HINTS = {
    set: "save a list of it instead (sorted(...) keeps the order reproducible)",
    frozenset: "save a list of it instead (sorted(...) keeps the order reproducible)",
    complex: "save a NumPy scalar instead: np.complex128(value)",
    bytes: "save a uint8 array instead: np.frombuffer(value, np.uint8)",
    bytearray: "save a uint8 array instead: np.frombuffer(value, np.uint8)",
}


class CheckpointError(ValueError):
    """A file that is not a valid minigrad checkpoint; ``load`` refused it and returned nothing."""


def _align(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def _short(where: str) -> str:
    """``where`` for a message, cut in the middle when a deep path makes it long."""
    return where if len(where) <= 120 else f"{where[:60]}...{where[-50:]}"


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


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------


def load(path: str | os.PathLike) -> Any:
    """Load a checkpoint written by ``save``.

    Tuples load as tuples, dicts as plain dicts in their saved key order, and Tensors and NumPy scalars
    as NumPy arrays (see the module docstring).

    Args:
        path: the checkpoint file.

    Returns:
        The saved structure.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        PermissionError: ``path`` cannot be read.
        CheckpointError: the file is not a valid checkpoint (a directory, device or pipe, empty, another
            format, truncated, corrupted, wrong version, malformed header, ...); the message names the
            file and the problem.
    """
    path = os.fspath(path)
    # O_NONBLOCK: opening a named pipe must not wait for a writer (it is refused right after)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise CheckpointError(
                f"cannot load checkpoint '{path}': it is {_file_kind(mode)}, not a minigrad checkpoint file"
            )
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as f:
        return _load(_Reader(f, path))


class _Reader:
    """The file being loaded: exact reads that feed the SHA-256, and errors that name the file."""

    def __init__(self, f: BinaryIO, path: str) -> None:
        self.f, self.path, self.digest = f, path, hashlib.sha256()

    def error(self, what: str) -> CheckpointError:
        return CheckpointError(f"cannot load checkpoint '{self.path}': {what}")

    def readinto(self, buffer: memoryview) -> None:
        if self.f.readinto(buffer) != len(buffer):
            raise self.error("the file is truncated (it changed while it was being read)")
        self.digest.update(buffer)

    def read(self, n: int) -> bytes:
        buffer = bytearray(n)
        self.readinto(memoryview(buffer))
        return bytes(buffer)

    def skip(self, n: int) -> None:
        """Read ``n`` bytes into the checksum only."""
        buffer = memoryview(bytearray(min(n, _CHUNK)))
        while n:
            self.readinto(buffer[: min(n, _CHUNK)])
            n -= min(n, _CHUNK)

    def verify_checksum(self) -> None:
        if self.f.read(_DIGEST_SIZE) != self.digest.digest():
            raise self.error("SHA-256 checksum mismatch: the file is corrupted")


@dataclass
class _Header:
    """What the header says, checked: the structure, and the arrays to fill from the data section."""

    source: _Reader
    data_nbytes: int
    spans: list = field(default_factory=list)  # (offset, nbytes, where, array), arrays not yet filled
    claimed: int = 0  # bytes of the data section that the arrays claim

    def error(self, what: str) -> CheckpointError:
        return self.source.error(what)


def _load(source: _Reader) -> Any:
    """Check the prefix against the file's size, then read the header, then each array into its own memory."""
    n = os.fstat(source.f.fileno()).st_size
    if n == 0:
        raise source.error("the file is empty (0 bytes), not a minigrad checkpoint")
    prefix = source.read(min(n, _PREFIX.size))
    if not (prefix.startswith(MAGIC) or MAGIC.startswith(prefix)):
        raise source.error(f"it is not a minigrad checkpoint: {_what_it_is(prefix)}")
    if n < _PREFIX.size + _DIGEST_SIZE:
        raise source.error(
            f"the file is truncated: {n} bytes, less than the {_PREFIX.size}-byte prefix "
            f"and {_DIGEST_SIZE}-byte checksum"
        )
    _, version, header_nbytes, data_nbytes = _PREFIX.unpack(prefix)
    if version != FORMAT_VERSION:
        newer = "a newer minigrad wrote it: upgrade minigrad to load it" if version > FORMAT_VERSION else "corrupted?"
        raise source.error(
            f"unsupported format version {version} (this minigrad reads version {FORMAT_VERSION}; {newer})"
        )
    data_start = _align(_PREFIX.size + header_nbytes)
    expected = data_start + data_nbytes + _DIGEST_SIZE
    if n < expected:
        raise source.error(
            f"the file is truncated (or its prefix corrupted): {n} bytes, but its prefix announces {expected}"
        )
    if n > expected:
        raise source.error(
            f"{n - expected} bytes of trailing garbage after the checksum (or a corrupted "
            f"prefix): the prefix announces {expected} bytes, the file has {n}"
        )
    if header_nbytes > MAX_HEADER_NBYTES:
        raise source.error(
            f"its prefix announces a {header_nbytes}-byte header, more than the {MAX_HEADER_NBYTES} "
            "a checkpoint's header may have (corrupted?)"
        )
    header_bytes = source.read(header_nbytes)
    source.skip(data_start - _PREFIX.size - header_nbytes)
    header = _Header(source, data_nbytes)
    try:
        obj, broken = _parse(header_bytes, header), None
    except CheckpointError as error:
        obj, broken = None, error
    if broken is not None:  # a corrupted file says so before it says which rule its header breaks
        source.skip(data_nbytes)
        source.verify_checksum()
        raise broken
    end = 0  # of the previous array in the data section
    for offset, nbytes, _, array in header.spans:  # sorted by offset, none overlapping
        source.skip(offset - end)
        source.readinto(memoryview(array.reshape(-1).view(np.uint8)))  # straight into the array's own memory
        end = offset + nbytes
    source.skip(data_nbytes - end)
    source.verify_checksum()
    for _, _, where, array in header.spans:
        if array.dtype == np.bool_ and array.view(np.uint8).max(initial=0) > 1:
            raise source.error(f"{where}: a bool array holds bytes other than 0 and 1")
        if sys.byteorder == "big":
            array.byteswap(inplace=True)  # the file is little-endian
    return obj


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device (like /dev/zero or /dev/urandom)"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _what_it_is(prefix: bytes) -> str:
    """What a file that does not start with the magic seems to be, for the message."""
    starts = f"it starts with {prefix[:8]!r}, not {MAGIC!r}"
    if prefix.startswith(b"PK\x03\x04"):
        return (
            f"it is a zip archive, such as PyTorch's torch.save and numpy.savez write (load those with them; {starts})"
        )
    if prefix.startswith(b"\x93NUMPY"):
        return f"it is a NumPy .npy file (load it with numpy.load; {starts})"
    if prefix[:1] == b"\x80" and prefix[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return f"it is a Python pickle, which minigrad never loads: unpickling can run any code ({starts})"
    if prefix.startswith(b"\x89HDF"):
        return f"it is an HDF5 file ({starts})"
    if prefix.lstrip()[:1] in (b"{", b"["):
        return f"it looks like JSON text (a minigrad checkpoint starts with {MAGIC!r}; {starts})"
    return starts


def _parse(header_bytes: bytes, header: _Header) -> Any:
    """The structure the header describes; its arrays are allocated, listed in ``header.spans``, not filled."""
    try:
        text = header_bytes.decode("utf-8")
        parsed = json.loads(text, object_pairs_hook=_no_duplicate_names, parse_constant=_no_constant)
    except RecursionError:
        raise header.error(f"the header is nested too deeply (a checkpoint nests at most {MAX_DEPTH} deep)") from None
    except ValueError as e:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise header.error(f"the header is not valid UTF-8 JSON ({type(e).__name__}: {e})") from None
    if not isinstance(parsed, dict) or list(parsed) != ["root"]:
        raise header.error('the header must be a JSON object {"root": node}')
    try:
        obj = _decode(parsed["root"], "root", header, 0)
    except RecursionError:  # only when load itself is called from very deep in the stack
        raise header.error("the header is nested too deeply to decode here") from None
    header.spans.sort(key=lambda span: span[0])
    previous = (0, 0, "")
    for span in header.spans:
        if span[0] < previous[0] + previous[1]:
            raise header.error(f"arrays {previous[2]} and {span[2]} overlap in the data section")
        previous = span
    return obj


def _no_duplicate_names(pairs: list) -> dict:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError(f"an object has a name twice: {names}")
    return dict(pairs)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _decode(node: Any, where: str, header: _Header, depth: int) -> Any:
    """The Python value of a header node ``depth`` containers deep (the grammar is in the module docstring)."""
    if node is None or isinstance(node, (bool, str)):
        return node
    if not (isinstance(node, dict) and len(node) == 1):
        raise header.error(f"{_short(where)} is {_brief(node)}: not null, a boolean, a string or a one-name object")
    [(tag, value)] = node.items()
    if tag == "int":
        return _decode_int(value, where, header)
    if tag == "float":
        with contextlib.suppress(ValueError, OverflowError, TypeError):
            return float.fromhex(value)
        raise header.error(f"{_short(where)}: {_brief(value)} is not a float as float.hex() writes it")
    if tag == "array":
        return _decode_array(value, where, header)
    if tag not in ("list", "tuple", "dict"):
        raise header.error(f"{_short(where)}: unknown node {{{tag!r}: {_brief(value)}}}")
    if not isinstance(value, list):
        raise header.error(f"{_short(where)}: a {tag!r} node must hold a JSON array, not {_brief(value)}")
    if depth == MAX_DEPTH:
        raise header.error(f"{_short(where)}: lists, tuples and dicts nest more than {MAX_DEPTH} deep")
    if tag in ("list", "tuple"):
        items = [_decode(item, f"{where}[{i}]", header, depth + 1) for i, item in enumerate(value)]
        return items if tag == "list" else tuple(items)
    out = {}
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2):
            raise header.error(f"{_short(where)}: a dict entry must be a [key, node] pair")
        key = pair[0]
        if not isinstance(key, str):
            is_int_node = isinstance(key, dict) and list(key) == ["int"]
            key = _decode_int(key["int"] if is_int_node else key, f"a key of {where}", header)
        if key in out:
            raise header.error(f"{_short(where)}: key {key!r} appears twice")
        out[key] = _decode(pair[1], f"{where}[{key!r}]", header, depth + 1)
    return out


def _brief(x: Any) -> str:
    """A short description of a JSON value, for messages."""
    if isinstance(x, (list, dict)):
        return f"a JSON {'array' if isinstance(x, list) else 'object'} of {len(x)} items"
    return repr(x)[:50]


def _decode_int(value: Any, where: str, header: _Header) -> int:
    if not (isinstance(value, str) and _DECIMAL.fullmatch(value)):
        raise header.error(f"{_short(where)}: {_brief(value)} is not an int in decimal digits")
    return int(value)


def _is_count(x: Any) -> bool:
    return type(x) is int and x >= 0


def _decode_array(spec: Any, where: str, header: _Header) -> np.ndarray:
    """A new, unfilled array of the described dtype and shape, once every rule about it holds."""
    where = _short(where)
    if not (isinstance(spec, dict) and sorted(spec) == ["dtype", "nbytes", "offset", "shape"]):
        raise header.error(f"{where}: an array must be described by exactly dtype, shape, offset and nbytes")
    name, shape, offset, nbytes = spec["dtype"], spec["shape"], spec["offset"], spec["nbytes"]
    if name not in DTYPES:  # also refuses "object" and every other dtype that could hold Python objects
        raise header.error(f"{where}: dtype {_brief(name)} is not one of {', '.join(DTYPES)}")
    if not (isinstance(shape, list) and len(shape) <= _MAX_DIMS and all(_is_count(d) for d in shape)):
        raise header.error(f"{where}: shape {_brief(shape)} is not a list of at most {_MAX_DIMS} non-negative ints")
    if not (_is_count(offset) and _is_count(nbytes)):
        raise header.error(f"{where}: offset and nbytes must be non-negative ints")
    dtype = np.dtype(name)
    if math.prod(shape) * dtype.itemsize != nbytes:
        raise header.error(
            f"{where}: shape {shape} of {name} needs {math.prod(shape) * dtype.itemsize} bytes, but nbytes is {nbytes}"
        )
    if offset % ALIGN or offset + nbytes > header.data_nbytes:
        raise header.error(
            f"{where}: bytes [{offset}, {offset + nbytes}) are not at a multiple of {ALIGN} "
            f"inside the {header.data_nbytes}-byte data section"
        )
    header.claimed += nbytes
    if header.claimed > header.data_nbytes:  # so some arrays overlap: refuse before allocating more than the file
        raise header.error(f"arrays up to {where} claim more bytes than the data section holds: they overlap")
    try:
        array = np.empty(shape, dtype=dtype)  # native byte order; filled from the file once the header is checked
    except ValueError as e:  # a shape with a 0 and dimensions too large for NumPy
        raise header.error(f"{where}: shape {shape} is not a valid NumPy shape ({e})") from None
    if nbytes:
        header.spans.append((offset, nbytes, where, array))
    return array
