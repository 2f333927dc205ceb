"""A fixed-response HTTP/1.1 server on loopback: answers every chat-completions request with a
prebuilt GLM-shaped reply, as fast as asyncio (uvloop when installed) can, so that benchmarks
measure the clients, not the server.

    python -m benchmarks.fixed_server --port 8001

``"stream": true`` in the body gets an SSE reply: one reasoning chunk, N content chunks (N from
the ``x-chunks`` header, default 200), a finish chunk with usage; otherwise a JSON reply. Keep-alive, Content-Length framing.
"""

from __future__ import annotations

import argparse
import asyncio
import json

REASONING = "The user greets me."
REPLY = {
    "id": "20261122000000bench",
    # Echoed per request as GLM does (see _json_response): a placeholder of the same length.
    "request_id": "0" * 32,
    "created": 1763769600,
    "model": "glm-5-turbo",
    "object": "chat.completion",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": {
                "role": "assistant",
                "content": "Hello! How can I help you today?",
                "reasoning_content": REASONING,
            },
        }
    ],
    "usage": {
        "prompt_tokens": 12,
        "completion_tokens": 9,
        "total_tokens": 21,
        "prompt_tokens_details": {"cached_tokens": 0},
    },
}


def _response(body: bytes, content_type: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: "
        + content_type
        + b"\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\nconnection: keep-alive\r\n\r\n"
        + body
    )


def sse_body(chunks: int) -> bytes:
    head = {
        "id": "20261122000000bench",
        "created": 1763769600,
        "model": "glm-5-turbo",
        "object": "chat.completion.chunk",
    }
    # GLM sends the reasoning first, then the answer (wire reference §3): one reasoning frame.
    thought = {
        **head,
        "choices": [{"index": 0, "delta": {"role": "assistant", "reasoning_content": REASONING}}],
    }
    frames = [b"data: " + json.dumps(thought, separators=(",", ":")).encode() + b"\n\n"]
    for i in range(chunks):
        event = {
            **head,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": f"t{i} "}}],
        }
        frames.append(b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n")
    finish = {
        **head,
        "choices": [
            {"index": 0, "finish_reason": "stop", "delta": {"role": "assistant", "content": ""}}
        ],
        "usage": {
            "prompt_tokens": 12,
            "completion_tokens": chunks,
            "total_tokens": 12 + chunks,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
    }
    frames.append(b"data: " + json.dumps(finish, separators=(",", ":")).encode() + b"\n\n")
    frames.append(b"data: [DONE]\n\n")
    return b"".join(frames)


JSON_RESPONSE = _response(json.dumps(REPLY).encode(), b"application/json")
_PLACEHOLDER = b'"request_id": "' + b"0" * 32 + b'"'


def _json_response(body: bytes) -> bytes:
    """The fixed reply, echoing the request's ``request_id`` (32 hex digits, ours) when sent."""
    if body.startswith(b'{"request_id":"') and body[47:48] == b'"':
        return JSON_RESPONSE.replace(_PLACEHOLDER, b'"request_id": "' + body[15:47] + b'"', 1)
    return JSON_RESPONSE


_SSE: dict[int, bytes] = {}


def sse_response(chunks: int) -> bytes:
    if chunks not in _SSE:
        _SSE[chunks] = _response(sse_body(chunks), b"text/event-stream")
    return _SSE[chunks]


_EMBED: dict[int, bytes] = {}
EMBED_DIMENSIONS = 256


def _input_count(body: bytes) -> int:
    inputs = json.loads(body).get("input")
    return 1 if isinstance(inputs, str) else len(inputs)


def embeddings_response(n: int) -> bytes:
    """``n`` fixed vectors of 256 floats, as GLM's /embeddings sends them."""
    if n not in _EMBED:
        vector = [round(0.001 * i, 3) for i in range(EMBED_DIMENSIONS)]
        data = [{"object": "embedding", "index": i, "embedding": vector} for i in range(n)]
        usage = {"prompt_tokens": 4 * n, "total_tokens": 4 * n}
        payload = {"object": "list", "model": "embedding-3", "data": data, "usage": usage}
        _EMBED[n] = _response(json.dumps(payload).encode(), b"application/json")
    return _EMBED[n]


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].lower()
            length = 0
            chunks = 200
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name == b"content-length":
                    length = int(value)
                elif name == b"x-chunks":
                    chunks = int(value)
            total = end + 4 + length
            if len(self.buf) < total:
                return
            body = self.buf[end + 4 : total]
            self.buf = self.buf[total:]
            assert self.transport is not None
            if head.split(b" ", 2)[1].endswith(b"/embeddings"):
                self.transport.write(embeddings_response(_input_count(body)))
                continue
            stream = b'"stream":true' in body or b'"stream": true' in body
            self.transport.write(sse_response(chunks) if stream else _json_response(body))


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Protocol, host, port, backlog=4096)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
