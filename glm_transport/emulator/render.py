"""How the emulator writes a reply on the wire, pure.

The JSON body, or SSE frames with the quirks and faults of real traffic applied (wire
reference §3, §8).
"""

from __future__ import annotations

import json
import re
from typing import Any

from glm_transport.emulator.answers import Reply
from glm_transport.emulator.faults import Fault, error_body

__all__ = ["CREATED", "render_body", "render_frames"]

CREATED = 1763769600  # fixed, so replies are byte-for-byte reproducible


def render_body(reply: Reply, fault: Fault) -> dict[str, Any]:
    """The non-streaming JSON body."""
    # Thinking that used up max_tokens leaves "content": "" (wire reference §8), not null.
    exhausted = reply.finish_reason == "length" and not reply.tool_calls
    message: dict[str, Any] = {
        "role": "assistant",
        "content": reply.content or ("" if exhausted else None),
    }
    if reply.reasoning:
        message["reasoning_content"] = reply.reasoning
    if reply.tool_calls:
        calls = reply.tool_calls
        if "args_object" in fault.quirks:  # Z.ai's OpenAPI types arguments as an object
            calls = [
                {
                    **c,
                    "function": {
                        **c["function"],
                        "arguments": json.loads(c["function"]["arguments"]),
                    },
                }
                if c["type"] == "function"
                else c
                for c in calls
            ]
        message["tool_calls"] = calls
    body: dict[str, Any] = {
        "id": reply.id,
        "request_id": reply.id,
        "created": CREATED,
        "model": reply.model,
        "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": reply.finish_reason, "message": message}],
        "usage": reply.usage,
    }
    if reply.web_search:
        body["web_search"] = reply.web_search
    return body


def _pieces(text: str, n: int | None) -> list[str]:
    if not text:
        return []
    if n is not None:
        return [p + " " for p in text.split()]
    return re.findall(r"\S+\s*|\s+", text)


def render_frames(reply: Reply, fault: Fault, tool_stream: bool) -> list[bytes]:
    """The SSE frames of a streamed reply, with the requested quirks and faults applied."""
    quirks = set(fault.quirks)
    head: dict[str, Any] = {"id": reply.id, "created": CREATED, "model": reply.model}
    if "no_object" not in quirks:
        head["object"] = "chat.completion.chunk"
    deltas: list[dict[str, Any]] = []
    for piece in _pieces(reply.reasoning, None):
        deltas.append({"role": "assistant", "reasoning_content": piece})
    for piece in _pieces(reply.content, fault.chunks):
        deltas.append({"role": "assistant", "content": piece})
    index_of = (lambda i: -1) if "index_minus_one" in quirks else (lambda i: i)
    for i, call in enumerate(reply.tool_calls):
        if call["type"] != "function":
            # An MCP record (GLM ran the call) comes whole, in one delta: it is not streamed in
            # pieces as a function's arguments are [guess: no recorded MCP stream].
            deltas.append({"role": "assistant", "tool_calls": [{**call, "index": index_of(i)}]})
            continue
        args = call["function"]["arguments"]
        if tool_stream:
            # As recorded (wire reference §8): every fragment repeats index and type, only the
            # first carries id and name, some carry empty arguments, and arguments split
            # mid-token; parallel calls come one after the other.
            first = {
                "index": index_of(i),
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            deltas.append({"role": "assistant", "tool_calls": [first]})
            pieces = [args[j : j + 7] for j in range(0, len(args), 7)]
            pieces.insert(min(1, len(pieces)), "")
            for piece in pieces:
                fragment = {"index": index_of(i), "type": "function"}
                deltas.append(
                    {
                        "role": "assistant",
                        "tool_calls": [{**fragment, "function": {"arguments": piece}}],
                    }
                )
        else:
            deltas.append({"role": "assistant", "tool_calls": [{**call, "index": index_of(i)}]})
    events: list[dict[str, Any]] = [{**head, "choices": [{"index": 0, "delta": d}]} for d in deltas]
    finish: dict[str, Any] = {
        **head,
        "choices": [
            {
                "index": 0,
                "finish_reason": reply.finish_reason,
                "delta": {"role": "assistant", "content": ""},
            }
        ],
    }
    if "usage_separate" in quirks:
        events.append(finish)
        events.append({**head, "choices": [], "usage": reply.usage})
    else:
        events.append({**finish, "usage": reply.usage})
    if "duplicate_finish" in quirks:
        events.append(finish)
    if fault.drop_finish:
        events = events[:-1]
    if reply.web_search and events:
        events[-1] = {**events[-1], "web_search": reply.web_search}

    sep = b"\r\n" if "crlf" in quirks else b"\n"
    frames = []
    for n, event in enumerate(events):
        if fault.malformed_after is not None and n == fault.malformed_after:
            frames.append(b'data: {"id": "broken' + sep + sep)
            break
        if fault.error_frame_after is not None and n == fault.error_frame_after:
            _, payload = error_body(fault.error_frame_code, None, reply.id)
            frames.append(b"data: " + json.dumps(payload).encode() + sep + sep)
            break
        if "comments" in quirks:
            frames.append(b": keep-alive" + sep + sep)
        frames.append(
            b"data: "
            + json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
            + sep
            + sep
        )
    else:
        if not fault.no_done:
            frames.append(b"data: [DONE]" + sep + sep)
    return frames
