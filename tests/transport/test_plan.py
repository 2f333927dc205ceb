"""Pure call planning shared by both frameworks."""

from __future__ import annotations

import pytest

from glm_transport import PROVIDERS, GLMValidationError
from glm_transport.plan import normalize_thinking, plan_chat, reasoning_echo

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


def test_plan_chat_routes_every_key() -> None:
    seen: list[str] = []
    params = {
        "model": "glm-4.6",
        "thinking": False,
        "tools": [TOOL],
        "tool_choice": "f",
        "temperature": 0.2,
        "seed": 7,
        "extra_body": {"watermark_enabled": False},
    }
    request, required = plan_chat(
        params,
        lambda echo: seen.append(echo) or [{"role": "user"}],
        model="glm-5",
        provider=PROVIDERS["zai"],
        stream=True,
    )
    assert seen == ["tool_turns"]
    assert (request.model, request.thinking, required) == ("glm-4.6", {"type": "disabled"}, "f")
    assert request.tool_choice == "auto" and request.tool_stream is True  # glm-4.6 streams tools
    assert request.temperature == 0.2
    assert request.extra_body == {"seed": 7, "watermark_enabled": False}
    plain, _ = plan_chat(
        {}, lambda echo: [], model="glm-4.5", provider=PROVIDERS["zai"], stream=True
    )
    assert plain.tool_stream is None and plain.tools is None


def test_openai_max_completion_tokens_becomes_max_tokens() -> None:
    request, _ = plan_chat(
        {"max_completion_tokens": 50},
        lambda echo: [],
        model="glm-5",
        provider=PROVIDERS["zai"],
        stream=False,
    )
    assert request.max_tokens == 50 and "max_completion_tokens" not in request.extra_body
