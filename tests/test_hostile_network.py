"""Servers that misbehave on purpose, over loopback: time bounds, malformed HTTP, classification.

"Nothing hangs" is checked against the configured budgets with wide headroom, never as speed.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from benchmarks.tracker import tracker_view
from glm_transport import AsyncGLMClient, ChatRequest, GLMClient, chat, resolve_settings
from glm_transport import errors as E
from glm_transport._translate import connection_error as _connection_error
from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER

KEY = "sk-hostile-test-key-0987654321"
REQ = ChatRequest(model="glm-5", messages=[{"role": "user", "content": "hi"}])


def _settings(url: str, fault: dict[str, Any] | None = None, **kw: Any) -> Any:
    headers = {FAULT_HEADER: json.dumps(fault)} if fault else {}
    return resolve_settings(base_url=url, api_key=KEY, default_headers=headers, **kw)


def _run(mode: str, settings: Any) -> Any:
    """One call in ``mode``: sync / async whole replies, or stream / astream to the end."""
    if mode == "sync":
        return chat.complete(GLMClient(settings), REQ)
    if mode == "async":
        return asyncio.run(chat.acomplete(AsyncGLMClient(settings), REQ))
    if mode == "stream":
        return _stream_all(GLMClient(settings))
    return asyncio.run(_astream_all(AsyncGLMClient(settings)))


def _stream_all(client: GLMClient) -> list[Any]:
    return list(chat.stream(client, REQ))


async def _astream_all(client: AsyncGLMClient) -> list[Any]:
    return [c async for c in chat.astream(client, REQ)]


# ---- time bounds -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_total_timeout_bounds_a_dripping_server(glm_emulator: EmulatorServer, mode: str) -> None:
    settings = _settings(glm_emulator.base_url, {"drip": 0.05}, total_timeout=1.0, max_retries=0)
    started = time.monotonic()
    with pytest.raises(E.APITimeoutError, match="total_timeout"):
        _run(mode, settings)
    # The body takes ~10 s to drip out; the 1 s budget ends it (tenfold headroom).
    assert time.monotonic() - started < 10 * 1.0


@pytest.mark.parametrize("ping", [False, True])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_stream_ends_at_done_when_the_server_holds_the_response(
    glm_emulator: EmulatorServer, mode: str, ping: bool
) -> None:
    hold = 30.0
    fault = {"hold_after_done": hold, "ping_after_done": ping}
    settings = _settings(glm_emulator.base_url, fault)
    started = time.monotonic()
    chunks = _run("stream" if mode == "sync" else "astream", settings)
    assert chunks[-1].finish_reason == "stop"
    assert time.monotonic() - started < hold / 3  # not the 30 s the server holds it open


def test_a_huge_retry_after_is_raised_with_the_wait(glm_emulator: EmulatorServer) -> None:
    fault = {"code": "1302", "retry_after": 3600}
    with pytest.raises(E.RateLimitError) as info:
        chat.complete(GLMClient(_settings(glm_emulator.base_url, fault)), REQ)
    assert info.value.retry_after == 3600 and info.value.attempts == 1
    assert glm_emulator.state.requests == 1


def test_a_negative_retry_after_gets_our_backoff(glm_emulator: EmulatorServer) -> None:
    fault = {"code": "1302", "retry_after": -5, "times": 1, "key": "negative"}
    assert chat.complete(GLMClient(_settings(glm_emulator.base_url, fault)), REQ).content
    assert glm_emulator.state.requests == 2


# ---- connection errors are classified by what happened -----------------------------------------


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_refused_connection_is_a_connection_error_not_a_timeout(mode: str) -> None:
    settings = _settings(f"http://127.0.0.1:{_refused_port()}/v4", max_retries=0)
    with pytest.raises(E.APIConnectionError) as info:
        _run(mode, settings)
    assert not isinstance(info.value, E.APITimeoutError), info.value
    assert info.value.retryable


def test_certificate_failures_are_not_retried() -> None:
    settings = _settings("https://127.0.0.1:1/v4")
    exc = httpx.ConnectError("boom")
    exc.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    err = _connection_error(settings, exc)
    assert type(err) is E.APIConnectionError and not err.retryable


# ---- a raw server that speaks broken HTTP ---------------------------------------------------------


class RawServer:
    """Answers every connection with fixed bytes; loopback only, stops with the test."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v4"
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(self.answer)
                    time.sleep(0.05)
                except OSError:
                    pass

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def raw_server(request: pytest.FixtureRequest) -> Iterator[RawServer]:
    server = RawServer(request.param)
    yield server
    server.close()


BROKEN = [
    b"HTTP/1.1 abc Nope\r\n\r\n",  # a bad status line
    b"HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\n",  # a bad header
    b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n{}",  # a bad Content-Length
]


@pytest.mark.parametrize("raw_server", BROKEN, indirect=True)
@pytest.mark.parametrize("mode", ["sync", "async", "stream", "astream"])
def test_malformed_http_is_a_typed_error_without_the_key(raw_server: RawServer, mode: str) -> None:
    settings = _settings(raw_server.url, max_retries=0)
    with pytest.raises(E.APIConnectionError) as info:
        _run(mode, settings)
    err = info.value
    shown = f"{err!s}{err!r}{err.__cause__!r}{err.__context__!r}{err.__dict__!r}"
    assert KEY not in shown


# ---- malformed replies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_server", "cls"),
    [
        (
            b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"choices":[{}]}',
            E.APIError,
        ),
        (
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 27\r\n\r\n"
            b"<html><body>bad</body></html>",
            E.ServerError,
        ),
    ],
    indirect=["raw_server"],
)
def test_malformed_replies_are_typed(raw_server: RawServer, cls: type[E.GLMError]) -> None:
    with pytest.raises(cls) as info:
        chat.complete(GLMClient(_settings(raw_server.url, max_retries=0)), REQ)
    assert "<html>" not in str(info.value)


def test_a_choice_without_a_message_is_malformed() -> None:
    from glm_transport.parse import parse_completion

    with pytest.raises(E.APIError, match="without a message"):
        parse_completion({"choices": [{}]})


def test_deeply_nested_json_is_a_typed_error() -> None:
    from glm_transport.endpoint import json_of

    deep = b"[" * 100_000 + b"]" * 100_000
    response = httpx.Response(200, content=deep)
    with pytest.raises(E.ServerError, match="not JSON"):
        json_of(_settings("http://127.0.0.1:1/v4"), response, deep)


# ---- a proxy that sends more than its Content-Length -----------------------------------------------


def _http_reply(body: bytes, content_type: bytes = b"application/json") -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
    return head % (content_type, len(body)) + body


def _answer(text: str, stream: bool) -> bytes:
    if not stream:
        message = {"role": "assistant", "content": text}
        body = {
            "id": "r",
            "model": "glm-5",
            "choices": [{"finish_reason": "stop", "message": message}],
        }
        return _http_reply(json.dumps(body).encode())
    frame = {
        "id": "r",
        "model": "glm-5",
        "choices": [{"delta": {"content": text}, "finish_reason": "stop"}],
    }
    sse = b"data: " + json.dumps(frame).encode() + b"\n\ndata: [DONE]\n\n"
    return _http_reply(sse, b"text/event-stream")


class OverlongProxy:
    """Keep-alive server whose first reply carries a complete stale reply past its
    Content-Length: the next request on that connection would read it as its own."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v4"
        self.replies = 0
        self.running = True
        self.threads = [threading.Thread(target=self._serve, daemon=True)]
        self.threads[0].start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            worker = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self.threads.append(worker)
            worker.start()

    def _handle(self, conn: socket.socket) -> None:
        buf = b""
        conn.settimeout(5)
        with conn:
            while self.running:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while b"\r\n\r\n" in buf:
                    head, rest = buf.split(b"\r\n\r\n", 1)
                    size = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    if len(rest) < size:
                        break
                    body, buf = json.loads(rest[:size]), rest[size:]
                    question, stream = body["messages"][-1]["content"], bool(body.get("stream"))
                    self.replies += 1
                    out = _answer(f"answer to {question}", stream)
                    if self.replies == 1:
                        out += _answer(f"STALE answer to {question}", stream)
                    conn.sendall(out)

    def close(self) -> None:
        self.running = False
        self.sock.close()


def _ask_framework(framework: str, url: str, text: str) -> str:
    if framework == "langchain":
        from langchain_glm import ChatGLM

        return str(ChatGLM(base_url=url, api_key=KEY, max_retries=0).invoke(text).content)
    from llama_index.core.base.llms.types import ChatMessage

    from llama_index_glm import GLM

    llm = GLM(base_url=url, api_key=KEY, max_retries=0)
    return str(llm.chat([ChatMessage(role="user", content=text)]).message.content)


@pytest.mark.parametrize("mode", ["sync", "async", "stream", "astream", "langchain", "llama_index"])
def test_bytes_past_content_length_never_become_the_next_reply(mode: str) -> None:
    proxy = OverlongProxy()
    try:
        for n in range(4):
            question = f"q{n}"
            if mode in ("langchain", "llama_index"):
                answer = _ask_framework(mode, proxy.url, question)
            else:
                request = ChatRequest(
                    model="glm-5", messages=[{"role": "user", "content": question}]
                )
                settings = _settings(proxy.url, max_retries=0)
                if mode == "sync":
                    answer = chat.complete(GLMClient(settings), request).content
                elif mode == "async":
                    answer = asyncio.run(chat.acomplete(AsyncGLMClient(settings), request)).content
                elif mode == "stream":
                    answer = "".join(
                        c.content or "" for c in chat.stream(GLMClient(settings), request)
                    )
                else:

                    async def collect(s: Any = settings, r: ChatRequest = request) -> str:
                        return "".join(
                            [c.content or "" async for c in chat.astream(AsyncGLMClient(s), r)]
                        )

                    answer = asyncio.run(collect())
            assert answer == f"answer to {question}"
    finally:
        proxy.close()


# ---- the hostile server: every call mode, both frameworks ---------------------------------------

MODES = ["sync", "async", "stream", "astream"]
FRAMEWORK_MODES = [(f, m) for f in ("langchain", "llama_index") for m in MODES]


@pytest.fixture(scope="module")
def hostile() -> Iterator[Any]:
    from benchmarks._hostile import HostileServer

    with HostileServer() as server:
        yield server


def _hostile_model(framework: str, url: str, modes: str, **kw: Any) -> Any:
    from benchmarks._hostile import HEADER

    options: dict[str, Any] = {"max_retries": 0, "default_headers": {HEADER: modes}, **kw}
    options.setdefault("api_key", KEY)
    if framework == "langchain":
        from langchain_glm import ChatGLM

        return ChatGLM(base_url=url, **options)
    from llama_index_glm import GLM

    return GLM(base_url=url, **options)


def _say(framework: str, model: Any, mode: str, text: str) -> str:
    """One question through ``framework``'s ``mode``, the answer's text."""
    if framework == "langchain":
        if mode == "sync":
            return str(model.invoke(text).content)
        if mode == "async":
            return str(asyncio.run(model.ainvoke(text)).content)
        if mode == "stream":
            return "".join(str(c.content) for c in model.stream(text))

        async def lc_astream() -> str:
            return "".join([str(c.content) async for c in model.astream(text)])

        return asyncio.run(lc_astream())
    from llama_index.core.base.llms.types import ChatMessage

    messages = [ChatMessage(role="user", content=text)]
    if mode == "sync":
        return str(model.chat(messages).message.content)
    if mode == "async":
        return str(asyncio.run(model.achat(messages)).message.content)
    if mode == "stream":
        return "".join(r.delta or "" for r in model.stream_chat(messages))

    async def li_astream() -> str:
        gen = await model.astream_chat(messages)
        return "".join([r.delta or "" async for r in gen])

    return asyncio.run(li_astream())


@pytest.mark.parametrize(("framework", "mode"), FRAMEWORK_MODES)
def test_a_stale_reply_in_a_later_write_never_reaches_the_next_caller(
    hostile: Any, framework: str, mode: str
) -> None:
    # Each connection's first reply is followed, 20 ms later, by a complete second copy marked
    # STALE: the next request on that connection would read it as its own. The reply's
    # request_id (GLM echoes the one sent) tells them apart; the connection is closed and the
    # call retried. Streams carry no request_id to check: httpcore drops a keep-alive
    # connection that is readable while idle, and aiohttp parses what arrives into the
    # connection's queue, so the async stream is checked against its reply's text below.
    model = _hostile_model(framework, hostile.base_url, "late", max_retries=2)
    for n in range(6):
        answer = _say(framework, model, mode, f"q{n}")
        assert answer == f"GLM emulator reply to: q{n}"


def test_a_broken_route_never_answers_a_healthy_one(hostile: Any) -> None:
    # One gateway route sends stale replies past Content-Length, and does not echo request_id;
    # another route on the same host and port is healthy. Pools are per route, so no connection
    # of the broken route ever carries a healthy call.
    from concurrent.futures import ThreadPoolExecutor

    from glm_transport import ChatRequest, GLMClient, chat, resolve_settings

    base = hostile.base_url.rsplit("/api/", 1)[0]
    broken = GLMClient(
        resolve_settings(
            base_url=f"{base}/broken/v4",
            api_key="tenant-a-key-123",
            max_retries=0,
            default_headers={"x-hostile": "overlong,late,noecho,path"},
        )
    )
    healthy = GLMClient(
        resolve_settings(
            base_url=f"{base}/healthy/v4",
            api_key="tenant-b-key-456",
            max_retries=0,
            default_headers={"x-hostile": "path"},
        )
    )

    def ask(n: int) -> tuple[str, str]:
        client = healthy if n % 2 else broken
        request = ChatRequest(model="glm-5", messages=[{"role": "user", "content": f"q{n}"}])
        try:
            return client.settings.base_url, str(chat.complete(client, request).content)
        except E.GLMError as err:
            return client.settings.base_url, type(err).__name__

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(ask, range(400)))
    for n, (url, answer) in enumerate(results):
        if "healthy" in url:
            assert answer == f"GLM emulator reply to: q{n} (at /healthy/v4/chat/completions)"


@pytest.mark.parametrize("mode", MODES)
def test_total_timeout_bounds_a_server_dripping_its_headers(hostile: Any, mode: str) -> None:
    # The status line and headers arrive a byte every 100 ms (about 8 s): every read is quick,
    # so only the call's own deadline can end it.
    settings = resolve_settings(
        base_url=hostile.base_url,
        api_key=KEY,
        max_retries=0,
        total_timeout=1.0,
        default_headers={"x-hostile": "drip_headers"},
    )
    # The message says the call's budget ended it (a server-side end would be another error).
    with pytest.raises(E.APITimeoutError, match="total_timeout of 1.0s"):
        _run(mode, settings)


@pytest.mark.parametrize(("framework", "mode"), FRAMEWORK_MODES)
def test_a_body_that_decompresses_without_bound_is_refused_once(
    hostile: Any, framework: str, mode: str
) -> None:
    # 80 KB of gzip that decodes to 80 MiB: over the 64 MiB cap for whole replies (1 MiB for an
    # error body). Refused with a typed error, not retried (another try would fetch it again).
    modes = "bomb" if mode in ("sync", "async") else "bomb500"
    before = hostile.requests
    model = _hostile_model(framework, hostile.base_url, modes, max_retries=2)
    with pytest.raises(E.APIError) as info:
        _say(framework, model, mode, "q")
    assert "KiB once decoded" in str(info.value) and not info.value.retryable
    assert hostile.requests - before == 1


def test_decoded_size_is_bounded_in_memory(hostile: Any) -> None:
    import tracemalloc

    settings = resolve_settings(
        base_url=hostile.base_url, api_key=KEY, default_headers={"x-hostile": "bomb500"}
    )
    tracemalloc.start()
    try:
        with pytest.raises(E.APIError):
            chat.complete(GLMClient(settings), REQ)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20  # an error body is read to 1 MiB, not decoded to its 80 MiB


@pytest.mark.parametrize(("framework", "mode"), FRAMEWORK_MODES)
def test_a_redirect_is_never_the_answer_and_is_not_retried(
    hostile: Any, framework: str, mode: str
) -> None:
    for modes in ("redirect", "redirect307"):
        before = hostile.requests
        model = _hostile_model(framework, hostile.base_url, modes, max_retries=2)
        with pytest.raises(E.APIError, match="redirect") as info:
            _say(framework, model, mode, "q")
        assert info.value.status in (302, 307) and not info.value.retryable
        assert "elsewhere.example" in str(info.value)
        assert hostile.requests - before == 1


@pytest.mark.parametrize(
    ("framework", "mode"), [(f, m) for f, m in FRAMEWORK_MODES if "stream" in m]
)
def test_a_json_error_sent_with_200_to_a_stream_keeps_its_code(
    hostile: Any, framework: str, mode: str
) -> None:
    model = _hostile_model(framework, hostile.base_url, "json200")
    with pytest.raises(E.RateLimitError) as info:
        _say(framework, model, mode, "q")
    assert info.value.code == "1302" and info.value.status == 200


@pytest.mark.parametrize(("framework", "mode"), FRAMEWORK_MODES)
def test_a_key_the_upstream_echoes_is_masked(hostile: Any, framework: str, mode: str) -> None:
    model = _hostile_model(framework, hostile.base_url, "echo_key")
    with pytest.raises(E.AuthenticationError) as info:
        _say(framework, model, mode, "q")
    err = info.value
    seen = f"{err!s}{err!r}{err.body!r}{err.args!r}{err.message}{vars(err)!r}"
    assert "Invalid API key in header" in seen and "**********" in seen
    assert KEY not in seen and KEY.split("-")[-1] not in seen


@pytest.mark.parametrize("mode", MODES)
def test_no_cookie_goes_back_to_the_server(hostile: Any, mode: str) -> None:
    # A tenant's Set-Cookie must never ride along with later calls (the async pools keep no
    # cookies; the sync ones keep none either).
    settings = resolve_settings(
        base_url=hostile.base_url, api_key=KEY, default_headers={"x-hostile": "cookie"}
    )
    before = hostile.cookies
    for _ in range(3):
        _run(mode, settings)
    assert hostile.cookies == before


# ---- an error tracker: what a captured error carries ---------------------------------------------


def _failing_call(framework: str, mode: str, url: str) -> BaseException:
    model = _hostile_model(framework, url, "", max_retries=1, api_key=KEY)
    try:
        _say(framework, model, mode, "q")
    except Exception as err:  # what an app's handler, or the tracker's hook, receives
        return err
    raise AssertionError("the call did not fail")


@pytest.mark.parametrize(("framework", "mode"), FRAMEWORK_MODES)
def test_an_error_tracker_never_sees_the_key(framework: str, mode: str) -> None:
    refused = f"http://127.0.0.1:{_refused_port()}/v4"
    for url in (refused, "http://127.0.0.1:{port}/v4"):
        if "{port}" in url:
            server = RawServer(b"HTTP/1.1 abc Nope\r\n\r\n")  # a malformed reply
            url = server.url
        else:
            server = None
        try:
            err = _failing_call(framework, mode, url)
        finally:
            if server is not None:
                server.close()
        view = tracker_view(err)
        assert "Could not talk to GLM" in view  # the view does show the error
        assert KEY not in view, framework
        chain, link = [], err
        while link is not None:
            chain.append(link)
            link = link.__cause__ or link.__context__
        # No transport exception (with the frames that held the request) is chained.
        assert all(isinstance(link, E.GLMError) for link in chain), chain


# ---- a second round: what the red team found after the first ------------------------------------


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
@pytest.mark.parametrize("mode", ["sync", "async", "threads"])
def test_embeddings_never_get_another_calls_vectors(
    hostile: Any, framework: str, mode: str
) -> None:
    # Embedding replies carry no request_id to check, so off GLM's own hosts a connection is
    # used for one reply only: a stale reply arriving later on it can reach no one.
    from benchmarks._hostile import HEADER

    options = {"api_key": KEY, "max_retries": 0, "default_headers": {HEADER: "late"}}
    if framework == "langchain":
        from langchain_glm import GLMEmbeddings

        model: Any = GLMEmbeddings(base_url=hostile.base_url, **options)
        one, aone = model.embed_query, model.aembed_query
    else:
        from llama_index_glm import GLMEmbedding

        model = GLMEmbedding(base_url=hostile.base_url, **options)
        one, aone = model.get_query_embedding, model.aget_query_embedding

    texts = [f"u{n}" for n in range(1, 41)]
    if mode == "sync":
        vectors = [one(t) for t in texts]
    elif mode == "async":

        async def each() -> list[list[float]]:
            return [await aone(t) for t in texts]

        vectors = asyncio.run(each())
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(8) as pool:
            vectors = list(pool.map(one, texts))
    assert [v[0] for v in vectors] == [float(n) for n in range(1, 41)]


@pytest.mark.parametrize("stream", [False, True])
def test_total_timeout_bounds_headers_on_your_own_sync_client(hostile: Any, stream: bool) -> None:
    settings = resolve_settings(
        base_url=hostile.base_url,
        api_key=KEY,
        max_retries=0,
        total_timeout=1.0,
        default_headers={"x-hostile": "drip_headers"},
    )
    with httpx.Client() as own:
        client = GLMClient(settings, own)
        call: Any = _stream_all if stream else (lambda c: chat.complete(c, REQ))
        with pytest.raises(E.APITimeoutError, match="total_timeout of 1.0s"):
            call(client)
        # Your client still works as before for calls without a budget.
        plain = resolve_settings(base_url=hostile.base_url, api_key=KEY)
        assert chat.complete(GLMClient(plain, own), REQ).content == "GLM emulator reply to: hi"


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_a_callers_own_timeout_ships_no_key_to_an_error_tracker(
    glm_emulator: EmulatorServer, framework: str
) -> None:
    # asyncio.wait_for cancels the call mid-request and chains the cancellation to its
    # TimeoutError; the cancellation's traceback ran through aiohttp's request frame.
    from glm_transport.emulator.app import FAULT_HEADER

    model = _hostile_model(framework, glm_emulator.base_url, "", api_key=KEY)
    model = model.model_copy(update={"default_headers": {FAULT_HEADER: '{"delay": 1}'}})

    async def main() -> BaseException:
        try:
            if framework == "langchain":
                await asyncio.wait_for(model.ainvoke("q"), 0.3)
            else:
                from llama_index.core.base.llms.types import ChatMessage

                await asyncio.wait_for(model.achat([ChatMessage(role="user", content="q")]), 0.3)
        except BaseException as err:
            return err
        raise AssertionError("not cancelled")

    err = asyncio.run(main())
    assert isinstance(err, (asyncio.TimeoutError, TimeoutError))
    assert KEY not in tracker_view(err)
