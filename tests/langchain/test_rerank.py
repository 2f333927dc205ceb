"""GLMRerank for LangChain: a BaseDocumentCompressor with LangChain's reranker conventions,
natively async, on the emulator."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import pytest
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.retrievers import BaseRetriever

from glm_transport import GLMValidationError
from glm_transport.emulator import EmulatorServer
from langchain_glm import GLMRerank
from langchain_glm.errors import GLMRateLimitError

TEXTS = ["the cat sat", "paris is the capital of france", "france has wine", "berlin", "lyon"]


def _docs() -> list[Document]:
    return [Document(page_content=t, metadata={"n": i}, id=f"d{i}") for i, t in enumerate(TEXTS)]


def _rerank(url: str, **kw: Any) -> GLMRerank:
    return GLMRerank(base_url=url, api_key="k", **kw)


def test_is_a_compressor_with_langchain_defaults() -> None:
    reranker = GLMRerank(api_key="k")
    assert isinstance(reranker, BaseDocumentCompressor)
    assert (reranker.model, reranker.top_n, reranker.truncate) == ("rerank", 3, False)


def test_rerank_returns_index_and_score_best_first(glm_emulator: EmulatorServer) -> None:
    out = _rerank(glm_emulator.base_url).rerank(TEXTS, "capital of france")
    assert [r["index"] for r in out] == [1, 2, 0]  # the field's top_n: 3
    assert set(out[0]) == {"index", "relevance_score"} and out[0]["relevance_score"] == 1.0
    every = _rerank(glm_emulator.base_url).rerank(_docs(), "capital of france", top_n=None)
    assert len(every) == 5
    # Equal scores keep the documents' order.
    best = _rerank(glm_emulator.base_url).rerank(TEXTS, "france", top_n=1)
    assert [r["index"] for r in best] == [1]


def test_compress_returns_copies_with_scores(glm_emulator: EmulatorServer) -> None:
    docs = _docs()
    out = _rerank(glm_emulator.base_url, top_n=2).compress_documents(docs, "capital of france")
    assert [d.page_content for d in out] == [TEXTS[1], TEXTS[2]]
    assert [d.metadata["n"] for d in out] == [1, 2] and out[0].id == "d1"
    assert out[0].metadata["relevance_score"] == 1.0
    assert "relevance_score" not in docs[1].metadata  # the inputs are untouched


async def test_async_is_native_and_agrees(glm_emulator: EmulatorServer) -> None:
    reranker = _rerank(glm_emulator.base_url)
    type(reranker).compress_documents
    whole = reranker.compress_documents(_docs(), "capital of france")
    out = await reranker.acompress_documents(_docs(), "capital of france")
    assert out == whole
    assert await reranker.arerank(TEXTS, "france", top_n=1) == reranker.rerank(
        TEXTS, "france", top_n=1
    )
    # Not LangChain's default thread hop: ours is a coroutine of its own.
    assert type(reranker).acompress_documents is not BaseDocumentCompressor.acompress_documents


def test_no_documents_no_request(glm_emulator: EmulatorServer) -> None:
    assert _rerank(glm_emulator.base_url).compress_documents([], "q") == []
    assert glm_emulator.state.requests == 0


def test_in_a_contextual_compression_retriever(glm_emulator: EmulatorServer) -> None:
    from langchain_classic.retrievers import ContextualCompressionRetriever

    class Fixed(BaseRetriever):
        def _get_relevant_documents(self, query: str, **kw: Any) -> list[Document]:
            return _docs()

    retriever = ContextualCompressionRetriever(
        base_compressor=_rerank(glm_emulator.base_url, top_n=2), base_retriever=Fixed()
    )
    out = retriever.invoke("capital of france")
    assert [d.page_content for d in out] == [TEXTS[1], TEXTS[2]]
    assert asyncio.run(retriever.ainvoke("capital of france")) == out


def test_errors_are_typed_limits_checked_and_provider_refused(
    glm_emulator: EmulatorServer,
) -> None:
    from glm_transport.emulator.app import FAULT_HEADER

    busy = {FAULT_HEADER: '{"code": "1302", "retry_after_ms": 1}'}
    with pytest.raises(GLMRateLimitError):
        _rerank(glm_emulator.base_url, default_headers=busy, max_retries=0).rerank(TEXTS, "q")
    with pytest.raises(GLMValidationError) as info:
        _rerank(glm_emulator.base_url).rerank(["ok", "x" * 5000], "q")
    assert info.value.field == "documents[1]"
    assert _rerank(glm_emulator.base_url, truncate=True).rerank(["ok", "x" * 5000], "ok")
    with pytest.raises(GLMValidationError, match="documents no rerank endpoint"):
        GLMRerank(provider="zai-coding", api_key="k").rerank(TEXTS, "q")


def test_pickles_without_the_key(glm_emulator: EmulatorServer) -> None:
    reranker = GLMRerank(base_url=glm_emulator.base_url, api_key="sk-secret-0123", top_n=1)
    assert "sk-secret-0123" not in repr(reranker) + reranker.model_dump_json()
    back = pickle.loads(pickle.dumps(reranker))
    assert back.api_key is None and back.top_n == 1
