"""The emulator in process: an httpx transport (sync and async) that answers as the server does.

    transport = EmulatorTransport()
    transport.script.reply("Hello!")
    llm = ChatGLM(http_client=httpx.Client(transport=transport), base_url=EMULATOR_URL, api_key="x")

No thread, no socket: requests go to the same reply engine as the HTTP server
(:func:`~glm_transport.emulator.engine.respond`), so the bytes are the same. Faults that need a
network (delays, a drip, a dropped connection) become their in-process equivalents: delays are
skipped, a cut stream raises ``httpx.ReadError`` where the server would drop the connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from glm_transport.emulator.engine import EmulatorState, Outcome, RecordedRequest, respond
from glm_transport.emulator.script import Script

__all__ = ["EMULATOR_URL", "EmulatorTransport"]

# Any URL works; this one reads as what it is in a test's logs.
EMULATOR_URL = "http://glm-emulator.invalid/api/paas/v4"


class EmulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers chat completions, embeddings and rerank like the emulator server, in process.

    Paths it does not serve get the server's plain 404.
    """

    def __init__(self, script: Script | None = None, api_key: str | None = None) -> None:
        """A transport with its own emulator state; ``script`` and ``api_key`` as for the server."""
        self.state = EmulatorState(api_key, script=script)

    @property
    def script(self) -> Script:
        """Scripted replies (see :mod:`glm_transport.emulator.script`)."""
        return self.state.script

    def request(self, n: int) -> RecordedRequest:
        """The ``n``-th request received (0 the first, -1 the last)."""
        return self.state.request(n)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request in process, as the server would."""
        outcome = respond(
            self.state, request.url.path, request.headers, request.read(), request.method
        )
        return _response(outcome, _SyncFrames(outcome))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request in process, as the server would."""
        body = await request.aread()
        outcome = respond(self.state, request.url.path, request.headers, body, request.method)
        return _response(outcome, _AsyncFrames(outcome))


def _response(outcome: Outcome, stream: Any) -> httpx.Response:
    headers = {"content-type": outcome.content_type, **outcome.headers}
    if outcome.frames is None and not outcome.fault.abort:
        return httpx.Response(outcome.status, headers=headers, content=outcome.body)
    return httpx.Response(outcome.status, headers=headers, stream=stream)


def _pieces(outcome: Outcome) -> tuple[list[bytes], bool]:
    """The body's pieces, and whether the connection drops after them."""
    fault = outcome.fault
    if fault.abort:
        return [], True
    frames = outcome.frames or []
    cut = fault.disconnect_after
    if cut is not None:
        return frames[:cut], True
    return frames, fault.reset_at_end


class _SyncFrames(httpx.SyncByteStream):
    def __init__(self, outcome: Outcome) -> None:
        self.pieces, self.drops = _pieces(outcome)

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces
        if self.drops:
            raise httpx.ReadError("emulated dropped connection")


class _AsyncFrames(httpx.AsyncByteStream):
    def __init__(self, outcome: Outcome) -> None:
        self.pieces, self.drops = _pieces(outcome)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece
        if self.drops:
            raise httpx.ReadError("emulated dropped connection")
