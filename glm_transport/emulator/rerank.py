"""The emulator's ``/rerank``: a deterministic word-overlap scorer in GLM's rerank wire shape.

Wire format from the BigModel API reference "文本重排序" (``openapi.json post /paas/v4/rerank``):
the request holds ``model``, ``query`` (at most 4096 characters), ``documents`` (1 to 128 strings,
each at most 4096 characters), ``top_n`` (0, the default, returns all), ``return_documents``,
``return_raw_scores``, ``request_id`` and ``user_id``; the reply holds ``created``, ``id``,
``request_id``, ``results`` (``index``, ``relevance_score``, ``document``) sorted best first, and
``usage``. Pure.

What the docs leave open, and what the emulator does about it:

* the schema marks ``document`` required though ``return_documents`` defaults to false; the
  emulator sends it only when ``return_documents`` is true;
* only ``rerank`` is a documented model name; the emulator accepts any name starting with
  ``rerank`` (``rerank-pro`` and others appear in public code) and answers 1211 otherwise;
* what ``return_raw_scores`` changes is not documented; the emulator checks it is a boolean and
  leaves the scores as they are.
"""

from __future__ import annotations

import re
from typing import Any

from glm_transport.emulator.faults import error_body
from glm_transport.emulator.ids import reply_ids
from glm_transport.emulator.render import CREATED
from glm_transport.tokens import estimate_tokens

__all__ = ["MAX_DOCUMENTS", "MAX_TEXT", "relevance", "rerank_reply"]

MAX_DOCUMENTS = 128
MAX_TEXT = 4096  # characters, for the query and for each document

# A word is a run of letters and digits, or a single CJK character (Chinese is not written with
# spaces, so a whole sentence would otherwise be one word).
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def relevance(query: str, document: str) -> float:
    """The share of the query's distinct words found in ``document``, in [0, 1].

    Args:
        query: The search query.
        document: One candidate text.

    Returns:
        ``|q ∩ d| / |q|`` over lowercased word sets, rounded to 8 places; 0.0 for a query with
        no words.
    """
    wanted = _words(query)
    if not wanted:
        return 0.0
    return round(len(wanted & _words(document)) / len(wanted), 8)


def _invalid(body: dict[str, Any], request_id: str) -> tuple[int, dict[str, Any]] | None:
    """The error the API gives for ``body``, or ``None`` when it is valid."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return error_body("1214", "Invalid model parameter: model is required", request_id)
    if not model.lower().startswith("rerank"):
        return error_body("1211", None, request_id)
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        return error_body("1214", "Invalid query parameter: query cannot be empty", request_id)
    if len(query) > MAX_TEXT:
        return error_body(
            "1214", f"Invalid query parameter: at most {MAX_TEXT} characters", request_id
        )
    documents = body.get("documents")
    if not isinstance(documents, list) or not all(isinstance(d, str) for d in documents):
        return error_body(
            "1214", "Invalid documents parameter: a list of strings is required", request_id
        )
    if not documents:
        return error_body(
            "1214", "Invalid documents parameter: documents cannot be empty", request_id
        )
    if len(documents) > MAX_DOCUMENTS:
        return error_body(
            "1214", f"Invalid documents parameter: at most {MAX_DOCUMENTS} documents", request_id
        )
    for i, document in enumerate(documents):
        if len(document) > MAX_TEXT:
            return error_body(
                "1214",
                f"Invalid documents parameter: document {i} is over {MAX_TEXT} characters",
                request_id,
            )
    top_n = body.get("top_n", 0)
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 0:
        return error_body("1214", "Invalid top_n parameter", request_id)
    for flag in ("return_documents", "return_raw_scores"):
        if not isinstance(body.get(flag, False), bool):
            return error_body("1214", f"Invalid {flag} parameter", request_id)
    return None


def rerank_reply(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(status, JSON) for a rerank request, validated like the API.

    Args:
        body: The decoded request body.

    Returns:
        400 with the GLM error envelope (1214 for an invalid parameter, 1211 for an unknown
        model), or 200 with the documents' scores, best first (ties in document order), cut to
        ``top_n`` when it is positive.
    """
    reply_id, request_id = reply_ids(body)
    invalid = _invalid(body, request_id)
    if invalid is not None:
        return invalid
    query: str = body["query"]
    documents: list[str] = body["documents"]
    scores = [relevance(query, d) for d in documents]
    order = sorted(range(len(documents)), key=lambda i: (-scores[i], i))
    top_n: int = body.get("top_n", 0)
    if top_n > 0:
        order = order[:top_n]
    with_text = bool(body.get("return_documents", False))
    results: list[dict[str, Any]] = []
    for i in order:
        result: dict[str, Any] = {"index": i, "relevance_score": scores[i]}
        if with_text:
            result["document"] = documents[i]
        results.append(result)
    tokens = estimate_tokens(query) + sum(estimate_tokens(d) for d in documents)
    return 200, {
        "created": CREATED,
        "id": reply_id,
        "request_id": request_id,
        "results": results,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
