"""A deliberately broken GLM-like server for the soak: loopback only, bounded, in a thread.

The header ``x-hostile`` picks the misbehaviour: ``overlong`` (the first reply on each connection
carries a complete stale reply past its Content-Length, as a buggy proxy does) or ``malformed``
(a status line that is not HTTP). Answers use the emulator's wording, so the soak checks them
the same way.
"""

from __future__ import annotations

import asyncio
import json
import threading
from types import TracebackType

HEADER = "x-hostile"


def _reply(text: str, stream: bool) -> bytes:
    if stream:
        frame = {"id": "h", "model": "glm-5", "choices": [{"delta": {"content": text}}]}
        end = {"id": "h", "model": "glm-5", "choices": [{"delta": {}, "finish_reason": "stop"}]}
        body = b"".join(b"data: " + json.dumps(f).encode() + b"\n\n" for f in (frame, end))
        body += b"data: [DONE]\n\n"
        kind = b"text/event-stream"
    else:
        message = {"role": "assistant", "content": text}
        choice = {"index": 0, "finish_reason": "stop", "message": message}
        body = json.dumps({"id": "h", "model": "glm-5", "choices": [choice]}).encode()
        kind = b"application/json"
    head = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (kind, len(body))
    return head + body


class HostileServer:
    """``with HostileServer() as h: h.base_url``; serves until the block ends."""

    def __init__(self) -> None:
        self.base_url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.AbstractServer | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0)
        )
        port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/api/paas/v4"
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = True
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                fields = dict(
                    line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line
                )
                fields = {k.strip().lower(): v.strip() for k, v in fields.items()}
                body = json.loads(await reader.readexactly(int(fields[b"content-length"])))
                mode = fields.get(HEADER.encode(), b"").decode()
                if mode == "malformed":
                    writer.write(b"HTTP/1.1 abc Nope\r\n\r\n")
                    await writer.drain()
                    break
                text = f"GLM emulator reply to: {body['messages'][-1]['content']}"
                stream = bool(body.get("stream"))
                out = _reply(text, stream)
                if first and mode == "overlong":
                    out += _reply("STALE " + text, stream)
                first = False
                writer.write(out)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, KeyError):
            pass
        finally:
            writer.close()

    def __enter__(self) -> HostileServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
