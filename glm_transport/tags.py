"""GLM-4.5V's in-content tags, separated out (pure; incremental for streams).

The OpenAPI references say GLM-4.5V's ``content`` "may contain the reasoning process tags
``<think> </think>`` or the text boundary tags ``<|begin_of_box|> <|end_of_box|>``". A leading
``<think>...</think>`` is reasoning, so it moves to ``reasoning_content``; the box markers only
frame the final answer, so they are removed and the answer kept. Other models never send these
tags, and for them the cost is one substring test per content chunk.
"""

from __future__ import annotations

__all__ = ["TagSplitter", "split_tags"]

_OPEN, _CLOSE = "<think>", "</think>"
_BOX = ("<|begin_of_box|>", "<|end_of_box|>")


def _partial_suffix(text: str, tags: tuple[str, ...]) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of one of ``tags``."""
    best = 0
    for tag in tags:
        for n in range(min(len(tag) - 1, len(text)), best, -1):
            if text.endswith(tag[:n]):
                best = n
                break
    return best


class TagSplitter:
    """Feed content pieces in order; get (content, reasoning) pieces out."""

    __slots__ = ("held", "mode")

    def __init__(self) -> None:
        """A splitter at the start of a reply."""
        self.mode = "start"  # start -> (think ->) answer
        self.held = ""

    def feed(self, piece: str) -> tuple[str, str]:
        """Split one piece into (content, reasoning); a possibly incomplete tag is held back."""
        if self.mode == "answer" and not self.held and "<" not in piece:
            return piece, ""  # the common case: nothing to look at
        text = self.held + piece
        self.held = ""
        reasoning = ""
        if self.mode == "start":
            stripped = text.lstrip()
            if not stripped or (_OPEN.startswith(stripped) and stripped != _OPEN):
                self.held = text  # could still become "<think>"
                return "", ""
            if stripped.startswith(_OPEN):
                self.mode = "think"
                text = stripped[len(_OPEN) :]
            else:
                self.mode = "answer"
        if self.mode == "think":
            end = text.find(_CLOSE)
            if end < 0:
                keep = _partial_suffix(text, (_CLOSE,))
                self.held = text[len(text) - keep :] if keep else ""
                return "", text[: len(text) - keep]
            reasoning, text = text[:end], text[end + len(_CLOSE) :]
            self.mode = "answer"
        for tag in _BOX:
            text = text.replace(tag, "")
        keep = _partial_suffix(text, _BOX)
        if keep:
            self.held, text = text[len(text) - keep :], text[: len(text) - keep]
        return text, reasoning

    def flush(self) -> tuple[str, str]:
        """The end of the reply: whatever was held back is released as it stands."""
        held, self.held = self.held, ""
        if self.mode == "think":
            return "", held
        return held, ""


def split_tags(text: str) -> tuple[str, str]:
    """A whole reply's content to (content, reasoning)."""
    if "<" not in text:
        return text, ""
    splitter = TagSplitter()
    content, reasoning = splitter.feed(text)
    tail_content, tail_reasoning = splitter.flush()
    return content + tail_content, reasoning + tail_reasoning
