"""The code in the guides runs: every ```python block of the listed documents is executed.

Blocks run in order in one namespace per document (later blocks use names defined
earlier, as a reader would). Blocks fenced with extra words (```python tensorflow)
show code of another library and are skipped. A `print(...)` line that ends with a
comment states what it prints: the comment is compared with the printed line.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The guides and the README: their python blocks run.
DOCUMENTS = [
    doc for doc in ("docs/migration.md", "README.md") if (ROOT / doc).exists()
]
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.S | re.M)


def python_blocks(text: str) -> list[str]:
    return [body for info, body in FENCE.findall(text) if info.strip() == "python"]


def expected_prints(block: str) -> list[str]:
    """The trailing comments of single-line `print(...)  # expected` statements."""
    found = []
    for line in block.splitlines():
        match = re.match(r"\s*print\(.*\)\s+#\s(.+)$", line)
        if match:
            found.append(match.group(1).strip())
    return found


def test_fence_parser_finds_and_skips_blocks():
    text = (
        "a\n```python\nx = 1\n```\n```python tensorflow\nimport tf\n```\n"
        "```python\nprint(x)  # 1\n```\n"
    )
    blocks = python_blocks(text)
    assert blocks == ["x = 1\n", "print(x)  # 1\n"]
    assert expected_prints(blocks[1]) == ["1"]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_document_code_runs(document, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    blocks = python_blocks((ROOT / document).read_text())
    assert blocks, f"{document} has no python blocks"
    namespace: dict = {"__name__": "__doc_snippets__"}
    for index, block in enumerate(blocks):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(block, f"{document}[block {index}]", "exec"), namespace)
            except Exception as err:  # pragma: no cover - the message is the point
                pytest.fail(f"{document}, python block {index} failed: {err!r}\n{block}")
        printed = [line.strip() for line in out.getvalue().splitlines()]
        expected = expected_prints(block)
        if expected:
            assert printed[-len(expected):] == expected, (
                f"{document}, python block {index} printed {printed}, the comments say {expected}"
            )
