"""Run the emulator on loopback in a background thread (tests, examples, benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

from glm_transport.emulator.engine import EmulatorState, RecordedRequest
from glm_transport.emulator.script import Script

__all__ = ["EmulatorServer"]


class EmulatorServer:
    """``with EmulatorServer() as emu: ...`` serves the emulator at ``emu.base_url``.

    Use ``emu.url_for("zai")`` to get a base URL shaped like a provider's (same path prefix).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        script: Script | None = None,
    ) -> None:
        """Set up a server on ``host``:``port`` (0: a free port), not yet started."""
        try:
            import uvicorn

            from glm_transport.emulator.app import create_app
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise ImportError(
                "The GLM emulator needs starlette and uvicorn: pip install 'glm-integrations[emulator]'"
            ) from exc
        if port == 0:
            with socket.socket() as s:
                s.bind((host, 0))
                port = s.getsockname()[1]
        self.host, self.port = host, port
        self.app = create_app(api_key, script)
        config = uvicorn.Config(
            self.app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            timeout_keep_alive=30,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The emulator's base URL, to pass as ``base_url``."""
        return f"http://{self.host}:{self.port}/api/paas/v4"

    @property
    def state(self) -> EmulatorState:
        """The emulator's counters, fault queue, script and recorded requests."""
        state: EmulatorState = self.app.state.emulator
        return state

    @property
    def script(self) -> Script:
        """Scripted replies (see :mod:`glm_transport.emulator.script`)."""
        return self.state.script

    def request(self, n: int) -> RecordedRequest:
        """The ``n``-th request received since the last reset (0 the first, -1 the last)."""
        return self.state.request(n)

    def start(self) -> EmulatorServer:
        """Serve from a background thread; returns once the server is up (else ``RuntimeError``)."""
        self._thread = threading.Thread(target=self._server.run, name="glm-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"GLM emulator did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask the server to exit and wait (up to 10 s) for its thread."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> EmulatorServer:
        """Start the server."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()
