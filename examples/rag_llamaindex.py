"""RAG with LlamaIndex: a query engine over bundled documents, Settings.llm = GLM(...).

Retrieval runs offline (a keyword index: no embedding model, no download).
"""

from pathlib import Path

from _setup import glm_kwargs
from llama_index.core import Settings, SimpleDirectoryReader, SimpleKeywordTableIndex

from llama_index_glm import GLM

Settings.llm = GLM(**glm_kwargs())
docs = SimpleDirectoryReader(str(Path(__file__).parent / "data")).load_data()
engine = SimpleKeywordTableIndex(docs, max_keywords_per_chunk=100).as_query_engine()
response = engine.query("Which GLM models take images?")
print(response)
print("sources:", sorted({n.node.metadata.get("file_name", "?") for n in response.source_nodes}))
