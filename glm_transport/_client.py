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
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Protocol, TypeVar

import httpx

from glm_transport import errors as E
from glm_transport._decode import adecoded, decoded
from glm_transport._pools import (
    AsyncPool,
    async_pool,
    bound_by_deadline,
    deadline,
    discard,
    discard_if_desynced,
    drain,
    route_of,
    sync_pool,
)
from glm_transport._translate import translated as _translated
from glm_transport.attempts import Attempts, Unbudgeted
from glm_transport.config import GLMSettings
from glm_transport.endpoint import (
    MAX_ERROR_BYTES,
    MAX_REPLY_BYTES,
    Call,
    Head,
    Reader,
    json_of,
    stale,
    stale_error,
    stream_error,
    unproven,
)

__all__ = ["AsyncGLMClient", "GLMClient"]

T = TypeVar("T")

# After the end marker only the end of the chunked body is left; reading it returns the
# connection to the pool. Bounded in bytes and time, in case a server keeps the response open.
_DRAIN_BYTES = 65536
_DRAIN_SECONDS = 1.0


class _AsyncReply(Head, Protocol):
    """What the async loops use of a response (httpx's, or aiohttp's via ``_aio.AioReply``)."""

    def aiter_raw(self) -> AsyncIterator[bytes]: ...

    async def aread(self) -> bytes: ...

    async def aclose(self) -> None: ...


def _build(
    http: Any, call: Call, content: bytes, timeout: httpx.Timeout, given: bool = True
) -> httpx.Request:
    """The request of one attempt.

    httpx clients get the parsed URL and an ``httpx.Timeout``; clients of another
    httpx-compatible library (``httpx2``, which langsmith and the openai SDK use) get plain
    values, which they parse into their own types. A client the user ``given`` gets a copy of
    the route's headers (it may change what it is handed); the package's own pools, which copy
    them, the shared read-only view.
    """
    # The headers (the key among them) are never a local here: a client's build_request that
    # raises would put this frame, locals and all, on the traceback an error tracker ships.
    if isinstance(http, (httpx.Client, httpx.AsyncClient)):
        return http.build_request(
            "POST",
            call.url,
            content=content,
            headers=call.headers.plain() if given else call.headers.view(),
            timeout=timeout,
        )
    plain = (timeout.connect, timeout.read, timeout.write, timeout.pool)
    request: httpx.Request = http.build_request(
        "POST",
        str(call.url),
        content=content,
        headers=call.headers.plain() if given else call.headers.view(),
        timeout=plain,
    )
    return request


def _checked_client(given: Any, asynchronous: bool, field: str) -> Any:
    """``given`` if it is an HTTP client of the kind this client drives, else a clear error."""
    if given is None:
        return None
    send = getattr(given, "send", None)
    kind_ok = callable(send) and callable(getattr(given, "build_request", None))
    if kind_ok and inspect.iscoroutinefunction(send) != asynchronous:
        kind_ok = False
    if not kind_ok:
        wanted = (
            "httpx.AsyncClient or httpx2.AsyncClient"
            if asynchronous
            else "httpx.Client or httpx2.Client"
        )
        raise E.GLMValidationError(field, given, f"{wanted} (or None for the shared pool)")
    return given


def _too_large(cap: int, status: int) -> E.GLMError:
    return E.APIError(
        f"GLM's reply passed {cap // 1024} KiB once decoded and was not read further (a "
        "misbehaving server or proxy, or a compressed body that expands without bound)",
        status=status,
        retryable=False,
    )


def _read(reads: Iterator[bytes], cap: int, status: int) -> bytes:
    """The whole body, decoded, refused past ``cap`` bytes."""
    parts = []
    size = 0
    for raw in reads:
        size += len(raw)
        if size > cap:
            raise _too_large(cap, status)
        parts.append(raw)
    return b"".join(parts)


async def _aread(reads: AsyncIterator[bytes], cap: int, status: int) -> bytes:
    """:func:`_read` for async reads."""
    parts = []
    size = 0
    async for raw in reads:
        size += len(raw)
        if size > cap:
            raise _too_large(cap, status)
        parts.append(raw)
    return b"".join(parts)


def _bounded(reads: Iterator[bytes], at: float | None) -> Iterator[bytes]:
    """``reads``, each read bounded by the call's deadline (see :func:`._pools.deadline`)."""
    if at is None:
        return reads

    def bounded() -> Iterator[bytes]:
        while True:
            with deadline(at):
                raw = next(reads, None)
            if raw is None:
                return
            yield raw

    return bounded()


def _body(response: httpx.Response) -> Iterator[bytes]:
    """The body's reads, decoded here in bounded pieces (see :mod:`._decode`)."""
    encoding = response.headers.get("content-encoding", "")
    # A response built with its content (httpx.MockTransport, the in-process emulator) has no
    # raw stream left to read: its content is the raw body.
    raw = iter((response.content,)) if response.is_stream_consumed else response.iter_raw()
    return decoded(raw, encoding, response.status_code)


def _abody(response: _AsyncReply) -> AsyncIterator[bytes]:
    """:func:`_body` for async replies."""
    encoding = response.headers.get("content-encoding", "")
    if getattr(response, "is_stream_consumed", False):
        return adecoded(_one(response.content), encoding, response.status_code)  # type: ignore[attr-defined]
    return adecoded(response.aiter_raw(), encoding, response.status_code)


async def _one(content: bytes) -> AsyncIterator[bytes]:
    yield content


def _answered(exc: BaseException) -> bool:
    """Whether ``exc`` is an error status read whole: its connection may be reused.

    Any other way out of an attempt (a reply found to be another request's, a cut body, a
    cancellation) closes the connection, whatever it holds.
    """
    return isinstance(exc, E.APIError) and exc.status is not None and exc.status >= 400


def _is_stream(head: Head) -> bool:
    """A 2xx reply to a stream request that really is a stream (not a JSON body)."""
    return 200 <= head.status_code < 300 and not head.headers.get("content-type", "").startswith(
        "application/json"
    )


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


async def _adiscard(response: Any) -> None:
    """Close the connection of an async reply so it is never reused."""
    own = getattr(response, "discard", None)
    if own is not None:  # the shared aiohttp pool's reply
        own()
        return
    stream = response.extensions.get("network_stream")
    if stream is not None:
        with contextlib.suppress(Exception):
            await stream.aclose()


def _opened_reply(response: Any, pool: AsyncPool | None) -> _AsyncReply:
    """A sent attempt's response as the async loops read it (aiohttp's, through ``AioReply``)."""
    if pool is None:
        return response  # type: ignore[no-any-return]
    from glm_transport._aio import AioReply

    return AioReply(response, pool.done)


def _unsent(pool: AsyncPool | None, exc: BaseException) -> None:
    """An attempt's send ended in ``exc``: its slot goes back to the shared pool.

    A cancellation on the shared pool leaves without its traceback or context: a caller's
    timeout (``asyncio.wait_for``, ``asyncio.timeout``) chains it to the error it raises, and
    the traceback runs through aiohttp's frames, whose locals hold the request headers, key
    included. A client the user gave keeps its own exceptions as they are.
    """
    if pool is None:
        return
    pool.done()
    if isinstance(exc, asyncio.CancelledError):
        exc.with_traceback(None)
        exc.__cause__ = None
        exc.__suppress_context__ = True


class GLMClient:
    """Blocking client: the retried primitives every endpoint module is built on.

    Thread-safe and fork-safe; shares its route's connection pool (base URL and key) unless
    given its own ``httpx.Client`` (or ``httpx2.Client``).
    """

    def __init__(self, settings: GLMSettings, http_client: Any = None) -> None:
        self.settings = settings
        self._given = _checked_client(http_client, False, "http_client")
        if isinstance(self._given, httpx.Client):
            # total_timeout bounds your client's status line and headers too; a no-op for calls
            # that are not ours (see _pools.deadline).
            bound_by_deadline(self._given)
        self._route = route_of(settings)
        self._once = route_of(settings, reuse=False)
        # Stateless: one per client serves every call (not one object per call in flight).
        self._translated = _translated(settings)

    def __repr__(self) -> str:
        return f"GLMClient({self.settings!r})"

    def _http(self, call: Call) -> contextlib.AbstractContextManager[httpx.Client]:
        if self._given is not None:
            return contextlib.nullcontext(self._given)
        return sync_pool(self._route if call.reuse else self._once)

    def post(self, call: Call, parse: Callable[[Any], T], until: float | None = None) -> T:
        """Send ``call`` and ``parse`` the whole reply's JSON, retried on transient failures.

        ``until``: a ``time.monotonic()`` the call must also end by (a budget shared by several
        calls); the call's own ``total_timeout`` holds as well.
        """
        attempts = Attempts(self.settings, until)
        while True:
            try:
                return parse(self._fetch(call, attempts))
            except E.GLMError as err:
                failure = err
            # Raised outside the except block: nothing of the transport is chained to it.
            time.sleep(attempts.delay(failure))

    def _fetch(self, call: Call, attempts: Attempts) -> Any:
        """One attempt's reply JSON; the connection is checked before it goes back to the pool."""
        content, request_id = call.attempt()
        at = attempts.deadline
        with self._translated, self._http(call) as http:
            with deadline(at):
                # One expression: the request (headers, key included) is no local of ours.
                response = http.send(
                    _build(http, call, content, attempts.start(), http is self._given), stream=True
                )
            try:
                status = response.status_code
                cap = MAX_REPLY_BYTES if 200 <= status < 300 else MAX_ERROR_BYTES
                reads = attempts.watch(_bounded(_body(response), at))
                received = _read(reads, cap, status)
                reply = json_of(self.settings, response, received, call.explain)
                echoed = stale(reply, request_id)
                if echoed is not None:
                    discard(http, response)
                    raise stale_error(echoed, str(request_id))
                if unproven(call, reply, request_id):
                    discard(http, response)
                return reply
            finally:
                discard_if_desynced(http, response)
                response.close()

    @contextlib.contextmanager
    def _opened(
        self, call: Call, attempts: Attempts, reader: Reader[Any]
    ) -> Iterator[Iterator[bytes]]:
        """One attempt's streamed reply: its reads, once the status says it is no error.

        Left without an error before the body's end, the rest is drained (bounded). On every
        way out, a connection with bytes past the reply's end is closed before the response is,
        so it never goes back to the pool; left with an error (a reply echoing another request's
        id, say), the connection is closed whatever it holds.
        """
        content, request_id = call.attempt()
        reader.expect(request_id)
        at = attempts.deadline
        with self._translated, self._http(call) as http:
            with deadline(at):
                # One expression: the request (headers, key included) is no local of ours.
                response = http.send(
                    _build(http, call, content, attempts.start(), http is self._given), stream=True
                )
            try:
                if not _is_stream(response):
                    reads = attempts.watch(_bounded(_body(response), at))
                    received = _read(reads, MAX_ERROR_BYTES, response.status_code)
                    raise stream_error(self.settings, response, received, call.explain, request_id)
                reads = _body(response)
                yield attempts.watch(_bounded(reads, at))
                if call.reuse:  # else the connection closes with the reply: nothing to drain
                    drain(response, reads, _DRAIN_BYTES, _DRAIN_SECONDS)
            except BaseException as exc:
                if not _answered(exc):
                    discard(http, response)
                raise
            finally:
                discard_if_desynced(http, response)
                response.close()

    def stream(self, call: Call, reader_for: Callable[[], Reader[T]]) -> Iterator[T]:
        """Send ``call`` and yield what a fresh reader makes of each attempt's reads.

        Retried only until the first item has been yielded.
        """
        attempts = Attempts(self.settings)
        while True:
            reader = reader_for()
            try:
                with self._opened(call, attempts, reader) as reads:
                    for raw in reads:
                        yield from reader.feed(raw)
                        if reader.done:
                            break
                yield from reader.finish()
                return
            except E.GLMError as err:
                failure = err
            delay = attempts.after(reader, failure)
            if delay is None:  # only the end marker was lost: the reply is complete
                yield from reader.finish()
                return
            time.sleep(delay)


class AsyncGLMClient:
    """Non-blocking client: the retried primitives every endpoint module is built on.

    Pools connections per route and event loop (an aiohttp session cannot move); a loop's pools
    are closed with the loop.
    """

    def __init__(self, settings: GLMSettings, http_client: Any = None) -> None:
        self.settings = settings
        self._given = _checked_client(http_client, True, "http_async_client")
        self._route = route_of(settings)
        self._once = route_of(settings, reuse=False)
        self._translated = _translated(settings)  # stateless: one per client (see GLMClient)
        self._unbudgeted = Unbudgeted(settings)

    def __repr__(self) -> str:
        return f"AsyncGLMClient({self.settings!r})"

    def _start(
        self, call: Call, content: bytes, attempts: Attempts
    ) -> tuple[Awaitable[Any], AsyncPool | None]:
        """Begin one attempt's send, nothing awaited.

        Returns what to await, and the shared pool whose slot the send holds (``None``: the
        client the user gave), given back when the send fails or the reply is closed. What is
        left of the call's budget bounds the status line and headers too. The caller awaits the
        HTTP library's own awaitable: no coroutine of ours per attempt is held through the I/O
        (each object alive then is promoted by the collector with many calls in flight;
        BENCHMARKS.md, "Close to the floor").
        """
        timeout = attempts.start()
        left = attempts.left()
        given = self._given
        if given is not None:
            sent = given.send(_build(given, call, content, timeout), stream=True)
            return (sent if left is None else asyncio.wait_for(sent, left)), None
        from glm_transport import _aio

        pool = async_pool(self._route if call.reuse else self._once)
        try:
            return _aio.request(pool.session, call, content, timeout, left), pool
        except BaseException:
            pool.done()
            raise

    async def post(self, call: Call, parse: Callable[[Any], T], until: float | None = None) -> T:
        """Send ``call`` and ``parse`` the whole reply's JSON, retried on transient failures.

        ``until``: as :meth:`GLMClient.post`.
        """
        unbudgeted = until is None and self.settings.total_timeout is None
        # Without a budget the attempts need no object of their own until one fails.
        attempts = self._unbudgeted if unbudgeted else Attempts(self.settings, until)
        tries = 0
        while True:
            tries += 1
            try:
                return parse(await self._fetch(call, attempts))
            except E.GLMError as err:
                failure = err
            if isinstance(attempts, Unbudgeted):
                attempts = attempts.counted(tries)
            # Raised outside the except block: nothing of the transport is chained to it. The
            # attempt's reading stays in _fetch, whose frame is not on the raised error's
            # traceback: its locals (the reply's bytes, where a gateway may echo the key it
            # refused) never reach an error tracker, which ships the locals of those frames.
            await asyncio.sleep(attempts.delay(failure))

    async def _fetch(self, call: Call, attempts: Attempts) -> Any:
        """:meth:`GLMClient._fetch`, without blocking."""
        content, request_id = call.attempt()
        with self._translated:
            sent, pool = self._start(call, content, attempts)
            try:
                response = _opened_reply(await sent, pool)
            except BaseException as exc:
                _unsent(pool, exc)
                raise
            try:
                status = response.status_code
                cap = MAX_REPLY_BYTES if 200 <= status < 300 else MAX_ERROR_BYTES
                reads = attempts.awatch(_abody(response))
                received = await _aread(reads, cap, status)
                reply = json_of(self.settings, response, received, call.explain)
                echoed = stale(reply, request_id)
                if echoed is not None:
                    await _adiscard(response)
                    raise stale_error(echoed, str(request_id))
                if unproven(call, reply, request_id):
                    await _adiscard(response)
                return reply
            finally:
                await response.aclose()

    @contextlib.asynccontextmanager
    async def _opened(
        self, call: Call, attempts: Attempts, reader: Reader[Any]
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """:meth:`GLMClient._opened`, without blocking.

        aiohttp itself closes a connection with bytes past the end of a reply.
        """
        content, request_id = call.attempt()
        reader.expect(request_id)
        with self._translated:
            sent, pool = self._start(call, content, attempts)
            try:
                response = _opened_reply(await sent, pool)
            except BaseException as exc:
                _unsent(pool, exc)
                raise
            try:
                if not _is_stream(response):
                    reads = attempts.awatch(_abody(response))
                    received = await _aread(reads, MAX_ERROR_BYTES, response.status_code)
                    raise stream_error(self.settings, response, received, call.explain, request_id)
                reads = _abody(response)
                yield attempts.awatch(reads)
                if call.reuse:  # else the connection closes with the reply: nothing to drain
                    await _adrain(reads)
            except BaseException as exc:
                if not _answered(exc):
                    await _adiscard(response)
                raise
            finally:
                await response.aclose()

    async def stream(self, call: Call, reader_for: Callable[[], Reader[T]]) -> AsyncIterator[T]:
        """:meth:`GLMClient.stream`, without blocking."""
        attempts = Attempts(self.settings)
        while True:
            reader = reader_for()
            try:
                async with self._opened(call, attempts, reader) as reads:
                    async for raw in reads:
                        for item in reader.feed(raw):
                            yield item
                        if reader.done:
                            break
                for item in reader.finish():
                    yield item
                return
            except E.GLMError as err:
                failure = err
            delay = attempts.after(reader, failure)
            if delay is None:  # only the end marker was lost: the reply is complete
                for item in reader.finish():
                    yield item
                return
            await asyncio.sleep(delay)
