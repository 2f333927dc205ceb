"""The shared HTTP connection pools, and how they live with processes and event loops.

* Sync: one ``httpx.Client`` per process, shared by every model (timeouts go per request). A
  forked child starts with no pool, so parent and child never read each other's replies from a
  shared keep-alive socket (gunicorn ``--preload``, Celery prefork, ``multiprocessing``). Closed
  at interpreter exit.
* Async: one aiohttp session per event loop (:mod:`._aio`; a session cannot move between
  loops). It is closed when its loop closes, including loops closed without
  ``shutdown_asyncgens`` (LlamaIndex's ``asyncio_run``), so a process that runs thousands of
  short loops keeps no loops, sockets or sessions of the dead ones.
* After ``[DONE]`` a sync stream reads the few closing bytes so the connection returns to the
  pool; a watchdog thread shuts the socket down if a server holds the response open, so
  ``stream()`` ends within a second whatever the server does.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx

from glm_transport._constants import (
    KEEPALIVE_EXPIRY,
    MAX_CONNECTIONS,
    MAX_KEEPALIVE_CONNECTIONS,
)

__all__ = ["aclose_shared_clients", "async_pool", "discard_if_desynced", "drain", "sync_pool"]

if TYPE_CHECKING:
    import aiohttp

LIMITS = httpx.Limits(  # the sync pool's; the async session takes the same numbers in _aio
    max_connections=MAX_CONNECTIONS,
    max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS,
    keepalive_expiry=KEEPALIVE_EXPIRY,
)

_lock = threading.Lock()
_sync: httpx.Client | None = None
_async: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


def sync_pool() -> httpx.Client:
    """This process's shared sync client."""
    client = _sync
    if client is not None:
        return client
    return _new_sync()


def _new_sync() -> httpx.Client:
    global _sync
    with _lock:  # concurrent first calls build one client, not one each
        if _sync is None:
            _sync = httpx.Client(limits=LIMITS)
        return _sync


def async_pool() -> aiohttp.ClientSession:
    """The running loop's shared aiohttp session (see :mod:`._aio`)."""
    loop = asyncio.get_running_loop()
    session = _async.get(loop)
    if session is None:
        from glm_transport._aio import new_session  # aiohttp loads with the first async call

        session = _async[loop] = new_session()
        _close_with(loop)
    return session


def _close_with(loop: asyncio.AbstractEventLoop) -> None:
    """Close ``loop``'s pool before the loop closes, however it is closed."""
    for dead in [other for other in _async if other.is_closed()]:
        _async.pop(dead, None)  # a loop we could not hook (uvloop): let its pool go
    original = loop.close

    def close() -> None:
        client = _async.pop(loop, None)
        if client is not None and not loop.is_running() and not loop.is_closed():
            with contextlib.suppress(Exception):  # closing is best effort
                loop.run_until_complete(client.close())
        original()

    # asyncio.run() and LlamaIndex's asyncio_run() both end with loop.close(): wrapping the
    # instance's method is the one hook every way of ending a loop goes through. uvloop's Loop
    # takes no instance attributes; its pool goes with the next sweep above.
    with contextlib.suppress(AttributeError):
        loop.close = close  # type: ignore[method-assign]


async def aclose_shared_clients() -> None:
    """Close the pooled async connections of the running event loop now."""
    session = _async.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()


def drain(response: httpx.Response, reads: Iterator[bytes], limit: int, seconds: float) -> None:
    """Read the end of a finished stream so its connection goes back to the pool.

    The read stays within ``limit`` bytes and ``seconds``: past that the socket is shut down, ending
    the read.
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
        pass
    finally:
        if token is not None:
            _WATCHDOG.disarm(token)
        response.close()


def discard_if_desynced(http: Any, response: httpx.Response) -> bool:
    """Close the connection ``response`` came on if bytes past its end are waiting there.

    A proxy that sends more than its ``Content-Length`` leaves the surplus in the connection's
    h11 buffer, where the next request on that keep-alive connection would read it as its own
    reply (a stale answer). httpcore only checks the socket, not that buffer. aiohttp closes
    such connections itself. Reads httpcore's pool through attributes it does not document, so
    a future httpcore that hides them turns this check off rather than breaking calls.
    """
    stream = response.extensions.get("network_stream")
    pool = getattr(getattr(http, "_transport", None), "_pool", None)
    if stream is None or pool is None:
        return False
    for conn in getattr(pool, "connections", ()):
        inner = getattr(conn, "_connection", None)
        if getattr(inner, "_network_stream", None) is stream:
            h11_state = getattr(inner, "_h11_state", None)
            trailing = getattr(h11_state, "trailing_data", (b"", False))[0]
            if trailing:
                conn.close()
                return True
            return False
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
                for token, (deadline, sock) in list(self._armed.items()):
                    if deadline <= now:
                        del self._armed[token]
                        with contextlib.suppress(OSError):
                            sock.shutdown(socket.SHUT_RDWR)
                soonest = min((d for d, _ in self._armed.values()), default=now + 60)
                self._cond.wait(max(soonest - now, 0.01))

    def after_fork(self) -> None:
        self.__init__()  # type: ignore[misc]


_WATCHDOG = _Watchdog()


def _close_sync() -> None:
    global _sync
    client, _sync = _sync, None
    if client is not None:
        client.close()


def _after_fork_in_child() -> None:
    # The parent's sockets, threads and loops are not ours: forget them without closing (closing
    # would touch the parent's connections).
    global _sync, _lock
    _sync = None
    _lock = threading.Lock()
    _async.clear()
    _WATCHDOG.after_fork()


atexit.register(_close_sync)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _state() -> dict[str, Any]:
    """For tests: what the pools hold right now."""
    return {"sync": _sync, "loops": len(_async)}
