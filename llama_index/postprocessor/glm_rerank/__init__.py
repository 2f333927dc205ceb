"""``from llama_index.postprocessor.glm_rerank import GLMRerank``: LlamaIndex's usual import path
for this reranker (the same class as ``llama_index_glm.GLMRerank``)."""

from llama_index_glm import GLMRerank

__all__ = ["GLMRerank"]
