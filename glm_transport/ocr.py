"""The OCR endpoint: ``POST {base_url}/layout_parsing`` reads PDFs and images with GLM-OCR.

Wire facts (Z.ai API reference "Layout Parsing", docs.z.ai/api-reference/tools/layout-parsing, and
BigModel's "版面解析", docs.bigmodel.cn/api-reference/模型-api/版面解析, read 2026-12-05;
``shared/reference/glm-platform.md`` §4.2; the official SDKs: zai-sdk ``layout_parsing.create``
and glmocr ``maas_client.py``):

* the body takes ``model`` (``glm-ocr``), ``file`` (a URL or base64; PDF, JPG or PNG; an image
  at most 10 MB, a PDF at most 50 MB and 100 pages), ``start_page_id`` and ``end_page_id`` (the
  PDF pages to read, integers from 1: docs.z.ai ``openapi.json`` ``minimum: 1``, glmocr
  "1-indexed"), ``return_crop_images``, ``need_layout_visualization``, ``request_id`` (6 to 64
  characters), ``user_id``;
* the reply holds ``md_results`` (the Markdown of every page read), ``layout_details`` (one list
  per page of elements: ``index``, ``label`` image/text/formula/table, ``bbox_2d``, ``content``
  (text, an image URL or table HTML), the page's ``width`` and ``height``), ``data_info``
  (``num_pages``, ``pages`` of ``width``/``height``), ``usage`` and ``request_id``.

What the docs leave open, and what this module does:

* the base64 form: glmocr sends a data URI ("MaaS requires data URI even for base64"), so do we;
* ``bbox_2d``: the docs' example shows fractions, glmocr reads pixels of the page's
  ``width``/``height``; it is passed on as GLM sends it, the page size beside it;
* one page's Markdown: ``md_results`` covers the whole reply and no page separator is documented,
  so a reply of one page gives it ``md_results``, and a reply of several gives each page its
  elements' contents, in order, a blank line apart (an image element as a Markdown image);
* whether 100 pages bound a request or a document: a longer PDF is read in ranges of at most 100
  pages (concurrently in async), and the pages come back in order. The page count is read from
  the PDF (:mod:`glm_transport.pdfpages`); a PDF whose count cannot be read (or is more than the
  file can hold) goes whole;
* how many pages a reply holds: as many as were asked for (a range's length, the PDF's count, 1
  for an image); a reply with more or fewer is an ``APIError`` saying both numbers, never pages
  dropped or renumbered. A file whose count is not known here (a URL, a PDF sent whole) takes
  what comes;
* ``bbox_2d``: four numbers, ``[x1, y1, x2, y2]``; any other length is an ``APIError``.

``total_timeout`` bounds the whole read of one file: the ranges of a long PDF share one
deadline (the client's ``post(..., until=)``), each range sent with what is left of it (none left: ``APITimeoutError`` naming the
file and how many ranges were read). A local file is looked at before it is read: only a
regular file, and never more of it than the limits allow. A URL with ``user:password@`` is
refused (GLM would be sent the credentials, and results and errors would quote them).

Like rerank (``request_id: True``): the docs describe ``request_id`` as the caller's, unique per
request, so each attempt sends a fresh one and a reply carrying another is refused.
"""

from __future__ import annotations

import asyncio
import base64
import os
import stat
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol, TypeVar, Union

from glm_transport import errors as E
from glm_transport.config import GLMSettings
from glm_transport.endpoint import Call, Endpoint, prepare
from glm_transport.errors import GLMValidationError
from glm_transport.parse import parse_usage
from glm_transport.pdfpages import is_pdf, page_count
from glm_transport.types import Usage
from glm_transport.urls import masked_url, split_http_url

if TYPE_CHECKING:  # the clients are passed in; importing them would load the I/O
    from glm_transport._client import AsyncGLMClient, GLMClient

__all__ = [
    "DEFAULT_OCR_MODEL",
    "LAYOUT_METADATA",
    "MAX_IMAGE_BYTES",
    "MAX_PAGES",
    "MAX_PDF_BYTES",
    "OCR",
    "OCR_CONCURRENCY",
    "FileSystem",
    "LayoutElement",
    "OCRFile",
    "OCRPage",
    "OCRResult",
    "OCRSource",
    "aocr",
    "aocr_many",
    "ocr",
    "ocr_body",
    "ocr_many",
    "page_ranges",
    "parse_ocr",
    "plan_file",
    "read_limited",
    "read_through",
]

T = TypeVar("T")

OCR = Endpoint("ocr", "/layout_parsing", request_id=True)
DEFAULT_OCR_MODEL = "glm-ocr"
MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""An image's size (Z.ai and BigModel API references: "Single image ≤10MB")."""
MAX_PDF_BYTES = 50 * 1024 * 1024
"""A PDF's size (the API references: "PDF ≤50MB")."""
MAX_PAGES = 100
"""PDF pages a request (the API references and the GLM-OCR guide: "Maximum support: 100 pages")."""
OCR_CONCURRENCY = 4
"""Requests (and files being read) in flight at once for one async call."""

OCRSource = Union[str, "os.PathLike[str]", bytes]
"""A file to read: a local path, an ``http(s)://`` URL, a ``data:`` URI, or the file's bytes."""

# What GLM takes (the API references: "PDF, JPG, PNG"), told by the file's first bytes.
_MIME = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}
_ALLOWED = "a PDF, PNG or JPEG file (a path, an http(s) URL, a data: URI or bytes)"
# URL suffixes of formats GLM-OCR does not take; other URLs (no suffix, presigned) go as given.
_REFUSED_SUFFIXES = frozenset(
    [
        ".gif",
        ".bmp",
        ".webp",
        ".tif",
        ".tiff",
        ".heic",
        ".svg",
        ".doc",
        ".docx",
        ".ppt",
        ".pptx",
        ".xls",
        ".xlsx",
        ".txt",
        ".md",
        ".csv",
    ]
)


@dataclass(frozen=True)
class LayoutElement:
    """One region of a page: its ``label`` (text, table, formula, image), ``bbox`` and ``content``.

    ``bbox`` is ``[x1, y1, x2, y2]`` as GLM sent it (see the module docstring); ``content`` is
    text, table HTML, a formula or an image URL.
    """

    label: str
    content: str
    bbox: tuple[float, ...] | None = None
    index: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The element as plain JSON values (for document metadata)."""
        bbox = list(self.bbox) if self.bbox is not None else None
        return {"index": self.index, "label": self.label, "bbox": bbox, "content": self.content}


@dataclass(frozen=True)
class OCRPage:
    """One page: its number in the file (from 1), its Markdown and its layout elements."""

    number: int
    markdown: str
    elements: tuple[LayoutElement, ...] = ()
    width: int | None = None
    height: int | None = None

    def metadata(self, source: str) -> dict[str, Any]:
        """The page's document metadata, the same in every framework.

        ``source`` (the file), ``page`` (its number, from 1, as GLM counts pages), ``layout``
        (each element's ``index``, ``label``, ``bbox`` and ``content``), and ``page_size``
        (``[width, height]``, the space of ``bbox``) when GLM said it.
        """
        meta: dict[str, Any] = {
            "source": source,
            "page": self.number,
            "layout": [e.as_dict() for e in self.elements],
        }
        if self.width and self.height:
            meta["page_size"] = [self.width, self.height]
        return meta


LAYOUT_METADATA = ("layout", "page_size")
"""Metadata keys that describe the layout, not the text (frameworks keep them out of prompts)."""


@dataclass
class OCRResult:
    """A file read: where it came from, its pages in order, and the tokens the requests used."""

    source: str
    pages: list[OCRPage]
    usage: Usage = field(default_factory=Usage)


@dataclass(frozen=True)
class OCRFile:
    """A file checked against the limits, ready to send.

    ``kind`` is ``pdf``, ``png``, ``jpeg`` or ``url``; ``file`` is what the body's ``file``
    carries (the URL or a data URI); ``pages`` the PDF's page count when it could be read.
    """

    name: str
    kind: str
    file: str
    size: int | None = None
    pages: int | None = None


def _kind(data: bytes) -> str | None:
    if is_pdf(data):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    return None


def _mb(n: int) -> str:
    return f"{n // (1024 * 1024)} MB ({n} bytes)"


def _check(data: bytes, name: str, size: int) -> str:
    """The kind of a file of ``size`` bytes starting with ``data``; refused naming ``name``."""
    kind = _kind(data)
    if kind is None:
        raise GLMValidationError("file", name, _ALLOWED)
    limit = MAX_PDF_BYTES if kind == "pdf" else MAX_IMAGE_BYTES
    if size > limit:
        what = "a PDF" if kind == "pdf" else "an image"
        raise GLMValidationError(
            "file", f"{name} ({size} bytes)", f"{what} of at most {_mb(limit)}"
        )
    return kind


def _from_bytes(data: bytes, name: str) -> OCRFile | None:
    if not data:
        return None  # an empty file: nothing to read, nothing sent
    kind = _check(data, name, len(data))
    uri = f"data:{_MIME[kind]};base64,{base64.b64encode(data).decode('ascii')}"
    pages = page_count(data) if kind == "pdf" else 1
    return OCRFile(name, kind, uri, len(data), pages)


def read_limited(handle: IO[bytes], name: str, size: int | None = None) -> bytes:
    """What GLM could take of an open file: never more than a PDF's limit and one byte.

    Args:
        handle: The file, open for reading bytes.
        name: What to call it in errors.
        size: Its size, when its file system says it: over the limits, only its first bytes are
            read (enough to say what it is).

    Raises:
        GLMValidationError: naming the file: over the limits, or not a PDF, PNG or JPEG.
    """
    over = size is not None and size > MAX_PDF_BYTES
    data = handle.read(1024 if over else MAX_PDF_BYTES + 1)
    if over or len(data) > MAX_PDF_BYTES:
        size = max(size or 0, len(data))
        if _kind(data) is None:  # over every limit, whatever it is: say its size
            raise GLMValidationError(
                "file", f"{name} ({size} bytes)", f"{_ALLOWED}, of at most {_mb(MAX_PDF_BYTES)}"
            )
        _check(data, name, size)  # a PDF or an image over its limit: raises
    return data


class FileSystem(Protocol):
    """What :func:`read_through` needs of a file system (fsspec's ``AbstractFileSystem``)."""

    def info(self, path: str) -> dict[str, Any]:
        """The file's ``type`` (``file``, ``directory``, ...) and ``size``."""

    def open(self, path: str, mode: str) -> Any:
        """The file, open (a context manager of a binary file)."""


def read_through(fs: FileSystem, path: str) -> bytes:
    """The bytes of ``path`` on ``fs``, looked at as a local file is before it is read.

    Only a regular file (``type`` ``file``), read no further than :func:`read_limited` allows.

    Raises:
        GLMValidationError: naming ``path``: missing, not a regular file, over the limits, or
            not a PDF, PNG or JPEG.
    """
    try:
        info = fs.info(path)
        if info.get("type") != "file":
            raise GLMValidationError("file", path, f"{_ALLOWED}; not a regular file")
        size = info.get("size")
        with fs.open(path, "rb") as handle:
            return read_limited(handle, path, size if isinstance(size, int) else None)
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise GLMValidationError("file", path, f"{_ALLOWED}; {why}") from None


def _from_path(path: Path, name: str) -> OCRFile | None:
    """A local file, looked at before it is read: a regular file, read no further than allowed."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a directory, a device (/dev/zero), a pipe
            raise GLMValidationError("file", name, f"{_ALLOWED}; not a regular file")
        with path.open("rb") as handle:
            data = read_limited(handle, name, info.st_size)
    except OSError as exc:
        raise GLMValidationError("file", name, f"{_ALLOWED}; {exc.strerror}") from None
    return _from_bytes(data, name)


def _from_data_uri(uri: str, name: str | None) -> OCRFile | None:
    head, comma, payload = uri.partition(",")
    if not comma or not head.endswith(";base64"):
        raise GLMValidationError("file", uri[:60], "a data: URI of base64 (data:...;base64,...)")
    try:
        data = base64.b64decode(payload, validate=True)
    except ValueError:
        raise GLMValidationError("file", uri[:60], "a data: URI of valid base64") from None
    return _from_bytes(data, name or "data: URI")


def _from_url(url: str, name: str | None) -> OCRFile:
    parts = split_http_url(url)
    if parts is None:
        raise GLMValidationError("file", masked_url(url), _ALLOWED)
    if parts.username is not None or parts.password is not None:
        raise GLMValidationError(
            "file",
            masked_url(url),
            "a URL without user:password@ credentials (GLM fetches the file itself; use a "
            "presigned URL, or read the file and pass its bytes)",
        )
    suffix = Path(parts.path).suffix.lower()
    if suffix in _REFUSED_SUFFIXES:
        raise GLMValidationError("file", url, _ALLOWED)
    return OCRFile(name or url, "url", url)


def _scheme(source: str) -> str:
    """The URL scheme ``source`` starts with, lower case (schemes are case-insensitive)."""
    head, colon, _ = source[:16].partition(":")
    return head.lower() if colon else ""


def plan_file(source: OCRSource, *, name: str | None = None) -> OCRFile | None:
    """``source`` as it will be sent, checked against the limits; ``None`` for an empty file.

    A path is read; a URL is sent as it is (GLM fetches it, so its size and pages are not known
    here); bytes and ``data:`` URIs are checked like files.

    Args:
        source: A path, an ``http(s)://`` URL, a ``data:`` URI, or the file's bytes.
        name: What to call the file in results and errors (default: the path or URL, or
            ``bytes``).

    Raises:
        GLMValidationError: naming the file: not found, not a regular file, not a PDF, PNG or
            JPEG, over the size limit, or a URL with credentials (masked in the error).
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(source), name or "bytes")
    scheme = _scheme(source) if isinstance(source, str) else ""
    if isinstance(source, str) and scheme in ("http", "https"):
        return _from_url(source, name)
    if isinstance(source, str) and scheme == "data":
        return _from_data_uri(source, name)
    if not isinstance(source, (str, os.PathLike)):
        raise GLMValidationError("file", type(source).__name__, _ALLOWED)
    path = Path(source)
    return _from_path(path, name or str(path))


def page_ranges(pages: int | None) -> list[tuple[int, int] | None]:
    """The page ranges (first, last; from 1) to request: ``[None]`` (the whole file) up to 100."""
    if pages is None or pages <= MAX_PAGES:
        return [None]
    return [(start, min(start + MAX_PAGES - 1, pages)) for start in range(1, pages + 1, MAX_PAGES)]


def ocr_body(file: str, model: str, pages: tuple[int, int] | None = None) -> dict[str, Any]:
    """The JSON body of one request; ``pages``: the first and last page to read."""
    body: dict[str, Any] = {"model": model, "file": file}
    if pages is not None:
        body["start_page_id"], body["end_page_id"] = pages
    return body


def _element(raw: Any) -> LayoutElement:
    label, content, bbox, index = (
        raw["label"],
        raw.get("content"),
        raw.get("bbox_2d"),
        raw.get("index"),
    )
    if not isinstance(label, str):
        raise ValueError(f"label {label!r}")
    if content is not None and not isinstance(content, str):
        raise ValueError(f"content {content!r}")
    if bbox is not None and (
        not isinstance(bbox, list)
        or len(bbox) != 4  # [x1, y1, x2, y2]
        or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in bbox)
    ):
        raise ValueError(f"bbox_2d {bbox!r}")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
        raise ValueError(f"index {index!r}")
    return LayoutElement(label, content or "", tuple(bbox) if bbox is not None else None, index)


def _page_markdown(elements: Sequence[LayoutElement]) -> str:
    parts = [
        f"![]({e.content})" if e.label == "image" else e.content for e in elements if e.content
    ]
    return "\n\n".join(parts)


def _size(raw: Any, key: str) -> int | None:
    value = raw.get(key) if isinstance(raw, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_ocr(
    body: Any, first_page: int = 1, expected: int | None = None
) -> tuple[list[OCRPage], Usage]:
    """One reply's pages, numbered from ``first_page``, and its usage.

    Args:
        body: The reply's JSON.
        first_page: The number of its first page.
        expected: How many pages were asked for (``None``: not known, what comes is taken).

    Raises:
        APIError: the reply is not of the documented shape, or holds another number of pages
            than ``expected``.
    """
    try:
        markdown = body.get("md_results")
        details = body.get("layout_details")
        if markdown is not None and not isinstance(markdown, str):
            raise ValueError(f"md_results {markdown!r}")
        if details is None:
            if markdown is None:
                raise ValueError("neither md_results nor layout_details")
            details = [[]]  # the Markdown alone: one page
        if not isinstance(details, list) or not all(isinstance(p, list) for p in details):
            raise ValueError("layout_details is not a list of pages")
        sizes = (body.get("data_info") or {}).get("pages") or []
        if not isinstance(sizes, list):
            raise ValueError("data_info.pages is not a list")
        pages = []
        for i, raw_page in enumerate(details):
            elements = tuple(_element(e) for e in raw_page)
            text = markdown if len(details) == 1 and markdown else _page_markdown(elements)
            # Each element carries its page's size; data_info.pages, one per page, says it too.
            known = [raw_page[0] if raw_page else {}]
            if len(sizes) == len(details):
                known.append(sizes[i])
            width = next((w for w in (_size(k, "width") for k in known) if w), None)
            height = next((h for h in (_size(k, "height") for k in known) if h), None)
            pages.append(OCRPage(first_page + i, text or "", elements, width, height))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise E.APIError(
            f"GLM returned a layout_parsing reply of an unexpected shape ({exc})", body=body
        ) from None
    if expected is not None and len(pages) != expected:
        asked = (
            f"page {first_page}"
            if expected == 1
            else (f"pages {first_page}-{first_page + expected - 1}")
        )
        raise E.APIError(
            f"GLM returned a layout_parsing reply of another page count than asked for "
            f"({asked}): expected {expected} pages, got {len(pages)}",
            body=body,
        )
    return pages, parse_usage(body.get("usage")) or Usage()


def _check_model(model: Any) -> None:
    if not isinstance(model, str) or not model.strip():
        raise GLMValidationError("model", model, "an OCR model name, such as 'glm-ocr'")


@dataclass(frozen=True)
class _Range:
    """One request of a file: the pages asked for (``None``: the file whole) and their count."""

    pages: tuple[int, int] | None
    first: int
    expected: int | None

    def call(self, settings: GLMSettings, file: OCRFile, model: str) -> Call:
        """The request, built when it is about to be sent (a body holds the whole file)."""
        return prepare(settings, OCR, ocr_body(file.file, model, self.pages))

    def parse(self, body: Any) -> tuple[list[OCRPage], Usage]:
        """The reply's pages, as many as were asked for."""
        return parse_ocr(body, self.first, self.expected)


def _ranges(file: OCRFile) -> list[_Range]:
    """The requests of ``file``, in page order."""
    if file.kind != "pdf":
        return [_Range(None, 1, 1 if file.kind in ("png", "jpeg") else None)]
    return [
        _Range(r, r[0], r[1] - r[0] + 1) if r else _Range(None, 1, file.pages)
        for r in page_ranges(file.pages)
    ]


class _Deadline:
    """One file's ``total_timeout``, shared by its ranges: each is sent with what is left."""

    def __init__(self, settings: GLMSettings, name: str, ranges: int) -> None:
        self.total = settings.total_timeout
        self.at = None if self.total is None else time.monotonic() + self.total
        self.name, self.ranges, self.read = name, ranges, 0

    def check(self) -> None:
        """Raise the read's timeout when nothing is left of it (before building a request)."""
        if self.at is not None and self.at <= time.monotonic():
            raise self.expired()

    def expired(self, err: E.GLMError | None = None) -> E.GLMError:
        """The error for a read past its deadline (``err`` reworded, when a range ran out)."""
        message = (
            f"Reading {self.name} with GLM-OCR exceeded its total_timeout of {self.total}s "
            f"({self.read} of {self.ranges} page ranges read)"
        )
        if err is None:
            return E.APITimeoutError(message, retryable=False)
        err.message, err.args = message, (message,)
        return err

    def ran_out(self, err: E.GLMError) -> bool:
        """Whether ``err`` is a range's timeout that the read's deadline cut short."""
        return (
            self.at is not None
            and isinstance(err, E.APITimeoutError)
            and time.monotonic() >= self.at - 0.05
        )


def _merged(name: str, parts: Sequence[tuple[list[OCRPage], Usage]]) -> OCRResult:
    usage = Usage()
    pages: list[OCRPage] = []
    for part_pages, part_usage in parts:  # in range order: the pages come back in order
        pages.extend(part_pages)
        usage.add(part_usage)  # every count, completion tokens included (Usage.add)
    return OCRResult(name, pages, usage)


def ocr(
    client: GLMClient,
    source: OCRSource,
    *,
    model: str = DEFAULT_OCR_MODEL,
    name: str | None = None,
) -> OCRResult:
    """Read ``source`` with GLM-OCR: its pages, in order, each with Markdown and layout.

    Limits are checked before anything is sent; a PDF over 100 pages is read in ranges of 100.
    An empty file: no request, no pages.

    Raises:
        GLMValidationError: the file (named) or the model is refused before sending, or the
            provider serves no OCR endpoint.
    """
    _check_model(model)
    file = plan_file(source, name=name)
    if file is None:
        return OCRResult(name or _named(source), [])
    ranges = _ranges(file)
    budget = _Deadline(client.settings, file.name, len(ranges))
    parts = []
    for one in ranges:
        budget.check()
        try:
            call = one.call(client.settings, file, model)
            parts.append(client.post(call, one.parse, until=budget.at))
        except E.APITimeoutError as err:
            if not budget.ran_out(err):
                raise
            raise budget.expired(err) from None
        budget.read += 1
    return _merged(file.name, parts)


def ocr_many(
    client: GLMClient,
    sources: Sequence[OCRSource],
    *,
    model: str = DEFAULT_OCR_MODEL,
    names: Sequence[str | None] | None = None,
) -> list[OCRResult]:
    """:func:`ocr` for each of ``sources``, one after another; results in the same order."""
    given = _names(sources, names)
    return [ocr(client, s, model=model, name=n) for s, n in zip(sources, given, strict=True)]


def _named(source: Any) -> str:
    return "bytes" if isinstance(source, (bytes, bytearray, memoryview)) else str(source)


def _names(sources: Sequence[OCRSource], names: Sequence[str | None] | None) -> list[str | None]:
    if isinstance(sources, (str, bytes)) or not isinstance(sources, Sequence):
        raise GLMValidationError("sources", type(sources).__name__, "a list of files")
    if names is None:
        return [None] * len(sources)
    if len(names) != len(sources):
        raise GLMValidationError("names", f"{len(names)} names", f"one per source ({len(sources)})")
    return list(names)


async def _aread(
    client: AsyncGLMClient,
    source: OCRSource,
    model: str,
    name: str | None,
    files: asyncio.Semaphore,
    requests: asyncio.Semaphore,
) -> OCRResult:
    async with files:  # bounds the files held in memory at once
        # Reading and base64-encoding up to 50 MB is work for a thread, not the event loop.
        file = await asyncio.to_thread(plan_file, source, name=name)
        if file is None:
            return OCRResult(name or _named(source), [])
        ranges = _ranges(file)
        budget = _Deadline(client.settings, file.name, len(ranges))

        async def one(part: _Range) -> tuple[list[OCRPage], Usage]:
            async with requests:
                budget.check()
                # Built once a request may go: at most `concurrency` bodies held at once.
                call = part.call(client.settings, file, model)
                try:
                    got = await client.post(call, part.parse, until=budget.at)
                except E.APITimeoutError as err:
                    if not budget.ran_out(err):
                        raise
                    raise budget.expired(err) from None
                budget.read += 1
                return got

        return _merged(file.name, await _all([one(r) for r in ranges]))


async def aocr(
    client: AsyncGLMClient,
    source: OCRSource,
    *,
    model: str = DEFAULT_OCR_MODEL,
    name: str | None = None,
    concurrency: int = OCR_CONCURRENCY,
) -> OCRResult:
    """:func:`ocr`, without blocking; the page ranges of a long PDF go concurrently."""
    _check_model(model)
    gate = max(1, concurrency)
    return await _aread(client, source, model, name, asyncio.Semaphore(1), asyncio.Semaphore(gate))


async def aocr_many(
    client: AsyncGLMClient,
    sources: Sequence[OCRSource],
    *,
    model: str = DEFAULT_OCR_MODEL,
    names: Sequence[str | None] | None = None,
    concurrency: int = OCR_CONCURRENCY,
) -> list[OCRResult]:
    """Every one of ``sources`` read concurrently, results in the same order.

    At most ``concurrency`` files are read into memory and at most ``concurrency`` requests are
    in flight at once. No sources: no request.
    """
    _check_model(model)
    given = _names(sources, names)
    gate = max(1, concurrency)
    files, requests = asyncio.Semaphore(gate), asyncio.Semaphore(gate)
    return await _all(
        [_aread(client, s, model, n, files, requests) for s, n in zip(sources, given, strict=True)]
    )


async def _all(jobs: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Every job's result in order; the first failure cancels the others (no request after it)."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
