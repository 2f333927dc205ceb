"""LlamaIndex integration for Zhipu GLM: ``from llama_index_glm import GLM``.

Attributes load on first use, so ``import llama_index_glm`` stays cheap until a model is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llama_index_glm.base import GLM

__all__ = ["GLM"]


def __getattr__(name: str) -> Any:
    if name == "GLM":
        from llama_index_glm.base import GLM

        return GLM
    raise AttributeError(f"module 'llama_index_glm' has no attribute {name!r}")
