"""Every Python block in README.md runs as written (against the emulator, reached through
GLM_BASE_URL and GLM_API_KEY as the README's configuration table documents)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from glm_transport.emulator import EmulatorServer

ROOT = Path(__file__).resolve().parent.parent
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def test_the_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(glm_emulator: EmulatorServer, index: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(GLM_BASE_URL=glm_emulator.base_url, GLM_API_KEY="readme-key")
    proc = subprocess.run(
        [sys.executable, "-c", BLOCKS[index]],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip()
