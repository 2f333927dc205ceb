"""LangChain integration for Zhipu GLM: ``from langchain_glm import ChatGLM, GLMEmbeddings, GLMRerank``.

Attributes load on first use, so ``import langchain_glm`` stays cheap until a model is built;
it does register the translator of GLM's content blocks, so a message read back from storage
(a checkpoint, a pickle) shows its blocks before any model is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import langchain_glm._blocks  # noqa: F401  (registers GLM's content blocks with langchain-core)
from glm_transport import __version__
from glm_transport.lazy import exporter

if TYPE_CHECKING:
    from langchain_glm.chat_models import ChatGLM
    from langchain_glm.embeddings import GLMEmbeddings
    from langchain_glm.ocr import GLMOCRLoader, GLMOCRParser
    from langchain_glm.rerank import GLMRerank
    from langchain_glm.websearch import GLMWebReader, GLMWebSearch, GLMWebSearchRetriever

__all__ = [
    "ChatGLM",
    "GLMEmbeddings",
    "GLMOCRLoader",
    "GLMOCRParser",
    "GLMRerank",
    "GLMWebReader",
    "GLMWebSearch",
    "GLMWebSearchRetriever",
    "__version__",
]


__getattr__ = exporter(
    "langchain_glm",
    {
        "ChatGLM": "langchain_glm.chat_models",
        "GLMEmbeddings": "langchain_glm.embeddings",
        "GLMOCRLoader": "langchain_glm.ocr",
        "GLMOCRParser": "langchain_glm.ocr",
        "GLMRerank": "langchain_glm.rerank",
        "GLMWebReader": "langchain_glm.websearch",
        "GLMWebSearch": "langchain_glm.websearch",
        "GLMWebSearchRetriever": "langchain_glm.websearch",
    },
)
