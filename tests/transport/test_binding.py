"""binding: settings and clients that follow a model's fields; empty when copied or pickled."""

from __future__ import annotations

import copy
import pickle
from types import SimpleNamespace

import httpx

from glm_transport.binding import Binding, portable_state


def _model(**kw: object) -> SimpleNamespace:
    fields = dict(
        provider=None, base_url="http://127.0.0.1:1/v4", api_key="k", timeout=None,
        max_retries=2, default_headers=None, total_timeout=None,
    )  # fmt: skip
    return SimpleNamespace(**{**fields, **kw})


def test_settings_follow_the_fields() -> None:
    binding, model = Binding(), _model()
    first = binding.settings(model)
    assert binding.settings(model) is first  # cached while nothing changes
    model.max_retries = 0
    assert binding.settings(model).max_retries == 0
    assert binding.sync(model).settings.max_retries == 0


def test_clients_are_rebuilt_for_a_new_http_client() -> None:
    binding, model = Binding(), _model()
    a = binding.sync(model)
    assert binding.sync(model) is a
    with httpx.Client() as own:
        assert binding.sync(model, http_client=own) is not a


def test_copies_and_pickles_are_empty() -> None:
    binding = Binding()
    binding.settings(_model())
    for other in (copy.copy(binding), copy.deepcopy(binding), pickle.loads(pickle.dumps(binding))):
        assert other._settings is None and other._sync is None


def test_portable_state_drops_live_clients_and_the_key() -> None:
    fields = {"api_key": "secret", "http_client": object(), "model": "glm-5"}
    state = {"__dict__": fields, "__pydantic_private__": {"_http_client": object(), "_b": 1}}
    out = portable_state(
        state, live=("http_client",), live_private=("_http_client",), keep_key=False
    )
    assert out["__dict__"] == {"api_key": None, "http_client": None, "model": "glm-5"}
    assert out["__pydantic_private__"] == {"_http_client": None, "_b": 1}
    assert fields["api_key"] == "secret"  # the model's own state is not touched
    assert portable_state(state, keep_key=True)["__dict__"]["api_key"] == "secret"
