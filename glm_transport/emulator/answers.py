"""What the emulator answers, decided purely from the request body and a fault. No I/O.

Replies are deterministic: the same request gives the same bytes, so cassettes authored against the
emulator replay exactly. Behaviour, in the order it is decided:

* unknown model -> 400/1211; no user message, more than one stop word, temperature or top_p out of
  range, a ``tool_choice`` other than ``auto`` -> 400/1214 (as the official API documents); what
  the model catalogue says the API rejects (thinking off on glm-5.3: 1210, an unknown
  ``reasoning_effort``, ``max_tokens`` over the model's output limit);
* function tools offered and fewer tool results since the last user message than tools -> a call to
  the next tool (each tool once per user turn; ``parallel`` calls them all at once), arguments made up
  from the tool's JSON schema and the numbers and names in the user's message;
* otherwise an answer: ``reasoning_content`` first unless thinking is disabled (longer for more
  ``reasoning_effort``), then ``content`` (a JSON object in JSON mode); ``stop`` and
  ``max_tokens`` are honoured;
* shapes asked for by a script or a fault: thinking that used up ``max_tokens`` (finish
  ``length``, reasoning, ``content: ""``), object and array arguments as JSON strings (GLM-5.2/5.3
  with ``$defs``), MCP tool calls GLM ran itself (``type: "mcp"``; they end the turn with
  ``stop`` unless a function call comes too);
* a request offering GLM's ``web_search`` tool gets a top-level ``web_search`` array
  (:func:`~glm_transport.emulator.search.search_results` for its query), unless the script gives
  its own records or none.

Every model the catalogue knows is served by the same rules, its own facts deciding what is
refused (glm-5.4 as glm-5.3: reasoning first, tools, its 128K output limit).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from glm_transport.emulator.faults import Fault, error_body
from glm_transport.emulator.ids import body_seed, reply_ids
from glm_transport.emulator.prompts import (
    example_args,
    framework_json,
    json_reply,
    rag_answer,
    react_reply,
    text_of,
    word_hints,
)
from glm_transport.emulator.script import ScriptedReply
from glm_transport.emulator.search import search_results
from glm_transport.models import model_spec

__all__ = ["Reply", "plan_reply"]


@dataclass
class Reply:
    """One decided reply: text, reasoning, tool calls, finish reason and usage, or an error."""

    id: str
    model: str
    reasoning: str
    content: str
    tool_calls: list[dict[str, Any]]
    finish_reason: str
    usage: dict[str, Any]
    web_search: list[dict[str, Any]] | None = None
    error: tuple[int, dict[str, Any]] | None = None


def _tool_call(tool: dict[str, Any], call_no: int, user_text: str, seed: str) -> dict[str, Any]:
    fn = tool["function"]
    params = fn.get("parameters") or {}
    args = example_args(params, params.get("$defs", {}), fn["name"], word_hints(user_text))
    if not isinstance(args, dict):
        args = {}
    return {
        "id": f"call_{seed[:16]}{call_no}",
        "type": "function",
        "function": {"name": fn["name"], "arguments": json.dumps(args, ensure_ascii=False)},
    }


def _validate(
    body: dict[str, Any], request_id: str, coding: bool = False
) -> tuple[int, dict[str, Any]] | None:
    model = body.get("model")
    if not isinstance(model, str) or "glm" not in model.lower():
        return error_body("1211", None, request_id)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return error_body("1214", None, request_id)
    if not any(isinstance(m, dict) and m.get("role") == "user" for m in messages):
        return error_body("1214", None, request_id)
    if isinstance(body.get("stop"), list) and len(body["stop"]) > 1:
        return error_body(
            "1214", "Invalid stop parameter: only one stop word is supported", request_id
        )
    t = body.get("temperature")
    if t is not None and not (isinstance(t, (int, float)) and 0 <= t <= 1):
        return error_body("1214", "Invalid temperature parameter", request_id)
    p = body.get("top_p")
    if p is not None and not (isinstance(p, (int, float)) and 0.01 <= p <= 1):
        return error_body("1214", "Invalid top_p parameter", request_id)
    if body.get("tool_choice", "auto") != "auto":
        return error_body(
            "1214", "Invalid tool_choice parameter: only auto is supported", request_id
        )
    return _check_model_rules(body, request_id, coding)


def _check_model_rules(
    body: dict[str, Any], request_id: str, coding: bool
) -> tuple[int, dict[str, Any]] | None:
    """What the catalogue says the real API rejects for this model (wire reference §8)."""
    spec = model_spec(str(body["model"]))
    if not spec.known:
        return None
    provider = "zai-coding" if coding else "zai"
    if (body.get("thinking") or {}).get("type") == "disabled" and (
        spec.disabled_for(provider) == "rejected"
    ):
        use = ", ".join(spec.efforts or ())
        return error_body(
            "1210",
            f"This model always engages in thinking and cannot be disabled; please use {use}",
            request_id,
        )
    effort = body.get("reasoning_effort")
    levels = spec.efforts_for(provider)
    if effort is not None and levels is not None and effort not in levels:
        # GLM's texts (wire reference §9.3): the Coding Plan names its enum; pay-as-you-go says
        # which levels to use.
        if coding:
            text = f"reasoning_effort must be one of: {', '.join(levels)}"
        else:
            text = f"Invalid reasoning_effort: {effort}; please use {', '.join(levels)}"
        return error_body("1210", text, request_id)
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, int) and max_tokens > spec.max_output_tokens:
        return error_body(
            "1214", f"max_tokens must be in the range [1,{spec.max_output_tokens}]", request_id
        )
    return None


def _words(n: int) -> int:
    return max(1, n)


def _usage(
    messages: list[dict[str, Any]], n_tools: int, out_tokens: int, reasoning_tokens: int
) -> dict[str, Any]:
    prompt_tokens = sum(_words(len(text_of(m.get("content")).split()) + 4) for m in messages)
    prompt_tokens += 12 * n_tools
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": out_tokens,
        "total_tokens": prompt_tokens + out_tokens,
        # Cached prefixes are counted in blocks of 64 tokens (seen on glm-5.3-flash, §8).
        "prompt_tokens_details": {
            "cached_tokens": (prompt_tokens // 2 // 64 * 64) if len(messages) > 1 else 0
        },
        "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
    }


def _scripted(
    body: dict[str, Any], said: ScriptedReply, request_id: str, seed: str, fault: Fault
) -> Reply:
    """A scripted reply in the shape the heuristics give theirs (ids, usage, finish reason)."""
    model = str(body.get("model", ""))
    if said.error is not None:
        return Reply(
            request_id, model, "", "", [], "", {}, error=scripted_error(said.error, request_id)
        )
    calls = [_scripted_call(c, i, seed) for i, c in enumerate(said.tool_calls)]
    if said.nested_as_strings or "nested_as_strings" in fault.quirks:
        calls = nested_as_strings(calls)
    thinking = (body.get("thinking") or {}).get("type", "enabled") != "disabled"
    reasoning = (said.reasoning or "") if thinking else ""
    content = said.content
    functions = sum(1 for c in calls if c["type"] == "function")
    out_tokens = len(content.split()) + len(reasoning.split()) + 8 * len(calls)
    usage = _usage(
        body["messages"], len(body.get("tools") or []), out_tokens, len(reasoning.split())
    )
    # MCP calls ran on GLM's side: only function calls end the turn with "tool_calls".
    finish = said.finish_reason or fault.finish_reason or ("tool_calls" if functions else "stop")
    reply = Reply(request_id, model, reasoning, content, calls, finish, usage)
    if fault.exhaust_reasoning:
        reply = _exhausted(reply, body)
    if said.web_search is not None:
        reply.web_search = list(said.web_search) if _offers_search(body) else None
    else:
        reply.web_search = _web_search(body, fault)
    return reply


def _scripted_call(call: dict[str, Any], i: int, seed: str) -> dict[str, Any]:
    """A script's tool call in GLM's wire shape: a ``function`` call, or an ``mcp`` record."""
    call_id = f"call_{seed[:16]}{i}"
    if "mcp" in call:
        # BigModel's chat response schema: tool_calls[].type "mcp" with mcp {id, type
        # (mcp_list_tools | mcp_call), server_label, error, tools, arguments, name, output}
        # (docs.bigmodel.cn api-reference 对话补全; glm-platform.md §4).
        return {"id": call_id, "type": "mcp", "mcp": {"id": f"mcp_{seed[:12]}{i}", **call["mcp"]}}
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": call["name"], "arguments": call["arguments"]},
    }


def nested_as_strings(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    r"""Function calls whose object and array arguments are JSON strings.

    GLM-5.2/5.3 answer schemas with ``$defs``/``$ref`` this way (issue 23; pydantic-ai inlines
    definitions for GLM-5.3 for this reason): ``{"address": "{\"city\": \"Paris\"}"}``
    where ``{"address": {"city": "Paris"}}`` was meant.
    """
    out = []
    for call in calls:
        function = call.get("function")
        if call.get("type") != "function" or not isinstance(function, dict):
            out.append(call)
            continue
        try:
            args = json.loads(function["arguments"])
        except ValueError:
            out.append(call)
            continue
        if isinstance(args, dict):
            args = {
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
                for k, v in args.items()
            }
        arguments = json.dumps(args, ensure_ascii=False)
        out.append({**call, "function": {**function, "arguments": arguments}})
    return out


def _exhausted(reply: Reply, body: dict[str, Any]) -> Reply:
    """Thinking that used up ``max_tokens``: the reasoning, no text or calls, finish ``length``.

    As recorded (wire reference §8): ``content: ""`` and ``finish_reason: "length"``, streamed and
    not; the whole budget counts as reasoning tokens.
    """
    max_tokens = body.get("max_tokens")
    spent = max_tokens if isinstance(max_tokens, int) else max(1, len(reply.reasoning.split()))
    usage = dict(reply.usage)
    prompt = int(usage.get("prompt_tokens", 0))
    usage.update(
        completion_tokens=spent,
        total_tokens=prompt + spent,
        completion_tokens_details={"reasoning_tokens": spent},
    )
    reply.content, reply.tool_calls, reply.finish_reason, reply.usage = "", [], "length", usage
    return reply


def _offers_search(body: dict[str, Any]) -> bool:
    return any(
        isinstance(t, dict) and t.get("type") == "web_search" for t in body.get("tools") or []
    )


def _web_search(body: dict[str, Any], fault: Fault) -> list[dict[str, Any]] | None:
    """The ``web_search`` records of a reply to a request offering GLM's ``web_search`` tool.

    The in-chat tool (wire reference §2, glm-platform.md §2): ``{"type": "web_search",
    "web_search": {"enable", "search_engine", "search_query", "count" ...}}``; the reply carries
    a top-level ``web_search`` array. The query is ``search_query``, else the last user message;
    ``enable: false`` searches nothing; the ``no_search_results`` quirk (a key without balance:
    200, no array) returns none.
    """
    tool = next(
        (
            t
            for t in body.get("tools") or []
            if isinstance(t, dict) and t.get("type") == "web_search"
        ),
        None,
    )
    if tool is None or "no_search_results" in fault.quirks:
        return None
    given = tool.get("web_search")
    options: dict[str, Any] = given if isinstance(given, dict) else {}
    if options.get("enable") is False:
        return None
    query = options.get("search_query")
    if not isinstance(query, str) or not query.strip():
        query = _last_user_text(body.get("messages") or [])
    count = options.get("count")
    engine = options.get("search_engine")
    # Z.ai documents search_pro_jina as the in-chat engine (wire reference §2).
    records = search_results(
        query,
        count if isinstance(count, int) and not isinstance(count, bool) else 10,
        engine if isinstance(engine, str) and engine else "search_pro_jina",
    )
    return records or None


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return text_of(message.get("content"))
    return ""


# More thought for more effort: the reasoning text is the base sentence times this.
_EFFORT_LENGTH = {"none": 0, "minimal": 0, "low": 1, "medium": 2, "high": 2, "xhigh": 3, "max": 3}


def scripted_error(error: dict[str, Any], request_id: str) -> tuple[int, dict[str, Any]]:
    """(status, GLM error envelope) for a script's ``error``: its code, message and status."""
    status, payload = error_body(str(error.get("code", "500")), error.get("message"), request_id)
    return int(error.get("status", status)), payload


def rejection(body: dict[str, Any], coding: bool = False) -> tuple[int, dict[str, Any]] | None:
    """The error the real API answers ``body`` with, if any.

    Checked before a script is asked, so a rejected request never uses up a scripted reply.
    """
    return _validate(body, reply_ids(body)[1], coding)


def plan_reply(
    body: dict[str, Any],
    fault: Fault,
    coding: bool = False,
    scripted: ScriptedReply | None = None,
) -> Reply:
    """Decide the whole reply for ``body``.

    ``coding``: sent to a Coding Plan endpoint; ``scripted``: what a test's script says to answer,
    in place of the heuristics.
    """
    seed = body_seed(body)
    request_id = reply_ids(body, seed)[1]
    model = str(body.get("model", ""))
    empty_usage: dict[str, Any] = {}
    if fault.is_error:
        code = fault.code or "500"
        status, payload = error_body(code, fault.message, request_id)
        return Reply(
            request_id, model, "", "", [], "", empty_usage, error=(fault.status or status, payload)
        )
    invalid = _validate(body, request_id, coding)
    if invalid is not None:
        return Reply(request_id, model, "", "", [], "", empty_usage, error=invalid)
    if scripted is not None:
        return _scripted(body, scripted, request_id, seed, fault)

    messages = body["messages"]
    react = react_reply(messages)
    if react is not None and not body.get("tools"):
        reasoning, content = react, react
        reasoning = (
            ""
            if (body.get("thinking") or {}).get("type") == "disabled"
            else ("Following the ReAct format.")
        )
        out_tokens = len(content.split()) + len(reasoning.split())
        usage = _usage(messages, 0, out_tokens, len(reasoning.split()))
        return Reply(request_id, model, reasoning, content, [], "stop", usage)
    last_user = max(i for i, m in enumerate(messages) if m.get("role") == "user")
    user_text = text_of(messages[last_user].get("content"))
    tool_results = [m for m in messages[last_user + 1 :] if m.get("role") == "tool"]
    tools = [t for t in body.get("tools") or [] if t.get("type") == "function"]
    if fault.ignore_tools:
        tools = []
    thinking = (body.get("thinking") or {}).get("type", "enabled") != "disabled"

    calls: list[dict[str, Any]] = []
    content = ""
    # Each offered tool is called once per user turn, in order; a conversation that ends on an
    # assistant turn (an agent's structured-response step) still gets its call.
    called = {
        (tc.get("function") or {}).get("name")
        for m in messages[last_user + 1 :]
        if m.get("role") == "assistant"
        for tc in m.get("tool_calls") or []
    }
    pending = [t for t in tools if t["function"]["name"] not in called]
    if pending and messages[-1].get("role") in ("user", "tool", "assistant"):
        todo = pending if fault.parallel else pending[:1]
        calls = [_tool_call(t, len(called) + i, user_text, seed) for i, t in enumerate(todo)]
        reasoning = (
            f"The user asks: {user_text[:80]}. I should call {calls[0]['function']['name']}."
        )
    elif tool_results:
        results = "; ".join(text_of(m.get("content")) for m in tool_results)
        reasoning = "I have the tool results; now I answer."
        content = f"Based on the tools: {results}."
    else:
        reasoning = f"The user asks: {user_text[:80]}. I will answer directly."
        content = (
            framework_json(user_text)
            or rag_answer(user_text)
            or f"GLM emulator reply to: {user_text[:200]}"
        )
    if fault.content is not None:
        content = fault.content * max(fault.repeat, 1)
    effort = body.get("reasoning_effort")
    if isinstance(effort, str) and effort in _EFFORT_LENGTH:
        reasoning = " ".join([reasoning] * _EFFORT_LENGTH[effort])
    if not calls and (body.get("response_format") or {}).get("type") == "json_object":
        content = json_reply(messages, content)
    if fault.chunks is not None and not calls:
        content = "".join(f"t{i} " for i in range(fault.chunks))
    if not thinking:
        reasoning = ""

    finish = "tool_calls" if calls else "stop"
    stop = body.get("stop")
    if stop and not calls:
        for word in [stop] if isinstance(stop, str) else stop:
            cut = content.find(word)
            if cut >= 0:
                content = content[:cut]
    out_tokens = len(content.split()) + len(reasoning.split()) + 8 * len(calls)
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, int) and out_tokens > max_tokens:
        words = (reasoning + " " + content).split()[:max_tokens]
        keep_reason = len(reasoning.split())
        reasoning = " ".join(words[:keep_reason])
        content = " ".join(words[keep_reason:])
        calls, finish, out_tokens = [], "length", max_tokens
    if fault.finish_reason:
        finish = fault.finish_reason
    if "cut_args" in fault.quirks:  # arguments cut mid-JSON, as max_tokens leaves them
        calls = [
            {**c, "function": {**c["function"], "arguments": c["function"]["arguments"][:-3]}}
            for c in calls
        ]
    if "think_tags" in fault.quirks and not calls:
        # GLM-4.5V: reasoning and the answer box inside `content` (Z.ai / BigModel OpenAPI).
        content = f"<think>{reasoning}</think><|begin_of_box|>{content}<|end_of_box|>"
        reasoning = ""

    if "nested_as_strings" in fault.quirks:
        calls = nested_as_strings(calls)
    usage = _usage(messages, len(tools), out_tokens, len(reasoning.split()))
    reply = Reply(request_id, model, reasoning, content, calls, finish, usage)
    if fault.exhaust_reasoning:
        reply = _exhausted(reply, body)
    reply.web_search = _web_search(body, fault)
    return reply
