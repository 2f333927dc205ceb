"""``GLMEmbeddings``: Zhipu GLM embeddings (embedding-3, embedding-2) as LangChain ``Embeddings``."""

from __future__ import annotations

from typing import Any

import httpx
from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from glm_transport._constants import DEFAULT_MAX_RETRIES
from glm_transport.binding import Binding, binding_of, portable_state
from glm_transport.embeddings import DEFAULT_EMBEDDING_MODEL
from langchain_glm.errors import glm_errors

__all__ = ["GLMEmbeddings"]

_LIVE_FIELDS = ("http_client", "http_async_client")


class GLMEmbeddings(BaseModel, Embeddings):
    """Zhipu GLM embeddings: ``embedding-3`` (256 / 512 / 1024 / 2048 dimensions) or
    ``embedding-2``, on the same transport, settings, retries and errors as ``ChatGLM``.

    Setup:
        ``pip install "glm-integrations[langchain]"`` and ``export GLM_API_KEY=...``.

    Instantiate:
        .. code-block:: python

            from langchain_glm import GLMEmbeddings

            embeddings = GLMEmbeddings(model="embedding-3", dimensions=1024)

    Embed:
        .. code-block:: python

            embeddings.embed_query("What is GLM?")            # list[float]
            embeddings.embed_documents(["GLM is ...", "..."])  # list[list[float]], in order
            await embeddings.aembed_documents([...])           # batches sent concurrently

        Inputs are split into requests within the model's limits (64 texts, 3072 tokens a text
        on embedding-3); an empty text or one over the limit raises ``GLMValidationError``
        naming its index before anything is sent. Providers without an ``/embeddings``
        endpoint (the Coding Plan, maxtoken, powertokens) raise a clear error too.
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    model: str = DEFAULT_EMBEDDING_MODEL
    """Embedding model name."""
    dimensions: int | None = None
    """Vector size (embedding-3: 256, 512, 1024 or 2048); unset: the model's default."""
    batch_size: int | None = None
    """At most this many texts a request (the model's own limit applies anyway)."""
    provider: str | None = None
    base_url: str | None = Field(default=None, alias="api_base")
    api_key: SecretStr | None = Field(default=None, alias="glm_api_key")
    timeout: float | tuple[float | None, float | None] | httpx.Timeout | None = None
    total_timeout: float | None = None
    max_retries: int = DEFAULT_MAX_RETRIES
    default_headers: dict[str, str] | None = None
    http_client: Any | None = Field(default=None, exclude=True)
    http_async_client: Any | None = Field(default=None, exclude=True)
    pickle_api_key: bool = Field(default=False, exclude=True)

    _binding: Binding = PrivateAttr(default_factory=Binding)

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        self.api_key = binding_of(self).settings(self).api_key  # validates every setting now
        return self

    def __getstate__(self) -> dict[Any, Any]:
        return portable_state(
            super().__getstate__(), live=_LIVE_FIELDS, keep_key=self.pickle_api_key
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors for ``texts``, in order."""
        with glm_errors():
            client = binding_of(self).sync(self, self.http_client)
            return client.embed(texts, self.model, self.dimensions, self.batch_size).vectors

    def embed_query(self, text: str) -> list[float]:
        """The vector of one query."""
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors for ``texts``, in order; batches go concurrently."""
        with glm_errors():
            client = binding_of(self).async_(self, self.http_async_client)
            result = await client.embed(texts, self.model, self.dimensions, self.batch_size)
        return result.vectors

    async def aembed_query(self, text: str) -> list[float]:
        """The vector of one query."""
        return (await self.aembed_documents([text]))[0]
