"""Embeddings through the transport (embed / aembed) against replies that are wrong.

A vector against the wrong text corrupts a vector store silently, so a reply is refused unless
its indices are exactly the ints 0..n-1, each once, its components finite numbers and its vectors
of one length (the ``dimensions`` asked for, when asked). Inputs no request can be built from are
refused before anything is sent.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from glm_transport import AsyncGLMClient, GLMClient, GLMValidationError, resolve_settings
from glm_transport import errors as E
from glm_transport.embeddings import aembed, embed, parse_embeddings

BASE_URL = "https://glm.test/api/paas/v4"
Items = Callable[[list[str]], list[Any]]


def vec(text: str, size: int = 4) -> list[float]:
    """A vector that says which text it is for: its first component is the text's number."""
    return [float(text.removeprefix("t"))] + [0.5] * (size - 1)


def in_order(texts: list[str]) -> list[dict[str, Any]]:
    return [{"index": i, "embedding": vec(t)} for i, t in enumerate(texts)]


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A reply body read as a network one is: streamed, in pieces (frames split across reads)."""

    def __init__(self, data: bytes, piece: int = 1000) -> None:
        self.pieces = [data[i : i + piece] for i in range(0, len(data), piece)]

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


class Server:
    """An httpx transport answering each embeddings request with ``items(inputs)`` as ``data``."""

    def __init__(self, items: Items) -> None:
        self.items = items
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        texts = json.loads(request.content)["input"]
        body = {"data": self.items(texts), "usage": {"prompt_tokens": 3, "total_tokens": 3}}
        # allow_nan: the reply carries NaN / Infinity literals as a broken upstream would.
        data = json.dumps(body, allow_nan=True).encode()
        return httpx.Response(200, headers={"content-type": "application/json"}, stream=Body(data))


def run_embed(
    items: Items | Server, mode: str, texts: list[str] | None = None, **kw: Any
) -> tuple[list[list[float]], Server]:
    server = items if isinstance(items, Server) else Server(items)
    texts = texts if texts is not None else ["t0", "t1", "t2"]
    settings = resolve_settings(base_url=BASE_URL, api_key="k", max_retries=2)
    transport = httpx.MockTransport(server)
    if mode == "sync":
        with httpx.Client(transport=transport) as http:
            return embed(GLMClient(settings, http), texts, **kw).vectors, server

    async def run() -> list[list[float]]:
        async with httpx.AsyncClient(transport=transport) as http:
            return (await aembed(AsyncGLMClient(settings, http), texts, **kw)).vectors

    return asyncio.run(run()), server


MODES = ["sync", "async"]


def shuffled(texts: list[str]) -> list[dict[str, Any]]:
    return list(reversed(in_order(texts)))


@pytest.mark.parametrize("mode", MODES)
def test_vectors_go_against_their_texts_by_index(mode: str) -> None:
    vectors, _ = run_embed(shuffled, mode, [f"t{i}" for i in range(7)], batch_size=3)
    assert [v[0] for v in vectors] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def with_index(index: Any) -> Items:
    """A reply whose last item has ``index`` instead of its own."""

    def items(texts: list[str]) -> list[Any]:
        out = in_order(texts)
        out[-1]["index"] = index
        return out

    return items


def without_index(texts: list[str]) -> list[Any]:
    out = in_order(texts)
    del out[-1]["index"]
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("items", "message"),
    [
        (with_index(0), r"index 0 twice \(again at data\[2\]\)"),
        (with_index("2"), r"data\[2\] with index '2'; expected each of the ints 0\.\.2 once"),
        (with_index(True), r"data\[2\] with index True"),
        (with_index(2.0), r"data\[2\] with index 2\.0"),
        (with_index(3), r"data\[2\] with index 3"),
        (with_index(-1), r"data\[2\] with index -1"),
        (without_index, r"data\[2\] with index None"),
    ],
    ids=["duplicate", "string", "bool", "float", "past-the-end", "negative", "missing"],
)
def test_indices_must_be_the_ints_0_to_n_minus_1_once(
    items: Items, message: str, mode: str
) -> None:
    server = Server(items)
    with pytest.raises(E.ServerError, match=message) as info:
        run_embed(server, mode)
    assert not info.value.retryable and server.requests == 1  # not retried: it would be billed


def with_component(value: Any) -> Items:
    def items(texts: list[str]) -> list[Any]:
        out = in_order(texts)
        out[1]["embedding"][2] = value
        return out

    return items


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (math.nan, "'nan' (float)"),
        (math.inf, "'inf' (float)"),
        (-math.inf, "'-inf' (float)"),
        ("0.5", "'0.5' (str)"),
        (True, "'True' (bool)"),
        (None, "'None' (NoneType)"),
        ([0.5], "'[0.5]' (list)"),
        (10**400, f"'1{'0' * 39}' (int)"),
    ],
    ids=["nan", "inf", "-inf", "string", "bool", "null", "list", "huge-int"],
)
def test_components_must_be_finite_numbers(value: Any, shown: str, mode: str) -> None:
    with pytest.raises(E.ServerError, match=re.escape(f"input 1 whose component 2 is {shown}")):
        run_embed(with_component(value), mode)


@pytest.mark.parametrize("mode", MODES)
def test_integer_components_are_numbers(mode: str) -> None:
    vectors, _ = run_embed(with_component(0), mode)
    assert vectors[1] == [1.0, 0.5, 0.0, 0.5] and all(type(x) is float for x in vectors[1])


def ragged(texts: list[str]) -> list[Any]:
    out = in_order(texts)
    out[2]["embedding"] = vec(texts[2], 3)
    return out


@pytest.mark.parametrize("mode", MODES)
def test_vectors_of_different_lengths_are_refused(mode: str) -> None:
    with pytest.raises(E.ServerError, match=r"3 dimensions for input 2 \(data\[2\]\), not the 4"):
        run_embed(ragged, mode)


@pytest.mark.parametrize("mode", MODES)
def test_batches_answered_at_different_lengths_are_refused(mode: str) -> None:
    def items(texts: list[str]) -> list[Any]:
        return [{"index": 0, "embedding": vec(texts[0], 4 if texts[0] == "t0" else 5)}]

    with pytest.raises(E.ServerError, match="5 dimensions for input 1"):
        run_embed(items, mode, ["t0", "t1"], batch_size=1)


@pytest.mark.parametrize("mode", MODES)
def test_a_length_other_than_the_dimensions_asked_for_is_refused(mode: str) -> None:
    with pytest.raises(E.ServerError, match=r"4 dimensions for input 0 .*dimensions=512"):
        run_embed(in_order, mode, dimensions=512)


@pytest.mark.parametrize("mode", MODES)
def test_an_empty_or_missing_vector_is_refused(mode: str) -> None:
    def items(texts: list[str]) -> list[Any]:
        out = in_order(texts)
        out[0]["embedding"] = []
        return out

    with pytest.raises(E.ServerError, match="input 0 that is not a non-empty list"):
        run_embed(items, mode)


def test_finite_components_whose_sum_overflows_are_accepted() -> None:
    body = {"data": [{"index": 0, "embedding": [1e308, 1e308]}]}
    assert parse_embeddings(body, 1)[0] == [[1e308, 1e308]]


# ---- inputs: refused before sending ------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True, "2"])
def test_batch_size_must_be_a_positive_integer(batch_size: Any, mode: str) -> None:
    server = Server(in_order)
    with pytest.raises(GLMValidationError, match="integer >= 1") as info:
        run_embed(server, mode, batch_size=batch_size)
    assert info.value.field == "batch_size" and info.value.value == batch_size
    assert server.requests == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("model", ["", "   ", None])
def test_model_must_be_a_name(model: Any, mode: str) -> None:
    server = Server(in_order)
    with pytest.raises(GLMValidationError, match="non-empty model name") as info:
        run_embed(server, mode, model=model)
    assert info.value.field == "model" and server.requests == 0
