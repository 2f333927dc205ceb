"""The key never leaks: not in cassettes, logs, errors (with their causes), reprs or dumps; and TLS
verification is on by default."""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

import glm_transport
from glm_transport import ChatRequest, GLMClient, chat, resolve_settings
from glm_transport.emulator import EmulatorServer

ROOT = Path(__file__).resolve().parent.parent
KEY = "4f2c9d0e1b7a4c3d8e9f0a1b2c3d4e5f.AbCdEfGhIjKlMnOp"  # the GLM key shape: id.secret
KEY_SHAPE = re.compile(r"[A-Za-z0-9]{16,}\.[A-Za-z0-9]{8,}")


def test_cassettes_hold_no_key() -> None:
    files = sorted((ROOT / "cassettes").rglob("*.yaml"))
    assert len(files) > 50
    for path in files:
        text = path.read_text()
        for value in re.findall(r"authorization:\n\s+- (.*)", text, flags=re.I):
            assert value == "Bearer <redacted>", path
        assert not KEY_SHAPE.search(text.replace("api.z.ai", "")), path
        assert "x-glm-emulator-fault" not in text, path


def test_key_absent_from_logs_errors_and_causes_at_every_level(
    glm_emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log at DEBUG too
    client = GLMClient(
        resolve_settings(
            base_url=glm_emulator.base_url,
            api_key=KEY,
            max_retries=1,
            default_headers={"x-glm-emulator-fault": '{"code": "1302", "retry_after_ms": 1}'},
        )
    )
    with pytest.raises(glm_transport.RateLimitError) as info:
        chat.complete(
            client, ChatRequest(model="glm-5", messages=[{"role": "user", "content": "x"}])
        )
    chain = []
    err: BaseException | None = info.value
    while err is not None:
        chain += [str(err), repr(err), repr(getattr(err, "body", ""))]
        err = err.__cause__ or err.__context__
    secret = KEY.split(".")[1]
    for text in [caplog.text, *chain, repr(client), repr(client.settings)]:
        assert KEY not in text and secret not in text
    assert caplog.records  # something was logged, so the check above saw real log lines


def test_unreachable_host_error_has_no_key() -> None:
    client = GLMClient(
        resolve_settings(base_url="http://127.0.0.1:9/v4", api_key=KEY, max_retries=0)
    )
    with pytest.raises(glm_transport.APIConnectionError) as info:
        chat.complete(
            client, ChatRequest(model="glm-5", messages=[{"role": "user", "content": "x"}])
        )
    text = f"{info.value!s}{info.value!r}{info.value.__cause__!r}"
    assert KEY not in text


def test_tls_verification_is_on_by_default() -> None:
    from glm_transport._pools import async_pool, route_of, sync_pool

    settings = resolve_settings(api_key=KEY)
    with sync_pool(route_of(settings)) as client:
        pool = client._transport._pool  # type: ignore[attr-defined]
    assert pool._ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert pool._ssl_context.check_hostname is True

    async def async_pool_tls() -> ssl.SSLContext:
        from glm_transport._pools import aclose_shared_clients

        pool = async_pool(route_of(settings))
        context: ssl.SSLContext = pool.session.connector._ssl  # type: ignore[union-attr]
        pool.done()
        await aclose_shared_clients()
        return context

    context = asyncio.run(async_pool_tls())
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_readme_and_ci_run_the_same_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    command = next(line for line in readme.splitlines() if "pytest" in line and "pip" in line)
    assert command.strip() in (ROOT / ".ci" / "run").read_text()


# -- a key set after construction (model_copy(update=...), assignment) ---------------------------

NEW_KEY = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d.ZyXwVuTsRqPoNmLk"


def _langchain_clients(sync: Any, async_: Any) -> dict[str, Any]:
    return {"http_client": sync, "http_async_client": async_}


def _llama_clients(sync: Any, async_: Any) -> dict[str, Any]:
    return {"http_client": sync, "async_http_client": async_}


def _chat_lc(model: Any, sync: bool) -> Any:
    return model.invoke("hi") if sync else asyncio.run(model.ainvoke("hi"))


def _embed_lc(model: Any, sync: bool) -> Any:
    return model.embed_query("hi") if sync else asyncio.run(model.aembed_query("hi"))


def _rerank_lc(model: Any, sync: bool) -> Any:
    docs = ["Paris", "Berlin"]
    return model.rerank(docs, "q") if sync else asyncio.run(model.arerank(docs, "q"))


def _chat_li(model: Any, sync: bool) -> Any:
    from llama_index.core.base.llms.types import ChatMessage

    messages = [ChatMessage(role="user", content="hi")]
    return model.chat(messages) if sync else asyncio.run(model.achat(messages))


def _embed_li(model: Any, sync: bool) -> Any:
    if sync:
        return model.get_query_embedding("hi")
    return asyncio.run(model.aget_query_embedding("hi"))


def _rerank_li(model: Any, sync: bool) -> Any:
    from llama_index.core.schema import NodeWithScore, TextNode

    nodes = [NodeWithScore(node=TextNode(text="Paris")), NodeWithScore(node=TextNode(text="x"))]
    if sync:
        return model.postprocess_nodes(nodes, query_str="q")
    return asyncio.run(model.apostprocess_nodes(nodes, query_str="q"))


# (module, class, how the HTTP clients are passed, one call)
SIX = {
    "ChatGLM": ("langchain_glm", "ChatGLM", _langchain_clients, _chat_lc),
    "GLMEmbeddings": ("langchain_glm", "GLMEmbeddings", _langchain_clients, _embed_lc),
    "langchain GLMRerank": ("langchain_glm", "GLMRerank", _langchain_clients, _rerank_lc),
    "GLM": ("llama_index_glm", "GLM", _llama_clients, _chat_li),
    "GLMEmbedding": ("llama_index_glm", "GLMEmbedding", _llama_clients, _embed_li),
    "llama_index GLMRerank": ("llama_index_glm", "GLMRerank", _llama_clients, _rerank_li),
}


def _with_new_key(model: Any, route: str) -> Any:
    if route == "model_copy":
        return model.model_copy(update={"api_key": NEW_KEY})
    if route == "deep model_copy":
        return model.model_copy(update={"api_key": NEW_KEY}, deep=True)
    twin = model.model_copy()
    twin.api_key = NEW_KEY
    return twin


class _Recorder:
    """HTTP clients over the in-process emulator that record each request's Authorization."""

    def __init__(self) -> None:
        from glm_transport.emulator import EmulatorTransport

        emulator = EmulatorTransport()
        self.seen: list[str | None] = []

        def sync(request: httpx.Request) -> httpx.Response:
            self.seen.append(request.headers.get("authorization"))
            return emulator.handle_request(request)

        async def async_(request: httpx.Request) -> httpx.Response:
            self.seen.append(request.headers.get("authorization"))
            return await emulator.handle_async_request(request)

        self.sync = httpx.Client(transport=httpx.MockTransport(sync))
        self.async_ = httpx.AsyncClient(transport=httpx.MockTransport(async_))

    def last(self) -> str | None:
        return self.seen[-1]


@pytest.mark.parametrize("route", ["model_copy", "deep model_copy", "assignment"])
@pytest.mark.parametrize("name", list(SIX))
def test_a_key_set_after_construction_stays_secret_and_is_sent(name: str, route: str) -> None:
    import importlib
    import pickle

    from glm_transport.emulator import EMULATOR_URL

    module, cls_name, clients, call = SIX[name]
    cls = getattr(importlib.import_module(module), cls_name)
    http = _Recorder()
    model = cls(base_url=EMULATOR_URL, api_key=KEY, **clients(http.sync, http.async_))
    call(model, True)  # the original's settings and client are cached before the copy
    assert http.last() == f"Bearer {KEY}"

    twin = _with_new_key(model, route)
    assert isinstance(twin.api_key, SecretStr)
    assert twin.api_key.get_secret_value() == NEW_KEY
    secret = NEW_KEY.split(".")[1]
    for text in (repr(twin), str(twin), repr(twin.model_dump()), twin.model_dump_json()):
        assert secret not in text
    assert secret.encode() not in pickle.dumps(twin)  # without pickle_api_key: no key

    for sync in (True, False):
        call(twin, sync)
        assert http.last() == f"Bearer {NEW_KEY}"
    call(model, True)  # the original keeps its own key
    assert http.last() == f"Bearer {KEY}"
    http.sync.close()


@pytest.mark.parametrize("name", list(SIX))
def test_a_key_that_cannot_be_a_key_is_refused_when_assigned(name: str) -> None:
    import importlib

    module, cls_name, _, _ = SIX[name]
    model = getattr(importlib.import_module(module), cls_name)(api_key=KEY)
    with pytest.raises(glm_transport.GLMValidationError) as info:
        model.api_key = 12345
    assert info.value.field == "api_key" and "12345" not in str(info.value)


# -- a key over plain http:// -------------------------------------------------------------------


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    from glm_transport import config

    monkeypatch.setattr(config, "_warned_hosts", set())  # "once" starts over for each test


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
@pytest.mark.usefixtures("fresh_warnings")
def test_a_key_over_plain_http_to_another_host_warns_once(framework: str) -> None:
    from glm_transport.config import InsecureTransportWarning

    if framework == "langchain":
        from langchain_glm import ChatGLM as cls
    else:
        from llama_index_glm import GLM as cls
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        cls(base_url="http://gateway.example:8080/v4", api_key=KEY)
        cls(base_url="http://gateway.example:8080/other", api_key=KEY)  # same host: no second
        cls(base_url="https://gateway.example/v4", api_key=KEY)
        cls(base_url="http://127.0.0.1:9/v4", api_key=KEY)
    insecure = [w for w in seen if issubclass(w.category, InsecureTransportWarning)]
    assert len(insecure) == 1
    assert insecure[0].filename == __file__  # attributed to the line that made the model
    text = str(insecure[0].message)
    assert "http://gateway.example:8080" in text and "https://" in text
    assert KEY not in text and KEY.split(".")[1] not in text


@pytest.mark.parametrize(
    "bad", [{"provider": "openai"}, {"timeout": float("nan")}, {"max_retries": "x"}]
)
@pytest.mark.parametrize("name", list(SIX))
def test_a_construction_error_does_not_show_the_key(name: str, bad: dict[str, Any]) -> None:
    # Pydantic reports a failed validation with the inputs given (the key among them, with only
    # its middle cut out) unless the model hides them.
    import importlib

    module, cls_name, _, _ = SIX[name]
    cls = getattr(importlib.import_module(module), cls_name)
    with pytest.raises(ValueError) as info:
        cls(api_key=KEY, base_url="https://user:hunter2@gateway.example/v4", **bad)
    text = f"{info.value!s}{info.value!r}"
    for part in (*KEY.split("."), KEY[:12], KEY[-6:], "hunter2"):
        assert part not in text
