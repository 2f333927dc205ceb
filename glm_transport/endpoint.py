"""What every GLM endpoint shares, pure: one call's request, and reading a whole reply. No I/O.

An endpoint module (:mod:`.chat`, :mod:`.embeddings`, :mod:`.rerank`) builds its JSON body, hands
it to :func:`prepare` with its :class:`Endpoint`, and gives the client's generic primitives
(:meth:`GLMClient.post <glm_transport.GLMClient.post>`, :meth:`GLMClient.stream
<glm_transport.GLMClient.stream>`) the resulting :class:`Call` and a parser of the reply's JSON.
Every endpoint therefore shares one way to send, retry, budget, and turn an HTTP status or error
body into a typed error.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx

from glm_transport import errors as E
from glm_transport._version import __version__
from glm_transport.config import GLMSettings, check_serves
from glm_transport.parse import parse_error
from glm_transport.retry import parse_retry_after

__all__ = [
    "Call",
    "Endpoint",
    "Head",
    "Reader",
    "encode_json",
    "error_of",
    "json_of",
    "prepare",
]

T_co = TypeVar("T_co", covariant=True)

_USER_AGENT = f"glm-integrations/{__version__}"


@dataclass(frozen=True)
class Endpoint:
    """One GLM endpoint: its name (as providers list what they serve) and its path."""

    name: str
    path: str


class Head(Protocol):
    """What reading a reply needs of a response.

    An ``httpx.Response``, or an aiohttp one seen through ``glm_transport._aio.AioReply``.
    """

    @property
    def status_code(self) -> int:
        """The HTTP status code."""

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers."""


class Reader(Protocol[T_co]):
    """What :meth:`GLMClient.stream <glm_transport.GLMClient.stream>` needs of a streamed reply's reader (one per attempt)."""

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


Explain = Callable[[E.APIError], None]
"""Adds what only the endpoint knows to an error GLM sent (chat: a rejected thinking mode)."""


@dataclass(slots=True)
class Call:
    """One request, ready to send any number of times: where, what, and how errors are worded."""

    url: httpx.URL
    content: bytes
    headers: dict[str, str]
    explain: Explain | None = None


def encode_json(body: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON; deterministic for a given body (cassettes match on it)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _headers(settings: GLMSettings, stream: bool) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if stream else "application/json",
        "User-Agent": _USER_AGENT,
    }
    headers.update(settings.default_headers)
    if settings.api_key is not None:
        headers["Authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
    elif settings.provider.requires_key:
        names = ", ".join(("GLM_API_KEY", *settings.provider.key_env))
        raise E.AuthenticationError(
            f"No API key for {settings.provider}: pass api_key= or set {names}"
        )
    return headers


def prepare(
    settings: GLMSettings,
    endpoint: Endpoint,
    body: Mapping[str, Any],
    *,
    stream: bool = False,
    explain: Explain | None = None,
) -> Call:
    """The :class:`Call` that sends ``body`` to ``endpoint``.

    Raises:
        GLMValidationError: the provider does not serve ``endpoint``.
        AuthenticationError: the provider needs a key and none was found.
    """
    check_serves(settings.provider, endpoint.name)
    return Call(
        settings.url_for(endpoint.path),
        encode_json(body),
        _headers(settings, stream),
        explain,
    )


def error_of(
    settings: GLMSettings, head: Head, content: bytes, explain: Explain | None = None
) -> E.APIError:
    """The typed error for a reply with an error status (or an error body)."""
    body: Any = None
    if "html" in head.headers.get("content-type", ""):
        # Gateways answer some 5xx with an HTML page (wire reference §8): say so, not the markup.
        body = f"an HTML page from a gateway or proxy (HTTP {head.status_code})"
    elif content:
        try:
            body = json.loads(content)
        except (ValueError, RecursionError):
            body = content[:2000].decode("utf-8", "replace")
    err = parse_error(
        head.status_code, body, head.headers, error_style=settings.provider.error_style
    )
    err.retry_after = parse_retry_after(head.headers)
    if explain is not None:
        explain(err)
    return err


def json_of(
    settings: GLMSettings, head: Head, content: bytes, explain: Explain | None = None
) -> Any:
    """A whole reply's JSON, or the typed error its status or body calls for.

    Raises:
        APIError: the status is an error (typed by GLM's code), or the body is not JSON.
    """
    if head.status_code >= 400:
        raise error_of(settings, head, content, explain)
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        raise E.ServerError(
            "GLM returned a body that is not JSON",
            status=head.status_code,
            body=content[:2000].decode("utf-8", "replace"),
        ) from None
