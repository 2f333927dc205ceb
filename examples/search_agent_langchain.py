"""A LangChain agent (create_agent, on LangGraph) that searches the web with GLMWebSearch."""

import json

from _search_setup import search_agent_kwargs
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage

from langchain_glm import ChatGLM, GLMWebSearch

QUESTION = "What is new about GLM-5? Search the web and cite your sources."
kwargs = search_agent_kwargs(
    "glm_web_search", QUESTION, {"query": "GLM-5 release", "recency": "oneMonth", "count": 3}
)
connection = {k: v for k, v in kwargs.items() if k != "model"}

# The engine and the key are set here; the model chooses the query, recency, domain and count.
search = GLMWebSearch(**connection)
agent = create_agent(ChatGLM(**kwargs), tools=[search])
result = agent.invoke({"messages": [("user", QUESTION)]})

for message in result["messages"]:
    if isinstance(message, AIMessage) and message.tool_calls:
        for call in message.tool_calls:
            print(f"[AIMessage -> {call['name']!r}] {call['args']}")
    elif isinstance(message, ToolMessage) and message.status == "error":
        print(f"[ToolMessage] {message.content}")  # no results, or a limit the model broke
    elif isinstance(message, ToolMessage):
        found = json.loads(message.content)  # GLM's records, as the model read them
        print(f"[ToolMessage] {len(found['results'])} results for {found['query']!r}")
        for record in found["results"]:
            print(f"  {record['refer']}: {record['title']} <{record['link']}>")
print("[answer]", result["messages"][-1].content)
