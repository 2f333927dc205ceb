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
from glm_transport.tags import TagSplitter, split_tags
from glm_transport.types import (
    ChatResult,
    StreamChunk,
    ToolCall,
    ToolCallDelta,
    Usage,
)

__all__ = [
    "CODE_ERRORS",
    "StreamState",
    "ToolCallAccumulator",
    "abnormal_finish_error",
    "parse_completion",
    "parse_error",
    "parse_usage",
]

# GLM business code -> error class (wire reference §4). Codes decide; the HTTP status is a fallback.
CODE_ERRORS: dict[str, type[E.APIError]] = {
    **dict.fromkeys(("1000", "1001", "1002", "1003", "1004"), E.AuthenticationError),
    **dict.fromkeys(
        (
            "1110",
            "1111",
            "1112",
            "1113",
            "1120",
            "1121",
            "1220",
            "1221",
            "1222",
            "1300",
            "1309",
            "1311",
        ),
        E.PermissionDeniedError,
    ),
    "1211": E.NotFoundError,
    **dict.fromkeys(
        ("1200", "1210", "1212", "1213", "1214", "1215", "1231"), E.InvalidRequestError
    ),
    "1261": E.ContextOverflowError,
    "1301": E.ContentFilterError,
    **dict.fromkeys(("1302", "1303", "1305", "1312"), E.RateLimitError),
    **dict.fromkeys(("1304", "1308", "1310", "1313"), E.QuotaExhaustedError),
    **dict.fromkeys(("500", "1230", "1234"), E.ServerError),
}

STATUS_ERRORS: dict[int, type[E.APIError]] = {
    400: E.InvalidRequestError,
    401: E.AuthenticationError,
    403: E.PermissionDeniedError,
    404: E.NotFoundError,
    413: E.InvalidRequestError,
    422: E.InvalidRequestError,
    429: E.RateLimitError,
    434: E.PermissionDeniedError,
    435: E.InvalidRequestError,
}

# Statuses worth another attempt whatever the class says (OpenAI/Anthropic SDK convention).
RETRYABLE_STATUSES = frozenset({408, 409})

_FINISH_ERRORS: dict[str, tuple[type[E.APIError], str]] = {
    "sensitive": (
        E.ContentFilterError,
        "GLM stopped the reply: content safety (finish_reason "
        "'sensitive'); the partial output is on the error's `partial`",
    ),
    "network_error": (
        E.ServerError,
        "GLM stopped the reply: inference failed upstream (finish_reason 'network_error')",
    ),
    "model_context_window_exceeded": (
        E.ContextOverflowError,
        "GLM stopped the reply: the "
        "context window is full (finish_reason "
        "'model_context_window_exceeded')",
    ),
}


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
    cls: type[E.APIError] | None = CODE_ERRORS.get(code) if code else None
    if cls is None and code and error_style == "openai":
        # OpenAI-style gateways use string codes such as "content_policy_violation".
        low = code.lower()
        if "policy" in low or "content_filter" in low or "sensitive" in low:
            cls = E.ContentFilterError
    if cls is None and status is not None:
        cls = STATUS_ERRORS.get(status)
        if cls is None and status >= 500:
            cls = E.ServerError
    cls = cls or E.APIError
    retryable: bool | None = None
    if status in RETRYABLE_STATUSES:
        retryable = True
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
    return int(value)


def parse_usage(raw: Mapping[str, Any] | None) -> Usage | None:
    if not raw:
        return None
    prompt = _count(raw.get("prompt_tokens"))
    completion = _count(raw.get("completion_tokens"))
    pdet = raw.get("prompt_tokens_details") or {}
    cdet = raw.get("completion_tokens_details") or {}
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=_count(raw.get("total_tokens")) or prompt + completion,
        cached_tokens=_count(pdet.get("cached_tokens")),
        reasoning_tokens=_count(cdet.get("reasoning_tokens")),
        raw=dict(raw),
    )


def _arguments_text(arguments: Any) -> str:
    # Z.ai's OpenAPI types arguments as an object; SDKs and captures send a JSON string.
    if arguments is None:
        return ""
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False)


def parse_completion(body: Any) -> ChatResult:
    """A non-streaming response body to a :class:`ChatResult`; error bodies raise typed errors."""
    try:
        return _completion(body)
    except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
        raise E.APIError(
            f"GLM returned a response of an unexpected shape ({exc})",
            request_id=_opt_str(body.get("request_id") or body.get("id"))
            if isinstance(body, Mapping)
            else None,
            body=body,
        ) from None


def _completion(body: Any) -> ChatResult:
    if not isinstance(body, Mapping):
        raise E.APIError("GLM returned a response that is not a JSON object", body=body)
    if body.get("error"):
        raise parse_error(None, body)
    choices = body.get("choices") or []
    if not choices or not isinstance(choices[0], Mapping):
        raise E.APIError(
            "GLM returned a response without choices",
            request_id=body.get("request_id") or body.get("id"),
            body=body,
        )
    choice = choices[0]
    message = choice.get("message") or {}
    calls = [
        ToolCall(
            id=str(tc.get("id") or f"call_{i}"),
            name=_text((tc.get("function") or {}).get("name")) or "",
            arguments=_arguments_text((tc.get("function") or {}).get("arguments")),
            type=tc.get("type") or "function",
            index=i,
        )
        for i, tc in enumerate(message.get("tool_calls") or [])
    ]
    content, tagged = split_tags(_text(message.get("content")) or "")
    reasoning = _text(message.get("reasoning_content"))
    if tagged:  # GLM-4.5V's <think> inside content
        reasoning = (reasoning or "") + tagged
    return ChatResult(
        content=content,
        reasoning_content=reasoning,
        tool_calls=calls,
        finish_reason=_text(choice.get("finish_reason")),
        usage=parse_usage(body.get("usage")),
        id=_opt_str(body.get("id")),
        request_id=_opt_str(body.get("request_id") or body.get("id")),
        model=_opt_str(body.get("model")),
        created=body.get("created"),
        web_search=list(body["web_search"]) if body.get("web_search") else None,
        raw=dict(body),
    )


def abnormal_finish_error(
    finish_reason: str, request_id: str | None, partial: Any
) -> E.APIError | None:
    """The typed error for ``sensitive`` / ``network_error`` / ``model_context_window_exceeded``."""
    found = _FINISH_ERRORS.get(finish_reason)
    if found is None:
        return None
    cls, message = found
    err = cls(message, code=finish_reason, request_id=request_id)
    err.partial = partial  # type: ignore[attr-defined]
    return err


class ToolCallAccumulator:
    """Assembles streamed tool-call pieces into complete calls.

    Keys by GLM's ``index`` but starts a new call when a piece carries a new ``id`` at an index
    already in use, so calls that all say ``index: -1`` or ``0`` (glm-4.5-flash) stay apart. Each
    call gets a stable position 0, 1, 2 ... which is what framework chunk-merging keys on.
    """

    __slots__ = ("_by_wire", "calls")

    def __init__(self) -> None:
        self.calls: list[ToolCallDelta] = []
        self._by_wire: dict[int, int] = {}

    def add(self, raw: Mapping[str, Any]) -> ToolCallDelta:
        """Fold one wire piece in; returns the piece re-indexed to its stable position."""
        fn = raw.get("function") or {}
        wire_index = raw.get("index")
        call_id = _opt_str(raw.get("id"))
        pos = self._by_wire.get(wire_index) if isinstance(wire_index, int) else None
        if pos is not None and call_id and self.calls[pos].id and self.calls[pos].id != call_id:
            pos = None
        if pos is None and wire_index is None and not call_id and self.calls:
            pos = len(self.calls) - 1  # a continuation with neither index nor id
        name = _text(fn.get("name"))
        args = _arguments_text(fn.get("arguments")) if "arguments" in fn else None
        if pos is None:
            pos = len(self.calls)
            kind = _opt_str(raw.get("type"))
            self.calls.append(ToolCallDelta(pos, call_id, name, args or "", kind))
            if isinstance(wire_index, int):
                self._by_wire[wire_index] = pos
        else:
            call = self.calls[pos]
            if call_id and not call.id:
                call.id = call_id
            if name and not call.name:
                call.name = name
            if args:
                call.arguments = (call.arguments or "") + args
        return ToolCallDelta(pos, call_id, name, args, _opt_str(raw.get("type")))

    def complete(self) -> list[ToolCall]:
        return [
            ToolCall(
                id=c.id or f"call_{c.index}",
                name=c.name or "",
                arguments=c.arguments or "",
                type=c.type or "function",
                index=c.index,
            )
            for c in self.calls
        ]


class StreamState:
    """Per-stream decoding state: turns each decoded JSON event into a :class:`StreamChunk`.

    Emits a finish reason once (GLM may send the finish chunk twice), normalises tool-call indices,
    and remembers what it saw so the reader can tell a complete stream from a cut one.
    """

    __slots__ = (
        "error_style",
        "finish_reason",
        "id",
        "model",
        "request_id",
        "saw_usage",
        "tags",
        "tools",
    )

    def __init__(self, error_style: str = "glm") -> None:
        self.tools = ToolCallAccumulator()
        self.finish_reason: str | None = None
        self.id: str | None = None
        self.model: str | None = None
        self.request_id: str | None = None
        self.saw_usage = False
        self.tags = TagSplitter()
        self.error_style = error_style

    def finish(self) -> StreamChunk | None:
        """End of stream: content held back while deciding about a tag, if any."""
        content, reasoning = self.tags.flush()
        if not content and not reasoning:
            return None
        return StreamChunk(content=content or None, reasoning_content=reasoning or None)

    def process(self, data: Any) -> StreamChunk | None:
        """One event's JSON to a chunk; ``None`` when it carries nothing new."""
        if not isinstance(data, dict):
            raise E.StreamInterruptedError(
                f"GLM sent a stream frame that is not a JSON object: {str(data)[:200]!r}",
                request_id=self.request_id,
            )
        if data.get("error"):
            raise parse_error(None, data, error_style=self.error_style)
        try:
            return self._chunk(data)
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            raise E.StreamInterruptedError(
                f"GLM sent a stream frame of an unexpected shape ({exc}): {str(data)[:200]!r}",
                request_id=self.request_id,
            ) from None

    def _chunk(self, data: dict[str, Any]) -> StreamChunk:
        chunk = StreamChunk(raw=data)
        if self.id is None:
            self.id = _opt_str(data.get("id"))
            self.request_id = _opt_str(data.get("request_id")) or self.id
            self.model = _opt_str(data.get("model"))
            chunk.id, chunk.model, chunk.request_id = self.id, self.model, self.request_id
        choices = data.get("choices")
        if choices:
            choice = choices[0]
            delta = choice.get("delta")
            if delta:
                content = _text(delta.get("content"))
                chunk.reasoning_content = _text(delta.get("reasoning_content"))
                if content:
                    content, tagged = self.tags.feed(content)
                    if tagged:  # GLM-4.5V's <think> inside content
                        chunk.reasoning_content = (chunk.reasoning_content or "") + tagged
                chunk.content = content
                raw_calls = delta.get("tool_calls")
                if raw_calls:
                    chunk.tool_calls = [self.tools.add(tc) for tc in raw_calls]
            reason = choice.get("finish_reason")
            if reason and self.finish_reason is None:
                self.finish_reason = chunk.finish_reason = _text(reason)
        usage = data.get("usage")
        if usage and not self.saw_usage:
            # Usage once per stream: a repeated finish chunk must not double the counts.
            self.saw_usage = True
            chunk.usage = parse_usage(usage)
        if data.get("web_search"):
            chunk.web_search = list(data["web_search"])
        return chunk
