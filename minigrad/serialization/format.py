"""The checkpoint format's constants (see ``minigrad.serialization`` for the layout) and its error."""

from __future__ import annotations

import hashlib
import re
import struct

try:
    import fcntl  # POSIX file locks: a save in progress locks its temporary file
except ImportError:  # pragma: no cover - Windows
    fcntl = None


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
