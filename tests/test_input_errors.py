"""Careless input gets GLMValidationError naming the field, before any request, in both frameworks;
keys are checked and never echoed."""

from __future__ import annotations

import math
import warnings
from typing import Any

import pytest
from pydantic import BaseModel

from glm_transport import GLMValidationError, resolve_settings
from glm_transport.emulator import EmulatorServer

KEY = "sk-input-test-key-5555"


class Person(BaseModel):
    name: str


def _call(framework: str, url: str, **kwargs: Any) -> Any:
    if framework == "langchain":
        from langchain_glm import ChatGLM

        return ChatGLM(base_url=url, api_key=KEY).invoke("hi", **kwargs)
    from llama_index.core.base.llms.types import ChatMessage

    from llama_index_glm import GLM

    return GLM(base_url=url, api_key=KEY).chat([ChatMessage(role="user", content="hi")], **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"response_format": "json"}, "response_format"),
        ({"response_format": Person}, "response_format"),
        ({"response_format": {"type": "json_schema"}}, "response_format.type"),
        ({"stop": 5}, "stop"),
        ({"tools": ["x"]}, "tools[0]"),
        ({"tools": "x"}, "tools"),
        ({"stream": True}, "stream"),
        ({"do_sample": "yes"}, "do_sample"),
    ],
)
@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_wrong_types_per_call_name_the_field(
    glm_emulator: EmulatorServer, framework: str, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(GLMValidationError) as info:
        _call(framework, glm_emulator.base_url, **kwargs)
    assert info.value.field == field
    assert glm_emulator.state.requests == 0  # nothing was sent


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"base_url": "http://[::1"}, "base_url"),
        ({"total_timeout": 0}, "total_timeout"),
        ({"total_timeout": math.nan}, "total_timeout"),
        ({"total_timeout": -1.0}, "total_timeout"),
        ({"max_retries": -1}, "max_retries"),
    ],
)
def test_settings_are_validated(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(GLMValidationError) as info:
        resolve_settings(**{"api_key": KEY, **kwargs})
    assert info.value.field == field


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_model_settings_are_validated_at_construction(framework: str) -> None:
    if framework == "langchain":
        from langchain_glm import ChatGLM as cls
    else:
        from llama_index_glm import GLM as cls
    with pytest.raises((GLMValidationError, ValueError), match="base_url"):
        cls(api_key=KEY, base_url="http://[::1")


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_a_key_with_a_trailing_newline_is_stripped_with_a_warning(framework: str) -> None:
    with EmulatorServer(api_key=KEY) as server:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            if framework == "langchain":
                from langchain_glm import ChatGLM

                answer = ChatGLM(base_url=server.base_url, api_key=KEY + "\n").invoke("hi").content
            else:
                from llama_index.core.base.llms.types import ChatMessage

                from llama_index_glm import GLM

                llm = GLM(base_url=server.base_url, api_key=KEY + "\n")
                answer = llm.chat([ChatMessage(role="user", content="hi")]).message.content
        assert answer.endswith("hi")  # the emulator checks the Bearer key exactly
        messages = [str(w.message) for w in seen if "whitespace" in str(w.message)]
        assert messages and all(KEY not in m for m in messages)


@pytest.mark.parametrize("bad", [KEY + "é", "sk key", "sk\x00key", "   "])
def test_keys_that_cannot_be_sent_are_refused_unseen(bad: str) -> None:
    with pytest.raises(GLMValidationError) as info:
        resolve_settings(api_key=bad)
    assert info.value.field == "api_key"
    assert bad.strip() not in f"{info.value!s}{info.value!r}{info.value.value!r}" or not bad.strip()
