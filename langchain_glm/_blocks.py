"""Standard content blocks (``content_blocks``, ``output_version="v1"``) for GLM messages.

Registered with langchain-core under the ``zhipuai`` provider. Needed because core's best-effort
parser numbers blocks by position, so a streamed reasoning block and the first tool-call chunk
both get index 0 and merge into one block; here each kind has its own index namespace.

What GLM ran itself is mapped the way langchain-core maps OpenAI's and Anthropic's server tools
(``block_translators/openai.py``): in-chat web search is one ``server_tool_call`` (name
``web_search``, args = the ``web_search`` options sent), one ``server_tool_result`` (``output``
keeps GLM's full records under ``sources``) and a ``citation`` annotation per result on the text
block (GLM gives no offsets into the text, which the type allows); an ``mcp_call`` is a
``server_tool_call`` named ``remote_mcp`` plus its result, ``mcp_list_tools`` one named
``mcp_list_tools``. None of them is sent back to GLM (``_OWN_FIELDS`` in :mod:`._convert`).
"""

from __future__ import annotations

import json
from typing import Any, cast

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types
from langchain_core.messages.block_translators import register_translator

__all__ = ["MODEL_PROVIDER", "translate_content", "translate_content_chunk"]

MODEL_PROVIDER = "zhipuai"
"""``response_metadata["model_provider"]`` of ChatGLM's messages: the translator's key."""


def _citation(record: dict[str, Any]) -> dict[str, Any]:
    cite: dict[str, Any] = {"type": "citation"}
    for ours, theirs in (("url", "link"), ("title", "title"), ("cited_text", "content")):
        if isinstance(record.get(theirs), str):
            cite[ours] = record[theirs]
    extras = {k: v for k, v in record.items() if k not in ("link", "title", "content")}
    if extras:
        cite["extras"] = extras
    return cite


def _search_blocks(message: AIMessage, chunk: bool) -> list[dict[str, Any]]:
    meta = message.response_metadata
    results = meta.get("web_search")
    if not isinstance(results, list):
        return []
    call_id = f"ws_{message.id or meta.get('id') or 0}"
    call: dict[str, Any] = {
        "type": "server_tool_call",
        "id": call_id,
        "name": "web_search",
        "args": dict(meta.get("web_search_options") or {}),
    }
    result: dict[str, Any] = {
        "type": "server_tool_result",
        "tool_call_id": call_id,
        "status": "success",
        "output": {"sources": results},
    }
    if chunk:
        call["index"], result["index"] = "lc_ws_0", "lc_wsr_0"
    return [call, result]


def _server_blocks(message: AIMessage, chunk: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n, record in enumerate(message.additional_kwargs.get("server_tool_calls") or ()):
        if not isinstance(record, dict):
            continue
        inner = record.get(record.get("type") or "") or {}
        kind = inner.get("type") if isinstance(inner, dict) else None
        call_id = str(record.get("id") or inner.get("id") or f"server_{n}")
        extras = {
            k: v
            for k, v in inner.items()
            if k not in ("type", "id", "arguments", "output", "tools", "error", "name")
        }
        call: dict[str, Any] = {"type": "server_tool_call", "id": call_id, "args": {}}
        if kind == "mcp_call":
            call["name"] = "remote_mcp"
            if inner.get("name"):
                extras["tool_name"] = inner["name"]
            arguments = inner.get("arguments")
            try:
                call["args"] = json.loads(arguments) if isinstance(arguments, str) else {}
            except ValueError:
                extras["arguments"] = arguments
            output = inner.get("output")
        elif kind == "mcp_list_tools":
            call["name"] = "mcp_list_tools"
            output = inner.get("tools")
        else:  # a server tool this translator does not know: named by its type, kept whole
            call["name"] = str(kind or record.get("type"))
            extras["record"] = record
            output = None
        if extras:
            call["extras"] = extras
        result: dict[str, Any] = {"type": "server_tool_result", "tool_call_id": call_id}
        if inner.get("error"):
            result["status"] = "error"
            result["extras"] = {"error": inner["error"]}
        else:
            result["status"] = "success"
        if output is not None:
            result["output"] = output
        if chunk:
            call["index"], result["index"] = f"lc_srv_{call_id}", f"lc_srvr_{call_id}"
        out += [call, result]
    return out


def _blocks(message: AIMessage, chunk: bool) -> list[types.ContentBlock]:
    out: list[dict[str, Any]] = []
    reasoning = message.additional_kwargs.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        out.append({"type": "reasoning", "reasoning": reasoning})
        if chunk:
            out[-1]["index"] = "lc_rs_0"
    if "server_tool_calls" in message.additional_kwargs:
        out += _server_blocks(message, chunk)
    search = _search_blocks(message, chunk) if "web_search" in message.response_metadata else []
    out += search
    if isinstance(message.content, str):
        if message.content or (search and search[1]["output"]["sources"]):
            out.append({"type": "text", "text": message.content})
            if chunk:
                out[-1]["index"] = "lc_txt_0"
            if search and search[1]["output"]["sources"]:
                sources = search[1]["output"]["sources"]
                out[-1]["annotations"] = [_citation(r) for r in sources if isinstance(r, dict)]
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
