"""rerank: limits checked before sending, replies read strictly, batches past 128 merged by score,
and the same retries, budget and typed errors as chat (against the emulator, sync and async)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from glm_transport import (
    PROVIDERS,
    AsyncGLMClient,
    GLMClient,
    GLMValidationError,
    resolve_settings,
)
from glm_transport import errors as E
from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER
from glm_transport.emulator.transport import EmulatorTransport
from glm_transport.rerank import (
    MAX_CHARS,
    arerank,
    parse_rerank,
    plan_rerank,
    rerank,
    rerank_body,
)

DOCS = ["the cat sat", "paris is the capital of france", "france has wine", "berlin"]


def _client(fault: dict[str, Any] | None = None, **kw: Any) -> tuple[GLMClient, list[Any]]:
    sent: list[Any] = []
    ids: list[str] = []
    emulator = EmulatorTransport()

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        ids.append(body.pop("request_id"))  # a fresh one on every attempt
        sent.append(body)
        return emulator.handle_request(request)

    headers = {FAULT_HEADER: json.dumps(fault)} if fault else {}
    settings = resolve_settings(
        base_url="http://emulator.invalid/v4", api_key="k", default_headers=headers, **kw
    )
    return GLMClient(settings, httpx.Client(transport=httpx.MockTransport(handler))), sent


def test_best_first_with_index_and_score() -> None:
    client, sent = _client()
    out = rerank(client, "capital of france", DOCS)
    assert [r.index for r in out.results] == [1, 2, 0, 3]
    scores = [r.relevance_score for r in out.results]
    assert scores == sorted(scores, reverse=True) and scores[0] == 1.0
    assert out.usage.prompt_tokens > 0
    assert sent == [{"model": "rerank", "query": "capital of france", "documents": DOCS}]


def test_top_n_is_sent_and_kept() -> None:
    client, sent = _client()
    out = rerank(client, "capital of france", DOCS, top_n=2)
    assert [r.index for r in out.results] == [1, 2]
    assert sent[0]["top_n"] == 2
    client, sent = _client()
    assert len(rerank(client, "france", DOCS, top_n=0).results) == 4  # 0: every document
    assert "top_n" not in sent[0]


@pytest.mark.parametrize("query", ["anything", "", None])
def test_no_documents_no_request(query: Any) -> None:
    client, sent = _client()
    assert rerank(client, query, []).results == []  # nothing to score: the query is not read
    assert sent == []


def test_past_128_documents_requests_are_split_and_merged_by_score() -> None:
    docs = [f"filler {i}" for i in range(300)]
    docs[7] = "capital of france"
    docs[250] = "the capital city"
    client, sent = _client()
    out = rerank(client, "capital of france", docs, top_n=3)
    assert [len(body["documents"]) for body in sent] == [128, 128, 44]
    assert all("top_n" not in body for body in sent)  # every score comes back to be merged
    assert [r.index for r in out.results][:2] == [7, 250]
    assert len(out.results) == 3


async def test_async_batches_go_concurrently_and_merge_the_same() -> None:
    docs = [f"doc {i} about france" if i % 50 == 0 else f"doc {i}" for i in range(260)]
    emulator = EmulatorTransport()
    in_flight = {"now": 0, "max": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        in_flight["now"] += 1
        in_flight["max"] = max(in_flight["max"], in_flight["now"])
        await asyncio.sleep(0.01)
        in_flight["now"] -= 1
        return emulator.handle_request(request)

    settings = resolve_settings(base_url="http://emulator.invalid/v4", api_key="k")
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    out = await arerank(AsyncGLMClient(settings, http), "france", docs)
    sync_client, _ = _client()
    assert out.results == rerank(sync_client, "france", docs).results
    assert in_flight["max"] == 3
    assert {r.index for r in out.results[:6]} == {0, 50, 100, 150, 200, 250}


@pytest.mark.parametrize(
    ("query", "documents", "field"),
    [
        ("", ["a"], "query"),
        ("   ", ["a"], "query"),
        (None, ["a"], "query"),
        ("q", "not a list", "documents"),
        ("q", ["ok", 3], "documents[1]"),
        ("q", ["ok", "x" * (MAX_CHARS + 1)], "documents[1]"),
        ("x" * (MAX_CHARS + 1), ["a"], "query"),
    ],
)
def test_limits_are_checked_before_sending(query: Any, documents: Any, field: str) -> None:
    client, sent = _client()
    with pytest.raises(GLMValidationError) as info:
        rerank(client, query, documents)
    assert info.value.field == field and sent == []


def test_at_the_limits_is_sent_and_truncate_cuts_instead_of_refusing() -> None:
    query, docs = plan_rerank("q" * MAX_CHARS, ["d" * MAX_CHARS])
    assert (len(query), len(docs[0])) == (MAX_CHARS, MAX_CHARS)
    query, docs = plan_rerank("q" * 5000, ["d" * 5000, "short"], truncate=True)
    assert (len(query), [len(d) for d in docs]) == (MAX_CHARS, [MAX_CHARS, 5])
    client, sent = _client()
    rerank(client, "france", ["x" * 5000], truncate=True)
    assert len(sent[0]["documents"][0]) == MAX_CHARS


@pytest.mark.parametrize("top_n", [-1, 1.5, True, "2"])
def test_bad_top_n_and_model_name_their_field(top_n: Any) -> None:
    client, sent = _client()
    with pytest.raises(GLMValidationError) as info:
        rerank(client, "q", ["a"], top_n=top_n)
    assert info.value.field == "top_n"
    with pytest.raises(GLMValidationError) as info:
        rerank(client, "q", ["a"], model="")
    assert info.value.field == "model" and sent == []


@pytest.mark.parametrize("name", [p.name for p in PROVIDERS.values() if "rerank" not in p.serves])
def test_providers_without_rerank_refuse_before_sending(name: str) -> None:
    sent: list[Any] = []
    settings = resolve_settings(provider=name, api_key="k")
    client = GLMClient(settings, httpx.Client(transport=httpx.MockTransport(sent.append)))
    with pytest.raises(GLMValidationError, match="documents no rerank endpoint") as info:
        rerank(client, "q", ["a"])
    assert info.value.field == "provider" and "'zai', 'bigmodel'" in str(info.value)
    assert sent == []


def test_zai_and_bigmodel_serve_rerank() -> None:
    assert {"zai", "bigmodel", "custom"} <= {
        p.name for p in PROVIDERS.values() if "rerank" in p.serves
    }


def test_transient_errors_are_retried_then_typed() -> None:
    client, sent = _client({"code": "1302", "times": 1, "retry_after_ms": 1})
    assert rerank(client, "france", DOCS).results
    assert len(sent) == 2
    client, sent = _client({"code": "1302", "retry_after_ms": 1}, max_retries=1)
    with pytest.raises(E.RateLimitError) as info:
        rerank(client, "france", DOCS)
    assert info.value.code == "1302" and info.value.attempts == 2 and len(sent) == 2


def test_upstream_validation_errors_are_typed_and_not_retried() -> None:
    client, sent = _client()
    with pytest.raises(E.NotFoundError) as info:  # the emulator knows rerank models only
        rerank(client, "q", ["a"], model="glm-5")
    assert info.value.code == "1211" and len(sent) == 1


def test_the_budget_bounds_the_call(glm_emulator: EmulatorServer) -> None:
    slow = {FAULT_HEADER: json.dumps({"delay": 5})}
    settings = resolve_settings(
        base_url=glm_emulator.base_url, api_key="k", default_headers=slow, total_timeout=0.5
    )
    with pytest.raises(E.APITimeoutError):
        rerank(GLMClient(settings), "q", ["a"])


def test_over_the_socket_sync_and_async(glm_emulator: EmulatorServer) -> None:
    settings = resolve_settings(base_url=glm_emulator.base_url, api_key="k")
    whole = rerank(GLMClient(settings), "capital of france", DOCS, top_n=2)
    assert [r.index for r in whole.results] == [1, 2]
    again = asyncio.run(arerank(AsyncGLMClient(settings), "capital of france", DOCS, top_n=2))
    assert again.results == whole.results


def test_body_shape() -> None:
    assert rerank_body("q", ["a"], "rerank", None) == {
        "model": "rerank",
        "query": "q",
        "documents": ["a"],
    }
    assert rerank_body("q", ["a"], "rerank", 3)["top_n"] == 3


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"results": None},
        {"results": [{"index": 0}]},
        {"results": [{"index": 2, "relevance_score": 0.5}]},
        {"results": [{"index": -1, "relevance_score": 0.5}]},
        {"results": [{"index": "0", "relevance_score": 0.5}]},
        {"results": [{"index": True, "relevance_score": 0.5}]},
        {"results": [{"index": 0, "relevance_score": 0.5}, {"index": 0, "relevance_score": 0.4}]},
        {"results": [{"index": 0, "relevance_score": float("nan")}]},
        {"results": [{"index": 0, "relevance_score": "high"}]},
    ],
)
def test_replies_of_another_shape_are_typed_errors(body: Any) -> None:
    with pytest.raises(E.APIError, match="unexpected shape"):
        parse_rerank(body, 2)


def test_reply_indices_shift_by_the_request_offset() -> None:
    body = {
        "results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.1}],
        "usage": {"prompt_tokens": 7, "total_tokens": 7},
    }
    out = parse_rerank(body, 2, offset=128)
    assert [(r.index, r.relevance_score) for r in out.results] == [(129, 0.9), (128, 0.1)]
    assert out.usage.total_tokens == 7
