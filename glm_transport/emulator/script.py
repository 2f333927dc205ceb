"""Scripted replies: tell the emulator what to answer, in Python or in a JSON/YAML file.

Three levels, tried in order for each chat request:

* the **queue**: the next request gets the next reply (:meth:`Script.reply`);
* **rules**: when the last user message or the system prompt matches (substring or regex), or
  when given tools are offered, answer with a reply (:meth:`Script.on`);
* a **callback**: a function from the request body to a reply, or ``None`` (:meth:`Script.use`).

A request nothing matches gets the emulator's own heuristic answer, or, in ``strict`` mode, an
error saying it was not scripted (a test can insist on "only what I scripted"). A reply can be
text, reasoning, tool calls, JSON, an error (status and GLM business code) or a fault; the
emulator renders it in GLM's real wire shape, streamed or not, as the request asks.

Rerank requests (``/rerank``) take none of the above but **rerank rules**, rules with a ``query``
condition matched against the request's ``query`` (``query=""`` matches every one); their reply
is an error or a fault, and otherwise the emulator scores the documents itself. Rerank rules never
answer chat requests, strict mode does not apply to rerank, and the queue and the callback are for
chat only.

A script file (``python -m glm_transport.emulator --script FILE``)::

    {"strict": false,
     "queue": [{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
               {"text": "Sunny in Paris."}],
     "rules": [{"when": {"user": "refund"}, "reply": {"error": {"status": 429, "code": "1302"}}},
               {"when": {"query": "outage"}, "reply": {"error": [429, "1305"]}}]}
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
from typing import Any

__all__ = ["Rule", "Script", "ScriptedReply"]


@dataclass
class ScriptedReply:
    """What to answer.

    ``json`` becomes the text; ``error`` is ``(status, code)`` or a dict with ``status``, ``code``
    and ``message``; ``fault`` holds emulator fault fields (``disconnect_after``,
    ``chunk_delay`` ...).
    """

    text: str | None = None
    reasoning: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    json: Any = None
    error: dict[str, Any] | None = None
    fault: dict[str, Any] = field(default_factory=dict)

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
        unknown = set(data) - {"text", "reasoning", "json", "fault"}
        if unknown:
            raise ValueError(f"unknown scripted reply fields {sorted(unknown)}")
        return cls(tool_calls=calls, error=error, **data)

    @property
    def content(self) -> str:
        """The reply text: ``json`` serialised when given, else ``text``."""
        if self.json is not None:
            return json.dumps(self.json, ensure_ascii=False)
        return self.text or ""


def _call(call: Any) -> dict[str, Any]:
    """``("name", {args})`` or ``{"name": ..., "arguments": ...}`` to a tool call spec."""
    if isinstance(call, (tuple, list)):
        name, arguments = call
    else:
        name, arguments = call["name"], call.get("arguments", {})
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return {"name": str(name), "arguments": arguments}


@dataclass
class Rule:
    """Answer ``reply`` when every given condition holds; ``times`` limits how often.

    A rule with a ``query`` condition answers rerank requests only; the others, chat requests only.
    """

    reply: ScriptedReply
    user: str | None = None
    system: str | None = None
    tools: list[str] | None = None
    times: int | None = None
    used: int = 0
    query: str | None = None

    def __post_init__(self) -> None:
        """Refuse, when the rule is made, a ``re:`` pattern that is not a regex."""
        for name in ("user", "system", "query"):
            pattern = getattr(self, name)
            if isinstance(pattern, str) and pattern.startswith("re:"):
                try:
                    re.compile(pattern[3:])
                except re.error as exc:
                    raise ValueError(
                        f"rule condition {name}={pattern!r} is not a regular expression ({exc}); "
                        "drop the 're:' prefix to match it as plain text"
                    ) from None

    @property
    def for_rerank(self) -> bool:
        """Whether the rule answers rerank requests (it has a ``query`` condition)."""
        return self.query is not None

    def matches(self, body: Mapping[str, Any]) -> bool:
        """Whether the rule has uses left and ``body`` meets every given condition."""
        if self.times is not None and self.used >= self.times:
            return False
        if self.query is not None:
            return _found(self.query, str(body.get("query") or ""))
        messages = body.get("messages") or []
        if self.user is not None and not _found(self.user, _last(messages, "user")):
            return False
        if self.system is not None and not _found(self.system, _last(messages, "system")):
            return False
        if self.tools is not None:
            offered = {(t.get("function") or {}).get("name") for t in body.get("tools") or [] if t}
            if not set(self.tools) <= offered:
                return False
        return True


def _last(messages: list[Any], role: str) -> str:
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == role:
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, Mapping))
            return str(content or "")
    return ""


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
        user: str | None = None,
        system: str | None = None,
        tools: list[str] | None = None,
        query: str | None = None,
        reply: ScriptedReply | Mapping[str, Any] | str,
        times: int | None = None,
    ) -> Script:
        """Answer ``reply`` whenever the conditions hold (the first matching rule wins).

        Args:
            user: Matches the last user message (substring, or regex, see ``_found``).
            system: Matches the last system message.
            tools: Every one of these function tools is offered.
            query: Matches a rerank request's ``query``: the rule answers rerank requests only,
                and its reply must be an ``error`` or a ``fault``.
            reply: What to answer (see :meth:`ScriptedReply.of`).
            times: Answer at most this many times.

        Raises:
            ValueError: A ``query`` rule with chat conditions or a chat reply.
        """
        said = ScriptedReply.of(reply)
        if query is not None:
            if user is not None or system is not None or tools is not None:
                raise ValueError("a rerank rule (query=) takes no user, system or tools condition")
            if (
                said.text is not None
                or said.reasoning is not None
                or said.tool_calls
                or (said.json is not None)
            ):
                raise ValueError("a rerank rule (query=) answers with an error or a fault only")
        with self._lock:
            self._rules.append(Rule(said, user, system, tools, times, query=query))
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

    def _take_rule(self, body: dict[str, Any], rerank: bool) -> ScriptedReply | None:
        for rule in self._rules:
            if rule.for_rerank == rerank and rule.matches(body):
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
