"""The chat completions endpoint: ``POST {base_url}/chat/completions``, whole or streamed.

The pure parts live in their own modules (the body: :mod:`.request`; a whole reply:
:mod:`.parse`; a streamed one: :mod:`.stream`; the reply policy: :mod:`.reply`). This module pairs
them with the clients' generic primitives, sync and async.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterator
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


class _Reply:
    """What a chat call needs of its request once sent: one object, held through the I/O.

    Called on a whole reply's JSON, it parses it and applies the reply policy; :meth:`explain`
    adds what only chat knows to an error GLM sent (a rejected thinking mode).
    """

    __slots__ = ("request",)

    def __init__(self, request: ChatRequest) -> None:
        self.request = request

    def explain(self, err: E.APIError) -> None:
        """Say why GLM rejected the request's model or thinking mode, when it did."""
        explain_rejection(err, self.request.model, self.request.thinking)

    def __call__(self, body: Any) -> ChatCompletion:
        """The typed reply, the request's reply policy applied."""
        return apply_reply_policy(parse_completion(body), self.request)


def _call(settings: GLMSettings, request: ChatRequest, stream: bool, reply: _Reply) -> Call:
    body = build_chat_body(request, settings.provider, stream=stream)
    return prepare(settings, CHAT, body, stream=stream, explain=reply.explain)


def chat_call(settings: GLMSettings, request: ChatRequest, stream: bool) -> Call:
    """The :class:`~glm_transport.endpoint.Call` for ``request`` (checked before sending)."""
    return _call(settings, request, stream, _Reply(request))


def complete(client: GLMClient, request: ChatRequest) -> ChatCompletion:
    """One whole reply, retried on transient failures; raises typed errors."""
    reply = _Reply(request)
    return client.post(_call(client.settings, request, False, reply), reply)


def acomplete(client: AsyncGLMClient, request: ChatRequest) -> Awaitable[ChatCompletion]:
    """:func:`complete`, without blocking: await the result.

    The request is checked when this is called; the client's ``post`` coroutine is returned
    itself, with no coroutine of this module held through every call's I/O.
    """
    reply = _Reply(request)
    return client.post(_call(client.settings, request, False, reply), reply)


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
