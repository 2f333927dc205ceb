"""Streams through the transport (chat.stream / chat.astream) against scripted SSE bodies.

One choice is asked for, so a frame of another choice is refused rather than merged into the
answer; usage sent several times (growing, by gateways that send it cumulatively) counts by its
last value, once, on the last chunk.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from glm_transport import AsyncGLMClient, ChatRequest, GLMClient, chat, resolve_settings
from glm_transport import errors as E
from glm_transport.stream import StreamReader
from glm_transport.types import StreamChunk

BASE_URL = "https://glm.test/api/paas/v4"
REQUEST = ChatRequest(model="glm-5.3", messages=[{"role": "user", "content": "hi"}])


def sse(*frames: dict[str, Any], done: bool = True) -> bytes:
    """A streamed reply's body: each frame a ``data:`` event, then ``[DONE]``."""
    body = b"".join(b"data: " + json.dumps(f).encode() + b"\n\n" for f in frames)
    return body + (b"data: [DONE]\n\n" if done else b"")


def frame(
    content: str | None = None,
    finish: str | None = None,
    usage: dict[str, int] | None = None,
    **choice: Any,
) -> dict[str, Any]:
    """One GLM stream frame with one choice (``index`` 0 unless ``choice`` says otherwise)."""
    one: dict[str, Any] = {"index": 0, "delta": {"role": "assistant"}, **choice}
    if content is not None:
        one["delta"]["content"] = content
    if finish is not None:
        one["finish_reason"] = finish
    out: dict[str, Any] = {"id": "r1", "model": "glm-5.3", "choices": [one]}
    if usage is not None:
        out["usage"] = usage
    return out


def usage(completion: int) -> dict[str, int]:
    return {"prompt_tokens": 7, "completion_tokens": completion, "total_tokens": 7 + completion}


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A reply body read as a network one is: streamed, in pieces (frames split across reads)."""

    def __init__(self, data: bytes, piece: int = 1000) -> None:
        self.pieces = [data[i : i + piece] for i in range(0, len(data), piece)]

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


class Scripted:
    """An httpx transport answering every request with ``body`` as an event stream."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        headers = {"content-type": "text/event-stream"}
        return httpx.Response(200, headers=headers, stream=Body(self.body))


def run_stream(body: bytes | Scripted, mode: str) -> tuple[list[StreamChunk], Scripted]:
    """The chunks ``chat.stream`` (``sync``) or ``chat.astream`` (``async``) yields for ``body``."""
    script = body if isinstance(body, Scripted) else Scripted(body)
    settings = resolve_settings(base_url=BASE_URL, api_key="k", max_retries=2)
    transport = httpx.MockTransport(script)
    if mode == "sync":
        with httpx.Client(transport=transport) as http:
            return list(chat.stream(GLMClient(settings, http), REQUEST)), script

    async def collect() -> list[StreamChunk]:
        async with httpx.AsyncClient(transport=transport) as http:
            return [c async for c in chat.astream(AsyncGLMClient(settings, http), REQUEST)]

    return asyncio.run(collect()), script


MODES = ["sync", "async"]


# ---- one choice ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_frame_of_another_choice_is_refused_not_merged(mode: str) -> None:
    body = sse(frame("Paris"), frame(" is it", index=1), frame(".", "stop"))
    with pytest.raises(E.ServerError, match=r"choice index 1; only one choice \(index 0\)"):
        run_stream(body, mode)


@pytest.mark.parametrize("mode", MODES)
def test_a_foreign_first_frame_is_refused_and_not_retried(mode: str) -> None:
    script = Scripted(sse(frame("Other", index=2), frame("", "stop")))
    with pytest.raises(E.ServerError, match="choice index 2") as info:
        run_stream(script, mode)
    # Raised before anything went out, so a retryable error would have been retried (and billed).
    assert not info.value.retryable and script.requests == 1


@pytest.mark.parametrize("mode", MODES)
def test_two_choices_in_one_frame_are_refused(mode: str) -> None:
    two = frame("A")
    two["choices"].append({"index": 1, "delta": {"content": "B"}})
    with pytest.raises(E.ServerError, match="choice index 1"):
        run_stream(sse(two, frame("", "stop")), mode)


@pytest.mark.parametrize("mode", MODES)
def test_a_choice_without_an_index_is_the_one_asked_for(mode: str) -> None:
    first, last = frame("Hel"), frame("lo", "stop")
    del first["choices"][0]["index"]
    last["choices"][0]["index"] = None
    chunks, _ = run_stream(sse(first, last), mode)
    assert "".join(c.content or "" for c in chunks) == "Hello"


# ---- usage: the last one sent, once -------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_cumulative_usage_counts_by_its_last_value_once(mode: str) -> None:
    # A gateway sending usage in every frame, growing: 1 output token early, 50 at the end.
    frames = [frame(f"w{n} ", usage=usage(n)) for n in range(1, 50)]
    chunks, _ = run_stream(sse(*frames, frame("end", "stop", usage=usage(50))), mode)
    sent = [c.usage for c in chunks if c.usage is not None]
    assert [u.completion_tokens for u in sent] == [50] and sent[0].total_tokens == 57
    last = chunks[-1]
    assert last.finish_reason == "stop" and last.usage is sent[0]
    assert last.raw is not None and last.raw["usage"]["completion_tokens"] == 50


@pytest.mark.parametrize("mode", MODES)
def test_usage_before_the_finish_and_again_after_it(mode: str) -> None:
    trailing = {"id": "r1", "choices": [], "usage": usage(50)}
    body = sse(frame("a", usage=usage(1)), frame("b", "stop", usage=usage(20)), trailing)
    chunks, _ = run_stream(body, mode)
    assert [c.usage.completion_tokens for c in chunks if c.usage] == [50]
    assert chunks[-1].finish_reason == "stop" and chunks[-1].raw["usage"] == usage(50)  # type: ignore[index]


@pytest.mark.parametrize("mode", MODES)
def test_usage_only_early_still_goes_out_once_at_the_end(mode: str) -> None:
    chunks, _ = run_stream(sse(frame("a", usage=usage(3)), frame("b", "stop")), mode)
    assert [c.usage.completion_tokens for c in chunks if c.usage] == [3]
    assert chunks[-1].usage is not None and chunks[-1].finish_reason == "stop"


@pytest.mark.parametrize("mode", MODES)
def test_a_stream_without_done_keeps_its_last_usage(mode: str) -> None:
    body = sse(frame("a", usage=usage(1)), frame("b", "stop", usage=usage(9)), done=False)
    chunks, _ = run_stream(body, mode)
    assert [c.usage.completion_tokens for c in chunks if c.usage] == [9]


def test_text_after_the_finish_keeps_its_order_and_usage_still_goes_last() -> None:
    reader = StreamReader()
    body = sse(frame("a", "stop", usage=usage(1)), frame("b", usage=usage(2)))
    chunks = [*reader.feed(body), *reader.finish()]
    assert [c.content for c in chunks] == ["a", "b", None]
    assert [c.usage.completion_tokens for c in chunks if c.usage] == [2]


def test_held_back_tag_text_goes_out_on_the_last_chunk_with_the_usage() -> None:
    reader = StreamReader()
    # "<" might open a <think> tag: the splitter holds it until the stream ends.
    body = sse(frame("a <", "stop", usage=usage(4)))
    chunks = [*reader.feed(body), *reader.finish()]
    assert "".join(c.content or "" for c in chunks) == "a <"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4


def test_a_malformed_last_usage_is_a_typed_error() -> None:
    reader = StreamReader()
    with pytest.raises(E.StreamInterruptedError, match="usage of an unexpected shape"):
        list(reader.feed(sse(frame("a", "stop", usage={"completion_tokens": "many"}))))  # type: ignore[dict-item]
