"""What GLM runs itself, in LlamaIndex: in-chat web search and MCP calls, all four call modes.

One ``CitationBlock`` per search result on the reply (as llama-index-llms-anthropic does for its
search citations), the raw records in ``additional_kwargs``; MCP calls never become
``ToolCallBlock``s (an agent must not run them). Against the emulator, scripted.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CitationBlock,
    TextBlock,
    ToolCallBlock,
)

from glm_transport import errors as E
from glm_transport.emulator import EmulatorServer
from llama_index_glm import GLM

MODES = ["chat", "achat", "stream_chat", "astream_chat"]
RECORDS = [
    {
        "title": "Paris weather",
        "link": "https://example.org/paris",
        "content": "Sunny, 21 C.",
        "refer": "ref_1",
        "publish_date": "2026-12-01",
    },
    {
        "title": "Forecast",
        "link": "https://example.org/f",
        "content": "Dry week.",
        "refer": "ref_2",
    },
]
SEARCH = {"type": "web_search", "web_search": {"enable": True, "search_engine": "search_pro"}}
MCP = {
    "mcp": {
        "type": "mcp_call",
        "server_label": "docs",
        "name": "lookup",
        "arguments": {"q": "paris"},
        "output": "Paris is the capital of France.",
    }
}
ASK = [ChatMessage(role="user", content="Weather in Paris?")]


def run(llm: GLM, mode: str, messages: list[ChatMessage] = ASK, **kw: Any) -> ChatResponse:
    if mode == "chat":
        return llm.chat(messages, **kw)
    if mode == "achat":
        return asyncio.run(llm.achat(messages, **kw))
    if mode == "stream_chat":
        *_, last = llm.stream_chat(messages, **kw)
        return last

    async def collect() -> ChatResponse:
        last = None
        async for last in await llm.astream_chat(messages, **kw):
            pass
        assert last is not None
        return last

    return asyncio.run(collect())


def model(url: str) -> GLM:
    return GLM(model="glm-5", base_url=url, api_key="k")


@pytest.mark.parametrize("mode", MODES)
def test_search_results_are_citation_blocks(glm_emulator: EmulatorServer, mode: str) -> None:
    glm_emulator.script.reply(text="Sunny [ref_1].", web_search=RECORDS)
    response = run(model(glm_emulator.base_url), mode, tools=[SEARCH])
    cites = [b for b in response.message.blocks if isinstance(b, CitationBlock)]
    assert [(c.source, c.title) for c in cites] == [(r["link"], r["title"]) for r in RECORDS]
    assert [c.cited_content.text for c in cites] == [r["content"] for r in RECORDS]
    assert response.message.content == "Sunny [ref_1]."
    assert response.additional_kwargs["web_search"] == RECORDS
    assert response.additional_kwargs["web_search_options"] == SEARCH["web_search"]


@pytest.mark.parametrize("mode", MODES)
def test_search_offered_without_results_is_said(glm_emulator: EmulatorServer, mode: str) -> None:
    glm_emulator.script.reply(text="From memory.", web_search=[])
    response = run(model(glm_emulator.base_url), mode, tools=[SEARCH])
    assert response.additional_kwargs["web_search"] == []
    assert not any(isinstance(b, CitationBlock) for b in response.message.blocks)


@pytest.mark.parametrize("mode", MODES)
def test_forced_search_without_results_raises(glm_emulator: EmulatorServer, mode: str) -> None:
    glm_emulator.script.reply(text="From memory.", web_search=[])
    forced = {"type": "web_search", "web_search": {"enable": True, "require_search": True}}
    with pytest.raises(E.SearchMissingError):
        run(model(glm_emulator.base_url), mode, tools=[forced])


@pytest.mark.parametrize("mode", MODES)
def test_mcp_calls_never_become_tool_calls(glm_emulator: EmulatorServer, mode: str) -> None:
    glm_emulator.script.reply(text="The capital is Paris.", tool_calls=[MCP])
    llm = model(glm_emulator.base_url)
    response = run(llm, mode)
    assert not any(isinstance(b, ToolCallBlock) for b in response.message.blocks)
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    (record,) = response.additional_kwargs["server_tool_calls"]
    assert record["type"] == "mcp" and record["mcp"]["output"] == "Paris is the capital of France."


def test_the_replys_citations_are_not_sent_back(glm_emulator: EmulatorServer) -> None:
    glm_emulator.script.reply(text="Sunny.", web_search=RECORDS)
    llm = model(glm_emulator.base_url)
    first = llm.chat(ASK, tools=[SEARCH]).message
    glm_emulator.script.reply(text="You're welcome.")
    llm.chat([*ASK, first, ChatMessage(role="user", content="Thanks")])
    sent = glm_emulator.request(-1).body["messages"]
    assert sent[1] == {"role": "assistant", "content": "Sunny."}


def test_a_users_citation_block_still_goes_as_text(glm_emulator: EmulatorServer) -> None:
    cite = CitationBlock(
        cited_content=TextBlock(text="Paris is in France."),
        source="atlas.pdf",
        title="Atlas",
        additional_location_info={},
    )
    model(glm_emulator.base_url).chat([ChatMessage(role="user", blocks=[cite])])
    assert "Paris is in France." in glm_emulator.request(-1).body["messages"][0]["content"]
