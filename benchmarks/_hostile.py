"""A deliberately broken GLM-like server for the soak and the tests: loopback only, in a thread.

The header ``x-hostile`` picks the misbehaviour (several, comma-separated):

* ``overlong``: the first reply on each connection carries a complete stale reply past its
  Content-Length, in the same write (a buggy proxy);
* ``late``: the same, but the stale reply comes in a later TCP write, after the real one;
* ``noecho``: replies carry no ``request_id`` (a gateway that drops it); otherwise a reply echoes
  the request's, as GLM does, and a stale one carries the id of the request it answered;
* ``malformed``: a status line that is not HTTP;
* ``drip_headers``: the status line and headers one byte at a time, 100 ms apart (about 8 s);
* ``bomb``: a gzip body that decodes to 80 MiB (``bomb500``: the same with HTTP 500);
* ``redirect``: a 302 whose body is a completion; ``redirect307``: a bare 307;
* ``json200``: a stream request answered with a JSON error (code 1302) and HTTP 200;
* ``echo_key``: a 401 whose message quotes the Authorization header it got;
* ``cookie``: a ``Set-Cookie`` on every reply; :attr:`HostileServer.cookies` counts requests
  that came with a ``Cookie`` header.

Answers use the emulator's wording (``GLM emulator reply to: <question>``), so the soak checks
them the same way (``path``: the answer also names the path it was served on).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from types import TracebackType
from typing import Any

HEADER = "x-hostile"

_BOMB: bytes | None = None


def _bomb() -> bytes:
    global _BOMB
    if _BOMB is None:
        _BOMB = gzip.compress(b"\0" * (80 * 2**20), compresslevel=9)  # ~80 KB on the wire
    return _BOMB


def _reply(text: str, stream: bool, request_id: str | None) -> bytes:
    ids: dict[str, Any] = {"id": "h", "model": "glm-5"}
    if request_id is not None:
        ids["request_id"] = request_id
    if stream:
        frame = {**ids, "choices": [{"index": 0, "delta": {"content": text}}]}
        end = {**ids, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        body = b"".join(b"data: " + json.dumps(f).encode() + b"\n\n" for f in (frame, end))
        body += b"data: [DONE]\n\n"
        kind = b"text/event-stream"
    else:
        message = {"role": "assistant", "content": text}
        choice = {"index": 0, "finish_reason": "stop", "message": message}
        body = json.dumps({**ids, "choices": [choice]}).encode()
        kind = b"application/json"
    return _head(200, kind, len(body)) + body


def _head(status: int, kind: bytes, length: int, extra: bytes = b"") -> bytes:
    reason = {200: b"OK", 302: b"Found", 307: b"Temporary Redirect", 401: b"Unauthorized"}
    return b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n" % (
        status,
        reason.get(status, b"Error"),
        kind,
        length,
        extra,
    )


class HostileServer:
    """``with HostileServer() as h: h.base_url``; serves until the block ends."""

    def __init__(self) -> None:
        self.base_url = ""
        self.requests = 0
        self.cookies = 0
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
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1].decode()
                fields = dict(line.split(b":", 1) for line in lines[1:] if b":" in line)
                fields = {k.strip().lower(): v.strip() for k, v in fields.items()}
                body = json.loads(await reader.readexactly(int(fields[b"content-length"])))
                self.requests += 1
                if b"cookie" in fields:
                    self.cookies += 1
                modes = set(fields.get(HEADER.encode(), b"").decode().split(","))
                if not await self._answer(writer, modes, fields, body, path, first):
                    break
                first = False
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, KeyError):
            pass
        finally:
            writer.close()  # cancelled too, when the server stops

    async def _answer(
        self,
        writer: asyncio.StreamWriter,
        modes: set[str],
        fields: dict[bytes, bytes],
        body: dict[str, Any],
        path: str,
        first: bool,
    ) -> bool:
        """Write one answer; ``False`` to close the connection after it."""
        if path.endswith("/embeddings"):
            return await self._embeddings(writer, modes, body, first)
        if "malformed" in modes:
            writer.write(b"HTTP/1.1 abc Nope\r\n\r\n")
            await writer.drain()
            return False
        stream = bool(body.get("stream"))
        rid = None if "noecho" in modes else body.get("request_id")
        text = f"GLM emulator reply to: {body['messages'][-1]['content']}"
        if "path" in modes:
            text += f" (at {path})"
        if "drip_headers" in modes:
            out = _reply(text, stream, rid)
            cut = out.index(b"\r\n\r\n") + 4
            for byte in out[:cut]:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.1)
            writer.write(out[cut:])
            await writer.drain()
            return True
        if "bomb" in modes or "bomb500" in modes:
            bomb = _bomb()
            status = 500 if "bomb500" in modes else 200
            writer.write(
                _head(status, b"application/json", len(bomb), b"Content-Encoding: gzip\r\n") + bomb
            )
            await writer.drain()
            return True
        if "redirect" in modes:
            answer = _reply(text, False, rid)
            payload = answer[answer.index(b"\r\n\r\n") + 4 :]
            where = b"Location: https://elsewhere.example/v4/chat/completions\r\n"
            writer.write(_head(302, b"application/json", len(payload), where) + payload)
            await writer.drain()
            return True
        if "redirect307" in modes:
            where = b"Location: https://elsewhere.example/v4/chat/completions\r\n"
            writer.write(_head(307, b"text/plain", 0, where))
            await writer.drain()
            return True
        if "json200" in modes and stream:
            error = {"error": {"code": "1302", "message": "Rate limit reached for requests"}}
            payload = json.dumps(error).encode()
            writer.write(_head(200, b"application/json", len(payload)) + payload)
            await writer.drain()
            return True
        if "echo_key" in modes:
            # The key quoted in the message, in the code (as JSON \u escapes) and in a header.
            quoted = fields.get(b"authorization", b"").decode()
            key = quoted.removeprefix("Bearer ")
            escaped = "".join(f"\\u{ord(c):04x}" for c in key)
            message = json.dumps(f"Invalid API key in header: {quoted}")
            payload = f'{{"error": {{"code": "{escaped}", "message": {message}}}}}'.encode()
            echo = b"x-request-id: " + quoted.encode() + b"\r\n"
            writer.write(_head(401, b"application/json", len(payload), echo) + payload)
            await writer.drain()
            return True
        extra = b"Set-Cookie: tenant=secret-session; Path=/\r\n" if "cookie" in modes else b""
        out = _reply(text, stream, rid)
        if extra:
            out = out.replace(b"\r\n\r\n", b"\r\n" + extra + b"\r\n", 1)
        stale = _reply("STALE " + text, stream, rid) if first else b""
        if "overlong" in modes:
            out += stale
        writer.write(out)
        await writer.drain()
        if "late" in modes and stale:
            await asyncio.sleep(0.02)
            writer.write(stale)
            await writer.drain()
        return True

    async def _embeddings(
        self, writer: asyncio.StreamWriter, modes: set[str], body: dict[str, Any], first: bool
    ) -> bool:
        """Vectors whose first component is the number in each input (``"u7"`` -> 7.0)."""
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": [float(t.lstrip("u") or 0), 0.5]}
            for i, t in enumerate(texts)
        ]
        payload = json.dumps({"object": "list", "model": "embedding-3", "data": data}).encode()
        out = _head(200, b"application/json", len(payload)) + payload
        writer.write(out)
        await writer.drain()
        if "late" in modes and first:  # the same reply again, later: stale for the next call
            await asyncio.sleep(0.02)
            writer.write(out)
            await writer.drain()
        return True

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
            current = asyncio.current_task()
            handlers = [t for t in asyncio.all_tasks() if t is not current]
            for task in handlers:
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()
