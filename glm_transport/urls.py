"""URLs the package is handed: one strict reading, one way of showing them without credentials.

A ``base_url``, a page for the Web Reader, a file for GLM-OCR. Pure, standard library only.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import SplitResult, urlsplit

__all__ = ["masked_url", "split_http_url"]


def split_http_url(url: Any) -> SplitResult | None:
    """``url`` split, if it is an absolute http(s) URL with a host; else ``None``.

    A model or a caller writes these, so every malformation is a ``None`` for the caller to
    refuse naming its field, never a ``ValueError`` of its own: whitespace or control characters,
    an unclosed or invalid IPv6 bracket (Python 3.10's ``urlsplit`` accepts ``[zz]``), a port out
    of range. The scheme is case-insensitive (``HTTPS://`` is a URL).
    """
    if not isinstance(url, str) or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
        if "[" in parts.netloc:
            ipaddress.IPv6Address(parts.hostname or "")
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts


def masked_url(url: str) -> str:
    """``url`` with any ``user:password@`` shown as ``***@``: where they were, never what."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    _, at, host = authority.rpartition("@")
    return f"{scheme}{sep}{'***@' if at else ''}{host}{slash}{path}"
