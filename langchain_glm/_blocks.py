"""Standard content blocks (``content_blocks``, ``output_version="v1"``) for GLM messages.

Registered with langchain-core under the ``zhipuai`` provider. Needed because core's best-effort
parser numbers blocks by position, so a streamed reasoning block and the first tool-call chunk
both get index 0 and merge into one block; here each kind has its own index namespace.
"""

from __future__ import annotations

from typing import Any, cast

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types
from langchain_core.messages.block_translators import register_translator

from langchain_glm._convert import MODEL_PROVIDER

__all__ = ["translate_content", "translate_content_chunk"]


def _blocks(message: AIMessage, chunk: bool) -> list[types.ContentBlock]:
    out: list[dict[str, Any]] = []
    reasoning = message.additional_kwargs.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        out.append({"type": "reasoning", "reasoning": reasoning})
        if chunk:
            out[-1]["index"] = "lc_rs_0"
    if isinstance(message.content, str):
        if message.content:
            out.append({"type": "text", "text": message.content})
            if chunk:
                out[-1]["index"] = "lc_txt_0"
    else:
        for block in message.content:
            if isinstance(block, str):
                out.append({"type": "text", "text": block})
            elif isinstance(block, dict) and block.get("type") not in (
                "tool_call",
                "tool_call_chunk",
            ):
                out.append(dict(block))
    pending = (
        isinstance(message, AIMessageChunk)
        and message.tool_call_chunks
        and message.chunk_position != "last"
    )
    if pending:
        assert isinstance(message, AIMessageChunk)
        out.extend(
            {
                "type": "tool_call_chunk",
                "id": tc.get("id"),
                "name": tc.get("name"),
                "args": tc.get("args"),
                "index": f"lc_tc_{tc.get('index') or 0}",
            }
            for tc in message.tool_call_chunks
        )
    else:
        out.extend(
            {"type": "tool_call", "id": tc.get("id"), "name": tc["name"], "args": tc["args"]}
            for tc in message.tool_calls
        )
        # Only a finished call can be invalid: arguments still arriving are tool_call_chunks.
        out.extend(
            {
                "type": "invalid_tool_call",
                "id": tc.get("id"),
                "name": tc.get("name"),
                "args": tc.get("args"),
                "error": tc.get("error"),
            }
            for tc in message.invalid_tool_calls
        )
    return cast("list[types.ContentBlock]", out)


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    return _blocks(message, chunk=False)


def translate_content_chunk(message: AIMessageChunk) -> list[types.ContentBlock]:
    return _blocks(message, chunk=True)


register_translator(MODEL_PROVIDER, translate_content, translate_content_chunk)
