"""LlamaIndex integration for Zhipu GLM: ``from llama_index_glm import GLM, GLMEmbedding, GLMRerank``.

Attributes load on first use, so ``import llama_index_glm`` stays cheap until a model is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glm_transport import __version__
from glm_transport.lazy import exporter

if TYPE_CHECKING:
    from llama_index_glm.base import GLM
    from llama_index_glm.embedding import GLMEmbedding
    from llama_index_glm.ocr import GLMOCRReader
    from llama_index_glm.rerank import GLMRerank
    from llama_index_glm.tools import GLMWebSearchToolSpec

__all__ = [
    "GLM",
    "GLMEmbedding",
    "GLMOCRReader",
    "GLMRerank",
    "GLMWebSearchToolSpec",
    "__version__",
]


__getattr__ = exporter(
    "llama_index_glm",
    {
        "GLM": "llama_index_glm.base",
        "GLMEmbedding": "llama_index_glm.embedding",
        "GLMOCRReader": "llama_index_glm.ocr",
        "GLMRerank": "llama_index_glm.rerank",
        "GLMWebSearchToolSpec": "llama_index_glm.tools",
    },
)
