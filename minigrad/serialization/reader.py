"""``load``: read a checkpoint, checking every rule of the format before returning anything."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import stat
import sys
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

try:
    import fcntl  # POSIX file locks: a save in progress locks its temporary file
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from minigrad.serialization.format import (
    _CHUNK,
    _DECIMAL,
    _DIGEST_SIZE,
    _MAX_DIMS,
    _PREFIX,
    ALIGN,
    DTYPES,
    FORMAT_VERSION,
    MAGIC,
    MAX_DEPTH,
    MAX_HEADER_NBYTES,
    CheckpointError,
    _align,
    _short,
)

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
