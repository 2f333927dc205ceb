"""A LlamaIndex FunctionAgent using a tool, with streamed output."""

import asyncio

from _setup import glm_kwargs
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCallResult

from llama_index_glm import GLM


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


async def main() -> None:
    agent = FunctionAgent(
        tools=[multiply], llm=GLM(**glm_kwargs()), system_prompt="Use the tools to compute."
    )
    handler = agent.run(user_msg="What is 12 multiplied by 7?")
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            print(f"\n[tool] {event.tool_name}({event.tool_kwargs}) = {event.tool_output}")
        elif isinstance(event, AgentStream) and event.delta:
            print(event.delta, end="", flush=True)
    print("\n[final]", await handler)


asyncio.run(main())
