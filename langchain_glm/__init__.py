"""LangChain integration for Zhipu GLM: ``from langchain_glm import ChatGLM, GLMEmbeddings``.

Attributes load on first use, so ``import langchain_glm`` stays cheap until a model is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from glm_transport import __version__

if TYPE_CHECKING:
    from langchain_glm.chat_models import ChatGLM
    from langchain_glm.embeddings import GLMEmbeddings

__all__ = ["ChatGLM", "GLMEmbeddings", "__version__"]


def __getattr__(name: str) -> Any:
    try:
        return _load(name)
    except AttributeError as exc:
        if exc.name == name and exc.obj is None:
            raise
        # Python would report a failure inside the import as "cannot import name": say what
        # actually failed (usually a framework release older than the one required).
        raise ImportError(f"importing {name} failed: {exc}") from exc


def _load(name: str) -> Any:
    if name == "ChatGLM":
        from langchain_glm.chat_models import ChatGLM

        return ChatGLM
    if name == "GLMEmbeddings":
        from langchain_glm.embeddings import GLMEmbeddings

        return GLMEmbeddings
    raise AttributeError(f"module 'langchain_glm' has no attribute {name!r}", name=name)
