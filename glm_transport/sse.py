r"""A pure Server-Sent Events decoder: bytes in, ``data`` payloads out. No I/O.

Follows the WHATWG event-stream grammar (html.spec.whatwg.org, "Parsing an event stream"): lines end
in CRLF, LF or CR; ``:`` starts a comment (keep-alives); an empty line dispatches the event; several
``data:`` lines join with ``\n``. GLM sends only ``data:`` lines, but gateways add comments,
``event:`` lines and CRLF, and network reads split events anywhere.
"""

from __future__ import annotations

from glm_transport.errors import StreamInterruptedError

__all__ = ["DONE", "MAX_EVENT_BYTES", "SSEDecoder", "SSEEvent"]

DONE = "[DONE]"
# No GLM frame comes near this; a larger one is a broken or hostile server, not an answer.
MAX_EVENT_BYTES = 16 * 2**20


class SSEEvent:
    """A dispatched event: its ``event`` name (``message`` when absent) and its ``data``."""

    __slots__ = ("data", "event")

    def __init__(self, data: str, event: str = "message") -> None:
        """An event named ``event`` carrying ``data``."""
        self.data = data
        self.event = event

    def __repr__(self) -> str:
        """The event's name and data."""
        return f"SSEEvent(event={self.event!r}, data={self.data!r})"


class SSEDecoder:
    """Incremental decoder. Feed it network reads; it yields complete events.

    Linear in the bytes fed: a read without a line break is only set aside, and the pieces of an
    unfinished line are joined once, when its end arrives.
    """

    __slots__ = ("_data", "_event", "_pending", "_size")

    def __init__(self) -> None:
        """A decoder with nothing pending."""
        self._pending: list[bytes] = []  # pieces of the current unfinished line
        self._size = 0  # bytes of the current event so far
        self._data: list[str] = []
        self._event = ""

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Decode one network read: the events it completes, in order.

        A list, not a generator: one read holds at most a few hundred events, and the per-chunk path
        stays one frame deep.
        """
        if not chunk:
            return []
        self._size += len(chunk)
        if self._size > MAX_EVENT_BYTES:
            raise StreamInterruptedError(
                f"GLM's stream sent an event over {MAX_EVENT_BYTES} bytes; refusing to buffer more"
            )
        if b"\n" not in chunk and b"\r" not in chunk:
            self._pending.append(chunk)
            return []
        if self._pending:
            self._pending.append(chunk)
            buf = b"".join(self._pending)
            self._pending = []
        else:
            buf = chunk
        if b"\r" in buf:
            # A trailing CR may be the first half of a CRLF split across reads: keep it for later.
            hold_cr = buf.endswith(b"\r")
            ended = buf.splitlines(keepends=True)
            last = ended[-1]
            if hold_cr or not last.endswith((b"\n", b"\r")):
                self._pending.append(last)
                ended.pop()
            lines = [line.rstrip(b"\r\n") for line in ended]
        else:  # the common case, LF only: the last piece is the unfinished line (or b"")
            lines = buf.split(b"\n")
            rest = lines.pop()
            if rest:
                self._pending.append(rest)
        return self._lines(lines)

    def flush(self) -> list[SSEEvent]:
        """End of stream: a final unterminated line still counts; an unfinished event is dispatched."""
        tail = b"".join(self._pending)
        self._pending = []
        # A final unterminated line, then the blank line that ends the stream's last event.
        return self._lines([tail.rstrip(b"\r\n"), b""] if tail else [b""])

    @property
    def pending(self) -> bool:
        """True while part of an event has been read but not dispatched."""
        return bool(self._pending or self._data)

    def _lines(self, lines: list[bytes]) -> list[SSEEvent]:
        """Complete lines (without their ends), in order: the events they dispatch."""
        events: list[SSEEvent] = []
        data = self._data
        for line in lines:
            if line.startswith(b"data: "):  # nearly every line GLM sends
                data.append(line[6:].decode("utf-8", errors="replace"))
            elif line:
                self._field(line)
            elif data:
                events.append(self._dispatch())
            else:
                self._event = ""
        return events

    def _dispatch(self) -> SSEEvent:
        data = self._data
        event = SSEEvent(data[0] if len(data) == 1 else "\n".join(data), self._event or "message")
        data.clear()  # cleared, not replaced: feed() holds the list
        self._event = ""
        self._size = 0  # the cap is per event (off by at most one read)
        return event

    def _field(self, line: bytes) -> None:
        """A non-empty line other than ``data: ...``."""
        if line.startswith(b":"):
            return  # a comment (keep-alive)
        name, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if name == b"data":
            # "data:" without the space, or "data" with no colon (an empty data line).
            self._data.append(value.decode("utf-8", errors="replace"))
        elif name == b"event":
            self._event = value.decode("utf-8", errors="replace")
        # id / retry / unknown fields carry nothing GLM uses.
