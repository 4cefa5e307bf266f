"""Tests of minigrad.serialization: round trips, atomic saves, and every way ``load`` refuses a bad file.

Bad files are built here by ``craft``, a writer of its own that follows only the format in the module
docstring (it is also the proof that the docstring is enough to write a file).
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import io
import itertools
import json
import math
import os
import pickle
import random
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import zipfile
from collections import OrderedDict

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

import numpy as np
import pytest
from conftest import torch_or_skip
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad import Tensor, serialization
from minigrad.serialization import DTYPES, MAGIC, MAX_DEPTH, CheckpointError, load, save

# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def craft(header=None, data=b"", *, header_bytes=None, magic=MAGIC, version=1, checksum=True) -> bytes:
    """A checkpoint file built from the module docstring: prefix, header, padding, data, SHA-256."""
    if header_bytes is None:
        header_bytes = json.dumps(header).encode("utf-8")
    start = -(-(28 + len(header_bytes)) // 64) * 64
    body = struct.pack("<8sIQQ", magic, version, len(header_bytes), len(data))
    body += header_bytes + bytes(start - len(body) - len(header_bytes)) + data
    return body + (hashlib.sha256(body).digest() if checksum else bytes(32))


def _align(n: int) -> int:
    return -(-n // 64) * 64


def array_node(dtype="float32", shape=(2,), offset=0, nbytes=8) -> dict:
    return {"array": {"dtype": dtype, "shape": list(shape), "offset": offset, "nbytes": nbytes}}


def data_section(blob: bytes) -> tuple[int, int]:
    """(start, length) of a checkpoint's data section, read from its prefix."""
    header_nbytes, data_nbytes = struct.unpack_from("<QQ", blob, 12)
    return -(-(28 + header_nbytes) // 64) * 64, data_nbytes


def assert_same(loaded, original, where="obj") -> None:
    """``loaded`` is what loading ``original`` must give: same types, key order, dtypes, shapes and bits."""
    if isinstance(original, Tensor):
        original = original.data
    if isinstance(original, np.ndarray | np.generic):
        original = np.asarray(original)
        assert isinstance(loaded, np.ndarray), where
        assert loaded.dtype == original.dtype.newbyteorder("="), where
        assert loaded.shape == original.shape, where
        assert loaded.tobytes() == original.astype(loaded.dtype).tobytes(), where
    elif isinstance(original, dict):
        assert type(loaded) is dict, where
        assert list(loaded) == list(original), where
        for key in original:
            assert_same(loaded[key], original[key], f"{where}[{key!r}]")
    elif isinstance(original, list | tuple):
        assert type(loaded) is type(original), where
        assert len(loaded) == len(original), where
        for i, (a, b) in enumerate(zip(loaded, original, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(original, float):
        assert type(loaded) is float, where
        assert (math.isnan(loaded) and math.isnan(original)) or struct.pack("<d", loaded) == struct.pack(
            "<d", original
        ), where
    else:
        assert type(loaded) is type(original) and loaded == original, where


def refused(path, blob: bytes, match: str) -> CheckpointError:
    """Write ``blob`` to ``path`` and check that ``load`` refuses it, naming the file, and changes nothing."""
    path.write_bytes(blob)
    with pytest.raises(CheckpointError, match=match) as info:
        load(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == blob
    return info.value


def real_checkpoints() -> dict:
    """A few checkpoints shaped like real ones: model, optimizer, scheduler, RNG, step; every dtype."""
    g = np.random.default_rng(0)
    model = OrderedDict()
    for name, shape in [("weight_ih_l0", (12, 4)), ("weight_hh_l0", (12, 3)), ("bias_ih_l0", (12,))]:
        model[name] = g.standard_normal(shape).astype(np.float32)
    optimizer = {
        "state": {
            i: {"step": 10, "exp_avg": np.zeros_like(w), "exp_avg_sq": np.ones_like(w)}
            for i, w in enumerate(model.values())
        },
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "params": [0, 1, 2]}],
    }
    return {
        "training": {
            "model": model,
            "optimizer": optimizer,
            "rng": minigrad.get_rng_state(),
            "scheduler": {"last_epoch": 4, "base_lrs": [1e-3]},
            "epoch": 4,
            "step": 1000,
        },
        "dtypes": {name: (g.random((3, 2)) * 100).astype(name) for name in DTYPES},
        "scalars": [None, True, 0, -1, 2**127 + 1, 1.5, math.nan, -math.inf, "", "ünïcode", np.float64(2.0)],
        "empty": {},
    }


# --------------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------------


@st.composite
def arrays(draw, dtypes=DTYPES):
    """Arrays of every allowed dtype and byte order, 0 to 4 dimensions, contiguous or not."""
    array = draw(
        hnp.arrays(
            np.dtype(draw(st.sampled_from(dtypes))), hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)
        )
    )
    if draw(st.booleans()):
        array = array.astype(array.dtype.newbyteorder(">"))
    layout = draw(st.sampled_from(["contiguous", "transposed", "reversed"]))
    if layout == "transposed":
        array = array.T
    elif layout == "reversed" and array.ndim:
        array = array[::-1]
    return array


leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**130), 2**130)
    | st.floats()
    | st.text()
    | arrays()
    | arrays([d for d in DTYPES if "complex" not in d]).map(Tensor)
)
structures = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=8) | st.integers(), children, max_size=4)
    ),
    max_leaves=12,
)


@given(structures)
def test_round_trip_is_bit_identical(obj):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "ckpt.mg")
        save(obj, path)
        assert_same(load(path), obj)


def test_round_trip_of_a_training_state(tmp_path):
    obj = real_checkpoints()
    save(obj, tmp_path / "ckpt.mg")
    loaded = load(str(tmp_path / "ckpt.mg"))
    assert_same(loaded, obj)
    assert list(loaded["training"]["model"]) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0"]
    assert loaded["training"]["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)


def test_loaded_arrays_are_native_writable_and_independent(tmp_path):
    big_endian = np.arange(12, dtype=">i4").reshape(3, 4)[:, ::2]  # non-contiguous too
    save({"a": big_endian, "b": np.zeros(3)}, tmp_path / "ckpt.mg")
    loaded = load(tmp_path / "ckpt.mg")
    assert loaded["a"].dtype == np.dtype("int32") and loaded["a"].dtype.isnative
    assert loaded["a"].flags.c_contiguous and loaded["a"].flags.writeable
    np.testing.assert_array_equal(loaded["a"], [[0, 2], [4, 6], [8, 10]])
    loaded["a"][...] = 7
    assert not loaded["b"].any()


def test_tensors_and_numpy_scalars_load_as_arrays(tmp_path):
    save({"w": minigrad.tensor([1.0, 2.0], requires_grad=True), "s": np.int16(-3)}, tmp_path / "ckpt.mg")
    loaded = load(tmp_path / "ckpt.mg")
    assert type(loaded["w"]) is np.ndarray and loaded["w"].dtype == np.float32
    assert type(loaded["s"]) is np.ndarray and loaded["s"].shape == () and loaded["s"] == -3


def test_saved_arrays_are_aligned_as_documented(tmp_path):
    save([np.ones(3, np.int8), np.ones((), np.float64), np.ones(5, np.float16)], tmp_path / "ckpt.mg")
    blob = (tmp_path / "ckpt.mg").read_bytes()
    start, length = data_section(blob)
    assert blob[:12] == MAGIC + struct.pack("<I", 1) and start % 64 == 0 and len(blob) == start + length + 32
    header = json.loads(blob[28 : 28 + struct.unpack_from("<Q", blob, 12)[0]])
    assert [node["array"]["offset"] for node in header["root"]["list"]] == [0, 64, 128]


@pytest.mark.parametrize(
    "bad, message",
    [
        ({1, 2}, "a set is not one of"),
        ([1, 2j], r"obj\[1\]: a complex"),
        ({"a": object()}, r"obj\['a'\]: a object"),
        (b"bytes", "a bytes"),
        (np.array([None]), "dtype object"),
        (np.array(["text"]), "dtype <U4"),
        (np.ones(2, np.longdouble) if np.dtype(np.longdouble).itemsize > 8 else np.ones(2, "M8[s]"), "dtype"),
        ({(1, 2): 3}, r"key \(1, 2\) is not a str or an int"),
        ({True: 3}, "key True is not a str or an int"),
    ],
)
def test_save_refuses_unsupported_objects_and_writes_nothing(tmp_path, bad, message):
    path = tmp_path / "ckpt.mg"
    save({"epoch": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=message):
        save({"state": {"x": bad}} if isinstance(bad, np.ndarray) else bad, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.mg"]


def test_unsupported_objects_come_with_what_to_save_instead(tmp_path):
    cases = [
        ({"tags": {"a", "b"}}, r"obj\['tags'\]: a set .*save a list of it instead"),
        (frozenset(), "a frozenset .*save a list of it instead"),
        ([1, 2j], r"obj\[1\]: a complex .*np\.complex128\(value\)"),
        (bytearray(b"ab"), r"a bytearray .*np\.frombuffer\(value, np\.uint8\)"),
        ({1.5: "x"}, r"key 1\.5 is not a str or an int; convert the keys"),
        ({None: "x"}, "key None is not a str or an int"),
        ({np.int64(3): "x"}, r"key (np\.int64\()?3\)? is not a str or an int"),
    ]
    for bad, message in cases:
        with pytest.raises(TypeError, match=message):
            save(bad, tmp_path / "ckpt.mg")
    assert os.listdir(tmp_path) == []


def test_tensors_save_their_values_whatever_their_graph(tmp_path):
    leaf = minigrad.tensor([1.0, -2.0], requires_grad=True)
    non_leaf = (leaf * 3).sum()
    save({"leaf": leaf, "non_leaf": non_leaf, "half": np.float16([0.5, 65504])}, tmp_path / "ckpt.mg")
    loaded = load(tmp_path / "ckpt.mg")
    assert_same(loaded, {"leaf": leaf.data, "non_leaf": non_leaf.data, "half": np.float16([0.5, 65504])})


def test_strings_with_lone_surrogates_round_trip(tmp_path):
    """os.fsdecode turns a non-UTF-8 file name into such a str: it must survive a checkpoint."""
    name = os.fsdecode(b"data-\xff\xfe.txt")
    assert name == "data-\udcff\udcfe.txt"
    obj = {"path": name, name: [name, "\ud800", "ünï\U0001f600"], "\udfff": 1}
    save(obj, tmp_path / "ckpt.mg")
    assert load(tmp_path / "ckpt.mg") == obj
    header = (tmp_path / "ckpt.mg").read_bytes()[28:]
    assert header[: header.index(b"\x00")].isascii()  # every non-ASCII character is a \\u escape


def nested(depth: int, kinds=("list",)) -> object:
    """``depth`` containers inside one another, cycling through ``kinds``; the innermost holds 1."""
    obj = 1
    for level in range(depth):
        kind = kinds[level % len(kinds)]
        obj = [obj] if kind == "list" else (obj,) if kind == "tuple" else {"k": obj}
    return obj


def test_nesting_up_to_max_depth_round_trips(tmp_path):
    obj = nested(MAX_DEPTH, ("list", "tuple", "dict"))
    save(obj, tmp_path / "ckpt.mg")
    assert load(tmp_path / "ckpt.mg") == obj


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 600, 5000])
def test_deeper_nesting_is_refused_on_save_with_where(tmp_path, depth):
    with pytest.raises(ValueError, match=r"cannot save obj\['k'\]\[0\].*: lists, tuples and dicts nest more than 100"):
        save({"k": nested(depth - 1)}, tmp_path / "ckpt.mg")
    assert os.listdir(tmp_path) == []


def test_a_header_over_the_limit_is_refused_on_save_and_on_load(tmp_path, monkeypatch):
    monkeypatch.setattr(serialization.writer, "MAX_HEADER_NBYTES", 1000)
    monkeypatch.setattr(serialization.reader, "MAX_HEADER_NBYTES", 1000)
    with pytest.raises(ValueError, match="needs a 10.*-byte header, more than the 1000 .* NumPy arrays"):
        save({"text": "x" * 1000}, tmp_path / "ckpt.mg")
    assert os.listdir(tmp_path) == []
    refused(tmp_path / "ckpt.mg", craft({"root": "x" * 1000}), "announces a 10..-byte header, more than the 1000")


def test_save_to_a_directory_says_to_give_a_file_name(tmp_path):
    (tmp_path / "runs").mkdir()
    with pytest.raises(IsADirectoryError, match=r"it is a directory; give a file name, e\.g\. '.*runs/checkpoint\.mg'"):
        save({}, tmp_path / "runs")
    assert os.listdir(tmp_path / "runs") == [] and os.listdir(tmp_path) == ["runs"]


def test_save_into_a_read_only_directory_says_so(tmp_path, monkeypatch):
    real_open = os.open

    def refuse_new_files(path, flags, *args):
        if flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refuse_new_files)  # as a read-only directory does (root ignores chmod)
    with pytest.raises(PermissionError, match=r"cannot save to '.*ckpt\.mg': the directory '.*' is not writable"):
        save({"epoch": 1}, tmp_path / "ckpt.mg")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []
    if hasattr(os, "geteuid") and os.geteuid() != 0:  # the real thing, where permissions bind
        os.chmod(tmp_path, 0o500)
        try:
            with pytest.raises(PermissionError, match="is not writable"):
                save({"epoch": 1}, tmp_path / "ckpt.mg")
        finally:
            os.chmod(tmp_path, 0o700)


def test_save_refuses_a_structure_that_contains_itself(tmp_path):
    loop = [1]
    loop.append({"again": loop})
    with pytest.raises(ValueError, match="contains itself"):
        save(loop, tmp_path / "ckpt.mg")
    shared = [1.0]
    save([shared, shared], tmp_path / "ckpt.mg")  # shared, not cyclic: saved twice
    assert load(tmp_path / "ckpt.mg") == [[1.0], [1.0]]


def test_save_refuses_a_missing_directory_and_a_huge_int(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"the directory .* does not exist"):
        save({}, tmp_path / "missing" / "ckpt.mg")
    with pytest.raises(ValueError, match=r"obj\['big'\]: an int of 14001 bits"):
        save({"big": 2**14_000}, tmp_path / "ckpt.mg")
    save({"big": -(2**14_000 - 1)}, tmp_path / "ckpt.mg")
    assert load(tmp_path / "ckpt.mg") == {"big": -(2**14_000 - 1)}
    assert os.listdir(tmp_path) == ["ckpt.mg"]


def test_saved_file_has_the_permissions_open_would_give(tmp_path):
    save({}, tmp_path / "ckpt.mg")
    (tmp_path / "plain").write_bytes(b"")
    assert os.stat(tmp_path / "ckpt.mg").st_mode == os.stat(tmp_path / "plain").st_mode


def test_rng_state_round_trip_reproduces_the_same_draws(tmp_path):
    minigrad.manual_seed(1234)
    minigrad.randn(7)
    state = minigrad.get_rng_state()
    assert max(state["state"], state["inc"]) >= 2**64  # 128-bit ints, beyond int64 and float64
    save({"rng": state, "epoch": 3}, tmp_path / "ckpt.mg")
    expected = minigrad.randn(5, 3).data.copy()
    minigrad.manual_seed(99)
    minigrad.set_rng_state(load(tmp_path / "ckpt.mg")["rng"])
    np.testing.assert_array_equal(minigrad.randn(5, 3).data, expected)

    generator = minigrad.Generator(5)
    save(generator.get_state(), tmp_path / "gen.mg")
    expected = minigrad.rand(4, generator=generator).data.copy()
    restored = minigrad.Generator()
    restored.set_state(load(tmp_path / "gen.mg"))
    np.testing.assert_array_equal(minigrad.rand(4, generator=restored).data, expected)


# --------------------------------------------------------------------------------------------------
# Atomic saves
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["write", "interrupt", "fsync", "replace"])
def test_a_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch, failure):
    path = tmp_path / "ckpt.mg"
    old = {"epoch": 1, "w": np.arange(1000.0)}
    save(old, path)
    before = path.read_bytes()
    error = KeyboardInterrupt if failure == "interrupt" else OSError
    if failure in ("write", "interrupt"):
        write_chunk, calls = serialization.writer._write_chunk, []

        def fail_midway(f, digest, chunk):
            calls.append(chunk)
            if len(calls) == 3:  # after the prefix and header, before the array: a half-written temp file
                assert len(os.listdir(tmp_path)) == 2
                raise error("disk full")
            write_chunk(f, digest, chunk)

        monkeypatch.setattr(serialization.writer, "_write_chunk", fail_midway)
    else:

        def fail(*args):
            raise OSError("disk full")

        monkeypatch.setattr(os, failure, fail)
    with pytest.raises(error, match="disk full"):
        save({"epoch": 2, "w": np.zeros(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.mg"]  # no temporary file left behind
    assert_same(load(path), old)


CRASH_MID_SAVE = """
import os, sys
import numpy as np
from minigrad import serialization

write_chunk = serialization.writer._write_chunk

def crash_at_the_array(f, digest, chunk):
    if len(chunk) > 1000:  # the array's bytes: the prefix and header are written, the rest never is
        f.flush()
        os._exit(3)  # as a killed process: no cleanup, no exception handlers
    write_chunk(f, digest, chunk)

serialization.writer._write_chunk = crash_at_the_array
serialization.save({"epoch": 2, "w": np.zeros(1000)}, sys.argv[1])
"""


def temporaries(directory) -> list:
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


def age(path, seconds: float) -> None:
    """Make ``path`` look last written ``seconds`` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def test_a_save_killed_midway_leaves_a_temporary_file_that_the_next_save_removes(tmp_path):
    path = tmp_path / "ckpt.mg"
    save({"epoch": 1}, path)
    crashed = subprocess.run([sys.executable, "-c", CRASH_MID_SAVE, str(path)], capture_output=True, timeout=60)
    assert crashed.returncode == 3, crashed.stderr.decode()
    [leftover] = temporaries(tmp_path)
    assert re.fullmatch(r"\.ckpt\.mg\.[0-9a-f]{12}\.tmp", leftover)
    assert (tmp_path / leftover).read_bytes().startswith(MAGIC)
    assert load(path) == {"epoch": 1}  # the previous checkpoint is whole

    save({"epoch": 2}, path)  # just after the crash: the file is too fresh to be taken for abandoned
    assert temporaries(tmp_path) == [leftover]
    age(tmp_path / leftover, 60)
    save({"epoch": 3}, path)
    assert temporaries(tmp_path) == [] and load(path) == {"epoch": 3}


def test_only_our_own_abandoned_temporary_files_are_removed(tmp_path):
    path = tmp_path / "ckpt.mg"
    hex12 = "0123456789ab"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "target").write_bytes(MAGIC + b"precious")
    files = {
        f".ckpt.mg.{hex12}.tmp": MAGIC + bytes(20),  # ours, abandoned: removed
        ".ckpt.mg.aaaaaaaaaaaa.tmp": b"",  # ours, killed before its first write: removed
        f".ckpt.mg.{hex12[:-1]}.tmp": MAGIC,  # one hex digit short: not a name save gives
        f".ckpt.mg.{hex12.upper()}.tmp": MAGIC,  # save writes lowercase hex
        f".other.mg.{hex12}.tmp": MAGIC,  # another checkpoint's: left for its own next save
        f"ckpt.mg.{hex12}.tmp": MAGIC,  # no leading dot
        f".ckpt.mg.{hex12}.tmp.bak": MAGIC,
        ".ckpt.mg.bbbbbbbbbbbb.tmp": b"not written by save",  # our name, not our content
        ".ckpt.mg.cccccccccccc.tmp": MAGIC[:5],  # (part of) our magic: removed
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    (tmp_path / ".ckpt.mg.dddddddddddd.tmp").mkdir()  # a directory with our name
    (tmp_path / ".ckpt.mg.eeeeeeeeeeee.tmp").symlink_to(tmp_path / "elsewhere" / "target")  # a symlink
    for name in os.listdir(tmp_path):
        age(tmp_path / name, 3600)
    save({"epoch": 1}, path)
    removed = {f".ckpt.mg.{hex12}.tmp", ".ckpt.mg.aaaaaaaaaaaa.tmp", ".ckpt.mg.cccccccccccc.tmp"}
    assert (
        set(os.listdir(tmp_path))
        == (set(files) | {"ckpt.mg", "elsewhere", ".ckpt.mg.dddddddddddd.tmp"} | {".ckpt.mg.eeeeeeeeeeee.tmp"})
        - removed
    )
    assert (tmp_path / "elsewhere" / "target").read_bytes() == MAGIC + b"precious"
    for name in set(files) - removed:
        assert (tmp_path / name).read_bytes() == files[name]


@pytest.mark.skipif(fcntl is None, reason="file locks are POSIX")
def test_a_temporary_file_that_a_save_in_progress_holds_is_left_alone(tmp_path):
    """However old it looks: a save in progress (here, paused) holds a lock on its temporary file."""
    tmp = tmp_path / ".ckpt.mg.0123456789ab.tmp"
    tmp.write_bytes(MAGIC)
    age(tmp, 3600)
    with open(tmp, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        save({"epoch": 1}, tmp_path / "ckpt.mg")
        assert tmp.exists()
    save({"epoch": 2}, tmp_path / "ckpt.mg")  # released: now it is abandoned
    assert not tmp.exists()


def test_save_replaces_an_existing_checkpoint(tmp_path):
    save({"epoch": 1}, tmp_path / "ckpt.mg")
    save({"epoch": 2}, tmp_path / "ckpt.mg")
    assert load(tmp_path / "ckpt.mg") == {"epoch": 2}
    assert os.listdir(tmp_path) == ["ckpt.mg"]


# --------------------------------------------------------------------------------------------------
# Refusals: each kind of bad file, with a message that names the file
# --------------------------------------------------------------------------------------------------


def test_crafted_files_follow_the_documented_format(tmp_path):
    data = np.array([1.5, -2.0], "<f4").tobytes()
    header = {"root": {"dict": [["w", array_node()], [{"int": "7"}, None]]}}
    (tmp_path / "ok.mg").write_bytes(craft(header, data))
    assert_same(load(tmp_path / "ok.mg"), {"w": np.array([1.5, -2.0], np.float32), 7: None})


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.mg"):
        load(tmp_path / "nope.mg")


def test_truncated_file(tmp_path):
    save(real_checkpoints()["training"], tmp_path / "full.mg")
    blob = (tmp_path / "full.mg").read_bytes()
    for cut in [5, 27, 40, len(blob) // 2, len(blob) - 1]:
        refused(tmp_path / "cut.mg", blob[:cut], "truncated")
    refused(tmp_path / "cut.mg", b"", r"the file is empty \(0 bytes\), not a minigrad checkpoint")


@pytest.mark.parametrize(
    "blob",
    [
        b"PK\x03\x04 a zip file, not ours " * 4,
        b"\x93NUMPY\x01\x00" + bytes(100),
        craft({"root": None}, magic=b"MINIGRAF"),
    ],
)
def test_wrong_magic(tmp_path, blob):
    refused(tmp_path / "ckpt.mg", blob, "not a minigrad checkpoint")


def test_unsupported_version(tmp_path):
    refused(tmp_path / "ckpt.mg", craft({"root": None}, version=2), "unsupported format version 2.*upgrade minigrad")
    refused(tmp_path / "ckpt.mg", craft({"root": None}, version=0), "unsupported format version 0.*corrupted")


def test_a_corrupted_header_is_reported_as_corruption(tmp_path):
    """A flipped bit in the header breaks its JSON too, but the checksum is what names the problem."""
    save({"epoch": 1, "w": np.ones(3)}, tmp_path / "ckpt.mg")
    blob = bytearray((tmp_path / "ckpt.mg").read_bytes())
    blob[28] ^= ord("{") ^ ord("!")  # the header's opening brace
    refused(tmp_path / "ckpt.mg", bytes(blob), "checksum mismatch")


def test_every_truncation_and_every_single_byte_change_of_a_small_checkpoint_is_refused(tmp_path):
    path = tmp_path / "ckpt.mg"
    save({"w": np.arange(3.0), "epoch": 7, "name": "run"}, path)
    blob = path.read_bytes()
    for cut in range(len(blob)):
        assert re.search("the file is empty|the file is truncated", refusal(tmp_path, blob[:cut])), f"cut at {cut}"
    for position in range(len(blob)):
        for flip in (0x01, 0x80, 0xFF):
            damaged = bytearray(blob)
            damaged[position] ^= flip
            assert refusal(tmp_path, bytes(damaged)), f"byte {position} ^ {flip:#x}"


# --------------------------------------------------------------------------------------------------
# Refusals before reading: what is not a checkpoint is never read whole
# --------------------------------------------------------------------------------------------------


def load_in_a_thread(path, seconds: float = 10.0) -> BaseException:
    """What ``load(path)`` raises; fails (instead of hanging the suite) if it has not returned in ``seconds``."""
    outcome = []

    def run():
        try:
            load(path)
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"load({path!r}) did not return within {seconds} s"
    assert outcome[0] is not None, f"load({path!r}) returned something"
    return outcome[0]


def test_a_directory_is_refused(tmp_path):
    error = load_in_a_thread(tmp_path)
    assert isinstance(error, CheckpointError)
    assert str(tmp_path) in str(error) and "it is a directory, not a minigrad checkpoint file" in str(error)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    error = load_in_a_thread(fifo)
    assert isinstance(error, CheckpointError) and "named pipe (FIFO), not a minigrad checkpoint" in str(error)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused_without_reading_them(device):
    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist here")
    error = load_in_a_thread(device)
    assert isinstance(error, CheckpointError)
    assert device in str(error) and "character device" in str(error) and "not a minigrad checkpoint" in str(error)


def npy_bytes() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.arange(4.0))
    return buffer.getvalue()


def zip_bytes() -> bytes:
    """A zip archive laid out as torch.save writes one (archive/data.pkl, archive/data/0, ...)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"weight": 0}))
        archive.writestr("archive/data/0", bytes(16))
    return buffer.getvalue()


@pytest.mark.parametrize(
    "blob, what",
    [
        (json.dumps({"root": {"list": []}}).encode(), "it looks like JSON text"),
        (b"\n  [1, 2, 3]\n", "it looks like JSON text"),
        (zip_bytes(), "it is a zip archive, such as PyTorch's torch.save"),
        (npy_bytes(), r"it is a NumPy \.npy file \(load it with numpy\.load"),
        (pickle.dumps({"a": 1}), "it is a Python pickle, which minigrad never loads"),
        (b"\x89HDF\r\n\x1a\n" + bytes(100), "it is an HDF5 file"),
        (b"hello, world, not a checkpoint" * 3, r"it starts with b'hello, w', not b'MINIGRAD'"),
    ],
    ids=["json", "json-array", "zip", "npy", "pickle", "hdf5", "text"],
)
def test_other_formats_are_named(tmp_path, blob, what):
    refused(tmp_path / "file", blob, "it is not a minigrad checkpoint: " + what)


def test_a_real_torch_checkpoint_is_named(tmp_path):
    torch = torch_or_skip()
    torch.save({"weight": torch.ones(3)}, tmp_path / "model.pt")
    refused(tmp_path / "model.pt", (tmp_path / "model.pt").read_bytes(), "zip archive, such as PyTorch's torch.save")


def peak_memory_of(fn) -> tuple[BaseException | None, int]:
    """(what ``fn()`` raised, or None; the peak bytes allocated while it ran, as tracemalloc counts them)."""
    tracemalloc.start()
    try:
        fn()
        error = None
    except BaseException as e:
        error = e
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return error, peak


def sparse_file(path, size: int, start: bytes = b"") -> None:
    """A file of ``size`` bytes that takes no disk space beyond ``start`` (where the filesystem is sparse)."""
    with open(path, "wb") as f:
        f.write(start)
        f.truncate(size)


def test_a_2_gib_file_that_is_not_a_checkpoint_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "data.bin"
    sparse_file(path, 2 * 2**30)
    error, peak = peak_memory_of(lambda: load(path))
    assert isinstance(error, CheckpointError) and "not a minigrad checkpoint" in str(error)
    assert peak < 2**20


@pytest.mark.parametrize(
    "header_nbytes, data_nbytes, file_size, message",
    [
        (10, 2**62, 200, r"truncated \(or its prefix corrupted\): 200 bytes"),  # a small file announcing 4 EiB
        (2**40, 0, 200, "truncated"),
        (2**30, 0, _align(28 + 2**30) + 32, "announces a 1073741824-byte header, more than the 67108864"),
    ],
    ids=["huge-data", "huge-header", "huge-header-of-the-right-size"],
)
def test_announced_sizes_are_checked_before_anything_is_read(tmp_path, header_nbytes, data_nbytes, file_size, message):
    path = tmp_path / "ckpt.mg"
    sparse_file(path, file_size, struct.pack("<8sIQQ", MAGIC, 1, header_nbytes, data_nbytes))
    error, peak = peak_memory_of(lambda: load(path))
    assert isinstance(error, CheckpointError) and re.search(message, str(error)), error
    assert peak < 2**20


def test_loading_holds_one_copy_of_the_arrays(tmp_path):
    """The file is never held whole: peak memory is the arrays themselves (+ a little), not twice them."""
    arrays = {f"w{i}": np.full((256, 1024), i, dtype=np.float32) for i in range(8)}  # 8 MiB
    save(arrays, tmp_path / "ckpt.mg")
    loaded = {}
    error, peak = peak_memory_of(lambda: loaded.update(load(tmp_path / "ckpt.mg")))
    assert error is None
    assert_same(loaded, arrays)
    assert peak < 8 * 2**20 + 2**20 + 2**16  # the arrays, one 1 MiB read buffer, the header


def test_save_copies_no_contiguous_array(tmp_path):
    big = np.ones((1024, 1024))  # 8 MiB
    error, peak = peak_memory_of(lambda: save({"big": big, "small": np.arange(3)}, tmp_path / "ckpt.mg"))
    assert error is None and peak < 2**20
    assert_same(load(tmp_path / "ckpt.mg"), {"big": big, "small": np.arange(3)})


@pytest.mark.parametrize(
    "header_bytes",
    [
        b"\xff\xfe{}",
        b'{"root": ',
        b'{"root": NaN}',
        b'{"root": null, "root": 1}',
    ],
)
def test_header_that_is_not_json(tmp_path, header_bytes):
    refused(tmp_path / "ckpt.mg", craft(header_bytes=header_bytes), "not valid UTF-8 JSON")


@pytest.mark.parametrize(
    "header, message",
    [
        ([], "must be a JSON object"),
        ({"root": None, "extra": 1}, "must be a JSON object"),
        ({"Root": None}, "must be a JSON object"),
        ({"root": 1.5}, "root is 1.5"),
        ({"root": [1]}, "root is a JSON array"),
        ({"root": {"int": 5}}, "not an int in decimal"),
        ({"root": {"int": "1_000"}}, "not an int in decimal"),
        ({"root": {"int": " 12"}}, "not an int in decimal"),
        ({"root": {"int": "9" * 5000}}, "not an int in decimal"),
        ({"root": {"float": 1.5}}, "not a float"),
        ({"root": {"float": "one"}}, "not a float"),
        ({"root": {"set": []}}, "unknown node"),
        ({"root": {"list": [], "tuple": []}}, "one-name object"),
        ({"root": {"list": {"a": None}}}, "must hold a JSON array"),
        ({"root": {"dict": "ab"}}, "must hold a JSON array"),
        ({"root": {"list": [None, {"bytes": "x"}]}}, r"root\[1\]: unknown node"),
        ({"root": {"dict": [["a"]]}}, r"\[key, node\] pair"),
        ({"root": {"dict": [[1, None]]}}, "a key of root"),
        ({"root": {"dict": [[{"float": "0x1p+0"}, None]]}}, "a key of root"),
        ({"root": {"dict": [["a", None], ["a", None]]}}, "key 'a' appears twice"),
        ({"root": {"array": {"dtype": "float32", "shape": [0], "offset": 0}}}, "exactly dtype, shape, offset"),
        ({"root": array_node(shape=[-1])}, "not a list of at most 64"),
        ({"root": array_node(shape=[True, 8])}, "not a list of at most 64"),
        ({"root": array_node(shape=[2.0])}, "not a list of at most 64"),
        ({"root": array_node(shape="2")}, "not a list of at most 64"),
        ({"root": array_node(shape=[1] * 65, nbytes=4)}, "not a list of at most 64"),
        ({"root": array_node(offset=-64)}, "offset and nbytes must be"),
        ({"root": array_node(nbytes="8")}, "offset and nbytes must be"),
        (
            {"root": {"list": [{"list": []}] * 2 + [{"list": [{"list": [{"float": None}]}]}]}},
            r"root\[2\]\[0\]\[0\]: None is not a float",
        ),
    ],
)
def test_header_with_the_wrong_structure(tmp_path, header, message):
    refused(tmp_path / "ckpt.mg", craft(header, bytes(64)), message)


def nested_lists(depth: int) -> bytes:
    """A header whose root is ``depth`` lists inside one another."""
    return b'{"root": ' + b'{"list": [' * depth + b"]}" * depth + b"}"


def test_nesting_up_to_max_depth_loads(tmp_path):
    path = tmp_path / "ckpt.mg"
    path.write_bytes(craft(header_bytes=nested_lists(MAX_DEPTH)))
    loaded = load(path)
    for _ in range(MAX_DEPTH - 1):
        [loaded] = loaded
    assert loaded == []


@pytest.mark.parametrize(
    "header_bytes, message",
    [
        (nested_lists(MAX_DEPTH + 1), r"root\[0\]\[0\].*\[0\]: lists, tuples and dicts nest more than 100 deep"),
        (nested_lists(20_000), "nested too deeply"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
    ids=["one-too-deep", "20000-deep", "brackets"],
)
def test_deeper_nesting_is_refused(tmp_path, header_bytes, message):
    refused(tmp_path / "ckpt.mg", craft(header_bytes=header_bytes), message)


@pytest.mark.parametrize(
    "node, data_nbytes",
    [
        (array_node(offset=64), 64),  # past the end
        (array_node(shape=[20], nbytes=80), 64),  # longer than the data section
        (array_node(offset=8), 128),  # not aligned
        (array_node(offset=2**64), 64),
    ],
)
def test_array_outside_the_data_section(tmp_path, node, data_nbytes):
    refused(tmp_path / "ckpt.mg", craft({"root": node}, bytes(data_nbytes)), "data section")


def test_overlapping_arrays(tmp_path):
    header = {"root": {"list": [array_node(shape=[32], nbytes=128), array_node(offset=64)]}}
    refused(tmp_path / "ckpt.mg", craft(header, bytes(256)), r"root\[0\] and root\[1\] overlap")


def test_arrays_claiming_more_than_the_data_section_are_refused_before_allocation(tmp_path):
    """10,000 arrays that each claim the whole 1 MiB data section would be 10 GB: refused at the second."""
    node = array_node("uint8", [2**20], 0, 2**20)
    path = tmp_path / "ckpt.mg"
    path.write_bytes(craft({"root": {"list": [node] * 10_000}}, bytes(2**20)))
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=r"arrays up to root\[1\] claim more bytes than the data section"):
            load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20  # the parsed header and one array, not 10 GB


@pytest.mark.parametrize("node", [array_node(shape=[3]), array_node(dtype="float64"), array_node(shape=[])])
def test_shape_and_nbytes_disagree(tmp_path, node):
    refused(tmp_path / "ckpt.mg", craft({"root": node}, bytes(64)), "bytes, but nbytes is 8")


@pytest.mark.parametrize("dtype", ["object", "O", "|O", "float128", "<f4", "f4", "str", "V8", "M8", 5, None])
def test_unknown_or_object_dtype(tmp_path, dtype):
    refused(tmp_path / "ckpt.mg", craft({"root": array_node(dtype=dtype)}, bytes(64)), "is not one of")


def test_bool_array_with_bytes_other_than_0_and_1(tmp_path):
    refused(tmp_path / "ckpt.mg", craft({"root": array_node("bool", [2], 0, 2)}, b"\x01\x02"), "bool array")


def test_shape_numpy_cannot_make(tmp_path):
    node = array_node(shape=[0, 2**40, 2**40], nbytes=0)
    refused(tmp_path / "ckpt.mg", craft({"root": node}), "not a valid NumPy shape")


def test_checksum_mismatch(tmp_path):
    save({"w": np.arange(100.0)}, tmp_path / "ckpt.mg")
    blob = bytearray((tmp_path / "ckpt.mg").read_bytes())
    blob[data_section(blob)[0] + 17] ^= 0x01  # a single bit of one float
    refused(tmp_path / "ckpt.mg", bytes(blob), "checksum mismatch")
    refused(tmp_path / "ckpt.mg", craft({"root": None}, checksum=False), "checksum mismatch")


def test_trailing_garbage(tmp_path):
    save({"epoch": 1}, tmp_path / "ckpt.mg")
    blob = (tmp_path / "ckpt.mg").read_bytes()
    refused(tmp_path / "ckpt.mg", blob + b"\x00", "trailing garbage")
    refused(tmp_path / "ckpt.mg", blob + blob, "trailing garbage")


# --------------------------------------------------------------------------------------------------
# No code runs on load
# --------------------------------------------------------------------------------------------------

RAN = []


class Payload:
    """An object whose unpickling calls RAN.append: if RAN is ever non-empty, code ran on load."""

    def __reduce__(self):
        return (RAN.append, ("code ran",))


def test_no_code_runs_on_load(tmp_path):
    payload = pickle.dumps(Payload())
    refused(tmp_path / "raw.pkl", payload, "not a minigrad checkpoint")
    np.save(tmp_path / "object.npy", np.array([Payload()], dtype=object), allow_pickle=True)
    refused(tmp_path / "object.npy", (tmp_path / "object.npy").read_bytes(), "not a minigrad checkpoint")
    node = array_node(dtype="object", shape=[1], nbytes=len(payload))
    refused(tmp_path / "object.mg", craft({"root": node}, payload), "dtype 'object' is not one of")
    (tmp_path / "text.mg").write_bytes(craft({"root": {"list": [payload.hex(), "__reduce__"]}}))
    assert load(tmp_path / "text.mg") == [payload.hex(), "__reduce__"]  # just strings
    assert RAN == []


def test_the_module_has_no_way_to_run_code():
    modules = (serialization, serialization.format, serialization.reader, serialization.writer)
    tree = ast.parse("\n".join(inspect.getsource(module) for module in modules))
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    imported = {alias.name for node in imports for alias in node.names}
    imported |= {node.module for node in imports if isinstance(node, ast.ImportFrom)}
    assert not imported & {"pickle", "cPickle", "dill", "marshal", "shelve", "joblib"}
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    keywords = {node.arg for node in ast.walk(tree) if isinstance(node, ast.keyword)}
    assert not names & {"eval", "exec", "compile", "__import__"}
    assert not calls & {"np.load", "np.fromfile", "pickle.loads"}
    assert "json.loads" in calls and "allow_pickle" not in keywords


# --------------------------------------------------------------------------------------------------
# Fuzz: a damaged checkpoint loads identically or is refused, never anything else
# --------------------------------------------------------------------------------------------------


def load_or_refuse(directory, blob: bytes):
    """What ``load`` gives for a file holding ``blob``, or None when it raises CheckpointError (any other
    exception fails the test). Each blob goes to a new file: rewriting one file in place makes some
    filesystems (ext4) flush it to disk every time, which is a hundred times slower."""
    path = directory / f"variant-{next(_VARIANTS)}.mg"
    path.write_bytes(blob)
    try:
        return load(path)
    except CheckpointError as e:
        assert str(path) in str(e)
        return None
    finally:
        path.unlink()


_VARIANTS = itertools.count()


def refusal(directory, blob: bytes) -> str:
    """The message of the CheckpointError that loading ``blob`` raises (the test fails if it loads)."""
    path = directory / f"variant-{next(_VARIANTS)}.mg"
    path.write_bytes(blob)
    try:
        with pytest.raises(CheckpointError) as info:
            load(path)
    finally:
        path.unlink()
    assert str(path) in str(info.value)
    return str(info.value)


@pytest.mark.parametrize("name", ["training", "dtypes", "scalars", "empty"])
def test_damaged_checkpoints_are_refused_or_identical(tmp_path, name):
    original = real_checkpoints()[name]
    path = tmp_path / "ckpt.mg"
    save(original, path)
    blob = path.read_bytes()
    start, length = data_section(blob)
    regions = [(0, 28), (28, start), (start, start + length), (0, len(blob))]  # prefix, header, data, any
    variants = [blob[: len(blob) * k // 20] for k in range(20)] + [blob[:-1]]
    for seed in range(250):
        rng = random.Random(seed)
        for low, high in regions:
            if high > low:
                damaged = bytearray(blob)
                for _ in range(rng.randint(1, 4)):
                    damaged[rng.randrange(low, high)] ^= rng.randint(1, 255)
                variants.append(bytes(damaged))
    for damaged in variants:
        loaded = load_or_refuse(tmp_path, damaged)
        if loaded is not None or damaged == blob:
            assert_same(loaded, original)


@pytest.mark.parametrize("name", ["training", "dtypes", "scalars"])
def test_damaged_headers_with_a_valid_checksum_never_crash_the_parser(tmp_path, name):
    """A hostile file can carry a correct checksum: the header checks alone must hold, whatever the bytes."""
    path = tmp_path / "ckpt.mg"
    save(real_checkpoints()[name], path)
    blob = path.read_bytes()
    start, _ = data_section(blob)
    for seed in range(1000):
        rng = random.Random(seed)
        damaged = bytearray(blob[:-32])
        for _ in range(rng.randint(1, 3)):
            position = rng.randrange(8, start)  # the version, lengths and header
            damaged[position] = rng.choice([rng.randrange(256), *b'{}[]",:0123456789-'])
        loaded = load_or_refuse(tmp_path, bytes(damaged) + hashlib.sha256(damaged).digest())
        for leaf in _leaves(loaded) if loaded is not None else []:
            assert not isinstance(leaf, np.ndarray) or leaf.dtype.name in DTYPES


def _leaves(obj):
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, list | tuple):
        return [leaf for item in obj for leaf in _leaves(item)]
    return [obj]


# --------------------------------------------------------------------------------------------------
# A whole training state: resuming from a checkpoint continues the run bit for bit
# --------------------------------------------------------------------------------------------------


def test_resuming_from_a_checkpoint_reproduces_the_uninterrupted_run(tmp_path):
    from minigrad import nn, optim

    def build():
        model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 1))
        optimizer = optim.Adam(model.parameters(), lr=0.05)
        return model, optimizer, optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

    def train(model, optimizer, scheduler, steps):
        for _ in range(steps):
            x = minigrad.randn(16, 3)  # the data and dropout draw from the global generator
            optimizer.zero_grad()
            nn.MSELoss()(model(x), x.sum(axis=1, keepdims=True)).backward()
            optimizer.step()
            scheduler.step()

    minigrad.manual_seed(0)
    model, optimizer, scheduler = build()
    train(model, optimizer, scheduler, 3)
    save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": minigrad.get_rng_state(),
            "step": 3,
        },
        tmp_path / "ckpt.mg",
    )
    train(model, optimizer, scheduler, 4)
    expected = [p.data.copy() for p in model.parameters()]

    minigrad.manual_seed(123)
    model, optimizer, scheduler = build()
    checkpoint = load(tmp_path / "ckpt.mg")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    minigrad.set_rng_state(checkpoint["rng"])
    train(model, optimizer, scheduler, 4)
    for p, e in zip(model.parameters(), expected, strict=True):
        assert p.data.tobytes() == e.tobytes()
