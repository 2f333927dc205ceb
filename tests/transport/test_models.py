"""models: the catalogue as data, name resolution, and the reasoning rules checked locally."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from glm_transport import PROVIDERS, ChatRequest, GLMValidationError
from glm_transport import models as M
from glm_transport.request import build_chat_body

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "name",
    [
        "glm-5.3", "glm-5.3-flash", "glm-5.2", "glm-5.1", "glm-5-turbo", "glm-5", "glm-5v-turbo",
        "glm-4.7", "glm-4.7-flash", "glm-4.7-flashx", "glm-4.6", "glm-4.6v", "glm-4.6v-flash",
        "glm-4.6v-flashx", "glm-4.5", "glm-4.5-air", "glm-4.5-x", "glm-4.5-airx",
        "glm-4.5-flash", "glm-4.5v",
    ],
)  # fmt: skip
def test_the_current_lineup_is_in_the_catalogue_with_a_source(name: str) -> None:
    spec = M.catalogue()[name]
    assert spec.context_window > 0 and spec.max_output_tokens > 0 and spec.source


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("zai/glm-5.3", "glm-5.3"),
        ("z-ai/GLM-5.3", "glm-5.3"),
        ("zhipu/glm-4.6", "glm-4.6"),
        ("glm-5.2[1m]", "glm-5.2"),
        ("z-ai/glm-5.3:batch", "glm-5.3"),
        ("glm-5.3-flash-0901", "glm-5.3-flash"),
        ("glm-4.6-0925", "glm-4.6"),
    ],
)
def test_gateway_spellings_resolve(spelling: str, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert M.model_spec(spelling).name == name


def test_an_unknown_name_gets_the_newest_limits_and_one_warning() -> None:
    with pytest.warns(UserWarning, match="'glm-6-test' is not in the catalogue"):
        spec = M.model_spec("glm-6-test")
    assert not spec.known and spec.context_window == M.catalogue()["glm-5.3"].context_window
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        M.model_spec("glm-6-test")  # once per name


def test_register_model_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(M, "_registered", {})
    spec = M.register_model("glm-7-preview", like="glm-5.3", context=2_000_000)
    assert M.model_spec("glm-7-preview") == spec
    assert (spec.context_window, spec.efforts) == (2_000_000, ("low", "high", "max"))


def _body(model: str, provider: str = "zai", **kw: object) -> dict:
    request = ChatRequest(model=model, messages=[{"role": "user", "content": "hi"}], **kw)  # type: ignore[arg-type]
    return build_chat_body(request, PROVIDERS[provider], stream=False)


def test_reasoning_effort_is_checked_against_the_model() -> None:
    assert _body("glm-5.3", reasoning_effort="low")["reasoning_effort"] == "low"
    with pytest.raises(GLMValidationError, match="low, high, max on glm-5.3") as info:
        _body("glm-5.3", reasoning_effort="medium")
    assert info.value.field == "reasoning_effort"
    assert _body("glm-4.6", reasoning_effort="whatever")["reasoning_effort"] == "whatever"


def test_thinking_off_on_an_always_thinking_model() -> None:
    with pytest.raises(GLMValidationError, match="reasoning_effort='low'") as info:
        _body("glm-5.3", thinking={"type": "disabled"})
    assert info.value.field == "thinking"
    # The Coding Plan is reported to accept it (and think anyway); disputed models are sent.
    assert _body("glm-5.3", "zai-coding", thinking={"type": "disabled"})["thinking"]
    assert _body("glm-5.3-flash", thinking={"type": "disabled"})["thinking"]
    assert _body("glm-4.6", thinking={"type": "disabled"})["thinking"]


def test_max_tokens_follows_the_models_output_limit() -> None:
    with pytest.raises(GLMValidationError, match="glm-4.5v's output limit"):
        _body("glm-4.5v", max_tokens=20_000)
    assert _body("glm-5.3", max_tokens=131_072)["max_tokens"] == 131_072


def test_python_m_prints_the_table() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "glm_transport.models"], capture_output=True, text=True, check=True
    )
    assert "| glm-5.3 | 1,048,576 | 131,072 |" in out.stdout and not out.stderr


def test_readme_model_table_is_the_catalogue() -> None:
    readme = (ROOT / "README.md").read_text()
    assert M.markdown_table() in readme, "regenerate with: python -m glm_transport.models"


def test_every_entry_has_the_documented_keys() -> None:
    raw = json.loads((ROOT / "glm_transport" / "data" / "models.json").read_text())["models"]
    for name, entry in raw.items():
        assert {"context", "output", "input", "thinking", "disabled", "source"} <= set(entry), name
        assert entry["thinking"] in ("always", "auto", "toggle", "none"), name
