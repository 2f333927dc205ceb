"""Faults and error bodies the emulator can be asked for (pure data, no I/O).

A :class:`Fault` comes per request in the ``x-glm-emulator-fault`` header or from the fault queue;
``ERRORS`` holds the documented error bodies (wire reference §4).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ERRORS", "Fault", "error_body"]

# Documented error bodies (wire reference §4): code -> (HTTP status, message).
ERRORS: dict[str, tuple[int, str]] = {
    "500": (500, "Internal Error"),
    "1000": (401, "Authentication Failed"),
    "1001": (401, "Authentication parameter not received in Header"),
    "1002": (401, "Invalid Authentication Token"),
    "1003": (401, "Authentication Token expired"),
    "1113": (429, "Your account is in arrears, please recharge"),
    "1210": (400, "Incorrect API call parameters"),
    "1211": (400, "Model does not exist, please check the model code"),
    "1213": (400, "The prompt parameter was not received normally"),
    "1214": (400, "The messages parameter is illegal"),
    "1215": (400, "Parameters cannot be set simultaneously"),
    "1234": (500, "Network error, error id: emulator"),
    "1261": (400, "Prompt exceeds max length"),
    "1301": (400, "System detected potentially unsafe or sensitive content in input or generation"),
    "1302": (
        429,
        "High concurrency usage of this API, please reduce concurrency or contact customer service to increase limits",
    ),
    "1303": (429, "High frequency usage of this API, please reduce frequency"),
    "1304": (429, "The daily call limit for this API has been reached"),
    "1305": (429, "The service may be temporarily overloaded, please try again later"),
    "1308": (429, "Usage limit reached for 5 hour. Your limit will reset at 2026-11-22 05:00:00"),
    "1310": (429, "Weekly/Monthly Limit Exhausted"),
    "1312": (429, "The model is experiencing high traffic, please try again later"),
}


@dataclass
class Fault:
    """Per-request fault injection and reply shaping; every field optional."""

    status: int | None = None
    code: str | None = None
    message: str | None = None
    retry_after: float | None = None
    retry_after_ms: int | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    disconnect_after: int | None = None
    malformed_after: int | None = None
    error_frame_after: int | None = None
    error_frame_code: str = "1234"
    no_done: bool = False
    drop_finish: bool = False
    finish_reason: str | None = None
    chunks: int | None = None
    content: str | None = None
    html: bool = False
    """Answer the error status with an HTML page (a gateway's 502, wire reference §8)."""
    repeat: int = 1
    """``content`` repeated this many times (a long frame without a long fault header)."""
    parallel: bool = False
    ignore_tools: bool = False
    reset_at_end: bool = False
    """Drop the connection after the last frame instead of ending the response cleanly."""
    abort: bool = False
    """Send 200 headers, then drop the connection before any body (a reset mid-response)."""
    batch: int = 16
    drip: float = 0.0
    """Send the body a few bytes at a time, this many seconds apart (a server that drips)."""
    hold_after_done: float = 0.0
    """Keep a stream open this long after ``[DONE]`` (silent, or pinging with ``ping_after_done``)."""
    ping_after_done: bool = False
    exhaust_reasoning: bool = False
    """Thinking uses up ``max_tokens``: reasoning only, no text or tool calls, finish ``length``
    (wire reference §8: ``content: ""``, streamed and not)."""
    quirks: list[str] = field(default_factory=list)
    """Reply shapes seen in real traffic: ``args_object``, ``cut_args``, ``think_tags``,
    ``nested_as_strings`` (object/array arguments as JSON strings, GLM-5.2/5.3 with ``$defs``),
    ``no_search_results`` (no ``web_search`` records, as a key without balance gets), and the
    stream quirks (``crlf``, ``comments``, ``usage_separate``, ``duplicate_finish`` ...)."""
    times: int | None = None
    key: str | None = None

    @classmethod
    def from_json(cls, raw: str | dict[str, Any] | None) -> Fault:
        """A fault from its header JSON or a dict (unknown fields ignored); empty is no fault."""
        if not raw:
            return cls()
        data = json.loads(raw) if isinstance(raw, str) else dict(raw)
        if "code" in data and data["code"] is not None:
            data["code"] = str(data["code"])
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def is_error(self) -> bool:
        """Whether the fault answers with an error (a ``status`` or a ``code``)."""
        return self.status is not None or self.code is not None


def error_body(code: str, message: str | None, request_id: str) -> tuple[int, dict[str, Any]]:
    """(status, JSON) of GLM's error reply for ``code``; ``message`` defaults to its usual one."""
    status, default = ERRORS.get(code, (400, "Error"))
    return status, {
        "error": {"code": code, "message": message or default},
        "request_id": request_id,
    }
