"""Settings resolution: provider presets, key and URL precedence, secrecy."""

from __future__ import annotations

import pytest

from glm_transport import GLMValidationError, resolve_settings

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
