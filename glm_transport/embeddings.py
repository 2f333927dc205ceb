"""GLM embeddings, pure: check inputs, split them into requests the API accepts, read replies.

``POST {base_url}/embeddings`` takes ``model``, ``input`` (a string or a list) and, on
embedding-3, ``dimensions``. The limits per model (tokens an input, inputs a request, tokens a
request, the dimensions offered) are the ``embeddings`` section of ``data/models.json``. Inputs are
checked before anything is sent: an empty string or an input over the model's limit is an error
naming its index. Token counts are estimates (:mod:`glm_transport.tokens`), so batches keep a
margin below the documented token limits.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from glm_transport import errors as E
from glm_transport.config import GLMSettings
from glm_transport.endpoint import Call, Endpoint, prepare
from glm_transport.errors import GLMValidationError
from glm_transport.tokens import estimate_tokens
from glm_transport.types import Usage

if TYPE_CHECKING:  # the clients are passed in; importing them would load the I/O
    from glm_transport._client import AsyncGLMClient, GLMClient

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "EMBEDDINGS",
    "EmbeddingSpec",
    "Embeddings",
    "aembed",
    "embed",
    "embedding_body",
    "embedding_spec",
    "parse_embeddings",
    "plan_batches",
]

EMBEDDINGS = Endpoint("embeddings", "/embeddings")
# Embedding batches in flight at once per call (async).
EMBED_CONCURRENCY = 8

DEFAULT_EMBEDDING_MODEL = "embedding-3"
# Estimates can undercount: keep batches this far below a documented token limit.
_MARGIN = 0.8


@dataclass(frozen=True)
class EmbeddingSpec:
    """One embedding model's facts: input and batch limits, and the dimensions it offers."""

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

    def add(self, vectors: list[list[float]], usage: Usage) -> None:
        """Append one batch's vectors and count its tokens."""
        self.vectors.extend(vectors)
        self.usage.add(usage)


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


def embedding_body(texts: Sequence[str], model: str, dimensions: int | None) -> dict[str, Any]:
    """The JSON body for one batch (inputs already checked by :func:`plan_batches`)."""
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


def _calls(
    settings: GLMSettings,
    texts: Sequence[str],
    model: str,
    dimensions: int | None,
    batch_size: int | None,
) -> list[tuple[Call, int]]:
    """One call per batch, and the number of texts it carries; all checked before any is sent."""
    out = []
    for batch in plan_batches(texts, model, batch_size):
        body = embedding_body([texts[i] for i in batch], model, dimensions)
        out.append((prepare(settings, EMBEDDINGS, body), len(batch)))
    return out


def embed(
    client: GLMClient,
    texts: Sequence[str],
    model: str = DEFAULT_EMBEDDING_MODEL,
    dimensions: int | None = None,
    batch_size: int | None = None,
) -> Embeddings:
    """Vectors for ``texts``, in order, in as few requests as the model's limits allow."""
    out = Embeddings([], Usage())
    for call, count in _calls(client.settings, texts, model, dimensions, batch_size):
        out.add(*client.post(call, functools.partial(parse_embeddings, count=count)))
    return out


async def aembed(
    client: AsyncGLMClient,
    texts: Sequence[str],
    model: str = DEFAULT_EMBEDDING_MODEL,
    dimensions: int | None = None,
    batch_size: int | None = None,
    concurrency: int = EMBED_CONCURRENCY,
) -> Embeddings:
    """Vectors for ``texts``, in order; batches sent concurrently, ``concurrency`` at once."""
    calls = _calls(client.settings, texts, model, dimensions, batch_size)
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(call: Call, count: int) -> tuple[list[list[float]], Usage]:
        async with gate:
            return await client.post(call, functools.partial(parse_embeddings, count=count))

    out = Embeddings([], Usage())
    for vectors, usage in await asyncio.gather(*(one(call, n) for call, n in calls)):
        out.add(vectors, usage)
    return out
