"""Checkpoints: ``save`` and ``load`` nested training state without pickle.

A checkpoint holds JSON that describes the structure and raw bytes for the arrays. ``load`` only ever
builds dicts, lists, tuples, numbers, strings and NumPy arrays of an allowed dtype, so loading a file,
even a hostile one, never runs code. ``save`` is atomic: a crash mid-save leaves the previous file whole.

What can be saved (enough for model, optimizer, scheduler, RNG state and epoch/step):

- dict with str or int keys (insertion order is kept; an OrderedDict loads as a plain dict), list, tuple;
- NumPy array of a dtype in ``DTYPES``, any shape (0-d included), any layout (saved C-contiguous, any
  byte order; it loads native-endian, writable and owning its memory);
- minigrad Tensor: its ``.data`` only. It loads as a NumPy array (no ``requires_grad``, no ``.grad``);
- NumPy scalar (``np.float32(1.5)``): loads as a 0-d array;
- int of any size up to 14,000 bits (a PCG64 state holds 128-bit ints), float (nan and ±inf included; a
  nan's sign and payload are not kept), bool, None, str.

File format, version 1 (integers little-endian)::

    offset  size  field
    0       8     magic b"MINIGRAD"
    8       4     format version, uint32 (1)
    12      8     H = header length in bytes, uint64
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
arrays share a byte. ``load`` checks every one of these rules before it returns anything and raises
``CheckpointError``, naming the file and the broken rule, on any departure.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np

from minigrad.tensor import Tensor

__all__ = ["DTYPES", "FORMAT_VERSION", "MAGIC", "CheckpointError", "load", "save"]

MAGIC = b"MINIGRAD"
FORMAT_VERSION = 1
ALIGN = 64
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


class CheckpointError(ValueError):
    """A file that is not a valid minigrad checkpoint; ``load`` refused it and returned nothing."""


def _align(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


# --------------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------------


def save(obj: Any, path: str | os.PathLike) -> None:
    """Save ``obj`` to ``path`` in the checkpoint format above, atomically.

    The bytes go to a temporary file in the same directory, which is flushed, fsynced and renamed over
    ``path`` (``os.replace``). If anything fails before the rename, ``path`` is untouched and the
    temporary file is removed.

    Args:
        obj: a nested structure of the types listed in the module docstring.
        path: where to write the checkpoint.

    Raises:
        TypeError: ``obj`` holds something that cannot be saved (the message gives where, e.g.
            ``obj['optimizer']['state'][0]``); nothing is written.
        ValueError: ``obj`` contains itself, or an int too large to save.
        FileNotFoundError: the directory of ``path`` does not exist.
    """
    path = os.fspath(path)
    arrays: list[tuple[int, np.ndarray]] = []  # (offset in the data section, little-endian array)
    root = _encode(obj, "obj", arrays, set())
    header = json.dumps({"root": root}, ensure_ascii=False, allow_nan=False).encode("utf-8")
    data_start = _align(_PREFIX.size + len(header))
    data_nbytes = arrays[-1][0] + arrays[-1][1].nbytes if arrays else 0

    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot save to '{path}': the directory '{directory}' does not exist")
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    try:
        # O_EXCL: never reuse an existing file; mode 0o666 minus the umask, as open() would give
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(fd, "wb") as f:
            digest = hashlib.sha256()
            _write_chunk(f, digest, _PREFIX.pack(MAGIC, FORMAT_VERSION, len(header), data_nbytes))
            _write_chunk(f, digest, header + bytes(data_start - _PREFIX.size - len(header)))
            end = 0  # of the previous array, in the data section
            for offset, array in arrays:
                _write_chunk(f, digest, bytes(offset - end))  # zero padding up to the aligned offset
                _write_chunk(f, digest, array.tobytes())
                end = offset + array.nbytes
            f.write(digest.digest())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_directory(directory)


def _write_chunk(f: BinaryIO, digest: Any, chunk: bytes) -> None:
    digest.update(chunk)
    f.write(chunk)


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


def _encode(obj: Any, where: str, arrays: list, active: set) -> Any:
    """The header node for ``obj``; arrays are appended to ``arrays`` with their offsets."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        if obj.bit_length() > _MAX_INT_BITS:
            raise ValueError(f"cannot save {where}: an int of {obj.bit_length()} bits (the most is 14000)")
        return {"int": str(int(obj))}
    if isinstance(obj, Tensor):
        obj = obj.data
    if isinstance(obj, (np.ndarray, np.generic)):
        return _encode_array(np.asarray(obj), where, arrays)
    if isinstance(obj, float):
        return {"float": float.hex(obj)}
    if not isinstance(obj, (list, tuple, dict)):
        raise TypeError(
            f"cannot save {where}: a {type(obj).__name__} is not one of the types listed in "
            "minigrad.serialization's docstring"
        )
    if id(obj) in active:
        raise ValueError(f"cannot save {where}: it contains itself")
    active.add(id(obj))
    if isinstance(obj, dict):
        pairs = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"cannot save {where}: its key {key!r} is not a str or an int")
            node = _encode(value, f"{where}[{key!r}]", arrays, active)
            pairs.append([key if isinstance(key, str) else {"int": str(int(key))}, node])
        node = {"dict": pairs}
    else:
        items = [_encode(value, f"{where}[{i}]", arrays, active) for i, value in enumerate(obj)]
        node = {"tuple" if isinstance(obj, tuple) else "list": items}
    active.discard(id(obj))
    return node


def _encode_array(a: np.ndarray, where: str, arrays: list) -> dict:
    if a.dtype.name not in DTYPES:
        raise TypeError(f"cannot save {where}: dtype {a.dtype} is not one of {', '.join(DTYPES)}")
    little = np.asarray(a, dtype=a.dtype.newbyteorder("<"))  # copies only a big-endian array
    offset = _align(arrays[-1][0] + arrays[-1][1].nbytes) if arrays else 0
    arrays.append((offset, little))
    return {"array": {"dtype": a.dtype.name, "shape": list(a.shape), "offset": offset, "nbytes": a.nbytes}}


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------


@dataclass
class _Source:
    """The file being loaded: its name (for messages), data section, and the array byte ranges seen."""

    path: str
    data: memoryview
    spans: list = field(default_factory=list)  # (offset, nbytes, where)

    def error(self, what: str) -> CheckpointError:
        return CheckpointError(f"cannot load checkpoint '{self.path}': {what}")


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
        CheckpointError: the file is not a valid checkpoint (truncated, corrupted, wrong magic or version,
            malformed header, ...); the message names the file and the problem.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        blob = f.read()
    source = _Source(path, memoryview(b""))
    n = len(blob)
    if not (blob.startswith(MAGIC) or MAGIC.startswith(blob)):
        raise source.error(f"it is not a minigrad checkpoint (it starts with {blob[:8]!r}, not {MAGIC!r})")
    if n < _PREFIX.size + _DIGEST_SIZE:
        raise source.error(
            f"the file is truncated: {n} bytes, less than the {_PREFIX.size}-byte prefix "
            f"and {_DIGEST_SIZE}-byte checksum"
        )
    _, version, header_nbytes, data_nbytes = _PREFIX.unpack_from(blob)
    if version != FORMAT_VERSION:
        raise source.error(
            f"unsupported format version {version} (this minigrad reads version "
            f"{FORMAT_VERSION}); save it again with the minigrad that wrote it"
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
    if hashlib.sha256(memoryview(blob)[: n - _DIGEST_SIZE]).digest() != blob[n - _DIGEST_SIZE :]:
        raise source.error("SHA-256 checksum mismatch: the file is corrupted")

    source.data = memoryview(blob)[data_start : data_start + data_nbytes]
    try:
        header = json.loads(
            blob[_PREFIX.size : _PREFIX.size + header_nbytes].decode("utf-8"),
            object_pairs_hook=_no_duplicate_names,
            parse_constant=_no_constant,
        )
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise source.error(f"the header is not valid UTF-8 JSON ({type(e).__name__}: {e})") from None
    if not isinstance(header, dict) or list(header) != ["root"]:
        raise source.error('the header must be a JSON object {"root": node}')
    try:
        obj = _decode(header["root"], "root", source)
    except RecursionError:
        raise source.error("the header is nested too deeply to decode") from None
    previous = (0, 0, "")
    for span in sorted(source.spans):
        if span[0] < previous[0] + previous[1]:
            raise source.error(f"arrays {previous[2]} and {span[2]} overlap in the data section")
        previous = span
    return obj


def _no_duplicate_names(pairs: list) -> dict:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError(f"an object has a name twice: {names}")
    return dict(pairs)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _decode(node: Any, where: str, source: _Source) -> Any:
    """The Python value of a header node (the grammar is in the module docstring)."""
    if node is None or isinstance(node, (bool, str)):
        return node
    if not (isinstance(node, dict) and len(node) == 1):
        raise source.error(f"{where} is {_brief(node)}: not null, a boolean, a string or a one-name object")
    [(tag, value)] = node.items()
    if tag == "int":
        return _decode_int(value, where, source)
    if tag == "float":
        with contextlib.suppress(ValueError, OverflowError, TypeError):
            return float.fromhex(value)
        raise source.error(f"{where}: {_brief(value)} is not a float as float.hex() writes it")
    if tag in ("list", "tuple", "dict") and not isinstance(value, list):
        raise source.error(f"{where}: a {tag!r} node must hold a JSON array, not {_brief(value)}")
    if tag in ("list", "tuple"):
        items = [_decode(item, f"{where}[{i}]", source) for i, item in enumerate(value)]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        out = {}
        for pair in value:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise source.error(f"{where}: a dict entry must be a [key, node] pair")
            key = pair[0]
            if not isinstance(key, str):
                is_int_node = isinstance(key, dict) and list(key) == ["int"]
                key = _decode_int(key["int"] if is_int_node else key, f"a key of {where}", source)
            if key in out:
                raise source.error(f"{where}: key {key!r} appears twice")
            out[key] = _decode(pair[1], f"{where}[{key!r}]", source)
        return out
    if tag == "array":
        return _decode_array(value, where, source)
    raise source.error(f"{where}: unknown node {{{tag!r}: {_brief(value)}}}")


def _brief(x: Any) -> str:
    """A short description of a JSON value, for messages."""
    if isinstance(x, (list, dict)):
        return f"a JSON {'array' if isinstance(x, list) else 'object'} of {len(x)} items"
    return repr(x)[:50]


def _decode_int(value: Any, where: str, source: _Source) -> int:
    if not (isinstance(value, str) and _DECIMAL.fullmatch(value)):
        raise source.error(f"{where}: {_brief(value)} is not an int in decimal digits")
    return int(value)


def _is_count(x: Any) -> bool:
    return type(x) is int and x >= 0


def _decode_array(spec: Any, where: str, source: _Source) -> np.ndarray:
    if not (isinstance(spec, dict) and sorted(spec) == ["dtype", "nbytes", "offset", "shape"]):
        raise source.error(f"{where}: an array must be described by exactly dtype, shape, offset and nbytes")
    name, shape, offset, nbytes = spec["dtype"], spec["shape"], spec["offset"], spec["nbytes"]
    if name not in DTYPES:  # also refuses "object" and every other dtype that could hold Python objects
        raise source.error(f"{where}: dtype {_brief(name)} is not one of {', '.join(DTYPES)}")
    if not (isinstance(shape, list) and len(shape) <= _MAX_DIMS and all(_is_count(d) for d in shape)):
        raise source.error(f"{where}: shape {_brief(shape)} is not a list of at most {_MAX_DIMS} non-negative ints")
    if not (_is_count(offset) and _is_count(nbytes)):
        raise source.error(f"{where}: offset and nbytes must be non-negative ints")
    dtype = np.dtype(name)
    if math.prod(shape) * dtype.itemsize != nbytes:
        raise source.error(
            f"{where}: shape {shape} of {name} needs {math.prod(shape) * dtype.itemsize} bytes, but nbytes is {nbytes}"
        )
    if offset % ALIGN or offset + nbytes > len(source.data):
        raise source.error(
            f"{where}: bytes [{offset}, {offset + nbytes}) are not at a multiple of {ALIGN} "
            f"inside the {len(source.data)}-byte data section"
        )
    if nbytes:
        source.spans.append((offset, nbytes, where))
    flat = np.frombuffer(source.data[offset : offset + nbytes], dtype=dtype.newbyteorder("<"))
    if name == "bool" and flat.view(np.uint8).max(initial=0) > 1:
        raise source.error(f"{where}: a bool array holds bytes other than 0 and 1")
    try:
        return flat.astype(dtype).reshape(shape)  # astype: a native-endian, writable copy
    except ValueError as e:  # a shape with a 0 and dimensions too large for NumPy
        raise source.error(f"{where}: shape {shape} is not a valid NumPy shape ({e})") from None
