"""Settings resolution: provider presets, key and URL precedence, secrecy."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import httpx
import pytest

from glm_transport import GLMValidationError, config, resolve_settings
from glm_transport.binding import Binding
from glm_transport.config import InsecureTransportWarning, is_loopback

KEY = "fake-id.FAKESECRETfakesecret123"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "GLM_API_KEY",
        "GLM_BASE_URL",
        "GLM_PROVIDER",
        "ZAI_API_KEY",
        "ZHIPUAI_API_KEY",
        "BIGMODEL_API_KEY",
        "MAXTOKEN_API_KEY",
        "POWERTOKENS_API_KEY",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("zai", "https://api.z.ai/api/paas/v4"),
        ("zai-coding", "https://api.z.ai/api/coding/paas/v4"),
        ("bigmodel", "https://open.bigmodel.cn/api/paas/v4"),
        ("bigmodel-coding", "https://open.bigmodel.cn/api/coding/paas/v4"),
        ("maxtoken", "https://api.maxtoken.io/v1"),
        ("powertokens", "https://api.powertokens.ai/v1"),
    ],
)
def test_presets(name: str, url: str) -> None:
    s = resolve_settings(provider=name, api_key=KEY)
    assert (s.provider.name, s.base_url, s.url) == (name, url, url + "/chat/completions")


def test_default_provider_is_zai() -> None:
    assert resolve_settings().provider.name == "zai"


def test_base_url_replaces_only_the_url() -> None:
    s = resolve_settings(provider="maxtoken", base_url="http://proxy.local/v1")
    assert s.base_url == "http://proxy.local/v1"
    assert s.provider.name == "maxtoken" and s.provider.limits.max_stop == 4


def test_unknown_base_url_is_a_custom_gateway_and_a_preset_url_is_recognised() -> None:
    assert resolve_settings(base_url="http://127.0.0.1:9/v1").provider.name == "custom"
    assert resolve_settings(base_url="https://api.maxtoken.io/v1/").provider.name == "maxtoken"


def test_key_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIPUAI_API_KEY", "from-provider-var")
    assert resolve_settings(provider="bigmodel").api_key.get_secret_value() == "from-provider-var"
    monkeypatch.setenv("GLM_API_KEY", "from-glm-var")
    assert resolve_settings(provider="bigmodel").api_key.get_secret_value() == "from-glm-var"
    assert (
        resolve_settings(provider="bigmodel", api_key="explicit").api_key.get_secret_value()
        == "explicit"
    )
    # A provider's variable does not leak to another provider.
    monkeypatch.delenv("GLM_API_KEY")
    assert resolve_settings(provider="zai").api_key is None


def test_base_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLM_BASE_URL", "http://127.0.0.1:8000/api/paas/v4")
    assert resolve_settings().base_url == "http://127.0.0.1:8000/api/paas/v4"
    assert resolve_settings(base_url="https://other/v1").base_url == "https://other/v1"


def test_errors_name_the_field() -> None:
    with pytest.raises(GLMValidationError, match="`provider`.*'zai'"):
        resolve_settings(provider="openai")
    with pytest.raises(GLMValidationError, match="`base_url`"):
        resolve_settings(base_url="ftp://x")
    with pytest.raises(GLMValidationError, match="`max_retries`"):
        resolve_settings(max_retries=-1)
    with pytest.raises(GLMValidationError, match="`timeout`"):
        resolve_settings(timeout=0)


def test_key_never_in_repr_or_str() -> None:
    s = resolve_settings(api_key=KEY)
    assert KEY not in repr(s) and KEY not in str(s)
    assert "FAKESECRET" not in repr(s.api_key)


def test_timeouts() -> None:
    t = resolve_settings(timeout=30).timeout
    assert (t.read, t.connect) == (30, 10)
    t = resolve_settings(timeout=(2, 50)).timeout
    assert (t.read, t.connect) == (50, 2)


# -- timeouts: NaN, infinite, 0 and negative are refused, naming the phase -----------------------

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("timeout", "field"),
    [
        (NAN, "timeout"),
        (INF, "timeout"),
        (-1, "timeout"),
        (0, "timeout"),
        (True, "timeout"),
        ("30", "timeout"),
        ((NAN, 5), "timeout.connect"),
        ((5, -1.0), "timeout.read"),
        ((0, 5), "timeout.connect"),
        ((5, INF), "timeout.read"),
        ((1, 2, 3), "timeout"),
        (httpx.Timeout(5, connect=NAN), "timeout.connect"),
        (httpx.Timeout(5, read=-2), "timeout.read"),
        (httpx.Timeout(5, write=INF), "timeout.write"),
        (httpx.Timeout(5, pool=0), "timeout.pool"),
    ],
)
def test_timeouts_that_are_no_duration_are_refused(timeout: object, field: str) -> None:
    with pytest.raises(GLMValidationError) as info:
        resolve_settings(api_key=KEY, timeout=timeout)  # type: ignore[arg-type]
    assert info.value.field == field
    assert "finite number of seconds > 0" in info.value.allowed


def test_no_limit_is_none_not_zero_or_infinity() -> None:
    t = resolve_settings(timeout=(None, 30)).timeout
    assert (t.connect, t.read) == (None, 30)
    assert resolve_settings(timeout=httpx.Timeout(None)).timeout.read is None
    assert resolve_settings(timeout=0.5).timeout.read == 0.5
    for bad in (INF, 0):
        with pytest.raises(GLMValidationError, match="total_timeout.*or None for no overall limit"):
            resolve_settings(total_timeout=bad)


# -- default_headers: only what goes on the wire as given -----------------------------------------


@pytest.mark.parametrize(
    ("headers", "field", "shown"),
    [
        ({"X-Tag": "a\r\nX-Injected: 1"}, "default_headers['X-Tag']", "'\\r'"),
        ({"X-Tag": "line\nbreak"}, "default_headers['X-Tag']", "'\\n'"),
        ({"X-Tag": "caf\u00e9"}, "default_headers['X-Tag']", "'\u00e9'"),
        ({"X-Tag": "\u6e2c\u8a66"}, "default_headers['X-Tag']", "'\u6e2c'"),
        ({"X-Tag": "nul\x00"}, "default_headers['X-Tag']", "'\\x00'"),
        ({"X-Tag": 5}, "default_headers['X-Tag']", "'<int>'"),
        ({"X Tag": "v"}, "default_headers", "'X Tag'"),
        ({"X-Tag:": "v"}, "default_headers", "'X-Tag:'"),
        ({"X-T\u00e4g": "v"}, "default_headers", "'X-T\u00e4g'"),
        ({"X-Tag\r\n": "v"}, "default_headers", "'X-Tag\\r\\n'"),
        ({"": "v"}, "default_headers", "''"),
        (["X-Tag"], "default_headers", "'list'"),
    ],
)
def test_header_names_and_values_that_cannot_be_sent_are_refused(
    headers: object, field: str, shown: str
) -> None:
    with pytest.raises(GLMValidationError) as info:
        resolve_settings(api_key=KEY, default_headers=headers)  # type: ignore[arg-type]
    assert info.value.field == field
    assert f"got {shown};" in str(info.value)


def test_a_header_value_is_never_echoed() -> None:
    token = "proxy-token-0123456789"
    with pytest.raises(GLMValidationError) as info:
        resolve_settings(default_headers={"X-Proxy-Auth": token + "\n"})
    assert token not in f"{info.value!s}{info.value!r}{info.value.value!r}"
    assert "CR, LF" in info.value.allowed


def test_headers_that_can_be_sent_pass() -> None:
    headers = {"X-Tag": "a b\tc ~!", "x-empty": "", "X_Under.score": "1"}
    assert resolve_settings(default_headers=headers).default_headers == headers


# -- credentials in base_url --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2secret@api.z.ai/api/paas/v4",
        "http://hunter2secret@127.0.0.1:8000/v4",
        "https://user:hunter2secret@[::1]:8443/v4",
    ],
)
def test_credentials_in_the_base_url_are_refused_unseen(url: str) -> None:
    with pytest.raises(GLMValidationError) as info:
        resolve_settings(base_url=url, api_key=KEY)
    err = info.value
    assert err.field == "base_url"
    assert "pass the key as api_key" in err.allowed and "never sent" in err.allowed
    assert "hunter2secret" not in f"{err!s}{err!r}{err.value!r}"
    assert "***@" in str(err)


def test_a_url_without_a_host_is_refused() -> None:
    with pytest.raises(GLMValidationError, match="`base_url`.*with a host"):
        resolve_settings(base_url="http:///v4")


# -- a key over plain http:// -------------------------------------------------------------------


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "_warned_hosts", set())  # "once" starts over for each test


def _insecure(**kwargs: object) -> list[str]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        resolve_settings(**kwargs)  # type: ignore[arg-type]
    return [str(w.message) for w in seen if w.category is InsecureTransportWarning]


@pytest.mark.usefixtures("fresh_warnings")
def test_a_key_over_plain_http_warns_once_per_host() -> None:
    assert issubclass(InsecureTransportWarning, UserWarning)
    first = _insecure(base_url="http://gateway.example/v4", api_key=KEY)
    assert len(first) == 1 and "http://gateway.example" in first[0] and KEY not in first[0]
    assert _insecure(base_url="http://gateway.example/v4", api_key=KEY) == []  # once
    assert _insecure(base_url="http://GATEWAY.example/other", api_key=KEY) == []  # same host
    assert len(_insecure(base_url="http://other.example/v4", api_key=KEY)) == 1


@pytest.mark.usefixtures("fresh_warnings")
def test_a_key_from_the_environment_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLM_API_KEY", KEY)
    assert len(_insecure(base_url="http://10.0.0.7:8000/v4")) == 1


@pytest.mark.usefixtures("fresh_warnings")
@pytest.mark.parametrize(
    "kwargs",
    [
        {"base_url": "http://gateway.example/v4"},  # no key: nothing secret is sent
        {"base_url": "https://gateway.example/v4", "api_key": KEY},
        {"base_url": "http://localhost:8000/v4", "api_key": KEY},
        {"base_url": "http://LOCALHOST./v4", "api_key": KEY},
        {"base_url": "http://127.0.0.1:8000/v4", "api_key": KEY},
        {"base_url": "http://127.9.8.7/v4", "api_key": KEY},
        {"base_url": "http://[::1]:8000/v4", "api_key": KEY},
        {"base_url": "http://[::ffff:127.0.0.1]:8000/v4", "api_key": KEY},
        {"base_url": "http://glm-emulator.invalid/api/paas/v4", "api_key": KEY},
    ],
)
def test_no_warning_without_a_key_over_https_or_to_loopback(kwargs: dict[str, object]) -> None:
    assert _insecure(**kwargs) == []


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.255.0.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("128.0.0.1", False),
        ("0.0.0.0", False),
        ("localhost.example", False),
        ("10.0.0.1", False),
        ("::2", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


# -- settings follow a header dict changed in place -------------------------------------------


def test_settings_follow_headers_changed_in_place() -> None:
    headers = {"X-Tag": "one"}
    model = SimpleNamespace(
        provider=None, base_url="http://127.0.0.1:1/v4", api_key=KEY, timeout=None,
        max_retries=2, default_headers=headers, total_timeout=None,
    )  # fmt: skip
    binding = Binding()
    first = binding.settings(model)
    assert binding.settings(model) is first  # unchanged: cached
    headers["X-Tag"] = "two"
    assert binding.settings(model).default_headers == {"X-Tag": "two"}
