"""What a caller of embeddings sees (issue 28): which inputs are refused and the field named, how
many requests go out, vectors in input order, which malformed replies are refused and not retried."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from glm_transport import AsyncGLMClient, GLMClient, GLMValidationError, resolve_settings
from glm_transport import errors as E
from glm_transport.embeddings import (
    Embeddings,
    aembed,
    embed,
    embedding_body,
    embedding_spec,
    parse_embeddings,
    plan_batches,
)
from glm_transport.tokens import estimate_tokens
from glm_transport.types import Usage

BASE_URL = "https://glm.test/api/paas/v4"


class Recorder:
    """An httpx transport answering each batch in order, and keeping the batches' inputs."""

    def __init__(self, size: int = 3) -> None:
        self.size = size
        self.inputs: list[list[str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        import json

        body = json.loads(request.content)
        texts = body["input"]
        self.inputs.append(texts)
        data = [
            {"index": i, "embedding": [float(t.removeprefix("t"))] + [0.5] * (self.size - 1)}
            for i, t in enumerate(texts)
        ]
        usage = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
        return httpx.Response(200, json={"data": data, "usage": usage, "request_id": "e1"})


def settings() -> Any:
    return resolve_settings(base_url=BASE_URL, api_key="k", max_retries=0)


def test_vectors_come_back_in_input_order_across_batches_sync() -> None:
    server = Recorder()
    texts = [f"t{i}" for i in range(7)]
    with httpx.Client(transport=httpx.MockTransport(server)) as http:
        out = embed(GLMClient(settings(), http), texts, batch_size=3)
    assert server.inputs == [texts[0:3], texts[3:6], texts[6:7]]
    assert [v[0] for v in out.vectors] == [float(i) for i in range(7)]
    assert (out.usage.prompt_tokens, out.usage.total_tokens) == (7, 7)


async def test_vectors_come_back_in_input_order_across_batches_async() -> None:
    server = Recorder()
    texts = [f"t{i}" for i in range(7)]
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as http:
        out = await aembed(AsyncGLMClient(settings(), http), texts, batch_size=2, concurrency=0)
    assert sorted(map(tuple, server.inputs)) == sorted(
        [tuple(texts[i : i + 2]) for i in range(0, 7, 2)]
    )
    assert [v[0] for v in out.vectors] == [float(i) for i in range(7)]
    assert out.usage.total_tokens == 7


def test_batches_are_sent_only_once_every_input_is_checked() -> None:
    server = Recorder()
    with httpx.Client(transport=httpx.MockTransport(server)) as http:
        client = GLMClient(settings(), http)
        with pytest.raises(GLMValidationError) as caught:
            embed(client, ["t1"] * 5 + [""], batch_size=2)
    assert caught.value.field == "texts[5]" and server.inputs == []


def test_a_batch_of_another_vector_length_is_refused() -> None:
    out = Embeddings([[1.0, 2.0]], Usage(prompt_tokens=1, total_tokens=1))
    with pytest.raises(E.ServerError) as caught:
        out.add([[1.0, 2.0, 3.0]], Usage(prompt_tokens=1, total_tokens=1))
    assert caught.value.retryable is False
    assert "3 dimensions for input 1 and of 2" in caught.value.message
    out.add([[3.0, 4.0]], Usage(prompt_tokens=2, total_tokens=2))
    out.add([], Usage())
    assert out.vectors == [[1.0, 2.0], [3.0, 4.0]] and out.usage.total_tokens == 3


@pytest.mark.parametrize(
    ("model", "batch_size", "field"),
    [
        ("", None, "model"),
        ("  ", None, "model"),
        (None, None, "model"),
        ("embedding-3", 0, "batch_size"),
        ("embedding-3", -1, "batch_size"),
        ("embedding-3", True, "batch_size"),
        ("embedding-3", 2.0, "batch_size"),
    ],
)
def test_options_no_request_could_be_built_from_are_refused(
    model: Any, batch_size: Any, field: str
) -> None:
    with pytest.raises(GLMValidationError) as caught:
        plan_batches(["a"], model, batch_size)
    assert caught.value.field == field


def test_batch_size_one_and_above_the_limit() -> None:
    assert plan_batches(["a", "b"], "embedding-3", 1) == [range(0, 1), range(1, 2)]
    assert plan_batches(["a"] * 65, "embedding-3", 1000) == [range(0, 64), range(64, 65)]
    assert plan_batches(["a"] * 64, "embedding-3") == [range(0, 64)]
    assert plan_batches([], "embedding-3") == []


def test_the_token_budget_of_a_request_is_kept_with_its_margin() -> None:
    text = "word " * 100
    size = estimate_tokens(text)
    budget = int(8192 * 0.8)
    per_batch = budget // size
    batches = plan_batches([text] * (per_batch * 2 + 1), "embedding-2")
    assert [len(b) for b in batches] == [per_batch, per_batch, 1]
    # On a model without a request budget only the count limits a batch.
    assert [len(b) for b in plan_batches([text] * 70, "embedding-3")] == [64, 6]


def test_an_input_over_the_models_limit_is_refused_naming_it() -> None:
    ok = "word " * 300
    too_long = "word " * 2000
    assert estimate_tokens(too_long) > 512
    with pytest.raises(GLMValidationError) as caught:
        plan_batches([ok, too_long], "embedding-2")
    assert caught.value.field == "texts[1]" and "512 tokens" in caught.value.allowed
    assert plan_batches([too_long], "embedding-3") == [range(0, 1)]


def test_model_names_are_read_loosely_and_unknown_ones_get_embedding_3() -> None:
    assert embedding_spec(" Embedding-2 ").name == "embedding-2"
    assert embedding_spec("zhipu/embedding-2").name == "embedding-2"
    assert embedding_spec("embedding-9").name == "embedding-3"
    assert embedding_body(["a"], "embedding-3", None) == {"model": "embedding-3", "input": ["a"]}


def body(*vectors: Any, **extra: Any) -> dict[str, Any]:
    return {"data": [{"index": i, "embedding": v} for i, v in enumerate(vectors)], **extra}


@pytest.mark.parametrize(
    ("reply", "count", "says"),
    [
        ({"data": [{"index": True, "embedding": [1.0]}]}, 1, "index True"),
        ({"data": [{"index": 1, "embedding": [1.0]}]}, 1, "index 1"),
        ({"data": [{"index": -1, "embedding": [1.0]}]}, 1, "index -1"),
        ({"data": [["x"]]}, 1, "index None"),
        (
            {"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}]},
            2,
            "index 0 twice (again at data[1])",
        ),
        (body([]), 1, "not a non-empty list"),
        (body("1.0"), 1, "not a non-empty list"),
        (body([1.0, "2"]), 1, "component 1 is '2' (str)"),
        (body([1.0, None]), 1, "component 1 is 'None' (NoneType)"),
        (body([True, 1.0]), 1, "component 0 is 'True' (bool)"),
        (body([1.0, float("nan")]), 1, "component 1 is 'nan' (float)"),
        (body([1, 10**400]), 1, "component 1"),
        (body([1.0, 2.0], [1.0]), 2, "1 dimensions for input 1 (data[1]), not the 2 of data[0]"),
        ({"data": "x"}, 1, "data is str, not a list"),
        ({"data": [], "usage": {"prompt_tokens": "many"}}, 0, "unexpected shape"),
        ([1], 1, "unexpected shape"),
    ],
)
def test_malformed_replies_are_refused_and_not_retried(reply: Any, count: int, says: str) -> None:
    with pytest.raises(E.ServerError) as caught:
        parse_embeddings(reply, count)
    assert says in caught.value.message
    assert caught.value.retryable is False and caught.value.body is reply


def test_the_dimensions_asked_for_are_checked_on_every_vector() -> None:
    with pytest.raises(E.ServerError, match="not the dimensions=3 asked for"):
        parse_embeddings(body([1.0, 2.0]), 1, dimensions=3)
    vectors, _ = parse_embeddings(body([1.0, 2.0, 3.0]), 1, dimensions=3)
    assert vectors == [[1.0, 2.0, 3.0]]


def test_integers_become_floats_and_large_finite_values_pass() -> None:
    vectors, usage = parse_embeddings(body([0, 1], [1e308, 1e308]), 2)
    assert vectors == [[0.0, 1.0], [1e308, 1e308]]
    assert all(type(x) is float for x in vectors[0])
    assert (usage.prompt_tokens, usage.total_tokens) == (0, 0)


def test_usage_is_read_and_total_defaults_to_prompt() -> None:
    _, usage = parse_embeddings(body([1.0], usage={"prompt_tokens": 7}), 1)
    assert (usage.prompt_tokens, usage.total_tokens) == (7, 7)
    _, usage = parse_embeddings(body([1.0], usage={"prompt_tokens": 7, "total_tokens": 9}), 1)
    assert (usage.prompt_tokens, usage.total_tokens, usage.raw) == (
        7,
        9,
        {"prompt_tokens": 7, "total_tokens": 9},
    )


def test_the_request_id_of_a_malformed_reply_is_kept() -> None:
    with pytest.raises(E.ServerError) as caught:
        parse_embeddings(body([1.0], request_id="req-7"), 2)
    assert caught.value.request_id == "req-7"
    with pytest.raises(E.ServerError) as caught:
        parse_embeddings(body([1.0], id=12), 2)
    assert caught.value.request_id == "12"


def test_a_request_filled_exactly_to_its_token_budget_is_one_request() -> None:
    big, rest = "w " * 1000, "w " * 106  # about 500 and 53 tokens: 13 * 500 + 53 = the budget
    assert (estimate_tokens(big), estimate_tokens(rest)) == (500, 53)
    assert int(8192 * 0.8) == 13 * 500 + 53
    texts = ([big] * 13 + [rest]) * 2
    assert [len(b) for b in plan_batches(texts, "embedding-2")] == [14, 14]


def test_refusals_say_what_is_allowed_and_show_the_value() -> None:
    with pytest.raises(GLMValidationError) as caught:
        plan_batches("abc", "embedding-3")  # type: ignore[arg-type]
    assert (caught.value.value, caught.value.allowed) == ("abc", "a list of strings")
    with pytest.raises(GLMValidationError) as caught:
        plan_batches(["ok", "  "], "embedding-3")
    assert (caught.value.value, caught.value.allowed) == ("  ", "a non-empty string")
    with pytest.raises(GLMValidationError) as caught:
        plan_batches(["w " * 2000], "embedding-2")
    assert caught.value.value == "about 1000 tokens"
    with pytest.raises(GLMValidationError) as caught:
        embedding_body(["a"], "embedding-3", 100)
    assert (
        caught.value.value == 100 and caught.value.allowed == "256, 512, 1024, 2048 on embedding-3"
    )
