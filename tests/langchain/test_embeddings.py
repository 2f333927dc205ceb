"""GLMEmbeddings: langchain-tests' standard suites (integration from cassettes) and behaviour."""

from __future__ import annotations

import asyncio
import pickle
from typing import Any

import httpx
import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from glm_transport import GLMValidationError
from glm_transport.emulator import EmulatorServer
from langchain_glm import GLMEmbeddings
from langchain_glm.errors import GLMRateLimitError
from tests.conftest import glm_target


class TestGLMEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[GLMEmbeddings]:
        return GLMEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"model": "embedding-3", "api_key": "unit-test-key"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return ({"GLM_API_KEY": "env-key"}, {"model": "embedding-3"}, {"api_key": "env-key"})


@pytest.mark.vcr
class TestGLMEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[GLMEmbeddings]:
        return GLMEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        # A plain httpx async client: vcrpy intercepts httpx, not the aiohttp-backed default.
        return {
            "model": "embedding-3",
            "dimensions": 256,
            "http_async_client": httpx.AsyncClient(),
            **glm_target(),
        }


def _emb(url: str, **kw: Any) -> GLMEmbeddings:
    return GLMEmbeddings(base_url=url, api_key="k", **kw)


def test_batches_in_order_and_shared_words_are_closer(glm_emulator: EmulatorServer) -> None:
    texts = [f"document {i} about cats" for i in range(100)] + ["stock markets fell"]
    vectors = _emb(glm_emulator.base_url, dimensions=512).embed_documents(texts)
    assert len(vectors) == 101 and len(vectors[0]) == 512
    assert glm_emulator.state.requests == 2  # 64 + 37: embedding-3's 64 inputs a request
    query = _emb(glm_emulator.base_url, dimensions=512).embed_query("cats")

    def dot(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert dot(query, vectors[0]) > dot(query, vectors[100])
    again = asyncio.run(_emb(glm_emulator.base_url, dimensions=512).aembed_documents(texts))
    assert again == vectors


def test_bad_input_is_refused_before_sending(glm_emulator: EmulatorServer) -> None:
    emb = _emb(glm_emulator.base_url)
    with pytest.raises(GLMValidationError, match=r"texts\[1\]"):
        emb.embed_documents(["fine", ""])
    with pytest.raises(GLMValidationError, match=r"texts\[0\].*3072 tokens"):
        emb.embed_documents(["word " * 20_000])
    with pytest.raises(GLMValidationError, match="dimensions"):
        _emb(glm_emulator.base_url, dimensions=300).embed_query("x")
    assert glm_emulator.state.requests == 0


def test_providers_without_embeddings_say_so() -> None:
    with pytest.raises(GLMValidationError, match="documents no embeddings endpoint"):
        GLMEmbeddings(provider="maxtoken", api_key="k").embed_query("x")


def test_errors_are_typed_and_retried(glm_emulator: EmulatorServer) -> None:
    from glm_transport.emulator.app import FAULT_HEADER

    flaky = {FAULT_HEADER: '{"code": "1302", "times": 1, "retry_after_ms": 1}'}
    assert _emb(glm_emulator.base_url, default_headers=flaky).embed_query("x")
    busy = {FAULT_HEADER: '{"code": "1302", "retry_after_ms": 1}'}
    with pytest.raises(GLMRateLimitError) as info:
        _emb(glm_emulator.base_url, default_headers=busy, max_retries=1).embed_query("x")
    assert info.value.attempts == 2


def test_pickles_without_the_key() -> None:
    assert b"secret-key" not in pickle.dumps(GLMEmbeddings(api_key="secret-key"))
