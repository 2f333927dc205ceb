"""The shared HTTP connection pools, and how they live with processes, event loops and callers.

* One pool per *route*: a base URL and a key (by digest). A gateway that breaks HTTP framing
  (bytes past ``Content-Length``) can only ever hand its stale replies to calls on its own route;
  connections are never shared between base URLs or tenants. At most :data:`MAX_ROUTES` idle
  routes are kept; the least recently used idle one is closed past that.
* Sync: an ``httpx.Client`` per route, shared by every model of that route (timeouts go per
  request). It keeps no cookies (the async pools keep none either): one tenant's
  ``Set-Cookie`` never goes out with another's calls. Its connections read and write against the
  call's whole deadline (:func:`deadline`), so ``total_timeout`` bounds the status line and
  headers too. A forked child starts with no pool, so parent and child never read each other's
  replies from a shared keep-alive socket (gunicorn ``--preload``, Celery prefork,
  ``multiprocessing``). Closed at interpreter exit.
* Async: an aiohttp session per route and event loop (:mod:`._aio`; a session cannot move
  between loops), kept on the loop itself, so a loop dropped without ``close()`` takes its
  pools with it when it is collected. They are closed when the loop closes, including loops
  closed without ``shutdown_asyncgens`` (LlamaIndex's ``asyncio_run``); the loop's ``close`` is
  hooked once, however often the pools are closed and reopened. :func:`aclose_shared_clients`
  closes idle sessions at once and the busy ones when their last reply is done, so calls in
  flight finish (or time out) as they would have. A forked child never closes or collects what
  it inherited (closing an inherited socket unregisters the parent's from their shared epoll):
  it keeps it, untouched, and opens its own.
* After ``[DONE]`` a sync stream reads the few closing bytes so the connection returns to the
  pool; a watchdog thread shuts the socket down if a server holds the response open, so
  ``stream()`` ends within a second whatever the server does.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import os
import socket
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from http.cookiejar import Cookie, CookieJar
from typing import TYPE_CHECKING, Any

import httpx

from glm_transport._constants import (
    KEEPALIVE_EXPIRY,
    MAX_CONNECTIONS,
    MAX_KEEPALIVE_CONNECTIONS,
)
from glm_transport._tls import shared_ssl_context

__all__ = [
    "MAX_ROUTES",
    "AsyncPool",
    "SyncPool",
    "aclose_shared_clients",
    "async_pool",
    "bound_by_deadline",
    "deadline",
    "discard",
    "discard_if_desynced",
    "drain",
    "route_of",
    "sync_pool",
]

if TYPE_CHECKING:
    import aiohttp

    from glm_transport.config import GLMSettings

LIMITS = httpx.Limits(  # the sync pools'; the async sessions take the same numbers in _aio
    max_connections=MAX_CONNECTIONS,
    max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS,
    keepalive_expiry=KEEPALIVE_EXPIRY,
)
MAX_ROUTES = 64
"""Idle routes kept open per process (sync) and per event loop (async)."""

Route = tuple[str, str, bool]
"""Base URL, key digest, and whether connections are kept alive (``False``: one per call)."""


def route_of(settings: GLMSettings, reuse: bool = True) -> Route:
    """The route of ``settings``: its base URL and a digest of its key (never the key).

    ``reuse=False``: the route's pool of single-use connections, for calls whose reply cannot
    be checked to be theirs (see :class:`~glm_transport.endpoint.Call`).
    """
    key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    return settings.base_url, hashlib.blake2b(key.encode(), digest_size=12).hexdigest(), reuse


# ---- the sync pools --------------------------------------------------------------------------


class _NoCookies(CookieJar):
    """A cookie jar that keeps nothing (GLM sets no cookie; a tenant's must not reach another)."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: Cookie) -> None:
        return None


class SyncPool:
    """One route's ``httpx.Client``, and how many calls are using it."""

    __slots__ = ("busy", "client")

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.busy = 0


_lock = threading.Lock()
_sync: OrderedDict[Route, SyncPool] = OrderedDict()


_SINGLE_USE = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=0)


def _new_client(reuse: bool) -> httpx.Client:
    limits = LIMITS if reuse else _SINGLE_USE
    client = httpx.Client(limits=limits, verify=shared_ssl_context(), cookies=_NoCookies())
    # Every request of ours sets these itself (endpoint._build_headers): httpx would take each
    # default out again, header by header, on every request it merges them into.
    for name in ("Accept", "Accept-Encoding", "User-Agent"):
        client.headers.pop(name, None)
    if not reuse:
        client.headers.pop("Connection", None)  # its requests say "close"
    bound_by_deadline(client)
    return client


class _Held:
    """A shared client held for a ``with`` block (a class, not a generator: one per sync call)."""

    __slots__ = ("pool",)

    def __init__(self, pool: SyncPool) -> None:
        self.pool = pool

    def __enter__(self) -> httpx.Client:
        return self.pool.client

    def __exit__(self, *exc: object) -> None:
        with _lock:
            self.pool.busy -= 1


def sync_pool(route: Route) -> _Held:
    """The shared client of ``route``, held for the ``with`` block (an idle one may be closed later)."""
    evicted: list[SyncPool] = []
    with _lock:
        pool = _sync.get(route)
        if pool is None:
            pool = _sync[route] = SyncPool(_new_client(route[2]))
            if len(_sync) > MAX_ROUTES:
                evicted = _evict(_sync)
        else:
            _sync.move_to_end(route)
        pool.busy += 1
    for old in evicted:
        old.client.close()
    return _Held(pool)


def _evict(pools: OrderedDict[Route, Any]) -> list[Any]:
    """Take the least recently used idle pools out until ``MAX_ROUTES`` are left."""
    out = []
    for route, pool in list(pools.items()):
        if len(pools) <= MAX_ROUTES:
            break
        if pool.busy == 0:
            out.append(pools.pop(route))
    return out


# A sync call's deadline, for the connections of the shared pools: each read, write and connect
# waits at most until then. httpx's timeouts are per operation, so a server that drips the status
# line and headers a byte at a time never trips them; this does.
_deadline = threading.local()


class _Bound:
    """The context manager :func:`deadline` returns (a class: entered on every sync read)."""

    __slots__ = ("at", "before")

    def __init__(self, at: float | None) -> None:
        self.at = at
        self.before: float | None = None

    def __enter__(self) -> None:
        self.before = getattr(_deadline, "at", None)
        _deadline.at = self.at

    def __exit__(self, *exc: object) -> None:
        _deadline.at = self.before


def deadline(at: float | None) -> _Bound:
    """Bound the shared pools' socket operations in this thread by ``at`` (monotonic)."""
    return _Bound(at)


def _cut(timeout: float | None, expired: type[Exception]) -> float | None:
    at: float | None = getattr(_deadline, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise expired("the call's total_timeout ran out")
    return left if timeout is None else min(timeout, left)


def bound_by_deadline(client: httpx.Client) -> None:
    """Make ``client``'s connections honour :func:`deadline` (httpcore's network backend).

    Idempotent, and transparent to calls made without a deadline.
    """
    import httpcore

    pool: Any = getattr(getattr(client, "_transport", None), "_pool", None)
    inner: Any = getattr(pool, "_network_backend", None)
    if pool is None or inner is None or getattr(inner, "glm_deadline", False):
        # Another transport, or an httpcore that moved it: per-operation timeouts only.
        return

    class Stream(httpcore.NetworkStream):
        def __init__(self, stream: httpcore.NetworkStream) -> None:
            self._stream = stream

        def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
            return self._stream.read(max_bytes, _cut(timeout, httpcore.ReadTimeout))

        def write(self, buffer: bytes, timeout: float | None = None) -> None:
            self._stream.write(buffer, _cut(timeout, httpcore.WriteTimeout))

        def close(self) -> None:
            self._stream.close()

        def start_tls(
            self,
            ssl_context: Any,
            server_hostname: str | None = None,
            timeout: float | None = None,
        ) -> httpcore.NetworkStream:
            cut = _cut(timeout, httpcore.ConnectTimeout)
            return Stream(self._stream.start_tls(ssl_context, server_hostname, cut))

        def get_extra_info(self, info: str) -> Any:
            return self._stream.get_extra_info(info)

    class Backend(httpcore.NetworkBackend):
        glm_deadline = True

        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Any = None,
        ) -> httpcore.NetworkStream:
            cut = _cut(timeout, httpcore.ConnectTimeout)
            return Stream(inner.connect_tcp(host, port, cut, local_address, socket_options))

        def connect_unix_socket(
            self, path: str, timeout: float | None = None, socket_options: Any = None
        ) -> httpcore.NetworkStream:
            cut = _cut(timeout, httpcore.ConnectTimeout)
            return Stream(inner.connect_unix_socket(path, cut, socket_options))

        def sleep(self, seconds: float) -> None:
            inner.sleep(seconds)

    pool._network_backend = Backend()


def drain(response: httpx.Response, reads: Iterator[bytes], limit: int, seconds: float) -> None:
    """Read the end of a finished stream so its connection can go back to the pool.

    The read stays within ``limit`` bytes and ``seconds``: past that the socket is shut down, ending
    the read. The response is left open: the caller checks the connection, then closes it.
    """
    sock = _socket_of(response)
    token = _WATCHDOG.arm(sock, seconds) if sock is not None else None
    seen = 0
    try:
        for raw in reads:
            seen += len(raw)
            if seen > limit:
                break
    except Exception:  # the connection is closed instead of reused
        stream = response.extensions.get("network_stream")
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.close()
    finally:
        if token is not None:
            _WATCHDOG.disarm(token)


def _connection_of(http: Any, response: httpx.Response) -> Any:
    """The httpcore connection ``response`` came on, or ``None`` if it cannot be told."""
    stream = response.extensions.get("network_stream")
    pool = getattr(getattr(http, "_transport", None), "_pool", None)
    if stream is None or pool is None:
        return None
    for conn in getattr(pool, "connections", ()):
        inner = getattr(conn, "_connection", None)
        if getattr(inner, "_network_stream", None) is stream:
            return inner
    return None


def discard(http: Any, response: httpx.Response) -> None:
    """Close the connection ``response`` came on, before the response, so it is never reused."""
    conn = _connection_of(http, response)
    if conn is not None:
        conn.close()
        return
    stream = response.extensions.get("network_stream")
    if stream is not None:
        with contextlib.suppress(Exception):
            stream.close()


def discard_if_desynced(http: Any, response: httpx.Response) -> bool:
    """Close the connection ``response`` came on if bytes past its end are waiting there.

    Called before the response is closed, so the connection is not back in the pool yet. A proxy
    that sends more than its ``Content-Length`` leaves the surplus in the connection's h11
    buffer, where the next request on that keep-alive connection would read it as its own reply
    (a stale answer). httpcore only checks the socket, not that buffer. Reads httpcore's pool
    through attributes it does not document, so a future httpcore that hides them turns this
    check off rather than breaking calls (the ``request_id`` check still holds).
    """
    conn = _connection_of(http, response)
    h11_state = getattr(conn, "_h11_state", None)
    trailing = getattr(h11_state, "trailing_data", (b"", False))[0]
    if trailing:
        conn.close()
        return True
    return False


def _socket_of(response: httpx.Response) -> socket.socket | None:
    stream = response.extensions.get("network_stream")
    try:
        sock = stream.get_extra_info("socket") if stream is not None else None
    except Exception:  # pragma: no cover - a transport without socket access
        return None
    return sock if isinstance(sock, socket.socket) else None


class _Watchdog:
    """One thread, started on first use, that shuts down sockets whose drain overran."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[int, tuple[float, socket.socket]] = {}
        self._next = 0
        self._thread: threading.Thread | None = None

    def arm(self, sock: socket.socket, seconds: float) -> int:
        with self._cond:
            self._next += 1
            self._armed[self._next] = (time.monotonic() + seconds, sock)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="glm-drain", daemon=True)
                self._thread.start()
            self._cond.notify()
            return self._next

    def disarm(self, token: int) -> None:
        with self._cond:
            self._armed.pop(token, None)

    def _run(self) -> None:
        with self._cond:
            while True:
                if not self._armed:
                    self._cond.wait()
                    continue
                now = time.monotonic()
                for token, (due, sock) in list(self._armed.items()):
                    if due <= now:
                        del self._armed[token]
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_RDWR)
                soonest = min((d for d, _ in self._armed.values()), default=now + 60)
                self._cond.wait(max(soonest - now, 0.01))

    def after_fork(self) -> None:
        self.__init__()  # type: ignore[misc]


_WATCHDOG = _Watchdog()


# ---- the async pools ---------------------------------------------------------------------------


class AsyncPool:
    """One route's aiohttp session on one loop.

    With how many replies are open on it, and whether it closes when the last one is done.
    """

    __slots__ = ("busy", "closing", "session")

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.busy = 0
        self.closing = False

    def done(self) -> None:
        """One reply on this pool is done; close the session if it was waiting for that."""
        self.busy -= 1
        if self.closing and self.busy == 0:
            _close_later(self.session)


_closing: set[asyncio.Task[None]] = set()  # sessions being closed, kept from the GC till done


def _close_later(session: aiohttp.ClientSession) -> None:
    task = asyncio.get_running_loop().create_task(session.close())
    _closing.add(task)
    task.add_done_callback(_closing.discard)


class _LoopPools:
    """A loop's pools by route, and the process that opened them."""

    __slots__ = ("pid", "routes")

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.routes: OrderedDict[Route, AsyncPool] = OrderedDict()

    async def aclose(self, busy_too: bool = False) -> None:
        """Close idle sessions now, and busy ones when their last reply is done (or now)."""
        pools, self.routes = list(self.routes.values()), OrderedDict()
        for pool in pools:
            pool.closing = True
            if pool.busy == 0 or busy_too:
                await pool.session.close()


_ATTR = "_glm_integrations_pools"
_loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()  # loops with pools
# Loops that take no attributes (uvloop): their pools here, swept when the loop is closed.
_elsewhere: dict[asyncio.AbstractEventLoop, _LoopPools] = {}
# What a forked child inherited: kept, never closed nor collected (see the module docstring).
_inherited: list[Any] = []


def _pools_of(loop: asyncio.AbstractEventLoop) -> _LoopPools | None:
    pools = getattr(loop, _ATTR, None)
    if pools is None:
        pools = _elsewhere.get(loop)
    return pools


def _attach(loop: asyncio.AbstractEventLoop) -> _LoopPools:
    pools = _LoopPools()
    try:
        hooked = hasattr(loop, _ATTR)
        setattr(loop, _ATTR, pools)
    except AttributeError:
        for dead in [other for other in _elsewhere if other.is_closed()]:
            _elsewhere.pop(dead, None)  # a loop we could not hook (uvloop): let its pools go
        _elsewhere[loop] = pools
        hooked = True
    _loops.add(loop)
    if not hooked:
        _close_with(loop)
    return pools


def async_pool(route: Route) -> AsyncPool:
    """The running loop's shared pool for ``route`` (see :mod:`._aio`), counted as busy."""
    loop = asyncio.get_running_loop()
    pools = _pools_of(loop)
    if pools is None or pools.pid != os.getpid():
        if pools is not None:
            _inherited.append(pools)  # a forked child: never touch the parent's sockets
        pools = _attach(loop)
    pool = pools.routes.get(route)
    if pool is None:
        from glm_transport._aio import new_session  # aiohttp loads with the first async call

        pool = pools.routes[route] = AsyncPool(new_session(route[2]))
        if len(pools.routes) > MAX_ROUTES:
            for old in _evict(pools.routes):
                old.closing = True
                _close_later(old.session)
    else:
        pools.routes.move_to_end(route)
    pool.busy += 1
    return pool


def _close_with(loop: asyncio.AbstractEventLoop) -> None:
    """Close ``loop``'s pools before the loop closes, however it is closed (hooked once)."""
    original = loop.close
    ref = weakref.ref(loop)

    def close() -> None:
        this = ref()
        pools = None if this is None else _detach(this)
        if (
            this is not None
            and pools is not None
            and pools.routes
            and pools.pid == os.getpid()
            and not this.is_running()
            and not this.is_closed()
            and asyncio._get_running_loop() is None  # not from inside another loop (a GC pass)
        ):
            with contextlib.suppress(Exception):  # closing is best effort
                # The loop ends: replies still open on it (an abandoned stream) end with it.
                this.run_until_complete(pools.aclose(busy_too=True))
        original()

    # asyncio.run() and LlamaIndex's asyncio_run() both end with loop.close(): wrapping the
    # instance's method is the one hook every way of ending a loop goes through. uvloop's Loop
    # takes no instance attributes; its pools go with the next sweep in _attach.
    with contextlib.suppress(AttributeError):
        loop.close = close  # type: ignore[method-assign]


def _detach(loop: asyncio.AbstractEventLoop) -> _LoopPools | None:
    pools = _pools_of(loop)
    if pools is not None:
        with contextlib.suppress(AttributeError):
            setattr(loop, _ATTR, None)
        _elsewhere.pop(loop, None)
        _loops.discard(loop)
    return pools


async def aclose_shared_clients() -> None:
    """Close the running event loop's pooled async connections.

    Idle connections close now; those carrying a reply close when it is done, so calls in flight
    on this loop end as they would have (answered, or at their own timeouts).
    """
    pools = _pools_of(asyncio.get_running_loop())
    if pools is not None and pools.pid == os.getpid():
        await pools.aclose()


# ---- process lifetime -------------------------------------------------------------------------


def _close_sync() -> None:
    with _lock:
        pools = list(_sync.values())
        _sync.clear()
    for pool in pools:
        pool.client.close()


def _after_fork_in_child() -> None:
    # The parent's sockets, threads and loops are not ours: keep them referenced, never closed or
    # collected (collecting an aiohttp session closes its sockets, and for a socket registered in
    # the epoll the parent shares, that unregisters the parent's). Start afresh.
    global _lock
    _inherited.append(list(_sync.values()))
    _sync.clear()
    _lock = threading.Lock()
    for loop in list(_loops):
        _inherited.append(_pools_of(loop))
    _inherited.append(dict(_elsewhere))
    _elsewhere.clear()
    _WATCHDOG.after_fork()


atexit.register(_close_sync)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _state() -> dict[str, Any]:
    """For tests: what the pools hold right now."""
    live = [loop for loop in _loops if not loop.is_closed()]
    return {
        "sync": [base_url for base_url, _, _ in _sync],
        "loops": sum(1 for loop in live if (_pools_of(loop) or _LoopPools()).routes),
    }
