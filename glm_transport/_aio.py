"""The default async path: aiohttp itself, without httpx on top.

httpx over aiohttp (httpx-aiohttp) cost 2-3x what aiohttp costs per call: an ``httpx.Request``
and ``httpx.Response`` per call, header encodings, a cookie jar read and written, an adapter
stream (BENCHMARKS.md, "Close to the floor"). The async loops in :mod:`._client` use five members
of a response: ``status_code``, ``headers``, ``aiter_raw()``, ``aread()``, ``aclose()``;
:class:`AioReply` gives an aiohttp response those, so a client the user injects
(``httpx.AsyncClient``, ``httpx2``) and the shared pool go through the same loops.

What the shared session does as the httpx-aiohttp one did: no redirects, no proxy from the
environment, TLS verified against httpx's default context (certifi, ``SSL_CERT_FILE``),
responses decompressed (by the client, in bounded pieces). What it does not: keep cookies (GLM sets none, and a route's tenant's
must not outlive a pool).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import aiohttp
import httpx

from glm_transport._constants import KEEPALIVE_EXPIRY, MAX_CONNECTIONS
from glm_transport._tls import shared_ssl_context
from glm_transport.endpoint import Call

__all__ = ["AioReply", "new_session", "request"]


def new_session(reuse: bool = True) -> aiohttp.ClientSession:
    """A pool for one route on the running event loop (``reuse=False``: one connection a call)."""
    connector = aiohttp.TCPConnector(
        limit=MAX_CONNECTIONS,
        keepalive_timeout=KEEPALIVE_EXPIRY if reuse else None,
        force_close=not reuse,
        ssl=shared_ssl_context(),
    )
    # Bodies are decoded by the client, in bounded pieces (._decode), not by aiohttp.
    return aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False
    )


class AioReply:
    """An aiohttp response, seen through the ``httpx.Response`` members the async loops use."""

    __slots__ = ("_done", "_response", "headers", "status_code")

    def __init__(self, response: aiohttp.ClientResponse, done: Callable[[], None]) -> None:
        self._response = response
        self._done: Callable[[], None] | None = done
        self.status_code: int = response.status
        self.headers: Mapping[str, str] = response.headers

    def aiter_raw(self) -> AsyncIterator[bytes]:
        """The body's reads as they arrive, still encoded."""
        return self._response.content.iter_any()

    async def aread(self) -> bytes:
        return await self._response.read()

    async def aclose(self) -> None:
        # Back to the pool when the body was read to its end; closed otherwise.
        done, self._done = self._done, None
        self._response.release()
        if done is not None:
            done()

    def discard(self) -> None:
        """Close the connection, even one already back in the pool, so it is never reused.

        aiohttp releases a connection the moment the body's end is parsed; a reply found to be
        another request's only afterwards must still take its connection down with it.
        """
        self._response.close()
        protocol = getattr(self._response, "_protocol", None)
        if protocol is not None:
            protocol.close()


# Without a call budget a route's attempts all have the same timeouts: one ClientTimeout each
# (frozen), instead of one per attempt.
_TIMEOUTS: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}


def _client_timeout(timeout: httpx.Timeout, total: float | None) -> aiohttp.ClientTimeout:
    """The timeouts of an attempt in aiohttp's terms (see :func:`send`)."""
    if total is not None:  # what is left of a budget: a new value each attempt
        return aiohttp.ClientTimeout(
            total=total, connect=timeout.pool, sock_connect=timeout.connect, sock_read=timeout.read
        )
    key = (timeout.pool, timeout.connect, timeout.read)
    made = _TIMEOUTS.get(key)
    if made is None:
        if len(_TIMEOUTS) >= 64:
            _TIMEOUTS.clear()
        made = _TIMEOUTS[key] = aiohttp.ClientTimeout(
            total=None, connect=timeout.pool, sock_connect=timeout.connect, sock_read=timeout.read
        )
    return made


def request(
    session: aiohttp.ClientSession,
    call: Call,
    content: bytes,
    timeout: httpx.Timeout,
    total: float | None,
) -> Awaitable[aiohttp.ClientResponse]:
    """POST one attempt of ``call`` on ``session``: aiohttp's own awaitable, no coroutine of ours.

    The timeouts mean what httpx's do: ``connect`` to open a connection, ``read`` between two reads,
    ``pool`` to wait for a free connection (aiohttp's ``connect`` covers the wait and the opening);
    aiohttp has no write timeout. ``total`` is what is left of the call's budget: it bounds the
    status line, headers and body of this attempt (aiohttp's ``total`` covers all three).
    """
    return session.request(
        "POST",
        str(call.url),
        data=content,
        headers=call.headers.view(),
        allow_redirects=False,
        timeout=_client_timeout(timeout, total),
    )
