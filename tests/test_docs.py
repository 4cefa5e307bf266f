"""The tutorials in docs/ run: every ```python block of a file executes, in order, in one namespace.

A block whose first line is ``# not run`` is skipped (for pseudo-code). Blocks run in a temporary
working directory, so files a tutorial writes do not land in the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = sorted((Path(__file__).resolve().parent.parent / "docs").glob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_there_are_tutorials():
    assert len(DOCS) >= 4, [d.name for d in DOCS]


@pytest.mark.parametrize("path", DOCS, ids=[d.name for d in DOCS])
def test_tutorial_runs(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = [b for b in BLOCK.findall(path.read_text()) if not b.startswith("# not run")]
    assert blocks, f"{path.name} has no python blocks"
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    for number, code in enumerate(blocks, start=1):
        try:
            exec(compile(code, f"{path.name} (block {number})", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"{path.name}, block {number} failed: {error!r}\n{code}") from error
