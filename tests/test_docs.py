"""The docs run as written: each integration page as one script (its blocks build on each
other), each migration guide "after" block on its own; against the emulator, reached through
GLM_BASE_URL and GLM_API_KEY as the README's configuration documents."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from glm_transport.emulator import EmulatorServer

DOCS = Path(__file__).resolve().parent.parent / "docs"
AFTER = re.findall(
    r"<!-- after -->\n```python\n(.*?)```", (DOCS / "migrating.md").read_text(), re.S
)
PAGES = ["langchain_integration.md", "llamaindex_integration.md"]


def _run(code: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(GLM_BASE_URL=url, GLM_API_KEY="docs-key")
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180
    )


def test_every_migration_has_a_runnable_after_block() -> None:
    assert len(AFTER) == 4


@pytest.mark.parametrize("index", range(len(AFTER)))
def test_migration_after_block_runs(glm_emulator: EmulatorServer, index: int) -> None:
    proc = _run(AFTER[index], glm_emulator.base_url)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip()


@pytest.mark.parametrize("page", PAGES)
def test_integration_page_runs(glm_emulator: EmulatorServer, page: str) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), re.S)
    assert len(blocks) >= 5
    proc = _run("\n".join(blocks), glm_emulator.base_url)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip()
