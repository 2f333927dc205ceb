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
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

import httpx

from glm_transport import errors as E
from glm_transport._pools import async_pool, discard_if_desynced, drain, sync_pool
from glm_transport._translate import translated as _translated
from glm_transport.config import GLMSettings
from glm_transport.endpoint import Call, Head, error_of, json_of
from glm_transport.retry import retry_delay, should_retry

__all__ = ["AsyncGLMClient", "GLMClient", "Reader"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

logger = logging.getLogger("glm_transport")

# After the end marker only the end of the chunked body is left; reading it returns the
# connection to the pool. Bounded in bytes and time, in case a server keeps the response open.
_DRAIN_BYTES = 65536
_DRAIN_SECONDS = 1.0


class Reader(Protocol[T_co]):
    """What :meth:`GLMClient.stream` needs of a streamed reply's reader (one per attempt)."""

    done: bool
    """The end marker was read: the rest of the body is drained, not parsed."""
    started: bool
    """Items were handed out: from here on the call cannot be retried."""

    def feed(self, raw: bytes) -> Iterable[T_co]:
        """Items completed by one network read."""

    def finish(self) -> Iterable[T_co]:
        """What was held back at the end of the body; raises unless the reply is complete."""

    def only_end_lost(self, err: E.GLMError) -> bool:
        """Whether a failure while reading lost only the end marker (the reply is complete)."""

    def failure(self, err: E.GLMError) -> E.GLMError:
        """The error a failure while reading amounts to."""


class _AsyncReply(Head, Protocol):
    """What the async loops use of a response (httpx's, or aiohttp's via ``_aio.AioReply``)."""

    def aiter_bytes(self) -> AsyncIterator[bytes]: ...

    async def aread(self) -> bytes: ...

    async def aclose(self) -> None: ...


def _build(http: Any, call: Call, attempts: _Attempts) -> httpx.Request:
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


class _Attempts:
    """Attempt count, wall-clock budget and the delay before the next attempt, for one call."""

    __slots__ = ("count", "deadline", "settings")

    def __init__(self, settings: GLMSettings) -> None:
        self.settings = settings
        self.count = 0
        total = settings.total_timeout
        self.deadline = None if total is None else time.monotonic() + total

    def start(self) -> httpx.Timeout:
        """Begin an attempt; its timeouts, each cut to what is left of the budget."""
        self.count += 1
        timeout = self.settings.timeout
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            self._expired()
        return httpx.Timeout(
            connect=_cut(timeout.connect, left),
            read=_cut(timeout.read, left),
            write=_cut(timeout.write, left),
            pool=_cut(timeout.pool, left),
        )

    def _expired(self) -> None:
        raise E.APITimeoutError(
            f"GLM call exceeded its total_timeout of {self.settings.total_timeout}s",
            retryable=False,
            attempts=self.count,
        )

    def watch(self, reads: Iterator[bytes]) -> Iterator[bytes]:
        """``reads``, checked against the budget between reads (a server that drips bytes)."""
        return reads if self.deadline is None else self._watched(reads, self.deadline)

    def _watched(self, reads: Iterator[bytes], deadline: float) -> Iterator[bytes]:
        for raw in reads:
            if time.monotonic() > deadline:
                self._expired()
            yield raw

    def awatch(self, reads: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """:meth:`watch` for async reads."""
        return reads if self.deadline is None else self._awatched(reads, self.deadline)

    async def _awatched(self, reads: AsyncIterator[bytes], deadline: float) -> AsyncIterator[bytes]:
        async for raw in reads:
            if time.monotonic() > deadline:
                self._expired()
            yield raw

    def delay(self, err: E.GLMError) -> float:
        """Seconds to wait before the next attempt, or raise ``err`` (with the count)."""
        err.attempts = self.count
        if not should_retry(err, self.count, self.settings.max_retries):
            raise err
        delay = retry_delay(self.count, err.retry_after)
        if delay is None:
            raise err  # the server asked for a longer wait than we take: it is on the error
        if self.deadline is not None and time.monotonic() + delay >= self.deadline:
            raise err
        logger.info(
            "GLM call failed (%s, code %s); retry %d/%d in %.2fs",
            type(err).__name__,
            err.code,
            self.count,
            self.settings.max_retries,
            delay,
        )
        return delay

    def after(self, reader: Reader[Any], err: E.GLMError) -> float | None:
        """A stream attempt failed with ``err``: ``None`` when the reply is complete all the
        same, else the delay before the next attempt; raises what cannot be retried."""
        if reader.only_end_lost(err):
            return None
        failure = reader.failure(err)
        if reader.started:  # items went out: another attempt would repeat them
            failure.attempts = self.count
            raise failure from None
        return self.delay(failure)


def _cut(value: float | None, left: float) -> float:
    return left if value is None else min(value, left)


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
        attempts = _Attempts(self.settings)
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
    def _opened(self, call: Call, attempts: _Attempts) -> Iterator[Iterator[bytes]]:
        """One attempt's streamed reply: its reads, once the status says it is no error. Left
        without an error before the body's end, the rest is drained (bounded) and a connection
        with bytes past the reply's end is discarded; left with one, the connection is closed."""
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
        """Send ``call`` and yield what a fresh reader makes of each attempt's reads; retried
        only until the first item has been yielded."""
        attempts = _Attempts(self.settings)
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

    async def _send(self, call: Call, attempts: _Attempts) -> _AsyncReply:
        """Start one attempt: through the client the user gave, else straight on aiohttp."""
        given = self._given
        if given is not None:
            response: httpx.Response = await given.send(_build(given, call, attempts), stream=True)
            return response
        from glm_transport._aio import send

        return await send(async_pool(), call.url, (call.content, call.headers), attempts.start())

    async def post(self, call: Call, parse: Callable[[Any], T]) -> T:
        """Send ``call`` and ``parse`` the whole reply's JSON, retried on transient failures."""
        attempts = _Attempts(self.settings)
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
    async def _opened(self, call: Call, attempts: _Attempts) -> AsyncIterator[AsyncIterator[bytes]]:
        """:meth:`GLMClient._opened`; aiohttp itself closes a connection with bytes past the end
        of a reply."""
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
        attempts = _Attempts(self.settings)
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
