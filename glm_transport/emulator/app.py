"""The emulator's HTTP face: a Starlette app serving every GLM endpoint this package uses.

It serves ``POST .../chat/completions``, ``.../embeddings``, ``.../rerank``,
``.../layout_parsing`` (GLM-OCR), ``.../web_search`` and ``.../reader``: one route pair per
entry of :data:`.engine.ROUTES`, under any prefix or none.

Faults come per request from the ``x-glm-emulator-fault`` header (JSON, see :class:`Fault`) or
from a queue filled through ``POST /_emulator/faults`` (each request takes the next one). Control
endpoints: ``GET /_emulator/stats`` (request count, distinct client connections, last bodies),
``POST /_emulator/reset``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from glm_transport.emulator.engine import FAULT_HEADER, JSON, ROUTES, EmulatorState, respond
from glm_transport.emulator.faults import Fault
from glm_transport.emulator.script import Script

__all__ = ["FAULT_HEADER", "EmulatorState", "create_app"]


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


def create_app(api_key: str | None = None, script: Script | None = None) -> Starlette:
    """A fresh emulator app.

    ``api_key`` makes it check ``Authorization: Bearer``; ``script`` holds scripted replies (see
    :mod:`.script`).
    """
    state = EmulatorState(api_key, script=script)

    async def answer(request: Request) -> Response:
        if request.client is not None:
            state.connections.add((request.client.host, request.client.port))
        try:
            raw_body = await request.body()
        except ClientDisconnect:
            return Response(status_code=499)
        outcome = respond(state, request.url.path, request.headers, raw_body, request.method)
        fault = outcome.fault
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.abort and outcome.status == 200:
            return StreamingResponse(_abort(), media_type="application/json")
        if outcome.frames is not None:
            return StreamingResponse(_stream(outcome.frames, fault), media_type="text/event-stream")
        if fault.drip and outcome.status == 200:
            return StreamingResponse(_drip(outcome.body, fault.drip), media_type=JSON)
        return Response(
            outcome.body,
            status_code=outcome.status,
            headers=outcome.headers,
            media_type=outcome.content_type,
        )

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

    endpoints = [
        Route(path, answer, methods=["POST"])
        for suffix in ROUTES
        for path in ("/{prefix:path}" + suffix, suffix)
    ]
    app = Starlette(
        routes=[
            Route("/_emulator/stats", stats, methods=["GET"]),
            Route("/_emulator/faults", push_faults, methods=["POST"]),
            Route("/_emulator/reset", reset, methods=["POST"]),
            *endpoints,
        ]
    )
    app.state.emulator = state
    return app
