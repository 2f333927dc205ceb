"""The emulator's reply engine: one request to one outcome.

A request (path, headers, body bytes) becomes an outcome (status, headers, body or SSE frames, and
the fault that shapes its timing). Pure but for the state it counts in. The HTTP server
(:mod:`.app`) and the in-process transport (:mod:`.transport`) both answer through :func:`respond`,
so they send the same bytes.

:data:`ROUTES` maps each endpoint's path suffix to its handler; the server builds its routes from
it and :func:`respond` dispatches through it, so a new endpoint is one entry there.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from glm_transport.emulator.answers import plan_reply, rejection, scripted_error
from glm_transport.emulator.embed import embed_reply
from glm_transport.emulator.faults import Fault, error_body
from glm_transport.emulator.ids import reply_ids
from glm_transport.emulator.ocr import ocr_reply
from glm_transport.emulator.render import render_body, render_frames
from glm_transport.emulator.rerank import rerank_reply
from glm_transport.emulator.script import Script
from glm_transport.emulator.search import reader_reply, search_error, web_search_reply

__all__ = [
    "FAULT_HEADER",
    "ROUTES",
    "EmulatorState",
    "Handler",
    "Outcome",
    "RecordedRequest",
    "handler_for",
    "respond",
]

FAULT_HEADER = "x-glm-emulator-fault"
JSON = "application/json"
PLAIN = "text/plain; charset=utf-8"

_FRESH_ID = re.compile(rb'^\{"request_id":"[^"]*",?')


def json_bytes(value: Any) -> bytes:
    """JSON exactly as Starlette's ``JSONResponse`` renders it (cassettes match on the bytes)."""
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


@dataclass
class RecordedRequest:
    """One request the emulator received, for assertions in tests."""

    body: dict[str, Any]
    path: str = ""

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The request's chat messages (empty when it has none)."""
        return list(self.body.get("messages") or [])

    @property
    def tools(self) -> list[str]:
        """The names of the function tools offered."""
        return [
            (t.get("function") or {}).get("name", "")
            for t in self.body.get("tools") or []
            if isinstance(t, Mapping) and t.get("type") == "function"
        ]

    @property
    def params(self) -> dict[str, Any]:
        """Every body field but the messages and tools (model, temperature, thinking ...)."""
        return {k: v for k, v in self.body.items() if k not in ("messages", "tools")}

    @property
    def last_user(self) -> str:
        """The last user message's content as a string (``""`` when there is none)."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return str(message.get("content"))
        return ""


class EmulatorState:
    """Counters, the fault queue, the script and the requests received. One per emulator."""

    def __init__(
        self, api_key: str | None = None, keep_bodies: int = 50, script: Script | None = None
    ) -> None:
        """A fresh state; ``api_key`` is checked when given, ``keep_bodies`` bodies are kept."""
        self.api_key = api_key
        self.script = script or Script()
        self.requests = 0
        self.connections: set[tuple[str, int]] = set()
        self.bodies: deque[dict[str, Any]] = deque(maxlen=keep_bodies)
        self.recorded: deque[RecordedRequest] = deque(maxlen=keep_bodies)
        self.faults: deque[Fault] = deque()
        self.keyed: dict[str, int] = {}
        self.open_streams = 0

    def reset(self) -> None:
        """Forget the counters, recorded requests, queued and keyed faults, and the script."""
        self.requests = 0
        self.connections.clear()
        self.bodies.clear()
        self.recorded.clear()
        self.faults.clear()
        self.keyed.clear()
        self.script.clear()
        self.script.strict = False

    def request(self, n: int) -> RecordedRequest:
        """The ``n``-th request received since the last reset (0 is the first, -1 the last)."""
        return self.recorded[n]

    def fault_for(self, headers: Mapping[str, str], body: bytes) -> Fault:
        """The fault for one request: its fault header's, else the next queued one, else none."""
        raw = headers.get(FAULT_HEADER)
        if raw:
            fault = Fault.from_json(raw)
            if fault.times is not None:
                # "times": the fault applies to the first N attempts with the same key; without
                # a key, the same fault and the same body (so: the retries of one request).
                # The client's request_id differs on every attempt: it is not part of the key.
                same = _FRESH_ID.sub(b"{", body, count=1)
                key = fault.key or raw + hashlib.sha256(same).hexdigest()
                seen = self.keyed.get(key, 0)
                self.keyed[key] = seen + 1
                if seen >= fault.times:
                    return Fault(
                        chunks=fault.chunks,
                        content=fault.content,
                        quirks=fault.quirks,
                        parallel=fault.parallel,
                        batch=fault.batch,
                    )
            return fault
        return self.faults.popleft() if self.faults else Fault()


@dataclass
class Outcome:
    """What to send back: a whole ``body`` or SSE ``frames``; ``fault`` shapes the timing."""

    status: int
    content_type: str = JSON
    body: bytes = b""
    frames: list[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    fault: Fault = field(default_factory=Fault)


def _error(status: int, payload: dict[str, Any], fault: Fault) -> Outcome:
    if fault.html:
        page = f"<html><head><title>{status} Bad Gateway</title></head><body>nginx</body></html>"
        return Outcome(status, "text/html; charset=utf-8", page.encode(), fault=fault)
    headers = {}
    if fault.retry_after is not None:
        headers["retry-after"] = str(fault.retry_after)
    if fault.retry_after_ms is not None:
        headers["retry-after-ms"] = str(fault.retry_after_ms)
    return Outcome(status, body=json_bytes(payload), headers=headers, fault=fault)


def respond(
    state: EmulatorState,
    path: str,
    headers: Mapping[str, str],
    raw_body: bytes,
    method: str = "POST",
) -> Outcome:
    """The emulator's answer to one request, from the handler :data:`ROUTES` gives its path.

    Args:
        state: The emulator's counters, fault queue, script and recorded requests.
        path: The URL path; its suffix picks the endpoint (any prefix, e.g. ``/api/paas/v4``).
        headers: The request headers (the fault header, ``authorization``).
        raw_body: The request body as sent.
        method: The HTTP method; endpoints take ``POST`` only.

    Returns:
        The outcome; for a path no endpoint serves, or a method other than POST, the plain-text
        404 or 405 the server's router gives (and nothing is counted or recorded).
    """
    handler = handler_for(path)
    if handler is None:
        return Outcome(404, PLAIN, b"Not Found")
    if method != "POST":
        return Outcome(405, PLAIN, b"Method Not Allowed", headers={"allow": "POST"})
    state.requests += 1
    fault = state.fault_for(headers, raw_body)
    try:
        body = json.loads(raw_body)
    except ValueError:
        return _error(*error_body("1210", "Request body is not JSON", ""), fault)
    if not isinstance(body, dict):
        return _error(*error_body("1210", "Request body is not an object", ""), fault)
    state.bodies.append(body)
    state.recorded.append(RecordedRequest(body, path))
    if state.api_key is not None:
        auth = headers.get("authorization", "")
        if not auth:
            return _error(*error_body("1001", None, ""), fault)
        if auth != f"Bearer {state.api_key}":
            return _error(*error_body("1002", None, ""), fault)
    return handler(state, path, body, fault)


def _fault_error(fault: Fault, request_id: str) -> Outcome:
    status, payload = error_body(fault.code or "500", fault.message, request_id)
    return _error(fault.status or status, payload, fault)


def _chat(state: EmulatorState, path: str, body: dict[str, Any], fault: Fault) -> Outcome:
    if not fault.is_error:
        # Rejected first: a request the API refuses must not use up the next scripted reply.
        refused = rejection(body, coding="/coding/" in path)
        if refused is not None:
            return _error(*refused, fault)
    scripted = None if fault.is_error else state.script.answer(body)
    if scripted is not None and scripted.fault:
        fault = Fault.from_json({**fault.__dict__, **scripted.fault})
    if scripted is None and state.script.strict and not fault.is_error:
        last = RecordedRequest(body).last_user[:200]
        return _error(
            *error_body(
                "1214",
                f"Strict emulator script: nothing scripted for this request (last user message "
                f"{last!r})",
                "",
            ),
            fault,
        )
    reply = plan_reply(body, fault, coding="/coding/" in path, scripted=scripted)
    if reply.error is not None:
        return _error(*reply.error, fault)
    if not body.get("stream"):
        return Outcome(200, body=json_bytes(render_body(reply, fault)), fault=fault)
    frames = render_frames(reply, fault, bool(body.get("tool_stream")))
    return Outcome(200, "text/event-stream; charset=utf-8", frames=frames, fault=fault)


def _embeddings(state: EmulatorState, path: str, body: dict[str, Any], fault: Fault) -> Outcome:
    if fault.is_error:
        return _fault_error(fault, "emb")
    status, payload = embed_reply(body)
    return Outcome(status, body=json_bytes(payload), fault=fault)


def _rerank(state: EmulatorState, path: str, body: dict[str, Any], fault: Fault) -> Outcome:
    # In the order chat decides: a fault's error, the API's own checks, then the script's error.
    scripted = None if fault.is_error else state.script.answer_rerank(body)
    if scripted is not None and scripted.fault:
        fault = Fault.from_json({**fault.__dict__, **scripted.fault})
    request_id = reply_ids(body)[1]
    if fault.is_error:
        return _fault_error(fault, request_id)
    status, payload = rerank_reply(body)
    if status == 200 and scripted is not None and scripted.error is not None:
        status, payload = scripted_error(scripted.error, request_id)
    if status != 200:
        return _error(status, payload, fault)
    return Outcome(status, body=json_bytes(payload), fault=fault)


def _ocr(state: EmulatorState, path: str, body: dict[str, Any], fault: Fault) -> Outcome:
    # As rerank: a fault's error, the API's own checks, then the script's error; a script's text
    # is the Markdown of every page read.
    scripted = None if fault.is_error else state.script.answer_ocr(body)
    if scripted is not None and scripted.fault:
        fault = Fault.from_json({**fault.__dict__, **scripted.fault})
    request_id = reply_ids(body)[1]
    if fault.is_error:
        return _fault_error(fault, request_id)
    status, payload = ocr_reply(body, scripted.text if scripted is not None else None)
    if status == 200 and scripted is not None and scripted.error is not None:
        status, payload = scripted_error(scripted.error, request_id)
    if status != 200:
        return _error(status, payload, fault)
    return Outcome(status, body=json_bytes(payload), fault=fault)


def _search_tool(
    reply: Callable[[dict[str, Any], str], tuple[int, dict[str, Any]]],
) -> Handler:
    """A handler for ``/web_search`` or ``/reader``.

    A fault's error first (1701-1703 with their own statuses and messages), else the API's answer.
    """

    def handle(state: EmulatorState, path: str, body: dict[str, Any], fault: Fault) -> Outcome:
        if fault.is_error:
            status, payload = search_error(fault.code or "500", fault.message, reply_ids(body)[1])
            return _error(fault.status or status, payload, fault)
        status, payload = reply(body, path)
        if status != 200:
            return _error(status, payload, fault)
        return Outcome(status, body=json_bytes(payload), fault=fault)

    return handle


Handler = Callable[[EmulatorState, str, dict[str, Any], Fault], Outcome]
"""An endpoint: (state, path, decoded body, fault) to the outcome, after the shared checks."""

ROUTES: dict[str, Handler] = {
    "/chat/completions": _chat,
    "/embeddings": _embeddings,
    "/rerank": _rerank,
    "/layout_parsing": _ocr,
    "/web_search": _search_tool(web_search_reply),
    "/reader": _search_tool(lambda body, path: reader_reply(body)),
}
"""Path suffix to handler, for the server's router and :func:`respond` alike."""


def handler_for(path: str) -> Handler | None:
    """The handler serving ``path`` (``/rerank`` or ``<prefix>/rerank``), or ``None``."""
    for suffix, handler in ROUTES.items():
        if path.endswith(suffix):
            return handler
    return None
