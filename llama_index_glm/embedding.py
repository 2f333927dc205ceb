"""``GLMEmbedding``: Zhipu GLM embeddings as a LlamaIndex ``BaseEmbedding``."""

from __future__ import annotations

from typing import Any

import httpx
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import Field, PrivateAttr, SecretStr, model_validator

from glm_transport._constants import DEFAULT_MAX_RETRIES
from glm_transport.binding import Binding, binding_of, portable_state, private
from glm_transport.embeddings import DEFAULT_EMBEDDING_MODEL, embedding_spec

# Private attributes holding the user's HTTP clients: never pickled.
_LIVE_PRIVATE = ("_http_client", "_async_http_client")

__all__ = ["GLMEmbedding"]


class GLMEmbedding(BaseEmbedding):
    """Zhipu GLM embeddings (``embedding-3``, ``embedding-2``) for LlamaIndex, on the same
    transport, settings, retries and errors as ``GLM``.

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
    provider: str | None = Field(default=None, description="Provider preset (default 'zai').")
    base_url: str | None = Field(default=None, description="Base URL; also accepted as api_base.")
    api_key: SecretStr | None = Field(default=None, exclude=True, description="API key.")
    timeout: float | tuple[float | None, float | None] | None = Field(default=None)
    total_timeout: float | None = Field(default=None)
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES)
    default_headers: dict[str, str] | None = Field(default=None)
    pickle_api_key: bool = Field(default=False, exclude=True)

    _binding: Binding = PrivateAttr(default_factory=Binding)
    _http_client: httpx.Client | None = PrivateAttr(default=None)
    _async_http_client: httpx.AsyncClient | None = PrivateAttr(default=None)

    def __init__(
        self,
        model_name: str = DEFAULT_EMBEDDING_MODEL,
        *,
        api_base: str | None = None,
        http_client: Any = None,
        async_http_client: Any = None,
        **kwargs: Any,
    ) -> None:
        if api_base is not None and kwargs.get("base_url") is None:
            kwargs["base_url"] = api_base
        kwargs.setdefault("embed_batch_size", embedding_spec(model_name).max_batch)
        super().__init__(model_name=model_name, **kwargs)
        self._http_client = http_client
        self._async_http_client = async_http_client

    @model_validator(mode="after")
    def _resolve(self) -> GLMEmbedding:
        self.api_key = binding_of(self).settings(self).api_key  # validates every setting now
        return self

    def __getstate__(self) -> dict[Any, Any]:
        return portable_state(
            super().__getstate__(), live_private=_LIVE_PRIVATE, keep_key=self.pickle_api_key
        )

    @classmethod
    def class_name(cls) -> str:
        return "GLMEmbedding"

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        client = binding_of(self).sync(self, private(self, "_http_client"))
        return client.embed(texts, self.model_name, self.dimensions, self.embed_batch_size).vectors

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        client = binding_of(self).async_(self, private(self, "_async_http_client"))
        result = await client.embed(texts, self.model_name, self.dimensions, self.embed_batch_size)
        return result.vectors

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return (await self._aget_text_embeddings([text]))[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return await self._aget_text_embedding(query)
