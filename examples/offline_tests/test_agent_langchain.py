"""A LangChain agent tested offline: two scripted steps, then an assertion on what was sent."""

from langchain.agents import create_agent
from langchain_core.tools import tool

from langchain_glm import ChatGLM


@tool
def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"Sunny in {city}"


def test_the_agent_calls_the_tool_then_answers(glm_emulator, glm_script):
    glm_script.reply(tool_calls=[("get_weather", {"city": "Paris"})])
    glm_script.reply("It is sunny in Paris.")
    agent = create_agent(ChatGLM(base_url=glm_emulator.base_url, api_key="test"), [get_weather])
    out = agent.invoke({"messages": [("user", "Weather in Paris?")]})
    assert out["messages"][-1].content == "It is sunny in Paris."
    assert glm_emulator.request(1).messages[-1]["content"] == "Sunny in Paris"
