"""The tutorials in docs/ and the README run, and print what they say they print.

Every ```python block of a file executes, in order, in one namespace. A ```text block shows output: what
the python blocks since the previous ```text block printed must contain its lines, in order (numbers
may differ in their last printed digit, and values below 1e-9 — float64 rounding — are all alike).
A block whose first line is ``# not run`` is skipped (for pseudo-code). Blocks run in a temporary
working directory, so files a tutorial writes do not land in the repository.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
FENCE = re.compile(r"^```(python|text)\n(.*?)^```", re.DOTALL | re.MULTILINE)
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _numbers_agree(expected: str, actual: str) -> bool:
    x, y = float(expected), float(actual)
    if abs(x) < 1e-9 and abs(y) < 1e-9:
        return True  # rounding noise: 2.8e-17 here, 5.6e-17 on another machine
    mantissa = expected.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(expected.lower().split("e")[1]) if "e" in expected.lower() else 0
    return abs(x - y) <= 1.5 * 10.0 ** (exponent - decimals)


def _lines_agree(expected: str, actual: str) -> bool:
    """The same words and spacing-insensitive layout, and numbers that agree to the last printed digit."""
    if " ".join(NUMBER.sub("#", expected).split()) != " ".join(NUMBER.sub("#", actual).split()):
        return False
    return all(_numbers_agree(e, a) for e, a in zip(NUMBER.findall(expected), NUMBER.findall(actual)))


def _check_output(expected: str, printed: str, where: str) -> None:
    actual = printed.splitlines()
    start = 0
    for line in (line for line in expected.splitlines() if line.strip()):
        for k in range(start, len(actual)):
            if _lines_agree(line, actual[k]):
                start = k + 1
                break
        else:
            raise AssertionError(f"{where}: the output shown has\n  {line}\nbut the code printed\n{printed}")


def test_there_are_tutorials():
    assert len(DOCS) >= 7, [d.name for d in DOCS]


def test_the_output_check_can_fail():
    assert _lines_agree("loss 17.252988, acc 0.95", "loss   17.252989, acc 0.95")
    assert not _lines_agree("loss 17.252988", "loss 17.252998")
    assert not _lines_agree("loss 0.033, accuracy 1.00", "loss 0.033, accuracy 0.98")
    assert not _lines_agree("loss 0.033", "error 0.033")
    assert _lines_agree("dx 5.6e-16", "dx 2.2e-16") and not _lines_agree("dx 5.6e-6", "dx 2.2e-6")
    with pytest.raises(AssertionError, match="the output shown has"):
        _check_output("a 1\nb 2", "b 2\na 1\n", "here")


@pytest.mark.parametrize("path", DOCS, ids=[d.name for d in DOCS])
def test_tutorial_runs_and_prints_what_it_shows(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = [(kind, code) for kind, code in FENCE.findall(path.read_text()) if not code.startswith("# not run")]
    assert any(kind == "python" for kind, _ in blocks), f"{path.name} has no python blocks"
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    printed = io.StringIO()
    for number, (kind, code) in enumerate(blocks, start=1):
        where = f"{path.name}, block {number}"
        if kind == "text":
            _check_output(code, printed.getvalue(), where)
            printed = io.StringIO()
            continue
        if re.search(r"^\s*import torch\b", code, re.MULTILINE) and importlib.util.find_spec("torch") is None:
            pytest.skip(f"{where} needs PyTorch, which is optional")
        try:
            with contextlib.redirect_stdout(printed):
                exec(compile(code, where, "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"{where} failed: {error!r}\n{code}") from error
