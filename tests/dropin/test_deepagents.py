"""Deep Agents with ChatGLM: the GLM harness profile reaches the agent's prompt (issue 24, item 4)."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from glm_transport.emulator import EmulatorServer
from langchain_glm import ChatGLM

if sys.version_info < (3, 11):  # deepagents requires 3.11+; the test extra installs it from 3.11
    pytest.skip("Deep Agents needs Python 3.11+", allow_module_level=True)
import deepagents  # on 3.11+ a missing install is an error, not a skip


def system_text(glm_emulator: EmulatorServer, n: int = 0) -> str:
    messages = glm_emulator.request(n).messages
    return "\n".join(str(m.get("content")) for m in messages if m.get("role") == "system")


def run(url: str, model: str, glm_emulator: EmulatorServer, **kw: Any) -> dict[str, Any]:
    glm_emulator.script.reply("Done.")
    agent = deepagents.create_deep_agent(
        model=ChatGLM(model=model, base_url=url, api_key="k"), **kw
    )
    return dict(agent.invoke({"messages": [("user", "Write a haiku to poem.txt")]}))


def test_the_glm_profile_reaches_every_chatglm_agent(
    url: str, glm_emulator: EmulatorServer
) -> None:
    from langchain_glm.deepagents import GLM_PROMPT_SUFFIX, register_glm_profile

    assert register_glm_profile() == "zhipuai"  # ChatGLM's ls_provider
    out = run(url, "glm-5.3", glm_emulator, system_prompt="You write poems.")
    assert out["messages"][-1].content == "Done."
    sent = system_text(glm_emulator)
    # USER first, then the profile's suffix (Deep Agents' prompt assembly).
    assert sent.index("You write poems.") < sent.index(GLM_PROMPT_SUFFIX)


def test_a_model_profile_refines_the_provider_one(url: str, glm_emulator: EmulatorServer) -> None:
    from langchain_glm.deepagents import GLM_PROMPT_SUFFIX, register_glm_profile

    register_glm_profile()
    key = register_glm_profile(
        "glm-5.4",
        system_prompt_suffix="Answer in French.",
        excluded_tools=frozenset({"execute"}),
    )
    assert key == "zhipuai:glm-5.4"
    run(url, "glm-5.4", glm_emulator)
    sent = system_text(glm_emulator)
    assert "Answer in French." in sent and GLM_PROMPT_SUFFIX not in sent
    assert "execute" not in glm_emulator.request(0).tools
    glm_emulator.state.reset()
    run(url, "glm-5.3", glm_emulator)  # other models keep the provider's profile
    assert GLM_PROMPT_SUFFIX in system_text(glm_emulator)


def test_a_ready_harness_profile_is_registered_as_it_is(
    url: str, glm_emulator: EmulatorServer
) -> None:
    from langchain_glm.deepagents import register_glm_profile

    profile = deepagents.HarnessProfile(
        tool_description_overrides={"ls": "List the files GLM may read."}
    )
    register_glm_profile("glm-5.2", profile)
    run(url, "glm-5.2", glm_emulator)
    tools = {
        t["function"]["name"]: t["function"].get("description")
        for t in glm_emulator.request(0).body["tools"]
    }
    assert tools["ls"] == "List the files GLM may read."
