"""``from llama_index.readers.glm_ocr import GLMOCRReader``: LlamaIndex's usual import path for
this reader (the same class as ``llama_index_glm.GLMOCRReader``)."""

from llama_index_glm import GLMOCRReader

__all__ = ["GLMOCRReader"]
