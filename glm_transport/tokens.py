"""Token estimates for budgeting (``get_num_tokens``, ``trim_messages``), with no download.

GLM's tokenizer is not shipped for Python without a model download, and the frameworks' fallback
(GPT-2 through ``transformers``) needs one. So counts are estimates from the text: about four
characters a token for Latin script and about 1.5 for CJK, as GLM's vocabulary runs (its CJK
words are mostly one or two characters). Use ``usage`` from a reply for the exact count.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["estimate_message_tokens", "estimate_tokens"]

# Each message costs a few tokens of framing (role markers) beyond its text.
MESSAGE_OVERHEAD = 4


def estimate_tokens(text: str) -> int:
    """Estimated tokens of ``text`` (0 for an empty string)."""
    if not text:
        return 0
    wide = sum(1 for ch in text if ord(ch) >= 0x2E80)  # CJK and other wide scripts
    return math.ceil((len(text) - wide) / 4 + wide / 1.5)


def estimate_message_tokens(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None
) -> int:
    """Estimated prompt tokens of wire messages (and tool definitions)."""
    total = 0
    for msg in messages:
        content = msg.get("content")
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        total += MESSAGE_OVERHEAD + estimate_tokens(content or "")
        total += estimate_tokens(msg.get("reasoning_content") or "")
        for call in msg.get("tool_calls") or []:
            fn = call.get("function") or {}
            total += estimate_tokens(str(fn.get("name", "")) + str(fn.get("arguments", "")))
    if tools:
        total += estimate_tokens(json.dumps(tools, ensure_ascii=False))
    return total
