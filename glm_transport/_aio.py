"""The default async path: aiohttp itself, without httpx on top.

httpx over aiohttp (httpx-aiohttp) cost 2-3x what aiohttp costs per call: an ``httpx.Request``
and ``httpx.Response`` per call, header encodings, a cookie jar read and written, an adapter
stream (BENCHMARKS.md, "Close to the floor"). The async loops in :mod:`._client` use five members
of a response: ``status_code``, ``headers``, ``aiter_bytes()``, ``aread()``, ``aclose()``;
:class:`AioReply` gives an aiohttp response those, so a client the user injects
(``httpx.AsyncClient``, ``httpx2``) and the shared pool go through the same loops.

What the shared session does as the httpx-aiohttp one did: no redirects, no proxy from the
environment, TLS verified against httpx's default context (certifi, ``SSL_CERT_FILE``),
responses decompressed. What it does not: keep cookies. The pool is shared by every model and
key in the process, and GLM sets none.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import httpx

from glm_transport._constants import KEEPALIVE_EXPIRY, MAX_CONNECTIONS

__all__ = ["AioReply", "new_session", "send"]

_ssl: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    global _ssl
    if _ssl is None:  # built once: loading the CA bundle takes milliseconds
        _ssl = httpx.create_ssl_context()
    return _ssl


def new_session() -> aiohttp.ClientSession:
    """A pool for the running event loop."""
    connector = aiohttp.TCPConnector(
        limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_EXPIRY, ssl=_ssl_context()
    )
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())


class AioReply:
    """An aiohttp response, seen through the ``httpx.Response`` members the async loops use."""

    __slots__ = ("_response", "headers", "status_code")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status_code: int = response.status
        self.headers: Mapping[str, str] = response.headers

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body's reads as they arrive."""
        return self._response.content.iter_any()

    async def aread(self) -> bytes:
        return await self._response.read()

    async def aclose(self) -> None:
        # Back to the pool when the body was read to its end; closed otherwise.
        self._response.release()


async def send(
    session: aiohttp.ClientSession,
    url: Any,
    body: tuple[bytes, dict[str, str]],
    timeout: httpx.Timeout,
) -> AioReply:
    """POST one attempt.

    The timeouts mean what httpx's do: ``connect`` to open a connection, ``read`` between two reads,
    ``pool`` to wait for a free connection (aiohttp's ``connect`` covers the wait and the opening);
    aiohttp has no write timeout.
    """
    content, headers = body
    response = await session.request(
        "POST",
        str(url),
        data=content,
        headers=headers,
        allow_redirects=False,
        timeout=aiohttp.ClientTimeout(
            total=None, connect=timeout.pool, sock_connect=timeout.connect, sock_read=timeout.read
        ),
    )
    return AioReply(response)
