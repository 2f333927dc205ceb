"""Pure request building: a :class:`ChatRequest` and a provider preset to the wire body.

Every documented limit is checked here, before anything is sent, with an error that names the field,
the value and what is allowed. Only the sampling parameters the caller set are sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from glm_transport.config import Limits, Provider
from glm_transport.errors import GLMValidationError
from glm_transport.jsonbody import json_text
from glm_transport.models import check_reasoning, model_spec, nearest_effort
from glm_transport.schema import inline_refs
from glm_transport.types import ChatRequest

__all__ = [
    "DEFAULT_MIME",
    "assistant_message",
    "build_chat_body",
    "data_url",
    "hoist_tool_media",
    "join_text",
    "validate_messages",
    "wire_model",
    "wire_tool_call",
]

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
ROLES = frozenset({"system", "user", "assistant", "tool"})
PART_TYPES = frozenset({"text", "image_url", "video_url", "file_url", "file", "input_audio"})
THINKING_TYPES = frozenset({"enabled", "disabled"})
_EMPTY_PARAMS = {"type": "object", "properties": {}}


def _check_range(field: str, value: float, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise GLMValidationError(field, value, f"a number in [{low}, {high}]")


def _to_file_part(part: dict[str, Any]) -> dict[str, Any]:
    # maxtoken documents OpenAI's `file` part; GLM's `file_url` carries only a URL.
    url = (part.get("file_url") or {}).get("url", "")
    name = url.rsplit("/", 1)[-1].split("?", 1)[0] or "document"
    return {"type": "file", "file": {"filename": name, "file_data": url}}


# The MIME type a media part gets when the caller gave bytes but no type.
DEFAULT_MIME = {"image": "image/png", "video": "video/mp4", "file": "application/pdf"}


def data_url(kind: str, mime: str | None, b64: str) -> str:
    """A ``data:`` URL for base64 media of ``kind`` (``image``, ``video`` or ``file``)."""
    return f"data:{mime or DEFAULT_MIME[kind]};base64,{b64}"


def join_text(texts: Iterable[str]) -> str:
    """Several text blocks of one message as the one string GLM takes: a line between blocks.

    As langchain-core flattens content for string-only providers and LlamaIndex's
    ``ChatMessage.content`` reads blocks: glued together, an MCP tool's ``["Paris", "Lyon"]``
    would read ``ParisLyon`` (issue 24).
    """
    return "\n".join(texts)


def wire_tool_call(call_id: str, name: str, arguments: Any) -> dict[str, Any]:
    """One tool call in GLM's wire shape; ``arguments`` as JSON text (a dict is dumped)."""
    if not isinstance(arguments, str):
        field = f"tool_calls[{call_id!r}].function.arguments"
        arguments = json_text(arguments if arguments is not None else {}, field)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def assistant_message(
    text: str, calls: list[dict[str, Any]], reasoning: str | None
) -> dict[str, Any]:
    """An earlier assistant turn for the history.

    GLM requires only ``role``; ``content`` is left out when the turn only called tools. Reasoning
    is kept; :func:`glm_transport.plan.plan_chat` decides which turns send it back.
    """
    wire: dict[str, Any] = {"role": "assistant"}
    if text or not calls:
        wire["content"] = text
    if calls:
        wire["tool_calls"] = calls
    if reasoning:
        wire["reasoning_content"] = reasoning
    return wire


# What each media part needs of the model (ModelSpec.inputs).
_PART_INPUT = {
    "image_url": "image",
    "video_url": "video",
    "file_url": "pdf",
    "file": "pdf",
    "input_audio": "audio",
}


def hoist_tool_media(messages: list[dict[str, Any]], model: str) -> list[dict[str, Any]]:
    """Media a tool returned, moved where GLM takes it: a user message right after the results.

    GLM's tool messages take text only. Sent as text, a screenshot becomes some 40,000 characters
    of base64 prompt (issue 24). On a model that takes the media, each tool message keeps its text
    and says where its media went, and one user message after the run of tool results carries
    them, each preceded by the id of the tool call that returned it. On a model that does not,
    a :class:`GLMValidationError` before sending. Messages without such tool results are returned
    as they are.
    """
    if not isinstance(messages, list):
        return messages  # anything malformed is named by validate_messages
    for m in messages:  # a loop, not any(...): this runs on every call
        if isinstance(m, dict) and m.get("role") == "tool" and isinstance(m.get("content"), list):
            break
    else:
        return messages
    spec = model_spec(model)
    out: list[dict[str, Any]] = []
    carried: list[dict[str, Any]] = []
    for i, msg in enumerate(messages):
        if msg.get("role") != "tool" and carried:
            out.append({"role": "user", "content": carried})
            carried = []
        content = msg.get("content")
        if msg.get("role") != "tool" or not isinstance(content, list):
            out.append(msg)
            continue
        texts, media = [], []
        for j, part in enumerate(content):
            ptype = part.get("type") if isinstance(part, dict) else None
            if ptype == "text":
                texts.append(str(part.get("text", "")))
                continue
            needs = _PART_INPUT.get(str(ptype))
            if needs is None or needs not in spec.inputs:
                takes = ", ".join(sorted(spec.inputs))
                raise GLMValidationError(
                    f"messages[{i}].content[{j}]",
                    ptype,
                    f"text in a tool result; {spec.name} takes {takes}, so its tool results "
                    "cannot carry this (GLM takes media only in user messages)",
                )
            media.append(part)
        call_id = str(msg.get("tool_call_id") or "")
        if media:
            texts.append(f"[{len(media)} attachment(s) follow in the next user message]")
            carried.append({"type": "text", "text": f"Returned by tool call {call_id}:"})
            carried.extend(media)
        out.append({**msg, "content": join_text(texts)})
    if carried:
        out.append({"role": "user", "content": carried})
    return out


def validate_messages(messages: list[dict[str, Any]], provider: Provider) -> list[dict[str, Any]]:
    """Check roles, parts and GLM's "at least one user message"; reshape file parts per preset."""
    if not messages:
        raise GLMValidationError("messages", messages, "a non-empty list of messages")
    has_user = False
    media = set()
    out = messages
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict):
            raise GLMValidationError(f"messages[{i}]", msg, "a message dict with a 'role'")
        role = msg.get("role")
        if role not in ROLES:
            raise GLMValidationError(f"messages[{i}].role", role, ", ".join(sorted(ROLES)))
        if role == "user":
            has_user = True
        content = msg.get("content")
        if isinstance(content, list):
            new_parts = None
            for j, part in enumerate(content):
                ptype = part.get("type") if isinstance(part, dict) else None
                if ptype not in PART_TYPES:
                    raise GLMValidationError(
                        f"messages[{i}].content[{j}].type", ptype, ", ".join(sorted(PART_TYPES))
                    )
                if ptype != "text":
                    media.add(ptype)
                if ptype == "file_url" and provider.file_part == "file":
                    if new_parts is None:
                        new_parts = list(content)
                    new_parts[j] = _to_file_part(part)
            if new_parts is not None:
                if out is messages:
                    out = list(messages)
                out[i] = {**msg, "content": new_parts}
    if not has_user:
        raise GLMValidationError(
            "messages",
            [m.get("role") for m in messages],
            "at least one 'user' message (GLM rejects system/assistant-only input with code 1214)",
        )
    if "file_url" in media and media & {"image_url", "video_url"}:
        raise GLMValidationError(
            "messages",
            sorted(media),
            "file_url parts alone, or image_url/video_url parts: GLM cannot mix them in one request",
        )
    return out


def _check_tools(tools: list[dict[str, Any]], provider: Provider) -> list[dict[str, Any]]:
    limits = provider.limits
    if not isinstance(tools, list):
        raise GLMValidationError("tools", tools, "a list of tool dicts")
    if len(tools) > limits.max_tools:
        raise GLMValidationError(
            "tools", f"{len(tools)} tools", f"at most {limits.max_tools} tools"
        )
    out = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise GLMValidationError(f"tools[{i}]", tool, "a tool dict {'type': 'function', ...}")
        ttype = tool.get("type")
        if ttype not in limits.tool_types:
            raise GLMValidationError(
                f"tools[{i}].type",
                ttype,
                f"{', '.join(sorted(limits.tool_types))} on {provider}",
            )
        if ttype == "function":
            fn = tool.get("function") or {}
            name = fn.get("name")
            if not isinstance(name, str) or not TOOL_NAME.match(name):
                raise GLMValidationError(
                    f"tools[{i}].function.name", name, "1-64 characters from [a-zA-Z0-9_-]"
                )
            # GLM's FunctionObject marks description and parameters as required.
            params = fn.get("parameters")
            inlined = inline_refs(params)  # $defs make GLM-5.x stringify nested arguments
            described = isinstance(fn.get("description"), str)
            if not described or params is None or "strict" in fn or inlined is not params:
                fn = {
                    "name": name,
                    "description": fn.get("description") or "",
                    "parameters": inlined or _EMPTY_PARAMS,
                }
                tool = {"type": "function", "function": fn}
        out.append(tool)
    return out


def _sampling(body: dict[str, Any], request: ChatRequest, limits: Limits) -> None:
    if request.temperature is not None:
        _check_range("temperature", request.temperature, limits.temperature)
        if request.temperature == 0:
            # Greedy: GLM's documented switch; temperature 0 itself is outside the SDK's range.
            body["do_sample"] = False
        else:
            body["temperature"] = request.temperature
    if request.do_sample is not None:
        if not isinstance(request.do_sample, bool):
            raise GLMValidationError("do_sample", request.do_sample, "True or False")
        body["do_sample"] = request.do_sample
    if request.top_p is not None:
        _check_range("top_p", request.top_p, limits.top_p)
        body["top_p"] = request.top_p


def _max_tokens(body: dict[str, Any], request: ChatRequest, limits: Limits) -> None:
    mt = request.max_tokens
    if mt is None:
        return
    low, high = limits.max_tokens
    spec = model_spec(request.model)
    limit = f"an integer in [{low}, {high}]"
    if spec.known and spec.max_output_tokens < high:
        high = spec.max_output_tokens
        limit = f"an integer in [{low}, {high}] ({spec.name}'s output limit)"
    if isinstance(mt, bool) or not isinstance(mt, int) or not low <= mt <= high:
        raise GLMValidationError("max_tokens", mt, limit)
    body["max_tokens"] = mt


def _stop(body: dict[str, Any], request: ChatRequest, provider: Provider) -> None:
    if request.stop is None:
        return
    raw = request.stop
    stop = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, (list, tuple)) else None
    limit = provider.limits.max_stop
    if stop is None or len(stop) > limit or not all(isinstance(s, str) and s for s in stop):
        raise GLMValidationError("stop", raw, f"at most {limit} non-empty string(s) on {provider}")
    if stop:
        body["stop"] = stop


def _tool_choice(body: dict[str, Any], request: ChatRequest, limits: Limits) -> None:
    if request.tool_choice is None:
        return
    if request.tool_choice not in limits.tool_choices:
        raise GLMValidationError(
            "tool_choice",
            request.tool_choice,
            f"{', '.join(sorted(limits.tool_choices))} (GLM supports only automatic choice)",
        )
    if request.tools:
        body["tool_choice"] = request.tool_choice


def _thinking(body: dict[str, Any], request: ChatRequest, provider: Provider) -> None:
    th = request.thinking
    effort = request.reasoning_effort
    if effort is not None or (isinstance(th, dict) and th.get("type") == "disabled"):
        spec = model_spec(request.model)
        if request.effort_mapping == "nearest" and isinstance(effort, str):
            effort = nearest_effort(spec, provider.name, effort)  # asked for: never by default
        check_reasoning(spec, provider.name, th if isinstance(th, dict) else None, effort)
        if effort is not None:
            body["reasoning_effort"] = effort
    if th is None:
        return
    if not isinstance(th, dict) or th.get("type") not in THINKING_TYPES:
        raise GLMValidationError(
            "thinking",
            th,
            "{'type': 'enabled' | 'disabled', 'clear_thinking': bool}, or True/False",
        )
    if "clear_thinking" in th and not isinstance(th["clear_thinking"], bool):
        raise GLMValidationError("thinking.clear_thinking", th["clear_thinking"], "True or False")
    body["thinking"] = th


def _response_format(body: dict[str, Any], request: ChatRequest, limits: Limits) -> None:
    rf = request.response_format
    if rf is None:
        return
    allowed = ", ".join(repr(t) for t in sorted(limits.response_formats))
    rtype = rf.get("type") if isinstance(rf, dict) else None
    if rtype not in limits.response_formats:
        raise GLMValidationError(
            "response_format.type" if isinstance(rf, dict) else "response_format",
            rtype if isinstance(rf, dict) else rf,
            f"a dict {{'type': {allowed}}} (GLM has no json_schema mode: a json_schema format "
            "goes the forced-tool way, which needs a request without tools of its own)",
        )
    body["response_format"] = rf


def _ids(body: dict[str, Any], request: ChatRequest) -> None:
    if request.request_id is not None:
        if not isinstance(request.request_id, str) or not 6 <= len(request.request_id) <= 64:
            raise GLMValidationError(
                "request_id", request.request_id, "a string of 6-64 characters"
            )
        body["request_id"] = request.request_id
    if request.user_id is not None:
        if not isinstance(request.user_id, str) or not 6 <= len(request.user_id) <= 128:
            raise GLMValidationError("user_id", request.user_id, "a string of 6-128 characters")
        body["user_id"] = request.user_id


def _extra(body: dict[str, Any], request: ChatRequest) -> None:
    extra = request.extra_body
    if not extra:
        return
    if not isinstance(extra, dict):
        raise GLMValidationError("extra_body", extra, "a dict of extra JSON body fields")
    if "stream" in extra:
        raise GLMValidationError(
            "stream", extra["stream"], "not a request field: call the stream methods to stream"
        )
    body.update(extra)


def wire_model(model: str, provider: Provider) -> str:
    """The model code sent: a client-side tag (``glm-5.4[1m]``) is dropped on GLM's own API.

    Coding Plan clients spell the 1M-context setting into the name; Z.ai answers that name with
    "Unknown Model" (wire reference §9.4). A custom gateway gets the name as given: it may route
    on the tag.
    """
    if provider.official and model.endswith("]"):
        start = model.rfind("[")
        if start > 0:
            return model[:start]
    return model


def build_chat_body(request: ChatRequest, provider: Provider, *, stream: bool) -> dict[str, Any]:
    """The JSON body for ``POST {base_url}/chat/completions``, every limit checked on the way."""
    limits = provider.limits
    if not request.model or not isinstance(request.model, str):
        raise GLMValidationError("model", request.model, "a model name such as 'glm-5-turbo'")
    body: dict[str, Any] = {
        "model": wire_model(request.model, provider),
        "messages": validate_messages(hoist_tool_media(request.messages, request.model), provider),
    }
    if stream:
        body["stream"] = True
    _sampling(body, request, limits)
    _max_tokens(body, request, limits)
    _stop(body, request, provider)
    if request.tools:
        body["tools"] = _check_tools(request.tools, provider)
    _tool_choice(body, request, limits)
    if request.tool_stream and stream and request.tools:
        body["tool_stream"] = True
    _thinking(body, request, provider)
    _response_format(body, request, limits)
    _ids(body, request)
    _extra(body, request)
    return body
