"""The only module that does network I/O: send, retry, read SSE. Sync and async side by side.

Every decision (request body, error class, retry, end-of-stream check) is made by a pure function
shared by both loops; the loops only move bytes and sleep.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from glm_transport import __version__
from glm_transport import errors as E
from glm_transport._constants import (
    KEEPALIVE_EXPIRY,
    MAX_CONNECTIONS,
    MAX_KEEPALIVE_CONNECTIONS,
)
from glm_transport.config import GLMSettings
from glm_transport.parse import StreamState, abnormal_finish_error, parse_completion, parse_error
from glm_transport.request import build_chat_body, encode_body
from glm_transport.retry import parse_retry_after, retry_delay, should_retry
from glm_transport.sse import DONE, SSEDecoder
from glm_transport.types import ChatRequest, ChatResult, StreamChunk

__all__ = ["AsyncGLMClient", "GLMClient", "aclose_shared_clients"]

logger = logging.getLogger("glm_transport")

_LIMITS = httpx.Limits(
    max_connections=MAX_CONNECTIONS,
    max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS,
    keepalive_expiry=KEEPALIVE_EXPIRY,
)


# ---- pure helpers shared by both loops -------------------------------------------------------


def _headers(settings: GLMSettings, stream: bool) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if stream else "application/json",
        "User-Agent": f"glm-integrations/{__version__}",
    }
    headers.update(settings.default_headers)
    if settings.api_key is not None:
        headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
    elif settings.provider.requires_key:
        names = ", ".join(("GLM_API_KEY", *settings.provider.key_env))
        raise E.AuthenticationError(
            f"No API key for provider '{settings.provider.name}': pass api_key= or set {names}"
        )
    return headers


def _prepare(
    settings: GLMSettings, request: ChatRequest, stream: bool
) -> tuple[bytes, dict[str, str]]:
    body = build_chat_body(request, settings.provider, stream=stream)
    return encode_body(body), _headers(settings, stream)


def _error_from_response(settings: GLMSettings, response: httpx.Response) -> E.APIError:
    try:
        body: Any = json.loads(response.content) if response.content else None
    except ValueError:
        body = response.text[:2000]
    err = parse_error(
        response.status_code, body, response.headers, error_style=settings.provider.error_style
    )
    err.retry_after = parse_retry_after(response.headers)  # type: ignore[attr-defined]
    return err


def _from_httpx(exc: httpx.HTTPError) -> E.GLMError:
    if isinstance(exc, httpx.TimeoutException):
        return E.APITimeoutError(f"GLM request timed out: {type(exc).__name__}")
    return E.APIConnectionError(f"Could not talk to GLM: {type(exc).__name__}: {exc}")


def _result_or_error(response: httpx.Response) -> ChatResult:
    try:
        body = json.loads(response.content)
    except ValueError:
        raise E.ServerError(
            "GLM returned a body that is not JSON",
            status=response.status_code,
            body=response.text[:2000],
        ) from None
    result = parse_completion(body)
    if result.finish_reason:
        err = abnormal_finish_error(result.finish_reason, result.request_id, result)
        if err is not None:
            raise err
    return result


def _decode_event(state: StreamState, event_name: str, data: str) -> StreamChunk | None:
    if event_name == "error":
        try:
            payload: Any = json.loads(data)
        except ValueError:
            payload = data
        raise parse_error(None, payload, error_style=state.error_style)
    try:
        obj = json.loads(data)
    except ValueError:
        raise E.StreamInterruptedError(
            f"GLM sent a stream frame that is not JSON: {data[:200]!r}",
            request_id=state.request_id,
        ) from None
    return state.process(obj)


def _check_stream_end(state: StreamState, done: bool) -> None:
    """A stream is complete with [DONE] or a finish reason; anything else is a cut stream."""
    if not done and state.finish_reason is None:
        raise E.StreamInterruptedError(
            "GLM's stream ended before a finish reason or [DONE]; the answer is incomplete",
            request_id=state.request_id,
        )
    if state.finish_reason:
        err = abnormal_finish_error(state.finish_reason, state.request_id, None)
        if err is not None:
            raise err


class _Reader:
    """Bytes to chunks for one stream attempt: SSE decoding, [DONE], JSON, per-stream state."""

    __slots__ = ("decoder", "done", "state")

    def __init__(self, error_style: str) -> None:
        self.state = StreamState(error_style)
        self.decoder = SSEDecoder()
        self.done = False

    def feed(self, raw: bytes) -> Iterator[StreamChunk]:
        for event in self.decoder.feed(raw):
            if event.data == DONE:
                self.done = True
                return
            chunk = _decode_event(self.state, event.event, event.data)
            if chunk is not None:
                yield chunk

    def flush(self) -> Iterator[StreamChunk]:
        if not self.done:
            for event in self.decoder.flush():
                if event.data == DONE:
                    self.done = True
                    break
                chunk = _decode_event(self.state, event.event, event.data)
                if chunk is not None:
                    yield chunk
        tail = self.state.finish()
        if tail is not None:
            yield tail

    def check_end(self) -> None:
        _check_stream_end(self.state, self.done)


def _broken(exc: httpx.HTTPError, yielded: bool, state: StreamState) -> E.GLMError:
    """A transport failure while reading: retryable before the first chunk, an interruption after."""
    if not yielded:
        return _from_httpx(exc)
    return E.StreamInterruptedError(
        f"GLM's stream broke off: {type(exc).__name__}", request_id=state.request_id
    )


# After [DONE] only the end of the chunked body is left; reading it lets the connection go back
# to the pool instead of being closed. Bounded, in case a server keeps talking.
_DRAIN_LIMIT = 65536


def _drain(body: Iterator[bytes]) -> None:
    seen = 0
    for raw in body:
        seen += len(raw)
        if seen > _DRAIN_LIMIT:
            return


async def _adrain(body: AsyncIterator[bytes]) -> None:
    seen = 0
    async for raw in body:
        seen += len(raw)
        if seen > _DRAIN_LIMIT:
            return


def _give_up(err: E.GLMError, attempt: int, settings: GLMSettings, deadline: float | None) -> float:
    """Raise ``err`` (with the attempt count) unless it deserves a retry; else return the delay."""
    err.attempts = attempt
    if not should_retry(err, attempt, settings.max_retries):
        raise err
    delay = retry_delay(attempt, getattr(err, "retry_after", None))
    if deadline is not None and time.monotonic() + delay >= deadline:
        raise err
    logger.info(
        "GLM call failed (%s, code %s); retry %d/%d in %.2fs",
        type(err).__name__,
        err.code,
        attempt,
        settings.max_retries,
        delay,
    )
    return delay


def _deadline(settings: GLMSettings) -> float | None:
    return None if settings.total_timeout is None else time.monotonic() + settings.total_timeout


def _past(deadline: float | None, state: StreamState | None = None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise E.APITimeoutError(
            "GLM call exceeded its total timeout",
            request_id=state.request_id if state else None,
            retryable=False,
        )


# ---- sync ------------------------------------------------------------------------------------


# Default HTTP clients are shared by every GLM client with the same timeouts, so that creating
# many models (one per chain, per agent) neither re-creates TLS contexts nor splits the pool.
_SHARED_SYNC: dict[tuple[Any, ...], httpx.Client] = {}
_SHARED_ASYNC: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[Any, ...], httpx.AsyncClient]
] = weakref.WeakKeyDictionary()


_CLOSERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncIterator[None]] = (
    weakref.WeakKeyDictionary()
)


async def _close_at_shutdown(pool: dict[tuple[Any, ...], httpx.AsyncClient]) -> AsyncIterator[None]:
    try:
        yield
    finally:
        for client in list(pool.values()):
            await client.aclose()
        pool.clear()


def _timeout_key(timeout: httpx.Timeout) -> tuple[Any, ...]:
    return (timeout.connect, timeout.read, timeout.write, timeout.pool)


def _shared_sync(settings: GLMSettings) -> httpx.Client:
    key = _timeout_key(settings.timeout)
    client = _SHARED_SYNC.get(key)
    if client is None or client.is_closed:
        client = _SHARED_SYNC[key] = httpx.Client(limits=_LIMITS, timeout=settings.timeout)
    return client


class GLMClient:
    """Blocking client. Thread-safe; pools connections across calls (and across clients)."""

    def __init__(self, settings: GLMSettings, http_client: httpx.Client | None = None) -> None:
        self.settings = settings
        self._http = http_client or _shared_sync(settings)

    def __repr__(self) -> str:
        return f"GLMClient({self.settings!r})"

    def chat(self, request: ChatRequest) -> ChatResult:
        """One whole reply, retried on transient failures; raises typed errors."""
        content, headers = _prepare(self.settings, request, stream=False)
        settings, deadline, attempt = self.settings, _deadline(self.settings), 0
        while True:
            attempt += 1
            _past(deadline)
            try:
                try:
                    response = self._http.post(
                        settings.endpoint,
                        content=content,
                        headers=headers,
                        timeout=settings.timeout,
                    )
                except httpx.HTTPError as exc:
                    raise _from_httpx(exc) from exc
                if response.status_code >= 400:
                    raise _error_from_response(settings, response)
                return _result_or_error(response)
            except E.GLMError as err:
                time.sleep(_give_up(err, attempt, settings, deadline))

    def stream(self, request: ChatRequest) -> Iterator[StreamChunk]:
        """Yield chunks; retried only until the first chunk has been yielded."""
        content, headers = _prepare(self.settings, request, stream=True)
        settings, deadline, attempt = self.settings, _deadline(self.settings), 0
        while True:
            attempt += 1
            yielded = False
            _past(deadline)
            try:
                with self._http.stream(
                    "POST",
                    settings.endpoint,
                    content=content,
                    headers=headers,
                    timeout=settings.timeout,
                ) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise _error_from_response(settings, response)
                    reader = _Reader(settings.provider.error_style)
                    try:
                        body = response.iter_bytes()
                        for raw in body:
                            for chunk in reader.feed(raw):
                                yielded = True
                                yield chunk
                            if reader.done:
                                _drain(body)
                                break
                            if deadline is not None:
                                _past(deadline, reader.state)
                        for chunk in reader.flush():
                            yielded = True
                            yield chunk
                    except httpx.HTTPError as exc:
                        if reader.state.finish_reason is None:
                            raise _broken(exc, yielded, reader.state) from exc
                        # GLM had already sent its finish reason: the answer is complete and
                        # only the closing [DONE] was lost with the connection.
                    reader.check_end()
                    return
            except httpx.HTTPError as exc:
                err: E.GLMError = _from_httpx(exc)
                if yielded:
                    raise err from exc
                time.sleep(_give_up(err, attempt, settings, deadline))
            except E.GLMError as err:
                if yielded:
                    err.attempts = attempt
                    raise
                time.sleep(_give_up(err, attempt, settings, deadline))


# ---- async -----------------------------------------------------------------------------------


def _new_async_http(settings: GLMSettings) -> httpx.AsyncClient:
    try:
        from httpx_aiohttp import AiohttpTransport
    except ImportError:  # pragma: no cover - it is a dependency; keep working without it
        return httpx.AsyncClient(limits=_LIMITS, timeout=settings.timeout)
    return httpx.AsyncClient(transport=AiohttpTransport(limits=_LIMITS), timeout=settings.timeout)


class AsyncGLMClient:
    """Non-blocking client. Pools connections per event loop (an aiohttp session cannot move)."""

    def __init__(self, settings: GLMSettings, http_client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._given = http_client
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        return f"AsyncGLMClient({self.settings!r})"

    async def _client(self) -> httpx.AsyncClient:
        if self._given is not None:
            return self._given
        loop = asyncio.get_running_loop()
        pool = _SHARED_ASYNC.get(loop)
        if pool is None:
            pool = _SHARED_ASYNC[loop] = {}
            # Close the pool when the loop shuts down: asyncio.run() finalises pending async
            # generators before closing the loop, so this one's `finally` runs in the loop.
            closer = _close_at_shutdown(pool)
            await closer.__anext__()
            _CLOSERS[loop] = closer
        key = _timeout_key(self.settings.timeout)
        client = pool.get(key)
        if client is None or client.is_closed:
            client = pool[key] = _new_async_http(self.settings)
        return client

    async def chat(self, request: ChatRequest) -> ChatResult:
        """One whole reply, retried on transient failures; raises typed errors."""
        content, headers = _prepare(self.settings, request, stream=False)
        settings, deadline, attempt = self.settings, _deadline(self.settings), 0
        http = await self._client()
        while True:
            attempt += 1
            _past(deadline)
            try:
                try:
                    response = await http.post(
                        settings.endpoint,
                        content=content,
                        headers=headers,
                        timeout=settings.timeout,
                    )
                except httpx.HTTPError as exc:
                    raise _from_httpx(exc) from exc
                if response.status_code >= 400:
                    raise _error_from_response(settings, response)
                return _result_or_error(response)
            except E.GLMError as err:
                await asyncio.sleep(_give_up(err, attempt, settings, deadline))

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamChunk]:
        """Yield chunks; retried only until the first chunk has been yielded."""
        content, headers = _prepare(self.settings, request, stream=True)
        settings, deadline, attempt = self.settings, _deadline(self.settings), 0
        http = await self._client()
        while True:
            attempt += 1
            yielded = False
            _past(deadline)
            try:
                async with http.stream(
                    "POST",
                    settings.endpoint,
                    content=content,
                    headers=headers,
                    timeout=settings.timeout,
                ) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        raise _error_from_response(settings, response)
                    reader = _Reader(settings.provider.error_style)
                    try:
                        abody = response.aiter_bytes()
                        async for raw in abody:
                            for chunk in reader.feed(raw):
                                yielded = True
                                yield chunk
                            if reader.done:
                                await _adrain(abody)
                                break
                            if deadline is not None:
                                _past(deadline, reader.state)
                        for chunk in reader.flush():
                            yielded = True
                            yield chunk
                    except httpx.HTTPError as exc:
                        if reader.state.finish_reason is None:
                            raise _broken(exc, yielded, reader.state) from exc
                        # GLM had already sent its finish reason: the answer is complete and
                        # only the closing [DONE] was lost with the connection.
                    reader.check_end()
                    return
            except httpx.HTTPError as exc:
                err: E.GLMError = _from_httpx(exc)
                if yielded:
                    raise err from exc
                await asyncio.sleep(_give_up(err, attempt, settings, deadline))
            except E.GLMError as err:
                if yielded:
                    err.attempts = attempt
                    raise
                await asyncio.sleep(_give_up(err, attempt, settings, deadline))


async def aclose_shared_clients() -> None:
    """Close the pooled async connections of the running event loop (call before it ends)."""
    loop = asyncio.get_running_loop()
    _SHARED_ASYNC.pop(loop, None)
    closer = _CLOSERS.pop(loop, None)
    if closer is not None:
        await closer.aclose()  # type: ignore[attr-defined]
