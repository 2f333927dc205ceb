"""pytest fixtures for testing your own app offline, against the GLM emulator.

``glm_emulator`` (a server on loopback), ``glm_emulator_url``, ``glm_script`` (its scripted replies)
and ``glm_emulator_transport`` (the same emulator in process, for ``httpx.Client(transport=...)``).

Registered automatically through the ``pytest11`` entry point when glm-integrations is installed.
Imports nothing of the package until a fixture is used, so loading the plugin costs nothing and
coverage tools see the package's own import.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from glm_transport.emulator.script import Script
    from glm_transport.emulator.server import EmulatorServer
    from glm_transport.emulator.transport import EmulatorTransport


@pytest.fixture(scope="session")
def glm_emulator_session() -> Iterator[EmulatorServer]:
    """One emulator server for the test session (``glm_emulator`` resets it for each test)."""
    from glm_transport.emulator.server import EmulatorServer

    with EmulatorServer() as server:
        yield server


@pytest.fixture
def glm_emulator(glm_emulator_session: EmulatorServer) -> EmulatorServer:
    """A running emulator with its counters and fault queue reset for this test."""
    glm_emulator_session.state.reset()
    return glm_emulator_session


@pytest.fixture
def glm_emulator_url(glm_emulator: EmulatorServer) -> str:
    """The emulator's base URL, to pass as ``base_url``."""
    return glm_emulator.base_url


@pytest.fixture
def glm_script(glm_emulator: EmulatorServer) -> Script:
    """The emulator's scripted replies for this test (empty at the start of each test)."""
    return glm_emulator.script


@pytest.fixture
def glm_emulator_transport() -> EmulatorTransport:
    """A fresh in-process emulator: ``httpx.Client(transport=glm_emulator_transport)``."""
    from glm_transport.emulator.transport import EmulatorTransport

    return EmulatorTransport()
