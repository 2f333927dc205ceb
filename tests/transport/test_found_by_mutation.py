"""Bugs mutation testing found in request.py and parse.py (issue 28), each fixed: a malformed
input is refused naming its field, a tool's description is always a string, and a reply's
request id is always a string."""

from __future__ import annotations

from typing import Any

import pytest

from glm_transport import PROVIDERS, ChatRequest, GLMValidationError
from glm_transport import errors as E
from glm_transport.parse import parse_completion
from glm_transport.request import build_chat_body

USER = [{"role": "user", "content": "hi"}]


def body(**kw: Any) -> dict[str, Any]:
    kw.setdefault("model", "glm-5-turbo")
    kw.setdefault("messages", USER)
    return build_chat_body(ChatRequest(**kw), PROVIDERS["zai"], stream=False)


def test_a_message_that_is_not_a_dict_is_refused_naming_it() -> None:
    with pytest.raises(GLMValidationError) as caught:
        body(messages=[*USER, "hi"])
    assert caught.value.field == "messages[1]"


def test_tools_that_are_not_a_list_are_refused_naming_them() -> None:
    with pytest.raises(GLMValidationError) as caught:
        body(tools=5)
    assert caught.value.field == "tools"


def test_a_tool_whose_description_is_none_is_sent_with_a_string() -> None:
    tool = {"type": "function", "function": {"name": "f", "description": None, "parameters": {}}}
    (sent,) = body(tools=[tool])["tools"]
    assert sent["function"]["description"] == ""


def test_the_request_id_of_a_reply_without_choices_is_a_string() -> None:
    with pytest.raises(E.APIError) as caught:
        parse_completion({"choices": [], "request_id": 42})
    assert caught.value.request_id == "42"
