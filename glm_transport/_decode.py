"""Decoding a reply's ``Content-Encoding`` in bounded pieces.

HTTP libraries decode each network read whole: 64 KB of gzip can expand to 64 MB before anyone
counts a byte (a 0.5 MB body raised peak memory by 1 GB). Here the clients read the raw body and
decode it with zlib's ``max_length``, so no piece is larger than :data:`PIECE` and a caller that
stops at a cap stops the decompression too. We ask for ``gzip, deflate`` only (zlib, in the
standard library); a reply in another encoding, which was not asked for, is a typed error.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator

from glm_transport import errors as E

__all__ = ["ACCEPT_ENCODING", "PIECE", "adecoded", "decoded"]

ACCEPT_ENCODING = "gzip, deflate"
PIECE = 1024 * 1024
"""The most one decoded piece holds."""


def _decompressor(encoding: str, status: int) -> zlib._Decompress | None:
    """A decompressor for ``encoding``; ``None`` for a body sent as is."""
    kind = encoding.strip().lower()
    if kind in ("", "identity"):
        return None
    if kind in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if kind == "deflate":
        return zlib.decompressobj(32 + zlib.MAX_WBITS)  # zlib-wrapped, as RFC 9110 means it
    raise E.APIError(
        f"GLM's reply came with Content-Encoding {encoding!r}, which was not asked for "
        f"(Accept-Encoding: {ACCEPT_ENCODING})",
        status=status,
        retryable=False,
    )


def _pieces(engine: zlib._Decompress, raw: bytes, status: int) -> Iterator[bytes]:
    data = raw
    while data:
        try:
            out = engine.decompress(data, PIECE)
        except zlib.error as exc:
            raise E.APIConnectionError(f"GLM's compressed reply is corrupt ({exc})") from None
        if out:
            yield out
        data = engine.unconsumed_tail


def decoded(reads: Iterator[bytes], encoding: str, status: int) -> Iterator[bytes]:
    """``reads`` decoded, in pieces of at most :data:`PIECE` bytes."""
    engine = _decompressor(encoding, status)
    if engine is None:
        return reads
    return _decoding(reads, engine, status)


def _decoding(reads: Iterator[bytes], engine: zlib._Decompress, status: int) -> Iterator[bytes]:
    for raw in reads:
        yield from _pieces(engine, raw, status)
    tail = engine.flush()
    if tail:
        yield tail


def adecoded(reads: AsyncIterator[bytes], encoding: str, status: int) -> AsyncIterator[bytes]:
    """:func:`decoded` for async reads."""
    engine = _decompressor(encoding, status)
    if engine is None:
        return reads
    return _adecoding(reads, engine, status)


async def _adecoding(
    reads: AsyncIterator[bytes], engine: zlib._Decompress, status: int
) -> AsyncIterator[bytes]:
    async for raw in reads:
        for piece in _pieces(engine, raw, status):
            yield piece
    tail = engine.flush()
    if tail:
        yield tail
