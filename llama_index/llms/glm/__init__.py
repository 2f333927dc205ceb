"""``from llama_index.llms.glm import GLM``: LlamaIndex's usual import path for this integration
(the same class as ``llama_index_glm.GLM``)."""

from llama_index_glm import GLM

__all__ = ["GLM"]
