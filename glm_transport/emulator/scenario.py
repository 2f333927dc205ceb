"""What the emulator answers, decided purely from the request body and a fault spec. No I/O.

Replies are deterministic: the same request gives the same bytes, so cassettes authored against the
emulator replay exactly. Behaviour, in the order it is decided:

* unknown model -> 400/1211; no user message, more than one stop word, temperature or top_p out of
  range, a ``tool_choice`` other than ``auto`` -> 400/1214 (as the official API documents);
* function tools offered and fewer tool results since the last user message than tools -> a call to
  the next tool (each tool once per user turn; ``parallel`` calls them all at once), arguments made up
  from the tool's JSON schema and the numbers and names in the user's message;
* otherwise an answer: ``reasoning_content`` first unless thinking is disabled, then ``content``
  (a JSON object in JSON mode); ``stop`` and ``max_tokens`` are honoured.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from glm_transport.models import model_spec

__all__ = ["ERRORS", "Fault", "Reply", "plan_reply", "render_body", "render_frames"]

CREATED = 1763769600  # fixed, so replies are byte-for-byte reproducible

# Documented error bodies (wire reference §4): code -> (HTTP status, message).
ERRORS: dict[str, tuple[int, str]] = {
    "500": (500, "Internal Error"),
    "1000": (401, "Authentication Failed"),
    "1001": (401, "Authentication parameter not received in Header"),
    "1002": (401, "Invalid Authentication Token"),
    "1003": (401, "Authentication Token expired"),
    "1113": (429, "Your account is in arrears, please recharge"),
    "1210": (400, "Incorrect API call parameters"),
    "1211": (400, "Model does not exist, please check the model code"),
    "1213": (400, "The prompt parameter was not received normally"),
    "1214": (400, "The messages parameter is illegal"),
    "1215": (400, "Parameters cannot be set simultaneously"),
    "1234": (500, "Network error, error id: emulator"),
    "1261": (400, "Prompt exceeds max length"),
    "1301": (400, "System detected potentially unsafe or sensitive content in input or generation"),
    "1302": (
        429,
        "High concurrency usage of this API, please reduce concurrency or contact customer service to increase limits",
    ),
    "1303": (429, "High frequency usage of this API, please reduce frequency"),
    "1304": (429, "The daily call limit for this API has been reached"),
    "1305": (429, "The service may be temporarily overloaded, please try again later"),
    "1308": (429, "Usage limit reached for 5 hour. Your limit will reset at 2026-11-22 05:00:00"),
    "1310": (429, "Weekly/Monthly Limit Exhausted"),
    "1312": (429, "The model is experiencing high traffic, please try again later"),
}


@dataclass
class Fault:
    """Per-request fault injection and reply shaping; every field optional."""

    status: int | None = None
    code: str | None = None
    message: str | None = None
    retry_after: float | None = None
    retry_after_ms: int | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    disconnect_after: int | None = None
    malformed_after: int | None = None
    error_frame_after: int | None = None
    error_frame_code: str = "1234"
    no_done: bool = False
    drop_finish: bool = False
    finish_reason: str | None = None
    chunks: int | None = None
    content: str | None = None
    html: bool = False
    """Answer the error status with an HTML page (a gateway's 502, wire reference §8)."""
    repeat: int = 1
    """``content`` repeated this many times (a long frame without a long fault header)."""
    parallel: bool = False
    ignore_tools: bool = False
    reset_at_end: bool = False
    """Drop the connection after the last frame instead of ending the response cleanly."""
    abort: bool = False
    """Send 200 headers, then drop the connection before any body (a reset mid-response)."""
    batch: int = 16
    drip: float = 0.0
    """Send the body a few bytes at a time, this many seconds apart (a server that drips)."""
    hold_after_done: float = 0.0
    """Keep a stream open this long after ``[DONE]`` (silent, or pinging with ``ping_after_done``)."""
    ping_after_done: bool = False
    quirks: list[str] = field(default_factory=list)
    times: int | None = None
    key: str | None = None

    @classmethod
    def from_json(cls, raw: str | dict[str, Any] | None) -> Fault:
        if not raw:
            return cls()
        data = json.loads(raw) if isinstance(raw, str) else dict(raw)
        if "code" in data and data["code"] is not None:
            data["code"] = str(data["code"])
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def is_error(self) -> bool:
        return self.status is not None or self.code is not None


@dataclass
class Reply:
    id: str
    model: str
    reasoning: str
    content: str
    tool_calls: list[dict[str, Any]]
    finish_reason: str
    usage: dict[str, Any]
    web_search: list[dict[str, Any]] | None = None
    error: tuple[int, dict[str, Any]] | None = None


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def error_body(code: str, message: str | None, request_id: str) -> tuple[int, dict[str, Any]]:
    status, default = ERRORS.get(code, (400, "Error"))
    return status, {
        "error": {"code": code, "message": message or default},
        "request_id": request_id,
    }


def _example(
    schema: dict[str, Any], defs: dict[str, Any], name: str, hints: dict[str, list[Any]]
) -> Any:
    if "$ref" in schema:
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _example(options[0] if options else {}, defs, name, hints)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _example(v, defs, k, hints) for k, v in props.items()}
    if kind == "array":
        return [_example(schema.get("items", {}), defs, name, hints)]
    if kind == "integer":
        return int(hints["numbers"].pop(0)) if hints["numbers"] else 2
    if kind == "number":
        return float(hints["numbers"].pop(0)) if hints["numbers"] else 2.5
    if kind == "boolean":
        return True
    return hints["words"][0] if hints["words"] else name


def _hints(text: str) -> dict[str, list[Any]]:
    numbers = list(re.findall(r"-?\d+(?:\.\d+)?", text))
    # Single-quoted strings, then capitalised words not opening a sentence (a place, a name), make
    # plausible string arguments.
    words = re.findall(r"'([^']{2,60})'", text)
    words += re.findall(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z]+\b", text.strip())
    return {"numbers": numbers, "words": words}


def _find_schema(prompt: str) -> dict[str, Any] | None:
    start = prompt.find("{")
    while start >= 0:
        try:
            schema, _ = json.JSONDecoder().raw_decode(prompt[start:])
        except ValueError:
            schema = None
        if isinstance(schema, dict) and "properties" in schema:
            return schema
        start = prompt.find("{", start + 1)
    return None


def _json_reply(messages: list[dict[str, Any]], answer: str) -> str:
    """JSON mode: follow a schema or the quoted keys the prompt asks for, else {"answer": ...}."""
    prompt = " ".join(_text_of(m.get("content")) for m in messages)
    # Prompt templates sometimes leave their brace escapes in ("{{" for "{").
    schema = _find_schema(prompt) or _find_schema(prompt.replace("{{", "{").replace("}}", "}"))
    if schema is not None:
        value = _example(schema, schema.get("$defs", {}), "answer", _hints(prompt))
        return json.dumps(value, ensure_ascii=False)
    keys = re.findall(r"'([a-z_]{2,30})'", prompt)
    if keys:
        return json.dumps({k: f"{k} ({answer[:40]})" for k in dict.fromkeys(keys)})
    return json.dumps({"answer": answer}, ensure_ascii=False)


def _tool_call(tool: dict[str, Any], call_no: int, user_text: str, seed: str) -> dict[str, Any]:
    fn = tool["function"]
    params = fn.get("parameters") or {}
    args = _example(params, params.get("$defs", {}), fn["name"], _hints(user_text))
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
        levels = ", ".join(spec.efforts or ())
        return error_body(
            "1210",
            f"This model always engages in thinking and cannot be disabled; please use {levels}",
            request_id,
        )
    effort = body.get("reasoning_effort")
    if effort is not None and spec.efforts is not None and effort not in spec.efforts:
        return error_body("1214", f"Invalid reasoning_effort: {effort}", request_id)
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, int) and max_tokens > spec.max_output_tokens:
        return error_body(
            "1214", f"max_tokens must be in the range [1,{spec.max_output_tokens}]", request_id
        )
    return None


def _words(n: int) -> int:
    return max(1, n)


def _rag_answer(text: str) -> str | None:
    """Retrieval prompts (context, then "Query:"): answer with the context sentence that shares
    the most words with the query, so RAG demos show retrieval at work."""
    if "Query:" not in text or "Context information" not in text:
        return None
    query = text.rsplit("Query:", 1)[1].split("\n", 1)[0].strip()
    lines = text.split("Query:", 1)[0].splitlines()
    # Drop the template's own lines, metadata ("file_path: ...") and headings; rejoin wrapped text.
    kept = [
        ln.strip()
        for ln in lines
        if ln.strip()
        and not re.match(r"\s*(\w+: |#|-{3,})", ln)
        and not ln.startswith(("Context information", "Given the context"))
    ]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", " ".join(kept)) if s]
    words = {w.lower() for w in re.findall(r"\w{3,}", query)}
    if not sentences:
        return None
    best = max(sentences, key=lambda s: len(words & {w.lower() for w in re.findall(r"\w{3,}", s)}))
    return f"From the retrieved context: {best}"


def _usage(
    messages: list[dict[str, Any]], n_tools: int, out_tokens: int, reasoning_tokens: int
) -> dict[str, Any]:
    prompt_tokens = sum(_words(len(_text_of(m.get("content")).split()) + 4) for m in messages)
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


_REACT_TOOL = re.compile(r"> Tool Name: (\S+)\nTool Description: .*?\nTool Args: (\{.*?\})\n", re.S)


def _react_reply(messages: list[dict[str, Any]]) -> str | None:
    """ReAct agents describe tools in the system prompt and expect Thought/Action/Answer text.
    Each described tool is used once, in order, then the observations are summarised."""
    system = _text_of(messages[0].get("content")) if messages[0].get("role") == "system" else ""
    tools = _REACT_TOOL.findall(system)
    if not tools or "Action Input" not in system:
        return None
    texts = [_text_of(m.get("content")) for m in messages[1:]]
    observations = [t[len("Observation:") :].strip() for t in texts if t.startswith("Observation:")]
    question = next(
        (t for t in reversed(texts) if not t.startswith(("Observation:", "Thought:"))), ""
    )
    if len(observations) < len(tools):
        name, args_schema = tools[len(observations)]
        try:
            schema = json.loads(args_schema)
        except ValueError:
            schema = {}
        args = _example(schema, schema.get("$defs", {}), name, _hints(question))
        return (
            f"Thought: The current language of the user is: English. I need to use a tool to "
            f"help me answer the question.\nAction: {name}\nAction Input: {json.dumps(args)}"
        )
    return (
        "Thought: I can answer without using any more tools. I'll use the user's language to "
        f"answer\nAnswer: Based on the tools: {'; '.join(observations)}."
    )


# More thought for more effort: the reasoning text is the base sentence times this.
_EFFORT_LENGTH = {"none": 0, "minimal": 0, "low": 1, "medium": 2, "high": 2, "xhigh": 3, "max": 3}


def plan_reply(body: dict[str, Any], fault: Fault, coding: bool = False) -> Reply:
    """Decide the whole reply for ``body`` (``coding``: sent to a Coding Plan endpoint)."""
    seed = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    request_id = body.get("request_id") or f"20261122{seed[:22]}"
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

    messages = body["messages"]
    react = _react_reply(messages)
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
    user_text = _text_of(messages[last_user].get("content"))
    tool_results = [m for m in messages[last_user + 1 :] if m.get("role") == "tool"]
    tools = [t for t in body.get("tools") or [] if t.get("type") == "function"]
    if fault.ignore_tools:
        tools = []
    thinking = (body.get("thinking") or {}).get("type", "enabled") != "disabled"

    calls: list[dict[str, Any]] = []
    content = ""
    if tools and len(tool_results) < len(tools) and messages[-1].get("role") in ("user", "tool"):
        todo = tools[len(tool_results) :] if fault.parallel else [tools[len(tool_results)]]
        calls = [_tool_call(t, len(tool_results) + i, user_text, seed) for i, t in enumerate(todo)]
        reasoning = (
            f"The user asks: {user_text[:80]}. I should call {calls[0]['function']['name']}."
        )
    elif tool_results:
        results = "; ".join(_text_of(m.get("content")) for m in tool_results)
        reasoning = "I have the tool results; now I answer."
        content = f"Based on the tools: {results}."
    else:
        reasoning = f"The user asks: {user_text[:80]}. I will answer directly."
        content = _rag_answer(user_text) or f"GLM emulator reply to: {user_text[:200]}"
    if fault.content is not None:
        content = fault.content * max(fault.repeat, 1)
    effort = body.get("reasoning_effort")
    if isinstance(effort, str) and effort in _EFFORT_LENGTH:
        reasoning = " ".join([reasoning] * _EFFORT_LENGTH[effort])
    if not calls and (body.get("response_format") or {}).get("type") == "json_object":
        content = _json_reply(messages, content)
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

    usage = _usage(messages, len(tools), out_tokens, len(reasoning.split()))
    web = None
    if any(t.get("type") == "web_search" for t in body.get("tools") or []):
        web = [
            {
                "title": "Emulated result",
                "content": user_text[:100],
                "link": "https://example.com/result",
                "media": "example",
                "refer": "ref_1",
            }
        ]
    return Reply(request_id, model, reasoning, content, calls, finish, usage, web)


def render_body(reply: Reply, fault: Fault) -> dict[str, Any]:
    """The non-streaming JSON body."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
    if reply.reasoning:
        message["reasoning_content"] = reply.reasoning
    if reply.tool_calls:
        calls = reply.tool_calls
        if "args_object" in fault.quirks:  # Z.ai's OpenAPI types arguments as an object
            calls = [
                {
                    **c,
                    "function": {
                        **c["function"],
                        "arguments": json.loads(c["function"]["arguments"]),
                    },
                }
                for c in calls
            ]
        message["tool_calls"] = calls
    body: dict[str, Any] = {
        "id": reply.id,
        "request_id": reply.id,
        "created": CREATED,
        "model": reply.model,
        "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": reply.finish_reason, "message": message}],
        "usage": reply.usage,
    }
    if reply.web_search:
        body["web_search"] = reply.web_search
    return body


def _pieces(text: str, n: int | None) -> list[str]:
    if not text:
        return []
    if n is not None:
        return [p + " " for p in text.split()]
    return re.findall(r"\S+\s*|\s+", text)


def render_frames(reply: Reply, fault: Fault, tool_stream: bool) -> list[bytes]:
    """The SSE frames of a streamed reply, with the requested quirks and faults applied."""
    quirks = set(fault.quirks)
    head: dict[str, Any] = {"id": reply.id, "created": CREATED, "model": reply.model}
    if "no_object" not in quirks:
        head["object"] = "chat.completion.chunk"
    deltas: list[dict[str, Any]] = []
    for piece in _pieces(reply.reasoning, None):
        deltas.append({"role": "assistant", "reasoning_content": piece})
    for piece in _pieces(reply.content, fault.chunks):
        deltas.append({"role": "assistant", "content": piece})
    index_of = (lambda i: -1) if "index_minus_one" in quirks else (lambda i: i)
    for i, call in enumerate(reply.tool_calls):
        args = call["function"]["arguments"]
        if tool_stream:
            # As recorded (wire reference §8): every fragment repeats index and type, only the
            # first carries id and name, some carry empty arguments, and arguments split
            # mid-token; parallel calls come one after the other.
            first = {
                "index": index_of(i),
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            deltas.append({"role": "assistant", "tool_calls": [first]})
            pieces = [args[j : j + 7] for j in range(0, len(args), 7)]
            pieces.insert(min(1, len(pieces)), "")
            for piece in pieces:
                fragment = {"index": index_of(i), "type": "function"}
                deltas.append(
                    {
                        "role": "assistant",
                        "tool_calls": [{**fragment, "function": {"arguments": piece}}],
                    }
                )
        else:
            deltas.append({"role": "assistant", "tool_calls": [{**call, "index": index_of(i)}]})
    events: list[dict[str, Any]] = [{**head, "choices": [{"index": 0, "delta": d}]} for d in deltas]
    finish: dict[str, Any] = {
        **head,
        "choices": [
            {
                "index": 0,
                "finish_reason": reply.finish_reason,
                "delta": {"role": "assistant", "content": ""},
            }
        ],
    }
    if "usage_separate" in quirks:
        events.append(finish)
        events.append({**head, "choices": [], "usage": reply.usage})
    else:
        events.append({**finish, "usage": reply.usage})
    if "duplicate_finish" in quirks:
        events.append(finish)
    if fault.drop_finish:
        events = events[:-1]
    if reply.web_search and events:
        events[-1] = {**events[-1], "web_search": reply.web_search}

    sep = b"\r\n" if "crlf" in quirks else b"\n"
    frames = []
    for n, event in enumerate(events):
        if fault.malformed_after is not None and n == fault.malformed_after:
            frames.append(b'data: {"id": "broken' + sep + sep)
            break
        if fault.error_frame_after is not None and n == fault.error_frame_after:
            _, payload = error_body(fault.error_frame_code, None, reply.id)
            frames.append(b"data: " + json.dumps(payload).encode() + sep + sep)
            break
        if "comments" in quirks:
            frames.append(b": keep-alive" + sep + sep)
        frames.append(
            b"data: "
            + json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
            + sep
            + sep
        )
    else:
        if not fault.no_done:
            frames.append(b"data: [DONE]" + sep + sep)
    return frames
