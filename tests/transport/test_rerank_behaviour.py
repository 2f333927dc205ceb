"""What a caller of rerank sees (issue 28): the refusal's field, value and allowed values, the
indices of a reply in the caller's numbering, and truncate honoured sync and async alike."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from glm_transport import AsyncGLMClient, GLMClient, GLMValidationError, resolve_settings
from glm_transport import errors as E
from glm_transport.rerank import MAX_CHARS, arerank, parse_rerank, plan_rerank, rerank

BASE_URL = "https://glm.test/api/paas/v4"


def refusal(**kw: Any) -> GLMValidationError:
    kw.setdefault("query", "q")
    with pytest.raises(GLMValidationError) as caught:
        plan_rerank(**kw)
    return caught.value


def test_refusals_name_the_field_show_the_value_and_say_what_is_allowed() -> None:
    err = refusal(documents="abc")
    assert (err.field, err.value, err.allowed) == ("documents", "abc", "a list of strings")
    err = refusal(documents=["ok", 3])
    assert (err.field, err.value, err.allowed) == ("documents[1]", 3, "a string")
    err = refusal(query="  ", documents=["a"])
    assert (err.field, err.allowed) == ("query", "a non-empty string")
    err = refusal(documents=["a", "x" * (MAX_CHARS + 1)])
    assert (err.field, err.value) == ("documents[1]", f"{MAX_CHARS + 1} characters")
    assert "truncate=True" in err.allowed


def test_top_n_refusal_says_what_is_allowed() -> None:
    settings = resolve_settings(base_url=BASE_URL, api_key="k")
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))) as http:
        client = GLMClient(settings, http)
        for bad in (-1, True, 1.5):
            with pytest.raises(GLMValidationError) as caught:
                rerank(client, "q", ["a"], top_n=bad)  # type: ignore[arg-type]
            assert caught.value.field == "top_n" and caught.value.value is bad
            assert caught.value.allowed == "an integer >= 0 (0 or None: every document)"


def test_a_reply_is_read_in_the_callers_numbering_by_default() -> None:
    body = {"results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 1}]}
    out = parse_rerank(body, 2)
    assert [(r.index, r.relevance_score) for r in out.results] == [(1, 0.9), (0, 1.0)]
    assert [r.index for r in parse_rerank(body, 2, offset=128).results] == [129, 128]


@pytest.mark.parametrize(
    ("result", "says"),
    [
        ({"index": 0, "relevance_score": "high"}, "relevance_score 'high'"),
        ({"index": 0, "relevance_score": True}, "relevance_score True"),
        ({"index": 0, "relevance_score": float("inf")}, "relevance_score inf"),
        ({"index": 2, "relevance_score": 0.5}, "index 2 for 2 documents"),
    ],
)
def test_a_malformed_reply_says_what_was_wrong(result: dict[str, Any], says: str) -> None:
    body = {"results": [result]}
    with pytest.raises(E.APIError) as caught:
        parse_rerank(body, 2)
    assert says in caught.value.message and caught.value.body is body


def _server(sent: list[dict[str, Any]]) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sent.append(body)
        results = [{"index": i, "relevance_score": 0.5} for i in range(len(body["documents"]))]
        return httpx.Response(200, json={"results": results})

    return httpx.MockTransport(answer)


def test_truncate_cuts_long_texts_sync() -> None:
    sent: list[dict[str, Any]] = []
    long = "y" * (MAX_CHARS + 10)
    with httpx.Client(transport=_server(sent)) as http:
        client = GLMClient(resolve_settings(base_url=BASE_URL, api_key="k"), http)
        out = rerank(client, long, [long, "short"], truncate=True)
    assert [len(d) for d in sent[0]["documents"]] == [MAX_CHARS, 5]
    assert len(sent[0]["query"]) == MAX_CHARS
    assert [r.index for r in out.results] == [0, 1]


async def test_truncate_cuts_long_texts_async() -> None:
    sent: list[dict[str, Any]] = []
    long = "y" * (MAX_CHARS + 10)
    async with httpx.AsyncClient(transport=_server(sent)) as http:
        client = AsyncGLMClient(resolve_settings(base_url=BASE_URL, api_key="k"), http)
        out = await arerank(client, "q", [long, "short"], truncate=True)
    assert [len(d) for d in sent[0]["documents"]] == [MAX_CHARS, 5]
    assert [r.index for r in out.results] == [0, 1]
    async with httpx.AsyncClient(transport=_server(sent)) as http:
        client = AsyncGLMClient(resolve_settings(base_url=BASE_URL, api_key="k"), http)
        with pytest.raises(GLMValidationError) as caught:
            await arerank(client, "q", [long])
    assert caught.value.field == "documents[0]"
