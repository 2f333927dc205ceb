"""Pure conversions between LlamaIndex chat messages and GLM's wire format. No network I/O.

``to_wire_*`` build what GLM accepts; ``from_wire_*`` and :class:`StreamAssembler` turn the
transport's neutral results into LlamaIndex responses, following the conventions its agents and
programs read: tool calls as ``ToolCallBlock`` and in ``additional_kwargs["tool_calls"]``,
reasoning as a ``ThinkingBlock`` and each reasoning increment in
``additional_kwargs["thinking_delta"]``, usage in ``additional_kwargs`` and in ``raw["usage"]``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    ChatResponse,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from glm_transport import ChatResult, GLMValidationError, StreamChunk, ToolCall, Usage
from glm_transport.request import assistant_message

__all__ = [
    "StreamAssembler",
    "from_wire_result",
    "parse_tool_kwargs",
    "to_wire_messages",
    "to_wire_tools",
]

_ROLES = {
    MessageRole.SYSTEM: "system",
    MessageRole.DEVELOPER: "system",
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.CHATBOT: "assistant",
    MessageRole.MODEL: "assistant",
    MessageRole.TOOL: "tool",
    MessageRole.FUNCTION: "tool",
}


def _b64(raw: bytes) -> str:
    """Bytes that may already be base64 (LlamaIndex stores either) to base64 text."""
    try:
        base64.b64decode(raw, validate=True)
        return raw.decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return base64.b64encode(raw).decode("ascii")


def _media_url(block: Any, kind: str, where: str) -> str:
    url = getattr(block, "url", None)
    if url:
        return str(url)
    if kind == "image":
        data, mime = block.resolve_image(as_base64=True).read(), block.image_mimetype
    elif kind == "video":
        data, mime = block.resolve_video(as_base64=True).read(), block.video_mimetype
    else:
        data = base64.b64encode(block.resolve_document().read())
        mime = block.document_mimetype
    if not data:
        raise GLMValidationError(where, type(block).__name__, "a block with a url, path or data")
    default = {"image": "image/png", "video": "video/mp4", "file": "application/pdf"}[kind]
    return f"data:{mime or default};base64,{_b64(data)}"


def _part(block: Any, where: str) -> dict[str, Any] | None:
    if isinstance(block, TextBlock):
        return {"type": "text", "text": block.text}
    if isinstance(block, ImageBlock):
        return {"type": "image_url", "image_url": {"url": _media_url(block, "image", where)}}
    if isinstance(block, VideoBlock):
        return {"type": "video_url", "video_url": {"url": _media_url(block, "video", where)}}
    if isinstance(block, DocumentBlock):
        return {"type": "file_url", "file_url": {"url": _media_url(block, "file", where)}}
    if isinstance(block, AudioBlock):
        data = block.resolve_audio(as_base64=True).read()
        return {
            "type": "input_audio",
            "input_audio": {"data": _b64(data), "format": block.format or "wav"},
        }
    if isinstance(block, CachePoint):
        return None  # GLM caches shared prefixes by itself; the hint has no wire form
    raise GLMValidationError(
        f"{where}.block_type",
        getattr(block, "block_type", type(block).__name__),
        "text, image, video, document, audio, thinking or tool_call blocks",
    )


def _wire_calls(message: ChatMessage) -> list[dict[str, Any]]:
    calls = [
        {
            "id": b.tool_call_id or f"call_{i}",
            "type": "function",
            "function": {
                "name": b.tool_name,
                "arguments": b.tool_kwargs
                if isinstance(b.tool_kwargs, str)
                else json.dumps(b.tool_kwargs, ensure_ascii=False),
            },
        }
        for i, b in enumerate(x for x in message.blocks if isinstance(x, ToolCallBlock))
    ]
    if calls:
        return calls
    # Messages built by hand or by older code: OpenAI-style dicts in additional_kwargs.
    legacy = message.additional_kwargs.get("tool_calls") or []
    if not isinstance(legacy, list):
        legacy = [legacy]
    out = []
    for i, tc in enumerate(legacy):
        if hasattr(tc, "model_dump"):
            tc = tc.model_dump()
        fn = tc.get("function") if isinstance(tc, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise GLMValidationError(
                f"additional_kwargs.tool_calls[{i}]",
                tc,
                "{'id': str, 'type': 'function', 'function': {'name': str, 'arguments': str}}",
            )
        args = fn.get("arguments")
        out.append(
            {
                "id": str(tc.get("id") or f"call_{i}"),
                "type": "function",
                "function": {
                    "name": fn["name"],
                    "arguments": args
                    if isinstance(args, str)
                    else json.dumps(args or {}, default=str),
                },
            }
        )
    return out


def _reasoning(message: ChatMessage) -> str | None:
    parts = [b.content for b in message.blocks if isinstance(b, ThinkingBlock) and b.content]
    if parts:
        return "".join(parts)
    found = message.additional_kwargs.get("reasoning_content")
    return found if isinstance(found, str) and found else None  # other types: not reasoning


def to_wire_messages(
    messages: Sequence[ChatMessage], *, send_reasoning: str = "tool_turns"
) -> list[dict[str, Any]]:
    """LlamaIndex messages to GLM wire messages.

    ``send_reasoning`` as in the LangChain integration: ``"all"`` (preserved thinking),
    ``"tool_turns"`` (turns holding tool calls: interleaved thinking) or ``"none"``.
    """
    out: list[dict[str, Any]] = []
    for i, msg in enumerate(messages):
        role = _ROLES.get(MessageRole(msg.role))
        where = f"messages[{i}]"
        parts = [
            p
            for j, b in enumerate(msg.blocks)
            if not isinstance(b, (ThinkingBlock, ToolCallBlock))
            and (p := _part(b, f"{where}.blocks[{j}]")) is not None
        ]
        only_text = all(p["type"] == "text" for p in parts)
        text = "".join(p["text"] for p in parts) if only_text else None
        if role == "user":
            out.append({"role": "user", "content": text if only_text else parts})
            continue
        if not only_text:
            raise GLMValidationError(
                f"{where}.blocks",
                [p["type"] for p in parts],
                f"text blocks only for role '{role}' (GLM takes media in user messages)",
            )
        if role == "system":
            out.append({"role": "system", "content": text})
        elif role == "assistant":
            calls = _wire_calls(msg)
            out.append(assistant_message(text or "", calls, _reasoning(msg), send_reasoning))
        elif role == "tool":
            call_id = msg.additional_kwargs.get("tool_call_id")
            if not call_id or not isinstance(call_id, str):
                raise GLMValidationError(
                    f"{where}.additional_kwargs.tool_call_id",
                    None,
                    "the id of the tool call this message answers",
                )
            out.append({"role": "tool", "tool_call_id": call_id, "content": text or ""})
        else:
            raise GLMValidationError(f"{where}.role", msg.role, ", ".join(sorted(set(_ROLES))))
    return out


def to_wire_tools(tools: Sequence[Any]) -> list[dict[str, Any]]:
    """LlamaIndex tools (``BaseTool``) or ready wire dicts to GLM tool definitions."""
    out = []
    for tool in tools:
        if isinstance(tool, dict):
            out.append(tool)
            continue
        meta = tool.metadata
        out.append(
            {
                "type": "function",
                "function": {
                    "name": meta.get_name(),
                    "description": meta.description,
                    "parameters": meta.get_parameters_dict(),
                },
            }
        )
    return out


def parse_tool_kwargs(arguments: str | dict[str, Any]) -> dict[str, Any]:
    """Arguments to a dict, tolerating the partial JSON of a stream still in progress."""
    if isinstance(arguments, dict):
        return arguments
    if not arguments:
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        from llama_index.core.program.utils import _repair_incomplete_json

        try:
            value = json.loads(_repair_incomplete_json(arguments))
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _usage_kwargs(usage: Usage | None) -> dict[str, Any]:
    if usage is None:
        return {}
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "cached_tokens": usage.cached_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
    }


def _call_block(call: ToolCall) -> ToolCallBlock:
    return ToolCallBlock(
        tool_call_id=call.id, tool_name=call.name, tool_kwargs=parse_tool_kwargs(call.arguments)
    )


def _wire_call(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": call.arguments},
    }


def from_wire_result(result: ChatResult) -> ChatResponse:
    blocks: list[Any] = []
    if result.reasoning_content:
        blocks.append(ThinkingBlock(content=result.reasoning_content))
    if result.content or not result.tool_calls:
        blocks.append(TextBlock(text=result.content))
    blocks.extend(_call_block(c) for c in result.tool_calls)
    message_kwargs: dict[str, Any] = {}
    if result.tool_calls:
        message_kwargs["tool_calls"] = [_wire_call(c) for c in result.tool_calls]
    return ChatResponse(
        message=ChatMessage(
            role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=message_kwargs
        ),
        raw=result.raw,
        additional_kwargs={
            "finish_reason": result.finish_reason,
            "model": result.model,
            "request_id": result.request_id,
            "id": result.id,
            **_usage_kwargs(result.usage),
            **({"web_search": result.web_search} if result.web_search else {}),
        },
    )


class StreamAssembler:
    """Streamed chunks to cumulative ``ChatResponse``s (the per-chunk hot path: keep it lean).

    Each response carries the message so far (agents keep the last one), the new text in
    ``delta``, the new reasoning in ``additional_kwargs["thinking_delta"]``, and once known the
    finish reason, model, request id and usage.
    """

    __slots__ = ("calls", "info", "reasoning", "text", "usage_raw")

    def __init__(self) -> None:
        # Running strings, not lists joined per chunk: appending costs a copy of the text so far
        # at worst, where a join would walk every piece again.
        self.text = ""
        self.reasoning = ""
        self.calls: dict[int, list[Any]] = {}  # index -> [id, name, argument pieces]
        self.info: dict[str, Any] = {}
        self.usage_raw: dict[str, Any] | None = None

    def add(self, chunk: StreamChunk) -> ChatResponse:
        if chunk.content:
            self.text += chunk.content
        if chunk.reasoning_content:
            self.reasoning += chunk.reasoning_content
        if chunk.tool_calls:
            for d in chunk.tool_calls:
                slot = self.calls.get(d.index)
                if slot is None:
                    slot = self.calls[d.index] = [d.id, d.name, []]
                else:
                    slot[0] = slot[0] or d.id
                    slot[1] = slot[1] or d.name
                if d.arguments:
                    slot[2].append(d.arguments)
        if chunk.model is not None:
            self.info.update(model=chunk.model, request_id=chunk.request_id, id=chunk.id)
        if chunk.finish_reason is not None:
            self.info["finish_reason"] = chunk.finish_reason
        raw = chunk.raw
        if chunk.usage is not None:
            self.info.update(_usage_kwargs(chunk.usage))
            self.usage_raw = chunk.usage.raw
        elif self.usage_raw is not None and raw is not None:
            raw = {**raw, "usage": self.usage_raw}  # token counters read the last raw's usage
        extra = dict(self.info)
        if chunk.reasoning_content:
            extra["thinking_delta"] = chunk.reasoning_content
        return ChatResponse(
            message=self.message(), delta=chunk.content or "", raw=raw, additional_kwargs=extra
        )

    def message(self) -> ChatMessage:
        blocks: list[Any] = []
        if self.reasoning:
            blocks.append(ThinkingBlock(content=self.reasoning))
        if self.text or not self.calls:
            blocks.append(TextBlock(text=self.text))
        kwargs: dict[str, Any] = {}
        if self.calls:
            wire = []
            for index in sorted(self.calls):
                call_id, name, pieces = self.calls[index]
                args = "".join(pieces)
                blocks.append(
                    ToolCallBlock(
                        tool_call_id=call_id,
                        tool_name=name or "",
                        tool_kwargs=parse_tool_kwargs(args),
                    )
                )
                wire.append(
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": name or "", "arguments": args},
                    }
                )
            kwargs["tool_calls"] = wire
        return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=kwargs)

    def called(self) -> list[str]:
        return [slot[1] for slot in self.calls.values() if slot[1]]
