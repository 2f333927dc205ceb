"""A prompt | ChatGLM | parser chain (LCEL)."""

from _setup import glm_kwargs
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_glm import ChatGLM

llm = ChatGLM(**glm_kwargs(), temperature=0.3)
prompt = ChatPromptTemplate.from_messages(
    [("system", "You are a concise travel guide."), ("human", "One tip for visiting {city}.")]
)
chain = prompt | llm | StrOutputParser()
print(chain.invoke({"city": "Kyoto"}))
print(chain.batch([{"city": "Lisbon"}, {"city": "Oslo"}]))
