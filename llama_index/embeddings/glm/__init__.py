"""``from llama_index.embeddings.glm import GLMEmbedding``: LlamaIndex's usual import path for
this integration (the same class as ``llama_index_glm.GLMEmbedding``)."""

from llama_index_glm import GLMEmbedding

__all__ = ["GLMEmbedding"]
