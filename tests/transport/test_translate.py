"""_translate.py: one table of exception classes turns transport failures into GLM errors.

Every case raises a real exception instance (httpx's, httpx2's, httpcore's, aiohttp's, the
standard library's) and checks the GLM error class, whether it is retried, and that the key
never reaches the message.
"""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
import types
from typing import Any

import aiohttp
import h11
import httpcore
import httpx
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from glm_transport import _translate, resolve_settings
from glm_transport import errors as E
from glm_transport._translate import connection_error, translated

KEY = "sk-translate-test-key-1234567890"
MASK = "**********"
SETTINGS = resolve_settings(base_url="https://api.z.ai/api/paas/v4", api_key=KEY)


def _conn_key() -> Any:
    """A stand-in for aiohttp's connection key (a NamedTuple, a dataclass or an attrs class, by
    aiohttp version): the errors read only its attributes."""
    return types.SimpleNamespace(
        host="api.z.ai",
        port=443,
        is_ssl=True,
        ssl=True,
        proxy=None,
        proxy_auth=None,
        proxy_headers_hash=None,
    )


def _caused(outer: BaseException, cause: BaseException) -> BaseException:
    """``outer`` raised ``from cause``, as httpx-aiohttp and httpx raise theirs."""
    outer.__cause__ = cause
    return outer


def _refused() -> aiohttp.ClientConnectorError:
    return aiohttp.ClientConnectorError(_conn_key(), ConnectionRefusedError(111, f"refused {KEY}"))


def _bad_certificate() -> aiohttp.ClientConnectorCertificateError:
    cert = ssl.SSLCertVerificationError(1, f"certificate verify failed {KEY}")
    return aiohttp.ClientConnectorCertificateError(_conn_key(), cert)


def _translate_raised(exc: BaseException) -> E.GLMError:
    """What ``translated`` turns ``exc`` into when the block raises it."""
    with pytest.raises(E.GLMError) as info, translated(SETTINGS):
        raise exc
    return info.value


# ---- the table -------------------------------------------------------------------------------

TIMEOUT, TLS, CONNECTION = E.APITimeoutError, "tls", E.APIConnectionError

CASES: list[tuple[str, BaseException, Any]] = [
    ("httpx connect timeout", httpx.ConnectTimeout(f"timed out {KEY}"), TIMEOUT),
    ("httpx read timeout", httpx.ReadTimeout(f"timed out {KEY}"), TIMEOUT),
    ("httpx pool timeout", httpx.PoolTimeout(f"timed out {KEY}"), TIMEOUT),
    ("httpx connect error", httpx.ConnectError(f"refused {KEY}"), CONNECTION),
    ("httpx protocol error", httpx.RemoteProtocolError(f"bad {KEY}"), CONNECTION),
    ("aiohttp server timeout", aiohttp.ServerTimeoutError(f"timeout {KEY}"), TIMEOUT),
    ("aiohttp socket timeout", aiohttp.SocketTimeoutError(f"timeout {KEY}"), TIMEOUT),
    ("aiohttp certificate", _bad_certificate(), TLS),
    ("ssl certificate", ssl.SSLCertVerificationError(1, f"verify failed {KEY}"), TLS),
    ("aiohttp disconnected", aiohttp.ServerDisconnectedError(f"gone {KEY}"), CONNECTION),
    ("aiohttp refused", _refused(), CONNECTION),
    ("aiohttp payload", aiohttp.ClientPayloadError(f"short body {KEY}"), CONNECTION),
    (
        "aiohttp other ssl",
        aiohttp.ClientConnectorSSLError(_conn_key(), ssl.SSLError(1, f"handshake {KEY}")),
        CONNECTION,
    ),
    ("aiohttp bad status line", aiohttp.http_exceptions.BadStatusLine(KEY), CONNECTION),
    ("httpcore read timeout", httpcore.ReadTimeout(f"timed out {KEY}"), TIMEOUT),
    ("httpcore read error", httpcore.ReadError(f"reset {KEY}"), CONNECTION),
    ("h11 protocol error", h11.RemoteProtocolError(f"bad {KEY}"), CONNECTION),
    ("asyncio timeout", asyncio.TimeoutError(KEY), TIMEOUT),
    ("socket timeout", TimeoutError(KEY), TIMEOUT),
    ("reset", ConnectionResetError(104, f"reset {KEY}"), CONNECTION),
    # httpx-aiohttp reports every aiohttp failure as ConnectTimeout: the cause tells the truth.
    (
        "refused under httpx-aiohttp",
        _caused(httpx.ConnectTimeout(f"refused {KEY}"), _refused()),
        CONNECTION,
    ),
    (
        "timeout under httpx-aiohttp",
        _caused(httpx.ConnectTimeout(KEY), aiohttp.ConnectionTimeoutError(KEY)),
        TIMEOUT,
    ),
    (
        "certificate under httpx-aiohttp",
        _caused(httpx.ConnectTimeout(KEY), _bad_certificate()),
        TLS,
    ),
    (
        "certificate under httpx",
        _caused(httpx.ConnectError(KEY), ssl.SSLCertVerificationError(1, "verify failed")),
        TLS,
    ),
    # Generic causes do not decide: httpx's own class does.
    (
        "httpx read timeout over a socket error",
        _caused(httpx.ReadTimeout(KEY), ConnectionResetError(104, "reset")),
        TIMEOUT,
    ),
    (
        "httpx connect error over a socket timeout",
        _caused(httpx.ConnectError(KEY), TimeoutError("timed out")),
        CONNECTION,
    ),
]


@pytest.mark.parametrize(("exc", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_failure_becomes_its_glm_error(exc: BaseException, expected: Any) -> None:
    for err in (connection_error(SETTINGS, exc), _translate_raised(exc)):
        if expected == TLS:
            assert type(err) is E.APIConnectionError
            assert not err.retryable and not err.is_retryable
            assert "TLS certificate" in err.message
        else:
            assert type(err) is expected
            assert err.retryable and err.is_retryable
        assert KEY not in str(err)
        assert MASK in str(err)


def test_the_key_is_masked_in_the_message() -> None:
    err = connection_error(SETTINGS, httpx.ConnectError(f"Authorization: Bearer {KEY}"))
    assert str(err) == f"Could not talk to GLM (ConnectError: Authorization: Bearer {MASK})"


def test_translated_raises_without_the_transport_chain() -> None:
    with pytest.raises(E.APITimeoutError) as info, translated(SETTINGS):
        raise httpx.ReadTimeout("slow")
    assert info.value.__cause__ is None and info.value.__suppress_context__


# ---- what passes through unchanged ------------------------------------------------------------


@pytest.mark.parametrize(
    "exc",
    [
        ValueError(f"not a transport failure {KEY}"),
        KeyError("choices"),
        RuntimeError("Session is closed"),
        httpx.StreamClosed(),
        # Not a transport class itself, whatever caused it.
        _caused(RuntimeError("wrapped"), aiohttp.ServerDisconnectedError()),
    ],
    ids=["ValueError", "KeyError", "RuntimeError", "httpx.StreamClosed", "wrapping-aiohttp"],
)
def test_other_exceptions_propagate_unchanged(exc: BaseException) -> None:
    with pytest.raises(type(exc)) as info, translated(SETTINGS):
        raise exc
    assert info.value is exc


def test_glm_errors_propagate_unchanged() -> None:
    err = E.ServerError("upstream", status=502)
    with pytest.raises(E.ServerError) as info, translated(SETTINGS):
        raise err
    assert info.value is err


def test_cancellation_propagates() -> None:
    with pytest.raises(asyncio.CancelledError), translated(SETTINGS):
        raise asyncio.CancelledError


# ---- httpx2, a fork with its own classes, maps as httpx does ----------------------------------


def test_httpx2_classes_map_as_httpx() -> None:
    httpx2: Any = pytest.importorskip("httpx2")
    assert type(_translate_raised(httpx2.ReadTimeout(KEY))) is E.APITimeoutError
    assert type(_translate_raised(httpx2.ConnectTimeout(KEY))) is E.APITimeoutError
    err = _translate_raised(httpx2.ConnectError(f"refused {KEY}"))
    assert type(err) is E.APIConnectionError and err.retryable and KEY not in str(err)
    err = _translate_raised(_caused(httpx2.ConnectTimeout(KEY), _refused()))
    assert type(err) is E.APIConnectionError and err.retryable
    err = _translate_raised(_caused(httpx2.ConnectError(KEY), _bad_certificate()))
    assert type(err) is E.APIConnectionError and not err.retryable
    closed = httpx2.StreamClosed()
    with pytest.raises(type(closed)), translated(SETTINGS):
        raise closed


# ---- scrubbing, chains, laziness ---------------------------------------------------------------


def test_request_headers_are_scrubbed_from_the_whole_chain() -> None:
    headers = CIMultiDictProxy(CIMultiDict({"Authorization": f"Bearer {KEY}"}))
    info = aiohttp.RequestInfo(URL("https://api.z.ai/api/paas/v4"), "POST", headers)
    inner = aiohttp.ClientResponseError(info, (), status=400, message="Bad Request")
    outer = _caused(httpx.ConnectTimeout(KEY), inner)
    err = connection_error(SETTINGS, outer)
    assert type(err) is E.APIConnectionError and err.retryable
    assert dict(inner.request_info.headers) == {}
    assert KEY not in str(err) and KEY not in repr(inner)


def test_a_cyclic_chain_ends() -> None:
    a, b = httpx.ReadTimeout("a"), httpx.ReadError("b")
    a.__context__, b.__context__ = b, a
    assert type(connection_error(SETTINGS, a)) is E.APITimeoutError


def test_the_table_grows_when_a_transport_is_imported_later(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_translate, "_resolved", None)
    with monkeypatch.context() as m:
        m.delitem(sys.modules, "aiohttp")
        assert aiohttp.ClientError not in {e.cls for e in _translate._entries()}
    assert aiohttp.ClientError in {e.cls for e in _translate._entries()}
    err = connection_error(SETTINGS, _caused(httpx.ConnectTimeout(KEY), _refused()))
    assert type(err) is E.APIConnectionError


def test_importing_the_module_imports_no_transport() -> None:
    code = (
        "import sys, glm_transport.errors, glm_transport.config\n"
        "before = set(sys.modules)\n"
        "import glm_transport._translate\n"
        "new = set(sys.modules) - before\n"
        "print(sorted(m for m in new if m.split('.')[0] in "
        "('aiohttp', 'httpx2', 'httpcore', 'httpcore2', 'h11', 'ssl')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
