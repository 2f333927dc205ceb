"""What a caller of web search and the web reader sees (issue 28): every option sent as given,
sync and async; the value and allowed values of each refusal; replies of another shape refused
with the body and what was wrong."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from glm_transport import AsyncGLMClient, GLMClient, GLMValidationError, resolve_settings
from glm_transport import errors as E
from glm_transport.reader import aread_page, parse_reader, read_page, reader_body
from glm_transport.websearch import SEARCH_PLATFORMS, parse_web_search, web_search_body

PAGE = {"reader_result": {"content": "# Hi", "title": "T"}, "request_id": "rid-1"}
OPTIONS: dict[str, Any] = {
    "return_format": "text",
    "timeout": 7,
    "no_cache": True,
    "retain_images": False,
    "with_links_summary": True,
    "with_images_summary": True,
}
SENT = {"url": "https://example.com/a", **OPTIONS}


class Recorder:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sent_id = body.pop("request_id", None)
        self.bodies.append(body)
        return httpx.Response(200, json={**PAGE, "request_id": sent_id})


def settings() -> Any:
    return resolve_settings(base_url="https://glm.test/api/paas/v4", api_key="k", max_retries=0)


def test_every_reader_option_is_sent_and_the_url_asked_fills_a_missing_one_sync() -> None:
    server = Recorder()
    with httpx.Client(transport=httpx.MockTransport(server)) as http:
        page = read_page(GLMClient(settings(), http), "https://example.com/a", **OPTIONS)
    assert server.bodies == [SENT]
    assert (page.url, page.title, page.content) == ("https://example.com/a", "T", "# Hi")
    assert page.request_id is not None and len(page.request_id) >= 6


async def test_every_reader_option_is_sent_and_the_url_asked_fills_a_missing_one_async() -> None:
    server = Recorder()
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as http:
        page = await aread_page(
            AsyncGLMClient(settings(), http), "https://example.com/a", **OPTIONS
        )
    assert server.bodies == [SENT]
    assert page.url == "https://example.com/a" and page.request_id is not None


def test_reader_refusals_say_what_is_allowed() -> None:
    with pytest.raises(GLMValidationError) as caught:
        reader_body("ftp://example.com")
    assert caught.value.allowed == (
        "an absolute http:// or https:// URL without spaces or control characters"
    )


@pytest.mark.parametrize(
    ("result", "says"),
    [
        ({"metadata": ["x"]}, "metadata is not an object"),
        ({"links": ["x"]}, "links is not an object"),
        ({"images": "x"}, "images is not an object"),
    ],
)
def test_a_reader_reply_of_another_shape_says_what_was_wrong(
    result: dict[str, Any], says: str
) -> None:
    body = {"reader_result": result}
    with pytest.raises(E.APIError) as caught:
        parse_reader(body)
    assert says in caught.value.message and caught.value.body is body


def test_a_reader_reply_keeps_metadata_links_and_its_request_id() -> None:
    body = {
        "reader_result": {
            "metadata": {"lang": "en"},
            "links": {"a": "https://x.example"},
            "images": {"i": "https://x.example/i.png"},
        },
        "request_id": "rid-2",
    }
    page = parse_reader(body, "https://asked.example")
    assert page.metadata == {"lang": "en"} and page.links == {"a": "https://x.example"}
    assert page.images == {"i": "https://x.example/i.png"}
    assert (page.url, page.request_id) == ("https://asked.example", "rid-2")
    assert parse_reader({"reader_result": {}, "request_id": 5}).request_id is None


def test_search_refusals_show_the_value_and_say_what_is_allowed() -> None:
    zai = SEARCH_PLATFORMS["zai"]
    with pytest.raises(GLMValidationError) as caught:
        web_search_body(zai, "  ")
    assert caught.value.allowed == "a non-empty string"
    with pytest.raises(GLMValidationError) as caught:
        web_search_body(zai, "q", domain_filter="a b")
    assert caught.value.allowed == "one domain name, such as 'www.example.com'"
    for name, value in (("search_intent", True), ("content_size", "high")):
        with pytest.raises(GLMValidationError) as caught:
            web_search_body(zai, "q", **{name: value})
        assert (caught.value.field, caught.value.value) == (name, value)
        assert caught.value.allowed == (
            "None: only BigModel's web search takes it (provider 'bigmodel')"
        )


def test_a_search_reply_that_is_not_an_object_says_so() -> None:
    with pytest.raises(E.APIError) as caught:
        parse_web_search(["x"])
    assert "(not a JSON object)" in caught.value.message
