"""The only module that does network I/O: send, retry, read. Sync and async side by side.

Every decision is made elsewhere, by pure code: the body (:mod:`.request`), the error class and
retryability (:mod:`.errors`), the delay (:mod:`.retry`), the end of a stream and the reply policy
(:mod:`.stream`, :mod:`.reply`). The loops here only move bytes and sleep. Pools live in
:mod:`._pools`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

import httpx

from glm_transport import errors as E
from glm_transport._pools import async_pool, discard_if_desynced, drain, sync_pool
from glm_transport._translate import translated as _translated
from glm_transport._wire import (
    Body as _Body,
)
from glm_transport._wire import (
    Head,
    add_embeddings,
    chat_body,
    completion,
    embedded,
    embedding_request,
    error_from_response,
)
from glm_transport.config import GLMSettings
from glm_transport.embeddings import (
    DEFAULT_EMBEDDING_MODEL,
    Embeddings,
    plan_batches,
)
from glm_transport.retry import retry_delay, should_retry
from glm_transport.stream import StreamReader
from glm_transport.types import ChatCompletion, ChatRequest, StreamChunk, Usage

__all__ = ["AsyncGLMClient", "GLMClient"]

T = TypeVar("T")
_Parse = Callable[[Head, bytes], T]


class _AsyncReply(Head, Protocol):
    """What the async loops use of a response (httpx's, or aiohttp's via ``_aio.AioReply``)."""

    def aiter_bytes(self) -> AsyncIterator[bytes]: ...

    async def aread(self) -> bytes: ...

    async def aclose(self) -> None: ...


# Embedding batches in flight at once per call (async).
EMBED_CONCURRENCY = 8

logger = logging.getLogger("glm_transport")

# After [DONE] only the end of the chunked body is left; reading it returns the connection to the
# pool. Bounded in bytes and (async) in time, in case a server keeps the response open.
_DRAIN_BYTES = 65536
_DRAIN_SECONDS = 1.0


# ---- pure helpers shared by both loops -------------------------------------------------------


def _build(
    http: httpx.Client | httpx.AsyncClient,
    url: httpx.URL | str,
    body: _Body,
    attempts: _Attempts,
) -> httpx.Request:
    """The request of one attempt (starting it: its timeouts are cut to the budget left).

    httpx clients get the URL parsed once and an ``httpx.Timeout``; clients of another
    httpx-compatible library (``httpx2``, which langsmith and the openai SDK use) get plain
    values, which they parse into their own types.
    """
    content, headers = body
    timeout = attempts.start()
    if isinstance(http, (httpx.Client, httpx.AsyncClient)):
        return http.build_request("POST", url, content=content, headers=headers, timeout=timeout)
    plain = (timeout.connect, timeout.read, timeout.write, timeout.pool)
    request: httpx.Request = http.build_request(
        "POST", str(url), content=content, headers=headers, timeout=plain
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
            self.expired(None)
        return httpx.Timeout(
            connect=_cut(timeout.connect, left),
            read=_cut(timeout.read, left),
            write=_cut(timeout.write, left),
            pool=_cut(timeout.pool, left),
        )

    def expired(self, request_id: str | None) -> None:
        raise E.APITimeoutError(
            f"GLM call exceeded its total_timeout of {self.settings.total_timeout}s",
            request_id=request_id,
            retryable=False,
            attempts=self.count,
        )

    def watch(self, reads: Iterator[bytes]) -> Iterator[bytes]:
        """``reads``, checked against the budget between reads (a server that drips bytes)."""
        deadline = self.deadline
        if deadline is None:
            return reads
        return self._watched(reads, deadline)

    def _watched(self, reads: Iterator[bytes], deadline: float) -> Iterator[bytes]:
        for raw in reads:
            if time.monotonic() > deadline:
                self.expired(None)
            yield raw

    def awatch(self, reads: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """:meth:`watch` for async reads."""
        deadline = self.deadline
        if deadline is None:
            return reads
        return self._awatched(reads, deadline)

    async def _awatched(self, reads: AsyncIterator[bytes], deadline: float) -> AsyncIterator[bytes]:
        async for raw in reads:
            if time.monotonic() > deadline:
                self.expired(None)
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


# ---- sync ------------------------------------------------------------------------------------


class GLMClient:
    """Blocking client. Thread-safe and fork-safe; shares the process's connection pool unless
    given its own ``httpx.Client`` (or ``httpx2.Client``)."""

    def __init__(self, settings: GLMSettings, http_client: Any = None) -> None:
        self.settings = settings
        self._given = http_client

    def __repr__(self) -> str:
        return f"GLMClient({self.settings!r})"

    def _http(self) -> httpx.Client:
        return self._given if self._given is not None else sync_pool()

    def _whole(self, url: httpx.URL | str, body: _Body, parse: _Parse[T]) -> T:
        """POST ``body`` and ``parse`` the whole reply, retried on transient failures."""
        attempts = _Attempts(self.settings)
        while True:
            try:
                with _translated(self.settings):
                    http = self._http()
                    response = http.send(_build(http, url, body, attempts), stream=True)
                    try:
                        received = b"".join(attempts.watch(response.iter_bytes()))
                    finally:
                        response.close()
                    discard_if_desynced(http, response)
                return parse(response, received)
            except E.GLMError as err:
                time.sleep(attempts.delay(err))

    def chat(self, request: ChatRequest) -> ChatCompletion:
        """One whole reply, retried on transient failures; raises typed errors."""
        settings = self.settings
        return self._whole(
            settings.endpoint,
            chat_body(settings, request, stream=False),
            lambda response, received: completion(settings, request, response, received),
        )

    def embed(
        self,
        texts: Sequence[str],
        model: str = DEFAULT_EMBEDDING_MODEL,
        dimensions: int | None = None,
        batch_size: int | None = None,
    ) -> Embeddings:
        """Vectors for ``texts``, in order, in as few requests as the model's limits allow."""
        out = Embeddings([], Usage())
        for batch in plan_batches(texts, model, batch_size):
            part = [texts[i] for i in batch]
            body = embedding_request(self.settings, part, model, dimensions)
            parse = functools.partial(embedded, self.settings, count=len(part))
            vectors, usage = self._whole(self.settings.embeddings_url, body, parse)
            add_embeddings(out, vectors, usage)
        return out

    def stream(self, request: ChatRequest) -> Iterator[StreamChunk]:
        """Yield chunks; retried only until the first chunk has been yielded."""
        settings = self.settings
        body = chat_body(settings, request, stream=True)
        attempts = _Attempts(settings)
        while True:
            reader = StreamReader(request, settings.provider.error_style)
            try:
                with _translated(settings):
                    http = self._http()
                    response = http.send(
                        _build(http, settings.endpoint, body, attempts), stream=True
                    )
                    try:
                        if response.status_code >= 400:
                            raise error_from_response(settings, response, response.read(), request)
                        reads = response.iter_bytes()
                        for raw in attempts.watch(reads):
                            yield from reader.feed(raw)
                            if reader.done:
                                drain(response, reads, _DRAIN_BYTES, _DRAIN_SECONDS)
                                discard_if_desynced(http, response)
                                break
                    finally:
                        response.close()
                yield from reader.close()
                return
            except E.GLMError as err:
                failure = reader.interrupted(err)
                if failure is None:  # only [DONE] was lost: the answer is complete
                    yield from reader.close()
                    return
                if reader.started:
                    failure.attempts = attempts.count
                    raise failure from None
                time.sleep(attempts.delay(failure))


# ---- async -----------------------------------------------------------------------------------


class AsyncGLMClient:
    """Non-blocking client. Pools connections per event loop (an aiohttp session cannot move);
    a loop's pool is closed with the loop."""

    def __init__(self, settings: GLMSettings, http_client: Any = None) -> None:
        self.settings = settings
        self._given = http_client

    def __repr__(self) -> str:
        return f"AsyncGLMClient({self.settings!r})"

    async def _send(self, url: httpx.URL | str, body: _Body, attempts: _Attempts) -> _AsyncReply:
        """Start one attempt: through the client the user gave, else straight on aiohttp."""
        given = self._given
        if given is not None:
            response: httpx.Response = await given.send(
                _build(given, url, body, attempts), stream=True
            )
            return response
        from glm_transport._aio import send

        return await send(async_pool(), url, body, attempts.start())

    async def _whole(self, url: httpx.URL | str, body: _Body, parse: _Parse[T]) -> T:
        """POST ``body`` and ``parse`` the whole reply, retried on transient failures."""
        attempts = _Attempts(self.settings)
        while True:
            try:
                with _translated(self.settings):
                    response = await self._send(url, body, attempts)
                    try:
                        if attempts.deadline is None:
                            received = await response.aread()
                        else:  # read by reads, to check the budget between them
                            reads = attempts.awatch(response.aiter_bytes())
                            received = b"".join([raw async for raw in reads])
                    finally:
                        await response.aclose()
                return parse(response, received)
            except E.GLMError as err:
                await asyncio.sleep(attempts.delay(err))

    async def chat(self, request: ChatRequest) -> ChatCompletion:
        """One whole reply, retried on transient failures; raises typed errors."""
        settings = self.settings
        return await self._whole(
            settings.endpoint,
            chat_body(settings, request, stream=False),
            lambda response, received: completion(settings, request, response, received),
        )

    async def embed(
        self,
        texts: Sequence[str],
        model: str = DEFAULT_EMBEDDING_MODEL,
        dimensions: int | None = None,
        batch_size: int | None = None,
        concurrency: int = EMBED_CONCURRENCY,
    ) -> Embeddings:
        """Vectors for ``texts``, in order; batches sent concurrently, ``concurrency`` at once."""
        settings = self.settings
        batches = plan_batches(texts, model, batch_size)
        bodies = [
            embedding_request(settings, [texts[i] for i in b], model, dimensions) for b in batches
        ]
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(body: _Body, n: int) -> tuple[list[list[float]], Usage]:
            async with gate:
                parse = functools.partial(embedded, settings, count=n)
                return await self._whole(settings.embeddings_url, body, parse)

        out = Embeddings([], Usage())
        for vectors, usage in await asyncio.gather(
            *(one(body, len(b)) for body, b in zip(bodies, batches, strict=True))
        ):
            add_embeddings(out, vectors, usage)
        return out

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Yield chunks; retried only until the first chunk has been yielded."""
        settings = self.settings
        body = chat_body(settings, request, stream=True)
        attempts = _Attempts(settings)
        while True:
            reader = StreamReader(request, settings.provider.error_style)
            try:
                with _translated(settings):
                    response = await self._send(settings.endpoint, body, attempts)
                    try:
                        if response.status_code >= 400:
                            raise error_from_response(
                                settings, response, await response.aread(), request
                            )
                        reads = response.aiter_bytes()
                        async for raw in attempts.awatch(reads):
                            for chunk in reader.feed(raw):
                                yield chunk
                            if reader.done:
                                await _adrain(reads)
                                break
                    finally:
                        await response.aclose()
                for chunk in reader.close():
                    yield chunk
                return
            except E.GLMError as err:
                failure = reader.interrupted(err)
                if failure is None:  # only [DONE] was lost: the answer is complete
                    for chunk in reader.close():
                        yield chunk
                    return
                if reader.started:
                    failure.attempts = attempts.count
                    raise failure from None
                await asyncio.sleep(attempts.delay(failure))
