"""What goes on the wire for one call and what comes off it, pure: headers, the encoded body, and
a whole reply (chat or embeddings) read into a result or a typed error. No I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from glm_transport import __version__
from glm_transport import errors as E
from glm_transport.config import GLMSettings
from glm_transport.embeddings import Embeddings, embedding_body, parse_embeddings
from glm_transport.models import explain_rejection
from glm_transport.parse import parse_completion, parse_error
from glm_transport.reply import apply_reply_policy
from glm_transport.request import build_chat_body, encode_body
from glm_transport.retry import parse_retry_after
from glm_transport.types import ChatCompletion, ChatRequest, Usage

__all__ = [
    "Body",
    "Head",
    "add_embeddings",
    "chat_body",
    "completion",
    "embedded",
    "embedding_request",
    "error_from_response",
    "headers",
]


class Head(Protocol):
    """What reading a reply needs of a response: an ``httpx.Response``, or an aiohttp one
    through :class:`glm_transport._aio.AioReply`."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


Body = tuple[bytes, dict[str, str]]
"""An encoded JSON body and its headers."""


def headers(settings: GLMSettings, stream: bool) -> dict[str, str]:
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
            f"No API key for {settings.provider}: pass api_key= or set {names}"
        )
    return headers


def chat_body(
    settings: GLMSettings, request: ChatRequest, stream: bool
) -> tuple[bytes, dict[str, str]]:
    body = build_chat_body(request, settings.provider, stream=stream)
    return encode_body(body), headers(settings, stream)


def error_from_response(
    settings: GLMSettings, response: Head, content: bytes, request: ChatRequest | None
) -> E.APIError:
    body: Any = None
    if "html" in response.headers.get("content-type", ""):
        # Gateways answer some 5xx with an HTML page (wire reference §8): say so, not the markup.
        body = f"an HTML page from a gateway or proxy (HTTP {response.status_code})"
    elif content:
        try:
            body = json.loads(content)
        except (ValueError, RecursionError):
            body = content[:2000].decode("utf-8", "replace")
    err = parse_error(
        response.status_code, body, response.headers, error_style=settings.provider.error_style
    )
    err.retry_after = parse_retry_after(response.headers)
    if request is not None:
        explain_rejection(err, request.model, request.thinking)
    return err


def reply_json(
    settings: GLMSettings,
    response: Head,
    content: bytes,
    request: ChatRequest | None = None,
) -> Any:
    """A whole reply's JSON, or the typed error its status or body calls for."""
    if response.status_code >= 400:
        raise error_from_response(settings, response, content, request)
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        raise E.ServerError(
            "GLM returned a body that is not JSON",
            status=response.status_code,
            body=content[:2000].decode("utf-8", "replace"),
        ) from None


def completion(
    settings: GLMSettings, request: ChatRequest, response: Head, content: bytes
) -> ChatCompletion:
    body = reply_json(settings, response, content, request)
    return apply_reply_policy(parse_completion(body), request)


def embedding_request(
    settings: GLMSettings, texts: list[str], model: str, dimensions: int | None
) -> Body:
    body = embedding_body(texts, model, dimensions, settings.provider)
    return encode_body(body), headers(settings, stream=False)


def embedded(
    settings: GLMSettings, response: Head, received: bytes, count: int
) -> tuple[list[list[float]], Usage]:
    return parse_embeddings(reply_json(settings, response, received), count)


def add_embeddings(out: Embeddings, vectors: list[list[float]], usage: Usage) -> None:
    out.vectors.extend(vectors)
    out.usage.prompt_tokens += usage.prompt_tokens
    out.usage.total_tokens += usage.total_tokens
