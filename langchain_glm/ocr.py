"""``GLMOCRLoader`` and ``GLMOCRParser``: GLM-OCR as a LangChain document loader and blob parser."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.document_loaders import BaseBlobParser, BaseLoader, Blob
from langchain_core.documents import Document

from glm_transport import OCRResult
from glm_transport.ocr import (
    DEFAULT_OCR_MODEL,
    OCR_CONCURRENCY,
    OCRSource,
    aocr,
    aocr_many,
    ocr,
)
from langchain_glm._connection import GLMConnection
from langchain_glm.errors import glm_errors

__all__ = ["GLMOCRLoader", "GLMOCRParser"]


def _documents(result: OCRResult) -> list[Document]:
    return [
        Document(page_content=page.markdown, metadata=page.metadata(result.source))
        for page in result.pages
    ]


def _of_blob(blob: Blob) -> tuple[OCRSource, str]:
    """What to read of ``blob`` (its file when it has no data in memory) and its name."""
    if blob.data is None and blob.path is not None:
        return blob.path, str(blob.source)
    return blob.as_bytes(), str(blob.source or "blob")


class _GLMOCR(GLMConnection):
    """The fields both classes share."""

    model: str = DEFAULT_OCR_MODEL
    """OCR model name; names we do not know are sent as they are."""
    max_concurrency: int = OCR_CONCURRENCY
    """Async: files read, and requests in flight, at most at once."""


class GLMOCRParser(_GLMOCR, BaseBlobParser):
    """GLM-OCR as a blob parser: one ``Document`` per page of a PDF, PNG or JPEG blob.

    Composes with LangChain's blob loaders, for a directory of scans:

    .. code-block:: python

        from langchain_community.document_loaders.generic import GenericLoader

        from langchain_glm import GLMOCRParser

        loader = GenericLoader.from_filesystem(
            "scans/", glob="**/*.pdf", parser=GLMOCRParser()
        )
        docs = loader.load()

    Each document's ``page_content`` is the page's Markdown; its metadata has ``source`` (the
    blob's source), ``page`` (from 1), ``layout`` (each element's ``index``, ``label``,
    ``bbox`` and ``content``: tables as HTML, formulas, image URLs) and ``page_size`` (the
    space of ``bbox``) when GLM says it. A PDF over 100 pages is read in page ranges, pages in
    order. Limits (an image at most 10 MB, a PDF at most 50 MB) and the file's type are checked
    before sending: ``GLMValidationError`` names the file. An empty blob: no request, no
    documents. Served on ``zai``, ``bigmodel`` and custom gateways; same settings, retries and
    typed errors as ``ChatGLM``.
    """

    def lazy_parse(self, blob: Blob) -> Iterator[Document]:
        """The blob's pages, in order, one ``Document`` each."""
        source, name = _of_blob(blob)
        with glm_errors():
            result = ocr(self._sync_client(), source, model=self.model, name=name)
        yield from _documents(result)

    async def aparse(self, blob: Blob) -> list[Document]:
        """:meth:`parse`, natively async; a long PDF's page ranges go concurrently."""
        source, name = _of_blob(blob)
        with glm_errors():
            result = await aocr(
                self._async_client(),
                source,
                model=self.model,
                name=name,
                concurrency=self.max_concurrency,
            )
        return _documents(result)


class GLMOCRLoader(_GLMOCR, BaseLoader):
    """Load PDFs and images with GLM-OCR: one ``Document`` per page, its Markdown as content.

    Setup:
        ``pip install "glm-integrations[langchain]"`` and ``export GLM_API_KEY=...``.

    Instantiate:
        .. code-block:: python

            from langchain_glm import GLMOCRLoader

            loader = GLMOCRLoader(["contract.pdf", "https://example.com/scan.png"])

    Load:
        .. code-block:: python

            docs = loader.load()  # or: for doc in loader.lazy_load(): ...
            docs[0].page_content  # the first page's Markdown
            docs[0].metadata  # {'source': 'contract.pdf', 'page': 1, 'layout': [...], ...}
            docs = await loader.aload()  # files read concurrently, at most max_concurrency

    ``file_path`` takes one file or a list: local paths, ``http(s)`` URLs (GLM fetches them),
    ``data:`` URIs or bytes (``source`` is then ``bytes``). Metadata per page: ``source``,
    ``page`` (from 1), ``layout`` (each element's ``index``, ``label``, ``bbox``,
    ``content``) and ``page_size`` when GLM says it. ``layout`` is a list of dicts: for a
    vector store that keeps flat metadata only, drop it (``filter_complex_metadata``).

    Limits, checked before a file is sent (``GLMValidationError`` names the file): PDF, PNG or
    JPEG; an image at most 10 MB, a PDF at most 50 MB; a path a regular file, never read past
    the limits; a URL without ``user:password@``. A PDF over 100 pages is read in page ranges of
    100, concurrently in async, and its pages come back in order, each reply holding the pages
    asked for; ``total_timeout`` bounds the whole file. An empty file or
    an empty list: no request. Served on ``zai``, ``bigmodel`` and custom gateways; the Coding
    Plan presets, maxtoken and powertokens refuse before sending. Same transport, retries,
    typed errors and pools as ``ChatGLM``. The parser underneath is :class:`GLMOCRParser`.
    """

    file_path: Any
    """A file or a list of files: paths, ``http(s)`` URLs, ``data:`` URIs or bytes."""

    def __init__(self, file_path: Any = None, **kwargs: Any) -> None:
        """Take ``file_path`` positionally, as LangChain's file loaders do."""
        kwargs["file_path"] = file_path
        super().__init__(**kwargs)

    def _sources(self) -> list[OCRSource]:
        given = self.file_path
        if isinstance(given, (str, bytes, Path)) or not isinstance(given, Sequence):
            return [given]
        return list(given)

    def lazy_load(self) -> Iterator[Document]:
        """Each file's pages in order, one file after another."""
        client = self._sync_client()
        for source in self._sources():
            with glm_errors():
                result = ocr(client, source, model=self.model)
            yield from _documents(result)

    async def alazy_load(self) -> AsyncIterator[Document]:
        """The files read concurrently (at most ``max_concurrency``), pages in file order."""
        with glm_errors():
            results = await aocr_many(
                self._async_client(),
                self._sources(),
                model=self.model,
                concurrency=self.max_concurrency,
            )
        for result in results:
            for document in _documents(result):
                yield document
