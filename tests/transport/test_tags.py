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
