"""LlamaIndex's evaluation module and ``CitationQueryEngine`` with ``GLM`` and ``GLMEmbedding``
(issue 24, "also check"), against the emulator in strict mode: every call is scripted, by rules on
the prompt each evaluator builds, and the batch runner's concurrent calls each get their own."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core import Document, VectorStoreIndex

from glm_transport.emulator import EmulatorServer
from llama_index_glm import GLM, GLMEmbedding

DOCS = [
    Document(text="Business code 1302 means high concurrency and is worth retrying.", id_="d1"),
    Document(text="Business code 1113 means the account balance is exhausted.", id_="d2"),
]
GOOD = "Code 1302 means high concurrency, so retry later."
BAD = "Code 1113 means the server is overloaded."


def llm(url: str) -> GLM:
    return GLM(model="glm-5.3", base_url=url, api_key="k")


def script_the_judges(glm_emulator: EmulatorServer) -> None:
    script = glm_emulator.script
    script.strict = True  # a prompt no rule expects is an error, not a made-up verdict
    # FaithfulnessEvaluator: "Information: <response>\nContext: <contexts>", YES or NO.
    script.on(user=[f"Information: {GOOD}", "Context: Business code 1302"], reply="YES")
    script.on(user=[f"Information: {BAD}", "Context: Business code 1113"], reply="NO")
    # CorrectnessEvaluator: its system prompt, the query and the answer; a score line first.
    judge = "You are an expert evaluation system"
    script.on(
        system=judge,
        user=["What does code 1302 mean?", f"## Generated Answer\n{GOOD}"],
        reply="4.5\nMatches the reference.",
    )
    script.on(
        system=judge,
        user=["What does code 1113 mean?", f"## Generated Answer\n{BAD}"],
        reply="1.0\nThe reference says the balance is exhausted.",
    )


def test_batch_evaluation_with_glm_as_the_judge(url: str, glm_emulator: EmulatorServer) -> None:
    from llama_index.core.evaluation import (
        BatchEvalRunner,
        CorrectnessEvaluator,
        FaithfulnessEvaluator,
    )

    script_the_judges(glm_emulator)
    judge = llm(url)
    runner = BatchEvalRunner(
        {
            "faithfulness": FaithfulnessEvaluator(llm=judge),
            "correctness": CorrectnessEvaluator(llm=judge),
        },
        workers=4,  # the four judgements run concurrently
    )
    results = runner.evaluate_response_strs(
        queries=["What does code 1302 mean?", "What does code 1113 mean?"],
        response_strs=[GOOD, BAD],
        contexts_list=[[DOCS[0].text], [DOCS[1].text]],
        reference=[DOCS[0].text, DOCS[1].text],
    )
    assert [r.passing for r in results["faithfulness"]] == [True, False]
    assert [r.score for r in results["correctness"]] == [4.5, 1.0]
    assert [r.passing for r in results["correctness"]] == [True, False]
    assert results["correctness"][1].feedback == "The reference says the balance is exhausted."
    assert glm_emulator.state.requests == 4


async def test_evaluators_async(url: str, glm_emulator: EmulatorServer) -> None:
    from llama_index.core.evaluation import CorrectnessEvaluator, FaithfulnessEvaluator

    script_the_judges(glm_emulator)
    faithful, correct = FaithfulnessEvaluator(llm=llm(url)), CorrectnessEvaluator(llm=llm(url))
    verdicts = await asyncio.gather(
        faithful.aevaluate(response=BAD, contexts=[DOCS[1].text]),
        correct.aevaluate(query="What does code 1302 mean?", response=GOOD, reference="x"),
        faithful.aevaluate(response=GOOD, contexts=[DOCS[0].text]),
    )
    assert [v.passing for v in verdicts] == [False, True, True]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_citation_query_engine_with_glm_embeddings(
    url: str, glm_emulator: EmulatorServer, mode: str
) -> None:
    from llama_index.core.query_engine import CitationQueryEngine

    glm_emulator.script.strict = True
    glm_emulator.script.on(
        user=["Source 1:\nBusiness code 1302", "Query: What does code 1302 mean?"],
        reply="Code 1302 means high concurrency; retry it [1].",
    )
    index = VectorStoreIndex.from_documents(
        DOCS, embed_model=GLMEmbedding(base_url=url, api_key="k")
    )
    engine = CitationQueryEngine.from_args(index, llm=llm(url), similarity_top_k=1)
    question = "What does code 1302 mean?"
    response: Any = (
        engine.query(question) if mode == "sync" else asyncio.run(engine.aquery(question))
    )
    assert str(response) == "Code 1302 means high concurrency; retry it [1]."
    # GLM's embeddings ranked the right document first; it is cited as source 1.
    (source,) = response.source_nodes
    assert source.node.get_content().startswith("Source 1:\nBusiness code 1302")
    paths = [glm_emulator.request(i).path for i in range(glm_emulator.state.requests)]
    assert paths[-1].endswith("/chat/completions")
    assert sum(p.endswith("/embeddings") for p in paths) >= 2  # the documents, then the query
