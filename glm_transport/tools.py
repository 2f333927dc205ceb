"""Tool choice on an API that only offers ``tool_choice="auto"`` (pure, framework-free).

Both integrations map their framework's tool choice here, so users see the same behaviour:

* ``None`` / ``"auto"``: all tools offered, GLM decides.
* ``"none"`` / ``False``: no tools offered, so GLM cannot call one.
* ``"any"`` / ``"required"`` / ``True``: all tools offered; the reply must hold a tool call.
* a tool name, or ``{"type": "function", "function": {"name": ...}}``: only that tool is offered;
  the reply must call it.

A reply that breaks the requirement raises :class:`~glm_transport.errors.ToolChoiceError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from glm_transport.errors import GLMValidationError, ToolChoiceError

__all__ = ["check_tool_choice", "plan_tool_choice"]


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
    names = [t.get("function", {}).get("name") for t in tools if t.get("type") == "function"]
    if not isinstance(name, str) or name not in names:
        raise GLMValidationError(
            "tool_choice",
            tool_choice,
            f"'auto', 'none', 'any', 'required', True, or one of the tools {names}",
        )
    return [t for t in tools if t.get("function", {}).get("name") == name], name


def check_tool_choice(required: str | None, called: Iterable[str], reply: Any = None) -> None:
    """Raise :class:`ToolChoiceError` when the reply does not hold the required call."""
    if required is None:
        return
    names = list(called)
    if names if required == "any" else required in names:
        return
    wanted = "a tool call" if required == "any" else f"a call to tool '{required}'"
    err = ToolChoiceError(
        f"tool_choice required {wanted}, but GLM (whose API only offers tool_choice='auto') "
        f"answered with {names or 'no tool call'}"
    )
    err.reply = reply
    raise err
