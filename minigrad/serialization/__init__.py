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

from minigrad.serialization.format import DTYPES, FORMAT_VERSION, MAGIC, MAX_DEPTH, MAX_HEADER_NBYTES, CheckpointError
from minigrad.serialization.reader import load
from minigrad.serialization.writer import save

__all__ = ["DTYPES", "FORMAT_VERSION", "MAGIC", "MAX_DEPTH", "MAX_HEADER_NBYTES", "CheckpointError", "load", "save"]
