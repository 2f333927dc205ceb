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
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol, TypeVar, overload

import httpx

from glm_transport import errors as E
from glm_transport._decode import ACCEPT_ENCODING
from glm_transport._version import __version__
from glm_transport.config import PROVIDERS, GLMSettings, check_serves
from glm_transport.jsonbody import encode_json
from glm_transport.parse import parse_error
from glm_transport.retry import parse_retry_after

__all__ = [
    "MAX_ERROR_BYTES",
    "MAX_REPLY_BYTES",
    "Call",
    "Endpoint",
    "Head",
    "Headers",
    "Reader",
    "encode_json",
    "error_of",
    "json_of",
    "prepare",
    "stale",
    "stale_error",
    "stream_error",
    "unproven",
]

T_co = TypeVar("T_co", covariant=True)

_USER_AGENT = f"glm-integrations/{__version__}"
# The presets' hosts (.config: Z.ai, BigModel, their Coding Plan twins, maxtoken, powertokens),
# reached over TLS: no proxy on the way can add bytes to a reply. Custom base URLs are not.
_TRUSTED_HOSTS = frozenset(
    httpx.URL(p.base_url).host for p in PROVIDERS.values() if p.base_url.startswith("https://")
)
_MASK = "**********"

MAX_REPLY_BYTES = 64 * 1024 * 1024
"""The most a whole reply may take once decoded (a 2,048-text embedding batch is about 10 MB)."""
MAX_ERROR_BYTES = 1024 * 1024
"""The most of an error body that is read; GLM's are a few hundred bytes."""


@dataclass(frozen=True)
class Endpoint:
    """One GLM endpoint: its name (as providers list what they serve) and its path.

    ``request_id``: the endpoint takes a client ``request_id`` and echoes it in its reply (chat:
    wire reference §1-2; rerank: platform reference, Rerank), so each attempt sends a fresh one
    and a reply carrying another is known to be someone else's.
    """

    name: str
    path: str
    request_id: bool = False


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

    def expect(self, request_id: str | None) -> None:
        """The ``request_id`` the attempt sent; a reply echoing another must be refused."""

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

CallT = TypeVar("CallT", bound="Call")


class Headers:
    """A request's headers, key included, behind a ``repr`` that masks the key.

    Not a mapping on purpose: error trackers serialise the frame locals of a traceback, mappings
    item by item (Sentry's default serializer), every other object by its ``repr``. The headers
    themselves go to the HTTP library only through :meth:`plain`, never into a local of ours.
    """

    __slots__ = ("_items", "_view")

    def __init__(self, items: dict[str, str]) -> None:
        """Hold ``items`` (not copied; not to be changed afterwards)."""
        self._items = items
        self._view = MappingProxyType(items)

    def plain(self) -> dict[str, str]:
        """The headers as the HTTP library takes them: a copy of its own, free to change.

        A route's headers are built once and shared by its calls; an HTTP client the user gave
        may add to what it is handed, which must not reach the next call.
        """
        return dict(self._items)

    def view(self) -> Mapping[str, str]:
        """The shared headers, read-only, for the package's own pools (which copy them)."""
        return self._view

    def __repr__(self) -> str:
        """The header names and values, the key's masked."""
        shown = ", ".join(
            f"{name!r}: {_MASK if name.lower() == 'authorization' else value!r}"
            for name, value in self._items.items()
        )
        return f"Headers({{{shown}}})"

    def __reduce__(self) -> Any:
        """Refuse pickling: the key stays in the process."""
        raise TypeError("request headers hold the API key and are not pickled")


class Call:
    """One request, ready to send any number of times: where, what, and how errors are worded.

    ``request_id`` is the id the caller put in the body, if any; else, when ``fresh_ids`` is set,
    :meth:`attempt` gives each attempt its own (GLM answers 1231 to a repeated one).

    An endpoint that reads its reply or words its errors in a way of its own subclasses it (chat:
    :class:`glm_transport.chat.ChatCall`), so that a call in flight is one object: whatever a
    call holds through its I/O is promoted by the collector with 200 calls in flight, and
    promotions are what trigger its full passes (BENCHMARKS.md, "Close to the floor").
    """

    __slots__ = (
        "content",
        "fresh_ids",
        "headers",
        "request_id",
        "reuse",
        "trusted",
        "url",
    )

    def __init__(
        self,
        url: httpx.URL,
        content: bytes,
        headers: Headers,
        *,
        request_id: str | None = None,
        fresh_ids: bool = False,
        trusted: bool = False,
        reuse: bool = True,
    ) -> None:
        """Hold one request's parts.

        ``trusted``: the route is GLM's (or a preset gateway's) host over TLS, where no proxy can
        add bytes to a reply. ``reuse``: the call may go on a kept-alive connection; off a
        trusted route only calls whose reply is checked against their ``request_id`` do, and a
        connection whose reply came back without one is not reused either (:func:`unproven`).
        Every other call has a connection of its own, closed after it: it can neither read a
        stale reply left on a shared connection nor leave one behind.
        """
        self.url = url
        self.content = content
        self.headers = headers
        self.request_id = request_id
        self.fresh_ids = fresh_ids
        self.trusted = trusted
        self.reuse = reuse

    def attempt(self) -> tuple[bytes, str | None]:
        """One attempt's body, and the ``request_id`` its reply must carry if it carries one."""
        if not self.fresh_ids:
            return self.content, self.request_id
        # os.urandom, not a seeded generator: a process cloned without Python's fork hooks (a
        # VM snapshot restored twice, CRIU) would repeat a generator's ids.
        rid = os.urandom(16).hex()
        content = self.content
        # The body is a JSON object from encode_json: put the id first, before its other members.
        glue = b"," if len(content) > 2 else b""
        return b'{"request_id":"' + rid.encode() + b'"' + glue + content[1:], rid

    def explain(self, err: E.APIError) -> None:
        """Add what only the endpoint knows to an error GLM sent (chat: a rejected thinking mode)."""

    def __repr__(self) -> str:
        """The URL, the body's size and the headers, the key masked."""
        return (
            f"{type(self).__name__}(POST {self.url}, {len(self.content)} bytes, {self.headers!r})"
        )


def unproven(call: Call, reply: Any, request_id: str | None) -> bool:
    """Whether ``reply`` could not be matched to its request on a route that is not GLM's own.

    Its connection is then not reused: a stale reply left behind it could not be told apart.
    """
    if call.trusted:
        return False
    return request_id is None or type(reply) is not dict or reply.get("request_id") is None


def stale(reply: Any, request_id: str | None) -> str | None:
    """The ``request_id`` of a reply that answers another request, else ``None``.

    A reply without one (a gateway that drops it) cannot be told apart and passes.
    """
    if request_id is None or type(reply) is not dict:
        return None
    echoed = reply.get("request_id")
    if echoed is None or echoed == request_id:
        return None
    return str(echoed)


def stale_error(echoed: str, sent: str) -> E.GLMError:
    """The error for a reply that belongs to another request (retried on a new connection)."""
    return E.APIConnectionError(
        f"The reply carried request_id {echoed!r}, not the {sent!r} sent: a proxy or gateway on "
        "the way handed over another request's reply; the connection was closed"
    )


def _headers(settings: GLMSettings, stream: bool, reuse: bool) -> Headers:
    """A route's headers, built once per settings, kind of reply and reuse (never mutated)."""
    key = ("headers", stream, reuse)
    found = settings.derived.get(key)
    if found is None:
        found = settings.derived[key] = _build_headers(settings, stream, reuse)
    return found  # type: ignore[no-any-return]


def _build_headers(settings: GLMSettings, stream: bool, reuse: bool) -> Headers:
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if stream else "application/json",
        "Accept-Encoding": ACCEPT_ENCODING,
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
    if not reuse:
        headers["Connection"] = "close"
    return Headers(headers)


@overload
def prepare(
    settings: GLMSettings, endpoint: Endpoint, body: Mapping[str, Any], *, stream: bool = False
) -> Call: ...


@overload
def prepare(
    settings: GLMSettings,
    endpoint: Endpoint,
    body: Mapping[str, Any],
    *,
    stream: bool = False,
    kind: type[CallT],
) -> CallT: ...


def prepare(
    settings: GLMSettings,
    endpoint: Endpoint,
    body: Mapping[str, Any],
    *,
    stream: bool = False,
    kind: type[Call] = Call,
) -> Call:
    """The :class:`Call` (or the ``kind`` of call) that sends ``body`` to ``endpoint``.

    Raises:
        GLMValidationError: the provider does not serve ``endpoint``.
        AuthenticationError: the provider needs a key and none was found.
    """
    route = settings.derived.get(endpoint)
    if route is None:  # what the settings alone decide, once per endpoint
        check_serves(settings.provider, endpoint.name)
        url = settings.url_for(endpoint.path)
        route = (url, url.scheme == "https" and url.host in _TRUSTED_HOSTS)
        settings.derived[endpoint] = route
    url, trusted = route
    given = body.get("request_id")
    fresh = endpoint.request_id and given is None and settings.provider.request_ids
    # Off a trusted route, a reply no id can tie to its request (embeddings; a stream, whose
    # frames GLM sends without request_id) goes on a connection of its own: a gateway that
    # leaves a stale reply on a kept-alive connection would hand it to the next call.
    reuse = trusted or (not stream and (fresh or isinstance(given, str)))
    headers = _headers(settings, stream, reuse)  # no key: AuthenticationError, before the body
    return kind(
        url,
        encode_json(body),
        headers,
        request_id=given if isinstance(given, str) else None,
        fresh_ids=fresh,
        trusted=trusted,
        reuse=reuse,
    )


def _masked(settings: GLMSettings, content: bytes) -> bytes:
    """``content`` with the call's key masked out."""
    if settings.api_key is not None:
        secret = settings.api_key.get_secret_value().encode()
        # A key this short is a placeholder (tests, local proxies): masking it would mangle words.
        if len(secret) >= 8 and secret in content:
            return content.replace(secret, _MASK.encode())
    return content


def error_of(
    settings: GLMSettings, head: Head, content: bytes, explain: Explain | None = None
) -> E.APIError:
    """The typed error for a reply with an error status (or an error body).

    A key the upstream echoes back (some gateways quote the header they refused) is masked in
    everything built from the reply.
    """
    content = _masked(settings, content)
    status = head.status_code
    if 300 <= status < 400:
        # Redirects are not followed (a POST must not be replayed elsewhere with the key); the
        # body of a redirect is never the answer.
        where = head.headers.get("location") or "no Location"
        return E.APIError(
            f"GLM's address answered HTTP {status}, a redirect ({where}); redirects are not "
            "followed: set base_url to the address that answers",
            status=status,
            retryable=False,
        )
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


def stream_error(
    settings: GLMSettings,
    head: Head,
    content: bytes,
    explain: Explain | None = None,
    request_id: str | None = None,
) -> E.GLMError:
    """The typed error for a reply to a stream request that is not a stream.

    An error status, as :func:`error_of`; a JSON body with a 2xx status: another request's reply
    (its ``request_id`` says so), an error (a gateway that sends one with 200: GLM's code and
    message kept), or an error saying the reply was not a stream.
    """
    if not 200 <= head.status_code < 300:
        return error_of(settings, head, content, explain)
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        body = None
    echoed = stale(body, request_id)
    if echoed is not None:  # another request's whole reply, left on a reused connection
        return stale_error(echoed, str(request_id))
    if isinstance(body, dict) and "error" in body:
        return error_of(settings, head, content, explain)
    return E.APIError(
        "GLM answered a stream request with a whole JSON reply, not an event stream (a gateway "
        "that ignores stream=true?)",
        status=head.status_code,
        retryable=False,
    )


def json_of(
    settings: GLMSettings, head: Head, content: bytes, explain: Explain | None = None
) -> Any:
    """A whole reply's JSON, or the typed error its status or body calls for.

    Raises:
        APIError: the status is an error (typed by GLM's code), or the body is not JSON.
    """
    if not 200 <= head.status_code < 300:
        raise error_of(settings, head, content, explain)
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        raise E.ServerError(
            "GLM returned a body that is not JSON",
            status=head.status_code,
            body=_masked(settings, content[:2000]).decode("utf-8", "replace"),
        ) from None
    if isinstance(body, dict) and (body.get("error") or body.get("success") is False):
        # An error sent with HTTP 200 (gateways do; BigModel's tool APIs answer
        # {"code", "msg", "success": false}): typed by its code for every endpoint, never read
        # as an empty answer (a search with "no results").
        raise error_of(settings, head, content, explain)
    return body
