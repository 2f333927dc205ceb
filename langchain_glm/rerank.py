"""``GLMRerank``: GLM's rerank model as a LangChain document compressor."""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from typing import Any

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document

from glm_transport.rerank import DEFAULT_RERANK_MODEL, Reranked, arerank, rerank
from langchain_glm._connection import GLMConnection
from langchain_glm.errors import glm_errors

__all__ = ["GLMRerank"]


def _texts(documents: Sequence[str | Document]) -> list[str]:
    return [d.page_content if isinstance(d, Document) else d for d in documents]


class GLMRerank(GLMConnection, BaseDocumentCompressor):
    """GLM's ``rerank`` model: documents ordered by relevance to a query, best first.

    Served on the ``zai`` and ``bigmodel`` presets and custom gateways; the Coding Plan presets,
    maxtoken and powertokens document no rerank endpoint and raise ``GLMValidationError``
    before sending. Same transport, settings, retries, typed errors and pools as ``ChatGLM``.

    Setup:
        ``pip install "glm-integrations[langchain]"`` and ``export GLM_API_KEY=...``.

    Instantiate:
        .. code-block:: python

            from langchain_glm import GLMRerank

            reranker = GLMRerank(top_n=3)

    Use in a retriever:
        .. code-block:: python

            from langchain_classic.retrievers import ContextualCompressionRetriever

            retriever = ContextualCompressionRetriever(
                base_compressor=reranker, base_retriever=vector_store.as_retriever()
            )

    Rerank directly:
        .. code-block:: python

            reranker.rerank(["Paris is in France", "Berlin"], "capital of France")
            # [{'index': 0, 'relevance_score': 0.97}, {'index': 1, 'relevance_score': 0.02}]
            reranker.compress_documents(docs, "capital of France")
            # copies of the best ``top_n`` documents, metadata["relevance_score"] set
            await reranker.acompress_documents(docs, "capital of France")  # native async

    Limits, checked before sending: the query and each document at most 4096 characters
    (``truncate=True`` cuts them instead of refusing; the error names the document's index).
    More than 128 documents go as several requests, concurrently in async, merged by score:
    scores of separate requests are compared as they are. No documents: no request.
    """

    model: str = DEFAULT_RERANK_MODEL
    """Rerank model name; names we do not know are sent as they are."""
    top_n: int | None = 3
    """How many documents to keep; ``None``: all of them."""
    truncate: bool = False
    """Cut a query or document over 4096 characters instead of refusing it."""

    def _ask(
        self, documents: Sequence[str | Document], query: str, model: str | None, top_n: int | None
    ) -> dict[str, Any]:
        """One call's arguments: a negative ``top_n`` means the field's."""
        return {
            "query": query,
            "documents": _texts(documents),
            "model": self.model if model is None else model,
            "top_n": self.top_n if top_n is not None and top_n < 0 else top_n,
            "truncate": self.truncate,
        }

    def rerank(
        self,
        documents: Sequence[str | Document],
        query: str,
        *,
        model: str | None = None,
        top_n: int | None = -1,
    ) -> list[dict[str, Any]]:
        """Score ``documents`` against ``query``.

        Args:
            documents: Texts or ``Document``s (their ``page_content`` is scored).
            query: What the documents are scored against.
            model: Overrides :attr:`model` for this call.
            top_n: How many to return; a negative number (the default): :attr:`top_n`;
                ``None``: all.

        Returns:
            ``[{"index": ..., "relevance_score": ...}]``, best first, as LangChain's other
            rerankers return.
        """
        with glm_errors():
            result = rerank(self._sync_client(), **self._ask(documents, query, model, top_n))
        return _as_dicts(result)

    async def arerank(
        self,
        documents: Sequence[str | Document],
        query: str,
        *,
        model: str | None = None,
        top_n: int | None = -1,
    ) -> list[dict[str, Any]]:
        """:meth:`rerank`, without blocking; requests over 128 documents go concurrently."""
        with glm_errors():
            ask = self._ask(documents, query, model, top_n)
            result = await arerank(self._async_client(), **ask)
        return _as_dicts(result)

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Copies of the best :attr:`top_n` documents, best first, scores in their metadata.

        Each copy carries ``metadata["relevance_score"]``; the documents given are untouched.
        """
        return _ranked(documents, self.rerank(documents, query))

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """:meth:`compress_documents`, natively async (no thread hop)."""
        return _ranked(documents, await self.arerank(documents, query))


def _as_dicts(result: Reranked) -> list[dict[str, Any]]:
    return [{"index": r.index, "relevance_score": r.relevance_score} for r in result.results]


def _ranked(documents: Sequence[Document], results: list[dict[str, Any]]) -> list[Document]:
    out = []
    for r in results:
        doc = documents[r["index"]]
        metadata = deepcopy(doc.metadata)
        metadata["relevance_score"] = r["relevance_score"]
        out.append(Document(page_content=doc.page_content, metadata=metadata, id=doc.id))
    return out
