"""A pure Server-Sent Events decoder: bytes in, ``data`` payloads out. No I/O.

Follows the WHATWG event-stream grammar (html.spec.whatwg.org, "Parsing an event stream"): lines end
in CRLF, LF or CR; ``:`` starts a comment (keep-alives); an empty line dispatches the event; several
``data:`` lines join with ``\\n``. GLM sends only ``data:`` lines, but gateways add comments,
``event:`` lines and CRLF, and network reads split events anywhere.
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["DONE", "SSEDecoder", "SSEEvent"]

DONE = "[DONE]"


class SSEEvent:
    """A dispatched event: its ``event`` name (``message`` when absent) and its ``data``."""

    __slots__ = ("data", "event")

    def __init__(self, data: str, event: str = "message") -> None:
        self.data = data
        self.event = event

    def __repr__(self) -> str:
        return f"SSEEvent(event={self.event!r}, data={self.data!r})"


class SSEDecoder:
    """Incremental decoder. Feed it network reads; it yields complete events."""

    __slots__ = ("_buf", "_data", "_event")

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[str] = []
        self._event = ""

    def feed(self, chunk: bytes) -> Iterator[SSEEvent]:
        """Decode one network read; yields each event it completes."""
        buf = self._buf + chunk if self._buf else chunk
        if not buf:
            return
        # A trailing CR may be the first half of a CRLF split across reads: keep it for later.
        hold_cr = buf.endswith(b"\r")
        lines = buf.splitlines(keepends=True)
        last = lines[-1]
        if hold_cr or not last.endswith((b"\n", b"\r")):
            self._buf = last
            lines.pop()
        else:
            self._buf = b""
        for raw in lines:
            event = self._line(raw.rstrip(b"\r\n"))
            if event is not None:
                yield event

    def flush(self) -> Iterator[SSEEvent]:
        """End of stream: a final unterminated line still counts; an unfinished event is dispatched."""
        if self._buf:
            tail, self._buf = self._buf, b""
            event = self._line(tail.rstrip(b"\r\n"))
            if event is not None:
                yield event
        event = self._line(b"")
        if event is not None:
            yield event

    @property
    def pending(self) -> bool:
        """True while part of an event has been read but not dispatched."""
        return bool(self._buf or self._data)

    def _line(self, line: bytes) -> SSEEvent | None:
        if not line:
            if not self._data:
                self._event = ""
                return None
            data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
            event = SSEEvent(data, self._event or "message")
            self._data = []
            self._event = ""
            return event
        if line.startswith(b"data:"):
            value = line[5:]
            if value.startswith(b" "):
                value = value[1:]
            self._data.append(value.decode("utf-8", errors="replace"))
            return None
        if line.startswith(b":"):
            return None
        name, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if name == b"event":
            self._event = value.decode("utf-8", errors="replace")
        elif name == b"data":
            # "data" with no colon: an empty data line.
            self._data.append("")
        # id / retry / unknown fields carry nothing GLM uses.
        return None
