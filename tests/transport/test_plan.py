"""Pure call planning shared by both frameworks."""

from __future__ import annotations

import pytest

from glm_transport import PROVIDERS, GLMValidationError
from glm_transport.plan import echo_reasoning, normalize_thinking, plan_chat, reasoning_echo

TOOL = {"type": "function", "function": {"name": "f", "description": "", "parameters": {}}}


def test_thinking_shorthands() -> None:
    assert normalize_thinking(True) == {"type": "enabled"}
    assert normalize_thinking(False) == {"type": "disabled"}
    assert normalize_thinking(None) is None
    with pytest.raises(GLMValidationError, match="`thinking`"):
        normalize_thinking("yes")


@pytest.mark.parametrize(
    ("thinking", "provider", "echo"),
    [
        (None, "zai", "tool_turns"),
        (None, "zai-coding", "all"),
        ({"type": "enabled"}, "bigmodel-coding", "all"),
        ({"type": "enabled", "clear_thinking": False}, "zai", "all"),
        ({"type": "enabled", "clear_thinking": True}, "zai-coding", "tool_turns"),
    ],
)
def test_reasoning_echo(thinking: dict | None, provider: str, echo: str) -> None:
    assert reasoning_echo(thinking, PROVIDERS[provider]) == echo


HISTORY = [
    {"role": "user", "content": "q"},
    {"role": "assistant", "content": "a", "reasoning_content": "plain turn"},
    {"role": "assistant", "tool_calls": [{"id": "1"}], "reasoning_content": "tool turn"},
    {"role": "tool", "tool_call_id": "1", "content": "r"},
]


@pytest.mark.parametrize(
    ("echo", "kept"),
    [("all", ["plain turn", "tool turn"]), ("tool_turns", ["tool turn"]), ("none", [])],
)
def test_echo_reasoning_keeps_only_what_the_policy_says(echo: str, kept: list[str]) -> None:
    out = echo_reasoning(HISTORY, echo)
    assert [m["reasoning_content"] for m in out if "reasoning_content" in m] == kept
    assert HISTORY[1]["reasoning_content"] == "plain turn"  # the caller's list is not touched


def test_plan_chat_routes_every_key() -> None:
    params = {
        "model": "glm-4.6",
        "thinking": False,
        "tools": [TOOL],
        "tool_choice": "f",
        "parallel_tool_calls": False,
        "temperature": 0.2,
        "seed": 7,
        "strict": True,
        "extra_body": {"watermark_enabled": False},
    }
    request = plan_chat(params, HISTORY, model="glm-5", provider=PROVIDERS["zai"], stream=True)
    assert [m.get("reasoning_content") for m in request.messages][1:3] == [None, "tool turn"]
    assert (request.model, request.thinking) == ("glm-4.6", {"type": "disabled"})
    assert (request.required_tool, request.max_tool_calls) == ("f", 1)
    assert request.tool_choice == "auto" and request.tool_stream is True  # glm-4.6 streams tools
    assert request.temperature == 0.2
    assert request.extra_body == {"seed": 7, "watermark_enabled": False}  # no strict, no policy
    plain = plan_chat({}, [], model="glm-4.5", provider=PROVIDERS["zai"], stream=True)
    assert plain.tool_stream is None and plain.tools is None
    assert plain.required_tool is None and plain.max_tool_calls is None


def test_coding_plan_echoes_every_turn() -> None:
    request = plan_chat({}, HISTORY, model="glm-5", provider=PROVIDERS["zai-coding"], stream=False)
    assert request.messages is HISTORY


def test_openai_max_completion_tokens_becomes_max_tokens() -> None:
    request = plan_chat(
        {"max_completion_tokens": 50}, [], model="glm-5", provider=PROVIDERS["zai"], stream=False
    )
    assert request.max_tokens == 50 and "max_completion_tokens" not in request.extra_body
