"""Provider presets and the resolution of settings (key, base URL, limits, timeouts).

A preset fixes three things for one way of reaching GLM: where to send requests, which environment
variable holds its key, and what that endpoint accepts (limits and wire shapes). ``provider`` picks a
preset; an explicit ``base_url`` replaces only the URL, so a user behind a proxy keeps the provider's
limits. A ``base_url`` without a provider that is not a preset's URL is a custom OpenAI-compatible
gateway with the official API's limits.
"""

from __future__ import annotations

import functools
import math
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from glm_transport._constants import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_PROVIDER,
    DEFAULT_TIMEOUT,
    ENV_API_KEY,
    ENV_BASE_URL,
    ENV_PROVIDER,
)
from glm_transport.errors import GLMValidationError

__all__ = [
    "ALL_ENDPOINTS",
    "PROVIDERS",
    "GLMSettings",
    "Limits",
    "Provider",
    "check_serves",
    "resolve_settings",
    "settings_of",
]


ALL_ENDPOINTS = frozenset({"chat", "embeddings", "rerank"})
# The Coding Plan endpoints and the gateways' API pages document chat only.
CHAT_ONLY = frozenset({"chat"})


@dataclass(frozen=True)
class Limits:
    """What an endpoint accepts; checked before any request is sent."""

    max_stop: int = 1
    """``stop``: the official OpenAPI has ``maxItems: 1``; maxtoken documents up to 4."""
    temperature: tuple[float, float] = (0.0, 1.0)
    top_p: tuple[float, float] = (0.01, 1.0)
    max_tokens: tuple[int, int] = (1, 131072)
    max_tools: int = 128
    tool_types: frozenset[str] = frozenset({"function", "web_search", "retrieval", "mcp"})
    tool_choices: frozenset[str] = frozenset({"auto"})
    response_formats: frozenset[str] = frozenset({"text", "json_object"})


@dataclass(frozen=True)
class Provider:
    """One way of reaching GLM: base URL, key variables, limits and wire shapes."""

    name: str
    base_url: str
    key_env: tuple[str, ...]
    limits: Limits = field(default_factory=Limits)
    file_part: Literal["file_url", "file"] = "file_url"
    """How documents are sent: GLM's ``file_url`` part, or OpenAI's ``file`` part (maxtoken)."""
    error_style: Literal["glm", "openai"] = "glm"
    """``openai``: errors come without a GLM business code promised; map by HTTP status."""
    requires_key: bool = True
    preserves_thinking: bool = False
    """Earlier turns' reasoning is kept by default (``clear_thinking: false``): the thinking-mode
    guide says so of the Coding Plan endpoints."""
    label: str = ""
    """How messages name this endpoint; a custom gateway is named by its host."""
    serves: frozenset[str] = ALL_ENDPOINTS
    """The GLM endpoints (by name: ``chat``, ``embeddings``, ``rerank``) this way of reaching GLM
    serves. A request to another is refused before sending (:func:`check_serves`)."""

    def __str__(self) -> str:
        """The provider's label, else ``provider '<name>'``."""
        return self.label or f"provider '{self.name}'"


_OFFICIAL = Limits()
PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("zai", "https://api.z.ai/api/paas/v4", ("ZAI_API_KEY",), _OFFICIAL),
        Provider(
            "zai-coding",
            "https://api.z.ai/api/coding/paas/v4",
            ("ZAI_API_KEY",),
            _OFFICIAL,
            preserves_thinking=True,
            serves=CHAT_ONLY,
        ),
        Provider(
            "bigmodel",
            "https://open.bigmodel.cn/api/paas/v4",
            ("ZHIPUAI_API_KEY", "BIGMODEL_API_KEY"),
            _OFFICIAL,
        ),
        Provider(
            "bigmodel-coding",
            "https://open.bigmodel.cn/api/coding/paas/v4",
            ("ZHIPUAI_API_KEY", "BIGMODEL_API_KEY"),
            _OFFICIAL,
            preserves_thinking=True,
            serves=CHAT_ONLY,
        ),
        # maxtoken's page: up to 4 stop sequences, top_p 0.0-1.0, files as OpenAI `file` parts,
        # 403 for lack of balance and 400 for content policy, no GLM business code promised.
        Provider(
            "maxtoken",
            "https://api.maxtoken.io/v1",
            ("MAXTOKEN_API_KEY",),
            Limits(max_stop=4, top_p=(0.0, 1.0)),
            file_part="file",
            error_style="openai",
            serves=CHAT_ONLY,
        ),
        # powertokens' page: one stop sequence, top_p [0.01, 1], "only the function tool shape".
        Provider(
            "powertokens",
            "https://api.powertokens.ai/v1",
            ("POWERTOKENS_API_KEY",),
            Limits(tool_types=frozenset({"function"})),
            serves=CHAT_ONLY,
        ),
        Provider("custom", "", (), _OFFICIAL, requires_key=False),
    )
}


@dataclass(frozen=True)
class GLMSettings:
    """Everything the transport needs to send a request. The key is a ``SecretStr``."""

    provider: Provider
    base_url: str
    api_key: SecretStr | None
    timeout: httpx.Timeout
    max_retries: int = DEFAULT_MAX_RETRIES
    default_headers: Mapping[str, str] = field(default_factory=dict)
    total_timeout: float | None = None
    """Wall-clock budget for one call, retries and the whole stream included."""

    @property
    def url(self) -> str:
        """The chat completions URL."""
        return str(self.url_for("/chat/completions"))

    def url_for(self, path: str) -> httpx.URL:
        """The URL of the endpoint at ``path`` under the base URL, parsed once per path.

        httpx would otherwise re-parse the string on every request.
        """
        found = self._urls.get(path)
        if found is None:
            found = self._urls[path] = httpx.URL(self.base_url.rstrip("/") + path)
        return found

    @functools.cached_property
    def _urls(self) -> dict[str, httpx.URL]:
        return {}

    def __repr__(self) -> str:
        """A short repr with the API key masked."""
        key = "SecretStr('**********')" if self.api_key else "None"
        return (
            f"GLMSettings(provider={self.provider.name!r}, base_url={self.base_url!r}, "
            f"api_key={key}, max_retries={self.max_retries})"
        )


TimeoutArg = float | int | httpx.Timeout | tuple[float | None, float | None] | None


def make_timeout(timeout: TimeoutArg) -> httpx.Timeout:
    """``timeout`` as seconds (read/write/pool), a (connect, read) pair or an ``httpx.Timeout``."""
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, tuple):
        connect, read = timeout
        return httpx.Timeout(read, connect=connect)
    seconds = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    if seconds <= 0:
        raise GLMValidationError("timeout", timeout, "a number of seconds > 0, or None")
    return httpx.Timeout(seconds, connect=min(seconds, DEFAULT_CONNECT_TIMEOUT))


def _provider_for(provider: str | None, base_url: str | None) -> Provider:
    name = provider or os.environ.get(ENV_PROVIDER)
    if name:
        try:
            return PROVIDERS[name]
        except KeyError:
            raise GLMValidationError(
                "provider", name, ", ".join(repr(p) for p in PROVIDERS)
            ) from None
    if base_url:
        wanted = base_url.rstrip("/")
        for p in PROVIDERS.values():
            if p.base_url and p.base_url == wanted:
                return p
        return PROVIDERS["custom"]
    return PROVIDERS[DEFAULT_PROVIDER]


def resolve_settings(
    *,
    provider: str | None = None,
    base_url: str | None = None,
    api_key: str | SecretStr | None = None,
    timeout: TimeoutArg = None,
    max_retries: int | None = None,
    default_headers: Mapping[str, str] | None = None,
    total_timeout: float | None = None,
) -> GLMSettings:
    """Resolve settings the documented way.

    Key: ``api_key``, else ``GLM_API_KEY``, else the provider's own variable(s).
    Base URL: ``base_url``, else ``GLM_BASE_URL``, else the preset's URL.
    """
    explicit_url = base_url or os.environ.get(ENV_BASE_URL) or None
    preset = _provider_for(provider, explicit_url)
    if preset.name == "custom" and explicit_url:
        host = explicit_url.split("://", 1)[-1].split("/", 1)[0]
        preset = replace(preset, label=f"the gateway at {host}")
    url = explicit_url or preset.base_url
    if not url:
        raise GLMValidationError("base_url", base_url, "a URL; the 'custom' provider has none")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise GLMValidationError("base_url", url, "an http:// or https:// URL")
    try:
        httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise GLMValidationError("base_url", url, "a well-formed http(s) URL") from None

    key: SecretStr | None
    if isinstance(api_key, SecretStr):
        key = api_key if api_key.get_secret_value() else None
    elif api_key:
        key = SecretStr(api_key)
    else:
        found = next(
            (os.environ[v] for v in (ENV_API_KEY, *preset.key_env) if os.environ.get(v)), None
        )
        key = SecretStr(found) if found else None
    key = _checked_key(key)

    retries = DEFAULT_MAX_RETRIES if max_retries is None else max_retries
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise GLMValidationError("max_retries", max_retries, "an integer >= 0 (0 disables retries)")
    if total_timeout is not None and (
        isinstance(total_timeout, bool)
        or not isinstance(total_timeout, (int, float))
        or not math.isfinite(total_timeout)
        or total_timeout <= 0
    ):
        raise GLMValidationError("total_timeout", total_timeout, "a number of seconds > 0, or None")
    return GLMSettings(
        provider=preset,
        base_url=url,
        api_key=key,
        timeout=make_timeout(timeout),
        max_retries=retries,
        default_headers=dict(default_headers or {}),
        total_timeout=total_timeout,
    )


def _checked_key(key: SecretStr | None) -> SecretStr | None:
    """A key that can go in an HTTP header.

    Surrounding whitespace (a key read from a file or a mounted secret ends in a newline) is
    stripped with a warning; anything else that cannot be a key is refused. The value is never
    shown.
    """
    if key is None:
        return None
    raw = key.get_secret_value()
    stripped = raw.strip()
    if stripped != raw:
        warnings.warn(
            "The GLM API key had surrounding whitespace (a trailing newline?); it was stripped.",
            UserWarning,
            stacklevel=4,
        )
    if not stripped or not stripped.isascii() or not stripped.isprintable() or " " in stripped:
        raise GLMValidationError(
            "api_key",
            "<hidden>",
            "printable ASCII characters without spaces (the key is not shown)",
        )
    return key if stripped == raw else SecretStr(stripped)


def settings_of(model: Any) -> GLMSettings:
    """Settings from a framework model's fields (``ChatGLM`` and ``GLM`` share these names)."""
    return resolve_settings(
        provider=model.provider,
        base_url=model.base_url,
        api_key=model.api_key,
        timeout=model.timeout,
        max_retries=model.max_retries,
        default_headers=model.default_headers,
        total_timeout=model.total_timeout,
    )


def check_serves(provider: Provider, endpoint: str) -> None:
    """Refuse, before sending, a request to an endpoint ``provider`` does not serve.

    Raises:
        GLMValidationError: naming ``provider`` and the presets that serve ``endpoint``.
    """
    if endpoint in provider.serves:
        return
    serving = [repr(p.name) for p in PROVIDERS.values() if endpoint in p.serves and p.base_url]
    raise GLMValidationError(
        "provider",
        provider.name,
        f"{', '.join(serving)} or a custom base_url: {provider} documents no {endpoint} endpoint",
    )
