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

A ``/Count`` is believed only when the file could hold that many pages (:func:`page_count`):
every page is a ``/Type /Page`` object of its own (§7.7.3.3), so no more pages than such objects
read, and no more than one per :data:`BYTES_A_PAGE` bytes of file. Anything else is unknown.

The work is bounded for any input of ``n`` bytes: one linear pass over the file, at most
:data:`MAX_INFLATED` bytes inflated from all its object streams together (past that the file is
unknown), at most :data:`MAX_PACKED` objects an object stream, each packed object's bytes copied
once.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator

__all__ = [
    "BYTES_A_PAGE",
    "MAX_INFLATED",
    "MAX_PACKED",
    "Unreadable",
    "is_pdf",
    "objects",
    "page_count",
]

# An object's header or its end; one pass over the file pairs each header with the next end
# (a header met before that end is part of the object, as in a stream's bytes).
# A header starts where a run of digits does: tried inside a run too, a file of digits would
# take time quadratic in the run's length.
_MARK = re.compile(rb"(?<!\d)(\d+)\s+\d+\s+obj\b|\bendobj\b")
_STREAM = re.compile(rb"\bstream\r?\n")
_PAGES = re.compile(rb"/Type\s*/Pages(?![A-Za-z])")
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_PARENT = re.compile(rb"/Parent\b")
# A count of at most 9 digits ending at a delimiter ("/Count 1e9", 5000 digits: not read).
_COUNT = re.compile(rb"/Count\s+(\d{1,9})(?![\w.])(\s+\d+\s+R)?")
_OBJSTM = re.compile(rb"/Type\s*/ObjStm(?![A-Za-z])")
_FIRST = re.compile(rb"/First\s+(\d{1,10})(?![\w.])")
_N = re.compile(rb"/N\s+(\d{1,10})(?![\w.])")
# A literal string without nested parentheses (§7.3.4.2); nested ones go in a few passes.
_LITERAL = re.compile(rb"\((?:\\.|[^\\()])*\)", re.S)

MAX_INFLATED = 64 * 1024 * 1024
"""Bytes inflated from all of a file's object streams together; past that the file is unknown.

Object streams hold small dictionaries (a few KB to a few MB in a whole file); this bounds a
hostile file's zlib bombs, however many it holds."""
MAX_PACKED = 100_000
"""Objects one object stream may hold (``/N``); producers pack a few hundred."""
BYTES_A_PAGE = 100
"""The least file a page GLM can read takes, in bytes, for a ``/Count`` to be believed.

Such a page shows something, so it has a content stream, and a stream is never packed in an
object stream (§7.5.7): ``N 0 obj <</Length n>> stream ... endstream endobj`` is about 50 bytes,
its drawing (a ``Tj`` of text or a ``Do`` of a scan) and its cross-reference entry (20 bytes in
a table) add another 30 or more, and its page dictionary more. Hand-made minimal PDFs take
about 280 bytes a page, scans kilobytes. A file that claims more pages (pages sharing one
content stream, or a lying ``/Count``) is sent whole: GLM reads it or refuses it, typed."""


class Unreadable(Exception):
    """The file's object streams would inflate past :data:`MAX_INFLATED` bytes."""


class _Budget:
    """What is left to inflate for one file."""

    __slots__ = ("left",)

    def __init__(self, total: int) -> None:
        self.left = total

    def inflate(self, raw: bytes) -> bytes | None:
        """``raw`` inflated; ``None`` when it is no zlib data; :class:`Unreadable` when spent."""
        if self.left <= 0:
            raise Unreadable
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(raw, self.left)
        except zlib.error:
            return None
        self.left -= len(out)
        if inflater.unconsumed_tail:  # more than what is left of the budget would come out
            self.left = 0
            raise Unreadable
        return out


def is_pdf(data: bytes) -> bool:
    """Whether ``data`` starts like a PDF (``%PDF-`` within its first 1024 bytes, §7.5.2)."""
    return b"%PDF-" in data[:1024]


def _packed(body: bytes, budget: _Budget) -> Iterator[tuple[int, bytes]]:
    """The objects inside one object stream: ``/N`` pairs of (number, offset), then the objects.

    Offsets must increase (§7.5.7 lists the objects in order): at the first that does not, the
    rest of the stream is left unread, so no byte is copied twice.
    """
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
    n = int(count.group(1))
    if n > MAX_PACKED:
        return
    data = budget.inflate(raw) if b"/FlateDecode" in head else raw
    if data is None:
        return
    start = min(int(first.group(1)), len(data))
    numbers = data[:start].split(maxsplit=2 * n)[: 2 * n]
    try:
        pairs = [(int(numbers[i]), int(numbers[i + 1])) for i in range(0, len(numbers) - 1, 2)]
    except ValueError:  # not the header an object stream has
        return
    for k, (number, offset) in enumerate(pairs):
        end = start + pairs[k + 1][1] if k + 1 < len(pairs) else len(data)
        if end < start + offset:
            return
        yield number, data[start + offset : end]


def objects(data: bytes, inflated: int = MAX_INFLATED) -> Iterator[tuple[int, bytes]]:
    """Every object of ``data`` as (object number, body), in file order.

    A plain object's body runs from ``obj`` to ``endobj``, its stream included; the objects
    packed in an object stream follow that stream.

    Raises:
        Unreadable: the object streams would inflate past ``inflated`` bytes in all.
    """
    budget = _Budget(inflated)
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
            yield from _packed(body, budget)


def _dictionary(body: bytes) -> bytes:
    """An object's dictionary: its body before any stream."""
    found = _STREAM.search(body)
    return body[: found.start()] if found else body


def _unquoted(head: bytes) -> bytes:
    """``head`` without its literal strings (a title may say ``/Type /Pages /Count 7777``)."""
    for _ in range(4):  # strings nested in strings, a level a pass
        head, found = _LITERAL.subn(b"()", head)
        if not found:
            break
    return head


def page_count(data: bytes) -> int | None:
    """The number of pages of the PDF in ``data``, or ``None`` when it cannot be read here.

    Args:
        data: The whole file.

    Returns:
        The ``/Count`` of the last root page tree node (a ``/Type /Pages`` dictionary without
        ``/Parent``); ``None`` when ``data`` is no PDF, no such node can be read, or the count
        is more than the file holds: more than the ``/Type /Page`` objects read, or more than
        one page per :data:`BYTES_A_PAGE` bytes.
    """
    if not is_pdf(data):
        return None
    count: int | None = None
    leaves = 0
    try:
        for _, body in objects(data):
            head = _dictionary(body)
            if _PAGE.search(head):
                leaves += 1
                continue
            if not _PAGES.search(head):
                continue
            head = _unquoted(head)
            if not _PAGES.search(head) or _PARENT.search(head):
                continue
            found = _COUNT.search(head)
            # An indirect /Count ("/Count 7 0 R") is not read: unknown rather than wrong.
            count = None if found is None or found.group(2) else int(found.group(1))
    except Unreadable:
        return None
    if count is None or count > leaves or count > len(data) // BYTES_A_PAGE:
        return None
    return count
