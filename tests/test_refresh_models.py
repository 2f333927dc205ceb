"""scripts/refresh_models.py, offline, on a small stored sample of models.dev's JSON."""

from __future__ import annotations

import dataclasses
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
    assert "~ glm-5.2.context_window: catalogue 1048576, models.dev 1000000" in lines
    assert any(line.startswith("+ glm-5.4-preview:") for line in lines)
    assert (
        "~ glm-4.6v.inputs: catalogue ['image', 'pdf', 'text', 'video'], models.dev ['image', 'text', 'video']"
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


def test_the_script_speaks_the_catalogues_vocabulary() -> None:
    """What the script compares and prints for a new model are ModelSpec's field names, so a
    ``+`` line's facts paste into data/models.json (and register_model) as they are."""
    from glm_transport import models

    script = _script()
    fields = {f.name for f in dataclasses.fields(models.ModelSpec)} - {"name", "known"}
    sample = json.loads(SAMPLE.read_text())
    for model in script.glm_models(sample).values():
        facts = script.facts_of(model)
        assert set(facts) <= fields
        known = {k: v for k, v in facts.items() if v is not None}
        models._spec("glm-pasted", {"context_window": 1, "max_output_tokens": 1, **known})
