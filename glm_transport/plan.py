"""Turning a framework call's parameters into a :class:`ChatRequest` (pure, framework-free).

Both integrations merge their defaults and per-call overrides into one ``params`` dict, convert
their messages to wire messages (keeping every turn's reasoning), and hand both here, so every
decision below is the same in LangChain and LlamaIndex: ``thinking`` shorthands, which earlier
reasoning is echoed, tool choice and ``parallel_tool_calls`` (the reply policy), ``tool_stream``'s
default, and unknown keys passed through in the body.
"""

from __future__ import annotations

from typing import Any

from glm_transport.config import Provider
from glm_transport.errors import GLMValidationError
from glm_transport.models import model_spec
from glm_transport.reply import plan_tool_choice
from glm_transport.request import TOOL_NAME
from glm_transport.types import ChatRequest

__all__ = [
    "REQUEST_FIELDS",
    "echo_reasoning",
    "json_schema_tool",
    "normalize_thinking",
    "plan_chat",
    "reasoning_echo",
    "search_options",
]

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
        "reasoning_effort",
    }
)
# Framework-side keys that are never wire fields.
_NOT_WIRE = ("ls_structured_output_format", "strict")


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
    return "all" if provider.preserves_thinking else "tool_turns"


def echo_reasoning(messages: list[dict[str, Any]], echo: str) -> list[dict[str, Any]]:
    """``messages`` with ``reasoning_content`` kept only where ``echo`` says.

    ``echo`` is ``"all"``, ``"tool_turns"`` or ``"none"``; the list is copied only when a turn
    changes.
    """
    if echo == "all":
        return messages
    out = messages
    for i, msg in enumerate(messages):
        if "reasoning_content" in msg and (echo == "none" or not msg.get("tool_calls")):
            if out is messages:
                out = list(messages)
            out[i] = {k: v for k, v in msg.items() if k != "reasoning_content"}
    return out


def plan_chat(
    params: dict[str, Any],
    messages: list[dict[str, Any]],
    *,
    model: str,
    provider: Provider,
    stream: bool,
) -> ChatRequest:
    """The request for one call, its reply policy included.

    ``params`` is modified (keys it routes are popped). ``messages`` are wire messages carrying
    every earlier turn's reasoning; what GLM should not see again is taken out here.
    """
    model = params.pop("model", None) or model
    if "max_completion_tokens" in params:  # OpenAI's newer name; GLM only knows max_tokens
        params.setdefault("max_tokens", params.pop("max_completion_tokens"))
    thinking = normalize_thinking(params.pop("thinking", None))
    tools, tool_choice = params.pop("tools", None), params.pop("tool_choice", None)
    parallel = params.pop("parallel_tool_calls", None)
    structured = None
    rf = params.get("response_format")
    if isinstance(rf, dict) and rf.get("type") == "json_schema" and not tools:
        # GLM has no json_schema mode (glm-5.3-flash accepts and ignores it, wire reference §9):
        # it goes the forced-tool way, and the call's arguments come back as the content.
        tool = json_schema_tool(rf)
        structured = tool["function"]["name"]
        tools, tool_choice, parallel = [tool], structured, False
        del params["response_format"]
    tools, required = plan_tool_choice(tools, tool_choice)
    effort_mapping = params.pop("effort_mapping", None)
    if effort_mapping not in (None, "nearest"):
        raise GLMValidationError(
            "effort_mapping",
            effort_mapping,
            "None (reasoning_effort sent as given) or 'nearest' (the nearest level the model "
            "takes on this endpoint)",
        )
    empty_answer = params.pop("empty_answer", "raise")
    if empty_answer not in ("raise", "return"):
        raise GLMValidationError(
            "empty_answer",
            empty_answer,
            "'raise' (ReasoningExhaustedError when max_tokens runs out before any answer) or "
            "'return' (the empty answer)",
        )
    tool_stream = params.pop("tool_stream", None)
    if tool_stream is None and stream and tools:  # sent only then
        tool_stream = model_spec(model).tool_stream
    for key in _NOT_WIRE:
        params.pop(key, None)
    extra_body = params.pop("extra_body", None) or {}
    unknown = {k: params.pop(k) for k in list(params) if k not in REQUEST_FIELDS}
    return ChatRequest(
        model=model,
        messages=echo_reasoning(messages, reasoning_echo(thinking, provider)),
        tools=tools,
        tool_choice="auto" if tools and required else None,
        thinking=thinking,
        tool_stream=bool(tool_stream) if stream and tools else None,
        extra_body={**unknown, **extra_body},
        required_tool=required if tools else None,
        max_tool_calls=1 if parallel is False and tools else None,
        empty_answer=empty_answer,
        effort_mapping=effort_mapping,
        structured_tool=structured,
        search=search_options(tools),
        **params,
    )


def json_schema_tool(response_format: dict[str, Any]) -> dict[str, Any]:
    """The function tool that stands for a ``json_schema`` response format (OpenAI's shape).

    Raises:
        GLMValidationError: ``json_schema`` is not ``{"name": ..., "schema": {...}}``.
    """
    spec = response_format.get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
        raise GLMValidationError(
            "response_format.json_schema",
            spec,
            "{'name': str, 'schema': {...JSON schema...}} (OpenAI's json_schema format)",
        )
    name = spec.get("name") or "structured_output"
    if not isinstance(name, str) or not TOOL_NAME.match(name):
        raise GLMValidationError(
            "response_format.json_schema.name", name, "1-64 characters from [a-zA-Z0-9_-]"
        )
    description = (
        spec.get("description")
        or spec["schema"].get("description")
        or "Give the answer as this tool's arguments."
    )
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": spec["schema"]},
    }


def search_options(tools: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """The options of GLM's in-chat ``web_search`` tool, if the request offers it."""
    for tool in tools or ():
        if isinstance(tool, dict) and tool.get("type") == "web_search":
            options = tool.get("web_search")
            return dict(options) if isinstance(options, dict) else {}
    return None
