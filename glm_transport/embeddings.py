"""GLM embeddings, pure: check inputs, split them into requests the API accepts, read replies.

``POST {base_url}/embeddings`` takes ``model``, ``input`` (a string or a list) and, on
embedding-3, ``dimensions``. The limits per model (tokens an input, inputs a request, tokens a
request, the dimensions offered) are the ``embeddings`` section of ``data/models.json``. Inputs are
checked before anything is sent: an empty string or an input over the model's limit is an error
naming its index. Token counts are estimates (:mod:`glm_transport.tokens`), so batches keep a
margin below the documented token limits.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from glm_transport import errors as E
from glm_transport.config import Provider
from glm_transport.errors import GLMValidationError
from glm_transport.tokens import estimate_tokens
from glm_transport.types import Usage

__all__ = [
    "EmbeddingSpec",
    "Embeddings",
    "embedding_body",
    "embedding_spec",
    "parse_embeddings",
    "plan_batches",
]

DEFAULT_EMBEDDING_MODEL = "embedding-3"
# Estimates can undercount: keep batches this far below a documented token limit.
_MARGIN = 0.8


@dataclass(frozen=True)
class EmbeddingSpec:
    name: str
    max_input_tokens: int
    max_batch: int
    max_batch_tokens: int | None
    dimensions: tuple[int, ...]
    default_dimensions: int
    source: str = ""


@dataclass
class Embeddings:
    """Vectors in the order of the inputs, and the tokens the requests used."""

    vectors: list[list[float]]
    usage: Usage


@functools.cache
def _specs() -> dict[str, EmbeddingSpec]:
    text = resources.files("glm_transport").joinpath("data/models.json").read_text("utf-8")
    return {
        name: EmbeddingSpec(
            name=name,
            max_input_tokens=raw["max_input_tokens"],
            max_batch=raw["max_batch"],
            max_batch_tokens=raw.get("max_batch_tokens"),
            dimensions=tuple(raw["dimensions"]),
            default_dimensions=raw["default_dimensions"],
            source=raw.get("source", ""),
        )
        for name, raw in json.loads(text)["embeddings"].items()
    }


def embedding_spec(model: str) -> EmbeddingSpec:
    """The limits of ``model``; an unknown name gets embedding-3's (the API decides)."""
    specs = _specs()
    name = model.strip().lower().rsplit("/", 1)[-1]
    found = specs.get(name)
    return found if found is not None else specs[DEFAULT_EMBEDDING_MODEL]


def _check_texts(texts: Sequence[str], spec: EmbeddingSpec) -> list[int]:
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise GLMValidationError("texts", texts, "a list of strings")
    sizes = []
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise GLMValidationError(f"texts[{i}]", text, "a non-empty string")
        size = estimate_tokens(text)
        if size > spec.max_input_tokens:
            raise GLMValidationError(
                f"texts[{i}]",
                f"about {size} tokens",
                f"at most {spec.max_input_tokens} tokens an input on {spec.name}; split it first",
            )
        sizes.append(size)
    return sizes


def plan_batches(texts: Sequence[str], model: str, batch_size: int | None = None) -> list[range]:
    """Consecutive index ranges, each one request within the model's count and token limits."""
    spec = embedding_spec(model)
    sizes = _check_texts(texts, spec)
    limit = min(batch_size or spec.max_batch, spec.max_batch)
    budget = None if spec.max_batch_tokens is None else int(spec.max_batch_tokens * _MARGIN)
    batches: list[range] = []
    start, used = 0, 0
    for i, size in enumerate(sizes):
        full = i - start >= limit or (budget is not None and used + size > budget and i > start)
        if full:
            batches.append(range(start, i))
            start, used = i, 0
        used += size
    if start < len(sizes):
        batches.append(range(start, len(sizes)))
    return batches


def embedding_body(
    texts: Sequence[str], model: str, dimensions: int | None, provider: Provider
) -> dict[str, Any]:
    """The JSON body for one batch (inputs already checked by :func:`plan_batches`)."""
    if not provider.embeddings:
        raise GLMValidationError(
            "provider",
            provider.name,
            f"'zai', 'bigmodel' or a custom base_url: {provider} documents no /embeddings endpoint",
        )
    spec = embedding_spec(model)
    body: dict[str, Any] = {"model": model, "input": list(texts)}
    if dimensions is not None:
        if dimensions not in spec.dimensions:
            raise GLMValidationError(
                "dimensions", dimensions, f"{', '.join(map(str, spec.dimensions))} on {spec.name}"
            )
        body["dimensions"] = dimensions
    return body


def parse_embeddings(body: Any, count: int) -> tuple[list[list[float]], Usage]:
    """A reply's vectors in input order (GLM sends ``index`` with each) and its usage."""
    try:
        data = sorted(body["data"], key=lambda item: item["index"])
        vectors = [[float(x) for x in item["embedding"]] for item in data]
        usage = body.get("usage") or {}
        prompt = int(usage.get("prompt_tokens") or 0)
        total = int(usage.get("total_tokens") or prompt)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise E.APIError(
            f"GLM returned an embeddings reply of an unexpected shape ({exc})", body=body
        ) from None
    if len(vectors) != count:
        raise E.APIError(f"GLM returned {len(vectors)} embeddings for {count} inputs", body=body)
    return vectors, Usage(prompt_tokens=prompt, total_tokens=total, raw=dict(usage))
