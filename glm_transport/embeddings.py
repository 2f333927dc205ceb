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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from math import isfinite
from typing import TYPE_CHECKING, Any, cast

from glm_transport.config import GLMSettings
from glm_transport.endpoint import Call, Endpoint, prepare
from glm_transport.errors import GLMValidationError, ServerError
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
        """Append one batch's vectors and count its tokens.

        Args:
            vectors: The batch's vectors, in the order of its inputs.
            usage: The tokens the batch's request used.

        Raises:
            ServerError: (not retried) the batch's vectors are not as long as the earlier ones'.
        """
        done = self.vectors
        if done and vectors and len(vectors[0]) != len(done[0]):
            # Each reply is checked alone; batches answered at different sizes are ragged too.
            raise _malformed(
                f"GLM returned embeddings of {len(vectors[0])} dimensions for input {len(done)} "
                f"and of {len(done[0])} for the inputs before it",
                None,
            )
        done.extend(vectors)
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


def _check_options(model: Any, batch_size: Any) -> None:
    """Refuse a ``model`` or ``batch_size`` no request could be built from.

    Both frameworks pass them through as given, so this is where they are checked, once.

    Raises:
        GLMValidationError: ``model`` is not a non-empty string, or ``batch_size`` is neither
            ``None`` nor a positive integer.
    """
    if not isinstance(model, str) or not model.strip():
        raise GLMValidationError("model", model, "a non-empty model name such as 'embedding-3'")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise GLMValidationError(
            "batch_size",
            batch_size,
            "None (the model's limit) or an integer >= 1 (above the model's limit, the limit)",
        )


def plan_batches(texts: Sequence[str], model: str, batch_size: int | None = None) -> list[range]:
    """Consecutive index ranges, each one request within the model's count and token limits.

    Args:
        texts: The inputs.
        model: The embedding model.
        batch_size: At most this many texts a request; ``None``: the model's limit.

    Returns:
        The batches, as ranges of indices into ``texts``.

    Raises:
        GLMValidationError: an input is not a non-empty string or is over the model's limit, the
            model name is empty, or ``batch_size`` is not a positive integer.
    """
    _check_options(model, batch_size)
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


def parse_embeddings(
    body: Any, count: int, dimensions: int | None = None
) -> tuple[list[list[float]], Usage]:
    """A reply's vectors in input order (GLM sends ``index`` with each), checked, and its usage.

    Args:
        body: The reply's JSON.
        count: How many inputs the request carried.
        dimensions: The vector length the request asked for, if it did.

    Returns:
        The vectors, the one at position ``i`` for input ``i``, and the tokens used.

    Raises:
        ServerError: (not retried) the reply is malformed: not one vector per input, an
            ``index`` that is not one of the ints ``0..count-1`` or repeats, a component that is
            not a finite number, vectors of different lengths, or not of ``dimensions``.
    """
    try:
        data = body["data"]
        usage = body.get("usage") or {}
        prompt = int(usage.get("prompt_tokens") or 0)
        total = int(usage.get("total_tokens") or prompt)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _malformed(
            f"GLM returned an embeddings reply of an unexpected shape ({exc})", body
        ) from None
    if not isinstance(data, list):
        raise _malformed(
            "GLM returned an embeddings reply of an unexpected shape "
            f"(data is {type(data).__name__}, not a list)",
            body,
        )
    if len(data) != count:
        raise _malformed(f"GLM returned {len(data)} embeddings for {count} inputs", body)
    vectors: list[list[float] | None] = [None] * count
    size = dimensions
    for pos, item in enumerate(data):
        index = item.get("index") if isinstance(item, Mapping) else None
        # type(), not isinstance: True is an int, and would put a vector against input 1.
        if type(index) is not int or not 0 <= index < count:
            raise _malformed(
                f"GLM returned data[{pos}] with index {index!r}; expected each of the ints "
                f"0..{count - 1} once",
                body,
            )
        if vectors[index] is not None:
            raise _malformed(
                f"GLM returned index {index} twice (again at data[{pos}]); expected each of the "
                f"ints 0..{count - 1} once",
                body,
            )
        vector = _vector(item.get("embedding"), index, body)
        if size is None:
            size = len(vector)
        elif len(vector) != size:
            wanted = (
                f"the dimensions={dimensions} asked for"
                if dimensions is not None
                else f"the {size} of data[0]"
            )
            raise _malformed(
                f"GLM returned an embedding of {len(vector)} dimensions for input {index} "
                f"(data[{pos}]), not {wanted}",
                body,
            )
        vectors[index] = vector
    # Every slot is filled: ``count`` items, each at a distinct index in 0..count-1.
    return cast("list[list[float]]", vectors), Usage(
        prompt_tokens=prompt, total_tokens=total, raw=dict(usage)
    )


_FLOATS = frozenset({float})
_NUMBERS = frozenset({float, int})


def _vector(raw: Any, index: int, body: Any) -> list[float]:
    """Input ``index``'s vector, checked: a non-empty list of finite numbers, as floats.

    The common case costs two passes in C over the list (its element types, its sum), and no
    copy: a reply of 64 vectors of 2048 stays well under the cost of decoding its JSON.
    """
    if not isinstance(raw, list) or not raw:
        raise _malformed(
            f"GLM returned an embedding for input {index} that is not a non-empty list of numbers",
            body,
        )
    kinds = {*map(type, raw)}
    if kinds != _FLOATS:
        if not kinds <= _NUMBERS:  # strings, bools, None, lists ...
            raise _bad_component(raw, index, body)
        try:
            raw = [float(x) for x in raw]  # JSON integers, such as 0
        except OverflowError:
            raise _bad_component(raw, index, body) from None
    # NaN and infinities make the sum non-finite; so can finite components whose sum
    # overflows, hence the closer look before refusing.
    if not isfinite(sum(raw)) and not all(map(isfinite, raw)):
        raise _bad_component(raw, index, body)
    return cast("list[float]", raw)


def _bad_component(raw: list[Any], index: int, body: Any) -> ServerError:
    """The error naming the first component of ``raw`` that is not a finite number."""
    at = _first_bad(raw)
    return _malformed(
        f"GLM returned an embedding for input {index} whose component {at} is "
        f"{str(raw[at])[:40]!r} ({type(raw[at]).__name__}), not a finite number",
        body,
    )


def _first_bad(raw: list[Any]) -> int:
    """The position of the first component that is not a finite int or float (0 if none)."""
    for at, x in enumerate(raw):
        if type(x) not in _NUMBERS:
            return at
        try:
            if not isfinite(x):
                return at
        except OverflowError:  # an integer too large for a float
            return at
    return 0


def _malformed(message: str, body: Any) -> ServerError:
    """A reply no vector may come from.

    Not retried: a gateway that sends it once will likely send it again, and each attempt is
    billed.
    """
    request_id = (body.get("request_id") or body.get("id")) if isinstance(body, Mapping) else None
    return ServerError(
        message,
        request_id=str(request_id) if request_id else None,
        body=body,
        retryable=False,
    )


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
        parse = functools.partial(parse_embeddings, count=count, dimensions=dimensions)
        out.add(*client.post(call, parse))
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
            parse = functools.partial(parse_embeddings, count=count, dimensions=dimensions)
            return await client.post(call, parse)

    out = Embeddings([], Usage())
    for vectors, usage in await asyncio.gather(*(one(call, n) for call, n in calls)):
        out.add(vectors, usage)
    return out
