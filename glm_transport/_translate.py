"""The one place where transport exceptions become GLM errors (as httpx's own
``map_httpcore_exceptions`` is for httpcore's), used around every request and read.

Pure: it classifies an exception by what really happened: aiohttp's own (the shared async pool),
httpx's, or httpx's wrapping aiohttp's (a user's client on httpx-aiohttp maps every aiohttp
connection error to ``httpx.ConnectTimeout``; the aiohttp exception underneath tells a refused
or reset connection from a timeout, and a certificate failure from both). It scrubs the request
headers, key included, that aiohttp keeps on its exceptions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from glm_transport import errors as E
from glm_transport.config import GLMSettings

__all__ = ["connection_error", "translated"]

# Libraries whose exceptions mean "the transport failed": aiohttp's (the shared async pool, or
# escaping a user's httpx-aiohttp unmapped), and httpx2's (a fork with its own classes).
_TRANSPORT_MODULES = ("aiohttp", "httpcore", "h11", "httpx2", "httpcore2")


def _cause_kind(exc: BaseException) -> str:
    """``timeout``, ``tls`` or ``connection``, from the exception and what caused it.

    httpx-aiohttp maps every aiohttp connection error (refused, reset, closed, TLS) to
    ``httpx.ConnectTimeout``; the aiohttp exception underneath says what really happened.
    """
    chain: BaseException | None = exc
    while chain is not None:
        name = type(chain).__name__
        if "Certificate" in name or "SSLCertVerification" in name:
            return "tls"
        if type(chain).__module__.startswith("aiohttp"):
            return "timeout" if "Timeout" in name else "connection"
        chain = chain.__cause__ or chain.__context__
    timed_out = isinstance(exc, httpx.TimeoutException) or "Timeout" in type(exc).__name__
    return "timeout" if timed_out else "connection"


@contextmanager
def translated(settings: GLMSettings) -> Iterator[None]:
    """The one place where transport exceptions become GLM errors (as httpx's
    ``map_httpcore_exceptions``). Messages never carry the key; no request object is kept."""
    try:
        yield
    except E.GLMError:
        raise
    except (httpx.HTTPError, OSError) as exc:
        raise connection_error(settings, exc) from None
    except Exception as exc:
        # aiohttp's own errors (a malformed status line, header or length; their repr carries
        # the request headers, scrubbed below).
        if not type(exc).__module__.startswith(_TRANSPORT_MODULES):
            raise
        raise connection_error(settings, exc) from None


def _scrub(exc: BaseException) -> None:
    """aiohttp's errors keep the request (headers, key included) on ``request_info``: drop it
    from every exception in the chain, which stays as the error's context for debugging."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return
        info = getattr(seen, "request_info", None)
        if info is not None and hasattr(info, "_replace"):
            with contextlib.suppress(Exception):
                seen.request_info = info._replace(headers={})  # type: ignore[attr-defined]
        seen = seen.__cause__ or seen.__context__


def connection_error(settings: GLMSettings, exc: BaseException) -> E.GLMError:
    _scrub(exc)
    kind = _cause_kind(exc)
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
