"""A LlamaIndex FunctionAgent tested offline, with the emulator in process (no socket)."""

import asyncio

import httpx
from llama_index.core.agent.workflow import FunctionAgent

from glm_transport.emulator import EMULATOR_URL
from llama_index_glm import GLM


def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"Sunny in {city}"


def test_the_agent_calls_the_tool_then_answers(glm_emulator_transport):
    glm_emulator_transport.script.reply(tool_calls=[("get_weather", {"city": "Paris"})])
    glm_emulator_transport.script.reply("It is sunny in Paris.")
    llm = GLM(
        base_url=EMULATOR_URL,
        api_key="test",
        http_client=httpx.Client(transport=glm_emulator_transport),
        async_http_client=httpx.AsyncClient(transport=glm_emulator_transport),
    )

    async def run():
        return str(await FunctionAgent(tools=[get_weather], llm=llm).run("Weather in Paris?"))

    assert asyncio.run(run()) == "It is sunny in Paris."
    assert glm_emulator_transport.request(1).messages[-1]["content"] == "Sunny in Paris"
