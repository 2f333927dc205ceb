"""LlamaIndex integration for Zhipu GLM: ``from llama_index_glm import GLM, GLMEmbedding``.

Attributes load on first use, so ``import llama_index_glm`` stays cheap until a model is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from glm_transport import __version__

if TYPE_CHECKING:
    from llama_index_glm.base import GLM
    from llama_index_glm.embedding import GLMEmbedding

__all__ = ["GLM", "GLMEmbedding", "__version__"]


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
    if name == "GLM":
        from llama_index_glm.base import GLM

        return GLM
    if name == "GLMEmbedding":
        from llama_index_glm.embedding import GLMEmbedding

        return GLMEmbedding
    raise AttributeError(f"module 'llama_index_glm' has no attribute {name!r}", name=name)
