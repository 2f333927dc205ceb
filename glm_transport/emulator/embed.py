"""The emulator's ``/embeddings``: deterministic vectors that carry meaning enough for tests.

Each word is hashed to a few signed positions (a feature-hashing bag of words), and the vector is
normalised: texts that share words are closer than texts that do not, so an offline RAG demo
retrieves the right passage. Pure.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from glm_transport.embeddings import embedding_spec
from glm_transport.emulator.faults import error_body
from glm_transport.tokens import estimate_tokens

__all__ = ["embed_reply", "embed_text"]

_WORD = re.compile(r"\w+")


def embed_text(text: str, dimensions: int) -> list[float]:
    """The normalised feature-hashing vector of ``text``'s words, ``dimensions`` long."""
    vector = [0.0] * dimensions
    for word in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=12).digest()
        for k in range(3):
            slot = int.from_bytes(digest[4 * k : 4 * k + 3], "little") % dimensions
            vector[slot] += 1.0 if digest[4 * k + 3] & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [round(x / norm, 6) for x in vector]


def embed_reply(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(status, JSON) for an embeddings request, validated like the API."""
    model = body.get("model")
    inputs = body.get("input")
    if not isinstance(model, str) or not model.startswith("embedding-"):
        return error_body("1211", None, "emb")
    if isinstance(inputs, str):
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs or not all(isinstance(t, str) for t in inputs):
        return error_body("1214", "input must be a string or a list of strings", "emb")
    spec = embedding_spec(model)
    if len(inputs) > spec.max_batch:
        return error_body("1214", f"input may hold at most {spec.max_batch} texts", "emb")
    dims = body.get("dimensions", spec.default_dimensions)
    if dims not in spec.dimensions:
        return error_body("1214", f"Invalid dimensions: {dims}", "emb")
    tokens = sum(estimate_tokens(t) for t in inputs)
    return 200, {
        "model": model,
        "object": "list",
        "data": [
            {"index": i, "object": "embedding", "embedding": embed_text(t, dims)}
            for i, t in enumerate(inputs)
        ],
        "usage": {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens},
    }
