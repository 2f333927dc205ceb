"""The chat completions endpoint: ``POST {base_url}/chat/completions``, whole or streamed.

The pure parts live in their own modules (the body: :mod:`.request`; a whole reply:
:mod:`.parse`; a streamed one: :mod:`.stream`; the reply policy: :mod:`.reply`). This module pairs
them with the clients' generic primitives, sync and async.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from glm_transport import errors as E
from glm_transport.config import GLMSettings
from glm_transport.endpoint import Call, Endpoint, prepare
from glm_transport.models import explain_rejection
from glm_transport.parse import parse_completion
from glm_transport.reply import apply_reply_policy
from glm_transport.request import build_chat_body
from glm_transport.stream import StreamReader
from glm_transport.types import ChatCompletion, ChatRequest, StreamChunk

if TYPE_CHECKING:  # the clients are passed in; importing them would load the I/O
    from glm_transport._client import AsyncGLMClient, GLMClient

__all__ = ["CHAT", "acomplete", "astream", "chat_call", "complete", "stream"]

CHAT = Endpoint("chat", "/chat/completions", request_id=True)


def chat_call(settings: GLMSettings, request: ChatRequest, stream: bool) -> Call:
    """The :class:`~glm_transport.endpoint.Call` for ``request`` (checked before sending)."""

    def explain(err: E.APIError) -> None:
        explain_rejection(err, request.model, request.thinking)

    body = build_chat_body(request, settings.provider, stream=stream)
    return prepare(settings, CHAT, body, stream=stream, explain=explain)


def _completion(request: ChatRequest) -> Callable[[Any], ChatCompletion]:
    def parse(body: Any) -> ChatCompletion:
        return apply_reply_policy(parse_completion(body), request)

    return parse


def complete(client: GLMClient, request: ChatRequest) -> ChatCompletion:
    """One whole reply, retried on transient failures; raises typed errors."""
    return client.post(chat_call(client.settings, request, False), _completion(request))


async def acomplete(client: AsyncGLMClient, request: ChatRequest) -> ChatCompletion:
    """:func:`complete`, without blocking."""
    return await client.post(chat_call(client.settings, request, False), _completion(request))


def stream(client: GLMClient, request: ChatRequest) -> Iterator[StreamChunk]:
    """The reply's chunks as they arrive; retried only until the first chunk is yielded."""
    settings = client.settings
    call = chat_call(settings, request, True)
    return client.stream(call, lambda: StreamReader(request, settings.provider.error_style))


def astream(client: AsyncGLMClient, request: ChatRequest) -> AsyncIterator[StreamChunk]:
    """:func:`stream`, without blocking."""
    settings = client.settings
    call = chat_call(settings, request, True)
    return client.stream(call, lambda: StreamReader(request, settings.provider.error_style))
