"""What a framework model built on the binding does for its user (issue 28): the key stays secret
on every route, copies and pickles never carry live clients, settings follow every field."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, PrivateAttr, SecretStr

from glm_transport import GLMValidationError
from glm_transport.binding import (
    Binding,
    KeyedModel,
    binding_of,
    copy_memo,
    portable_state,
    private,
    secret_key,
)


class Model(KeyedModel, BaseModel):
    """The shape ChatGLM and GLM share, and nothing else."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    provider: str | None = None
    base_url: str | None = "http://127.0.0.1:1/api/paas/v4"
    api_key: SecretStr | None = None
    timeout: float | None = None
    max_retries: int = 2
    default_headers: dict[str, str] | None = None
    total_timeout: float | None = None
    _binding: Binding = PrivateAttr(default_factory=Binding)


def test_the_key_is_a_secret_on_every_route() -> None:
    model = Model(api_key="sk-construct")
    assert isinstance(model.api_key, SecretStr)
    model.api_key = "sk-assigned"  # type: ignore[assignment]
    assert isinstance(model.api_key, SecretStr)
    assert model.api_key.get_secret_value() == "sk-assigned"
    assert "sk-assigned" not in repr(model)
    copied = model.model_copy(update={"api_key": "sk-copied"})
    assert isinstance(copied.api_key, SecretStr) and "sk-copied" not in repr(copied)
    deep = model.model_copy(update={"api_key": "sk-deep", "max_retries": 5}, deep=True)
    assert isinstance(deep.api_key, SecretStr)
    assert (deep.api_key.get_secret_value(), deep.max_retries) == ("sk-deep", 5)
    assert model.max_retries == 2
    model.max_retries = 4  # other fields are set as given
    assert model.max_retries == 4


def test_a_key_of_another_type_is_refused_without_showing_it() -> None:
    assert secret_key(None) is None
    s = SecretStr("k")
    assert secret_key(s) is s
    assert secret_key("k") == SecretStr("k")
    with pytest.raises(GLMValidationError) as caught:
        secret_key(12345678)
    assert caught.value.field == "api_key" and caught.value.value == "<int>"
    assert "12345678" not in str(caught.value)
    model = Model()
    with pytest.raises(GLMValidationError):
        model.api_key = b"bytes-key"  # type: ignore[assignment]


def test_a_copy_builds_its_own_settings_from_its_own_fields() -> None:
    model = Model(api_key="k")
    assert binding_of(model).settings(model).max_retries == 2
    for other in (copy.copy(model), model.model_copy(), copy.deepcopy(model)):
        assert binding_of(other) is not binding_of(model)
        other.max_retries = 7
        assert binding_of(other).settings(other).max_retries == 7
        assert binding_of(model).settings(model).max_retries == 2
    changed = model.model_copy(update={"max_retries": 0})
    assert binding_of(changed).settings(changed).max_retries == 0
    deep = model.model_copy(update={"max_retries": 1}, deep=True)
    assert binding_of(deep) is not binding_of(model)
    assert binding_of(deep).settings(deep).max_retries == 1


def test_headers_changed_in_place_are_seen() -> None:
    model = Model(api_key="k", default_headers={"X-A": "1"})
    binding = binding_of(model)
    assert binding.settings(model).default_headers == {"X-A": "1"}
    model.default_headers["X-A"] = "2"  # type: ignore[index]
    assert binding.settings(model).default_headers == {"X-A": "2"}
    model.default_headers = None
    assert not binding.settings(model).default_headers


def test_each_client_is_kept_until_its_settings_or_http_client_change() -> None:
    model = Model(api_key="k")
    binding = binding_of(model)
    sync, aio = binding.sync(model), binding.async_(model)
    assert binding.sync(model) is sync and binding.async_(model) is aio
    assert sync.settings is binding.settings(model) and aio.settings is sync.settings
    with httpx.Client() as own:
        other = binding.sync(model, own)
        assert other is not sync and binding.sync(model, own) is other
    model.timeout = 5.0
    assert binding.sync(model) is not sync
    new_aio = binding.async_(model)
    assert new_aio is not aio and new_aio.settings.timeout.read == 5.0  # type: ignore[union-attr]


def test_pickled_models_carry_no_binding_state() -> None:
    model = Model(api_key="k")
    binding_of(model).sync(model)
    back = pickle.loads(pickle.dumps(binding_of(model)))
    assert back._settings is None and back._sync is None and back._async is None


def test_private_reads_the_store_and_falls_back_to_attributes() -> None:
    model = Model()
    assert private(model, "_binding") is binding_of(model)

    class Plain:
        __pydantic_private__ = None
        _x = 3

    assert private(Plain(), "_x") == 3


def test_portable_state_variants() -> None:
    state: dict[str, Any] = {"__dict__": {"api_key": "k", "http_client": None, "a": 1}}
    out = portable_state(state, live=("http_client",), live_private=("_c",), keep_key=False)
    assert out["__dict__"] == {"api_key": None, "http_client": None, "a": 1}
    assert out["__pydantic_private__"] == {"_c": None}
    assert "__pydantic_private__" not in portable_state(state, keep_key=True)
    assert portable_state({}, keep_key=False)["__dict__"] == {"api_key": None}


def test_a_deep_copy_shares_the_users_http_clients() -> None:
    with httpx.Client() as client:
        memo = copy_memo(None, [client, None])
        assert memo == {id(client): client}
        assert copy.deepcopy({"c": client}, memo)["c"] is client
        mine: dict[int, Any] = {1: "kept"}
        assert copy_memo(mine, [client]) is mine and mine[1] == "kept"


def _reply(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"data": [{"index": 0, "embedding": [1.0]}]})


async def test_the_users_http_client_carries_the_requests_sync_and_async() -> None:
    from glm_transport.embeddings import aembed, embed

    model = Model(api_key="k", base_url="https://glm.test/api/paas/v4", max_retries=0)
    binding = binding_of(model)
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return _reply(request)

    with httpx.Client(transport=httpx.MockTransport(record)) as own:
        assert embed(binding.sync(model, own), ["a"]).vectors == [[1.0]]
    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as aown:
        assert (await aembed(binding.async_(model, aown), ["a"])).vectors == [[1.0]]
        assert binding.async_(model, aown) is binding.async_(model, aown)
    assert seen == ["https://glm.test/api/paas/v4/embeddings"] * 2


def test_a_deep_copy_has_its_own_headers_and_a_shallow_one_shares_them() -> None:
    model = Model(api_key="k", default_headers={"X-A": "1"})
    deep = model.model_copy(deep=True)
    assert deep.default_headers == {"X-A": "1"}
    assert deep.default_headers is not model.default_headers
    assert model.model_copy().default_headers is model.default_headers
