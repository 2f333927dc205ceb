"""langchain_glm._blocks: standard content blocks for GLM messages (output_version="v1")."""

from __future__ import annotations

from langchain_core.messages import AIMessage, AIMessageChunk

import langchain_glm._blocks  # noqa: F401  (registers the translator)


def _meta() -> dict:
    return {"model_provider": "zhipuai"}


def test_whole_message_blocks() -> None:
    msg = AIMessage(
        "Hi",
        additional_kwargs={"reasoning_content": "think"},
        tool_calls=[{"name": "w", "args": {"a": 1}, "id": "c1"}],
        response_metadata=_meta(),
    )
    kinds = [b["type"] for b in msg.content_blocks]
    assert kinds == ["reasoning", "text", "tool_call"]


def test_reasoning_and_tool_call_chunks_keep_apart_when_merged() -> None:
    a = AIMessageChunk(
        "", additional_kwargs={"reasoning_content": "think"}, response_metadata=_meta()
    )
    b = AIMessageChunk(
        "",
        tool_call_chunks=[{"name": "w", "args": '{"a"', "id": "c1", "index": 0}],
        response_metadata=_meta(),
    )
    blocks = (a + b).content_blocks
    assert [x["type"] for x in blocks] == ["reasoning", "tool_call_chunk"]


def test_arguments_still_arriving_are_never_an_invalid_call() -> None:
    pending = AIMessageChunk(
        "",
        tool_call_chunks=[{"name": "w", "args": '{"a": ', "id": "c1", "index": 0}],
        response_metadata=_meta(),
    )
    kinds = [b["type"] for b in pending.content_blocks]
    assert "invalid_tool_call" not in kinds and kinds == ["tool_call_chunk"]
