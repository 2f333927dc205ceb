"""A local server that speaks GLM's wire format, for tests, benchmarks and offline development.

Run it with ``python -m glm_transport.emulator --port 8000`` and point any client at
``http://127.0.0.1:8000/api/paas/v4``; in pytest, use the ``glm_emulator`` fixture. Needs the
``emulator`` extra (starlette, uvicorn).
"""

from __future__ import annotations

from glm_transport.emulator.faults import Fault
from glm_transport.emulator.server import EmulatorServer

__all__ = ["EmulatorServer", "Fault"]
