"""scripts/refresh_models.py, offline, on a small stored sample of models.dev's JSON."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "models_dev_sample.json"


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "refresh_models", ROOT / "scripts" / "refresh_models.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_differences_against_the_sample() -> None:
    script = _script()
    catalogue = json.loads(script.CATALOGUE.read_text())
    lines = script.differences(catalogue, json.loads(SAMPLE.read_text()))
    assert "~ glm-5.2.context: catalogue 1048576, models.dev 1000000" in lines
    assert any(line.startswith("+ glm-5.4-preview:") for line in lines)
    assert (
        "~ glm-4.6v.input: catalogue ['image', 'pdf', 'text', 'video'], models.dev ['image', 'text', 'video']"
        in lines
    )
    assert not any("glm-5.3." in line for line in lines)  # agrees
    assert not any("cogview" in line for line in lines)  # not a GLM chat model


def test_the_wrapped_form_and_the_command_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = _script()
    wrapped = tmp_path / "api.json"
    wrapped.write_text(json.dumps({"providers": json.loads(SAMPLE.read_text())}))
    assert script.main([str(wrapped)]) == 0
    assert "glm-5.4-preview" in capsys.readouterr().out
