"""Where the search agent examples send requests: the real GLM API when a key is set, else the
local emulator, scripted so its chat model calls the search tool once and then answers from the
results (the emulator's script mechanism; README, "Testing your app offline").

The search itself is never scripted: the emulator's ``/web_search`` answers it with deterministic
results made from the query, and the scripted answer cites the links it finds in the tool's
result.
"""

from __future__ import annotations

import atexit
import os
import re
from typing import Any

from _setup import KEY_VARS, glm_kwargs

_LINK = re.compile(r"https?://[^\s\"'\\)\]]+")


def _answer(body: dict[str, Any]) -> str | None:
    """After the search: an answer citing the links the tool returned (else not scripted)."""
    messages = body.get("messages") or []
    if not messages or messages[-1].get("role") != "tool":
        return None
    found = _LINK.findall(str(messages[-1].get("content")))
    links = [link for link in dict.fromkeys(found) if not link.endswith("/favicon.ico")]
    if not links:
        return "The web search found nothing to cite."
    cited = ", ".join(f"[ref_{i}] {link}" for i, link in enumerate(links[:3], 1))
    return f"From the web search: {len(links)} sources, among them {cited}."


def search_agent_kwargs(tool: str, question: str, args: dict[str, Any]) -> dict[str, Any]:
    """Constructor arguments for the chat model and the search tool.

    Offline, the emulator answers ``question`` with one call of ``tool`` with ``args``, then
    with an answer citing what the search returned.
    """
    if any(os.environ.get(v) for v in KEY_VARS):
        return glm_kwargs()
    from glm_transport.emulator import EmulatorServer, Script

    script = Script()
    script.on(user=question, tools=[tool], times=1, reply={"tool_calls": [(tool, args)]})
    script.use(_answer)
    server = EmulatorServer(script=script).start()
    atexit.register(server.stop)
    print(
        "[offline] No GLM_API_KEY set: using the local GLM emulator, scripted to call "
        f"{tool} once (its search results are the emulator's, made from the query)."
    )
    return {"model": "glm-5-turbo", "base_url": server.base_url, "api_key": "emulator"}
