"""``from llama_index.tools.glm_search import GLMWebSearchToolSpec``: LlamaIndex's usual import path
for this tool spec (the same class as ``llama_index_glm.GLMWebSearchToolSpec``)."""

from llama_index_glm import GLMWebSearchToolSpec

__all__ = ["GLMWebSearchToolSpec"]
