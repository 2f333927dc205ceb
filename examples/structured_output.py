"""Structured output into a pydantic model, by tool calling (default) or GLM's JSON mode."""

from _setup import glm_kwargs
from pydantic import BaseModel, Field

from langchain_glm import ChatGLM


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(description="Full name")
    age: int


llm = ChatGLM(**glm_kwargs())
text = "Extract the person: 'Ada Lovelace' died at 36."
print(llm.with_structured_output(Person).invoke(text))
out = llm.with_structured_output(Person, include_raw=True).invoke(text)
print(out["parsed"], "| usage:", out["raw"].usage_metadata)
