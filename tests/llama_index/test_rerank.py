"""GLMRerank for LlamaIndex: a node postprocessor with LlamaIndex's reranker conventions (events,
callbacks, MetadataMode.EMBED), natively async, on the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from glm_transport import GLMValidationError, RateLimitError
from glm_transport.emulator import EmulatorServer
from llama_index_glm import GLMRerank

TEXTS = ["the cat sat", "paris is the capital of france", "france has wine", "berlin"]


def _nodes() -> list[NodeWithScore]:
    return [
        NodeWithScore(node=TextNode(text=t, id_=f"n{i}"), score=0.5) for i, t in enumerate(TEXTS)
    ]


def test_import_paths_and_defaults() -> None:
    from llama_index.postprocessor.glm_rerank import GLMRerank as FromPath

    assert FromPath is GLMRerank
    reranker = GLMRerank(api_key="k")
    assert isinstance(reranker, BaseNodePostprocessor)
    assert (reranker.model, reranker.top_n) == ("rerank", 2)


def test_nodes_best_first_with_scores(glm_emulator: EmulatorServer) -> None:
    reranker = GLMRerank(base_url=glm_emulator.base_url, api_key="k")
    out = reranker.postprocess_nodes(_nodes(), query_str="capital of france")
    assert [n.node.node_id for n in out] == ["n1", "n2"]
    assert out[0].score == 1.0 and out[0].score > (out[1].score or 0)
    every = GLMRerank(base_url=glm_emulator.base_url, api_key="k", top_n=0)
    assert len(every.postprocess_nodes(_nodes(), query_str="france")) == 4


def test_node_text_is_read_with_embed_metadata(glm_emulator: EmulatorServer) -> None:
    node = TextNode(text="plain text", metadata={"city": "paris"})
    reranker = GLMRerank(base_url=glm_emulator.base_url, api_key="k")
    reranker.postprocess_nodes([NodeWithScore(node=node)], query_str="paris")
    sent = glm_emulator.state.bodies[-1]
    assert "paris" in sent["documents"][0] and "plain text" in sent["documents"][0]


async def test_async_is_native_and_agrees(glm_emulator: EmulatorServer) -> None:
    reranker = GLMRerank(base_url=glm_emulator.base_url, api_key="k")
    out = await reranker.apostprocess_nodes(_nodes(), query_str="capital of france")
    assert [(n.node.node_id, n.score) for n in out] == [
        (n.node.node_id, n.score)
        for n in reranker.postprocess_nodes(_nodes(), query_str="capital of france")
    ]
    assert type(reranker)._apostprocess_nodes is not BaseNodePostprocessor._apostprocess_nodes


def test_events_and_callbacks(glm_emulator: EmulatorServer) -> None:
    seen: list[Any] = []

    class Collect(BaseEventHandler):
        def handle(self, event: Any, **kwargs: Any) -> None:
            if isinstance(event, (ReRankStartEvent, ReRankEndEvent)):
                seen.append(event)

    handler = Collect()
    root = get_dispatcher()
    root.add_event_handler(handler)
    debug = LlamaDebugHandler()
    try:
        reranker = GLMRerank(
            base_url=glm_emulator.base_url,
            api_key="k",
            callback_manager=CallbackManager([debug]),
        )
        out = reranker.postprocess_nodes(_nodes(), QueryBundle("capital of france"))
        asyncio.run(reranker.apostprocess_nodes(_nodes(), QueryBundle("capital of france")))
    finally:
        root.event_handlers.remove(handler)
    start, end = seen[0], seen[1]
    assert isinstance(start, ReRankStartEvent) and start.model_name == "rerank"
    assert start.top_n == 2 and len(start.nodes) == 4
    assert isinstance(end, ReRankEndEvent) and [n.node.node_id for n in end.nodes] == [
        n.node.node_id for n in out
    ]
    assert len(seen) == 4  # sync and async
    pairs = debug.get_event_pairs(CBEventType.RERANKING)
    assert len(pairs) == 2


def test_no_nodes_no_request_and_a_query_is_required(glm_emulator: EmulatorServer) -> None:
    reranker = GLMRerank(base_url=glm_emulator.base_url, api_key="k")
    assert reranker.postprocess_nodes([], query_str="q") == []
    assert glm_emulator.state.requests == 0
    with pytest.raises(ValueError, match="needs a query"):
        reranker.postprocess_nodes(_nodes())


def test_errors_limits_and_providers(glm_emulator: EmulatorServer) -> None:
    from glm_transport.emulator.app import FAULT_HEADER

    busy = {FAULT_HEADER: '{"code": "1302", "retry_after_ms": 1}'}
    reranker = GLMRerank(
        base_url=glm_emulator.base_url, api_key="k", default_headers=busy, max_retries=0
    )
    with pytest.raises(RateLimitError):
        reranker.postprocess_nodes(_nodes(), query_str="q")
    long = [NodeWithScore(node=TextNode(text="x" * 5000))]
    with pytest.raises(GLMValidationError) as info:
        GLMRerank(base_url=glm_emulator.base_url, api_key="k").postprocess_nodes(
            long, query_str="q"
        )
    assert info.value.field == "documents[0]"
    cut = GLMRerank(base_url=glm_emulator.base_url, api_key="k", truncate=True)
    assert cut.postprocess_nodes(long, query_str="x")
    with pytest.raises(GLMValidationError, match="documents no rerank endpoint"):
        GLMRerank(provider="maxtoken", api_key="k").postprocess_nodes(_nodes(), query_str="q")
