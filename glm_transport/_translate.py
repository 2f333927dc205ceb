"""The one place where transport exceptions become GLM errors, used around every request and read.

It is to this package what httpx's own ``map_httpcore_exceptions`` is to httpcore's exceptions.

Pure: one ordered table of exception classes, most specific first, says what each failure
means (``timeout``, ``tls`` or ``connection``); an exception takes the kind of the first class
it is a subclass of. aiohttp's classes (the shared async pool), httpx's, httpx2's (a fork with
its own classes) and the standard library's all go through it.

An entry is *specific* when it tells what really happened wherever it sits in the exception's
chain: a user's client on httpx-aiohttp maps every aiohttp connection error to
``httpx.ConnectTimeout``, and the aiohttp exception underneath tells a refused or reset
connection from a timeout, and a certificate failure from both. httpx's, httpcore's and the
standard library's classes are *generic*: they decide only for the exception itself, when
nothing specific lies beneath it.

It scrubs the request headers, key included, that aiohttp keeps on its exceptions.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Literal, NamedTuple

from glm_transport import errors as E
from glm_transport.config import GLMSettings

__all__ = ["connection_error", "translated"]

_Kind = Literal["timeout", "tls", "connection"]

# (module, class, kind, specific), most specific first: the first class an exception is a
# subclass of gives its kind. A class is looked up only once its module has been imported (an
# exception can only be an instance of a loaded class), so this module imports none of them.
_TABLE: tuple[tuple[str, str, _Kind, bool], ...] = (
    # A certificate that failed verification: not retried, wherever it sits in the chain
    # (aiohttp's is a subclass of ssl's; listed for the reader).
    ("aiohttp", "ClientConnectorCertificateError", "tls", True),
    ("ssl", "SSLCertVerificationError", "tls", True),
    # aiohttp's own: the shared async pool's, or the truth under a user's httpx-aiohttp.
    # ServerTimeoutError covers ConnectionTimeoutError and SocketTimeoutError.
    ("aiohttp", "ServerTimeoutError", "timeout", True),
    # Refused, reset, disconnected, a bad payload or response, an unusable URL.
    ("aiohttp", "ClientError", "connection", True),
    # A malformed status line, header, length or encoding.
    ("aiohttp.http_exceptions", "HttpProcessingError", "connection", True),
    # httpx's and httpx2's, then the httpcore and h11 beneath them should one escape a
    # custom transport unmapped (httpx's HTTPCORE_EXC_MAP lists the same classes).
    ("httpx", "TimeoutException", "timeout", False),
    ("httpx", "HTTPError", "connection", False),
    ("httpx2", "TimeoutException", "timeout", False),
    ("httpx2", "HTTPError", "connection", False),
    ("httpcore", "TimeoutException", "timeout", False),
    ("httpcore", "NetworkError", "connection", False),
    ("httpcore", "ProtocolError", "connection", False),
    ("httpcore", "ProxyError", "connection", False),
    ("httpcore", "UnsupportedProtocol", "connection", False),
    ("httpcore", "ConnectionNotAvailable", "connection", False),
    ("httpcore2", "TimeoutException", "timeout", False),
    ("httpcore2", "NetworkError", "connection", False),
    ("httpcore2", "ProtocolError", "connection", False),
    ("httpcore2", "ProxyError", "connection", False),
    ("httpcore2", "UnsupportedProtocol", "connection", False),
    ("httpcore2", "ConnectionNotAvailable", "connection", False),
    ("h11", "ProtocolError", "connection", False),
    # The standard library's: a socket's or asyncio's timeout (not the same class before
    # Python 3.11), then any other socket error.
    ("builtins", "TimeoutError", "timeout", False),
    ("asyncio", "TimeoutError", "timeout", False),
    ("builtins", "OSError", "connection", False),
)
_MODULES = tuple(dict.fromkeys(module for module, _, _, _ in _TABLE))
_CHAIN_DEPTH = 8


class _Entry(NamedTuple):
    """One resolved row of the table."""

    cls: type[BaseException]
    kind: _Kind
    specific: bool


# The resolved table and the modules it was resolved against (rebuilt when one is imported).
_resolved: tuple[tuple[object, ...], tuple[_Entry, ...]] | None = None


def _entries() -> tuple[_Entry, ...]:
    """The table's rows whose modules are loaded, in the table's order.

    Returns:
        The resolved rows; cached until another of the table's modules is imported.
    """
    global _resolved
    loaded = tuple(sys.modules.get(name) for name in _MODULES)
    cached = _resolved
    if cached is not None and cached[0] == loaded:
        return cached[1]
    entries: list[_Entry] = []
    complete = True
    for module_name, name, kind, specific in _TABLE:
        module = sys.modules.get(module_name)
        if module is None:
            continue
        cls = getattr(module, name, None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            entries.append(_Entry(cls, kind, specific))
        else:  # a module still being imported (or a version without the class): not cached
            complete = False
    table = tuple(entries)
    if complete:
        _resolved = (loaded, table)
    return table


def _match(exc: BaseException, table: tuple[_Entry, ...]) -> _Entry | None:
    """The first row of ``table`` whose class ``exc`` is an instance of.

    Args:
        exc: The exception to look up.
        table: Resolved rows, most specific first.

    Returns:
        The matching row, or ``None`` when the exception is not a transport failure.
    """
    cls = type(exc)
    for entry in table:
        if issubclass(cls, entry.cls):
            return entry
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then what caused it (``__cause__``, else ``__context__``), and so on.

    Args:
        exc: The outermost exception.

    Yields:
        Each link once, at most ``_CHAIN_DEPTH`` of them.
    """
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen and len(seen) < _CHAIN_DEPTH:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def _kind(exc: BaseException) -> _Kind:
    """``timeout``, ``tls`` or ``connection``, from the exception and what caused it.

    The first link of the chain that matches a specific row decides (the aiohttp error under
    httpx-aiohttp's ``httpx.ConnectTimeout``, a certificate failure under ``ConnectError``);
    else the exception's own row; else ``connection``.

    Args:
        exc: The transport failure.

    Returns:
        What kind of failure it was.
    """
    table = _entries()
    for link in _chain(exc):
        entry = _match(link, table)
        if entry is not None and entry.specific:
            return entry.kind
    own = _match(exc, table)
    return own.kind if own is not None else "connection"


class _Translated:
    """The context manager :func:`translated` returns: one small object, no generator."""

    __slots__ = ("settings",)

    def __init__(self, settings: GLMSettings) -> None:
        self.settings = settings

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # GLM errors and what is no Exception (a cancellation) pass through unchanged.
        if exc is None or isinstance(exc, E.GLMError) or not isinstance(exc, Exception):
            return
        if _match(exc, _entries()) is None:
            return
        raise connection_error(self.settings, exc) from None


def translated(settings: GLMSettings) -> _Translated:
    """Turn the transport failures raised inside the ``with`` block into GLM errors.

    GLM errors and exceptions that match no row of the table (a programming error, a
    cancellation) pass through unchanged. Messages never carry the key; no request object is
    kept.

    Args:
        settings: The call's settings (their key is masked out of messages).

    Returns:
        A context manager; the block runs as is.

    Raises:
        APIConnectionError: The transport failed (``APITimeoutError`` when it timed out).
    """
    return _Translated(settings)


def _scrub(exc: BaseException) -> None:
    """Drop the request aiohttp keeps on its errors from every exception in the chain.

    aiohttp's errors keep the request (headers, key included) on ``request_info``; the chain
    stays as the error's context for debugging.

    Args:
        exc: The outermost exception.
    """
    for link in _chain(exc):
        info = getattr(link, "request_info", None)
        if info is not None:
            with contextlib.suppress(Exception):
                link.request_info = _without_headers(info)  # type: ignore[attr-defined]


def _without_headers(info: Any) -> Any:
    """Aiohttp's ``RequestInfo`` with no headers.

    It is a NamedTuple in recent aiohttp and a frozen attrs class in 3.10 (the lowest we admit),
    with the same four fields in both.
    """
    if hasattr(info, "_replace"):
        return info._replace(headers={})
    return type(info)(info.url, info.method, {}, getattr(info, "real_url", info.url))


def connection_error(settings: GLMSettings, exc: BaseException) -> E.GLMError:
    """The GLM error for a transport failure, its message without the key.

    Args:
        settings: The call's settings (their key is masked out of the message).
        exc: The transport failure; its chain is scrubbed of request headers in place.

    Returns:
        ``APITimeoutError`` for a timeout, a non-retryable ``APIConnectionError`` for a
        certificate that failed verification, else a retryable ``APIConnectionError``.
    """
    _scrub(exc)
    kind = _kind(exc)
    detail = f"{type(exc).__name__}: {exc}"
    if settings.api_key is not None:
        detail = detail.replace(settings.api_key.get_secret_value(), "**********")
    if kind == "timeout":
        return E.APITimeoutError(f"GLM request timed out ({detail[:300]})")
    if kind == "tls":
        return E.APIConnectionError(
            f"TLS certificate verification failed ({detail[:300]})", retryable=False
        )
    return E.APIConnectionError(f"Could not talk to GLM ({detail[:300]})")
