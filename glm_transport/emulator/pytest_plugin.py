"""pytest fixtures for testing your own app offline: ``glm_emulator`` and ``glm_emulator_url``.

Registered automatically through the ``pytest11`` entry point when glm-integrations is installed.
Imports nothing of the package until a fixture is used, so loading the plugin costs nothing and
coverage tools see the package's own import.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from glm_transport.emulator.server import EmulatorServer


@pytest.fixture(scope="session")
def glm_emulator_session() -> Iterator[EmulatorServer]:
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
