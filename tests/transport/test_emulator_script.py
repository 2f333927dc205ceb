"""The emulator as a product: scripted replies (queue, rules, callback, strict), recorded requests,
files and the CLI, and the in-process transport answering byte for byte as the server does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from glm_transport import AsyncGLMClient, ChatRequest, GLMClient, chat, embeddings, resolve_settings
from glm_transport import errors as E
from glm_transport.emulator import EMULATOR_URL, EmulatorServer, EmulatorTransport, Script

TOOLS = [
    {
        "type": "function",
        "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
    }
]


def ask(client: GLMClient, text: str, system: str | None = None, **kw: Any) -> Any:
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": text})
    return chat.complete(client, ChatRequest(model="glm-5.3", messages=messages, **kw))


def in_process(script: Script | None = None) -> tuple[GLMClient, EmulatorTransport]:
    transport = EmulatorTransport(script)
    settings = resolve_settings(base_url=EMULATOR_URL, api_key="k")
    return GLMClient(settings, httpx.Client(transport=transport)), transport


def test_queue_rules_and_callback_in_that_order() -> None:
    client, emu = in_process()
    emu.script.reply("first", {"text": "second", "reasoning": "thought"})
    emu.script.on(user="refund", reply={"error": {"status": 429, "code": "1302"}})
    emu.script.on(system="re:^You are a pirate", reply="Arr.")
    emu.script.on(tools=["get_weather"], reply={"tool_calls": [("get_weather", {"city": "Rome"})]})
    emu.script.use(lambda body: "called back" if "callback" in str(body["messages"]) else None)
    assert ask(client, "hi").content == "first"
    second = ask(client, "hi")
    assert (second.content, second.reasoning_content) == ("second", "thought")
    no_retry = GLMClient(
        resolve_settings(base_url=EMULATOR_URL, api_key="k", max_retries=0), client._given
    )
    with pytest.raises(E.RateLimitError):
        ask(no_retry, "I want a refund")
    assert ask(client, "hi", system="You are a pirate").content == "Arr."
    call = ask(client, "weather?", tools=TOOLS).tool_calls[0]
    assert (call.name, json.loads(call.arguments)) == ("get_weather", {"city": "Rome"})
    assert ask(client, "please callback").content == "called back"
    assert ask(client, "anything else").content.startswith("GLM emulator reply to")
    assert emu.request(-1).last_user == "anything else"
    assert emu.request(4).tools == ["get_weather"] and emu.request(4).params["model"] == "glm-5.3"


def test_strict_mode_refuses_what_was_not_scripted() -> None:
    client, emu = in_process(Script(strict=True))
    emu.script.reply("only this")
    assert ask(client, "one").content == "only this"
    with pytest.raises(E.InvalidRequestError, match="nothing scripted"):
        ask(client, "two")


def test_a_scripted_stream_and_a_scripted_fault() -> None:
    client, emu = in_process()
    emu.script.reply({"text": "one two three four five", "reasoning": "r"})
    chunks = list(
        chat.stream(
            client, ChatRequest(model="glm-5.3", messages=[{"role": "user", "content": "x"}])
        )
    )
    assert "".join(c.content or "" for c in chunks) == "one two three four five"
    emu.script.reply({"text": "a b c d e f", "fault": {"disconnect_after": 3, "batch": 1}})
    with pytest.raises(E.StreamInterruptedError):
        list(
            chat.stream(
                client, ChatRequest(model="glm-5.3", messages=[{"role": "user", "content": "y"}])
            )
        )


def test_script_files_json_and_yaml(tmp_path: Path) -> None:
    data = {
        "strict": True,
        "queue": [{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}],
        "rules": [{"when": {"user": "hello"}, "reply": {"json": {"greeting": "hi"}}}],
    }
    as_json = tmp_path / "script.json"
    as_json.write_text(json.dumps(data))
    import yaml

    as_yaml = tmp_path / "script.yaml"
    as_yaml.write_text(yaml.safe_dump(data))
    for path in (as_json, as_yaml):
        client, _ = in_process(Script.load(path))
        assert ask(client, "weather", tools=TOOLS).tool_calls[0].name == "get_weather"
        assert json.loads(ask(client, "hello there").content) == {"greeting": "hi"}


def test_the_cli_serves_a_script(tmp_path: Path) -> None:
    from benchmarks._servers import free_port

    script = tmp_path / "script.json"
    script.write_text(json.dumps({"queue": ["from the file"]}))
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "glm_transport.emulator",
            "--port",
            str(port),
            "--script",
            str(script),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/paas/v4"
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/_emulator/stats", timeout=1)
                break
            except httpx.HTTPError:
                import time

                time.sleep(0.05)
        client = GLMClient(resolve_settings(base_url=url, api_key="k"))
        assert ask(client, "x").content == "from the file"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize("stream", [False, True])
def test_in_process_and_server_send_the_same_bytes(stream: bool) -> None:
    def script() -> Script:
        s = Script()
        s.reply({"text": "scripted answer", "reasoning": "because"})
        s.reply({"tool_calls": [("get_weather", {"city": "Paris"})]})
        return s

    bodies = [
        {"model": "glm-5.3", "messages": [{"role": "user", "content": "a"}], "stream": stream},
        {"model": "glm-5.3", "messages": [{"role": "user", "content": "b"}], "tools": TOOLS,
         "stream": stream, "tool_stream": stream},
        {"model": "glm-5.3", "messages": [{"role": "user", "content": "unscripted"}], "stream": stream},
        {"model": "nope", "messages": [{"role": "user", "content": "c"}], "stream": stream},
    ]  # fmt: skip
    with EmulatorServer(script=script()) as server, httpx.Client() as http:
        over_http = [
            (r.status_code, r.content)
            for r in (http.post(server.base_url + "/chat/completions", json=b) for b in bodies)
        ]
    local = httpx.Client(transport=EmulatorTransport(script()))
    in_proc = [
        (r.status_code, r.content)
        for r in (local.post(EMULATOR_URL + "/chat/completions", json=b) for b in bodies)
    ]
    assert in_proc == over_http
    assert [status for status, _ in in_proc] == [200, 200, 200, 400]


def test_one_route_table_serves_the_server_and_the_transport() -> None:
    from glm_transport.emulator.engine import ROUTES

    bodies = {
        "/chat/completions": {"model": "glm-5.3", "messages": [{"role": "user", "content": "a"}]},
        "/embeddings": {"model": "embedding-3", "input": ["a", "b"]},
        "/rerank": {"model": "rerank", "query": "a", "documents": ["a", "b"]},
        "/layout_parsing": {"model": "glm-ocr", "file": "data:image/png;base64,iVBORw0KGgo="},
        "/web_search": {"search_engine": "search-prime", "search_query": "a"},
        "/reader": {"url": "https://example.com/a"},
    }
    assert set(ROUTES) == set(bodies)  # a new endpoint: one entry there, one body here
    requests = [
        ("POST", prefix + suffix, body)
        for suffix, body in bodies.items()
        for prefix in ("/api/paas/v4", "/api/coding/paas/v4", "")
    ]
    requests += [("POST", "/api/paas/v4/nowhere", {}), ("POST", "/api/paas/v4/reranks", {}),
                 ("GET", "/api/paas/v4/rerank", None), ("GET", "/chat/completions", None)]  # fmt: skip

    def send(http: httpx.Client, root: str) -> list[tuple[int, str, bytes]]:
        replies = [http.request(m, root + path, json=body) for m, path, body in requests]
        return [(r.status_code, r.headers["content-type"], r.content) for r in replies]

    with EmulatorServer() as server, httpx.Client() as http:
        over_http = send(http, f"http://{server.host}:{server.port}")
        served_http = server.state.requests
    transport = EmulatorTransport()
    with httpx.Client(transport=transport) as local:
        in_proc = send(local, "http://glm-emulator.invalid")
    assert in_proc == over_http
    served = 3 * len(bodies)  # each body at three prefixes
    assert [status for status, _, _ in in_proc] == [200] * served + [404, 404, 405, 405]
    assert transport.state.requests == served_http == served  # what no route serves: not counted


async def test_the_transport_works_async() -> None:
    transport = EmulatorTransport()
    transport.script.reply("async scripted")
    client = AsyncGLMClient(
        resolve_settings(base_url=EMULATOR_URL, api_key="k"), httpx.AsyncClient(transport=transport)
    )
    request = ChatRequest(model="glm-5.3", messages=[{"role": "user", "content": "x"}])
    assert (await chat.acomplete(client, request)).content == "async scripted"
    assert (await embeddings.aembed(client, ["a", "b"])).vectors


def test_fixtures_script_the_server(glm_emulator: EmulatorServer, glm_script: Script) -> None:
    glm_script.reply("from the fixture")
    client = GLMClient(resolve_settings(base_url=glm_emulator.base_url, api_key="k"))
    assert ask(client, "x").content == "from the fixture"
    assert glm_emulator.request(0).last_user == "x"


def test_a_plain_pattern_with_a_lone_parenthesis_is_plain_text() -> None:
    # Tried as a regex too, "(" failed to compile on every request: HTTP 500 for all of them.
    client, emu = in_process()
    emu.script.on(user="price (USD", reply="42 dollars")
    assert ask(client, "what is the price (USD?").content == "42 dollars"
    assert ask(client, "something else").content  # unmatched: the default answer, not a 500


def test_a_re_pattern_that_is_no_regex_is_refused_when_the_rule_is_made() -> None:
    with pytest.raises(ValueError, match="not a regular expression"):
        Script().on(user="re:price (USD", reply="x")


def test_a_rejected_request_does_not_use_up_the_next_scripted_reply() -> None:
    client, emu = in_process()
    emu.script.reply("the scripted answer")
    messages = [{"role": "user", "content": "hi"}]
    with pytest.raises(E.NotFoundError):  # the API answers 1211: no such model
        chat.complete(client, ChatRequest(model="gpt-4o", messages=messages))
    assert ask(client, "hi").content == "the scripted answer"


# ---- rules on any message, on the tool result that ends the conversation, on several patterns ----


def send(client: GLMClient, messages: list[dict[str, Any]]) -> str:
    return chat.complete(client, ChatRequest(model="glm-5.3", messages=messages)).content or ""


def weather_turn(output: str, tool: str = "get_weather") -> list[dict[str, Any]]:
    """A user question, the assistant's call to ``tool``, and the tool's result (no name on it)."""
    call = {"id": "call_1", "type": "function", "function": {"name": tool, "arguments": "{}"}}
    return [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": output},
    ]


def test_a_message_rule_matches_any_message_not_only_the_last_user_one() -> None:
    client, emu = in_process()
    emu.script.on(message="Context: the refund policy", reply="Policy-grounded answer.")
    grounded = [
        {"role": "system", "content": "Answer from the context."},
        {"role": "user", "content": "Context: the refund policy allows 30 days."},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": "How long do I have?"},
    ]
    assert send(client, grounded) == "Policy-grounded answer."
    # An assistant's tool call (its name and arguments) is part of its message's text.
    emu.script.on(message='"city": "Lyon"', reply="Lyon seen in a call.")
    lyon = weather_turn("Rain")
    lyon[1]["tool_calls"][0]["function"]["arguments"] = '{"city": "Lyon"}'
    assert send(client, lyon) == "Lyon seen in a call."
    assert send(client, [{"role": "user", "content": "How long do I have?"}]).startswith(
        "GLM emulator reply to"
    )


def test_a_tool_rule_matches_the_tool_result_the_conversation_ends_with() -> None:
    client, emu = in_process()
    emu.script.on(tool="get_weather", tool_output="Sunny", reply="It is sunny in Paris.")
    emu.script.on(tool="get_weather", reply="Some weather came back.")
    emu.script.on(tool_output="timeout", reply="A tool timed out.")
    # The tool message carries only tool_call_id: the name comes from the assistant's call.
    assert send(client, weather_turn("Sunny, 24C")) == "It is sunny in Paris."
    assert send(client, weather_turn("Rain, 12C")) == "Some weather came back."
    assert send(client, weather_turn("timeout after 5s", tool="get_time")) == "A tool timed out."
    # Same output from another tool: the name condition fails.
    assert send(client, weather_turn("Sunny", tool="get_time")).startswith("Based on the tools")
    # The result is no longer last (the user spoke after it): no tool rule applies.
    later = [*weather_turn("Sunny"), {"role": "user", "content": "thanks"}]
    assert send(client, later).startswith("GLM emulator reply to")


def test_a_tool_rule_sees_every_result_of_a_parallel_call() -> None:
    client, emu = in_process()
    emu.script.on(tool="get_time", tool_output="noon", reply="Time seen.")
    calls = [
        {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": "{}"}}
        for i, n in enumerate(["get_time", "get_weather"])
    ]
    messages = [
        {"role": "user", "content": "time and weather?"},
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": "c0", "content": "noon"},
        {"role": "tool", "tool_call_id": "c1", "content": "noon rain"},
    ]
    assert send(client, messages) == "Time seen."
    # Both conditions must hold on the same result: get_weather's "noon rain" is not get_time's.
    messages[2]["content"] = "midnight"
    assert send(client, messages).startswith("Based on the tools")


def test_a_list_of_patterns_must_all_match_without_lookaheads() -> None:
    client, emu = in_process()
    emu.script.on(user=["refund", "order 42"], reply="Refunding order 42.")
    emu.script.on(message=["re:^You are a judge", "Answer: Paris"], reply="YES")
    assert ask(client, "refund for order 42 please").content == "Refunding order 42."
    assert ask(client, "order 42: I want a refund").content == "Refunding order 42."
    assert ask(client, "refund for order 43").content.startswith("GLM emulator reply to")
    judged = [
        {"role": "system", "content": "You are a judge. Say YES or NO."},
        {"role": "user", "content": "Question: capital of France? Answer: Paris"},
    ]
    assert send(client, judged) == "YES"
    judged[1]["content"] = "Question: capital of France? Answer: Lyon"
    assert send(client, judged) != "YES"


def test_new_conditions_load_from_a_script_file(tmp_path: Path) -> None:
    data = {
        "rules": [
            {"when": {"message": ["alpha", "beta"]}, "reply": "both"},
            {"when": {"tool": "get_weather", "tool_output": "Sunny"}, "reply": "sunny"},
        ]
    }
    path = tmp_path / "script.json"
    path.write_text(json.dumps(data))
    client, _ = in_process(Script.load(path))
    two = [
        {"role": "user", "content": "alpha"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "beta"},
    ]
    assert send(client, two) == "both"
    assert send(client, weather_turn("Sunny")) == "sunny"


@pytest.mark.parametrize("bad", [[], ["ok", 3], "re:(unclosed"])
def test_a_malformed_condition_is_refused_when_the_rule_is_made(bad: Any) -> None:
    with pytest.raises(ValueError, match="message"):
        Script().on(message=bad, reply="x")


QUESTIONS = [f"question {i}: what is {i} times {i}?" for i in range(8)]


def judge_messages(i: int) -> list[dict[str, Any]]:
    # Every request shares the system prompt and starts alike; only one message tells them apart.
    return [
        {"role": "system", "content": "You grade answers."},
        {"role": "user", "content": QUESTIONS[i]},
        {"role": "assistant", "content": f"The answer is {i * i}."},
        {"role": "user", "content": "Is that right?"},
    ]


def scripted_for_each_question(script: Script) -> None:
    for i in range(len(QUESTIONS)):
        script.on(message=[f"question {i}:", f"answer is {i * i}."], reply=f"verdict {i}")


def test_concurrent_threads_each_get_the_reply_their_messages_call_for() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with EmulatorServer() as server:
        scripted_for_each_question(server.script)
        client = GLMClient(resolve_settings(base_url=server.base_url, api_key="k"))
        order = [i % len(QUESTIONS) for i in range(24)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            replies = list(pool.map(lambda i: send(client, judge_messages(i)), order))
    assert replies == [f"verdict {i}" for i in order]


async def test_concurrent_tasks_each_get_the_reply_their_messages_call_for() -> None:
    import asyncio

    transport = EmulatorTransport()
    scripted_for_each_question(transport.script)
    client = AsyncGLMClient(
        resolve_settings(base_url=EMULATOR_URL, api_key="k"), httpx.AsyncClient(transport=transport)
    )

    async def one(i: int) -> str:
        request = ChatRequest(model="glm-5.3", messages=judge_messages(i))
        return (await chat.acomplete(client, request)).content or ""

    order = [7 - i % 8 for i in range(16)]
    assert await asyncio.gather(*(one(i) for i in order)) == [f"verdict {i}" for i in order]
