"""The benchmark suite runs (its figures are not asserted: benchmarks are not timed tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_suite_runs_end_to_end() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| invoke, per call | ChatGLM" in proc.stdout
    assert "ChatOpenAI" in proc.stdout and "OpenAILike" in proc.stdout
    assert "figures," in proc.stdout
