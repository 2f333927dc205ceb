"""Fixtures shared by the transport tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from glm_transport.emulator import EmulatorServer


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    """A real emulator server for the module (a module defining its own ``server`` wins)."""
    with EmulatorServer() as emu:
        yield emu
