"""Test-wide set-up: offline by default, cassette record modes, and where requests go.

``GLM_RECORD`` selects how cassette-backed tests run:

* unset (CI, default): replay only. Requests go to the real provider URL and are answered from
  ``cassettes/``; a request with no recorded answer fails the test. No socket may leave loopback.
* ``emulator``: (re-)author the cassettes against the local GLM emulator; the recorded URL is
  rewritten to the provider's, so the cassette reads like real traffic.
* ``live``: re-record against the live API; needs ``GLM_API_KEY`` (never written to a cassette).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER

RECORD = os.environ.get("GLM_RECORD", "").lower()
ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
PROVIDER_URL = "https://api.z.ai/api/paas/v4"
REPLAY_KEY = "replay-key-not-a-secret"

_EMULATOR: EmulatorServer | None = None
_LOOPBACK_URL = re.compile(r"^http://127\.0\.0\.1:\d+/api/paas/v4")


def pytest_configure(config: pytest.Config) -> None:
    if RECORD not in ("", "emulator", "live"):
        raise pytest.UsageError("GLM_RECORD must be unset, 'emulator' or 'live'")
    if RECORD != "live":
        # Offline by construction: only loopback sockets (the emulator) may be opened.
        from pytest_socket import socket_allow_hosts

        socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)


def _emulator() -> EmulatorServer:
    global _EMULATOR
    if _EMULATOR is None:
        _EMULATOR = EmulatorServer().start()
    return _EMULATOR


def glm_target() -> dict[str, Any]:
    """``base_url``/``api_key`` for cassette-backed tests in the current record mode."""
    if RECORD == "emulator":
        return {"base_url": _emulator().base_url, "api_key": REPLAY_KEY}
    if RECORD == "live":
        return {"base_url": PROVIDER_URL}
    return {"base_url": PROVIDER_URL, "api_key": REPLAY_KEY}


def _to_provider_url(request: Any) -> Any:
    request.uri = _LOOPBACK_URL.sub(PROVIDER_URL, request.uri)
    if "host" in request.headers:
        request.headers["host"] = PROVIDER_URL.split("/")[2]
    return request


_KEEP_RESPONSE_HEADERS = frozenset(
    {"content-type", "retry-after", "retry-after-ms", "x-request-id"}
)


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Keep only the response headers clients read: no dates or server banners, so re-authoring
    an unchanged test rewrites its cassette byte for byte."""
    headers = response.get("headers") or {}
    response["headers"] = {k: v for k, v in headers.items() if k.lower() in _KEEP_RESPONSE_HEADERS}
    return response


def _canonical(body: Any) -> Any:
    """A request body with client-generated ids (tool-call ids made by LangChain/LlamaIndex
    as random UUIDs) replaced by their order of appearance, and tool descriptions' whitespace
    folded, so replays match across runs and Python versions."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(body) if body else body
    except ValueError:
        return body
    seen: dict[str, str] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k == "request_id" and node is data:
                    continue  # fresh on every attempt
                if k in ("tool_call_id", "id") and isinstance(v, str):
                    out[k] = seen.setdefault(v, f"id{len(seen)}")
                elif k == "description" and isinstance(v, str):
                    # Tool descriptions come from docstrings, which Python 3.13 dedents itself:
                    # the same tool differs only in whitespace across Python versions.
                    out[k] = " ".join(v.split())
                else:
                    out[k] = walk(v)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(data)


def _echo_request_id(cassette_cls: Any) -> None:
    """Replay as GLM answers: the reply echoes the request's ``request_id``.

    The client sends a fresh ``request_id`` on every attempt and refuses a reply carrying
    another (a stale answer); a recorded reply carries the id of the recording's request.
    """
    original = cassette_cls.play_response
    if getattr(original, "echoes_request_id", False):
        return

    def play_response(self: Any, request: Any) -> Any:
        response = original(self, request)
        raw = request.body or b""
        sent = _REQUEST_ID.match(raw.encode() if isinstance(raw, str) else raw)
        body = response.get("body", {}).get("string")
        if sent is None or not body:
            return response
        is_bytes = isinstance(body, bytes)
        text = body.decode() if is_bytes else body
        text = _REPLY_ID.sub(f'"request_id":"{sent.group(1).decode()}"', text, count=1)
        echoed = {
            **response,
            "body": {**response["body"], "string": text.encode() if is_bytes else text},
        }
        return echoed

    play_response.echoes_request_id = True  # type: ignore[attr-defined]
    cassette_cls.play_response = play_response


_REQUEST_ID = re.compile(rb'^\{"request_id":"([^"]*)"')
_REPLY_ID = re.compile(r'"request_id":"[^"]*"')


def _match_body(r1: Any, r2: Any) -> None:
    assert _canonical(r1.body) == _canonical(r2.body)


def cassette_config(subdir: str) -> dict[str, Any]:
    from langchain_tests.conftest import base_vcr_config
    from vcr import VCR
    from vcr.cassette import Cassette

    _echo_request_id(Cassette)

    config = base_vcr_config()
    config.update(
        match_on=["method", "uri", "glm_body"],
        record_mode="all" if RECORD else "none",
        cassette_library_dir=str(CASSETTES / subdir),
        path_transformer=VCR.ensure_suffix(".yaml"),
        before_record_request=_to_provider_url,
        before_record_response=_scrub_response,
        decode_compressed_response=True,
    )
    config["filter_headers"] = [
        *config["filter_headers"],
        ("authorization", "Bearer <redacted>"),
        (FAULT_HEADER, None),
        ("user-agent", None),
        ("cookie", None),
        ("set-cookie", None),
    ]
    return config


def pytest_recording_configure(config: dict[str, Any], vcr: Any) -> None:
    vcr.register_matcher("glm_body", _match_body)


@pytest.fixture(scope="session", autouse=True)
def _stop_emulator() -> Iterator[None]:
    yield
    if _EMULATOR is not None:
        _EMULATOR.stop()
