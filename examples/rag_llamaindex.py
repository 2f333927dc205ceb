"""RAG with LlamaIndex on GLM alone: GLMEmbedding indexes the bundled documents, GLM answers.

Offline (no key) both run on the bundled emulator, whose embeddings put texts that share words
close together, so retrieval picks the right document; with a key, on the real API.
"""

from pathlib import Path

from _setup import glm_kwargs
from llama_index.core import Settings, SimpleDirectoryReader, VectorStoreIndex

from llama_index_glm import GLM, GLMEmbedding

kw = glm_kwargs()
Settings.llm = GLM(**kw)
Settings.embed_model = GLMEmbedding(
    dimensions=512, **{k: v for k, v in kw.items() if k in ("base_url", "api_key", "provider")}
)
docs = SimpleDirectoryReader(str(Path(__file__).parent / "data")).load_data()
engine = VectorStoreIndex.from_documents(docs).as_query_engine(similarity_top_k=1)
response = engine.query("Which GLM models take images?")
print(response)
print("sources:", sorted({n.node.metadata.get("file_name", "?") for n in response.source_nodes}))
