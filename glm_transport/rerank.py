"""The rerank endpoint: ``POST {base_url}/rerank`` scores documents against a query.

Wire facts (BigModel API reference "文本重排序", ``openapi.json`` ``post /paas/v4/rerank``, read
2026-12-05; ``shared/reference/glm-platform.md`` §1): the body takes ``model`` (``rerank``),
``query`` (at most 4096 characters), ``documents`` (strings, at most 128, each at most 4096
characters), ``top_n`` (0: all), ``return_documents``; the reply has ``results`` of ``index`` and
``relevance_score``, and ``usage``. Z.ai documents no rerank page; one public config points at its
``/paas/v4/rerank``, so ``zai`` is served and GLM's answer decides. The Coding Plan and the
gateways document chat only (:data:`glm_transport.config.PROVIDERS`).

More than 128 documents are sent as several requests (concurrently in async) and merged by
score: the scores of separate requests are compared as they are, which holds for a pointwise
scorer (each score depends on the query and its document only) and is an assumption otherwise.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from glm_transport import errors as E
from glm_transport.config import GLMSettings
from glm_transport.endpoint import Call, Endpoint, prepare
from glm_transport.errors import GLMValidationError
from glm_transport.parse import parse_usage
from glm_transport.types import Usage

if TYPE_CHECKING:  # the clients are passed in; importing them would load the I/O
    from glm_transport._client import AsyncGLMClient, GLMClient

__all__ = [
    "DEFAULT_RERANK_MODEL",
    "MAX_CHARS",
    "MAX_DOCUMENTS",
    "RERANK",
    "RerankResult",
    "Reranked",
    "arerank",
    "parse_rerank",
    "plan_rerank",
    "rerank",
    "rerank_body",
]

RERANK = Endpoint("rerank", "/rerank", request_id=True)
DEFAULT_RERANK_MODEL = "rerank"
MAX_DOCUMENTS = 128
"""Documents a request (BigModel API reference: ``documents`` ``maxItems: 128``)."""
MAX_CHARS = 4096
"""Characters in the query and in each document (BigModel API reference)."""
RERANK_CONCURRENCY = 8
"""Requests in flight at once for one async call over more than 128 documents."""


@dataclass(frozen=True)
class RerankResult:
    """One document's place: its index in the documents given, and its relevance score."""

    index: int
    relevance_score: float


@dataclass
class Reranked:
    """Results, best first, and the tokens the requests used."""

    results: list[RerankResult]
    usage: Usage = field(default_factory=Usage)


def _text(value: Any, name: str, truncate: bool) -> str:
    if not isinstance(value, str):
        raise GLMValidationError(name, value, "a string")
    if len(value) > MAX_CHARS:
        if not truncate:
            raise GLMValidationError(
                name,
                f"{len(value)} characters",
                f"at most {MAX_CHARS} characters; shorten it or pass truncate=True",
            )
        return value[:MAX_CHARS]
    return value


def plan_rerank(
    query: str, documents: Sequence[str], *, truncate: bool = False
) -> tuple[str, list[str]]:
    """``query`` and ``documents`` as they will be sent, checked against the limits.

    Args:
        query: What the documents are scored against: a non-empty string.
        documents: The texts to score.
        truncate: Cut a query or document over the limit to its first 4096 characters instead
            of refusing it.

    Raises:
        GLMValidationError: naming the query, or the document by its index.
    """
    if isinstance(documents, str) or not isinstance(documents, Sequence):
        raise GLMValidationError("documents", documents, "a list of strings")
    if not documents:
        return query, []  # nothing will be sent, so nothing else to check
    if not isinstance(query, str) or not query.strip():
        raise GLMValidationError("query", query, "a non-empty string")
    sent = [_text(doc, f"documents[{i}]", truncate) for i, doc in enumerate(documents)]
    return _text(query, "query", truncate), sent


def rerank_body(
    query: str, documents: Sequence[str], model: str, top_n: int | None
) -> dict[str, Any]:
    """The JSON body of one request (inputs already checked by :func:`plan_rerank`)."""
    body: dict[str, Any] = {"model": model, "query": query, "documents": list(documents)}
    if top_n:
        body["top_n"] = top_n
    return body


def parse_rerank(body: Any, count: int, offset: int = 0) -> Reranked:
    """One reply's results, each index shifted by ``offset`` (the request's first document).

    Raises:
        APIError: the reply is not of the documented shape, or names an index twice or out of
            range, or a score that is not a finite number.
    """
    try:
        results = []
        seen = set()
        for item in body["results"]:
            index, score = item["index"], item["relevance_score"]
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
                raise ValueError(f"index {index!r} for {count} documents")
            if index in seen:
                raise ValueError(f"index {index} twice")
            if isinstance(score, bool) or not isinstance(score, (int, float)):
                raise ValueError(f"relevance_score {score!r}")
            if not math.isfinite(score):
                raise ValueError(f"relevance_score {score!r}")
            seen.add(index)
            results.append(RerankResult(index + offset, float(score)))
    except (KeyError, TypeError, ValueError) as exc:
        raise E.APIError(
            f"GLM returned a rerank reply of an unexpected shape ({exc})", body=body
        ) from None
    usage = parse_usage(body.get("usage") if isinstance(body, dict) else None) or Usage()
    return Reranked(results, usage)


def _top_n(top_n: int | None) -> int | None:
    if top_n is None:
        return None
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 0:
        raise GLMValidationError("top_n", top_n, "an integer >= 0 (0 or None: every document)")
    return top_n or None


def _calls(
    settings: GLMSettings,
    query: str,
    documents: Sequence[str],
    model: str,
    top: int | None,
    truncate: bool,
) -> list[tuple[Call, int, int]]:
    """One call per group of at most 128 documents, with its size and first index."""
    if not isinstance(model, str) or not model.strip():
        raise GLMValidationError("model", model, "a rerank model name, such as 'rerank'")
    query, docs = plan_rerank(query, documents, truncate=truncate)
    one_request = len(docs) <= MAX_DOCUMENTS
    calls = []
    for start in range(0, len(docs), MAX_DOCUMENTS):
        part = docs[start : start + MAX_DOCUMENTS]
        # Several requests: each returns every score, and the merge keeps the top_n.
        body = rerank_body(query, part, model, top if one_request else None)
        calls.append((prepare(settings, RERANK, body), len(part), start))
    return calls


def _merged(parts: Sequence[Reranked], top: int | None) -> Reranked:
    results = [r for part in parts for r in part.results]
    # Best first; equal scores keep the documents' order.
    results.sort(key=lambda r: (-r.relevance_score, r.index))
    usage = Usage()
    for part in parts:
        usage.add(part.usage)
    return Reranked(results[:top] if top else results, usage)


def rerank(
    client: GLMClient,
    query: str,
    documents: Sequence[str],
    *,
    model: str = DEFAULT_RERANK_MODEL,
    top_n: int | None = None,
    truncate: bool = False,
) -> Reranked:
    """``documents`` scored against ``query``, best first; ``top_n`` keeps the best few.

    No documents: no request, no results. Limits are checked before anything is sent.
    """
    top = _top_n(top_n)
    calls = _calls(client.settings, query, documents, model, top, truncate)
    parts = [
        client.post(call, functools.partial(parse_rerank, count=n, offset=at))
        for call, n, at in calls
    ]
    return _merged(parts, top)


async def arerank(
    client: AsyncGLMClient,
    query: str,
    documents: Sequence[str],
    *,
    model: str = DEFAULT_RERANK_MODEL,
    top_n: int | None = None,
    truncate: bool = False,
    concurrency: int = RERANK_CONCURRENCY,
) -> Reranked:
    """:func:`rerank`, without blocking; requests over 128 documents go concurrently."""
    top = _top_n(top_n)
    calls = _calls(client.settings, query, documents, model, top, truncate)
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(call: Call, n: int, at: int) -> Reranked:
        async with gate:
            return await client.post(call, functools.partial(parse_rerank, count=n, offset=at))

    return _merged(await asyncio.gather(*(one(*c) for c in calls)), top)
