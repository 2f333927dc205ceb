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
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from glm_transport import (
    ChatCompletion,
    GLMValidationError,
    StreamChunk,
    ToolCallAccumulator,
    Usage,
)
from glm_transport.request import assistant_message, data_url, join_text, wire_tool_call

__all__ = [
    "StreamAssembler",
    "from_wire_result",
    "parse_tool_kwargs",
    "preview_tool_kwargs",
    "reply_message",
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
    return data_url(kind, mime, _b64(data))


def _citation_text(block: Any, where: str) -> str:
    """Citable sources and citations have no GLM wire form: they go as text, source named."""
    inner = block.content if isinstance(block, CitableBlock) else [block.cited_content]
    texts = []
    for j, piece in enumerate(inner):
        part = _part(piece, f"{where}.content[{j}]")
        if part is None or part["type"] != "text":
            raise GLMValidationError(
                f"{where}.content[{j}]", type(piece).__name__, "text inside a citable block"
            )
        texts.append(part["text"])
    title = f"{block.title} " if getattr(block, "title", None) else ""
    return f"[{title}({block.source})] " + join_text(texts)


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
    if isinstance(block, (CitableBlock, CitationBlock)):
        return {"type": "text", "text": _citation_text(block, where)}
    raise GLMValidationError(
        f"{where}.block_type",
        getattr(block, "block_type", type(block).__name__),
        "text, image, video, document, audio, thinking or tool_call blocks",
    )


def _wire_calls(message: ChatMessage) -> list[dict[str, Any]]:
    calls = [
        wire_tool_call(b.tool_call_id or f"call_{i}", b.tool_name, b.tool_kwargs)
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
        out.append(
            wire_tool_call(str(tc.get("id") or f"call_{i}"), fn["name"], fn.get("arguments"))
        )
    return out


def _reasoning(message: ChatMessage) -> str | None:
    parts = [b.content for b in message.blocks if isinstance(b, ThinkingBlock) and b.content]
    if parts:
        return "".join(parts)
    found = message.additional_kwargs.get("reasoning_content")
    return found if isinstance(found, str) and found else None  # other types: not reasoning


_OWN_BLOCKS = (ThinkingBlock, ToolCallBlock)


def search_citations(records: Sequence[Any]) -> list[CitationBlock]:
    """One ``CitationBlock`` per GLM web search result.

    As llama-index-llms-anthropic appends its search citations; the records themselves stay in
    ``additional_kwargs["web_search"]``.
    """
    return [
        CitationBlock(
            cited_content=TextBlock(text=str(r.get("content") or "")),
            source=str(r.get("link") or ""),
            title=str(r.get("title") or ""),
            additional_location_info={},
        )
        for r in records
        if isinstance(r, dict)
    ]


def _server_kwargs(
    web_search: list[dict[str, Any]] | None,
    options: dict[str, Any] | None,
    server_calls: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    """What GLM ran itself: search results (``[]``: offered, none came) and MCP records."""
    out: dict[str, Any] = {}
    if web_search is not None:
        out["web_search"] = web_search
        out["web_search_options"] = options
    if server_calls:  # never ToolCallBlocks: an agent must not run them
        out["server_tool_calls"] = server_calls
    return out


def _plain_text(blocks: Sequence[Any]) -> str | None:
    """The text of a message made of text blocks alone (most messages), else ``None``.

    Such a message needs no wire parts: its text is sent as the content.
    """
    for block in blocks:
        if type(block) is not TextBlock:
            return None
    if len(blocks) == 1:
        return blocks[0].text  # type: ignore[no-any-return]
    return join_text([block.text for block in blocks])


def to_wire_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """LlamaIndex messages to GLM wire messages, every assistant turn with its reasoning.

    Which of it GLM sees again is decided by :func:`glm_transport.plan.plan_chat`.
    """
    out: list[dict[str, Any]] = []
    for i, msg in enumerate(messages):
        role = _ROLES.get(msg.role)  # a str enum: its plain string finds it too
        where = f"messages[{i}]"
        text = _plain_text(msg.blocks)
        parts: list[dict[str, Any]] = []
        only_text = text is not None
        if text is None:
            # A reply's own citations (its search results) are not sent back as text.
            skip = _OWN_BLOCKS if role != "assistant" else (*_OWN_BLOCKS, CitationBlock)
            parts = [
                p
                for j, b in enumerate(msg.blocks)
                if not isinstance(b, skip) and (p := _part(b, f"{where}.blocks[{j}]")) is not None
            ]
            only_text = all(p["type"] == "text" for p in parts)
            text = join_text(p["text"] for p in parts) if only_text else None
        if role == "user":
            out.append({"role": "user", "content": text if only_text else parts})
            continue
        if not only_text and role != "tool":  # a tool's media: moved by the transport
            raise GLMValidationError(
                f"{where}.blocks",
                [p["type"] for p in parts],
                f"text blocks only for role '{role}' (GLM takes media in user messages)",
            )
        if role == "system":
            out.append({"role": "system", "content": text})
        elif role == "assistant":
            calls = _wire_calls(msg)
            out.append(assistant_message(text or "", calls, _reasoning(msg)))
        elif role == "tool":
            call_id = msg.additional_kwargs.get("tool_call_id")
            if not call_id or not isinstance(call_id, str):
                raise GLMValidationError(
                    f"{where}.additional_kwargs.tool_call_id",
                    None,
                    "the id of the tool call this message answers",
                )
            result: Any = (text or "") if only_text else parts
            out.append({"role": "tool", "tool_call_id": call_id, "content": result})
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


def parse_tool_kwargs(arguments: str | dict[str, Any], tool_name: str = "") -> dict[str, Any]:
    """A complete call's arguments as a dict.

    Arguments that are not a JSON object raise: a call GLM did not finish is never "repaired" into
    one it did not make.
    """
    if isinstance(arguments, dict):
        return arguments
    if not arguments:
        return {}
    try:
        value = json.loads(arguments)
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise ValueError(
            f"GLM sent arguments for tool {tool_name!r} that are not a JSON object: "
            f"{arguments[:200]!r}"
        )
    return value


def preview_tool_kwargs(arguments: str) -> dict[str, Any]:
    """A best guess at the arguments of a streamed call still in progress.

    Agents show it while streaming. Only previews are guessed: the final message holds strictly
    parsed dicts.
    """
    from llama_index.core.program.utils import _repair_incomplete_json

    for text in (arguments, _repair_incomplete_json(arguments)):
        try:
            value = json.loads(text) if text else {}
        except (ValueError, RecursionError):
            continue
        return value if isinstance(value, dict) else {}
    return {}


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


def reply_message(
    text: str, reasoning: str, calls: Sequence[tuple[str, str, str]], final: bool
) -> ChatMessage:
    """The assistant message of a reply: the one place its blocks are built.

    ``calls`` are ``(id, name, arguments JSON)``. Until the reply is ``final`` a streamed call's
    arguments stay the raw text received so far (parsing them on every chunk would cost O(n^2)
    and show guesses); in the final message they are a dict, or the text GLM sent when it is not
    a JSON object (kept as sent; :meth:`GLM.get_tool_calls_from_response` refuses it).
    """
    blocks: list[Any] = []
    if reasoning:
        blocks.append(ThinkingBlock(content=reasoning))
    if text or not calls:
        blocks.append(TextBlock(text=text))
    kwargs: dict[str, Any] = {}
    if calls:
        for call_id, name, args in calls:
            blocks.append(
                ToolCallBlock(
                    tool_call_id=call_id,
                    tool_name=name,
                    tool_kwargs=_final_kwargs(args) if final else args,
                )
            )
        kwargs["tool_calls"] = [wire_tool_call(*c) for c in calls]
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=kwargs)


def _final_kwargs(args: str) -> dict[str, Any] | str:
    try:
        value = json.loads(args) if args else {}
    except (ValueError, RecursionError):
        return args
    return value if isinstance(value, dict) else args


def from_wire_result(result: ChatCompletion) -> ChatResponse:
    calls = [(c.id, c.name, c.arguments) for c in result.tool_calls]
    message = reply_message(result.content, result.reasoning_content or "", calls, True)
    if result.web_search:
        message.blocks.extend(search_citations(result.web_search))
    return ChatResponse(
        message=message,
        raw=result.raw,
        additional_kwargs={
            **({"reasoning_content": result.reasoning_content} if result.reasoning_content else {}),
            "finish_reason": result.finish_reason,
            "model": result.model,
            "request_id": result.request_id,
            "id": result.id,
            **_usage_kwargs(result.usage),
            **_server_kwargs(result.web_search, result.search_args, result.server_tool_calls),
        },
    )


class StreamAssembler:
    """Streamed chunks to cumulative ``ChatResponse``s (the per-chunk hot path: keep it lean).

    Each response carries the message so far (agents keep the last one), the new text in
    ``delta``, the new reasoning in ``additional_kwargs["thinking_delta"]``, and once known the
    finish reason, model, request id and usage. Work per chunk is proportional to the chunk.

    Tool-call pieces arrive placed at their call's stable position by the transport's
    :class:`glm_transport.ToolCallAccumulator`; :meth:`~glm_transport.ToolCallAccumulator.fold`
    assembles them by the same rules, so both frameworks follow one set of rules for which piece
    belongs to which call.

    Attributes:
        text: The reply's text so far.
        reasoning: The reply's reasoning so far.
        tools: The tool calls so far, one record per stable position, arguments as text.
        info: Finish reason, model, request id and usage, once known.
        usage_raw: GLM's usage object, once sent (copied into later chunks' ``raw``).
        final: The reply finished normally: calls are complete and their arguments are parsed.
    """

    __slots__ = (
        "_calls",
        "_text_block",
        "_thinking",
        "citations",
        "final",
        "info",
        "reasoning",
        "text",
        "tools",
        "usage_raw",
    )

    def __init__(self) -> None:
        # Running strings, not lists joined per chunk: appending costs a copy of the text so far
        # at worst, where a join would walk every piece again.
        self.text = ""
        self.reasoning = ""
        self.tools = ToolCallAccumulator()
        self.info: dict[str, Any] = {}
        self.usage_raw: dict[str, Any] | None = None
        self.final = False
        self.citations: list[CitationBlock] | None = None
        # The blocks of the last message and what each was built from: a chunk changes one
        # part of the reply (reasoning, text or a call), so the other parts' blocks go on into
        # the next cumulative message instead of being built again (as the citations do).
        self._thinking: tuple[str, ThinkingBlock] | None = None
        self._text_block: tuple[str, TextBlock] | None = None
        self._calls: list[tuple[tuple[str, str, str, bool], ToolCallBlock, dict[str, Any]]] = []

    def add(self, chunk: StreamChunk) -> ChatResponse:
        """Fold one chunk in.

        Args:
            chunk: The next chunk of the stream, as the transport decoded it.

        Returns:
            The response so far: the whole message, and this chunk's increments.
        """
        if chunk.content:
            self.text += chunk.content
        if chunk.reasoning_content:
            self.reasoning += chunk.reasoning_content
        if chunk.tool_calls:
            fold = self.tools.fold
            for piece in chunk.tool_calls:
                fold(piece)
        if chunk.model is not None:
            self.info.update(model=chunk.model, request_id=chunk.request_id, id=chunk.id)
        if chunk.finish_reason is not None:
            self.info["finish_reason"] = chunk.finish_reason
            # Calls are complete at a normal finish; after "length" the transport raises instead.
            self.final = chunk.finish_reason in ("tool_calls", "stop")
        if chunk.web_search is not None or chunk.server_tool_calls:
            self._server(chunk)
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
        """The assistant message so far: the blocks :func:`reply_message` builds, then citations.

        Returns:
            The message built from the text, reasoning and tool calls received so far.
        """
        blocks: list[Any] = []
        reasoning = self.reasoning
        if reasoning:
            thinking = self._thinking
            if thinking is None or thinking[0] is not reasoning:  # a new string: it grew
                thinking = self._thinking = (reasoning, ThinkingBlock(content=reasoning))
            blocks.append(thinking[1])
        folded = self.tools.calls
        text = self.text
        if text or not folded:
            known = self._text_block
            if known is None or known[0] is not text:
                known = self._text_block = (text, TextBlock(text=text))
            blocks.append(known[1])
        kwargs: dict[str, Any] = {}
        if folded:
            made = self._calls
            wire = []
            for i, c in enumerate(folded):
                key = (c.id or f"call_{c.index}", c.name or "", c.arguments or "", self.final)
                if i == len(made):
                    made.append(_call_blocks(key))
                elif made[i][0] != key:
                    made[i] = _call_blocks(key)
                blocks.append(made[i][1])
                wire.append(made[i][2])
            kwargs["tool_calls"] = wire
        if self.citations:
            blocks.extend(self.citations)
        return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=kwargs)

    def _server(self, chunk: StreamChunk) -> None:
        """Search results (they come with the last chunk) and MCP records, into the reply."""
        if chunk.web_search is not None:
            self.citations = search_citations(chunk.web_search)
        calls = [
            {k: v for k, v in c.items() if k != "index"} for c in chunk.server_tool_calls or ()
        ]
        calls = [*self.info.get("server_tool_calls", ()), *calls]
        self.info.update(_server_kwargs(chunk.web_search, chunk.search_args, calls or None))


def _call_blocks(
    key: tuple[str, str, str, bool],
) -> tuple[tuple[str, str, str, bool], ToolCallBlock, dict[str, Any]]:
    """A streamed call's block and wire form, as :func:`reply_message` builds them."""
    call_id, name, args, final = key
    block = ToolCallBlock(
        tool_call_id=call_id, tool_name=name, tool_kwargs=_final_kwargs(args) if final else args
    )
    return key, block, wire_tool_call(call_id, name, args)
