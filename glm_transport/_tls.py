"""The one TLS context of every shared pool, sync and async.

httpx's default (certifi, or ``SSL_CERT_FILE``), verification on, built once: loading the CA
bundle takes milliseconds.
"""

from __future__ import annotations

import ssl

import httpx

__all__ = ["shared_ssl_context"]

_ssl: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """The context, built on first use."""
    global _ssl
    if _ssl is None:
        _ssl = httpx.create_ssl_context()
    return _ssl
