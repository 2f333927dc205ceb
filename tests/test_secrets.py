"""The key never leaks: not in cassettes, logs, errors (with their causes), reprs or dumps; and TLS
verification is on by default."""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from pathlib import Path

import pytest

import glm_transport
from glm_transport import ChatRequest, GLMClient, chat, resolve_settings
from glm_transport.emulator import EmulatorServer

ROOT = Path(__file__).resolve().parent.parent
KEY = "4f2c9d0e1b7a4c3d8e9f0a1b2c3d4e5f.AbCdEfGhIjKlMnOp"  # the GLM key shape: id.secret
KEY_SHAPE = re.compile(r"[A-Za-z0-9]{16,}\.[A-Za-z0-9]{8,}")


def test_cassettes_hold_no_key() -> None:
    files = sorted((ROOT / "cassettes").rglob("*.yaml"))
    assert len(files) > 50
    for path in files:
        text = path.read_text()
        for value in re.findall(r"authorization:\n\s+- (.*)", text, flags=re.I):
            assert value == "Bearer <redacted>", path
        assert not KEY_SHAPE.search(text.replace("api.z.ai", "")), path
        assert "x-glm-emulator-fault" not in text, path


def test_key_absent_from_logs_errors_and_causes_at_every_level(
    glm_emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log at DEBUG too
    client = GLMClient(
        resolve_settings(
            base_url=glm_emulator.base_url,
            api_key=KEY,
            max_retries=1,
            default_headers={"x-glm-emulator-fault": '{"code": "1302", "retry_after_ms": 1}'},
        )
    )
    with pytest.raises(glm_transport.RateLimitError) as info:
        chat.complete(
            client, ChatRequest(model="glm-5", messages=[{"role": "user", "content": "x"}])
        )
    chain = []
    err: BaseException | None = info.value
    while err is not None:
        chain += [str(err), repr(err), repr(getattr(err, "body", ""))]
        err = err.__cause__ or err.__context__
    secret = KEY.split(".")[1]
    for text in [caplog.text, *chain, repr(client), repr(client.settings)]:
        assert KEY not in text and secret not in text
    assert caplog.records  # something was logged, so the check above saw real log lines


def test_unreachable_host_error_has_no_key() -> None:
    client = GLMClient(
        resolve_settings(base_url="http://127.0.0.1:9/v4", api_key=KEY, max_retries=0)
    )
    with pytest.raises(glm_transport.APIConnectionError) as info:
        chat.complete(
            client, ChatRequest(model="glm-5", messages=[{"role": "user", "content": "x"}])
        )
    text = f"{info.value!s}{info.value!r}{info.value.__cause__!r}"
    assert KEY not in text


def test_tls_verification_is_on_by_default() -> None:
    client = GLMClient(resolve_settings(api_key=KEY))
    pool = client._http()._transport._pool  # type: ignore[attr-defined]
    assert pool._ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert pool._ssl_context.check_hostname is True

    async def async_pool_tls() -> ssl.SSLContext:
        from glm_transport._pools import aclose_shared_clients, async_pool

        context: ssl.SSLContext = async_pool().connector._ssl  # type: ignore[union-attr]
        await aclose_shared_clients()
        return context

    context = asyncio.run(async_pool_tls())
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_readme_and_ci_run_the_same_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    command = next(line for line in readme.splitlines() if "pytest" in line and "pip" in line)
    assert command.strip() in (ROOT / ".ci" / "run").read_text()
