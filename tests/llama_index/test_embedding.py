"""GLMEmbedding: LlamaIndex's embedding contract on the emulator."""

from __future__ import annotations

import asyncio

import pytest
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler

from glm_transport import GLMValidationError
from glm_transport.emulator import EmulatorServer
from llama_index_glm import GLMEmbedding


def test_embed_batch_size_is_honoured(glm_emulator: EmulatorServer) -> None:
    emb = GLMEmbedding(base_url=glm_emulator.base_url, api_key="k", embed_batch_size=10)
    vectors = emb.get_text_embedding_batch([f"text {i}" for i in range(25)])
    assert len(vectors) == 25 and len(vectors[0]) == 2048
    assert [len(b["input"]) for b in glm_emulator.state.bodies] == [10, 10, 5]


def test_query_async_and_dimensions(glm_emulator: EmulatorServer) -> None:
    emb = GLMEmbedding(base_url=glm_emulator.base_url, api_key="k", dimensions=256)
    assert len(emb.get_query_embedding("q")) == 256
    assert len(asyncio.run(emb.aget_text_embedding("t"))) == 256
    assert len(asyncio.run(emb.aget_text_embedding_batch(["a", "b", "c"]))) == 3
    assert glm_emulator.state.bodies[-1]["dimensions"] == 256


def test_callbacks_fire_like_built_in_embeddings(glm_emulator: EmulatorServer) -> None:
    debug = LlamaDebugHandler()
    emb = GLMEmbedding(
        base_url=glm_emulator.base_url, api_key="k", callback_manager=CallbackManager([debug])
    )
    emb.get_text_embedding_batch(["a", "b"])
    assert len(debug.get_event_pairs(CBEventType.EMBEDDING)) == 1


def test_bad_input_names_its_index(glm_emulator: EmulatorServer) -> None:
    emb = GLMEmbedding(base_url=glm_emulator.base_url, api_key="k")
    with pytest.raises(GLMValidationError, match=r"texts\[1\]"):
        emb.get_text_embedding_batch(["ok", "  "])
