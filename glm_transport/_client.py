"""The only module that does network I/O: send, retry, read. Sync and async side by side.

Each client has two generic primitives, and every endpoint module is built on them: :meth:`post`
sends a :class:`~glm_transport.endpoint.Call` and parses the whole reply's JSON; :meth:`stream`
opens a streamed reply and feeds its reads to a reader. Both retry transient failures within the
call's budget. Every decision is made elsewhere, by pure code: the request and the reading of an
error (:mod:`.endpoint`), the error class and retryability (:mod:`.errors`), the delay
(:mod:`.retry`), the end of a stream (the reader, e.g. :class:`~glm_transport.stream.StreamReader`).
Pools live in :mod:`._pools`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Protocol, TypeVar

import httpx

from glm_transport import errors as E
from glm_transport._pools import async_pool, discard_if_desynced, drain, sync_pool
from glm_transport._translate import translated as _translated
from glm_transport.attempts import Attempts
from glm_transport.config import GLMSettings
from glm_transport.endpoint import Call, Head, Reader, error_of, json_of

__all__ = ["AsyncGLMClient", "GLMClient"]

T = TypeVar("T")

# After the end marker only the end of the chunked body is left; reading it returns the
# connection to the pool. Bounded in bytes and time, in case a server keeps the response open.
_DRAIN_BYTES = 65536
_DRAIN_SECONDS = 1.0


class _AsyncReply(Head, Protocol):
    """What the async loops use of a response (httpx's, or aiohttp's via ``_aio.AioReply``)."""

    def aiter_bytes(self) -> AsyncIterator[bytes]: ...

    async def aread(self) -> bytes: ...

    async def aclose(self) -> None: ...


def _build(http: Any, call: Call, attempts: Attempts) -> httpx.Request:
    """The request of one attempt (starting it: its timeouts are cut to the budget left).

    httpx clients get the parsed URL and an ``httpx.Timeout``; clients of another
    httpx-compatible library (``httpx2``, which langsmith and the openai SDK use) get plain
    values, which they parse into their own types.
    """
    timeout = attempts.start()
    if isinstance(http, (httpx.Client, httpx.AsyncClient)):
        return http.build_request(
            "POST", call.url, content=call.content, headers=call.headers, timeout=timeout
        )
    plain = (timeout.connect, timeout.read, timeout.write, timeout.pool)
    request: httpx.Request = http.build_request(
        "POST", str(call.url), content=call.content, headers=call.headers, timeout=plain
    )
    return request


async def _adrain(reads: AsyncIterator[bytes]) -> None:
    """Read the end of a finished stream, bounded; on failure the connection is just closed."""

    async def drain() -> None:
        seen = 0
        async for raw in reads:
            seen += len(raw)
            if seen > _DRAIN_BYTES:
                return

    with contextlib.suppress(Exception):  # then the connection is closed instead of reused
        await asyncio.wait_for(drain(), _DRAIN_SECONDS)


class GLMClient:
    """Blocking client: the retried primitives every endpoint module is built on.

    Thread-safe and fork-safe; shares the process's connection pool unless given its own
    ``httpx.Client`` (or ``httpx2.Client``).
    """

    def __init__(self, settings: GLMSettings, http_client: Any = None) -> None:
        self.settings = settings
        self._given = http_client

    def __repr__(self) -> str:
        return f"GLMClient({self.settings!r})"

    def _http(self) -> httpx.Client:
        return self._given if self._given is not None else sync_pool()

    def post(self, call: Call, parse: Callable[[Any], T]) -> T:
        """Send ``call`` and ``parse`` the whole reply's JSON, retried on transient failures."""
        attempts = Attempts(self.settings)
        while True:
            try:
                with _translated(self.settings):
                    http = self._http()
                    response = http.send(_build(http, call, attempts), stream=True)
                    try:
                        received = b"".join(attempts.watch(response.iter_bytes()))
                    finally:
                        response.close()
                    discard_if_desynced(http, response)
                return parse(json_of(self.settings, response, received, call.explain))
            except E.GLMError as err:
                time.sleep(attempts.delay(err))

    @contextlib.contextmanager
    def _opened(self, call: Call, attempts: Attempts) -> Iterator[Iterator[bytes]]:
        """One attempt's streamed reply: its reads, once the status says it is no error.

        Left without an error before the body's end, the rest is drained (bounded) and a
        connection with bytes past the reply's end is discarded; left with one, the connection
        is closed.
        """
        with _translated(self.settings):
            http = self._http()
            response = http.send(_build(http, call, attempts), stream=True)
            try:
                if response.status_code >= 400:
                    raise error_of(self.settings, response, response.read(), call.explain)
                reads = response.iter_bytes()
                yield attempts.watch(reads)
                drain(response, reads, _DRAIN_BYTES, _DRAIN_SECONDS)
                discard_if_desynced(http, response)
            finally:
                response.close()

    def stream(self, call: Call, reader_for: Callable[[], Reader[T]]) -> Iterator[T]:
        """Send ``call`` and yield what a fresh reader makes of each attempt's reads.

        Retried only until the first item has been yielded.
        """
        attempts = Attempts(self.settings)
        while True:
            reader = reader_for()
            try:
                with self._opened(call, attempts) as reads:
                    for raw in reads:
                        yield from reader.feed(raw)
                        if reader.done:
                            break
                yield from reader.finish()
                return
            except E.GLMError as err:
                delay = attempts.after(reader, err)
                if delay is None:  # only the end marker was lost: the reply is complete
                    yield from reader.finish()
                    return
                time.sleep(delay)


class AsyncGLMClient:
    """Non-blocking client: the retried primitives every endpoint module is built on.

    Pools connections per event loop (an aiohttp session cannot move); a loop's pool is closed
    with the loop.
    """

    def __init__(self, settings: GLMSettings, http_client: Any = None) -> None:
        self.settings = settings
        self._given = http_client

    def __repr__(self) -> str:
        return f"AsyncGLMClient({self.settings!r})"

    async def _send(self, call: Call, attempts: Attempts) -> _AsyncReply:
        """Start one attempt: through the client the user gave, else straight on aiohttp."""
        given = self._given
        if given is not None:
            response: httpx.Response = await given.send(_build(given, call, attempts), stream=True)
            return response
        from glm_transport._aio import send

        return await send(async_pool(), call.url, (call.content, call.headers), attempts.start())

    async def post(self, call: Call, parse: Callable[[Any], T]) -> T:
        """Send ``call`` and ``parse`` the whole reply's JSON, retried on transient failures."""
        attempts = Attempts(self.settings)
        while True:
            try:
                with _translated(self.settings):
                    response = await self._send(call, attempts)
                    try:
                        if attempts.deadline is None:
                            received = await response.aread()
                        else:  # read by reads, to check the budget between them
                            reads = attempts.awatch(response.aiter_bytes())
                            received = b"".join([raw async for raw in reads])
                    finally:
                        await response.aclose()
                return parse(json_of(self.settings, response, received, call.explain))
            except E.GLMError as err:
                await asyncio.sleep(attempts.delay(err))

    @contextlib.asynccontextmanager
    async def _opened(self, call: Call, attempts: Attempts) -> AsyncIterator[AsyncIterator[bytes]]:
        """:meth:`GLMClient._opened`, without blocking.

        aiohttp itself closes a connection with bytes past the end of a reply.
        """
        with _translated(self.settings):
            response = await self._send(call, attempts)
            try:
                if response.status_code >= 400:
                    raise error_of(self.settings, response, await response.aread(), call.explain)
                reads = response.aiter_bytes()
                yield attempts.awatch(reads)
                await _adrain(reads)
            finally:
                await response.aclose()

    async def stream(self, call: Call, reader_for: Callable[[], Reader[T]]) -> AsyncIterator[T]:
        """:meth:`GLMClient.stream`, without blocking."""
        attempts = Attempts(self.settings)
        while True:
            reader = reader_for()
            try:
                async with self._opened(call, attempts) as reads:
                    async for raw in reads:
                        for item in reader.feed(raw):
                            yield item
                        if reader.done:
                            break
                for item in reader.finish():
                    yield item
                return
            except E.GLMError as err:
                delay = attempts.after(reader, err)
                if delay is None:  # only the end marker was lost: the reply is complete
                    for item in reader.finish():
                        yield item
                    return
                await asyncio.sleep(delay)
