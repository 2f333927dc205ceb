"""Minimal PDFs for the OCR tests, written by hand (no PDF library): a page tree, a font and one
content stream a page that shows its lines with ``Tj``.

``make_pdf`` writes a valid PDF 1.4 (an xref table, a trailer). ``packed=True`` moves the page tree
nodes into a compressed object stream (PDF 1.5 ``/Type /ObjStm``), as most PDF producers write
them today; ``fanout`` splits the pages under intermediate ``/Pages`` nodes; ``update`` appends an
incremental update whose root ``/Count`` says ``update`` pages.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)
"""A 1x1 PNG."""
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
"""The start and end of a JPEG (what the OCR limits look at: its first bytes)."""


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(
    pages: int | Sequence[Sequence[str]],
    *,
    packed: bool = False,
    fanout: int | None = None,
    update: int | None = None,
) -> bytes:
    """A PDF of ``pages`` (a count: each page shows ``Page text N``; or each page's lines)."""
    texts = [[f"Page text {n}"] for n in range(1, pages + 1)] if isinstance(pages, int) else pages
    n = len(texts)
    objs: dict[int, bytes] = {1: b"<< /Type /Catalog /Pages 2 0 R >>"}
    objs[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    page_ids = [4 + 2 * i for i in range(n)]
    groups = [page_ids[i : i + fanout] for i in range(0, n, fanout)] if fanout else [page_ids]
    parents: dict[int, int] = {}
    if fanout:
        node_ids = [4 + 2 * n + g for g in range(len(groups))]
        for node, group in zip(node_ids, groups):
            kids = " ".join(f"{k} 0 R" for k in group).encode()
            objs[node] = b"<< /Type /Pages /Parent 2 0 R /Kids [%s] /Count %d >>" % (
                kids,
                len(group),
            )
            parents.update(dict.fromkeys(group, node))
        top = node_ids
    else:
        parents = dict.fromkeys(page_ids, 2)
        top = page_ids
    kids = " ".join(f"{k} 0 R" for k in top).encode()
    objs[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n)
    for page_id, lines in zip(page_ids, texts):
        shown = " T* ".join(f"({_escape(line)}) Tj" for line in lines).encode("latin-1")
        stream = b"BT /F1 12 Tf 72 770 Td 14 TL " + shown + b" ET"
        objs[page_id] = (
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % (parents[page_id], page_id + 1)
        )
        objs[page_id + 1] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
    if packed:
        inside = [k for k, v in objs.items() if b"/Pages" in v and b"stream" not in v]
        offsets, chunks, at = [], [], 0
        for k in inside:
            chunk = objs.pop(k) + b"\n"
            offsets.append(b"%d %d" % (k, at))
            chunks.append(chunk)
            at += len(chunk)
        header = b" ".join(offsets) + b"\n"
        data = zlib.compress(header + b"".join(chunks))
        objs[max(objs) + 100] = (
            b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (len(inside), len(header), len(data))
            + data
            + b"\nendstream"
        )
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    xref = {}
    for k in sorted(objs):
        xref[k] = len(out)
        out += b"%d 0 obj\n" % k + objs[k] + b"\nendobj\n"
    size = max(objs) + 1
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for k in range(1, size):
        out += b"%010d 00000 n \n" % xref[k] if k in xref else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, start)
    if update is not None:
        again = len(out)
        out += b"2 0 obj\n<< /Type /Pages /Kids [] /Count %d >>\nendobj\n" % update
        table = len(out)
        out += b"xref\n2 1\n%010d 00000 n \n" % again
        out += b"trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\n" % (size, start)
        out += b"startxref\n%d\n%%%%EOF\n" % table
    return bytes(out)


def object_stream(
    number: int,
    packed: Sequence[tuple[int, bytes]],
    *,
    n: int | bytes | None = None,
    first: int | bytes | None = None,
    offsets: Sequence[int] | None = None,
    raw: bytes | None = None,
    junk: bytes = b"",
) -> bytes:
    """One compressed object stream (``N 0 obj ... endobj``) packing ``packed`` (number, body).

    ``n``, ``first`` and ``offsets`` replace what its dictionary and header would say; ``junk``
    follows the header's pairs; ``raw`` replaces its whole inflated content (a zlib bomb, say).
    """
    at, spots, chunks = 0, [], []
    for _, body in packed:
        spots.append(at)
        chunks.append(body + b"\n")
        at += len(body) + 1
    pairs = zip([k for k, _ in packed], offsets if offsets is not None else spots)
    header = b" ".join(b"%d %d" % pair for pair in pairs) + junk + b"\n"
    content = raw if raw is not None else header + b"".join(chunks)
    data = zlib.compress(content)
    n_said = b"%d" % len(packed) if n is None else n if isinstance(n, bytes) else b"%d" % n
    at_said = b"%d" % len(header) if first is None else first
    first_said = at_said if isinstance(at_said, bytes) else b"%d" % at_said
    head = b"<< /Type /ObjStm /N %s /First %s /Filter /FlateDecode /Length %d >>" % (
        n_said,
        first_said,
        len(data),
    )
    return b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (number, head, data)
