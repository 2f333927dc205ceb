"""The emulator's ``/layout_parsing``: GLM-OCR's wire shape, deterministic pages for the file sent.

Wire format from the Z.ai API reference "Layout Parsing" (docs.z.ai/api-reference/tools/
layout-parsing) and BigModel's "版面解析" (the same schema; see :mod:`glm_transport.ocr`): the
request holds ``model`` (``glm-ocr``), ``file`` (a URL or base64; PDF, JPG or PNG; an image at
most 10 MB, a PDF at most 50 MB and 100 pages), ``start_page_id``/``end_page_id`` (from 1),
``return_crop_images``, ``need_layout_visualization``, ``request_id`` and ``user_id``; the reply
holds ``id``, ``created``, ``model``, ``md_results``, ``layout_details`` (per page, elements of
``index``, ``label``, ``bbox_2d``, ``content``, ``width``, ``height``), ``data_info``
(``num_pages``, ``pages``), ``usage`` and ``request_id``. Pure.

The emulator reads no pixels. A PDF's pages are counted from its page tree, and each page says
the text its content stream shows (the strings of its ``Tj``/``TJ`` operators, one element a
line), or ``Page N of M`` when none can be read, so an offline RAG demo over a generated PDF
retrieves what the PDF says. An image, and a URL (the emulator fetches nothing), get a fixed
layout of four elements: a title, a paragraph, a table and a formula.

What the docs leave open, and what the emulator does about it:

* error codes for a bad file: 1214 with a message naming the parameter, as for rerank;
* ``file`` as base64: a data URI or bare base64, both accepted;
* ``bbox_2d``: pixels of the page's ``width`` x ``height`` (what glmocr reads from the service);
* ``num_pages``: the document's page count, whatever range was read;
* more than 100 pages: refused unless a range of at most 100 is asked for.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from typing import Any

from glm_transport.emulator.faults import error_body
from glm_transport.emulator.ids import reply_ids
from glm_transport.emulator.render import CREATED
from glm_transport.pdfpages import Unreadable, is_pdf, objects, page_count
from glm_transport.tokens import estimate_tokens

__all__ = ["IMAGE_LAYOUT", "MAX_IMAGE_BYTES", "MAX_PAGES", "MAX_PDF_BYTES", "ocr_reply"]

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_PDF_BYTES = 50 * 1024 * 1024
MAX_PAGES = 100
PAGE_SIZE = (1240, 1754)  # an A4 page at 150 dpi
IMAGE_SIZE = (1024, 768)
TOKENS_A_PAGE = 1000  # what reading a page costs in prompt tokens (a guess: no price is shown)

IMAGE_LAYOUT: list[tuple[str, str]] = [
    ("text", "# Scanned image"),
    ("text", "The GLM emulator reads no pixels: every image gets this fixed layout."),
    (
        "table",
        "<table><tr><th>label</th><th>content</th></tr>"
        "<tr><td>text</td><td>a title and a paragraph</td></tr></table>",
    ),
    ("formula", "$$E = mc^2$$"),
]
"""The (label, content) elements every image and URL reads as."""

# Each pattern is linear in what it scans: a reference starts where a run of digits does, a
# string or an array cannot hold an unescaped opening bracket of its own kind (nested
# parentheses are not read), so no two tries scan the same bytes twice.
_REF = re.compile(rb"(?<!\d)(\d+)\s+\d+\s+R")
_KIDS = re.compile(rb"/Kids\s*\[([^\]]*)\]")
_CONTENTS = re.compile(rb"/Contents\s*(\[[^\]]*\]|\d+\s+\d+\s+R)")
_STR = rb"\((?:\\.|[^\\()])*\)"
_TYPE_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_TYPE_PAGES = re.compile(rb"/Type\s*/Pages(?![A-Za-z])")
_SHOWN = re.compile(_STR + rb"\s*Tj|\[(?:" + _STR + rb"|[^\[\]\\()])*\]\s*TJ", re.S)
_STRING = re.compile(rb"\(((?:\\.|[^\\()])*)\)", re.S)
_MAX_INFLATED = 64 * 1024 * 1024  # a file's content streams, inflated, in all
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"(": b"(", b")": b")", b"\\": b"\\"}


class _Refused(Exception):
    """The API's error reply for the request (raised where it is found, answered once)."""

    def __init__(self, message: str, request_id: str, code: str = "1214") -> None:
        super().__init__(message)
        self.reply = error_body(code, message if code == "1214" else None, request_id)


def _invalid(message: str, request_id: str) -> _Refused:
    return _Refused(message, request_id)


def _decode_file(value: str) -> bytes | None:
    """The bytes of a data URI or bare base64 ``file``; ``None`` when it is neither."""
    payload = value.split(",", 1)[1] if value.startswith("data:") and "," in value else value
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None


def _unescape(raw: bytes) -> str:
    out = re.sub(rb"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), raw, flags=re.S)
    return out.decode("latin-1")


def _shown_text(stream: bytes) -> list[str]:
    """The lines a content stream shows: one per ``Tj``/``TJ`` operator."""
    lines = []
    for shown in _SHOWN.finditer(stream):
        text = "".join(_unescape(s) for s in _STRING.findall(shown.group(0))).strip()
        if text:
            lines.append(text)
    return lines


class _Streams:
    """Content streams read once each, all of a file's inflated within one budget."""

    def __init__(self, table: dict[int, bytes]) -> None:
        self.table = table
        self.left = _MAX_INFLATED
        self.lines: dict[int, list[str]] = {}

    def shown(self, number: int) -> list[str]:
        """The lines stream ``number`` shows (none once the budget is spent)."""
        found = self.lines.get(number)
        if found is None:
            found = self.lines[number] = _shown_text(self._data(self.table.get(number, b"")))
        return found

    def _data(self, body: bytes) -> bytes:
        head, found, rest = body.partition(b"stream")
        if not found:
            return b""
        data = rest.lstrip(b"\r\n").rsplit(b"endstream", 1)[0]
        if b"/FlateDecode" not in head:
            return data
        if self.left <= 0:
            return b""
        try:
            out = zlib.decompressobj().decompress(data, self.left)
        except zlib.error:
            return b""
        self.left -= len(out)
        return out


def page_texts(data: bytes, limit: int | None = None) -> list[list[str]] | None:
    """Each page's lines of text, in page-tree order; ``None`` when the tree cannot be walked.

    Each node is visited once (a tree whose ``/Kids`` point back at themselves ends), and the
    walk stops after ``limit`` pages.
    """
    try:
        table = dict(objects(data))
    except Unreadable:
        return None
    roots = [
        n
        for n, body in table.items()
        if _TYPE_PAGES.search(body.split(b"stream", 1)[0]) and b"/Parent" not in body
    ]
    if not roots:
        return None
    pages: list[list[str]] = []
    seen: set[int] = set()
    streams = _Streams(table)

    def walk(number: int, depth: int) -> None:
        if number in seen or (limit is not None and len(pages) >= limit):
            return
        seen.add(number)
        body = table.get(number, b"")
        head = body.split(b"stream", 1)[0]
        kids = _KIDS.search(head)
        if _TYPE_PAGES.search(head) and kids is not None and depth < 32:
            for kid in _REF.findall(kids.group(1)):
                walk(int(kid), depth + 1)
        elif _TYPE_PAGE.search(head):
            contents = _CONTENTS.search(head)
            refs = dict.fromkeys(
                int(r) for r in _REF.findall(contents.group(1) if contents else b"")
            )
            pages.append([line for r in refs for line in streams.shown(r)])

    walk(roots[-1], 0)
    return pages


def _element(index: int, label: str, content: str, size: tuple[int, int]) -> dict[str, Any]:
    width, height = size
    top = 80 + 70 * index
    return {
        "index": index + 1,
        "label": label,
        "bbox_2d": [80, top, width - 80, min(top + 50, height)],
        "content": content,
        "height": height,
        "width": width,
    }


def _page(elements: list[tuple[str, str]], size: tuple[int, int]) -> list[dict[str, Any]]:
    return [_element(i, label, content, size) for i, (label, content) in enumerate(elements)]


def _range(body: dict[str, Any], total: int, request_id: str) -> tuple[int, int]:
    """The pages to read (first, last); refused for bad page fields."""
    bounds = []
    for name, default in (("start_page_id", 1), ("end_page_id", total)):
        value = body.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _invalid(f"Invalid {name} parameter: an integer from 1", request_id)
        bounds.append(value)
    first, last = bounds[0], min(bounds[1], total)
    if first > total:
        raise _invalid(f"Invalid start_page_id parameter: the PDF has {total} pages", request_id)
    if last < first:
        raise _invalid("Invalid end_page_id parameter: before start_page_id", request_id)
    if last - first + 1 > MAX_PAGES:
        raise _invalid(
            f"Invalid file parameter: at most {MAX_PAGES} pages a request ({last - first + 1} "
            "asked for); read longer PDFs with start_page_id and end_page_id",
            request_id,
        )
    return first, last


def _check_body(body: dict[str, Any], request_id: str) -> None:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _invalid("Invalid model parameter: model is required", request_id)
    if not model.lower().startswith("glm-ocr"):
        raise _Refused("unknown model", request_id, code="1211")
    file = body.get("file")
    if not isinstance(file, str) or not file.strip():
        raise _invalid("Invalid file parameter: file is required", request_id)
    for flag in ("return_crop_images", "need_layout_visualization"):
        if not isinstance(body.get(flag, False), bool):
            raise _invalid(f"Invalid {flag} parameter", request_id)


Pages = list[tuple[int, list[tuple[str, str]]]]
"""(page number, its (label, content) elements) for each page read."""


def _pdf_pages(data: bytes, body: dict[str, Any], request_id: str) -> tuple[int, Pages]:
    """(total pages, the pages of the range asked for)."""
    if len(data) > MAX_PDF_BYTES:
        raise _invalid("Invalid file parameter: a PDF is at most 50MB", request_id)
    total = page_count(data)
    if total is None or total < 1:
        raise _invalid("Invalid file parameter: the PDF cannot be read", request_id)
    first, last = _range(body, total, request_id)
    texts = page_texts(data, total)
    if texts is None or len(texts) != total:
        texts = [[] for _ in range(total)]
    pages = [
        (n, [("text", line) for line in texts[n - 1]] or [("text", f"Page {n} of {total}")])
        for n in range(first, last + 1)
    ]
    return total, pages


def _read(body: dict[str, Any], request_id: str) -> tuple[tuple[int, int], int, Pages]:
    """(page size, the document's page count, the pages read); refused as the API refuses."""
    _check_body(body, request_id)
    file: str = body["file"]
    if file[:8].lower().startswith(("http://", "https://")):  # schemes: any case
        return IMAGE_SIZE, 1, [(1, IMAGE_LAYOUT)]
    data = _decode_file(file)
    if data is None:
        raise _invalid("Invalid file parameter: not a URL or base64", request_id)
    if is_pdf(data):
        return (PAGE_SIZE, *_pdf_pages(data, body, request_id))
    if data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        if len(data) > MAX_IMAGE_BYTES:
            raise _invalid("Invalid file parameter: an image is at most 10MB", request_id)
        return IMAGE_SIZE, 1, [(1, IMAGE_LAYOUT)]
    raise _invalid("Invalid file parameter: the formats are PDF, JPG and PNG", request_id)


def ocr_reply(body: dict[str, Any], scripted_text: str | None = None) -> tuple[int, dict[str, Any]]:
    """(status, JSON) for a layout_parsing request, validated like the API.

    Args:
        body: The decoded request body.
        scripted_text: A script's Markdown for every page read (``{page}``: the page number),
            in place of what the emulator reads.

    Returns:
        400 with the GLM error envelope (1214 for an invalid parameter or file, 1211 for an
        unknown model), or 200 with the pages read.
    """
    reply_id, request_id = reply_ids(body)
    try:
        size, total, pages = _read(body, request_id)
    except _Refused as refused:
        return refused.reply
    if scripted_text is not None:
        pages = [(n, [("text", scripted_text.replace("{page}", str(n)))]) for n, _ in pages]
    details = [_page(elements, size) for _, elements in pages]
    markdown = "\n\n".join("\n\n".join(c for _, c in elements) for _, elements in pages)
    prompt, completion = TOKENS_A_PAGE * len(pages), estimate_tokens(markdown)
    reply: dict[str, Any] = {
        "id": reply_id,
        "created": CREATED,
        "model": body["model"],
        "md_results": markdown,
        "layout_details": details,
    }
    if body.get("need_layout_visualization"):
        reply["layout_visualization"] = []
    reply["data_info"] = {
        "num_pages": total,
        "pages": [{"width": size[0], "height": size[1]} for _ in pages],
    }
    reply["usage"] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    reply["request_id"] = request_id
    return 200, reply
