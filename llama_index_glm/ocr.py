"""``GLMOCRReader``: GLM-OCR as a LlamaIndex reader, one ``Document`` per page."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from llama_index.core.bridge.pydantic import Field
from llama_index.core.readers.base import BasePydanticReader
from llama_index.core.schema import Document

from glm_transport import OCRResult
from glm_transport.ocr import (
    DEFAULT_OCR_MODEL,
    LAYOUT_METADATA,
    OCR_CONCURRENCY,
    OCRSource,
    aocr_many,
    ocr,
    read_through,
)
from llama_index_glm._connection import GLMConnection

__all__ = ["GLMOCRReader"]


class GLMOCRReader(GLMConnection, BasePydanticReader):
    """Read PDFs and images with GLM-OCR: one ``Document`` per page, its Markdown as text.

    Examples:
        .. code-block:: python

            from llama_index.readers.glm_ocr import GLMOCRReader

            reader = GLMOCRReader()
            docs = reader.load_data("contract.pdf")  # or a list; paths, URLs, bytes
            docs = await reader.aload_data(["a.pdf", "b.png"])  # concurrently, bounded

        As the reader of PDFs and images in a directory:

        .. code-block:: python

            from llama_index.core import SimpleDirectoryReader

            reader = GLMOCRReader()
            docs = SimpleDirectoryReader(
                "scans/", file_extractor={".pdf": reader, ".png": reader, ".jpg": reader}
            ).load_data()

        Each page's metadata: ``source`` (the file), ``page`` (from 1), ``layout`` (each
        element's ``index``, ``label``, ``bbox``, ``content``: tables as HTML, formulas, image
        URLs) and ``page_size`` (the space of ``bbox``) when GLM says it, after what the caller
        passes as ``extra_info``. ``layout`` and ``page_size`` are kept out of the text
        embedded and shown to the LLM.

        Limits, checked before a file is sent (``GLMValidationError`` names the file): PDF, PNG
        or JPEG; an image at most 10 MB, a PDF at most 50 MB; a path (also through ``fs``) a
        regular file, never read past the limits; a URL without ``user:password@``. A PDF over
        100 pages is read in page ranges of 100, concurrently in async, its pages in order, each
        reply holding the pages asked for; ``total_timeout`` bounds the whole file. An empty file or list:
        no request. Served on ``zai``, ``bigmodel`` and custom gateways; the Coding Plan
        presets, maxtoken and powertokens refuse before sending. Same transport, retries and
        typed errors as ``GLM``.
    """

    is_remote: bool = True
    model: str = Field(default=DEFAULT_OCR_MODEL, description="OCR model name.")
    max_concurrency: int = Field(
        default=OCR_CONCURRENCY, ge=1, description="Async: files and requests at most at once."
    )

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serializes this class under."""
        return "GLMOCRReader"

    def _sources(self, file: Any, fs: Any) -> Iterator[tuple[OCRSource, str | None]]:
        """Each file, read through ``fs`` when given, one at a time as it is asked for."""
        files = (
            [file]
            if isinstance(file, (str, bytes, Path)) or not isinstance(file, Sequence)
            else file
        )
        for f in files:
            if fs is None:
                yield f, None
            else:  # a file system of fsspec's (SimpleDirectoryReader's fs=): read through it,
                # a regular file only and no further than the limits (GLMValidationError names it)
                yield read_through(fs, str(f)), str(f)

    def _documents(self, result: OCRResult, extra_info: dict[str, Any] | None) -> list[Document]:
        return [
            Document(
                text=page.markdown,
                metadata={**(extra_info or {}), **page.metadata(result.source)},
                excluded_embed_metadata_keys=list(LAYOUT_METADATA),
                excluded_llm_metadata_keys=list(LAYOUT_METADATA),
            )
            for page in result.pages
        ]

    def lazy_load_data(
        self, file: Any, extra_info: dict[str, Any] | None = None, fs: Any = None
    ) -> Iterable[Document]:
        """Each file's pages in order, one file after another.

        Args:
            file: A file or a list: paths, ``http(s)`` URLs, ``data:`` URIs or bytes.
            extra_info: Metadata added to every page's.
            fs: An fsspec file system to read paths through.
        """
        client = self._sync_client()
        for source, name in self._sources(file, fs):
            yield from self._documents(ocr(client, source, model=self.model, name=name), extra_info)

    def load_data(
        self, file: Any, extra_info: dict[str, Any] | None = None, fs: Any = None
    ) -> list[Document]:
        """:meth:`lazy_load_data`, as a list."""
        return list(self.lazy_load_data(file, extra_info, fs))

    async def aload_data(
        self, file: Any, extra_info: dict[str, Any] | None = None, fs: Any = None
    ) -> list[Document]:
        """:meth:`load_data`, natively async: the files read concurrently, pages in file order."""
        sources = list(self._sources(file, fs))
        results = await aocr_many(
            self._async_client(),
            [s for s, _ in sources],
            model=self.model,
            names=[n for _, n in sources],
            concurrency=self.max_concurrency,
        )
        return [doc for result in results for doc in self._documents(result, extra_info)]
