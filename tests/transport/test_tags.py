"""tags: GLM-4.5V's <think> and answer-box tags inside content, whole or streamed."""

from __future__ import annotations

import pytest

from glm_transport.tags import TagSplitter, split_tags

TEXT = "<think>Let me look.</think><|begin_of_box|>A cat<|end_of_box|>"


def test_whole_reply() -> None:
    assert split_tags(TEXT) == ("A cat", "Let me look.")
    assert split_tags("plain answer") == ("plain answer", "")


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_streamed_at_any_split(size: int) -> None:
    splitter = TagSplitter()
    content, reasoning = "", ""
    for start in range(0, len(TEXT), size):
        c, r = splitter.feed(TEXT[start : start + size])
        content, reasoning = content + c, reasoning + r
    c, r = splitter.flush()
    assert (content + c, reasoning + r) == ("A cat", "Let me look.")


def test_a_lone_angle_bracket_is_not_held_forever() -> None:
    splitter = TagSplitter()
    out = splitter.feed("1 < 2 and <")
    rest = splitter.flush()
    assert out[0] + rest[0] == "1 < 2 and <"


def test_ordinary_content_with_angle_brackets_is_untouched() -> None:
    for text in ["a < b and <b>bold</b>", "\n\nHello", "<thinking is fun>", "x <|begin_of"]:
        assert split_tags(text) == (text, "")


def _stream(pieces: list[str]) -> tuple[list[tuple[str, str]], tuple[str, str]]:
    splitter = TagSplitter()
    return [splitter.feed(p) for p in pieces], splitter.flush()


def test_the_answer_after_the_reasoning_streams_as_it_comes() -> None:
    fed, tail = _stream(["<think>", "plan", "</think>", "Hel", "lo"])
    assert fed == [("", ""), ("", "plan"), ("", ""), ("Hel", ""), ("lo", "")]
    assert tail == ("", "")


def test_reasoning_is_released_as_it_comes_and_only_a_possible_close_tag_is_held() -> None:
    fed, tail = _stream(["<think>abc</", "thi", "nk>answer"])
    assert fed == [("", "abc"), ("", ""), ("answer", "")]
    assert tail == ("", "")
    fed, tail = _stream(["<think>a</b> c <", "x"])
    assert fed == [("", "a</b> c "), ("", "<x")]


def test_an_unclosed_think_at_the_end_of_the_stream_is_reasoning_not_lost() -> None:
    fed, tail = _stream(["<think>still thinking</th"])
    assert fed == [("", "still thinking")]
    assert tail == ("", "</th")
    assert split_tags("<think>cut off") == ("", "cut off")


def test_a_reply_that_could_still_become_think_is_released_at_the_end() -> None:
    fed, tail = _stream(["  ", "<thi"])
    assert fed == [("", ""), ("", "")]
    assert tail == ("  <thi", "")
    assert split_tags("<think") == ("<think", "")
    assert split_tags("   ") == ("   ", "")


def test_leading_whitespace_before_think_is_dropped_and_other_text_is_kept() -> None:
    assert split_tags("\n <think>r</think>a") == ("a", "r")
    assert split_tags(" hello <think>x</think>") == (" hello <think>x</think>", "")


def test_box_markers_are_removed_anywhere_and_a_split_marker_is_held_then_removed() -> None:
    fed, tail = _stream(["A<|begin_of", "_box|>B<|end_of_box", "|>C<|"])
    assert "".join(c for c, _ in fed) + tail[0] == "ABC<|"
    assert fed[0] == ("A", "")
    assert tail == ("<|", "")
    assert split_tags("x<|end_of_box|>y<|begin_of_box|>z") == ("xyz", "")


def test_a_held_piece_of_a_box_marker_that_never_completes_is_content() -> None:
    fed, tail = _stream(["answer <|begin_of", " and more"])
    assert fed == [("answer ", ""), ("<|begin_of and more", "")]
    assert tail == ("", "")


def test_think_after_the_answer_started_is_content() -> None:
    fed, tail = _stream(["Hi", "<think>x</think>"])
    assert "".join(c for c, _ in fed) + tail[0] == "Hi<think>x</think>"
    assert all(r == "" for _, r in fed)


def test_the_reasoning_ends_at_the_first_close_tag() -> None:
    assert split_tags("<think>a</think>b</think>c") == ("b</think>c", "a")
