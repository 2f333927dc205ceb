"""Streamed replies, pure: bytes in, chunks out, and the verdict on how the stream ended. No I/O.

:class:`StreamReader` is all the I/O loop needs: it decodes SSE, stops at ``[DONE]``, turns each
frame into a :class:`StreamChunk` through :class:`StreamState` (which folds tool-call pieces with
:class:`ToolCallAccumulator`), applies the request's reply policy, and at the end of the body
decides whether the answer is complete, cut, abnormal, or missing a required tool call.

Leniency follows the wire reference (§3, §8): ``role`` repeats in every delta, tool-call ``index``
may be ``-1``, a finish chunk may be sent twice, usage may sit in the finish chunk or in a trailing
``choices: []`` chunk, ``error`` may arrive as a frame inside a 200 stream. Usage sent more than
once (gateways that send it growing, in several frames) counts as its last value, and goes out
once, on the stream's last chunk. A choice other than index 0 is refused: only one is asked for.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from glm_transport import errors as E
from glm_transport.arguments import decode_nested, repair_plan
from glm_transport.endpoint import stale_error
from glm_transport.parse import (
    _arguments_text,
    _opt_str,
    _text,
    parse_error,
    parse_usage,
)
from glm_transport.reply import check_reply, check_search
from glm_transport.sse import DONE, SSEDecoder, SSEEvent
from glm_transport.tags import TagSplitter
from glm_transport.types import ChatRequest, StreamChunk, ToolCall, ToolCallDelta

__all__ = ["StreamReader", "StreamState", "ToolCallAccumulator"]

logger = logging.getLogger("glm_transport")


class ToolCallAccumulator:
    """Assembles streamed tool-call pieces into complete calls.

    Keys by GLM's ``index`` but starts a new call when a piece carries a new ``id`` at an index
    already in use, so calls that all say ``index: -1`` or ``0`` (glm-4.5-flash) stay apart. Each
    call gets a stable position 0, 1, 2 ... which is what framework chunk-merging keys on.
    """

    __slots__ = ("_by_wire", "calls")

    def __init__(self) -> None:
        """An accumulator with no calls yet."""
        self.calls: list[ToolCallDelta] = []
        self._by_wire: dict[int, int] = {}

    def add(self, raw: Mapping[str, Any]) -> ToolCallDelta:
        """Fold one wire piece in; returns the piece re-indexed to its stable position."""
        fn = raw.get("function") or {}
        wire_index = raw.get("index")
        call_id = _opt_str(raw.get("id"))
        pos = self._by_wire.get(wire_index) if isinstance(wire_index, int) else None
        if pos is not None and call_id and self.calls[pos].id and self.calls[pos].id != call_id:
            pos = None
        if pos is None and wire_index is None and not call_id and self.calls:
            pos = len(self.calls) - 1  # a continuation with neither index nor id
        name = _text(fn.get("name"))
        args = _arguments_text(fn.get("arguments")) if "arguments" in fn else None
        if pos is None:
            pos = len(self.calls)
            kind = _opt_str(raw.get("type"))
            self.calls.append(ToolCallDelta(pos, call_id, name, args or "", kind))
            if isinstance(wire_index, int):
                self._by_wire[wire_index] = pos
        else:
            _merge(self.calls[pos], call_id, name, args)
        return ToolCallDelta(pos, call_id, name, args, _opt_str(raw.get("type")))

    def continues(self, raw: Mapping[str, Any]) -> bool:
        """Whether the wire piece ``raw`` continues a call already begun (by :meth:`add`'s rules)."""
        wire_index = raw.get("index")
        if isinstance(wire_index, int) and wire_index in self._by_wire:
            return True
        return wire_index is None and not raw.get("id") and bool(self.calls)

    def fold(self, piece: ToolCallDelta) -> None:
        """Fold in a piece :meth:`add` already placed (as a framework assembling chunks does).

        ``piece.index`` is its call's stable position: the next position opens a call, an
        earlier one continues it by the same rules as :meth:`add`.
        """
        calls = self.calls
        if piece.index < len(calls):
            _merge(calls[piece.index], piece.id, piece.name, piece.arguments)
        else:
            calls.append(
                ToolCallDelta(len(calls), piece.id, piece.name, piece.arguments or "", piece.type)
            )

    def complete(self) -> list[ToolCall]:
        """The assembled calls, missing ids, names, arguments and types filled with defaults."""
        return [
            ToolCall(
                id=c.id or f"call_{c.index}",
                name=c.name or "",
                arguments=c.arguments or "",
                type=c.type or "function",
                index=c.index,
            )
            for c in self.calls
        ]


def _merge(call: ToolCallDelta, call_id: str | None, name: str | None, args: str | None) -> None:
    """Continue ``call`` with a piece: its id and name when the call has none, its arguments."""
    if call_id and not call.id:
        call.id = call_id
    if name and not call.name:
        call.name = name
    if args:
        call.arguments = (call.arguments or "") + args


class StreamState:
    """Per-stream decoding state: turns each decoded JSON event into a :class:`StreamChunk`.

    Emits a finish reason once (GLM may send the finish chunk twice), normalises tool-call indices,
    and remembers what it saw so the reader can tell a complete stream from a cut one.
    """

    __slots__ = (
        "answered",
        "error_style",
        "expected_request_id",
        "finish_reason",
        "held",
        "id",
        "max_tool_calls",
        "model",
        "repair",
        "request_id",
        "search",
        "searched",
        "server",
        "structured",
        "structured_text",
        "tags",
        "tools",
        "usage_frame",
    )

    def __init__(self, error_style: str = "glm", max_tool_calls: int | None = None) -> None:
        """Fresh state for one stream; ``max_tool_calls`` caps the calls kept (``None``: no cap)."""
        self.max_tool_calls = max_tool_calls
        self.tools = ToolCallAccumulator()
        self.finish_reason: str | None = None
        self.id: str | None = None
        self.model: str | None = None
        self.request_id: str | None = None
        self.expected_request_id: str | None = None
        self.answered = False
        """Some content came (a reply cut off before any is a ReasoningExhaustedError)."""
        """The ``request_id`` this attempt sent: a frame echoing another is someone else's."""
        self.usage_frame: dict[str, Any] | None = None
        """The last frame that carried ``usage``: the reply's usage is the last one sent."""
        self.tags = TagSplitter()
        self.error_style = error_style
        self.repair: dict[str, dict[str, Any]] | None = None
        """Tools whose nested arguments GLM may send as JSON text (:mod:`.arguments`): their
        calls' arguments are held and go out whole, decoded, on the last chunk."""
        self.structured: str | None = None
        """A routed ``json_schema`` tool: its calls are not handed out; the arguments are the
        content, on the last chunk."""
        self.structured_text = ""
        """Text GLM wrote beside the routed call: the answer only if no call comes."""
        self.held: set[int] = set()
        self.search: dict[str, Any] | None = None
        self.searched = False
        self.server: dict[Any, dict[str, Any]] = {}
        """Calls GLM ran itself, by wire index (or id): their pieces joined, sent on the last
        chunk whole, as a whole reply carries them."""

    def configure(self, request: ChatRequest) -> None:
        """Take the parts of ``request``'s reply policy that shape the chunks."""
        self.max_tool_calls = request.max_tool_calls
        self.structured = request.structured_tool
        if request.tools:
            self.repair = repair_plan(request.tools)
        self.search = request.search

    def finish(self) -> StreamChunk | None:
        """End of stream: content held back while deciding about a tag, if any."""
        content, reasoning = self.tags.flush()
        if not content and not reasoning:
            return None
        return StreamChunk(content=content or None, reasoning_content=reasoning or None)

    def final(self, last: StreamChunk | None) -> StreamChunk | None:
        """The stream's last chunk: ``last`` (or a new one) with the held-back text and the usage.

        Usage goes out once, here, with its last value: frameworks add up the usage of every
        chunk (LangChain) or keep the latest (LlamaIndex), and a gateway that sends cumulative
        usage in several frames would otherwise be counted by its first, or several times.

        Args:
            last: The chunk to complete (the finish chunk, held back until the end), if any.

        Returns:
            The chunk to hand out last, or ``None`` when there is nothing left to say.

        Raises:
            StreamInterruptedError: The last usage sent is not a usage object.
        """
        content, reasoning = self.tags.flush()
        frame = self.usage_frame
        released = self._release() if self.held else None
        if self.structured is not None:
            # The routed call's arguments are the answer; text beside it is not (as whole).
            text = self.structured_text + (content or "")
            content = self._arguments(self.tools.calls[0]) if self.tools.calls else text
            if self.tools.calls and text.strip():
                logger.info("GLM wrote text beside the json_schema call; the call is the answer")
        server = list(self.server.values()) if self.server else None
        unsaid = self.search is not None and not self.searched
        if last is None:
            if not (content or reasoning or frame is not None or released or server or unsaid):
                return None
            last = StreamChunk(raw=frame)
        if released:
            last.tool_calls = (last.tool_calls or []) + released
        if server:
            last.server_tool_calls = server
        if unsaid:  # offered, none came back: said, not left out
            last.web_search = []
            last.search_args = self.search
        if self.structured is not None and last.finish_reason == "tool_calls":
            last.finish_reason = "stop"  # the routed call is the answer
        if content:  # the tail of the text: after what ``last`` already carries
            last.content = (last.content or "") + content
        if reasoning:
            last.reasoning_content = (last.reasoning_content or "") + reasoning
        if frame is not None:
            usage = frame["usage"]
            try:
                last.usage = parse_usage(usage)
            except (AttributeError, TypeError, ValueError) as exc:
                raise E.StreamInterruptedError(
                    f"GLM sent a stream usage of an unexpected shape ({exc}): {str(usage)[:200]!r}",
                    request_id=self.request_id,
                ) from None
            if last.raw is not frame:
                # Token counters read usage from the last chunk's raw frame: give it the last one.
                last.raw = {**(last.raw or {}), "usage": usage}
        return last

    def _arguments(self, call: ToolCallDelta) -> str:
        """A call's whole arguments, nested values sent as JSON text decoded."""
        args = call.arguments or ""
        schema = self.repair.get(call.name or "") if self.repair else None
        return decode_nested(call.name or "", args, schema) if schema is not None else args

    def _release(self) -> list[ToolCallDelta]:
        """The held calls' arguments, whole: one piece per call, at its stable position."""
        cap = self.max_tool_calls
        calls = self.tools.calls
        return [
            ToolCallDelta(pos, None, None, self._arguments(calls[pos]), None)
            for pos in sorted(self.held)
            if cap is None or pos < cap
        ]

    def _serve(self, tc: dict[str, Any]) -> bool:
        """Keep ``tc`` if it is (a piece of) a call GLM ran itself; whether it was."""
        wire_index = tc.get("index")
        key = wire_index if isinstance(wire_index, int) else tc.get("id")
        joined = self.server.get(key) if key is not None else None
        if joined is None:
            if tc.get("type") in (None, "function") and (
                isinstance(tc.get("function"), Mapping) or self.tools.continues(tc)
            ):
                return False  # a function call, or a piece of one
            record = {k: v for k, v in tc.items() if k != "index"}
            self.server[key if key is not None else len(self.server)] = record
            return True
        if isinstance(tc.get("function"), Mapping):
            return False  # a function call reusing the wire index: placed by the accumulator
        _join(joined, tc)
        return True

    def _place(self, raw_calls: list[Any], chunk: StreamChunk) -> list[ToolCallDelta]:
        """Fold wire pieces in; what to hand out now (held and server calls are not)."""
        out = []
        for tc in raw_calls:
            if self._serve(tc):
                continue
            piece = self.tools.add(tc)
            if self.structured is not None:
                continue  # the routed json_schema call: its arguments become the content
            repair = self.repair
            if repair is not None:
                name = self.tools.calls[piece.index].name
                if piece.index in self.held or name is None or name in repair:
                    self.held.add(piece.index)
                    piece.arguments = None  # out whole, decoded, on the last chunk
            out.append(piece)
        return out

    def _invalid_calls(self) -> list[str] | None:
        calls = self.tools.calls
        if self.max_tool_calls is not None:
            calls = calls[: self.max_tool_calls]
        # A call without a name cannot be run either: no tool answers to "".
        bad = [
            c.name or "" for c in calls if not c.name or not _is_json_object(c.arguments or "{}")
        ]
        return bad or None

    def process(self, data: Any) -> StreamChunk | None:
        """One event's JSON to a chunk; ``None`` when it carries nothing new.

        The per-chunk hot path: a plain text delta costs this call and :meth:`_delta`. Usage is
        not put on the chunk but kept for :meth:`final`.

        Raises:
            APIError: The frame is an ``error`` frame (typed by its code), or carries a choice
                other than index 0 (:class:`~glm_transport.errors.ServerError`, not retried).
            StreamInterruptedError: The frame is not a JSON object or has an unexpected shape.
        """
        if type(data) is not dict:
            raise E.StreamInterruptedError(
                f"GLM sent a stream frame that is not a JSON object: {str(data)[:200]!r}",
                request_id=self.request_id,
            )
        if data.get("error"):
            raise parse_error(None, data, error_style=self.error_style)
        try:
            chunk = StreamChunk(raw=data)
            if self.id is None:
                self.id = _opt_str(data.get("id"))
                echoed = _opt_str(data.get("request_id"))
                expected = self.expected_request_id
                if expected is not None and echoed is not None and echoed != expected:
                    raise stale_error(echoed, expected)
                self.request_id = echoed or self.id
                self.model = _opt_str(data.get("model"))
                chunk.id, chunk.model, chunk.request_id = self.id, self.model, self.request_id
            choices = data.get("choices")
            if choices:
                choice = choices[0]
                if choice.get("index") or len(choices) > 1:  # missing or None: the one choice
                    raise _other_choice(choices, self.request_id)
                delta = choice.get("delta")
                if delta:
                    self._delta(delta, chunk)
                reason = choice.get("finish_reason")
                if reason and self.finish_reason is None:
                    self.finish_reason = chunk.finish_reason = _text(reason)
                    if self.tools.calls and self.structured is None:
                        chunk.invalid_tool_calls = self._invalid_calls()
            if data.get("usage"):
                # Kept, not sent: the last usage seen is the reply's (:meth:`final` sends it once).
                self.usage_frame = data
            if data.get("web_search") and not self.searched:  # sent once; a repeat adds nothing
                chunk.web_search = list(data["web_search"])
                chunk.search_args = self.search
                self.searched = True
            return chunk
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            raise E.StreamInterruptedError(
                f"GLM sent a stream frame of an unexpected shape ({exc}): {str(data)[:200]!r}",
                request_id=self.request_id,
            ) from None

    def _delta(self, delta: dict[str, Any], chunk: StreamChunk) -> None:
        content = delta.get("content")
        reasoning = delta.get("reasoning_content")
        # The common case (a str or None) inline, _text (which raises) for anything else: the two
        # calls this saves a frame pay for the choice-index check in process().
        if content is not None and content.__class__ is not str:
            content = _text(content)
        if reasoning is not None and reasoning.__class__ is not str:
            reasoning = _text(reasoning)
        if content:
            self.answered = True
            content, tagged = self.tags.feed(content)
            if tagged:  # GLM-4.5V's <think> inside content
                reasoning = (reasoning or "") + tagged
            if self.structured is not None and content:
                self.structured_text += content  # the answer only if no call comes
                content = None
        chunk.content = content
        chunk.reasoning_content = reasoning
        raw_calls = delta.get("tool_calls")
        if raw_calls:
            calls = self._place(raw_calls, chunk)
            if self.max_tool_calls is not None:  # the reply policy: drop the extra calls
                calls = [d for d in calls if d.index < self.max_tool_calls]
            chunk.tool_calls = calls or None


_STREAMED_TEXT = frozenset({"arguments", "output"})
"""A server call's fields that may arrive in pieces (as a function call's arguments do)."""


def _join(record: dict[str, Any], piece: dict[str, Any]) -> None:
    """Continue a server call's record with a later piece.

    Streamed text (``arguments``, ``output``) is appended; any other field keeps the value of the
    first piece that had it.
    """
    for key, value in piece.items():
        have = record.get(key)
        if key == "index" or value is None:
            continue
        if isinstance(have, dict) and isinstance(value, Mapping):
            inner = dict(have)
            for k, v in value.items():
                if k in _STREAMED_TEXT and isinstance(inner.get(k), str) and isinstance(v, str):
                    inner[k] += v
                elif inner.get(k) is None:
                    inner[k] = v
            record[key] = inner
        elif have is None:
            record[key] = value


def _usage_of(frame: dict[str, Any] | None) -> Any:
    """The usage of the frame that carried it last, if any (for an error's ``usage``)."""
    if frame is None:
        return None
    try:
        return parse_usage(frame.get("usage"))
    except (TypeError, ValueError, AttributeError):
        return None


def _other_choice(choices: list[Any], request_id: str | None) -> E.ServerError:
    """The error for a frame carrying a choice other than the one asked for (index 0)."""
    indices = [c.get("index") if isinstance(c, Mapping) else None for c in choices]
    other = next((i for i in indices if i), None)
    said = f"choice index {other!r}" if other else f"{len(choices)} choices in one frame"
    # Not retried: a gateway that fans out choices does so again; each attempt is billed.
    return E.ServerError(
        f"GLM streamed {said}; only one choice (index 0) was asked for",
        request_id=request_id,
        retryable=False,
    )


_scan_once = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _loads(text: str) -> Any:
    """``json.loads`` for one frame, without its per-call wrapping.

    A GLM frame is one compact object, so the scanner ends at the text's end; anything else takes
    the full, strict way.
    """
    try:
        obj, end = _scan_once(text, 0)
    except StopIteration:
        return json.loads(text)  # leading whitespace, or not JSON: json.loads says which
    if end != len(text):
        return json.loads(text)  # trailing whitespace, or extra data
    return obj


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


class StreamReader:
    """One streamed reply: feed it the body's reads, then :meth:`finish` it at the end of the body.

    It owns every end-of-stream rule, so the I/O loops only move bytes: ``[DONE]`` ends the
    stream; a body that ends without ``[DONE]`` or a finish reason is cut; a connection lost after
    the finish reason only lost ``[DONE]`` (:meth:`only_end_lost`); an abnormal finish reason raises
    its typed error; the reply policy (``required_tool``, ``max_tool_calls``) holds.

    The finish chunk is held back until the stream ends (``[DONE]``, or the body's end), so that it
    goes out last, carrying the reply's last usage and any text held back; a repeated finish chunk
    or a trailing usage chunk is folded into it.
    """

    __slots__ = ("_decoder", "_held", "done", "empty_answer", "required_tool", "started", "state")

    def __init__(self, request: ChatRequest | None = None, error_style: str = "glm") -> None:
        """A reader for one attempt at ``request``, whose reply policy it enforces."""
        self.state = StreamState(error_style)
        if request is not None:
            self.state.configure(request)
        self.required_tool = request.required_tool if request else None
        self.empty_answer = request.empty_answer if request else "raise"
        self._decoder = SSEDecoder()
        self._held: StreamChunk | None = None
        self.done = False
        """``[DONE]`` was read."""
        self.started = False
        """A chunk has been handed out: from here on the call cannot be retried."""

    @property
    def request_id(self) -> str | None:
        """The request id GLM sent, once a chunk carried it."""
        return self.state.request_id

    def expect(self, request_id: str | None) -> None:
        """The ``request_id`` this attempt sent: a stream echoing another is refused, unread."""
        self.state.expected_request_id = request_id

    def feed(self, raw: bytes) -> Iterator[StreamChunk]:
        """Chunks completed by one network read; sets :attr:`done` at ``[DONE]``."""
        return self._chunks(self._decoder.feed(raw))

    def finish(self) -> Iterator[StreamChunk]:
        """End of the body: what was held back, then raise unless the reply is complete."""
        if not self.done:
            yield from self._chunks(self._decoder.flush())
            if not self.done:  # [DONE] ended it already, or here is the end
                yield from self._end()
        state = self.state
        if not self.done and state.finish_reason is None:
            raise E.StreamInterruptedError(
                "GLM's stream ended before a finish reason or [DONE]; the answer is incomplete",
                request_id=state.request_id,
            )
        calls = state.tools.calls
        if state.max_tool_calls is not None:
            calls = calls[: state.max_tool_calls]
        check_reply(
            state.finish_reason,
            [c.name or "" for c in calls],
            self.required_tool,
            state.request_id,
            None,
            answered=state.answered,
            empty_answer=self.empty_answer,
            usage=_usage_of(state.usage_frame),
        )
        check_search(state.search, state.searched, state.request_id)

    def only_end_lost(self, err: E.GLMError) -> bool:
        """Whether ``err``, a failure while reading, cost nothing.

        It did if GLM had already sent its finish reason: only ``[DONE]`` was lost and the answer is
        complete.
        """
        return (
            isinstance(err, E.APIConnectionError)
            and err.retryable
            and self.state.finish_reason is not None
        )

    def failure(self, err: E.GLMError) -> E.GLMError:
        """What a failure while reading means.

        A lost connection once chunks went out is a
        :class:`~glm_transport.errors.StreamInterruptedError`; anything else is ``err``.
        """
        if self.started and isinstance(err, E.APIConnectionError) and err.retryable:
            return E.StreamInterruptedError(
                f"GLM's stream broke off: {err.message}", request_id=self.state.request_id
            )
        return err

    def _chunks(self, events: list[SSEEvent]) -> Iterator[StreamChunk]:
        state = self.state
        for event in events:
            data = event.data
            if data == DONE:
                self.done = True
                yield from self._end()
                return
            if event.event == "error":
                try:
                    payload: Any = json.loads(data)
                except ValueError:
                    payload = data
                raise parse_error(None, payload, error_style=state.error_style)
            try:
                obj = _loads(data)
            except (ValueError, RecursionError):
                raise E.StreamInterruptedError(
                    f"GLM sent a stream frame that is not JSON: {data[:200]!r}",
                    request_id=state.request_id,
                ) from None
            chunk = state.process(obj)
            if chunk is None:
                continue
            if state.finish_reason is not None:  # the finish chunk, or a frame after it
                yield from self._after_finish(chunk)
                continue
            self.started = True
            yield chunk

    def _after_finish(self, chunk: StreamChunk) -> Iterator[StreamChunk]:
        """Hold the finish chunk back; let out what follows it only if it carries content."""
        held = self._held
        if chunk.finish_reason is not None:
            self._held = chunk
            return
        if not (
            chunk.content
            or chunk.reasoning_content
            or chunk.tool_calls
            or chunk.web_search
            or chunk.server_tool_calls
        ):
            return  # a repeated finish chunk, or the usage chunk: its usage is on the state
        if held is not None:  # content after the finish (not GLM's wire): keep the order
            self._held = None
            self.started = True
            yield held
        self.started = True
        yield chunk

    def _end(self) -> Iterator[StreamChunk]:
        """The stream's last chunk: the held finish chunk, with the last usage and held text."""
        last = self.state.final(self._held)
        self._held = None
        if last is not None:
            self.started = True
            yield last
