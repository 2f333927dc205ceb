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


def _events(dec: SSEDecoder, chunk: bytes) -> list[tuple[str, str]]:
    return [(e.event, e.data) for e in dec.feed(chunk)]


@pytest.mark.parametrize("end", [b"\n", b"\r\n"])
def test_each_event_is_delivered_by_the_read_that_completes_it(end: bytes) -> None:
    # Not one read late: a caller streaming tokens sees each one as soon as its bytes arrive.
    dec = SSEDecoder()
    for i in range(3):
        assert _events(dec, b"data: " + str(i).encode() + end + end) == [("message", str(i))]
        assert not dec.pending
    # An event split across reads arrives with the read holding its blank line, not later.
    assert _events(dec, b"data: a" + end) == []
    assert _events(dec, end + b"data: b" + end) == [("message", "a")]
    assert _events(dec, end) == [("message", "b")]
    assert dec.flush() == []


def test_a_crlf_split_between_cr_and_lf_is_one_line_end() -> None:
    dec = SSEDecoder()
    assert _events(dec, b"data: a\r") == []
    assert _events(dec, b"\n\r") == []
    assert _events(dec, b"\ndata: b\r\n\r\n") == [("message", "a"), ("message", "b")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'data:{"a":1}\n\n', [("message", '{"a":1}')]),
        (b"data:  two\n\n", [("message", " two")]),  # only one space is part of the syntax
        (b"data\n\n", [("message", "")]),  # a bare field name is an empty data line
        (b"data:\n\n", [("message", "")]),
        (b"data:a\ndata:b\n\n", [("message", "a\nb")]),
        (b"event:error\ndata:x\n\n", [("error", "x")]),
        (b"event: \ndata: x\n\n", [("message", "x")]),  # an empty name is the default
        (b"event: error\n\ndata: x\n\n", [("message", "x")]),  # an event without data is dropped
        (b"data : x\n\n", []),  # "data " is another field's name
        (b"datum: x\n\n", []),
        (b"\n\n\ndata: x\n\n", [("message", "x")]),
    ],
)
def test_field_syntax(raw: bytes, expected: list[tuple[str, str]]) -> None:
    assert decode(raw) == expected
    # The same at every split point, and with CRLF.
    for i in range(len(raw) + 1):
        assert decode(raw[:i], raw[i:]) == expected, i
    assert decode(raw.replace(b"\n", b"\r\n")) == expected


def test_flush_dispatches_an_unfinished_event_and_leaves_nothing_pending() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"data: a\r\ndata: b") == []
    assert dec.pending
    assert [(e.event, e.data) for e in dec.flush()] == [("message", "a\nb")]
    assert not dec.pending
    assert dec.flush() == []
    held = SSEDecoder()
    assert held.feed(b"data: x\r") == []
    assert [e.data for e in held.flush()] == ["x"]


def test_an_event_name_applies_to_its_own_event_only() -> None:
    raw = b"event: error\ndata: x\n\ndata: y\n\n"
    assert decode(raw) == [("error", "x"), ("message", "y")]
    assert repr(SSEDecoder().feed(b"event: e\ndata: d\n\n")[0]) == "SSEEvent(event='e', data='d')"


def test_the_size_cap_is_per_event() -> None:
    dec = SSEDecoder()
    frame = b"data: " + b"x" * (MAX_EVENT_BYTES // 2) + b"\n\n"
    for _ in range(4):  # twice the cap in total, each event under it
        assert len(dec.feed(frame)) == 1
    with pytest.raises(StreamInterruptedError) as caught:
        dec.feed(b"data: " + b"x" * MAX_EVENT_BYTES)
    assert caught.value.retryable is True


def test_an_empty_read_changes_nothing() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"") == []
    assert not dec.pending
    assert dec.feed(b"data: x") == [] and dec.feed(b"") == []
    assert [e.data for e in dec.feed(b"\n\n")] == ["x"]


def test_an_event_of_exactly_the_cap_is_accepted_after_earlier_events() -> None:
    dec = SSEDecoder()
    assert [e.data for e in dec.feed(b"data: a\n\n")] == ["a"]
    exact = b"data: " + b"x" * (MAX_EVENT_BYTES - 8) + b"\n\n"
    assert len(exact) == MAX_EVENT_BYTES
    (event,) = dec.feed(exact)
    assert len(event.data) == MAX_EVENT_BYTES - 8


def test_trailing_spaces_and_colons_are_part_of_the_data() -> None:
    for raw in (b"data: a b  \r\n\r\n", b"data: a b  \n\n", b"data: a b  "):
        assert decode(raw) == [("message", "a b  ")], raw
    assert decode(b"data: XX") == [("message", "XX")]
    assert decode(b"event: a:b\ndata: x\n\n") == [("a:b", "x")]


def test_an_unterminated_last_line_read_in_pieces_is_joined_whole() -> None:
    dec = SSEDecoder()
    for piece in (b"da", b"ta: ab", b"c"):
        assert dec.feed(piece) == []
    assert [e.data for e in dec.flush()] == ["abc"]


def test_bytes_that_are_not_utf8_are_replaced_not_fatal() -> None:
    assert decode(b"data: a\xffb\n\n") == [("message", "a\ufffdb")]
    assert decode(b"data:a\xffb\n\n") == [("message", "a\ufffdb")]
    assert decode(b"event: e\xff\ndata: x\n\n") == [("e\ufffd", "x")]


def test_an_event_is_a_message_unless_named() -> None:
    from glm_transport.sse import SSEEvent

    assert SSEEvent("x").event == "message"
    assert SSEEvent("x", "error").event == "error"
