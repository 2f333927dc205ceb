"""Nested tool arguments GLM-5.2/5.3 send as JSON text reach tools as objects, in both frameworks.

GLM answers a schema with nested objects by stringifying them (``{"address": "{\\"city\\": ...}"}``;
issue 23, reported by several agent projects). The transport decodes a string where the schema
types an object or an array, for whole replies and streams; here the emulator sends that shape
(``nested_as_strings``) and each framework's tool call, in all four call modes, carries objects.

No ``from __future__ import annotations`` here: LlamaIndex's ``FunctionTool`` reads the tool
function's annotations as live types.
"""

import asyncio
from typing import Any

import pytest
from pydantic import BaseModel

from glm_transport.emulator import EmulatorServer

MODES = ["sync", "async", "stream", "astream"]
ARGS = {"name": "Ada", "address": {"city": "Paris", "lines": ["1 rue de Rivoli"]}, "tags": ["x"]}


class Address(BaseModel):
    city: str
    lines: list[str]


class Person(BaseModel):
    """A person and where they live."""

    name: str
    address: Address
    tags: list[str]


def save_person(name: str, address: Address, tags: list[str]) -> str:
    """Save a person."""
    return "saved"


def _langchain(url: str, mode: str) -> list[dict[str, Any]]:
    from langchain_core.tools import StructuredTool

    from langchain_glm import ChatGLM

    tool = StructuredTool.from_function(save_person)
    llm = ChatGLM(model="glm-5.3", base_url=url, api_key="k").bind_tools([tool])
    if mode == "sync":
        msg = llm.invoke("Save Ada")
    elif mode == "async":
        msg = asyncio.run(llm.ainvoke("Save Ada"))
    elif mode == "stream":
        msg = None
        for chunk in llm.stream("Save Ada"):
            msg = chunk if msg is None else msg + chunk
    else:

        async def run() -> Any:
            total = None
            async for chunk in llm.astream("Save Ada"):
                total = chunk if total is None else total + chunk
            return total

        msg = asyncio.run(run())
    assert msg.invalid_tool_calls == []
    return [c["args"] for c in msg.tool_calls]


def _llama_index(url: str, mode: str) -> list[dict[str, Any]]:
    from llama_index.core.tools import FunctionTool

    from llama_index_glm import GLM

    llm = GLM(model="glm-5.3", base_url=url, api_key="k")
    tools = [FunctionTool.from_defaults(save_person)]
    if mode == "sync":
        response = llm.chat_with_tools(tools, "Save Ada")
    elif mode == "async":
        response = asyncio.run(llm.achat_with_tools(tools, "Save Ada"))
    elif mode == "stream":
        for response in llm.stream_chat_with_tools(tools, "Save Ada"):
            pass
    else:

        async def run() -> Any:
            last = None
            async for last in await llm.astream_chat_with_tools(tools, "Save Ada"):
                pass
            return last

        response = asyncio.run(run())
    return [c.tool_kwargs for c in llm.get_tool_calls_from_response(response)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_stringified_nested_arguments_reach_the_tool_as_objects(
    glm_emulator: EmulatorServer, framework: str, mode: str
) -> None:
    glm_emulator.script.reply(tool_calls=[("save_person", ARGS)], nested_as_strings=True)
    run = _langchain if framework == "langchain" else _llama_index
    assert run(glm_emulator.base_url, mode) == [ARGS]
    sent = glm_emulator.request(-1).body["tools"][0]["function"]["parameters"]
    assert "$defs" not in sent  # and the request side inlined the definitions


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_llamaindex_structured_predict_on_the_reported_shape(
    glm_emulator: EmulatorServer, mode: str
) -> None:
    from llama_index.core.prompts import PromptTemplate

    from llama_index_glm import GLM

    glm_emulator.script.reply(tool_calls=[("Person", ARGS)], nested_as_strings=True)
    llm = GLM(model="glm-5.3", base_url=glm_emulator.base_url, api_key="k")
    prompt = PromptTemplate("Who is {who}?")
    if mode == "sync":
        person = llm.structured_predict(Person, prompt, who="Ada")
    else:
        person = asyncio.run(llm.astructured_predict(Person, prompt, who="Ada"))
    assert person == Person.model_validate(ARGS)


def test_a_nested_value_that_is_not_json_stays_invalid(glm_emulator: EmulatorServer) -> None:
    from langchain_core.tools import StructuredTool

    from langchain_glm import ChatGLM

    bad = {"name": "Ada", "address": "somewhere in Paris", "tags": ["x"]}
    glm_emulator.script.reply(tool_calls=[("save_person", bad)])
    tool = StructuredTool.from_function(save_person)
    llm = ChatGLM(model="glm-5.3", base_url=glm_emulator.base_url, api_key="k")
    msg = llm.bind_tools([tool]).invoke("Save Ada")
    assert msg.tool_calls[0]["args"] == bad  # sent on as GLM sent it: the tool's schema rejects it
