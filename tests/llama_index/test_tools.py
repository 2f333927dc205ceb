"""GLMWebSearchToolSpec for LlamaIndex: a BaseToolSpec whose search and read tools an agent can
call, sync and natively async, with each platform's limits, typed errors, empty results as a
message and key hygiene, on the emulator."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest
from llama_index.core.schema import Document
from llama_index.core.tools import FunctionTool
from llama_index.core.tools.tool_spec.base import BaseToolSpec

from glm_transport import GLMValidationError, RateLimitError, ServerError
from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER
from llama_index_glm import GLMWebSearchToolSpec

KEY = "sk-li-websearch-secret-24680"
PAGE = "https://docs.example.com/glm-pricing/0123456789ab"


def _spec(url: str, **kw: Any) -> GLMWebSearchToolSpec:
    return GLMWebSearchToolSpec(base_url=url, api_key=KEY, **kw)


def test_import_paths_and_the_tools() -> None:
    from llama_index.tools.glm_search import GLMWebSearchToolSpec as FromPath

    assert FromPath is GLMWebSearchToolSpec
    spec = GLMWebSearchToolSpec(api_key="k")
    assert isinstance(spec, BaseToolSpec)
    tools = spec.to_tool_list()
    assert [t.metadata.name for t in tools] == ["search", "read"]
    assert all(isinstance(t, FunctionTool) and t.async_fn is not None for t in tools)
    search_args = tools[0].metadata.get_parameters_dict()["properties"]
    assert set(search_args) == {"query", "recency", "domain_filter", "count"}
    assert set(tools[1].metadata.get_parameters_dict()["properties"]) == {"url"}
    assert "oneWeek" in tools[0].metadata.description


def test_search_returns_documents_an_agent_can_cite(glm_emulator: EmulatorServer) -> None:
    spec = _spec(glm_emulator.base_url)
    docs = spec.search("GLM pricing", recency="oneMonth", count=3)
    assert isinstance(docs, list) and len(docs) == 3
    first = docs[0]
    assert isinstance(first, Document)
    assert set(first.metadata) == {"title", "url", "publish_date", "media", "refer", "icon"}
    title, link, _, excerpt = first.text.split("\n", 3)
    assert (title, link) == (first.metadata["title"], first.metadata["url"])
    assert "GLM pricing" in excerpt and first.metadata["refer"] == "ref_1"
    sent = glm_emulator.state.request(-1).body
    assert (sent["search_engine"], sent["count"], sent["search_recency_filter"]) == (
        "search-prime",
        3,
        "oneMonth",
    )
    output = spec.to_tool_list()[0].call(query="GLM pricing", count=1)
    assert link in output.content and not output.is_error


async def test_async_is_native_and_agrees(glm_emulator: EmulatorServer) -> None:
    spec = _spec(glm_emulator.base_url)
    sync_docs = spec.search("GLM pricing", count=2)
    async_docs = await spec.asearch("GLM pricing", count=2)
    assert isinstance(sync_docs, list) and isinstance(async_docs, list)
    assert [d.text for d in async_docs] == [d.text for d in sync_docs]
    page = await spec.aread(PAGE)
    assert page.text == spec.read(PAGE).text
    search, read = spec.to_tool_list()
    assert (await search.acall(query="GLM pricing", count=2)).content == search.call(
        query="GLM pricing", count=2
    ).content
    assert (await read.acall(url=PAGE)).content.startswith("# Glm pricing (Example Docs)")


def test_read_returns_the_page_as_markdown(glm_emulator: EmulatorServer) -> None:
    spec = _spec(glm_emulator.base_url, page_timeout=15, retain_images=False)
    page = spec.read(PAGE)
    assert page.text.startswith("# Glm pricing (Example Docs)") and "![" not in page.text
    assert page.metadata["url"] == PAGE and page.metadata["title"] == "Glm pricing (Example Docs)"
    sent = glm_emulator.state.request(-1).body
    assert (sent["timeout"], sent["retain_images"]) == (15, False)


async def test_no_results_is_a_message(glm_emulator: EmulatorServer) -> None:
    spec = _spec(glm_emulator.base_url)
    text = spec.search("GLM", domain_filter="nothing.example")
    assert text == await spec.asearch("GLM", domain_filter="nothing.example")
    assert isinstance(text, str) and "no results for 'GLM'" in text
    assert "domain_filter 'nothing.example'" in text and "drop the filters" in text


def test_bigmodel_engines_options_and_limits(glm_emulator: EmulatorServer) -> None:
    spec = GLMWebSearchToolSpec(
        provider="bigmodel",
        base_url=glm_emulator.base_url + "/bigmodel",
        api_key=KEY,
        engine="search_pro_sogou",
        search_intent=True,
        content_size="medium",
    )
    docs = spec.search("GLM", count=20)
    assert len(docs) == 20
    sent = glm_emulator.state.request(-1).body
    assert (sent["search_engine"], sent["search_intent"], sent["content_size"]) == (
        "search_pro_sogou",
        True,
        "medium",
    )
    with pytest.raises(GLMValidationError) as info:
        spec.search("x" * 71)
    assert info.value.field == "query"
    with pytest.raises(GLMValidationError) as info:
        spec.search("GLM", count=15)  # sogou: 10, 20, 30, 40 or 50
    assert info.value.field == "count" and glm_emulator.state.requests == 1


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"engine": "search_pro"}, "engine"),  # Z.ai offers search-prime only
        ({"search_intent": True}, "search_intent"),
        ({"content_size": "high"}, "content_size"),
        ({"page_timeout": 0}, "timeout"),
        ({"provider": "zai-coding"}, "provider"),
    ],
)
def test_construction_options_are_checked_against_the_provider(
    kw: dict[str, Any], field: str
) -> None:
    args = {"provider": "zai", "api_key": "k", **kw}
    with pytest.raises(ValueError, match=f"Invalid `{field}`"):
        GLMWebSearchToolSpec(**args)


async def test_a_limit_broken_through_the_tool_raises_before_sending(
    glm_emulator: EmulatorServer,
) -> None:
    spec = GLMWebSearchToolSpec(provider="bigmodel", base_url=glm_emulator.base_url, api_key=KEY)
    search = spec.to_tool_list()[0]
    with pytest.raises(GLMValidationError, match="at most 70 characters"):
        await search.acall(query="x" * 80)
    assert glm_emulator.state.requests == 0


def test_errors_by_code_are_typed_and_retried(glm_emulator: EmulatorServer) -> None:
    busy = {FAULT_HEADER: json.dumps({"code": "1701", "retry_after_ms": 1})}
    spec = _spec(glm_emulator.base_url, default_headers=busy, max_retries=1)
    with pytest.raises(RateLimitError) as info:
        spec.search("GLM")
    assert info.value.code == "1701" and info.value.attempts == 2
    once = {FAULT_HEADER: json.dumps({"code": "1703", "times": 1, "retry_after_ms": 1})}
    assert _spec(glm_emulator.base_url, default_headers=once).search("GLM")
    down = {FAULT_HEADER: json.dumps({"code": "1702"})}
    with pytest.raises(ServerError) as server:
        _spec(glm_emulator.base_url, default_headers=down, max_retries=0).read(PAGE)
    assert server.value.code == "1702"


def test_the_key_is_in_no_repr_error_or_pickle(glm_emulator: EmulatorServer) -> None:
    down = {FAULT_HEADER: json.dumps({"code": "1702"})}
    spec = _spec(glm_emulator.base_url, default_headers=down, max_retries=0)
    with pytest.raises(ServerError) as info:
        spec.search("GLM")
    back = pickle.loads(pickle.dumps(spec))
    assert back.connection.api_key is None
    shown = str(info.value) + repr(info.value.__dict__) + repr(spec) + repr(pickle.dumps(spec))
    shown += spec.connection.model_dump_json()
    assert KEY not in shown
