"""Scripted replies: tell the emulator what to answer, in Python or in a JSON/YAML file.

Three levels, tried in order for each chat request:

* the **queue**: the next request gets the next reply (:meth:`Script.reply`);
* **rules**: when every condition the rule gives holds, answer with its reply (:meth:`Script.on`).
  The conditions: ``user`` (the last user message), ``system`` (the last system message),
  ``message`` (any message of any role: its text, and an assistant's tool-call names and
  arguments), ``tool`` and ``tool_output`` (the conversation ends with a tool result of that tool
  / whose text matches), and ``tools`` (these function tools are offered). A text condition is a
  pattern (a plain substring, also tried as a regex when it compiles as one; ``re:`` for a regex
  only) or a list of patterns that must all match, so "both words" needs no regex lookahead;
* a **callback**: a function from the request body to a reply, or ``None`` (:meth:`Script.use`).

A request nothing matches gets the emulator's own heuristic answer, or, in ``strict`` mode, an
error saying it was not scripted (a test can insist on "only what I scripted"). A reply can be
text, reasoning, tool calls, JSON, an error (status and GLM business code) or a fault; the
emulator renders it in GLM's real wire shape, streamed or not, as the request asks.

Rerank requests (``/rerank``) take none of the above but **rerank rules**, rules with a ``query``
condition matched against the request's ``query`` (``query=""`` matches every one); their reply
is an error or a fault, and otherwise the emulator scores the documents itself. Rerank rules never
answer chat requests, strict mode does not apply to rerank, and the queue and the callback are for
chat only. OCR requests (``/layout_parsing``) likewise take only **OCR rules**, rules with a
``file`` condition matched against the request's ``file`` (a URL or a data URI; ``file=""``
matches every one); their reply is an error, a fault, or ``text``: the Markdown of every page
read (``{page}`` becomes the page number).

A script file (``python -m glm_transport.emulator --script FILE``)::

    {"strict": false,
     "queue": [{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
               {"text": "Sunny in Paris."}],
     "rules": [{"when": {"user": "refund"}, "reply": {"error": {"status": 429, "code": "1302"}}},
               {"when": {"message": ["order 42", "re:cancel(led)?"]}, "reply": "Cancelled."},
               {"when": {"tool": "get_weather", "tool_output": "Sunny"},
                "reply": "It is sunny.", "times": 1},
               {"when": {"query": "outage"}, "reply": {"error": [429, "1305"]}}]}

Rules are matched under the script's lock, so concurrent requests (an evaluation kit's batch, a
``ToolNode``'s parallel calls) each get the reply their own messages call for.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

__all__ = ["Rule", "Script", "ScriptedReply"]


@dataclass
class ScriptedReply:
    """What to answer.

    ``json`` becomes the text; ``error`` is ``(status, code)`` or a dict with ``status``, ``code``
    and ``message``; ``fault`` holds emulator fault fields (``disconnect_after``,
    ``chunk_delay`` ...). ``tool_calls`` are function calls (``("name", {args})`` or
    ``{"name": ..., "arguments": ...}``) or MCP calls GLM made itself (``{"mcp": {"type":
    "mcp_call", "server_label": ..., "name": ..., "arguments": ..., "output": ...}}``).
    ``finish_reason`` replaces the one the reply would get (``"length"`` with ``reasoning`` and no
    text: thinking used up ``max_tokens``). ``nested_as_strings``: object and array arguments
    arrive as JSON strings (GLM-5.2/5.3 with ``$defs`` schemas). ``web_search``: the search
    records a reply to a request offering the ``web_search`` tool carries (``[]``: no results, as
    a key without balance gets); ``None``: the emulator's own results for the query.
    """

    text: str | None = None
    reasoning: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    json: Any = None
    error: dict[str, Any] | None = None
    fault: dict[str, Any] = field(default_factory=dict)
    finish_reason: str | None = None
    nested_as_strings: bool = False
    web_search: list[dict[str, Any]] | None = None

    @classmethod
    def of(cls, value: ScriptedReply | Mapping[str, Any] | str) -> ScriptedReply:
        """A reply from its short forms: a string is text; a dict names the fields."""
        if isinstance(value, ScriptedReply):
            return value
        if isinstance(value, str):
            return cls(text=value)
        data = dict(value)
        calls = [_call(c) for c in data.pop("tool_calls", None) or []]
        error = data.pop("error", None)
        if isinstance(error, (tuple, list)):
            error = {"status": error[0], "code": str(error[1])}
        known = {
            "text",
            "reasoning",
            "json",
            "fault",
            "finish_reason",
            "nested_as_strings",
            "web_search",
        }
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown scripted reply fields {sorted(unknown)}")
        if data.get("web_search") is not None and not isinstance(data["web_search"], list):
            raise ValueError("web_search must be a list of search records ([] for no results)")
        return cls(tool_calls=calls, error=error, **data)

    @property
    def content(self) -> str:
        """The reply text: ``json`` serialised when given, else ``text``."""
        if self.json is not None:
            return json.dumps(self.json, ensure_ascii=False)
        return self.text or ""


_MCP_KINDS = ("mcp_list_tools", "mcp_call")


def _call(call: Any) -> dict[str, Any]:
    """A tool call spec: ``{"name", "arguments"}`` for a function, ``{"mcp": {...}}`` for MCP.

    A function call is ``("name", {args})`` or ``{"name": ..., "arguments": ...}``; an MCP call is
    ``{"mcp": {...}}`` (or ``{"type": "mcp", "mcp": {...}}``) with ``type`` ``mcp_call`` (the
    default) or ``mcp_list_tools``; its ``arguments`` become a JSON string as GLM sends them.
    """
    if isinstance(call, Mapping) and "mcp" in call:
        mcp = dict(call["mcp"])
        mcp.setdefault("type", "mcp_call")
        if mcp["type"] not in _MCP_KINDS:
            raise ValueError(f"mcp type must be one of {list(_MCP_KINDS)}, not {mcp['type']!r}")
        if "server_label" not in mcp:
            raise ValueError("an mcp tool call needs a server_label")
        if "arguments" in mcp and not isinstance(mcp["arguments"], str):
            mcp["arguments"] = json.dumps(mcp["arguments"], ensure_ascii=False)
        return {"mcp": mcp}
    if isinstance(call, (tuple, list)):
        name, arguments = call
    else:
        name, arguments = call["name"], call.get("arguments", {})
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return {"name": str(name), "arguments": arguments}


Patterns: TypeAlias = str | list[str]
"""A text condition: one pattern, or a list of patterns that must all match."""

_TEXT_CONDITIONS = ("user", "system", "message", "tool_output", "query", "file")


@dataclass
class Rule:
    """Answer ``reply`` when every given condition holds; ``times`` limits how often.

    A rule with a ``query`` condition answers rerank requests only; the others, chat requests only.
    The text conditions (``user``, ``system``, ``message``, ``tool_output``, ``query``) take a
    pattern or a list of patterns, all of which must match.
    """

    reply: ScriptedReply
    user: Patterns | None = None
    system: Patterns | None = None
    tools: list[str] | None = None
    times: int | None = None
    used: int = 0
    query: Patterns | None = None
    message: Patterns | None = None
    tool: str | None = None
    tool_output: Patterns | None = None
    file: Patterns | None = None
    """Matches an OCR request's ``file``: the rule answers OCR requests only."""

    def __post_init__(self) -> None:
        """Refuse, when the rule is made, a ``re:`` pattern that is not a regex, or an empty list."""
        for name in _TEXT_CONDITIONS:
            value = getattr(self, name)
            if value is None:
                continue
            patterns = [value] if isinstance(value, str) else value
            if not isinstance(patterns, list) or not patterns:
                raise ValueError(
                    f"rule condition {name}={value!r} must be a pattern or a non-empty list of "
                    "patterns"
                )
            for pattern in patterns:
                if not isinstance(pattern, str):
                    raise ValueError(f"rule condition {name}: {pattern!r} is not a string")
                if pattern.startswith("re:"):
                    try:
                        re.compile(pattern[3:])
                    except re.error as exc:
                        raise ValueError(
                            f"rule condition {name}={pattern!r} is not a regular expression "
                            f"({exc}); drop the 're:' prefix to match it as plain text"
                        ) from None

    @property
    def for_rerank(self) -> bool:
        """Whether the rule answers rerank requests (it has a ``query`` condition)."""
        return self.query is not None

    @property
    def for_ocr(self) -> bool:
        """Whether the rule answers OCR requests (it has a ``file`` condition)."""
        return self.file is not None

    def matches(self, body: Mapping[str, Any]) -> bool:
        """Whether the rule has uses left and ``body`` meets every given condition."""
        if self.times is not None and self.used >= self.times:
            return False
        if self.file is not None:
            return _all_found(self.file, [str(body.get("file") or "")])
        if self.query is not None:
            return _all_found(self.query, [str(body.get("query") or "")])
        messages = [m for m in body.get("messages") or [] if isinstance(m, Mapping)]
        if self.user is not None and not _all_found(self.user, [_last(messages, "user")]):
            return False
        if self.system is not None and not _all_found(self.system, [_last(messages, "system")]):
            return False
        if self.message is not None and not _all_found(
            self.message, [_message_text(m) for m in messages]
        ):
            return False
        if (self.tool is not None or self.tool_output is not None) and not any(
            (self.tool is None or name == self.tool)
            and (self.tool_output is None or _all_found(self.tool_output, [text]))
            for name, text in _ending_tool_results(messages)
        ):
            return False
        if self.tools is not None:
            offered = {(t.get("function") or {}).get("name") for t in body.get("tools") or [] if t}
            if not set(self.tools) <= offered:
                return False
        return True


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return str(content or "")


def _last(messages: list[Mapping[str, Any]], role: str) -> str:
    for message in reversed(messages):
        if message.get("role") == role:
            return _text(message.get("content"))
    return ""


def _message_text(message: Mapping[str, Any]) -> str:
    """A message's text; for an assistant's tool calls, their names and arguments too."""
    parts = [_text(message.get("content"))]
    for call in message.get("tool_calls") or []:
        if isinstance(call, Mapping):
            function = call.get("function") or {}
            parts += [str(function.get("name") or ""), str(function.get("arguments") or "")]
    return "\n".join(p for p in parts if p)


def _ending_tool_results(messages: list[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(tool name, text) of the tool results the conversation ends with, after its last turn.

    GLM's tool messages carry a ``tool_call_id``, not the tool's name: the name comes from the
    assistant turn that made the call (or a ``name`` field, when a client sends one).
    """
    ending: list[Mapping[str, Any]] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        ending.append(message)
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls") or []:
            if isinstance(call, Mapping) and call.get("id"):
                names[str(call["id"])] = str((call.get("function") or {}).get("name") or "")
    return [
        (str(m.get("name") or names.get(str(m.get("tool_call_id")), "")), _text(m.get("content")))
        for m in reversed(ending)
    ]


def _all_found(patterns: Patterns, texts: list[str]) -> bool:
    """Whether every pattern is found in at least one of ``texts``."""
    wanted = [patterns] if isinstance(patterns, str) else patterns
    return all(any(_found(pattern, text) for text in texts) for pattern in wanted)


def _found(pattern: str, text: str) -> bool:
    """A plain substring, or a regex when it is one (``re:`` prefix, or a pattern that compiles).

    A pattern that does not compile (a lone ``(`` in plain text) is plain text only.
    """
    if pattern.startswith("re:"):
        return re.search(pattern[3:], text) is not None
    if pattern in text:
        return True
    compiled = _as_regex(pattern)
    return compiled is not None and compiled.search(text) is not None


@functools.lru_cache(maxsize=256)
def _as_regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


class Script:
    """The scripted replies of one emulator (thread-safe: a server answers from its own thread)."""

    def __init__(self, strict: bool = False) -> None:
        """An empty script; in ``strict`` mode, a request nothing matches gets an error."""
        self.strict = strict
        self._lock = threading.Lock()
        self._queue: deque[ScriptedReply] = deque()
        self._rules: list[Rule] = []
        self._callback: Callable[[dict[str, Any]], Any] | None = None

    def reply(self, *replies: ScriptedReply | Mapping[str, Any] | str, **fields: Any) -> Script:
        """Queue replies: ``script.reply("Hi")``, ``script.reply(tool_calls=[("f", {...})])``."""
        with self._lock:
            for value in replies:
                self._queue.append(ScriptedReply.of(value))
            if fields:
                self._queue.append(ScriptedReply.of(fields))
        return self

    def on(
        self,
        *,
        user: Patterns | None = None,
        system: Patterns | None = None,
        tools: list[str] | None = None,
        query: Patterns | None = None,
        message: Patterns | None = None,
        tool: str | None = None,
        tool_output: Patterns | None = None,
        file: Patterns | None = None,
        reply: ScriptedReply | Mapping[str, Any] | str,
        times: int | None = None,
    ) -> Script:
        """Answer ``reply`` whenever every given condition holds (the first matching rule wins).

        A text condition is a pattern (a substring, also tried as a regex when it compiles as one;
        ``re:`` for a regex only) or a list of patterns that must all match.

        Args:
            user: Matches the last user message.
            system: Matches the last system message.
            tools: Every one of these function tools is offered.
            query: Matches a rerank request's ``query``: the rule answers rerank requests only,
                and its reply must be an ``error`` or a ``fault``.
            message: Matches any message of any role (each pattern may match a different one):
                its text, and an assistant's tool-call names and arguments.
            tool: The conversation ends with a result of this tool (the run of tool messages
                after the last assistant turn; the name comes from the call's id).
            tool_output: The conversation ends with a tool result whose text matches (with
                ``tool``: a result of that tool).
            file: Matches an OCR request's ``file`` (a URL or a data URI): the rule answers OCR
                requests only, with an ``error``, a ``fault`` or ``text`` (every page's Markdown).
            reply: What to answer (see :meth:`ScriptedReply.of`).
            times: Answer at most this many times.

        Raises:
            ValueError: A ``query`` rule with chat conditions or a chat reply; a ``re:`` pattern
                that is no regex; an empty list of patterns.
        """
        said = ScriptedReply.of(reply)
        chat_conditions = (user, system, tools, message, tool, tool_output)
        if query is not None:
            if any(c is not None for c in chat_conditions):
                raise ValueError(
                    "a rerank rule (query=) takes no user, system, tools, message, tool or "
                    "tool_output condition"
                )
            if (
                said.text is not None
                or said.reasoning is not None
                or said.tool_calls
                or (said.json is not None)
            ):
                raise ValueError("a rerank rule (query=) answers with an error or a fault only")
        if file is not None:
            if query is not None or any(c is not None for c in chat_conditions):
                raise ValueError("an OCR rule (file=) takes no other condition")
            if said.reasoning is not None or said.tool_calls or said.json is not None:
                raise ValueError("an OCR rule (file=) answers with text, an error or a fault only")
        rule = Rule(
            said,
            user,
            system,
            tools,
            times,
            query=query,
            message=message,
            tool=tool,
            tool_output=tool_output,
            file=file,
        )
        with self._lock:
            self._rules.append(rule)
        return self

    def use(self, callback: Callable[[dict[str, Any]], Any]) -> Script:
        """Answer with ``callback(body)`` when it returns a reply (``None``: not this one)."""
        self._callback = callback
        return self

    def clear(self) -> None:
        """Drop every queued reply, rule and the callback."""
        with self._lock:
            self._queue.clear()
            self._rules.clear()
            self._callback = None

    @property
    def pending(self) -> int:
        """Queued replies not yet taken."""
        return len(self._queue)

    def answer(self, body: dict[str, Any]) -> ScriptedReply | None:
        """The scripted reply for ``body``, or ``None`` when nothing is scripted for it."""
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            found = self._take_rule(body, rerank=False)
            if found is not None:
                return found
        if self._callback is not None:
            called = self._callback(body)
            if called is not None:
                return ScriptedReply.of(called)
        return None

    def answer_rerank(self, body: dict[str, Any]) -> ScriptedReply | None:
        """The reply of the first rerank rule matching ``body``, or ``None``."""
        with self._lock:
            return self._take_rule(body, rerank=True)

    def answer_ocr(self, body: dict[str, Any]) -> ScriptedReply | None:
        """The reply of the first OCR rule matching ``body``, or ``None``."""
        with self._lock:
            return self._take_rule(body, rerank=False, ocr=True)

    def _take_rule(
        self, body: dict[str, Any], rerank: bool, ocr: bool = False
    ) -> ScriptedReply | None:
        for rule in self._rules:
            if rule.for_rerank == rerank and rule.for_ocr == ocr and rule.matches(body):
                rule.used += 1
                return rule.reply
        return None

    @classmethod
    def load(cls, source: str | Path | Mapping[str, Any]) -> Script:
        """A script from a JSON or YAML file (or the parsed dict)."""
        data: Any = source
        if not isinstance(source, Mapping):
            path = Path(source)
            text = path.read_text("utf-8")
            if path.suffix in (".yaml", ".yml"):
                import yaml  # PyYAML comes with langchain-core and llama-index-core

                data = yaml.safe_load(text)
            else:
                data = json.loads(text)
        script = cls(strict=bool(data.get("strict", False)))
        script.reply(*data.get("queue", []))
        for rule in data.get("rules", []):
            when = rule.get("when") or {}
            script.on(reply=rule["reply"], times=rule.get("times"), **when)
        return script
