"""GLMWebSearch, GLMWebSearchRetriever and GLMWebReader: langchain-tests' standard suites (the
integration suites replay cassettes authored against the emulator) and our own tests on the
emulator: arguments a model may choose, per-platform limits, empty results, typed errors,
native async and key hygiene."""

from __future__ import annotations

import json
import pickle
from typing import Any

import httpx
import pytest
from langchain_core.documents import Document
from langchain_core.messages import ToolMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import BaseTool
from langchain_tests.integration_tests import RetrieversIntegrationTests, ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER
from langchain_glm import GLMWebReader, GLMWebSearch, GLMWebSearchRetriever
from langchain_glm.errors import GLMRateLimitError, GLMServerError
from tests.conftest import glm_target

KEY = "sk-lc-websearch-secret-987654"
PAGE = "https://wiki.example.org/glm-models/0123456789ab"


def _vcr_params() -> dict[str, Any]:
    # A plain httpx async client: vcrpy intercepts httpx, not the aiohttp-backed default.
    return {"http_async_client": httpx.AsyncClient(), **glm_target()}


# ---- standard suites -----------------------------------------------------------------------


class TestGLMWebSearchUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return GLMWebSearch

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"api_key": "unit-test-key"}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"query": "GLM-5 release", "recency": "oneMonth", "count": 3}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"ZHIPUAI_API_KEY": "env-key"},
            {"provider": "bigmodel"},
            {"api_key": "env-key", "provider": "bigmodel"},
        )


class TestGLMWebReaderUnit(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return GLMWebReader

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"api_key": "unit-test-key"}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"url": PAGE}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return ({"GLM_API_KEY": "env-key"}, {}, {"api_key": "env-key"})


@pytest.mark.vcr
class TestGLMWebSearchIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return GLMWebSearch

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return _vcr_params()

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"query": "GLM-5 release", "recency": "oneMonth", "count": 3}


@pytest.mark.vcr
class TestGLMWebReaderIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[BaseTool]:
        return GLMWebReader

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return _vcr_params()

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"url": PAGE}


@pytest.mark.vcr
class TestGLMWebSearchRetrieverIntegration(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return GLMWebSearchRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"k": 4, **_vcr_params()}

    @property
    def retriever_query_example(self) -> str:
        return "GLM-5 release"


# ---- our own, on the emulator --------------------------------------------------------------


def _search(url: str, **kw: Any) -> GLMWebSearch:
    return GLMWebSearch(base_url=url, api_key=KEY, **kw)


def test_the_model_chooses_query_recency_domain_and_count_only() -> None:
    tool = GLMWebSearch(api_key="k")
    schema = tool.tool_call_schema.model_json_schema()
    assert set(schema["properties"]) == {"query", "recency", "domain_filter", "count"}
    assert schema["required"] == ["query"]
    assert (tool.name, tool.handle_tool_error) == ("glm_web_search", True)
    assert "70 characters" not in tool.description
    bigmodel = GLMWebSearch(provider="bigmodel", api_key="k")
    assert "at most 70 characters" in bigmodel.description


def test_results_are_glms_records(glm_emulator: EmulatorServer) -> None:
    tool = _search(glm_emulator.base_url)
    out = tool.invoke({"query": "GLM-5 release", "count": 2, "recency": "oneWeek"})
    assert out["query"] == "GLM-5 release" and len(out["results"]) == 2
    assert set(out["results"][0]) >= {
        "title",
        "link",
        "content",
        "media",
        "icon",
        "refer",
        "publish_date",
    }
    sent = glm_emulator.state.request(-1).body
    assert sent["search_engine"] == "search-prime" and sent["count"] == 2
    assert sent["search_recency_filter"] == "oneWeek"
    message = tool.invoke(
        {"name": tool.name, "args": {"query": "GLM"}, "id": "c1", "type": "tool_call"}
    )
    assert isinstance(message, ToolMessage) and message.status == "success"
    assert json.loads(message.content)["results"][0]["refer"] == "ref_1"


def test_engine_and_bigmodel_options_are_set_at_construction(
    glm_emulator: EmulatorServer,
) -> None:
    url = glm_emulator.base_url + "/bigmodel"
    tool = GLMWebSearch(
        provider="bigmodel",
        base_url=url,
        api_key=KEY,
        engine="search_pro_quark",
        search_intent=True,
        content_size="high",
    )
    refused = tool.invoke({"query": "GLM", "engine": "search_std"})  # not the model's to choose
    assert "engine" in refused and glm_emulator.state.requests == 0
    tool.invoke({"query": "GLM"})
    sent = glm_emulator.state.request(-1).body
    assert sent["search_engine"] == "search_pro_quark"
    assert (sent["search_intent"], sent["content_size"]) == (True, "high")


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"engine": "search_std"}, "engine"),  # Z.ai's preset: search-prime only
        ({"content_size": "high"}, "content_size"),
        ({"search_intent": True}, "search_intent"),
        ({"provider": "zai-coding"}, "provider"),
    ],
)
def test_construction_options_are_checked_against_the_provider(
    kw: dict[str, Any], field: str
) -> None:
    args = {"provider": "zai", "api_key": "k", **kw}
    # Raised at construction: pydantic wraps it (a ValueError), the field named.
    with pytest.raises(ValueError, match=f"Invalid `{field}`"):
        GLMWebSearch(**args)
    with pytest.raises(ValueError, match=f"Invalid `{field}`"):
        GLMWebSearchRetriever(**args)


def test_a_limit_the_model_broke_is_told_to_it_not_sent(glm_emulator: EmulatorServer) -> None:
    tool = GLMWebSearch(provider="bigmodel", base_url=glm_emulator.base_url, api_key=KEY)
    call = {"name": tool.name, "args": {"query": "x" * 71}, "id": "c2", "type": "tool_call"}
    message = tool.invoke(call)
    assert message.status == "error" and "at most 70 characters" in message.content
    assert "Invalid `query`" in message.content
    assert glm_emulator.state.requests == 0


async def test_no_results_is_a_clear_message(glm_emulator: EmulatorServer) -> None:
    tool = _search(glm_emulator.base_url)
    args = {"query": "GLM", "domain_filter": "nothing.example"}
    text = tool.invoke(args)
    assert text == await tool.ainvoke(args)
    assert "no results for 'GLM'" in text and "domain_filter 'nothing.example'" in text
    assert "drop the filters" in text
    call = {"name": tool.name, "args": args, "id": "c3", "type": "tool_call"}
    assert (await tool.ainvoke(call)).status == "error"  # the agent sees a failed search


async def test_async_is_native_and_agrees(glm_emulator: EmulatorServer) -> None:
    tool = _search(glm_emulator.base_url)
    args = {"query": "GLM-5 release", "count": 3}
    assert await tool.ainvoke(args) == tool.invoke(args)
    assert type(tool)._arun is not BaseTool._arun
    reader = GLMWebReader(base_url=glm_emulator.base_url, api_key=KEY)
    assert await reader.ainvoke({"url": PAGE}) == reader.invoke({"url": PAGE})
    retriever = GLMWebSearchRetriever(base_url=glm_emulator.base_url, api_key=KEY, k=3)
    assert await retriever.ainvoke("GLM") == retriever.invoke("GLM")
    assert type(retriever)._aget_relevant_documents is not BaseRetriever._aget_relevant_documents


def test_errors_by_code_are_typed(glm_emulator: EmulatorServer) -> None:
    busy = {FAULT_HEADER: json.dumps({"code": "1701", "retry_after_ms": 1})}
    tool = _search(glm_emulator.base_url, default_headers=busy, max_retries=1)
    with pytest.raises(GLMRateLimitError) as info:
        tool.invoke({"query": "GLM"})
    assert info.value.code == "1701" and info.value.attempts == 2
    down = {FAULT_HEADER: json.dumps({"code": "1703"})}
    retriever = GLMWebSearchRetriever(
        base_url=glm_emulator.base_url, api_key=KEY, default_headers=down, max_retries=0
    )
    with pytest.raises(GLMServerError) as server:
        retriever.invoke("GLM")
    assert server.value.code == "1703"
    once = {FAULT_HEADER: json.dumps({"code": "1702", "times": 1, "retry_after_ms": 1})}
    reader = GLMWebReader(base_url=glm_emulator.base_url, api_key=KEY, default_headers=once)
    assert reader.invoke({"url": PAGE}).startswith("# Glm models")  # retried, then read


def test_retriever_documents(glm_emulator: EmulatorServer) -> None:
    retriever = GLMWebSearchRetriever(
        base_url=glm_emulator.base_url, api_key=KEY, k=5, recency="oneYear"
    )
    docs = retriever.invoke("GLM-5 release")
    assert len(docs) == 5 and all(isinstance(d, Document) for d in docs)
    first = docs[0]
    assert "GLM-5 release" in first.page_content
    assert set(first.metadata) == {"title", "source", "publish_date", "media", "refer", "icon"}
    assert first.metadata["source"].startswith("https://") and first.metadata["refer"] == "ref_1"
    assert glm_emulator.state.request(-1).body["search_recency_filter"] == "oneYear"
    narrowed = retriever.invoke("GLM-5 release", k=2, domain_filter="example.org")
    assert narrowed == [d for d in narrowed if ".example.org/" in d.metadata["source"]]
    assert glm_emulator.state.request(-1).body["count"] == 2
    assert retriever.invoke("GLM", domain_filter="nothing.example") == []  # a normal outcome


def test_reader_returns_markdown_with_an_artifact(glm_emulator: EmulatorServer) -> None:
    reader = GLMWebReader(
        base_url=glm_emulator.base_url, api_key=KEY, with_links_summary=True, page_timeout=30
    )
    message = reader.invoke(
        {"name": reader.name, "args": {"url": PAGE}, "id": "r1", "type": "tool_call"}
    )
    assert message.content.startswith("# Glm models (Example Wiki)")
    assert message.artifact["title"] == "Glm models (Example Wiki)"
    assert message.artifact["links"] == {"Home": "https://wiki.example.org/"}
    sent = glm_emulator.state.request(-1).body
    assert (sent["url"], sent["timeout"], sent["with_links_summary"]) == (PAGE, 30, True)
    refused = reader.invoke({"url": "wiki.example.org"})
    assert "Invalid `url`" in refused and glm_emulator.state.requests == 1
    with pytest.raises(ValueError, match="Invalid `timeout`"):
        GLMWebReader(api_key="k", page_timeout=0)


def test_the_key_is_in_no_repr_error_or_pickle(glm_emulator: EmulatorServer) -> None:
    down = {FAULT_HEADER: json.dumps({"code": "1702"})}
    tool = _search(glm_emulator.base_url, default_headers=down, max_retries=0)
    with pytest.raises(GLMServerError) as info:
        tool.invoke({"query": "GLM"})
    shown = str(info.value) + repr(info.value) + repr(info.value.__dict__)
    for obj in (
        tool,
        GLMWebSearchRetriever(base_url=glm_emulator.base_url, api_key=KEY),
        GLMWebReader(base_url=glm_emulator.base_url, api_key=KEY),
    ):
        shown += repr(obj) + repr(obj.__dict__)
        back = pickle.loads(pickle.dumps(obj))
        assert back.api_key is None
        shown += repr(pickle.dumps(obj))
    assert KEY not in shown


# ---- found by review ------------------------------------------------------------------------


def test_retriever_options_are_checked_at_construction() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="count"):
        GLMWebSearchRetriever(provider="bigmodel", engine="search_pro_sogou", k=5, api_key=KEY)
    with pytest.raises(ValidationError, match="domain_filter"):
        GLMWebSearchRetriever(domain_filter="a b", api_key=KEY)


def test_a_misspelt_retriever_option_is_refused_not_dropped(glm_emulator: EmulatorServer) -> None:
    retriever = GLMWebSearchRetriever(base_url=glm_emulator.base_url, api_key=KEY)
    with pytest.raises(ValueError, match="bogus"):  # GLMValidationError is a ValueError
        retriever.invoke("GLM", bogus=1)
    assert glm_emulator.state.requests == 0


def test_a_malformed_url_comes_back_to_the_model(glm_emulator: EmulatorServer) -> None:
    # Invoked with a tool call, as an agent's tool node does: a message, not a ValueError.
    reader = GLMWebReader(base_url=glm_emulator.base_url, api_key=KEY)
    call = {"name": reader.name, "args": {"url": "http://[::1"}, "id": "c1", "type": "tool_call"}
    message = reader.invoke(call)
    assert message.status == "error" and "url" in message.content
    assert glm_emulator.state.requests == 0


def test_arguments_the_schema_refuses_come_back_to_the_model(glm_emulator: EmulatorServer) -> None:
    tool = _search(glm_emulator.base_url)
    assert "count" in tool.invoke({"query": "q", "count": 51})
    # Construction-time options are not the model's to set: refused, not silently ignored.
    for extra in ({"api_key": "x"}, {"engine": "search_pro"}):
        assert "Extra inputs are not permitted" in tool.invoke({"query": "q", **extra})
    assert glm_emulator.state.requests == 0


@pytest.mark.parametrize("domain", ["https://a.com/x", "a.com,b.com", "a.com/path", "a com"])
def test_a_domain_filter_that_is_no_domain_is_refused(domain: str) -> None:
    from glm_transport import GLMValidationError
    from glm_transport.websearch import SEARCH_PLATFORMS, web_search_body

    with pytest.raises(GLMValidationError) as caught:
        web_search_body(SEARCH_PLATFORMS["zai"], "q", domain_filter=domain)
    assert caught.value.field == "domain_filter"
