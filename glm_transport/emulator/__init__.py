"""A local server that speaks GLM's wire format, for tests, benchmarks and offline development.

Run it with ``python -m glm_transport.emulator --port 8000`` and point any client at
``http://127.0.0.1:8000/api/paas/v4``; in pytest, use the ``glm_emulator`` fixture (with
``glm_script`` to script replies) or, with no socket at all, ``glm_emulator_transport``. Needs the
``emulator`` extra (starlette, uvicorn) for the server.

Names load on first use: the pytest plugin lives in this package, and importing it must cost
nothing (nor hide the package's own import from coverage tools).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glm_transport.lazy import exporter

if TYPE_CHECKING:
    from glm_transport.emulator.faults import Fault
    from glm_transport.emulator.script import Script, ScriptedReply
    from glm_transport.emulator.server import EmulatorServer
    from glm_transport.emulator.transport import EMULATOR_URL, EmulatorTransport

_HOME = {
    "EMULATOR_URL": "transport",
    "EmulatorServer": "server",
    "EmulatorTransport": "transport",
    "Fault": "faults",
    "Script": "script",
    "ScriptedReply": "script",
}

__all__ = [
    "EMULATOR_URL",
    "EmulatorServer",
    "EmulatorTransport",
    "Fault",
    "Script",
    "ScriptedReply",
]


__getattr__ = exporter(
    "glm_transport.emulator", {n: f"glm_transport.emulator.{m}" for n, m in _HOME.items()}
)
