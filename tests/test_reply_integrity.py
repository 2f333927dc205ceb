"""Replies that would corrupt an answer, a token count or a vector store, through both frameworks.

Against an injected httpx client answering with a scripted body (what the transport's own tests in
``tests/transport/test_stream_integrity.py`` and ``test_embeddings_integrity.py`` do one layer
down), in every call mode:

* a stream frame of a choice other than the one asked for is refused, not merged into the answer;
* usage sent several times, growing (cumulative gateways), counts by its last value, once;
* an embeddings reply whose indices, components or lengths are wrong is refused, and vectors go
  against their texts by index;
* ``batch_size`` and ``model`` no request can be built from are refused before anything is sent.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from glm_transport import GLMValidationError
from glm_transport import errors as E

BASE_URL = "https://glm.test/api/paas/v4"
MODES = ["sync", "async"]
FRAMEWORKS = ["langchain", "llama_index"]


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A reply body read as a network one is: streamed, in pieces (frames split across reads)."""

    def __init__(self, data: bytes, piece: int = 1000) -> None:
        self.pieces = [data[i : i + piece] for i in range(0, len(data), piece)]

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


class Scripted:
    """An httpx transport: each request answered by ``answer(request_json)`` (a status, a body)."""

    def __init__(self, answer: Callable[[dict[str, Any]], bytes], stream: bool) -> None:
        self.answer = answer
        self.stream = stream
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        kind = "text/event-stream" if self.stream else "application/json"
        body = self.answer(json.loads(request.content))
        return httpx.Response(200, headers={"content-type": kind}, stream=Body(body))

    def clients(self) -> tuple[httpx.Client, httpx.AsyncClient]:
        transport = httpx.MockTransport(self)
        return httpx.Client(transport=transport), httpx.AsyncClient(transport=transport)


# ---- streams ------------------------------------------------------------------------------------


def sse(*frames: dict[str, Any]) -> bytes:
    body = b"".join(b"data: " + json.dumps(f).encode() + b"\n\n" for f in frames)
    return body + b"data: [DONE]\n\n"


def frame(
    content: str, finish: str | None = None, usage: dict[str, int] | None = None, index: int = 0
) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": index, "delta": {"role": "assistant", "content": content}}
    if finish:
        choice["finish_reason"] = finish
    out: dict[str, Any] = {"id": "r1", "model": "glm-5.3", "choices": [choice]}
    if usage:
        out["usage"] = usage
    return out


def usage(completion: int) -> dict[str, int]:
    return {"prompt_tokens": 7, "completion_tokens": completion, "total_tokens": 7 + completion}


def stream_with(framework: str, mode: str, body: bytes) -> tuple[list[Any], Scripted]:
    """What ``framework``'s chat model streams for ``body``: LangChain chunks or LlamaIndex
    responses."""
    script = Scripted(lambda _: body, stream=True)
    sync, async_ = script.clients()
    if framework == "langchain":
        from langchain_glm import ChatGLM

        lc = ChatGLM(
            model="glm-5.3",
            api_base=BASE_URL,
            glm_api_key=SecretStr("k"),
            http_client=sync,
            http_async_client=async_,
        )
        if mode == "sync":
            return list(lc.stream("hi")), script

        async def lc_chunks() -> list[Any]:
            return [c async for c in lc.astream("hi")]

        return asyncio.run(lc_chunks()), script

    from llama_index.core.llms import ChatMessage

    from llama_index_glm import GLM

    li = GLM(
        model="glm-5.3", api_base=BASE_URL, api_key="k", http_client=sync, async_http_client=async_
    )
    messages = [ChatMessage(role="user", content="hi")]
    if mode == "sync":
        return list(li.stream_chat(messages)), script

    async def li_responses() -> list[Any]:
        return [r async for r in await li.astream_chat(messages)]

    return asyncio.run(li_responses()), script


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_frame_of_another_choice_is_refused(framework: str, mode: str) -> None:
    body = sse(frame("Paris"), frame(" or Rome", index=1), frame(".", "stop"))
    with pytest.raises(E.ServerError, match=r"choice index 1; only one choice \(index 0\)"):
        stream_with(framework, mode, body)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_foreign_first_frame_is_refused_once(framework: str, mode: str) -> None:
    body = sse(frame("Rome", index=1), frame("", "stop"))
    with pytest.raises(E.ServerError, match="choice index 1"):
        stream_with(framework, mode, body)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_cumulative_usage_reports_the_last_count(framework: str, mode: str) -> None:
    # 1 output token said early, 50 at the end: the reply used 50.
    words = [frame(f"w{n} ", usage=usage(n)) for n in range(1, 50)]
    out, _ = stream_with(framework, mode, sse(*words, frame("end", "stop", usage=usage(50))))
    if framework == "langchain":
        assert sum(1 for c in out if c.usage_metadata) == 1  # chunks' usage is added up
        full = out[0]
        for chunk in out[1:]:
            full += chunk
        assert full.usage_metadata["output_tokens"] == 50
        assert full.usage_metadata["input_tokens"] == 7
        assert full.usage_metadata["total_tokens"] == 57
        assert full.response_metadata["finish_reason"] == "stop"
    else:
        last = out[-1]
        assert last.additional_kwargs["completion_tokens"] == 50
        assert last.additional_kwargs["total_tokens"] == 57
        assert last.raw["usage"]["completion_tokens"] == 50  # what token counters read
        assert last.message.content.endswith("w49 end")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_usage_in_a_trailing_frame_after_an_earlier_one(framework: str, mode: str) -> None:
    trailing = {"id": "r1", "choices": [], "usage": usage(50)}
    body = sse(frame("a", usage=usage(1)), frame("b", "stop", usage=usage(20)), trailing)
    out, _ = stream_with(framework, mode, body)
    if framework == "langchain":
        assert [c.usage_metadata["output_tokens"] for c in out if c.usage_metadata] == [50]
    else:
        assert out[-1].additional_kwargs["completion_tokens"] == 50
        assert out[-1].raw["usage"]["completion_tokens"] == 50


# ---- embeddings ---------------------------------------------------------------------------------

Items = Callable[[list[str]], list[dict[str, Any]]]


def vec(text: str) -> list[float]:
    """A vector that says which text it is for: its first component is the text's number."""
    return [float(text.removeprefix("t")), 0.25, 0.5]


def embeddings_reply(items: Items) -> Callable[[dict[str, Any]], bytes]:
    def answer(request: dict[str, Any]) -> bytes:
        body = {"data": items(request["input"]), "usage": {"prompt_tokens": 3, "total_tokens": 3}}
        return json.dumps(body, allow_nan=True).encode()

    return answer


def embed_with(
    framework: str, mode: str, items: Items | Scripted, texts: list[str], **kw: Any
) -> Any:
    """``framework``'s embedding class on ``texts``; returns the vectors and the script."""
    script = items if isinstance(items, Scripted) else Scripted(embeddings_reply(items), False)
    sync, async_ = script.clients()
    if framework == "langchain":
        from langchain_glm import GLMEmbeddings

        lc = GLMEmbeddings(
            api_base=BASE_URL,
            glm_api_key=SecretStr("k"),
            http_client=sync,
            http_async_client=async_,
            **kw,
        )
        if mode == "sync":
            return lc.embed_documents(texts), script
        return asyncio.run(lc.aembed_documents(texts)), script

    from llama_index_glm import GLMEmbedding

    if "model" in kw:
        kw["model_name"] = kw.pop("model")
    if "batch_size" in kw:
        kw["embed_batch_size"] = kw.pop("batch_size")
    li = GLMEmbedding(
        api_base=BASE_URL, api_key="k", http_client=sync, async_http_client=async_, **kw
    )
    if mode == "sync":
        return li.get_text_embedding_batch(texts), script
    return asyncio.run(li.aget_text_embedding_batch(texts)), script


TEXTS = [f"t{i}" for i in range(5)]


def in_order(texts: list[str]) -> list[dict[str, Any]]:
    return [{"index": i, "embedding": vec(t)} for i, t in enumerate(texts)]


def reversed_order(texts: list[str]) -> list[dict[str, Any]]:
    return in_order(texts)[::-1]


def duplicated(texts: list[str]) -> list[dict[str, Any]]:
    out = reversed_order(texts)
    out[-1]["index"] = out[0]["index"]  # two vectors claim the same text; one text has none
    return out


def string_index(texts: list[str]) -> list[dict[str, Any]]:
    out = in_order(texts)
    out[1]["index"] = "1"
    return out


def nan_component(texts: list[str]) -> list[dict[str, Any]]:
    out = in_order(texts)
    out[1]["embedding"][1] = math.nan
    return out


def bool_component(texts: list[str]) -> list[dict[str, Any]]:
    out = in_order(texts)
    out[1]["embedding"][1] = True
    return out


def ragged(texts: list[str]) -> list[dict[str, Any]]:
    out = in_order(texts)
    out[1]["embedding"] = out[1]["embedding"][:2]
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_vectors_go_against_their_texts(framework: str, mode: str) -> None:
    vectors, _ = embed_with(framework, mode, reversed_order, TEXTS)
    assert [v[0] for v in vectors] == [0.0, 1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    ("items", "message"),
    [
        (duplicated, r"index 4 twice \(again at data\[4\]\)"),
        (string_index, r"data\[1\] with index '1'; expected each of the ints 0\.\.4 once"),
        (nan_component, r"input 1 whose component 1 is 'nan' \(float\)"),
        (bool_component, r"input 1 whose component 1 is 'True' \(bool\)"),
        (ragged, r"2 dimensions for input 1 \(data\[1\]\), not the 3 of data\[0\]"),
    ],
    ids=["duplicate-index", "string-index", "nan", "bool", "ragged"],
)
def test_a_malformed_embeddings_reply_is_refused(
    items: Items, message: str, framework: str, mode: str
) -> None:
    with pytest.raises(E.ServerError, match=message):
        embed_with(framework, mode, items, TEXTS)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_length_other_than_the_dimensions_asked_for_is_refused(framework: str, mode: str) -> None:
    with pytest.raises(
        E.ServerError, match=r"3 dimensions for input 4 \(data\[0\]\), not the dimensions=256"
    ):
        embed_with(framework, mode, reversed_order, TEXTS, dimensions=256)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_an_empty_model_is_refused_before_sending(framework: str, mode: str) -> None:
    script = Scripted(embeddings_reply(reversed_order), stream=False)
    with pytest.raises(GLMValidationError, match="non-empty model name") as info:
        embed_with(framework, mode, script, TEXTS, model="")
    assert info.value.field == "model" and script.requests == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("batch_size", [0, -3])
def test_a_batch_size_below_one_is_refused_before_sending(batch_size: int, mode: str) -> None:
    # LangChain passes batch_size through to the transport; LlamaIndex's embed_batch_size is
    # refused by its own field (gt=0) at construction.
    script = Scripted(embeddings_reply(reversed_order), stream=False)
    with pytest.raises(GLMValidationError, match="integer >= 1") as info:
        embed_with("langchain", mode, script, TEXTS, batch_size=batch_size)
    assert info.value.field == "batch_size" and script.requests == 0


# ---- whole replies ------------------------------------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("choices", [[1], [0, 1]], ids=["index-1", "two-choices"])
def test_a_whole_reply_of_another_choice_is_refused(
    framework: str, mode: str, choices: list[int]
) -> None:
    def answer(request: dict[str, Any]) -> bytes:
        made = [
            {
                "index": i,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": f"choice {i}"},
            }
            for i in choices
        ]
        return json.dumps({"id": "r", "model": "glm-5", "choices": made}).encode()

    scripted = Scripted(answer, stream=False)
    sync, async_ = scripted.clients()
    if framework == "langchain":
        from langchain_glm import ChatGLM

        lc = ChatGLM(
            api_key="k",
            base_url=BASE_URL,
            http_client=sync,
            http_async_client=async_,
            max_retries=2,
        )
        call: Callable[[], Any] = (
            (lambda: lc.invoke("hi")) if mode == "sync" else (lambda: asyncio.run(lc.ainvoke("hi")))
        )
    else:
        from llama_index.core.base.llms.types import ChatMessage

        from llama_index_glm import GLM

        li = GLM(
            api_key="k",
            base_url=BASE_URL,
            http_client=sync,
            async_http_client=async_,
            max_retries=2,
        )
        messages = [ChatMessage(role="user", content="hi")]
        call = (
            (lambda: li.chat(messages))
            if mode == "sync"
            else (lambda: asyncio.run(li.achat(messages)))
        )
    with pytest.raises(E.ServerError, match="only one choice"):
        call()
    assert scripted.requests == 1  # not retried: the same gateway would answer the same
