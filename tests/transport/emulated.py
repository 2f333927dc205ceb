"""One emulator route reached two ways, in process and over HTTP, for the route tests.

``emu = emulator_fixture("/rerank")`` in a test module gives its tests an :class:`Emulator`
posting to that route by default, parametrized over the in-process transport and a real server
(``server`` in ``tests/transport/conftest.py``: one per module, reset per test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from glm_transport.emulator import EMULATOR_URL, EmulatorServer, EmulatorTransport
from glm_transport.emulator.engine import EmulatorState


class Emulator:
    """One emulator, reached in process or over HTTP, with its state and script."""

    def __init__(self, base_url: str, http: httpx.Client, state: EmulatorState, path: str) -> None:
        self.base_url, self.http, self.state, self.path = base_url, http, state, path

    def post(self, body: Any, path: str | None = None, **kw: Any) -> httpx.Response:
        """POST ``body`` as JSON to ``path`` (the route's by default)."""
        return self.http.post(self.base_url + (path or self.path), json=body, **kw)


def emulator_fixture(path: str) -> Callable[..., Iterator[Emulator]]:
    """The ``emu`` fixture for one route."""

    @pytest.fixture(params=["in_process", "server"])
    def emu(request: pytest.FixtureRequest, server: EmulatorServer) -> Iterator[Emulator]:
        if request.param == "in_process":
            transport = EmulatorTransport()
            with httpx.Client(transport=transport) as http:
                yield Emulator(EMULATOR_URL, http, transport.state, path)
        else:
            server.state.reset()
            with httpx.Client() as http:
                yield Emulator(server.base_url, http, server.state, path)

    return emu
