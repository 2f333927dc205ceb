"""langchain_glm._convert: LangChain messages to GLM's wire and back, pure."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from glm_transport import (
    ChatCompletion,
    GLMValidationError,
    StreamChunk,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from langchain_glm._convert import from_wire_chunk, from_wire_result, to_wire_messages


def test_roles_reasoning_and_tool_turns_to_the_wire() -> None:
    wire = to_wire_messages(
        [
            SystemMessage("be brief"),
            HumanMessage("weather?"),
            AIMessage(
                "",
                additional_kwargs={"reasoning_content": "call it"},
                tool_calls=[{"name": "w", "args": {"city": "Paris"}, "id": "c1"}],
            ),
            ToolMessage("rain", tool_call_id="c1", status="error"),
        ]
    )
    assert wire[0] == {"role": "system", "content": "be brief"}
    assert wire[2]["reasoning_content"] == "call it" and "content" not in wire[2]
    assert wire[2]["tool_calls"][0]["function"] == {"name": "w", "arguments": '{"city": "Paris"}'}
    assert wire[3] == {"role": "tool", "tool_call_id": "c1", "content": "Error: rain"}


def test_v1_content_blocks_of_an_assistant_turn_go_back_in_their_own_fields() -> None:
    turn = AIMessage(
        content=[
            {"type": "reasoning", "reasoning": "hmm"},
            {"type": "text", "text": "Hi"},
            {"type": "invalid_tool_call", "id": "x", "name": "w", "args": "{", "error": None},
            {"type": "tool_call_chunk", "id": "x", "name": "w", "args": "{", "index": 0},
        ]
    )
    (wire,) = to_wire_messages([turn])
    assert wire["content"] == "Hi" and wire["reasoning_content"] == "hmm"


def test_media_in_a_human_message_and_refusals_name_the_field() -> None:
    (wire,) = to_wire_messages(
        [HumanMessage([{"type": "text", "text": "see"}, {"type": "image", "base64": "AAAA"}])]
    )
    assert wire["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64,AAAA"},
    }
    with pytest.raises(GLMValidationError, match=r"messages\[0\].content\[0\].type"):
        to_wire_messages([HumanMessage([{"type": "hologram"}])])


def test_whole_reply_with_invalid_arguments_and_usage() -> None:
    result = ChatCompletion(
        content="",
        reasoning_content="r",
        tool_calls=[ToolCall("c1", "w", '{"city": "Paris"}'), ToolCall("c2", "w", '{"city')],
        finish_reason="tool_calls",
        usage=Usage(10, 5, 15, cached_tokens=4, reasoning_tokens=2),
        id="i",
        request_id="i",
        model="glm-5.3",
    )
    msg = from_wire_result(result)
    assert msg.tool_calls[0]["args"] == {"city": "Paris"}
    assert msg.invalid_tool_calls[0]["args"] == '{"city'
    assert msg.usage_metadata == {
        "input_tokens": 10, "output_tokens": 5, "total_tokens": 15,
        "input_token_details": {"cache_read": 4}, "output_token_details": {"reasoning": 2},
    }  # fmt: skip


def test_chunks_add_up() -> None:
    first = from_wire_chunk(
        StreamChunk(
            reasoning_content="r",
            tool_calls=[ToolCallDelta(0, "c1", "w", '{"a"')],
            id="i",
            model="glm-5.3",
            request_id="i",
        )
    )
    last = from_wire_chunk(
        StreamChunk(tool_calls=[ToolCallDelta(0, None, None, ": 1}")], finish_reason="tool_calls")
    )
    total = first + last
    assert total.tool_calls == [{"name": "w", "args": {"a": 1}, "id": "c1", "type": "tool_call"}]
    assert total.response_metadata["finish_reason"] == "tool_calls"


def test_text_blocks_of_any_role_are_joined_with_a_line() -> None:
    # An MCP tool returning ["Paris", "Lyon"] must not reach GLM as "ParisLyon" (issue #24);
    # langchain-core flattens content for string-only providers with "\n" too.
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    from langchain_glm._convert import to_wire_messages

    two = [{"type": "text", "text": "Paris"}, {"type": "text", "text": "Lyon"}]
    wire = to_wire_messages(
        [
            SystemMessage(content=list(two)),
            HumanMessage(content=list(two)),
            AIMessage(content=list(two), tool_calls=[{"name": "f", "args": {}, "id": "c1"}]),
            ToolMessage(content=["Paris", "Lyon"], tool_call_id="c1"),
        ]
    )
    assert [m["content"] for m in wire] == ["Paris\nLyon"] * 4
