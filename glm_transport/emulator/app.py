"""The emulator's HTTP face: a Starlette app serving ``POST .../chat/completions``.

Faults come per request from the ``x-glm-emulator-fault`` header (JSON, see :class:`Fault`) or
from a queue filled through ``POST /_emulator/faults`` (each request takes the next one). Control
endpoints: ``GET /_emulator/stats`` (request count, distinct client connections, last bodies),
``POST /_emulator/reset``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from glm_transport.emulator.answers import plan_reply
from glm_transport.emulator.embed import embed_reply
from glm_transport.emulator.faults import Fault, error_body
from glm_transport.emulator.render import render_body, render_frames

__all__ = ["FAULT_HEADER", "EmulatorState", "create_app"]

FAULT_HEADER = "x-glm-emulator-fault"


class Disconnect(Exception):
    """Raised inside a streaming body to drop the connection mid-stream."""


class _QuietDisconnects(logging.Filter):
    """Uvicorn logs an exception escaping a response as an error; an emulated cut is expected."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        while exc is not None:
            if isinstance(exc, Disconnect):
                return False
            group = getattr(exc, "exceptions", None)  # an exception group (anyio task groups)
            exc = exc.__cause__ or exc.__context__ or (group[0] if group else None)
        return True


logging.getLogger("uvicorn.error").addFilter(_QuietDisconnects())


class EmulatorState:
    """Counters and the fault queue. One per app."""

    def __init__(self, api_key: str | None = None, keep_bodies: int = 50) -> None:
        self.api_key = api_key
        self.requests = 0
        self.connections: set[tuple[str, int]] = set()
        self.bodies: deque[dict[str, Any]] = deque(maxlen=keep_bodies)
        self.faults: deque[Fault] = deque()
        self.keyed: dict[str, int] = {}
        self.open_streams = 0

    def reset(self) -> None:
        self.requests = 0
        self.connections.clear()
        self.bodies.clear()
        self.faults.clear()
        self.keyed.clear()

    def fault_for(self, request: Request, body: bytes) -> Fault:
        raw = request.headers.get(FAULT_HEADER)
        if raw:
            fault = Fault.from_json(raw)
            if fault.times is not None:
                # "times": the fault applies to the first N attempts with the same key; without
                # a key, the same fault and the same body (so: the retries of one request).
                key = fault.key or raw + hashlib.sha256(body).hexdigest()
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


def _error_response(status: int, payload: dict[str, Any], fault: Fault) -> Response:
    if fault.html:
        page = f"<html><head><title>{status} Bad Gateway</title></head><body>nginx</body></html>"
        return Response(page, status_code=status, media_type="text/html")
    headers = {}
    if fault.retry_after is not None:
        headers["retry-after"] = str(fault.retry_after)
    if fault.retry_after_ms is not None:
        headers["retry-after-ms"] = str(fault.retry_after_ms)
    return JSONResponse(payload, status_code=status, headers=headers)


def create_app(api_key: str | None = None) -> Starlette:
    """A fresh emulator app; ``api_key`` makes it check ``Authorization: Bearer``."""
    state = EmulatorState(api_key)

    async def chat(request: Request) -> Response:
        state.requests += 1
        if request.client is not None:
            state.connections.add((request.client.host, request.client.port))
        try:
            raw_body = await request.body()
        except ClientDisconnect:
            return Response(status_code=499)
        fault = state.fault_for(request, raw_body)
        if fault.delay:
            await asyncio.sleep(fault.delay)
        try:
            body = json.loads(raw_body)
        except ValueError:
            return JSONResponse(*_swap(error_body("1210", "Request body is not JSON", "")))
        if not isinstance(body, dict):
            return JSONResponse(*_swap(error_body("1210", "Request body is not an object", "")))
        state.bodies.append(body)
        if state.api_key is not None:
            auth = request.headers.get("authorization", "")
            if not auth:
                return JSONResponse(*_swap(error_body("1001", None, "")))
            if auth != f"Bearer {state.api_key}":
                return JSONResponse(*_swap(error_body("1002", None, "")))
        if fault.abort:
            return StreamingResponse(_abort(), media_type="application/json")
        reply = plan_reply(body, fault, coding="/coding/" in request.url.path)
        if reply.error is not None:
            return _error_response(*reply.error, fault)
        if not body.get("stream"):
            if fault.drip:
                payload = json.dumps(render_body(reply, fault)).encode()
                return StreamingResponse(_drip(payload, fault.drip), media_type="application/json")
            return JSONResponse(render_body(reply, fault))
        frames = render_frames(reply, fault, bool(body.get("tool_stream")))
        return StreamingResponse(_stream(frames, fault), media_type="text/event-stream")

    async def _stream(frames: list[bytes], fault: Fault) -> AsyncIterator[bytes]:
        state.open_streams += 1
        try:
            batch = 1 if fault.chunk_delay else max(1, fault.batch)
            cut = fault.disconnect_after
            for start in range(0, len(frames), batch):
                if cut is not None and start >= cut:
                    raise Disconnect("emulated mid-stream disconnect")
                group = frames[start : start + batch]
                if cut is not None and start + batch > cut:
                    group = frames[start:cut]
                yield b"".join(group)
                if fault.chunk_delay:
                    await asyncio.sleep(fault.chunk_delay)
            if (cut is not None and cut <= len(frames)) or fault.reset_at_end:
                raise Disconnect("emulated mid-stream disconnect")
            held = 0.0
            while held < fault.hold_after_done:
                await asyncio.sleep(0.05)
                held += 0.05
                if fault.ping_after_done:
                    yield b": keep-alive\n\n"
        finally:
            state.open_streams -= 1

    async def _drip(payload: bytes, every: float) -> AsyncIterator[bytes]:
        for start in range(0, len(payload), 4):
            yield payload[start : start + 4]
            await asyncio.sleep(every)

    async def _abort() -> AsyncIterator[bytes]:
        raise Disconnect("emulated connection reset")
        yield b""  # pragma: no cover - makes this an async generator

    async def embeddings(request: Request) -> Response:
        state.requests += 1
        raw_body = await request.body()
        fault = state.fault_for(request, raw_body)
        try:
            body = json.loads(raw_body)
        except ValueError:
            return JSONResponse(*_swap(error_body("1210", "Request body is not JSON", "")))
        state.bodies.append(body)
        if fault.is_error:
            status, payload = error_body(fault.code or "500", fault.message, "emb")
            return _error_response(fault.status or status, payload, fault)
        status, payload = embed_reply(body if isinstance(body, dict) else {})
        return JSONResponse(payload, status_code=status)

    async def stats(request: Request) -> Response:
        return JSONResponse(
            {
                "requests": state.requests,
                "connections": len(state.connections),
                "open_streams": state.open_streams,
                "bodies": list(state.bodies),
            }
        )

    async def push_faults(request: Request) -> Response:
        raw = await request.json()
        for item in raw if isinstance(raw, list) else [raw]:
            state.faults.append(Fault.from_json(item))
        return JSONResponse({"queued": len(state.faults)})

    async def reset(request: Request) -> Response:
        state.reset()
        return JSONResponse({"ok": True})

    app = Starlette(
        routes=[
            Route("/_emulator/stats", stats, methods=["GET"]),
            Route("/_emulator/faults", push_faults, methods=["POST"]),
            Route("/_emulator/reset", reset, methods=["POST"]),
            Route("/{prefix:path}/chat/completions", chat, methods=["POST"]),
            Route("/{prefix:path}/embeddings", embeddings, methods=["POST"]),
            Route("/embeddings", embeddings, methods=["POST"]),
            Route("/chat/completions", chat, methods=["POST"]),
        ]
    )
    app.state.emulator = state
    return app


def _swap(pair: tuple[int, dict[str, Any]]) -> tuple[dict[str, Any], int]:
    return pair[1], pair[0]
