"""``GLMEmbeddings``: Zhipu GLM embeddings (embedding-3, embedding-2) as LangChain ``Embeddings``."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from glm_transport.embeddings import DEFAULT_EMBEDDING_MODEL, aembed, embed
from langchain_glm._connection import GLMConnection
from langchain_glm.errors import glm_errors

__all__ = ["GLMEmbeddings"]


class GLMEmbeddings(GLMConnection, Embeddings):
    """Zhipu GLM embeddings (``embedding-3``, ``embedding-2``) for LangChain.

    ``embedding-3`` offers 256 / 512 / 1024 / 2048 dimensions. Both run on the same transport,
    settings, retries and errors as ``ChatGLM``.

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

    model: str = DEFAULT_EMBEDDING_MODEL
    """Embedding model name."""
    dimensions: int | None = None
    """Vector size (embedding-3: 256, 512, 1024 or 2048); unset: the model's default."""
    batch_size: int | None = None
    """At most this many texts a request (the model's own limit applies anyway)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors for ``texts``, in order."""
        with glm_errors():
            return embed(
                self._sync_client(), texts, self.model, self.dimensions, self.batch_size
            ).vectors

    def embed_query(self, text: str) -> list[float]:
        """The vector of one query."""
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors for ``texts``, in order; batches go concurrently."""
        with glm_errors():
            result = await aembed(
                self._async_client(), texts, self.model, self.dimensions, self.batch_size
            )
        return result.vectors

    async def aembed_query(self, text: str) -> list[float]:
        """The vector of one query."""
        return (await self.aembed_documents([text]))[0]
