"""web_search and read_page: each platform's engines and limits checked before sending, replies
read strictly, empty results a normal outcome, 1701-1703 typed, and the same retries, budget and
key hygiene as chat (against the emulator, sync and async)."""

from __future__ import annotations

import asyncio
import json
import pickle
from typing import Any

import httpx
import pytest

from glm_transport import (
    PROVIDERS,
    AsyncGLMClient,
    GLMClient,
    GLMValidationError,
    WebPage,
    WebSearchResults,
    resolve_settings,
)
from glm_transport import errors as E
from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER
from glm_transport.emulator.transport import EmulatorTransport
from glm_transport.reader import (
    MAX_READER_TIMEOUT,
    aread_page,
    parse_reader,
    read_page,
    reader_body,
)
from glm_transport.websearch import (
    RESULT_FIELDS,
    SEARCH_PLATFORMS,
    aweb_search,
    parse_web_search,
    search_platform,
    web_search,
    web_search_body,
)

KEY = "sk-websearch-secret-0123456789"
URL = "https://news.example.com/glm-web-search/ad6b2bd7d8c9"


def _client(
    fault: dict[str, Any] | None = None,
    provider: str | None = None,
    path: str = "/api/paas/v4",
    **kw: Any,
) -> tuple[GLMClient, list[Any]]:
    sent: list[Any] = []
    emulator = EmulatorTransport()

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        body.pop("request_id")  # a fresh one on every attempt
        sent.append(body)
        return emulator.handle_request(request)

    headers = {FAULT_HEADER: json.dumps(fault)} if fault else {}
    settings = resolve_settings(
        provider=provider,
        base_url=f"http://emulator.invalid{path}",
        api_key=KEY,
        default_headers=headers,
        **kw,
    )
    return GLMClient(settings, httpx.Client(transport=httpx.MockTransport(handler))), sent


# ---- what is sent, per platform ----------------------------------------------------------


def test_zai_sends_search_prime_and_nothing_of_bigmodel() -> None:
    client, sent = _client(provider="zai")
    out = web_search(client, "GLM web search", count=3, recency="oneWeek", domain_filter=None)
    assert sent == [
        {
            "search_query": "GLM web search",
            "search_engine": "search-prime",
            "count": 3,
            "search_recency_filter": "oneWeek",
        }
    ]
    assert len(out.results) == 3 and out.intent == []
    assert all(set(RESULT_FIELDS) <= set(r) for r in out.results)
    assert "GLM web search" in out.results[0]["title"] and out.results[0]["refer"] == "ref_1"


def test_bigmodel_sends_its_default_engine_and_search_intent() -> None:
    client, sent = _client(provider="bigmodel")
    out = web_search(client, "GLM web search", content_size="high")
    assert sent == [
        {
            "search_query": "GLM web search",
            "search_engine": "search_std",
            "search_intent": False,
            "content_size": "high",
        }
    ]
    assert len(out.results) == 10  # GLM's default count
    assert out.intent == [
        {"query": "GLM web search", "intent": "SEARCH_ALWAYS", "keywords": "GLM web search"}
    ]
    assert out.request_id is not None and out.id is not None


def test_custom_gateways_take_both_platforms_engines_and_glm_decides() -> None:
    client, sent = _client()  # a base URL no preset has: provider 'custom'
    assert client.settings.provider.name == "custom"
    web_search(client, "q", engine="search_pro_quark", search_intent=True)
    web_search(client, "q")
    assert sent[0] == {
        "search_query": "q",
        "search_engine": "search_pro_quark",
        "search_intent": True,
    }
    assert sent[1] == {"search_query": "q", "search_engine": "search-prime"}
    # What the gateway refuses comes back typed: the Z.ai emulator offers search-prime only.
    client, sent = _client(path="/zai/api/paas/v4")
    with pytest.raises(E.InvalidRequestError) as info:
        web_search(client, "q", engine="search_std")
    assert info.value.code == "1214" and len(sent) == 1


def test_the_platform_is_the_providers_whatever_the_base_url() -> None:
    client, _ = _client(provider="bigmodel")
    assert search_platform(client.settings) is SEARCH_PLATFORMS["bigmodel"]
    assert search_platform(resolve_settings(provider="zai", api_key="k")).engines == (
        "search-prime",
    )


# ---- limits, before sending --------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "kw", "field"),
    [
        ("zai", {"query": ""}, "query"),
        ("zai", {"query": "   "}, "query"),
        ("zai", {"query": None}, "query"),
        ("bigmodel", {"query": "x" * 71}, "query"),
        ("zai", {"engine": "search_std"}, "engine"),
        ("bigmodel", {"engine": "search-prime"}, "engine"),
        (None, {"engine": "google"}, "engine"),
        ("zai", {"count": 0}, "count"),
        ("zai", {"count": 51}, "count"),
        ("zai", {"count": True}, "count"),
        ("zai", {"count": "5"}, "count"),
        ("bigmodel", {"engine": "search_pro_sogou", "count": 15}, "count"),
        ("zai", {"recency": "lastWeek"}, "recency"),
        ("zai", {"domain_filter": ""}, "domain_filter"),
        ("zai", {"domain_filter": "a.com b.com"}, "domain_filter"),
        ("zai", {"search_intent": True}, "search_intent"),
        ("bigmodel", {"search_intent": "yes"}, "search_intent"),
        ("zai", {"content_size": "high"}, "content_size"),
        ("bigmodel", {"content_size": "huge"}, "content_size"),
    ],
)
def test_limits_are_checked_before_sending(provider: Any, kw: dict[str, Any], field: str) -> None:
    client, sent = _client(provider=provider)
    args = {"query": "GLM", **kw}
    with pytest.raises(GLMValidationError) as info:
        web_search(client, **args)
    assert info.value.field == field and sent == []


def test_at_the_limits_is_sent() -> None:
    client, sent = _client(provider="bigmodel")
    web_search(client, "x" * 70, engine="search_pro_sogou", count=20)
    web_search(client, "y", count=50)
    assert [len(b["search_query"]) for b in sent] == [70, 1]
    assert [b["count"] for b in sent] == [20, 50]
    client, sent = _client(provider="zai")
    web_search(client, "z" * 200, count=1, search_intent=False)  # Z.ai: no 70-character limit
    assert sent[0] == {"search_query": "z" * 200, "search_engine": "search-prime", "count": 1}


def test_the_allowed_values_are_in_the_message() -> None:
    platform = SEARCH_PLATFORMS["bigmodel"]
    with pytest.raises(GLMValidationError, match="search_std.*search_pro_quark"):
        web_search_body(platform, "q", engine="bing")
    with pytest.raises(GLMValidationError, match="at most 70 characters"):
        web_search_body(platform, "q" * 80)
    with pytest.raises(GLMValidationError, match="10, 20, 30, 40, 50"):
        web_search_body(platform, "q", engine="search_pro_sogou", count=5)


@pytest.mark.parametrize(
    "name", [p.name for p in PROVIDERS.values() if "web_search" not in p.serves]
)
def test_providers_without_web_search_or_reader_refuse_before_sending(name: str) -> None:
    sent: list[Any] = []
    settings = resolve_settings(provider=name, api_key="k")
    client = GLMClient(settings, httpx.Client(transport=httpx.MockTransport(sent.append)))
    with pytest.raises(GLMValidationError, match="documents no web_search endpoint") as info:
        web_search(client, "q")
    assert info.value.field == "provider"
    with pytest.raises(GLMValidationError, match="documents no reader endpoint"):
        read_page(client, URL)
    assert sent == []


# ---- replies -----------------------------------------------------------------------------


def test_no_results_is_an_empty_list_not_an_error() -> None:
    client, sent = _client(provider="zai")
    out = web_search(client, "GLM", domain_filter="nothing.example")
    assert out.results == [] and len(sent) == 1
    out = web_search(client, "GLM", domain_filter="docs.example.com", count=20)
    assert out.results and all("://docs.example.com/" in r["link"] for r in out.results)
    assert parse_web_search({"id": "x"}).results == []
    assert parse_web_search({"search_result": None}).results == []


def test_records_keep_every_field_and_nulls_become_empty_strings() -> None:
    body = {
        "search_result": [
            {"title": "T", "link": None, "content": "C", "images": ["i.png"], "refer": "ref_1"}
        ]
    }
    (record,) = parse_web_search(body).results
    assert record["link"] == "" and record["media"] == "" and record["images"] == ["i.png"]
    assert record["title"] == "T" and record["refer"] == "ref_1"


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"search_result": "none"},
        {"search_result": [1]},
        {"search_result": [{"title": 3}]},
        {"search_result": [], "search_intent": "x"},
    ],
)
def test_replies_of_another_shape_are_typed_errors(body: Any) -> None:
    with pytest.raises(E.APIError, match="unexpected shape"):
        parse_web_search(body)


def test_a_recency_filter_dates_the_results_inside_it() -> None:
    client, _ = _client(provider="zai")
    week = web_search(client, "GLM", recency="oneWeek", count=10).results
    assert {r["publish_date"] for r in week} <= {f"2025-11-{d:02d}" for d in range(16, 23)}
    every = web_search(client, "GLM", count=10).results
    assert [r["link"] for r in every] == [r["link"] for r in week]


# ---- errors, retries, budget, key --------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "cls", "status"),
    [("1701", E.RateLimitError, 429), ("1702", E.ServerError, 500), ("1703", E.ServerError, 500)],
)
def test_search_codes_are_typed_and_retried(code: str, cls: type[E.APIError], status: int) -> None:
    client, sent = _client({"code": code, "retry_after_ms": 1}, provider="zai", max_retries=1)
    with pytest.raises(cls) as info:
        web_search(client, "GLM")
    assert (info.value.code, info.value.status) == (code, status)
    assert info.value.retryable and info.value.attempts == 2 and len(sent) == 2
    client, sent = _client({"code": code, "times": 1, "retry_after_ms": 1}, provider="bigmodel")
    assert web_search(client, "GLM").results and len(sent) == 2


def test_the_reader_is_retried_and_typed_too() -> None:
    client, sent = _client({"code": "1234", "times": 1, "retry_after_ms": 1})
    assert read_page(client, URL).content and len(sent) == 2
    client, sent = _client({"code": "1214", "message": "Invalid url parameter"})
    with pytest.raises(E.InvalidRequestError) as info:
        read_page(client, URL)
    assert info.value.code == "1214" and len(sent) == 1  # a refusal is not retried


def test_the_budget_bounds_the_call(glm_emulator: EmulatorServer) -> None:
    slow = {FAULT_HEADER: json.dumps({"delay": 5})}
    settings = resolve_settings(
        base_url=glm_emulator.base_url, api_key="k", default_headers=slow, total_timeout=0.5
    )
    with pytest.raises(E.APITimeoutError):
        web_search(GLMClient(settings), "q")
    with pytest.raises(E.APITimeoutError):
        read_page(GLMClient(settings), URL)


def test_the_key_is_in_no_error_result_or_pickle() -> None:
    client, _ = _client({"code": "1702"}, provider="zai", max_retries=0)
    with pytest.raises(E.ServerError) as info:
        web_search(client, "GLM")
    err = info.value
    shown = str(err) + repr(err) + repr(err.__dict__) + repr(pickle.loads(pickle.dumps(err)))
    client, _ = _client(provider="bigmodel")
    with pytest.raises(GLMValidationError) as bad:
        web_search(client, "q" * 80)
    client, _ = _client()
    found = web_search(client, "GLM")
    page = read_page(client, URL)
    shown += str(bad.value) + repr(found) + repr(page) + repr(client.settings)
    assert KEY not in shown


def test_over_the_socket_sync_and_async(glm_emulator: EmulatorServer) -> None:
    settings = resolve_settings(
        provider="bigmodel", base_url=glm_emulator.base_url + "/bigmodel", api_key="k"
    )
    whole = web_search(GLMClient(settings), "GLM", engine="search_pro", count=4)
    assert isinstance(whole, WebSearchResults) and len(whole.results) == 4
    again = asyncio.run(aweb_search(AsyncGLMClient(settings), "GLM", engine="search_pro", count=4))
    assert again.results == whole.results
    page = read_page(GLMClient(settings), URL)
    again_page = asyncio.run(aread_page(AsyncGLMClient(settings), URL))
    assert (again_page.content, again_page.title) == (page.content, page.title)
    assert "/bigmodel/" in glm_emulator.state.request(0).path


# ---- the reader --------------------------------------------------------------------------


def test_reader_sends_only_what_differs_from_glms_defaults() -> None:
    assert reader_body(URL) == {"url": URL, "return_format": "markdown"}
    assert reader_body(
        URL,
        return_format="text",
        timeout=30,
        no_cache=True,
        retain_images=False,
        with_links_summary=True,
        with_images_summary=True,
    ) == {
        "url": URL,
        "return_format": "text",
        "timeout": 30,
        "no_cache": True,
        "retain_images": False,
        "with_links_summary": True,
        "with_images_summary": True,
    }


def test_reader_returns_the_page_as_markdown() -> None:
    client, sent = _client()
    page = read_page(client, URL, with_links_summary=True)
    assert isinstance(page, WebPage) and page.url == URL
    assert page.content.startswith("# Glm web search (Example News)")
    assert "![cover](https://news.example.com/images/cover.png)" in page.content
    assert page.links == {"Home": "https://news.example.com/"} and page.images == {}
    assert page.title == "Glm web search (Example News)" and page.published_time
    text = read_page(client, URL, return_format="text", retain_images=False)
    assert "#" not in text.content and "![" not in text.content
    assert sent[1] == {"url": URL, "return_format": "text", "retain_images": False}


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"url": "news.example.com/page"}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": None}, "url"),
        ({"return_format": "html"}, "return_format"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": MAX_READER_TIMEOUT + 1}, "timeout"),
        ({"timeout": 2.5}, "timeout"),
        ({"no_cache": "yes"}, "no_cache"),
    ],
)
def test_reader_limits_are_checked_before_sending(kw: dict[str, Any], field: str) -> None:
    client, sent = _client()
    args = {"url": URL, **kw}
    with pytest.raises(GLMValidationError) as info:
        read_page(client, **args)
    assert info.value.field == field and sent == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reader_result": None},
        {"reader_result": {"content": 3}},
        {"reader_result": {"metadata": 1}},
    ],
)
def test_reader_replies_of_another_shape_are_typed_errors(body: Any) -> None:
    with pytest.raises(E.APIError, match="unexpected shape"):
        parse_reader(body)


def test_reader_keeps_the_raw_result_and_falls_back_to_the_url_asked() -> None:
    page = parse_reader({"reader_result": {"content": "x", "external": {"a": 1}}}, URL)
    assert page.url == URL and page.raw["external"] == {"a": 1} and page.title == ""


# ---- found by review: errors sent with HTTP 200, URLs a model writes ---------------------------


@pytest.mark.parametrize(
    ("body", "cls", "attempts"),
    [
        ({"error": {"code": "1701", "message": "too many searches"}}, E.RateLimitError, 2),
        ({"code": 1703, "msg": "no valid data", "success": False}, E.ServerError, 2),
        ({"error": "refused"}, E.APIError, 1),
    ],
)
def test_an_error_sent_with_200_is_an_error_not_no_results(
    body: dict[str, Any], cls: type[E.APIError], attempts: int
) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=body)

    settings = resolve_settings(provider="bigmodel", api_key=KEY, max_retries=1)
    client = GLMClient(settings, httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(cls) as caught:
        web_search(client, "q")
    assert type(caught.value) is cls and len(sent) == attempts
    with pytest.raises(cls):
        read_page(client, URL)


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "https://[zz]/",
        "https://exa mple.com",
        "http://a.com\n/x",
        "http://a.com:99999/",
    ],
)
def test_a_malformed_url_is_refused_naming_it(url: str) -> None:
    with pytest.raises(GLMValidationError) as caught:
        reader_body(url)
    assert caught.value.field == "url"


def test_ipv6_and_query_urls_are_sent() -> None:
    assert reader_body("http://[::1]:8080/p")["url"] == "http://[::1]:8080/p"
    assert reader_body("https://example.com/x?y=1")["url"] == "https://example.com/x?y=1"
