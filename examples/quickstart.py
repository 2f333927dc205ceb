"""The quickstart: GLM inside LangChain and LlamaIndex, end to end, in under a minute.

    python examples/quickstart.py [--provider zai] [--model glm-5-turbo]

With GLM_API_KEY (or a provider key such as ZAI_API_KEY) it talks to the real API; without one it
runs on the bundled local GLM emulator and says so.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _setup import glm_kwargs


def section(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 70 - len(title)))


def langchain_part(kw: dict) -> None:
    from langchain.agents import create_agent
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.tools import tool
    from pydantic import BaseModel

    from langchain_glm import ChatGLM

    llm = ChatGLM(**kw)

    section("LangChain 1/5: prompt | ChatGLM | parser")
    chain = (
        ChatPromptTemplate.from_messages(
            [("system", "Answer in one sentence."), ("human", "What is {topic}?")]
        )
        | llm
        | StrOutputParser()
    )
    print(chain.invoke({"topic": "retrieval-augmented generation"}))

    section("LangChain 2/5: streaming, reasoning apart from the answer")
    mode = None
    for chunk in llm.stream("Is 97 a prime number? Answer briefly."):
        for label, text in (
            ("thinking", chunk.additional_kwargs.get("reasoning_content")),
            ("answer", chunk.content),
        ):
            if text:
                if mode != label:
                    print(f"\n[{label}] ", end="")
                    mode = label
                print(text, end="", flush=True)
    print()

    section("LangChain 3/5: an agent calling two tools")

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        return f"Sunny and 21 C in {city}"

    @tool
    def get_local_time(city: str) -> str:
        """Get the local time in a city."""
        return f"14:05 in {city}"

    agent = create_agent(llm, tools=[get_weather, get_local_time])
    result = agent.invoke({"messages": [("user", "Weather and local time in Lisbon?")]})
    for m in result["messages"][1:]:
        calls = [c["name"] for c in getattr(m, "tool_calls", [])]
        print(f"[{type(m).__name__}{' -> ' + ', '.join(calls) if calls else ''}] {m.content}")

    section("LangChain 4/5: structured output into a pydantic model")

    class Movie(BaseModel):
        """A movie."""

        title: str
        year: int

    print(
        repr(
            llm.with_structured_output(Movie).invoke(
                "Extract the movie: 'Spirited Away' came out in 2001."
            )
        )
    )

    section("LangChain 5/5: token usage")
    msg = llm.invoke("Say hi.")
    print(msg.usage_metadata)


def llama_index_part(kw: dict) -> None:
    from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.agent.workflow import FunctionAgent

    from llama_index_glm import GLM, GLMEmbedding

    section("LlamaIndex 1/3: RAG over bundled documents (GLMEmbedding + GLM)")
    Settings.llm = GLM(**kw)
    where = {k: v for k, v in kw.items() if k in ("base_url", "api_key", "provider")}
    Settings.embed_model = GLMEmbedding(dimensions=512, **where)
    docs = SimpleDirectoryReader(str(Path(__file__).parent / "data")).load_data()
    engine = VectorStoreIndex.from_documents(docs).as_query_engine(similarity_top_k=1)
    response = engine.query("Which error codes are worth retrying?")
    print(str(response)[:400])
    print("[sources]", sorted({n.node.metadata.get("file_name") for n in response.source_nodes}))

    section("LlamaIndex 2/3: a FunctionAgent using a tool")

    def multiply(a: int, b: int) -> int:
        """Multiply two integers."""
        return a * b

    async def run_agent() -> str:
        agent = FunctionAgent(tools=[multiply], llm=Settings.llm)
        return str(await agent.run(user_msg="What is 12 times 7?"))

    print(asyncio.run(run_agent()))

    section("LlamaIndex 3/3: streamed output")
    for r in Settings.llm.stream_complete("Name three colours."):
        print(r.delta, end="", flush=True)
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description="GLM in LangChain and LlamaIndex")
    parser.add_argument("--provider", default=None, help="zai, zai-coding, bigmodel, ...")
    parser.add_argument("--model", default=None, help="e.g. glm-5-turbo, glm-4.7")
    args = parser.parse_args()
    started = time.monotonic()
    kw = glm_kwargs(args.provider, args.model)
    print("Loading LangChain ...", flush=True)
    langchain_part(kw)
    print("\nLoading LlamaIndex ...", flush=True)
    llama_index_part(kw)
    print(f"\nDone in {time.monotonic() - started:.1f}s.")


if __name__ == "__main__":
    main()
