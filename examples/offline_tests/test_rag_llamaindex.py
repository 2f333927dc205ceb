"""A LlamaIndex RAG pipeline tested offline: GLM embeddings and a scripted answer, checked
against what retrieval put in the prompt."""

from llama_index.core import Document, VectorStoreIndex

from llama_index_glm import GLM, GLMEmbedding


def test_the_answer_uses_the_retrieved_passage(glm_emulator, glm_script):
    glm_script.on(user="1302 means high concurrency", reply="Retry 1302 with backoff.")
    where = {"base_url": glm_emulator.base_url, "api_key": "test"}
    docs = [
        Document(text="Business code 1302 means high concurrency and is worth retrying."),
        Document(text="Business code 1113 means the account balance is exhausted."),
    ]
    index = VectorStoreIndex.from_documents(docs, embed_model=GLMEmbedding(**where))
    engine = index.as_query_engine(llm=GLM(**where), similarity_top_k=1)
    assert str(engine.query("What should I do about code 1302?")) == "Retry 1302 with backoff."
