"""Neutral request and result types, independent of any framework.

Framework integrations translate their messages into wire dicts, describe the call with
:class:`ChatRequest`, and get back :class:`ChatCompletion` (whole replies) or :class:`StreamChunk`
(streamed deltas). Result types use ``__slots__``: one is built per streamed chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ChatCompletion",
    "ChatRequest",
    "StreamChunk",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
]


@dataclass
class ChatRequest:
    """A neutral description of one chat completion call.

    ``None`` means "not set": only what the caller set is sent, since the gateways document other
    defaults than the official API.
    """

    model: str
    messages: list[dict[str, Any]]
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: list[str] | str | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | None = None
    thinking: dict[str, Any] | None = None
    reasoning_effort: str | None = None
    tool_stream: bool | None = None
    response_format: dict[str, Any] | None = None
    request_id: str | None = None
    user_id: str | None = None
    do_sample: bool | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)
    # The reply policy (see glm_transport.reply): never sent, held against the reply.
    required_tool: str | None = None
    """``"any"`` or a tool name: the reply must call it."""
    max_tool_calls: int | None = None
    """Calls past this many are dropped (``parallel_tool_calls=False`` is 1)."""
    effort_mapping: str | None = None
    """``"nearest"``: a ``reasoning_effort`` the model does not take on this endpoint becomes the
    nearest one it does (ties go up); ``None``: sent as given, refused when certain."""
    empty_answer: str = "raise"
    """``max_tokens`` spent before any answer: ``"raise"`` :class:`ReasoningExhaustedError`
    (the default), or ``"return"`` the empty answer."""
    structured_tool: str | None = None
    """A ``json_schema`` response format routed to a forced tool call (GLM has no such mode):
    the name of that tool, whose arguments come back as the reply's content."""
    search: dict[str, Any] | None = None
    """The options of GLM's in-chat ``web_search`` tool when the request offers it: a reply says
    whether results came back, and one without results is an error when ``require_search`` is
    set (:func:`glm_transport.reply.check_search`)."""


@dataclass(slots=True)
class Usage:
    """Token usage; ``cached_tokens`` and ``reasoning_tokens`` are 0 when GLM does not report them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    raw: dict[str, Any] = field(default_factory=dict)

    def add(self, other: Usage) -> None:
        """Count ``other``'s tokens in (a call sent as several requests)."""
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.total_tokens += other.total_tokens


@dataclass(slots=True)
class ToolCall:
    """A complete tool call. ``arguments`` is always JSON text, even when GLM sent an object."""

    id: str
    name: str
    arguments: str
    type: str = "function"
    index: int = 0


@dataclass(slots=True)
class ToolCallDelta:
    """A piece of a streamed tool call, as GLM sent it (whole, or a fragment with ``tool_stream``)."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str | None = None
    type: str | None = None


@dataclass(slots=True)
class ChatCompletion:
    """A whole reply."""

    content: str
    reasoning_content: str | None
    tool_calls: list[ToolCall]
    finish_reason: str | None
    usage: Usage | None
    id: str | None
    request_id: str | None
    model: str | None
    created: int | None = None
    web_search: list[dict[str, Any]] | None = None
    """GLM's search results; ``[]`` when the request offered search and none came back."""
    raw: dict[str, Any] = field(default_factory=dict)
    server_tool_calls: list[dict[str, Any]] | None = None
    """Tool calls GLM ran itself (``type`` other than ``function``, e.g. ``mcp``), as sent: never
    in :attr:`tool_calls`, so no agent tries to run them."""
    search_args: dict[str, Any] | None = None
    """The ``web_search`` options the request sent, when it offered search."""


@dataclass(slots=True)
class StreamChunk:
    """One streamed event after decoding. Fields GLM did not send are ``None``."""

    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None
    finish_reason: str | None = None
    usage: Usage | None = None
    id: str | None = None
    model: str | None = None
    request_id: str | None = None
    web_search: list[dict[str, Any]] | None = None
    raw: dict[str, Any] | None = None
    invalid_tool_calls: list[str] | None = None
    """On the finish chunk: names of the calls whose complete arguments are not a JSON object."""
    server_tool_calls: list[dict[str, Any]] | None = None
    """Tool calls GLM ran itself (``mcp`` and other non-function types), as sent."""
    search_args: dict[str, Any] | None = None
    """On the last chunk, when the request offered search: the ``web_search`` options sent."""
