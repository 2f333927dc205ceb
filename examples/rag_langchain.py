"""RAG with LangChain on GLM alone: GLMEmbeddings in an in-memory vector store, a retriever, and
a chain that answers with ChatGLM from what was retrieved."""

from pathlib import Path

from _setup import glm_kwargs
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_glm import ChatGLM, GLMEmbeddings

kw = glm_kwargs()
embeddings = GLMEmbeddings(
    dimensions=512, **{k: v for k, v in kw.items() if k in ("base_url", "api_key", "provider")}
)
data = Path(__file__).parent / "data"
docs = [Document(p.read_text(), metadata={"source": p.name}) for p in sorted(data.glob("*.md"))]
retriever = InMemoryVectorStore.from_documents(docs, embeddings).as_retriever(
    search_kwargs={"k": 1}
)
prompt = ChatPromptTemplate.from_messages(
    [
        ("system", "Answer from the context only."),
        ("human", "Context information is below.\n{context}\nQuery: {question}\nAnswer:"),
    ]
)
chain = (
    {
        "context": retriever | (lambda found: "\n\n".join(d.page_content for d in found)),
        "question": RunnablePassthrough(),
    }
    | prompt
    | ChatGLM(**kw)
    | StrOutputParser()
)
question = "Which error codes are worth retrying?"
print(chain.invoke(question))
print("sources:", [d.metadata["source"] for d in retriever.invoke(question)])
