"""Pure LlamaIndex <-> wire conversions (no I/O): shapes GLM needs, pinned without replays."""

from __future__ import annotations

import base64
import json

import pytest
from llama_index.core.base.llms.types import (
    CacheControl,
    CachePoint,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from glm_transport import GLMValidationError, StreamChunk, ToolCallDelta, Usage
from llama_index_glm._convert import (
    StreamAssembler,
    parse_tool_kwargs,
    preview_tool_kwargs,
    to_wire_messages,
)

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def test_roles_text_and_tool_turns_with_reasoning() -> None:
    assistant = ChatMessage(
        role=MessageRole.ASSISTANT,
        blocks=[
            ThinkingBlock(content="I need the weather."),
            ToolCallBlock(tool_call_id="c1", tool_name="weather", tool_kwargs={"city": "Oslo"}),
        ],
    )
    wire = to_wire_messages(
        [
            ChatMessage(role=MessageRole.SYSTEM, content="Be brief."),
            ChatMessage(role=MessageRole.USER, content="Weather in Oslo?"),
            assistant,
            ChatMessage(
                role=MessageRole.TOOL, content="Rain", additional_kwargs={"tool_call_id": "c1"}
            ),
        ]
    )
    assert wire == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Oslo?"},
        {
            "role": "assistant",
            "reasoning_content": "I need the weather.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "Rain"},
    ]


def test_reasoning_of_every_turn_reaches_the_planner() -> None:
    # The converter keeps every turn's reasoning; plan_chat decides what GLM sees again.
    msgs = [
        ChatMessage(role="user", content="a"),
        ChatMessage(role="assistant", blocks=[ThinkingBlock(content="t"), TextBlock(text="b")]),
    ]
    assert to_wire_messages(msgs)[1]["reasoning_content"] == "t"


def test_legacy_openai_style_tool_calls_in_additional_kwargs() -> None:
    msg = ChatMessage(
        role="assistant",
        content="",
        additional_kwargs={
            "tool_calls": [
                {"id": "x", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}
            ]
        },
    )
    call = to_wire_messages([ChatMessage(role="user", content="q"), msg])[1]["tool_calls"][0]
    assert call == {
        "id": "x",
        "type": "function",
        "function": {"name": "f", "arguments": '{"a": 1}'},
    }


def test_media_blocks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "dot.png"
    path.write_bytes(PNG)
    wire = to_wire_messages(
        [
            ChatMessage(
                role="user",
                blocks=[
                    TextBlock(text="Look"),
                    ImageBlock(url="https://example.com/a.png"),
                    ImageBlock(image=PNG, image_mimetype="image/png"),
                    ImageBlock(path=path),
                    CachePoint(cache_control=CacheControl(type="ephemeral")),
                ],
            )
        ]
    )[0]["content"]
    assert wire[0] == {"type": "text", "text": "Look"}
    assert wire[1] == {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert wire[2]["image_url"]["url"] == data_url
    assert wire[3]["image_url"]["url"] == data_url
    assert len(wire) == 4  # the cache hint has no wire form
    doc = to_wire_messages(
        [ChatMessage(role="user", blocks=[DocumentBlock(url="https://example.com/r.pdf")])]
    )[0]["content"][0]
    assert doc == {"type": "file_url", "file_url": {"url": "https://example.com/r.pdf"}}


def test_bad_input_names_the_field() -> None:
    with pytest.raises(GLMValidationError, match=r"messages\[0\]\.additional_kwargs\.tool_call_id"):
        to_wire_messages([ChatMessage(role="tool", content="x")])
    with pytest.raises(GLMValidationError, match=r"messages\[0\]\.blocks"):
        to_wire_messages(
            [ChatMessage(role="system", blocks=[ImageBlock(url="https://example.com/a.png")])]
        )


def test_partial_json_is_previewed_but_never_final() -> None:
    assert preview_tool_kwargs('{"city": "Par') == {"city": "Par"}
    assert preview_tool_kwargs("") == {} and preview_tool_kwargs("[1]") == {}
    assert parse_tool_kwargs({"a": 1}) == {"a": 1} and parse_tool_kwargs("") == {}
    for bad in ('{"city": "Par', "[1]"):
        with pytest.raises(ValueError, match="not a JSON object"):
            parse_tool_kwargs(bad, "get_weather")


def test_stream_assembler_is_cumulative_and_keeps_calls_apart() -> None:
    a = StreamAssembler()
    a.add(StreamChunk(reasoning_content="think ", id="r1", model="glm-4.6", request_id="r1"))
    r = a.add(StreamChunk(content="Hel"))
    assert (r.delta, r.message.content) == ("Hel", "Hel")
    a.add(StreamChunk(content="lo"))
    a.add(
        StreamChunk(
            tool_calls=[ToolCallDelta(0, "c0", "f", '{"x": '), ToolCallDelta(1, "c1", "g", "{}")]
        )
    )
    a.add(StreamChunk(tool_calls=[ToolCallDelta(0, None, None, "1}")]))
    last = a.add(
        StreamChunk(
            finish_reason="tool_calls", usage=Usage(3, 4, 7, 1, 2, raw={"prompt_tokens": 3})
        )
    )
    calls = [b for b in last.message.blocks if isinstance(b, ToolCallBlock)]
    assert [(c.tool_call_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("c0", "f", {"x": 1}),
        ("c1", "g", {}),
    ]
    assert last.message.content == "Hello"
    assert last.additional_kwargs["finish_reason"] == "tool_calls"
    assert (
        last.additional_kwargs["prompt_tokens"] == 3
        and last.additional_kwargs["model"] == "glm-4.6"
    )
    assert json.loads(last.message.additional_kwargs["tool_calls"][0]["function"]["arguments"]) == {
        "x": 1
    }
    after = a.add(StreamChunk(finish_reason=None, raw={"choices": []}))
    assert after.raw["usage"] == {"prompt_tokens": 3}
