"""What a user's settings resolve to (issue 28): which preset, URL, key and limits, the field each
refusal names, and the key never shown."""

from __future__ import annotations

import os
import warnings

import httpx
import pytest
from pydantic import SecretStr

from glm_transport import PROVIDERS, GLMValidationError, config, resolve_settings
from glm_transport.config import (
    InsecureTransportWarning,
    check_serves,
    make_timeout,
    settings_of,
)

KEY = "fake-id.FAKESECRETfakesecret123"
# Under mutation testing a mutmut frame sits between every caller and the library, so a warning
# is attributed to it: the exact location is checked outside mutmut only.
UNDER_MUTMUT = "MUTANT_UNDER_TEST" in os.environ
ENV = (
    "GLM_API_KEY",
    "GLM_BASE_URL",
    "GLM_PROVIDER",
    "ZAI_API_KEY",
    "ZHIPUAI_API_KEY",
    "BIGMODEL_API_KEY",
    "MAXTOKEN_API_KEY",
    "POWERTOKENS_API_KEY",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(config, "_warned_hosts", set())


def refused(**kw: object) -> GLMValidationError:
    with pytest.raises(GLMValidationError) as caught:
        resolve_settings(**kw)  # type: ignore[arg-type]
    return caught.value


def test_the_provider_comes_from_the_argument_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GLM_PROVIDER", "bigmodel")
    assert resolve_settings().provider.name == "bigmodel"
    assert resolve_settings(provider="zai").provider.name == "zai"
    monkeypatch.setenv("GLM_PROVIDER", "nope")
    err = refused()
    assert err.field == "provider" and err.value == "nope" and "'zai'" in err.allowed


def test_a_preset_url_with_a_trailing_slash_is_that_preset() -> None:
    s = resolve_settings(base_url="https://open.bigmodel.cn/api/paas/v4/")
    assert s.provider.name == "bigmodel"
    assert s.url == "https://open.bigmodel.cn/api/paas/v4/chat/completions"
    assert str(s.url_for("/embeddings")) == "https://open.bigmodel.cn/api/paas/v4/embeddings"
    assert s.url_for("/embeddings") is s.url_for("/embeddings")


def test_the_base_url_comes_from_the_environment_when_not_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GLM_BASE_URL", "https://gw.example/v1")
    s = resolve_settings()
    assert (s.base_url, s.provider.name) == ("https://gw.example/v1", "custom")
    assert str(s.provider) == "the gateway at gw.example"
    assert resolve_settings(base_url="https://other.example/v1").base_url == (
        "https://other.example/v1"
    )


def test_the_custom_provider_needs_a_url_and_is_named_by_its_host() -> None:
    err = refused(provider="custom")
    assert err.field == "base_url" and "'custom' provider" in err.allowed
    s = resolve_settings(provider="custom", base_url="https://gw.example:8443/v1")
    assert str(s.provider) == "the gateway at gw.example:8443"
    assert s.provider.requires_key is False
    assert str(PROVIDERS["zai"]) == "provider 'zai'"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("api.z.ai/v4", "an http:// or https:// URL"),
        (7, "an http:// or https:// URL"),
        ("https://", "with a host"),
        ("http://[::1", "a well-formed http(s) URL"),
    ],
)
def test_a_url_that_cannot_be_used_is_refused(url: object, allowed: str) -> None:
    err = refused(base_url=url)
    assert err.field == "base_url" and allowed in err.allowed


def test_credentials_in_a_url_are_masked_in_the_error() -> None:
    err = refused(base_url="https://alice:hunter2@gw.example/v1")
    assert err.value == "https://***@gw.example/v1"
    assert "hunter2" not in str(err) and "alice" not in str(err)


def test_the_key_comes_from_the_argument_then_glm_api_key_then_the_presets_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert resolve_settings().api_key is None
    monkeypatch.setenv("BIGMODEL_API_KEY", "from-bigmodel")
    s = resolve_settings(provider="bigmodel")
    assert s.api_key is not None and s.api_key.get_secret_value() == "from-bigmodel"
    assert resolve_settings(provider="zai").api_key is None  # another preset's variable
    monkeypatch.setenv("ZHIPUAI_API_KEY", "from-zhipuai")
    s = resolve_settings(provider="bigmodel")
    assert s.api_key is not None and s.api_key.get_secret_value() == "from-zhipuai"
    monkeypatch.setenv("GLM_API_KEY", "from-glm")
    s = resolve_settings(provider="bigmodel")
    assert s.api_key is not None and s.api_key.get_secret_value() == "from-glm"
    s = resolve_settings(provider="bigmodel", api_key="given")
    assert s.api_key is not None and s.api_key.get_secret_value() == "given"
    s = resolve_settings(provider="bigmodel", api_key=SecretStr("secret-given"))
    assert s.api_key is not None and s.api_key.get_secret_value() == "secret-given"
    # An empty key counts as none given: the environment's is used.
    monkeypatch.setenv("GLM_API_KEY", "")
    s = resolve_settings(provider="bigmodel", api_key="")
    assert s.api_key is not None and s.api_key.get_secret_value() == "from-zhipuai"


def test_a_key_with_surrounding_whitespace_is_stripped_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="whitespace") as seen:
        s = resolve_settings(api_key=f" {KEY}\n")
    assert s.api_key is not None and s.api_key.get_secret_value() == KEY
    assert all(KEY not in str(w.message) for w in seen)
    assert "glm_transport" not in seen[0].filename  # it points at the caller, not the library
    if not UNDER_MUTMUT:
        assert seen[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = SecretStr(KEY)
        assert resolve_settings(api_key=same).api_key is same


@pytest.mark.parametrize("key", ["   ", "sk key", "ключ", "sk\x00x", "a\tb"])
def test_a_key_that_cannot_be_a_header_is_refused_unseen(key: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        err = refused(api_key=key)
    assert err.field == "api_key" and err.value == "<hidden>"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"max_retries": True}, "max_retries"),
        ({"max_retries": 1.0}, "max_retries"),
        ({"max_retries": -1}, "max_retries"),
        ({"total_timeout": 0}, "total_timeout"),
        ({"total_timeout": -1.0}, "total_timeout"),
        ({"total_timeout": float("inf")}, "total_timeout"),
        ({"total_timeout": float("nan")}, "total_timeout"),
        ({"total_timeout": True}, "total_timeout"),
        ({"total_timeout": "10"}, "total_timeout"),
        ({"default_headers": [("a", "b")]}, "default_headers"),
        ({"default_headers": {"bad name": "v"}}, "default_headers"),
        ({"default_headers": {1: "v"}}, "default_headers"),
        ({"default_headers": {"X-A": 1}}, "default_headers['X-A']"),
        ({"default_headers": {"X-A": "a\r\nb"}}, "default_headers['X-A']"),
        ({"default_headers": {"X-A": "café"}}, "default_headers['X-A']"),
    ],
)
def test_each_refused_setting_names_its_field(kw: dict[str, object], field: str) -> None:
    assert refused(**kw).field == field


def test_retries_and_budget_accepted_at_their_edges() -> None:
    s = resolve_settings(max_retries=0, total_timeout=0.001)
    assert (s.max_retries, s.total_timeout) == (0, 0.001)
    assert resolve_settings().max_retries == 2
    assert resolve_settings(total_timeout=5).total_timeout == 5
    assert resolve_settings(default_headers={"X-A": "a\tb c"}).default_headers == {"X-A": "a\tb c"}
    assert resolve_settings().default_headers == {}


def test_a_bad_header_value_is_reported_by_its_first_bad_character() -> None:
    err = refused(default_headers={"X-Token": "secret\x7fmore"})
    assert err.value == "\x7f" and "secret" not in str(err)


def test_timeouts_resolve_to_the_phases_a_user_asked_for() -> None:
    t = make_timeout(None)
    assert (t.read, t.connect, t.write, t.pool) == (120.0, 10.0, 120.0, 120.0)
    t = make_timeout(5)
    assert (t.read, t.connect) == (5.0, 5.0)  # connect never longer than the whole
    t = make_timeout(30.5)
    assert (t.read, t.connect) == (30.5, 10.0)
    t = make_timeout((None, 7))
    assert (t.connect, t.read) == (None, 7.0)
    t = make_timeout([3, None])
    assert (t.connect, t.read) == (3.0, None)
    given = httpx.Timeout(4, connect=None)
    assert make_timeout(given) is given
    with pytest.raises(GLMValidationError) as caught:
        make_timeout((1,))  # type: ignore[arg-type]
    assert caught.value.field == "timeout" and "(connect, read) pair" in caught.value.allowed


def test_a_key_over_plain_http_warns_naming_the_host_and_port() -> None:
    with pytest.warns(InsecureTransportWarning) as seen:
        resolve_settings(base_url="http://gw.example:8080/v4", api_key=KEY)
    (w,) = seen
    assert "http://gw.example:8080" in str(w.message) and KEY not in str(w.message)
    assert "glm_transport" not in w.filename
    if not UNDER_MUTMUT:
        assert w.filename == __file__


def test_the_repr_shows_where_not_the_key() -> None:
    s = resolve_settings(api_key=KEY, max_retries=3)
    assert repr(s) == (
        "GLMSettings(provider='zai', base_url='https://api.z.ai/api/paas/v4', "
        "api_key=SecretStr('**********'), max_retries=3)"
    )
    assert "api_key=None" in repr(resolve_settings())


def test_settings_of_reads_every_field() -> None:
    from types import SimpleNamespace

    model = SimpleNamespace(
        provider="bigmodel",
        base_url="https://gw.example/v1",
        api_key=KEY,
        timeout=9,
        max_retries=4,
        default_headers={"X-A": "1"},
        total_timeout=30.0,
    )
    s = settings_of(model)
    assert (s.provider.name, s.base_url, s.max_retries, s.total_timeout) == (
        "bigmodel",
        "https://gw.example/v1",
        4,
        30.0,
    )
    assert s.api_key is not None and s.api_key.get_secret_value() == KEY
    assert (s.timeout.read, dict(s.default_headers)) == (9.0, {"X-A": "1"})


@pytest.mark.parametrize("endpoint", ["embeddings", "rerank", "ocr", "web_search", "reader"])
def test_endpoints_beyond_chat_are_served_by_glms_own_hosts_only(endpoint: str) -> None:
    check_serves(PROVIDERS["zai"], endpoint)
    check_serves(PROVIDERS["bigmodel"], endpoint)
    check_serves(resolve_settings(base_url="https://gw.example/v1").provider, endpoint)
    for name in ("zai-coding", "bigmodel-coding", "maxtoken", "powertokens"):
        with pytest.raises(GLMValidationError) as caught:
            check_serves(PROVIDERS[name], endpoint)
        err = caught.value
        assert err.field == "provider" and err.value == name
        assert "'zai', 'bigmodel'" in err.allowed and f"no {endpoint} endpoint" in err.allowed
        assert "'custom'" not in err.allowed
    for p in PROVIDERS.values():
        check_serves(p, "chat")


def test_a_refused_timeout_shows_the_value_given() -> None:
    with pytest.raises(GLMValidationError) as caught:
        make_timeout(-3)
    assert (caught.value.field, caught.value.value) == ("timeout", -3)
    with pytest.raises(GLMValidationError) as caught:
        make_timeout((1, 0))
    assert (caught.value.field, caught.value.value) == ("timeout.read", 0)


def test_credentials_are_masked_only_where_they_are() -> None:
    err = refused(base_url="https://a:b@gw.example/a:b@x")
    assert err.value == "https://***@gw.example/a:b@x"


def test_refusals_of_urls_headers_keys_and_timeouts_say_exactly_what_is_allowed() -> None:
    assert refused(base_url="ftp://x").allowed == "an http:// or https:// URL"
    assert refused(base_url="https://").allowed == "a well-formed http(s) URL with a host"
    assert refused(default_headers=["a"]).allowed == "a dict of header names to str values"
    assert refused(default_headers={"a b": "v"}).allowed == (
        "header names made of letters, digits and !#$%&'*+-.^_`|~ (RFC 9110 tokens)"
    )
    assert refused(api_key="a b").allowed == (
        "printable ASCII characters without spaces (the key is not shown)"
    )
    with pytest.raises(GLMValidationError) as caught:
        make_timeout((1, 2, 3))  # type: ignore[arg-type]
    assert caught.value.value == (1, 2, 3)


def test_the_whitespace_warning_says_what_happened() -> None:
    with pytest.warns(UserWarning, match="whitespace") as seen:
        resolve_settings(api_key=f"{KEY}\n")
    assert [str(w.message) for w in seen] == [
        "The GLM API key had surrounding whitespace (a trailing newline?); it was stripped."
    ]


def test_no_warning_for_an_invalid_host_written_with_a_final_dot() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resolve_settings(base_url="http://glm-emulator.invalid./api/paas/v4", api_key=KEY)


def test_a_bracketed_ipv6_loopback_is_loopback() -> None:
    from glm_transport.config import is_loopback

    assert is_loopback("[::1]") is True
