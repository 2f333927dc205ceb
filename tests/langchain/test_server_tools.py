"""What GLM runs itself, in LangChain: in-chat web search and MCP calls, v0 and v1, all four modes.

Web search maps as langchain-core maps OpenAI's and Anthropic's (one ``server_tool_call`` named
``web_search``, one ``server_tool_result`` with the full records, ``citation`` annotations on the
text); MCP calls never reach ``tool_calls`` (an agent's tool node must not run them); and the
finish reason comes normalized. Against the emulator, scripted.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage

from glm_transport import errors as E
from glm_transport.emulator import EmulatorServer
from langchain_glm import ChatGLM

MODES = ["invoke", "ainvoke", "stream", "astream"]
RECORDS = [
    {
        "title": "Paris weather",
        "link": "https://example.org/paris",
        "content": "Sunny, 21 C.",
        "media": "Example",
        "icon": "https://example.org/i.png",
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


def run(llm: Any, mode: str, prompt: Any = "Weather in Paris?") -> AIMessage:
    if mode == "invoke":
        return llm.invoke(prompt)
    if mode == "ainvoke":
        return asyncio.run(llm.ainvoke(prompt))
    if mode == "stream":
        chunks = list(llm.stream(prompt))
    else:

        async def collect() -> list[AIMessageChunk]:
            return [c async for c in llm.astream(prompt)]

        chunks = asyncio.run(collect())
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    return total


def model(url: str, **kwargs: Any) -> ChatGLM:
    return ChatGLM(model="glm-5", base_url=url, api_key="k", **kwargs)


@pytest.mark.parametrize("mode", MODES)
def test_v0_search_results_and_options_in_metadata(glm_emulator: EmulatorServer, mode: str) -> None:
    glm_emulator.script.reply(text="Sunny [ref_1].", web_search=RECORDS)
    msg = run(model(glm_emulator.base_url).bind_tools([SEARCH]), mode)
    assert msg.response_metadata["web_search"] == RECORDS
    assert msg.response_metadata["web_search_options"] == SEARCH["web_search"]
    assert msg.response_metadata["normalized_finish_reason"] == "stop"
    assert msg.tool_calls == [] and msg.content == "Sunny [ref_1]."


@pytest.mark.parametrize("mode", MODES)
def test_v1_search_is_a_server_tool_call_result_and_citations(
    glm_emulator: EmulatorServer, mode: str
) -> None:
    glm_emulator.script.reply(text="Sunny [ref_1].", web_search=RECORDS)
    msg = run(model(glm_emulator.base_url, output_version="v1").bind_tools([SEARCH]), mode)
    # Whole replies put the search first; a stream's results come with its last chunk, after
    # the text, and merged blocks keep the order they first appeared in.
    order = ["server_tool_call", "server_tool_result", "text"]
    blocks = sorted(msg.content_blocks, key=lambda b: order.index(b["type"]))
    if mode in ("invoke", "ainvoke"):
        assert [b["type"] for b in msg.content_blocks] == order
    call, result, text = blocks
    assert [b["type"] for b in blocks] == order
    assert call["name"] == "web_search" and call["args"] == SEARCH["web_search"]
    assert result["tool_call_id"] == call["id"] and result["status"] == "success"
    assert result["output"] == {"sources": RECORDS}
    assert text["text"] == "Sunny [ref_1]."
    cites = text["annotations"]
    assert [(c["url"], c["title"], c["cited_text"]) for c in cites] == [
        (r["link"], r["title"], r["content"]) for r in RECORDS
    ]
    assert cites[0]["extras"]["refer"] == "ref_1" and cites[0]["extras"]["media"] == "Example"


@pytest.mark.parametrize("mode", MODES)
def test_search_offered_without_results_is_said(glm_emulator: EmulatorServer, mode: str) -> None:
    glm_emulator.script.reply(text="From memory.", web_search=[])
    msg = run(model(glm_emulator.base_url).bind_tools([SEARCH]), mode)
    assert msg.response_metadata["web_search"] == []
    result = [b for b in msg.content_blocks if b["type"] == "server_tool_result"]
    assert result and result[0]["output"] == {"sources": []}


@pytest.mark.parametrize("mode", MODES)
def test_forced_search_without_results_raises(glm_emulator: EmulatorServer, mode: str) -> None:
    glm_emulator.script.reply(text="From memory.", web_search=[])
    forced = {"type": "web_search", "web_search": {"enable": True, "require_search": True}}
    with pytest.raises(E.SearchMissingError, match="require_search"):
        run(model(glm_emulator.base_url).bind_tools([forced]), mode)


@pytest.mark.parametrize("mode", MODES)
def test_mcp_calls_never_reach_tool_calls(glm_emulator: EmulatorServer, mode: str) -> None:
    glm_emulator.script.reply(text="The capital is Paris.", tool_calls=[MCP])
    msg = run(model(glm_emulator.base_url), mode)
    assert msg.tool_calls == [] and msg.invalid_tool_calls == []
    (record,) = msg.additional_kwargs["server_tool_calls"]
    assert record["type"] == "mcp" and record["mcp"]["name"] == "lookup"
    blocks = [b for b in msg.content_blocks if b["type"].startswith("server_tool")]
    assert [b["type"] for b in blocks] == ["server_tool_call", "server_tool_result"]
    assert blocks[0]["name"] == "remote_mcp" and blocks[0]["args"] == {"q": "paris"}
    assert blocks[0]["extras"]["tool_name"] == "lookup"
    assert blocks[0]["extras"]["server_label"] == "docs"
    assert blocks[1]["output"] == "Paris is the capital of France."
    assert blocks[1]["status"] == "success"


def test_mcp_tool_listing_and_errors_map_to_their_blocks() -> None:
    from glm_transport.types import ChatCompletion
    from langchain_glm._convert import from_wire_result

    listing = {
        "id": "m1",
        "type": "mcp",
        "mcp": {"type": "mcp_list_tools", "server_label": "d", "tools": [{"name": "lookup"}]},
    }
    failed = {
        "id": "m2",
        "type": "mcp",
        "mcp": {
            "type": "mcp_call",
            "server_label": "d",
            "name": "lookup",
            "arguments": "{",
            "error": "timeout",
        },
    }
    other = {"id": "m3", "type": "code_interpreter", "code_interpreter": {"input": "1+1"}}
    result = ChatCompletion(
        "ok", None, [], "stop", None, "r", "r", "glm-5", server_tool_calls=[listing, failed, other]
    )
    blocks = from_wire_result(result).content_blocks
    calls = [b for b in blocks if b["type"] == "server_tool_call"]
    results = [b for b in blocks if b["type"] == "server_tool_result"]
    assert [c["name"] for c in calls] == ["mcp_list_tools", "remote_mcp", "code_interpreter"]
    assert results[0]["output"] == [{"name": "lookup"}]
    assert results[1]["status"] == "error" and results[1]["extras"] == {"error": "timeout"}
    assert calls[1]["extras"]["arguments"] == "{"  # not JSON: kept, not dropped
    assert calls[2]["extras"]["record"] == other


def test_server_blocks_are_not_sent_back(glm_emulator: EmulatorServer) -> None:
    glm_emulator.script.reply(text="Sunny.", web_search=RECORDS, tool_calls=[MCP])
    llm = model(glm_emulator.base_url, output_version="v1").bind_tools([SEARCH])
    first = llm.invoke("Weather in Paris?")
    glm_emulator.script.reply(text="You're welcome.")
    llm.invoke([HumanMessage("Weather in Paris?"), first, HumanMessage("Thanks")])
    sent = glm_emulator.request(-1).body["messages"][1]
    assert sent["role"] == "assistant" and sent["content"] == "Sunny."
    assert "tool_calls" not in sent


@pytest.mark.parametrize("mode", MODES)
def test_finish_reason_is_normalized(glm_emulator: EmulatorServer, mode: str) -> None:
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """Weather in a city."""
        return "sunny"

    glm_emulator.script.reply(tool_calls=[("get_weather", {"city": "Paris"})])
    msg = run(model(glm_emulator.base_url).bind_tools([get_weather]), mode)
    assert msg.response_metadata["finish_reason"] == "tool_calls"
    assert msg.response_metadata["normalized_finish_reason"] == "tool_call"


def test_blocks_show_in_a_process_that_only_imported_the_package(
    glm_emulator: EmulatorServer, tmp_path: Any
) -> None:
    # A checkpoint read back by a UI: the translator must be registered by `import langchain_glm`.
    import pickle
    import subprocess
    import sys

    glm_emulator.script.reply(text="Sunny.", web_search=RECORDS)
    msg = model(glm_emulator.base_url).bind_tools([SEARCH]).invoke("Weather in Paris?")
    path = tmp_path / "message.pickle"
    path.write_bytes(pickle.dumps(msg))
    code = (
        "import pickle, sys, langchain_glm; "
        f"m = pickle.loads(open({str(path)!r}, 'rb').read()); "
        "print([b['type'] for b in m.content_blocks], 'langchain_glm.chat_models' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['server_tool_call', 'server_tool_result', 'text'] False"


def test_a_call_without_a_name_is_invalid_not_run() -> None:
    from glm_transport.types import ChatCompletion, ToolCall
    from langchain_glm._convert import from_wire_result

    nameless = ToolCall(id="c0", name="", arguments="{}")
    msg = from_wire_result(ChatCompletion("", None, [nameless], "tool_calls", None, "r", "r", "m"))
    assert msg.tool_calls == [] and msg.invalid_tool_calls[0]["error"] == (
        "GLM sent a tool call without a name"
    )
