"""A local server that speaks GLM's wire format, for tests, benchmarks and offline development.

Run it with ``python -m glm_transport.emulator --port 8000`` and point any client at
``http://127.0.0.1:8000/api/paas/v4``; in pytest, use the ``glm_emulator`` fixture (with
``glm_script`` to script replies) or, with no socket at all, ``glm_emulator_transport``. Needs the
``emulator`` extra (starlette, uvicorn) for the server.
"""

from __future__ import annotations

from glm_transport.emulator.faults import Fault
from glm_transport.emulator.script import Script, ScriptedReply
from glm_transport.emulator.server import EmulatorServer
from glm_transport.emulator.transport import EMULATOR_URL, EmulatorTransport

__all__ = [
    "EMULATOR_URL",
    "EmulatorServer",
    "EmulatorTransport",
    "Fault",
    "Script",
    "ScriptedReply",
]
