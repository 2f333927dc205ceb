"""embeddings: checks, batch planning within the model's limits, and reading replies."""

from __future__ import annotations

import httpx
import pytest

from glm_transport import PROVIDERS, GLMClient, GLMValidationError, resolve_settings
from glm_transport import errors as E
from glm_transport.embeddings import embed, embedding_body, parse_embeddings, plan_batches


def test_batches_follow_count_and_token_limits() -> None:
    assert plan_batches(["a"] * 130, "embedding-3") == [
        range(0, 64),
        range(64, 128),
        range(128, 130),
    ]
    assert plan_batches(["a"] * 10, "embedding-3", batch_size=4) == [
        range(0, 4),
        range(4, 8),
        range(8, 10),
    ]
    # embedding-2: 8K tokens a request (kept with a margin): 400-token texts go 16 at a time.
    long = ["word " * 320] * 40
    assert all(len(b) <= 16 for b in plan_batches(long, "embedding-2"))


@pytest.mark.parametrize(
    ("texts", "field"), [(["a", ""], "texts[1]"), ("abc", "texts"), ([3], "texts[0]")]
)
def test_bad_inputs_name_their_index(texts: object, field: str) -> None:
    with pytest.raises(GLMValidationError) as info:
        plan_batches(texts, "embedding-3")  # type: ignore[arg-type]
    assert info.value.field == field


def test_body_checks_dimensions() -> None:
    assert embedding_body(["a"], "embedding-3", 512)["dimensions"] == 512
    with pytest.raises(GLMValidationError, match="1024 on embedding-2"):
        embedding_body(["a"], "embedding-2", 512)


@pytest.mark.parametrize(
    "name", [p.name for p in PROVIDERS.values() if "embeddings" not in p.serves]
)
def test_providers_without_embeddings_refuse_before_sending(name: str) -> None:
    settings = resolve_settings(provider=name, api_key="k")
    sent = []
    client = GLMClient(settings, httpx.Client(transport=httpx.MockTransport(sent.append)))
    with pytest.raises(
        GLMValidationError, match=f"provider '{name}' documents no embeddings"
    ) as info:
        embed(client, ["a"])
    assert info.value.field == "provider" and "'bigmodel'" in str(info.value) and not sent


def test_replies_are_put_back_in_input_order() -> None:
    body = {
        "data": [{"index": 1, "embedding": [0.0, 1.0]}, {"index": 0, "embedding": [1.0, 0.0]}],
        "usage": {"prompt_tokens": 4, "total_tokens": 4},
    }
    vectors, usage = parse_embeddings(body, 2)
    assert vectors == [[1.0, 0.0], [0.0, 1.0]] and usage.prompt_tokens == 4
    with pytest.raises(E.APIError, match="1 embeddings for 2 inputs"):
        parse_embeddings({"data": [{"index": 0, "embedding": [1.0]}]}, 2)
    with pytest.raises(E.APIError, match="unexpected shape"):
        parse_embeddings({"data": None}, 1)
