"""The ids of an emulated reply, made from the request body: the same request makes the same ids.

Shared by every route (chat, rerank, OCR, web search, reader), so it sits below them all.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["body_seed", "reply_ids"]


def body_seed(body: dict[str, Any]) -> str:
    """A digest of the request body: the same request makes the same ids."""
    # Not the caller's request_id: a client sends a fresh one on every attempt.
    same = {k: v for k, v in body.items() if k != "request_id"} if "request_id" in body else body
    return hashlib.sha256(json.dumps(same, sort_keys=True).encode()).hexdigest()


def reply_ids(body: dict[str, Any], seed: str | None = None) -> tuple[str, str]:
    """A reply's ``id``, made from the body, and its ``request_id``: the caller's, else the id."""
    reply_id = f"20261122{(seed or body_seed(body))[:22]}"
    given = body.get("request_id")
    return reply_id, given if isinstance(given, str) and given else reply_id
