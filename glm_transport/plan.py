"""Turning a framework call's parameters into a :class:`ChatRequest` (pure, framework-free).

Both integrations merge their defaults and per-call overrides into one ``params`` dict and hand
it here with their converter, so every decision below is the same in LangChain and LlamaIndex:
``thinking`` shorthands, whether earlier reasoning is echoed, tool choice on an auto-only API,
``tool_stream``'s default, and unknown keys passed through in the body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glm_transport.config import Provider
from glm_transport.errors import GLMValidationError
from glm_transport.models import model_profile
from glm_transport.tools import plan_tool_choice
from glm_transport.types import ChatRequest

__all__ = ["REQUEST_FIELDS", "normalize_thinking", "plan_chat", "reasoning_echo"]

# ChatRequest fields a caller may set directly; any other key goes into the body as is.
REQUEST_FIELDS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "stop",
        "response_format",
        "request_id",
        "user_id",
        "do_sample",
    }
)


def normalize_thinking(value: Any) -> dict[str, Any] | None:
    """``True``/``False`` shorthands to GLM's ``{"type": "enabled" | "disabled"}``."""
    if value is None or isinstance(value, dict):
        return value
    if isinstance(value, bool):
        return {"type": "enabled" if value else "disabled"}
    raise GLMValidationError(
        "thinking", value, "True, False, or {'type': 'enabled'|'disabled', 'clear_thinking': bool}"
    )


def reasoning_echo(thinking: dict[str, Any] | None, provider: Provider) -> str:
    """Which earlier assistant turns get their ``reasoning_content`` sent back.

    ``"all"`` under preserved thinking (``clear_thinking: false``, which the thinking-mode guide
    says is the default on the Coding Plan endpoints); otherwise ``"tool_turns"``: "thinking
    blocks should be explicitly preserved and returned together with the tool results".
    """
    if thinking is not None and "clear_thinking" in thinking:
        return "all" if thinking["clear_thinking"] is False else "tool_turns"
    return "all" if provider.name.endswith("-coding") else "tool_turns"


def plan_chat(
    params: dict[str, Any],
    to_wire: Callable[[str], list[dict[str, Any]]],
    *,
    model: str,
    provider: Provider,
    stream: bool,
) -> tuple[ChatRequest, str | None]:
    """The request for one call, and what its reply must contain (see :mod:`.tools`).

    ``params`` is modified (keys it routes are popped). ``to_wire(send_reasoning)`` converts the
    framework's messages.
    """
    model = params.pop("model", None) or model
    if "max_completion_tokens" in params:  # OpenAI's newer name; GLM only knows max_tokens
        params.setdefault("max_tokens", params.pop("max_completion_tokens"))
    thinking = normalize_thinking(params.pop("thinking", None))
    tools, required = plan_tool_choice(params.pop("tools", None), params.pop("tool_choice", None))
    tool_stream = params.pop("tool_stream", None)
    if tool_stream is None:
        tool_stream = model_profile(model).tool_stream
    extra_body = params.pop("extra_body", None) or {}
    unknown = {k: params.pop(k) for k in list(params) if k not in REQUEST_FIELDS}
    request = ChatRequest(
        model=model,
        messages=to_wire(reasoning_echo(thinking, provider)),
        tools=tools,
        tool_choice="auto" if tools and required else None,
        thinking=thinking,
        tool_stream=bool(tool_stream) if stream and tools else None,
        extra_body={**unknown, **extra_body},
        **params,
    )
    return request, required
