"""A LangChain agent (create_agent, on LangGraph) that calls two tools and answers."""

from _setup import glm_kwargs
from langchain.agents import create_agent
from langchain_core.tools import tool

from langchain_glm import ChatGLM


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny and 21 C in {city}"


@tool
def get_population(city: str) -> int:
    """Get the population of a city."""
    return {"Paris": 2_100_000}.get(city, 1_000_000)


agent = create_agent(ChatGLM(**glm_kwargs()), tools=[get_weather, get_population])
result = agent.invoke({"messages": [("user", "What's the weather and population of Paris?")]})
for message in result["messages"]:
    calls = getattr(message, "tool_calls", None)
    label = f"{type(message).__name__}" + (f" -> {[c['name'] for c in calls]}" if calls else "")
    print(f"[{label}] {message.content}")
