"""models: the catalogue as data, name resolution, and the reasoning rules checked locally."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from glm_transport import PROVIDERS, ChatRequest, GLMValidationError
from glm_transport import models as M
from glm_transport.request import build_chat_body

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = json.loads((ROOT / "glm_transport" / "data" / "models.json").read_text("utf-8"))
# The one vocabulary: ModelSpec's fields, but the entry's name and the assumed-entry flag.
FIELDS = [f.name for f in dataclasses.fields(M.ModelSpec) if f.name not in ("name", "known")]
ALIASES = {
    "context": "context_window",
    "output": "max_output_tokens",
    "input": "inputs",
    "tools": "tool_calling",
}


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
    spec = M.register_model("glm-7-preview", like="glm-5.3", context_window=2_000_000)
    assert M.model_spec("glm-7-preview") == spec
    assert (spec.context_window, spec.efforts) == (2_000_000, ("low", "high", "max"))
    assert spec.source == "registered at run time" and spec.known


def test_register_model_without_like_takes_the_json_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(M, "_registered", {})
    spec = M.register_model(
        "GLM-Local",
        context_window=32_000,
        max_output_tokens=4_096,
        inputs=["text", "image"],
        tool_calling=False,
        efforts=["low", "high"],
        disabled_on={"zai": "rejected"},
    )
    assert M.model_spec("glm-local") is spec
    assert spec.inputs == frozenset({"text", "image"}) and spec.efforts == ("low", "high")
    assert not spec.tool_calling and spec.disabled_for("zai") == "rejected"
    with pytest.raises(GLMValidationError, match="context_window and max_output_tokens"):
        M.register_model("glm-local-2", inputs=["text"])


def test_every_json_key_is_a_model_spec_field() -> None:
    for name, entry in CATALOGUE["models"].items():
        assert set(entry) <= set(FIELDS), (name, set(entry) - set(FIELDS))
    assert M._FACTS == tuple(FIELDS)
    assert set(M._CONVERT) <= set(FIELDS) and set(M._ALIASES.values()) <= set(FIELDS)
    assert M._ALIASES == ALIASES
    about = CATALOGUE["_about"]
    assert [key for key in FIELDS if not re.search(rf"\b{key}\b", about)] == []


def _as_json(spec: M.ModelSpec) -> dict[str, Any]:
    """``spec`` as a data/models.json entry: its fields by name, collections as lists."""
    out = {}
    for key in FIELDS:
        value = getattr(spec, key)
        if isinstance(value, (frozenset, tuple)):  # JSON has lists; efforts keep their order
            value = sorted(value) if isinstance(value, frozenset) else list(value)
        out[key] = value
    return json.loads(json.dumps(out))


@pytest.mark.parametrize("name", list(CATALOGUE["models"]))
def test_an_entry_round_trips_through_the_field_names(name: str) -> None:
    spec = M.catalogue()[name]
    again = M._spec(name, _as_json(spec))
    for f in dataclasses.fields(M.ModelSpec):
        mine, theirs = getattr(spec, f.name), getattr(again, f.name)
        assert (mine, type(mine)) == (theirs, type(theirs)), f.name


@pytest.mark.parametrize("old", list(ALIASES))
def test_a_json_entry_with_an_old_key_is_refused(old: str) -> None:
    entry = {
        "context_window": 1,
        "max_output_tokens": 1,
        old: CATALOGUE["models"]["glm-5.3"].get(ALIASES[old]),
    }
    with pytest.raises(GLMValidationError, match=rf"`glm-x\.{old}`") as info:
        M._spec("glm-x", entry)
    assert all(key in info.value.allowed for key in FIELDS)


def test_register_model_refuses_an_unknown_key_naming_it_and_the_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(M, "_registered", {})
    for like in ("glm-5.3", None):
        with pytest.raises(GLMValidationError, match="contxt_window") as info:
            M.register_model("glm-typo", like=like, contxt_window=1, max_output_tokens=1)
        assert info.value.field == "glm-typo.contxt_window"
        assert all(key in info.value.allowed for key in FIELDS)
    # Fields, but not facts a caller states: the name is the first argument, known is implied.
    with pytest.raises(GLMValidationError, match="`glm-typo.known`"):
        M.register_model("glm-typo", like="glm-5.3", known=False)
    assert "glm-typo" not in M.catalogue()


@pytest.mark.parametrize(("old", "new"), list(ALIASES.items()))
def test_an_old_register_model_key_warns_and_still_works(
    monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> None:
    monkeypatch.setattr(M, "_registered", {})
    value = {"context": 2_000_000, "output": 8_192, "input": ["text", "pdf"], "tools": False}[old]
    with pytest.warns(DeprecationWarning, match=f"use {new}=") as record:
        spec = M.register_model("glm-old", like="glm-5.3", **{old: value})
    assert record[0].filename == __file__  # points at the caller
    expected = M.register_model("glm-new", like="glm-5.3", **{new: value})
    assert dataclasses.replace(spec, name="glm-new") == expected
    assert getattr(spec, new) == getattr(expected, new) != getattr(M.model_spec("glm-5.3"), new)
    with pytest.raises(GLMValidationError, match=f"not both {old}= and {new}="):
        M.register_model("glm-both", like="glm-5.3", **{old: value, new: value})


def test_the_old_keys_alone_still_register_a_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(M, "_registered", {})
    with pytest.warns(DeprecationWarning, match="is deprecated") as record:
        spec = M.register_model("glm-old", context=1_000, output=100, input=["text"], tools=False)
    assert len(record) == 4
    assert (spec.context_window, spec.max_output_tokens, spec.tool_calling) == (1_000, 100, False)


# A value for every fact, none of them ModelSpec's default: a field added to ModelSpec fails
# test_like_copies_every_field until it has one here.
UNUSUAL = {
    "context_window": 12_345,
    "max_output_tokens": 678,
    "inputs": ["pdf", "text"],
    "tool_calling": False,
    "tool_stream": True,
    "json_mode": False,
    "thinking": "none",
    "disabled": "disputed",
    "disabled_on": {"zai-coding": "rejected"},
    "efforts": ["max", "low"],
    "efforts_on": {"zai-coding": ["none", "max"]},
    "effort_default": "low",
    "source": "a test",
}


@pytest.mark.parametrize("like", [*CATALOGUE["models"], "glm-unusual"])
def test_like_copies_every_field(monkeypatch: pytest.MonkeyPatch, like: str) -> None:
    monkeypatch.setattr(M, "_registered", {})
    assert set(UNUSUAL) == set(FIELDS)
    unusual = M.register_model("glm-unusual", **UNUSUAL)
    defaults = M.ModelSpec(name="glm-unusual", context_window=1, max_output_tokens=1)
    for key in FIELDS:
        assert getattr(unusual, key) != getattr(defaults, key), key
    base = M.model_spec(like)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spec = M.register_model("glm-copy", like=like)
    for f in dataclasses.fields(M.ModelSpec):
        expected = {"name": "glm-copy", "source": "registered at run time", "known": True}.get(
            f.name, getattr(base, f.name)
        )
        assert getattr(spec, f.name) == expected, f.name


def test_the_readme_and_docs_call_register_model_with_field_names() -> None:
    calls = 0
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for snippet in re.findall(r"register_model\([^)]*\)", path.read_text("utf-8")):
            call = ast.parse(snippet, mode="eval").body
            assert isinstance(call, ast.Call)
            keys = {k.arg for k in call.keywords}
            assert keys <= {"like", *FIELDS}, (path.name, snippet)
            calls += 1
    assert calls  # the README shows one


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
    assert _body("glm-5.2", thinking={"type": "disabled"})["thinking"]
    assert _body("glm-4.6", thinking={"type": "disabled"})["thinking"]
    # glm-5.3-flash: rejected on pay-as-you-go (wire reference §9.3), unreported on the Coding
    # Plan, so sent there.
    with pytest.raises(GLMValidationError, match="glm-5.3-flash always thinks"):
        _body("glm-5.3-flash", thinking={"type": "disabled"})
    assert _body("glm-5.3-flash", "zai-coding", thinking={"type": "disabled"})["thinking"]


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
    raw = CATALOGUE["models"]
    for name, entry in raw.items():
        assert {
            "context_window",
            "max_output_tokens",
            "inputs",
            "thinking",
            "disabled",
            "source",
        } <= set(entry), name
        assert entry["thinking"] in ("always", "auto", "toggle", "none"), name
