"""A LlamaIndex FunctionAgent that searches the web with GLMWebSearchToolSpec's tools."""

import asyncio

from _search_setup import search_agent_kwargs
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult

from llama_index_glm import GLM, GLMWebSearchToolSpec

QUESTION = "What is new about GLM-5? Search the web and cite your sources."


async def main() -> None:
    kwargs = search_agent_kwargs(
        "search", QUESTION, {"query": "GLM-5 release", "recency": "oneMonth", "count": 3}
    )
    connection = {k: v for k, v in kwargs.items() if k != "model"}
    tools = GLMWebSearchToolSpec(**connection).to_tool_list()  # search and read
    agent = FunctionAgent(
        tools=tools,
        llm=GLM(**kwargs),
        system_prompt="Search the web before answering, and cite the links you used.",
    )
    handler = agent.run(user_msg=QUESTION)
    async for event in handler.stream_events():
        if isinstance(event, ToolCallResult):
            print(f"[tool] {event.tool_name}({event.tool_kwargs})")
            for block in event.tool_output.blocks:
                title, link = block.text.split("\n")[:2]
                print(f"  {title} <{link}>")
    print("[final]", await handler)


asyncio.run(main())
