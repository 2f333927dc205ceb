"""The pure SSE decoder, fed bytes split at awkward places (no mocks, no I/O)."""

from __future__ import annotations

import pytest

from glm_transport.errors import StreamInterruptedError
from glm_transport.sse import MAX_EVENT_BYTES, SSEDecoder


def decode(*pieces: bytes) -> list[tuple[str, str]]:
    dec = SSEDecoder()
    out = []
    for p in pieces:
        out += [(e.event, e.data) for e in dec.feed(p)]
    out += [(e.event, e.data) for e in dec.flush()]
    return out


STREAM = b'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n'


def test_whole_stream() -> None:
    assert decode(STREAM) == [("message", '{"a":1}'), ("message", '{"b":2}'), ("message", "[DONE]")]


def test_every_split_point_gives_the_same_events() -> None:
    expected = decode(STREAM)
    for i in range(len(STREAM) + 1):
        assert decode(STREAM[:i], STREAM[i:]) == expected, i


def test_byte_by_byte() -> None:
    assert decode(*[STREAM[i : i + 1] for i in range(len(STREAM))]) == decode(STREAM)


def test_crlf_and_cr_line_endings_even_split_between_cr_and_lf() -> None:
    crlf = STREAM.replace(b"\n", b"\r\n")
    for i in range(len(crlf) + 1):
        assert decode(crlf[:i], crlf[i:]) == decode(STREAM), i
    assert decode(STREAM.replace(b"\n", b"\r")) == decode(STREAM)


def test_comments_keepalives_and_unknown_fields_are_ignored() -> None:
    raw = b": keep-alive\n\nid: 7\nretry: 100\ndata: x\n\n:ping\n\n"
    assert decode(raw) == [("message", "x")]


def test_multi_line_data_and_event_names() -> None:
    raw = b"event: error\ndata: line1\ndata: line2\n\ndata:nospace\n\n"
    assert decode(raw) == [("error", "line1\nline2"), ("message", "nospace")]


def test_unterminated_final_event_is_flushed() -> None:
    assert decode(b'data: {"a":1}') == [("message", '{"a":1}')]


def test_utf8_split_inside_a_character() -> None:
    raw = 'data: {"c":"你好"}\n\n'.encode()
    for i in range(len(raw) + 1):
        assert decode(raw[:i], raw[i:]) == [("message", '{"c":"你好"}')]


def test_pending_reports_a_half_read_event() -> None:
    dec = SSEDecoder()
    assert list(dec.feed(b"data: x\n")) == []
    assert dec.pending
    assert [e.data for e in dec.feed(b"\n")] == ["x"]
    assert not dec.pending


def test_a_huge_frame_is_linear_and_capped() -> None:
    decoder = SSEDecoder()
    piece = b"x" * 4096
    # 4 MB in 4 KB reads with no line break: set aside, joined once.
    assert list(decoder.feed(b"data: ")) == []
    for _ in range(1024):
        assert list(decoder.feed(piece)) == []
    (event,) = list(decoder.feed(b"\n\n"))
    assert len(event.data) == 1024 * 4096

    def overfeed() -> None:
        for _ in range(MAX_EVENT_BYTES // len(piece) + 2):
            list(decoder.feed(piece))

    with pytest.raises(StreamInterruptedError, match="refusing"):
        overfeed()
