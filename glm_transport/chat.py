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

__all__ = ["CHAT", "ChatCall", "acomplete", "astream", "chat_call", "complete", "stream"]

CHAT = Endpoint("chat", "/chat/completions", request_id=True)


class ChatCall(Call):
    """A chat request ready to send, with what reading its reply needs: one object in flight.

    Called on a whole reply's JSON, it parses it and applies the reply policy; :meth:`explain`
    adds what only chat knows to an error GLM sent (a rejected thinking mode). It copies the
    request's policy fields instead of keeping the request: the request's wire messages (an agent's
    whole history) need not stay alive through the I/O.
    """

    __slots__ = (
        "empty_answer",
        "max_tool_calls",
        "model",
        "required_tool",
        "search",
        "structured_tool",
        "thinking",
        "tools",
    )

    # Set by _call right after construction (the constructor is Call's, shared by endpoints).
    empty_answer: str
    max_tool_calls: int | None
    model: str
    required_tool: str | None
    search: dict[str, Any] | None
    structured_tool: str | None
    thinking: dict[str, Any] | None
    tools: list[dict[str, Any]] | None

    def explain(self, err: E.APIError) -> None:
        """Say why GLM rejected the request's model or thinking mode, when it did."""
        explain_rejection(err, self.model, self.thinking)

    def __call__(self, body: Any) -> ChatCompletion:
        """The typed reply, the request's reply policy applied."""
        return apply_reply_policy(parse_completion(body), self)


def _call(settings: GLMSettings, request: ChatRequest, stream: bool) -> ChatCall:
    body = build_chat_body(request, settings.provider, stream=stream)
    call = prepare(settings, CHAT, body, stream=stream, kind=ChatCall)
    call.empty_answer = request.empty_answer
    call.max_tool_calls = request.max_tool_calls
    call.model = request.model
    call.required_tool = request.required_tool
    call.search = request.search
    call.structured_tool = request.structured_tool
    call.thinking = request.thinking
    call.tools = request.tools
    return call


def chat_call(settings: GLMSettings, request: ChatRequest, stream: bool) -> ChatCall:
    """The :class:`ChatCall` for ``request`` (checked before sending)."""
    return _call(settings, request, stream)


def complete(client: GLMClient, request: ChatRequest) -> ChatCompletion:
    """One whole reply, retried on transient failures; raises typed errors."""
    call = _call(client.settings, request, False)
    return client.post(call, call)


def acomplete(client: AsyncGLMClient, request: ChatRequest) -> Awaitable[ChatCompletion]:
    """:func:`complete`, without blocking: await the result.

    The request is checked when this is called; the client's ``post`` coroutine is returned
    itself, with no coroutine of this module held through every call's I/O. Only the call is
    held through it, not ``request``.
    """
    call = _call(client.settings, request, False)
    return client.post(call, call)


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
