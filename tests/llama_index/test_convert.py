"""Pure LlamaIndex <-> wire conversions (no I/O): shapes GLM needs, pinned without replays."""

from __future__ import annotations

import base64
import json
from typing import Any

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

from glm_transport import (
    GLMValidationError,
    StreamChunk,
    StreamReader,
    ToolCallAccumulator,
    ToolCallDelta,
    Usage,
)
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


def _piece(
    index: int, args: str, call_id: str | None = None, name: str | None = None
) -> dict[str, Any]:
    """One tool-call piece as GLM streams it (``tool_stream``): id and name on the first only."""
    fn: dict[str, Any] = {"arguments": args}
    piece: dict[str, Any] = {"index": index, "type": "function", "function": fn}
    if call_id is not None:
        piece["id"] = call_id
    if name is not None:
        fn["name"] = name
    return piece


def _sse(pieces: list[dict[str, Any]]) -> bytes:
    """The pieces as a whole GLM stream, one piece a frame, then the finish and ``[DONE]``."""
    head = {"id": "r1", "model": "glm-4.5-flash"}
    events = [{**head, "choices": [{"index": 0, "delta": {"tool_calls": [p]}}]} for p in pieces]
    events.append({**head, "choices": [{"index": 0, "finish_reason": "tool_calls", "delta": {}}]})
    body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
    return body + b"data: [DONE]\n\n"


def _streamed(pieces: list[dict[str, Any]]) -> list[Any]:
    """The cumulative responses LlamaIndex sees for these pieces, through the transport."""
    assembler = StreamAssembler()
    return [assembler.add(chunk) for chunk in StreamReader().feed(_sse(pieces))]


def _calls(response: Any) -> list[tuple[str | None, str, Any]]:
    return [
        (b.tool_call_id, b.tool_name, b.tool_kwargs)
        for b in response.message.blocks
        if isinstance(b, ToolCallBlock)
    ]


# GLM's streams of two calls that share a wire index (glm-4.5-flash says 0 for every call;
# -1 is allowed by the wire reference): only the id tells the calls apart, and a piece without
# one continues the latest call.
SHARED_INDEX = [
    [
        _piece(wire, "", "call_a", "get_weather"),
        _piece(wire, '{"city": '),
        _piece(wire, '"Rome"}'),
        _piece(wire, '{"city"', "call_b", "get_population"),
        _piece(wire, ': "Oslo"}'),
    ]
    for wire in (-1, 0)
]


@pytest.mark.parametrize("pieces", SHARED_INDEX, ids=["index-1", "index0"])
def test_calls_sharing_a_wire_index_stay_apart_and_keep_their_arguments(
    pieces: list[dict[str, Any]],
) -> None:
    responses = _streamed(pieces)
    last = responses[-1]
    assert _calls(last) == [
        ("call_a", "get_weather", {"city": "Rome"}),
        ("call_b", "get_population", {"city": "Oslo"}),
    ]
    assert last.message.additional_kwargs["tool_calls"] == [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
        },
        {
            "id": "call_b",
            "type": "function",
            "function": {"name": "get_population", "arguments": '{"city": "Oslo"}'},
        },
    ]
    # Each response is the message so far (arguments as the text received until the finish),
    # and a later chunk never changes an earlier response.
    assert [_calls(r) for r in responses[:5]] == [
        [("call_a", "get_weather", "")],
        [("call_a", "get_weather", '{"city": ')],
        [("call_a", "get_weather", '{"city": "Rome"}')],
        [("call_a", "get_weather", '{"city": "Rome"}'), ("call_b", "get_population", '{"city"')],
        [
            ("call_a", "get_weather", '{"city": "Rome"}'),
            ("call_b", "get_population", '{"city": "Oslo"}'),
        ],
    ]


def test_pieces_land_on_their_own_call_when_interleaved() -> None:
    a = StreamAssembler()
    a.add(
        StreamChunk(
            tool_calls=[ToolCallDelta(0, "c0", "f", '{"x": '), ToolCallDelta(1, "c1", "g", "")]
        )
    )
    a.add(
        StreamChunk(
            tool_calls=[ToolCallDelta(1, None, None, '{"y": 2'), ToolCallDelta(0, arguments="1")]
        )
    )
    a.add(StreamChunk(tool_calls=[ToolCallDelta(1, None, "", "}")]))  # an empty name: a piece
    last = a.add(StreamChunk(tool_calls=[ToolCallDelta(0, arguments="}")], finish_reason="stop"))
    assert _calls(last) == [("c0", "f", {"x": 1}), ("c1", "g", {"y": 2})]


@pytest.mark.parametrize(
    "pieces",
    [
        *SHARED_INDEX,
        # parallel calls with their own indices, pieces interleaved
        [
            _piece(0, '{"a": ', "c0", "f"),
            _piece(1, '{"b": ', "c1", "g"),
            _piece(0, "1}"),
            _piece(1, "2}"),
        ],
        # an id that arrives after the first piece, and a call without any id
        [_piece(0, "", name="f"), _piece(0, "{}", "late"), _piece(1, "{}", name="g")],
    ],
    ids=["index-1", "index0", "interleaved", "late-id"],
)
def test_the_final_calls_are_the_transports(pieces: list[dict[str, Any]]) -> None:
    # One accumulator: what LlamaIndex shows is what the transport's ToolCallAccumulator says.
    transport = ToolCallAccumulator()
    for piece in pieces:
        transport.add(piece)
    expected = [(c.id, c.name, json.loads(c.arguments)) for c in transport.complete()]
    last = _streamed(pieces)[-1]
    assert _calls(last) == expected
    wire = last.message.additional_kwargs["tool_calls"]
    assert [(w["id"], w["function"]["name"], w["function"]["arguments"]) for w in wire] == [
        (c.id, c.name, c.arguments) for c in transport.complete()
    ]


def test_text_blocks_of_any_role_are_joined_with_a_line() -> None:
    # LlamaIndex's Memory(insert_method="user") puts "<memory>...</memory>" and the question in
    # two blocks; glued together they read "...</memory>Hello!" (issue #24). ChatMessage.content
    # itself joins blocks with "\n".
    from llama_index.core.base.llms.types import ChatMessage, TextBlock

    from llama_index_glm._convert import to_wire_messages

    blocks = [TextBlock(text="<memory>likes tea</memory>"), TextBlock(text="Hello!")]
    roles = ("system", "user", "assistant", "tool")
    messages = [
        ChatMessage(
            role=role,
            blocks=list(blocks),
            additional_kwargs={"tool_call_id": "c1"} if role == "tool" else {},
        )
        for role in roles
    ]
    wire = to_wire_messages(messages)
    expected = ChatMessage(role="user", blocks=list(blocks)).content
    assert expected == "<memory>likes tea</memory>\nHello!"
    assert [m["content"] for m in wire] == [expected] * 4
