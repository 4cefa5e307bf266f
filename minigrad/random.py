"""Random numbers: one global generator, seeded by ``manual_seed``, and ``Generator`` objects.

Every initialiser, ``randn``/``rand`` and dropout draw from the generator they are given, or from the
global one. Seeding it makes two runs bit-identical. The state is a dict of plain integers, so a
checkpoint can store it without pickle (``get_rng_state`` / ``set_rng_state``).

As in PyTorch, the global generator starts from a fixed seed, so a program that never seeds is
still reproducible.
"""

from __future__ import annotations

import numpy as np

_DEFAULT_SEED = 67280421310721  # PyTorch's default seed, for the same "deterministic unless told" behaviour


class Generator:
    """A random number generator (NumPy's PCG64) with PyTorch's interface.

    >>> g = Generator().manual_seed(0)
    >>> x = minigrad.randn(3, generator=g)
    """

    def __init__(self, seed: int | None = None) -> None:
        self.manual_seed(_DEFAULT_SEED if seed is None else seed)

    def manual_seed(self, seed: int) -> Generator:
        """Reset to the stream of ``seed``; returns the generator, as PyTorch's does."""
        seed = int(seed)
        if seed < 0:
            raise ValueError(f"a seed must be a non-negative integer, got {seed}")
        self._seed = seed
        self.numpy = np.random.Generator(np.random.PCG64(seed))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The generator's state as a dict of ints and strings (safe to save in a checkpoint)."""
        state = self.numpy.bit_generator.state
        return {
            "bit_generator": state["bit_generator"],
            "state": int(state["state"]["state"]),
            "inc": int(state["state"]["inc"]),
            "has_uint32": int(state["has_uint32"]),
            "uinteger": int(state["uinteger"]),
            "seed": self._seed,
        }

    def set_state(self, state: dict) -> None:
        """Restore a state from ``get_state``."""
        if state.get("bit_generator") != "PCG64":
            raise ValueError(f"not a PCG64 generator state: {state.get('bit_generator')!r}")
        self.numpy.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int(state["state"]), "inc": int(state["inc"])},
            "has_uint32": int(state["has_uint32"]),
            "uinteger": int(state["uinteger"]),
        }
        self._seed = int(state.get("seed", self._seed))


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator (every initialiser, ``randn``, ``rand`` and dropout use it)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the global generator from the operating system's entropy; returns the seed."""
    s = int(np.random.SeedSequence().entropy % (2**63))
    manual_seed(s)
    return s


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    """State of the global generator (a dict of ints; see ``Generator.get_state``)."""
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def numpy_generator(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator to draw from: the one given, or the global one."""
    if generator is None:
        return default_generator.numpy
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a minigrad.Generator, got {type(generator).__name__}")
    return generator.numpy
