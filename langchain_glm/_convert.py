"""Pure conversions between LangChain messages and GLM's wire format. No I/O.

``to_wire_*`` build what GLM accepts; ``from_wire_*`` turn the transport's neutral results into
LangChain messages. GLM-specific choices, each documented where the quirk is handled:

* reasoning (``reasoning_content``) travels in ``additional_kwargs["reasoning_content"]`` and is sent
  back on earlier assistant turns when GLM needs it (preserved thinking, tool-call turns);
* GLM has no ``name`` field on messages, and tool results are plain strings;
* only ``tool_choice="auto"`` exists upstream: see :mod:`glm_transport.tools`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    InvalidToolCall,
    SystemMessage,
    ToolCall,
    ToolMessage,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import (
    invalid_tool_call,
    tool_call,
    tool_call_chunk,
)

from glm_transport import ChatCompletion, GLMValidationError, StreamChunk, Usage
from glm_transport.reply import normalized_finish_reason
from glm_transport.request import (
    DEFAULT_MIME,
    assistant_message,
    data_url,
    join_text,
    wire_tool_call,
)
from langchain_glm._blocks import MODEL_PROVIDER

__all__ = [
    "MODEL_PROVIDER",
    "from_wire_chunk",
    "from_wire_result",
    "to_usage_metadata",
    "to_wire_messages",
]

_TEXT_TYPES = frozenset({"text", "text-plain"})
# Blocks of an assistant turn whose content travels in its own wire field, not as text.
_OWN_FIELDS = frozenset(
    {
        "reasoning",
        "thinking",
        "tool_call",
        "tool_use",
        "tool_call_chunk",
        "invalid_tool_call",
        "server_tool_call",
        "server_tool_call_chunk",
        "server_tool_result",
    }
)


def _str(value: Any, where: str, allowed: str = "a string") -> str:
    if not isinstance(value, str):
        raise GLMValidationError(where, value, allowed)
    return value


def _url_of(block: dict[str, Any], kind: str) -> str | None:
    """A URL or a data: URL for a standard (v1) or legacy (v0 ``source_type``) media block."""
    url = block.get("url")
    if isinstance(url, str) and url:
        return url
    data = block.get("base64") or (
        block.get("data") if block.get("source_type") == "base64" else None
    )
    mime = block.get("mime_type")
    if isinstance(data, str) and data and (mime is None or isinstance(mime, str)):
        return data_url(kind, mime, data)
    return None


def _to_wire_part(block: Any, where: str) -> dict[str, Any]:
    """One LangChain content block to one GLM content part."""
    if isinstance(block, str):
        return {"type": "text", "text": block}
    if not isinstance(block, dict):
        raise GLMValidationError(where, block, "a string or a content block dict")
    btype = block.get("type")
    if btype in _TEXT_TYPES:
        return {"type": "text", "text": _str(block.get("text", ""), f"{where}.text")}
    if btype in ("image_url", "video_url", "file_url"):
        inner = block.get(btype)
        url = (
            inner
            if isinstance(inner, str)
            else (inner.get("url") if isinstance(inner, dict) else None)
        )
        return {"type": btype, btype: {"url": _str(url, f"{where}.{btype}.url", "a URL string")}}
    if btype in DEFAULT_MIME:
        url = _url_of(block, btype)
        if url is None:
            raise GLMValidationError(
                f"{where}.{btype}",
                block.get("file_id") or block,
                "a block with `url` or `base64` data (GLM has no file ids)",
            )
        wire = {"image": "image_url", "video": "video_url", "file": "file_url"}[btype]
        return {"type": wire, wire: {"url": url}}
    if btype == "audio" or btype == "input_audio":
        found = block.get("input_audio")
        audio: dict[str, Any] = found if isinstance(found, dict) else {}
        data = _str(block.get("base64") or audio.get("data"), f"{where}.base64", "base64 audio")
        fmt = _str(block.get("mime_type") or "audio/wav", f"{where}.mime_type")
        fmt = _str(audio.get("format", fmt.rsplit("/", 1)[-1]), f"{where}.format")
        return {"type": "input_audio", "input_audio": {"data": data, "format": fmt}}
    raise GLMValidationError(
        f"{where}.type",
        btype,
        "text, image/image_url, video/video_url, file/file_url or audio content blocks",
    )


def _text_only(content: str | list[Any], where: str) -> str:
    """Content for roles GLM takes as a plain string (system, tool, assistant)."""
    if isinstance(content, str):
        return content
    texts = []
    for i, block in enumerate(content):
        if isinstance(block, str):
            texts.append(block)
        elif isinstance(block, dict) and block.get("type") in _TEXT_TYPES:
            texts.append(_str(block.get("text", ""), f"{where}[{i}].text"))
        elif isinstance(block, dict) and block.get("type") in _OWN_FIELDS:
            continue  # carried in their own fields (reasoning_content, tool_calls)
        else:
            btype = block.get("type") if isinstance(block, dict) else type(block).__name__
            raise GLMValidationError(
                f"{where}[{i}].type", btype, "text blocks only (GLM takes a plain string here)"
            )
    return join_text(texts)


def _reasoning_of(message: AIMessage) -> str | None:
    found = message.additional_kwargs.get("reasoning_content")
    if isinstance(found, str) and found:
        return found
    if isinstance(message.content, list):
        parts = [
            b.get("reasoning") or b.get("thinking") or ""
            for b in message.content
            if isinstance(b, dict) and b.get("type") in ("reasoning", "thinking")
        ]
        if any(parts):
            return "".join(parts)
    return None


def _wire_tool_calls(message: AIMessage) -> list[dict[str, Any]]:
    calls = [
        wire_tool_call(tc.get("id") or f"call_{i}", tc["name"], tc.get("args") or {})
        for i, tc in enumerate(message.tool_calls)
    ]
    # Calls GLM produced that did not parse are sent back as GLM wrote them.
    calls += [
        wire_tool_call(
            tc.get("id") or f"call_invalid_{i}", tc.get("name") or "", tc.get("args") or ""
        )
        for i, tc in enumerate(message.invalid_tool_calls)
    ]
    return calls


def to_wire_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """LangChain messages to GLM wire messages, every assistant turn with its reasoning.

    Which of it GLM sees again is decided by :func:`glm_transport.plan.plan_chat`.
    """
    out: list[dict[str, Any]] = []
    for i, msg in enumerate(messages):
        where = f"messages[{i}].content"
        if isinstance(msg, SystemMessage):
            out.append({"role": "system", "content": _text_only(msg.content, where)})
        elif isinstance(msg, HumanMessage):
            content = msg.content
            if isinstance(content, list):
                parts = [_to_wire_part(b, f"{where}[{j}]") for j, b in enumerate(content)]
                # GLM's text models take a string only: keep a parts list just for media.
                if all(p["type"] == "text" for p in parts):
                    out.append({"role": "user", "content": join_text(p["text"] for p in parts)})
                else:
                    out.append({"role": "user", "content": parts})
            else:
                out.append({"role": "user", "content": content})
        elif isinstance(msg, AIMessage):
            text = _text_only(msg.content, where)
            calls = _wire_tool_calls(msg)
            out.append(assistant_message(text, calls, _reasoning_of(msg)))
        elif isinstance(msg, ToolMessage):
            result = _tool_content(msg.content, where)
            if msg.status == "error":
                # GLM has no error flag on tool results: say it in the content.
                if isinstance(result, str) and not result.lower().startswith("error"):
                    result = f"Error: {result}"
                elif isinstance(result, list):
                    result = [{"type": "text", "text": "Error:"}, *result]
            out.append({"role": "tool", "tool_call_id": msg.tool_call_id, "content": result})
        elif isinstance(msg, ChatMessage) and msg.role in ("system", "user", "assistant"):
            out.append({"role": msg.role, "content": _text_only(msg.content, where)})
        else:
            raise GLMValidationError(
                f"messages[{i}]",
                type(msg).__name__,
                "SystemMessage, HumanMessage, AIMessage, ToolMessage or a ChatMessage with role "
                "system/user/assistant",
            )
    return out


def _tool_content(content: str | list[Any], where: str) -> str | list[dict[str, Any]]:
    """A tool result: its text, or its parts when it returned media.

    The transport moves media where GLM takes them (``glm_transport.request.hoist_tool_media``).
    """
    if isinstance(content, str):
        return content
    try:
        return _text_only(content, where)
    except GLMValidationError:
        return [_to_wire_part(block, f"{where}[{j}]") for j, block in enumerate(content)]


def to_usage_metadata(usage: Usage) -> UsageMetadata:
    return UsageMetadata(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
        input_token_details=InputTokenDetails(cache_read=usage.cached_tokens),
        output_token_details=OutputTokenDetails(reasoning=usage.reasoning_tokens),
    )


def _parse_calls(result: ChatCompletion) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for tc in result.tool_calls:
        try:
            if not tc.name:
                raise ValueError("GLM sent a tool call without a name")
            args = json.loads(tc.arguments) if tc.arguments else {}
            if not isinstance(args, dict):
                raise ValueError("arguments are not a JSON object")
        except ValueError as exc:
            invalid.append(
                invalid_tool_call(name=tc.name, args=tc.arguments, id=tc.id, error=str(exc))
            )
            continue
        calls.append(tool_call(name=tc.name, args=args, id=tc.id))
    return calls, invalid


def from_wire_result(result: ChatCompletion) -> AIMessage:
    """A whole GLM reply to an ``AIMessage`` with reasoning, tool calls, usage and metadata."""
    calls, invalid = _parse_calls(result)
    additional: dict[str, Any] = {}
    if result.reasoning_content:
        additional["reasoning_content"] = result.reasoning_content
    metadata: dict[str, Any] = {
        "model_name": result.model,
        "finish_reason": result.finish_reason,
        "id": result.id,
        "request_id": result.request_id,
        "model_provider": MODEL_PROVIDER,
    }
    if result.finish_reason:
        metadata["normalized_finish_reason"] = normalized_finish_reason(result.finish_reason)
    if result.usage is not None:
        metadata["token_usage"] = result.usage.raw
    if result.web_search is not None:  # [] when search was offered and none came back
        metadata["web_search"] = result.web_search
        metadata["web_search_options"] = result.search_args
    if result.server_tool_calls:  # run by GLM (mcp): never among the tool calls to run
        additional["server_tool_calls"] = result.server_tool_calls
    return AIMessage(
        content=result.content,
        additional_kwargs=additional,
        tool_calls=calls,
        invalid_tool_calls=invalid,
        usage_metadata=to_usage_metadata(result.usage) if result.usage else None,
        response_metadata=metadata,
        id=result.id,
    )


def from_wire_chunk(chunk: StreamChunk, stream_usage: bool = True) -> AIMessageChunk:
    """One streamed GLM event to an ``AIMessageChunk`` (the per-chunk hot path: keep it lean).

    Chunks add up correctly: ``model_name``, ``id`` and the finish reason appear once, tool-call
    pieces carry a stable ``index`` (and the ``id`` on their first piece).
    """
    metadata: dict[str, Any] = {"model_provider": MODEL_PROVIDER}
    # Only the fields a chunk carries are passed: pydantic validates every argument given.
    fields: dict[str, Any] = {"content": chunk.content or "", "response_metadata": metadata}
    if chunk.reasoning_content:
        fields["additional_kwargs"] = {"reasoning_content": chunk.reasoning_content}
    if chunk.model is not None:
        metadata["model_name"] = chunk.model
        metadata["id"] = chunk.id
        metadata["request_id"] = chunk.request_id
        fields["id"] = chunk.id
    if chunk.finish_reason is not None:
        metadata["finish_reason"] = chunk.finish_reason
        metadata["normalized_finish_reason"] = normalized_finish_reason(chunk.finish_reason)
    if chunk.web_search is not None:
        metadata["web_search"] = chunk.web_search
        metadata["web_search_options"] = chunk.search_args
    if chunk.server_tool_calls:
        # Without the wire ``index``: chunk merging would fold records sharing one together.
        server = [{k: v for k, v in c.items() if k != "index"} for c in chunk.server_tool_calls]
        fields.setdefault("additional_kwargs", {})["server_tool_calls"] = server
    if chunk.tool_calls:
        fields["tool_call_chunks"] = [
            tool_call_chunk(name=d.name, args=d.arguments, id=d.id, index=d.index)
            for d in chunk.tool_calls
        ]
    if chunk.usage is not None and stream_usage:
        fields["usage_metadata"] = to_usage_metadata(chunk.usage)
    return AIMessageChunk(**fields)
