"""``GLMRerank``: GLM's rerank model as a LlamaIndex node postprocessor."""

from __future__ import annotations

from typing import Any

from llama_index.core.bridge.pydantic import Field
from llama_index.core.callbacks import CBEventType, EventPayload
from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle

from glm_transport import Reranked
from glm_transport.rerank import DEFAULT_RERANK_MODEL, arerank, rerank
from llama_index_glm._connection import GLMConnection

__all__ = ["GLMRerank"]

dispatcher = get_dispatcher(__name__)


class GLMRerank(GLMConnection, BaseNodePostprocessor):
    """GLM's ``rerank`` model for LlamaIndex: nodes ordered by relevance to the query.

    Served on the ``zai`` and ``bigmodel`` presets and custom gateways; the Coding Plan presets,
    maxtoken and powertokens document no rerank endpoint and raise ``GLMValidationError``
    before sending. Same transport, settings, retries and typed errors as ``GLM``.

    Examples:
        .. code-block:: python

            from llama_index.postprocessor.glm_rerank import GLMRerank

            reranker = GLMRerank(top_n=2)
            query_engine = index.as_query_engine(
                similarity_top_k=10, node_postprocessors=[reranker]
            )

        Each node's text is read as LlamaIndex's rerankers read it
        (``MetadataMode.EMBED``); the result is ``NodeWithScore`` with ``score`` set to the
        relevance score, best first. ``apostprocess_nodes`` is natively async. Rerank
        instrumentation events and the ``RERANKING`` callback event fire as for LlamaIndex's
        own rerankers.

        Limits, checked before sending: the query and each node's text at most 4096 characters
        (``truncate=True`` cuts them instead; the error names the node's index). More than 128
        nodes go as several requests, concurrently in async, merged by score: scores of
        separate requests are compared as they are. No nodes: no request.
    """

    model: str = Field(default=DEFAULT_RERANK_MODEL, description="Rerank model name.")
    top_n: int = Field(default=2, ge=0, description="Nodes to keep; 0 keeps all of them.")
    truncate: bool = Field(
        default=False, description="Cut texts over 4096 characters instead of refusing them."
    )

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serializes this class under."""
        return "GLMRerank"

    def _ask(self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None) -> dict[str, Any]:
        """One call's arguments; announces the rerank to instrumentation."""
        if query_bundle is None:
            raise ValueError("GLMRerank needs a query: pass query_bundle or query_str")
        dispatcher.event(
            ReRankStartEvent(
                query=query_bundle, nodes=nodes, top_n=self.top_n, model_name=self.model
            )
        )
        return {
            "query": query_bundle.query_str,
            "documents": [n.node.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes],
            "model": self.model,
            "top_n": self.top_n,
            "truncate": self.truncate,
        }

    def _event(self, nodes: list[NodeWithScore], query: str) -> Any:
        """The ``RERANKING`` callback event around the request."""
        return self.callback_manager.event(
            CBEventType.RERANKING,
            payload={
                EventPayload.NODES: nodes,
                EventPayload.MODEL_NAME: self.model,
                EventPayload.QUERY_STR: query,
                EventPayload.TOP_K: self.top_n,
            },
        )

    def _end(
        self, nodes: list[NodeWithScore], result: Reranked, event: Any = None
    ) -> list[NodeWithScore]:
        ranked = [
            NodeWithScore(node=nodes[r.index].node, score=r.relevance_score) for r in result.results
        ]
        if event is not None:
            event.on_end(payload={EventPayload.NODES: ranked})
        dispatcher.event(ReRankEndEvent(nodes=ranked))
        return ranked

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        ask = self._ask(nodes, query_bundle)
        if not nodes:
            return self._end(nodes, Reranked([]))
        with self._event(nodes, ask["query"]) as event:
            return self._end(nodes, rerank(self._sync_client(), **ask), event)

    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        ask = self._ask(nodes, query_bundle)
        if not nodes:
            return self._end(nodes, Reranked([]))
        with self._event(nodes, ask["query"]) as event:
            return self._end(nodes, await arerank(self._async_client(), **ask), event)
