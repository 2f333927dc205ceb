"""RAG with LangChain on GLM alone, the whole pipeline: a scanned PDF read with GLM-OCR (one
document per page) beside Markdown notes, GLMEmbeddings in an in-memory vector store, GLMRerank
keeping the best of what was retrieved, and ChatGLM answering from it.

Offline (no key) every step runs on the bundled emulator: its OCR reads the text the PDF shows,
its embeddings put texts that share words close together, its reranker scores word overlap.
"""

from pathlib import Path

from _setup import glm_kwargs
from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_glm import ChatGLM, GLMEmbeddings, GLMOCRLoader, GLMRerank

kw = glm_kwargs()
where = {k: v for k, v in kw.items() if k in ("base_url", "api_key", "provider")}
data = Path(__file__).parent / "data"

# Load: Markdown notes as they are, the scan through GLM-OCR (one Document per page).
notes = [Document(p.read_text(), metadata={"source": p.name}) for p in sorted(data.glob("*.md"))]
pages = GLMOCRLoader(sorted((data / "scans").glob("*.pdf")), **where).load()
print(
    f"[ocr] {len(pages)} pages:",
    [f"{Path(d.metadata['source']).name} p.{d.metadata['page']}" for d in pages],
)

# Embed and retrieve, then rerank what was retrieved and keep the best.
store = InMemoryVectorStore.from_documents(notes + pages, GLMEmbeddings(dimensions=512, **where))
retriever = store.as_retriever(search_kwargs={"k": 3})
reranker = GLMRerank(top_n=1, **where)

# Answer from the context kept.
prompt = ChatPromptTemplate.from_messages(
    [
        ("system", "Answer from the context only."),
        ("human", "Context information is below.\n{context}\nQuery: {question}\nAnswer:"),
    ]
)
answer = prompt | ChatGLM(**kw) | StrOutputParser()


def source(doc: Document) -> str:
    name = Path(doc.metadata["source"]).name
    return f"{name} p.{doc.metadata['page']}" if "page" in doc.metadata else name


for question in (
    "Which error codes are worth retrying?",
    "How many days after purchase can a refund be claimed?",
):
    best = reranker.compress_documents(retriever.invoke(question), question)
    context = "\n\n".join(d.page_content for d in best)
    print(answer.invoke({"context": context, "question": question}))
    print("sources:", [source(d) for d in best])
