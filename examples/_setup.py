"""Where the examples send requests: the real GLM API when a key is set, else the local emulator.

Every example runs as it is on a fresh machine with no network: without ``GLM_API_KEY`` (or a
provider's key such as ``ZAI_API_KEY``) it starts the bundled GLM emulator and says so.
"""

from __future__ import annotations

import atexit
import os
from typing import Any

KEY_VARS = (
    "GLM_API_KEY",
    "ZAI_API_KEY",
    "ZHIPUAI_API_KEY",
    "BIGMODEL_API_KEY",
    "MAXTOKEN_API_KEY",
    "POWERTOKENS_API_KEY",
)


def glm_kwargs(provider: str | None = None, model: str | None = None) -> dict[str, Any]:
    """Constructor arguments shared by ``ChatGLM`` and ``GLM``."""
    model = model or os.environ.get("GLM_MODEL", "glm-5-turbo")
    if any(os.environ.get(v) for v in KEY_VARS):
        print(f"[live] Using the real GLM API (provider {provider or 'zai'}, model {model}).")
        return {"model": model, "provider": provider}
    from glm_transport.emulator import EmulatorServer

    server = EmulatorServer().start()
    atexit.register(server.stop)
    print(
        "[offline] No GLM_API_KEY set: using the local GLM emulator "
        "(deterministic stand-in answers, no network)."
    )
    return {"model": model, "base_url": server.base_url, "api_key": "emulator"}
