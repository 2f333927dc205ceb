"""The reply policy, pure: what a reply must hold, decided once for every framework and call mode.

GLM's API only offers ``tool_choice="auto"`` (Z.ai answers anything else with 400 "Tool choice
must be auto", wire reference §8) and has no ``parallel_tool_calls`` switch. So tool choice is
planned here into tools to offer plus two non-wire fields of :class:`~glm_transport.ChatRequest`,
and every reply, whole (:func:`apply_reply_policy`) or streamed
(:class:`~glm_transport.stream.StreamReader`), is held to them:

* ``None`` / ``"auto"``: all tools offered, GLM decides.
* ``"none"`` / ``False``: no tools offered, so GLM cannot call one.
* ``"any"`` / ``"required"`` / ``True``: all tools offered; ``required_tool="any"``.
* a tool name, or ``{"type": "function", "function": {"name": ...}}``: only that tool is offered;
  ``required_tool`` is its name.
* ``parallel_tool_calls=False``: ``max_tool_calls=1``; later calls are dropped.

A call whose arguments do not parse still counts as a call (the frameworks surface its arguments as
invalid). A reply that breaks the requirement raises :class:`~glm_transport.errors.ToolChoiceError`;
tool calls in a reply cut off by ``max_tokens`` (``finish_reason: "length"``) raise
:class:`~glm_transport.errors.ToolCallTruncatedError`: a cut-off call never reaches a tool.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from glm_transport.arguments import decode_nested, repair_plan
from glm_transport.errors import (
    GLMValidationError,
    ReasoningExhaustedError,
    SearchMissingError,
    ToolCallTruncatedError,
    ToolChoiceError,
    finish_error,
)
from glm_transport.types import ChatCompletion, Usage

__all__ = [
    "ReplyPolicy",
    "apply_reply_policy",
    "check_reply",
    "check_search",
    "normalized_finish_reason",
    "plan_tool_choice",
]

logger = logging.getLogger("glm_transport")


class ReplyPolicy(Protocol):
    """What a whole reply is held to: the policy fields of a :class:`ChatRequest`.

    A :class:`ChatRequest` is one; so is a chat call in flight (``glm_transport.chat.ChatCall``),
    which copies them rather than keep the request and its messages alive through the I/O.
    """

    @property
    def tools(self) -> list[dict[str, Any]] | None:
        """The tools offered (their schemas decode nested arguments GLM sent as JSON text)."""

    @property
    def max_tool_calls(self) -> int | None:
        """Calls past this many are dropped."""

    @property
    def required_tool(self) -> str | None:
        """``"any"`` or a tool name the reply must call."""

    @property
    def empty_answer(self) -> str:
        """``"raise"`` or ``"return"`` when thinking used up ``max_tokens``."""

    @property
    def structured_tool(self) -> str | None:
        """The forced tool a ``json_schema`` response format was routed to."""

    @property
    def search(self) -> dict[str, Any] | None:
        """The in-chat ``web_search`` tool's options, when offered."""


# GLM's finish reasons (wire reference §1: stop, tool_calls, length, sensitive, network_error,
# model_context_window_exceeded) onto langchain-core's normalized vocabulary (stop, length,
# tool_call, content_filter, refusal, context_exceeded, error, other; @langchain/core 1.5.0
# release notes, langchain-core 1.8.4 ``language_models/_finish_reason.py``).
_NORMALIZED = {
    "stop": "stop",
    "tool_calls": "tool_call",
    "length": "length",
    "sensitive": "content_filter",
    "network_error": "error",
    "model_context_window_exceeded": "context_exceeded",
}


def normalized_finish_reason(finish_reason: str | None) -> str | None:
    """GLM's finish reason in the cross-provider vocabulary; ``other`` for one not known here."""
    if not finish_reason:
        return None
    return _NORMALIZED.get(finish_reason, "other")


def check_search(
    search: dict[str, Any] | None, results: Any, request_id: str | None, reply: Any = None
) -> None:
    """Raise when the request forced web search and the reply brought no results.

    Args:
        search: The request's ``web_search`` options (``None``: search not offered).
        results: The reply's ``web_search`` records, if any.
        request_id: For the error.
        reply: The whole reply, kept on the error (``None`` for a stream).

    Raises:
        SearchMissingError: ``require_search`` was set and no results came back.
    """
    if search and search.get("require_search") and not results:
        raise SearchMissingError(
            "the request forced web search (require_search) and GLM's reply carries no search "
            "results: the answer is not grounded. A key without balance gets this reply with "
            "HTTP 200; check the account, or drop require_search to accept such answers.",
            request_id=request_id,
            reply=reply,
        )


def plan_tool_choice(
    tools: list[dict[str, Any]] | None, tool_choice: Any
) -> tuple[list[dict[str, Any]] | None, str | None]:
    """The tools to offer, and what the reply must contain: ``None``, ``"any"`` or a tool name."""
    if tool_choice is None or tool_choice == "auto" or not tools:
        return tools, None
    if tool_choice in ("none", False):
        return None, None
    if tool_choice in ("any", "required", True):
        return tools, "any"
    name = tool_choice
    if isinstance(tool_choice, dict):
        name = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
    names = [
        (t.get("function") or {}).get("name")
        for t in tools
        if isinstance(t, dict) and t.get("type") == "function"
    ]
    if not isinstance(name, str) or name not in names:
        raise GLMValidationError(
            "tool_choice",
            tool_choice,
            f"'auto', 'none', 'any', 'required', True, or one of the tools {names}",
        )
    return [t for t in tools if (t.get("function") or {}).get("name") == name], name


def check_reply(
    finish_reason: str | None,
    called: list[str],
    required_tool: str | None,
    request_id: str | None,
    reply: Any,
    *,
    answered: bool = True,
    empty_answer: str = "raise",
    usage: Usage | None = None,
) -> None:
    """Raise the typed error, if any, that a finished reply calls for.

    A reply calls for one when it is abnormal, cut off in a tool call, cut off before any answer
    (``answered``: it has content; unless ``empty_answer="return"``), or missing the required
    call. ``called``: the names of the calls kept.
    """
    if finish_reason:
        err = finish_error(finish_reason, request_id, reply)
        if err is not None:
            raise err
        if finish_reason == "length" and called:
            raise ToolCallTruncatedError(
                "GLM's reply was cut off by max_tokens (finish_reason 'length') inside a tool "
                f"call to {called[-1]!r}: its arguments are incomplete, so no tool is called. "
                "Raise max_tokens (reasoning counts against it).",
                code="length",
                request_id=request_id,
                partial=reply,
            )
        if finish_reason == "length" and not answered and empty_answer == "raise":
            raise _exhausted(request_id, reply, usage)
    if required_tool is None:
        return
    if called if required_tool == "any" else required_tool in called:
        return
    wanted = "a tool call" if required_tool == "any" else f"a call to tool '{required_tool}'"
    raise ToolChoiceError(
        f"tool_choice required {wanted}, but GLM (whose API only offers tool_choice='auto') "
        f"answered with {called or 'no tool call'}",
        request_id=request_id,
        reply=reply,
    )


def _exhausted(request_id: str | None, reply: Any, usage: Usage | None) -> ReasoningExhaustedError:
    spent = ""
    if usage is not None and usage.completion_tokens:
        reasoning = usage.reasoning_tokens
        spent = f" ({usage.completion_tokens} tokens"
        spent += f", {reasoning} of them reasoning)" if reasoning else ")"
    err = ReasoningExhaustedError(
        f"GLM used all of max_tokens{spent} before answering (finish_reason 'length', no "
        "content, no tool call): thinking counts against max_tokens. Raise max_tokens, or lower "
        "reasoning_effort; pass empty_answer='return' to get the empty answer instead.",
        code="length",
        request_id=request_id,
        partial=reply,
    )
    err.usage = usage
    return err


def apply_reply_policy(result: ChatCompletion, request: ReplyPolicy) -> ChatCompletion:
    """A whole reply held to the request's policy.

    Extra calls are dropped, requirements checked, nested arguments GLM sent as JSON text decoded
    (:mod:`glm_transport.arguments`), a routed ``json_schema`` call turned into the content, and
    search results (or their absence) recorded.
    """
    if request.max_tool_calls is not None and len(result.tool_calls) > request.max_tool_calls:
        result.tool_calls = result.tool_calls[: request.max_tool_calls]
    if result.tool_calls:
        plan = repair_plan(request.tools)
        if plan:
            for call in result.tool_calls:
                schema = plan.get(call.name)
                if schema is not None:
                    call.arguments = decode_nested(call.name, call.arguments, schema)
    if request.search is not None:
        result.search_args = request.search
        if result.web_search is None:
            result.web_search = []  # offered, none came back: said, not left out
    check_reply(
        result.finish_reason,
        [c.name for c in result.tool_calls],
        request.required_tool,
        result.request_id,
        result,
        answered=bool(result.content),
        empty_answer=request.empty_answer,
        usage=result.usage,
    )
    check_search(request.search, result.web_search, result.request_id, result)
    if request.structured_tool is not None:
        # The routed json_schema call is the answer: its arguments are the content.
        call = result.tool_calls[0]
        if result.content.strip():
            logger.info("GLM wrote text beside the json_schema call; the call is the answer")
        result.content, result.tool_calls = call.arguments, []
        if result.finish_reason == "tool_calls":
            result.finish_reason = "stop"
    return result
