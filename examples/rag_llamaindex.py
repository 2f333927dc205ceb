"""RAG with LlamaIndex on GLM alone, the whole pipeline: SimpleDirectoryReader reads the Markdown
notes and, through GLMOCRReader, a scanned PDF (one document per page); GLMEmbedding indexes them,
the query engine retrieves, GLMRerank keeps the best node, and GLM answers from it.

Offline (no key) every step runs on the bundled emulator: its OCR reads the text the PDF shows,
its embeddings put texts that share words close together, its reranker scores word overlap.
"""

from pathlib import Path

from _setup import glm_kwargs
from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex

from llama_index_glm import GLM, GLMEmbedding, GLMOCRReader, GLMRerank

kw = glm_kwargs()
where = {k: v for k, v in kw.items() if k in ("base_url", "api_key", "provider")}
Settings.llm = GLM(**kw)
Settings.embed_model = GLMEmbedding(dimensions=512, **where)

# Load: the notes as text, PDFs and images (data/scans/) through GLM-OCR.
ocr = GLMOCRReader(**where)
docs = SimpleDirectoryReader(
    str(Path(__file__).parent / "data"),
    recursive=True,
    file_extractor={".pdf": ocr, ".png": ocr, ".jpg": ocr},
).load_data()
print(
    "[ocr] pages:",
    [f"{d.metadata['file_name']} p.{d.metadata['page']}" for d in docs if "page" in d.metadata],
)

# Embed, retrieve three, rerank to the best one, answer.
engine = VectorStoreIndex.from_documents(docs).as_query_engine(
    similarity_top_k=3, node_postprocessors=[GLMRerank(top_n=1, **where)]
)


def source(metadata: dict) -> str:
    name = metadata.get("file_name", "?")
    return f"{name} p.{metadata['page']}" if "page" in metadata else name


for question in (
    "Which GLM models take images?",
    "How many days after purchase can a refund be claimed?",
):
    response = engine.query(question)
    print(response)
    print("sources:", sorted({source(n.node.metadata) for n in response.source_nodes}))
