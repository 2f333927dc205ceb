"""How many pages a PDF has, read from its page tree without a PDF library. Pure.

GLM-OCR takes at most 100 PDF pages a request, so a longer PDF is read in page ranges
(:mod:`glm_transport.ocr`); that needs the page count before anything is sent. A PDF's catalog
points at the root of its page tree, a ``/Type /Pages`` dictionary without ``/Parent`` whose
``/Count`` is the number of pages (ISO 32000-1 §7.7.3.2). Its objects are either plain
(``N G obj ... endobj``) or packed in compressed object streams (``/Type /ObjStm``, §7.5.7, PDF
1.5 and later), so both are read. An incremental update appends a newer version of an object, so
the last root found wins.

What this does not read returns ``None`` (the caller then sends the file whole): an object
stream with a filter other than FlateDecode, an encrypted object stream, an indirect
``/Count``. A whole PDF library would read those too; the OCR service reads them anyway.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator

__all__ = ["is_pdf", "objects", "page_count"]

# An object's header or its end; one pass over the file pairs each header with the next end
# (a header met before that end is part of the object, as in a stream's bytes).
_MARK = re.compile(rb"(\d+)\s+\d+\s+obj\b|\bendobj\b")
_STREAM = re.compile(rb"\bstream\r?\n")
_PAGES = re.compile(rb"/Type\s*/Pages(?![A-Za-z])")
_PARENT = re.compile(rb"/Parent\b")
_COUNT = re.compile(rb"/Count\s+(\d+)(\s+\d+\s+R)?")
_OBJSTM = re.compile(rb"/Type\s*/ObjStm(?![A-Za-z])")
_FIRST = re.compile(rb"/First\s+(\d+)")
_N = re.compile(rb"/N\s+(\d+)")
_MAX_INFLATED = 64 * 1024 * 1024  # an object stream is small; this bounds a hostile one


def is_pdf(data: bytes) -> bool:
    """Whether ``data`` starts like a PDF (``%PDF-`` within its first 1024 bytes, §7.5.2)."""
    return b"%PDF-" in data[:1024]


def _inflate(raw: bytes) -> bytes | None:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw, _MAX_INFLATED)
    except zlib.error:
        return None
    return out


def _packed(body: bytes) -> Iterator[tuple[int, bytes]]:
    """The objects inside one object stream: ``/N`` pairs of (number, offset), then the objects."""
    found = _STREAM.search(body)
    if found is None:
        return
    head, raw = body[: found.start()], body[found.end() :]
    if not _OBJSTM.search(head):
        return
    if b"/Filter" in head and b"/FlateDecode" not in head:
        return
    first, count = _FIRST.search(head), _N.search(head)
    if first is None or count is None:
        return
    data = _inflate(raw) if b"/FlateDecode" in head else raw
    if data is None:
        return
    start = int(first.group(1))
    numbers = data[:start].split()
    try:
        pairs = [(int(numbers[i]), int(numbers[i + 1])) for i in range(0, len(numbers) - 1, 2)]
    except ValueError:  # not the header an object stream has
        return
    pairs = pairs[: int(count.group(1))]
    for k, (number, offset) in enumerate(pairs):
        end = start + pairs[k + 1][1] if k + 1 < len(pairs) else len(data)
        yield number, data[start + offset : end]


def objects(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Every object of ``data`` as (object number, body), in file order.

    A plain object's body runs from ``obj`` to ``endobj``, its stream included; the objects
    packed in an object stream follow that stream.
    """
    opened: tuple[int, int] | None = None
    for mark in _MARK.finditer(data):
        if mark.group(1) is not None:
            if opened is None:
                opened = (int(mark.group(1)), mark.end())
            continue
        if opened is None:
            continue
        number, start = opened
        opened = None
        body = data[start : mark.start()]
        yield number, body
        if _OBJSTM.search(body):
            yield from _packed(body)


def _dictionary(body: bytes) -> bytes:
    """An object's dictionary: its body before any stream."""
    found = _STREAM.search(body)
    return body[: found.start()] if found else body


def page_count(data: bytes) -> int | None:
    """The number of pages of the PDF in ``data``, or ``None`` when it cannot be read here.

    Args:
        data: The whole file.

    Returns:
        The ``/Count`` of the last root page tree node (a ``/Type /Pages`` dictionary without
        ``/Parent``); ``None`` when ``data`` is no PDF or no such node can be read.
    """
    if not is_pdf(data):
        return None
    count: int | None = None
    for _, body in objects(data):
        head = _dictionary(body)
        if not _PAGES.search(head) or _PARENT.search(head):
            continue
        found = _COUNT.search(head)
        # An indirect /Count ("/Count 7 0 R") is not read: unknown rather than wrong.
        count = None if found is None or found.group(2) else int(found.group(1))
    return count
