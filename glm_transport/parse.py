"""Pure parsers: GLM's wire JSON to neutral results and typed errors. No I/O.

Leniency follows the wire reference: ``object`` may be missing, ``role`` repeats in every delta,
tool-call ``arguments`` may be a JSON string or an object, tool-call ``index`` may be ``-1``, a
finish chunk may be sent twice, usage may sit in the finish chunk or in a trailing ``choices: []``
chunk, ``error`` may arrive as a frame inside a 200 stream.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from glm_transport import errors as E
from glm_transport.tags import split_tags
from glm_transport.types import (
    ChatCompletion,
    ToolCall,
    Usage,
)

__all__ = [
    "is_server_call",
    "parse_completion",
    "parse_error",
    "parse_usage",
]


def _error_fields(body: Any) -> tuple[str | None, str | None, str | None]:
    """(code, message, request_id) from any of the error shapes seen."""
    if not isinstance(body, Mapping):
        return None, None, None
    request_id = body.get("request_id") or body.get("id")
    err = body.get("error", body)
    if isinstance(err, Mapping):
        code = err.get("code")
        message = err.get("message") or err.get("msg")
        request_id = request_id or err.get("request_id")
    else:
        code, message = None, str(err)
    return (
        str(code) if code is not None else None,
        str(message) if message is not None else None,
        str(request_id) if request_id else None,
    )


def parse_error(
    status: int | None,
    body: Any,
    headers: Mapping[str, str] | None = None,
    *,
    error_style: str = "glm",
) -> E.APIError:
    """Map an error response (or an ``error`` frame) to the most specific typed error."""
    code, message, request_id = _error_fields(body)
    if headers is not None and not request_id:
        request_id = headers.get("x-request-id") or headers.get("request-id")
    cls, retryable = E.classify(status, code, error_style)
    text = message or (body if isinstance(body, str) and body else None)
    return cls(
        text or f"GLM returned HTTP {status}",
        status=status,
        code=code,
        request_id=request_id,
        body=body,
        retryable=retryable,
    )


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"expected a string, got {type(value).__name__}")


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _count(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a token count, got {value!r}")
    try:
        return int(value)
    except (OverflowError, ValueError):  # Infinity or NaN, which json.loads reads
        raise TypeError(f"expected a token count, got {value!r}") from None


def _tokens(raw: Mapping[str, Any], key: str) -> int:
    value = raw.get(key)
    # The common case (an int) inline; _count checks and refuses everything else.
    return value if type(value) is int else _count(value)


def parse_usage(raw: Mapping[str, Any] | None) -> Usage | None:
    """A reply's ``usage`` as :class:`Usage` (``None`` when absent or empty)."""
    if not raw:
        return None
    prompt = _tokens(raw, "prompt_tokens")
    completion = _tokens(raw, "completion_tokens")
    pdet = raw.get("prompt_tokens_details")
    cdet = raw.get("completion_tokens_details")
    return Usage(
        prompt,
        completion,
        _tokens(raw, "total_tokens") or prompt + completion,
        _tokens(pdet, "cached_tokens") if pdet else 0,
        _tokens(cdet, "reasoning_tokens") if cdet else 0,
        dict(raw),
    )


def _arguments_text(arguments: Any) -> str:
    # Z.ai's OpenAPI types arguments as an object; SDKs and captures send a JSON string.
    if arguments is None:
        return ""
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False)


def parse_completion(body: Any) -> ChatCompletion:
    """A non-streaming response body to a :class:`ChatCompletion`; error bodies raise typed errors."""
    try:
        return _completion(body)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError, RecursionError) as exc:
        raise E.APIError(
            f"GLM returned a response of an unexpected shape ({exc})",
            request_id=_opt_str(body.get("request_id") or body.get("id"))
            if isinstance(body, Mapping)
            else None,
            body=body,
        ) from None


def _is_map(value: Any) -> bool:
    # A reply's JSON objects are dicts: the ABC check only for anything else.
    return type(value) is dict or isinstance(value, Mapping)


def _completion(body: Any) -> ChatCompletion:
    if not _is_map(body):
        raise E.APIError("GLM returned a response that is not a JSON object", body=body)
    if body.get("error"):
        raise parse_error(None, body)
    choices = body.get("choices") or []
    if not choices or not _is_map(choices[0]):
        raise E.APIError(
            "GLM returned a response without choices",
            request_id=_opt_str(body.get("request_id") or body.get("id")),
            body=body,
        )
    choice = choices[0]
    if choice.get("index") or len(choices) > 1:  # missing or None: the one choice asked for
        raise E.ServerError(
            f"GLM answered with {len(choices)} choices (first index {choice.get('index')!r}); "
            "only one choice (index 0) was asked for",
            request_id=_opt_str(body.get("request_id") or body.get("id")),
            retryable=False,
        )
    message = choice.get("message")
    if not _is_map(message):
        raise E.APIError(
            "GLM returned a choice without a message",
            request_id=_opt_str(body.get("request_id") or body.get("id")),
            body=body,
        )
    calls: list[ToolCall] = []
    server: list[dict[str, Any]] = []
    for tc in message.get("tool_calls") or ():
        if is_server_call(tc):
            server.append(dict(tc))
            continue
        i = len(calls)
        calls.append(
            ToolCall(
                id=str(tc.get("id") or f"call_{i}"),
                name=_text((tc.get("function") or {}).get("name")) or "",
                arguments=_arguments_text((tc.get("function") or {}).get("arguments")),
                type=tc.get("type") or "function",
                index=i,
            )
        )
    text = message.get("content")
    content, tagged = split_tags((text if type(text) is str else _text(text)) or "")
    reasoning = message.get("reasoning_content")
    if reasoning is not None and type(reasoning) is not str:
        reasoning = _text(reasoning)
    if tagged:  # GLM-4.5V's <think> inside content
        reasoning = (reasoning or "") + tagged
    reply_id = _opt_str(body.get("id"))
    echoed = body.get("request_id")
    searched = body.get("web_search")
    return ChatCompletion(
        content,
        reasoning,
        calls,
        _text(choice.get("finish_reason")),
        parse_usage(body.get("usage")),
        reply_id,
        _opt_str(echoed) if echoed else reply_id,
        _opt_str(body.get("model")),
        body.get("created"),
        list(searched) if searched else None,
        dict(body),
        server or None,
    )


def is_server_call(tool_call: Any) -> bool:
    """Whether a wire tool call is one GLM ran itself (``mcp`` and any other non-function type).

    BigModel's MCP tool answers with ``tool_calls`` entries of ``type: "mcp"`` carrying an
    ``mcp`` record (``mcp_list_tools``, ``mcp_call``; ``shared/reference/glm-platform.md``, MCP).
    They are results, not requests: handed to an agent as function calls they would have an
    empty name and be run. A missing ``type`` is a function call (as GLM's own replies send).
    """
    kind = tool_call.get("type")
    if kind is not None and kind != "function":
        return True
    # No function object: nothing an agent could run (and no name to run it by); kept as sent.
    return not isinstance(tool_call.get("function"), Mapping)
