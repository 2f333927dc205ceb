"""``GLMEmbedding``: Zhipu GLM embeddings as a LlamaIndex ``BaseEmbedding``."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import Field

from glm_transport.embeddings import DEFAULT_EMBEDDING_MODEL, aembed, embed, embedding_spec
from llama_index_glm._connection import GLMConnection

__all__ = ["GLMEmbedding"]


class GLMEmbedding(GLMConnection, BaseEmbedding):
    """Zhipu GLM embeddings (``embedding-3``, ``embedding-2``) for LlamaIndex.

    They run on the same transport, settings, retries and errors as ``GLM``.

    Examples:
        .. code-block:: python

            from llama_index.core import Settings, VectorStoreIndex
            from llama_index_glm import GLM, GLMEmbedding

            Settings.llm = GLM(model="glm-5.3")
            Settings.embed_model = GLMEmbedding(model_name="embedding-3", dimensions=1024)
            index = VectorStoreIndex.from_documents(documents)

        ``embed_batch_size`` (default 64, embedding-3's limit) is how many texts LlamaIndex hands
        over at once; each batch is also kept within the model's token limits. Callbacks and
        instrumentation events fire as for the built-in embeddings.
    """

    model_name: str = Field(default=DEFAULT_EMBEDDING_MODEL, description="Embedding model.")
    embed_batch_size: int = Field(default=64, gt=0, description="Texts per request, at most.")
    dimensions: int | None = Field(default=None, description="embedding-3: 256/512/1024/2048.")

    def __init__(self, model_name: str = DEFAULT_EMBEDDING_MODEL, **kwargs: Any) -> None:
        """Create the embedding model; ``embed_batch_size`` defaults to the model's batch limit."""
        kwargs.setdefault("embed_batch_size", embedding_spec(model_name).max_batch)
        super().__init__(model_name=model_name, **kwargs)

    @classmethod
    def class_name(cls) -> str:
        """The class name LlamaIndex serializes the embedding model under."""
        return "GLMEmbedding"

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return embed(
            self._sync_client(), texts, self.model_name, self.dimensions, self.embed_batch_size
        ).vectors

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        result = await aembed(
            self._async_client(), texts, self.model_name, self.dimensions, self.embed_batch_size
        )
        return result.vectors

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return (await self._aget_text_embeddings([text]))[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return await self._aget_text_embedding(query)
