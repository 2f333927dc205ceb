"""Provider presets and the resolution of settings (key, base URL, limits, timeouts).

A preset fixes three things for one way of reaching GLM: where to send requests, which environment
variable holds its key, and what that endpoint accepts (limits and wire shapes). ``provider`` picks a
preset; an explicit ``base_url`` replaces only the URL, so a user behind a proxy keeps the provider's
limits. A ``base_url`` without a provider that is not a preset's URL is a custom OpenAI-compatible
gateway with the official API's limits.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import numbers
import os
import re
import sys
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import FrameType
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
from glm_transport.urls import masked_url

__all__ = [
    "ALL_ENDPOINTS",
    "PROVIDERS",
    "GLMSettings",
    "InsecureTransportWarning",
    "Limits",
    "Provider",
    "check_serves",
    "is_loopback",
    "resolve_settings",
    "settings_of",
]


class InsecureTransportWarning(UserWarning):
    """The API key goes over plain ``http://`` to a host off this machine.

    Anyone on the network path can read it there. Issued once per host; loopback hosts
    (``localhost``, ``127.0.0.0/8``, ``::1``) are exempt, as are ``.invalid`` names, which never
    resolve (the in-process emulator's URL). Silence it with the usual ``warnings`` filters, e.g.
    ``warnings.filterwarnings("ignore", category=InsecureTransportWarning)``.
    """


ALL_ENDPOINTS = frozenset({"chat", "embeddings", "rerank", "ocr", "web_search", "reader"})
"""Every GLM endpoint by name: ``ocr`` is ``/layout_parsing``, ``reader`` the Web Reader
(``shared/reference/glm-platform.md``)."""
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
    """The GLM endpoints (by name, :data:`ALL_ENDPOINTS`) this way of reaching GLM
    serves. A request to another is refused before sending (:func:`check_serves`)."""
    official: bool = False
    """Z.ai's or BigModel's own API: client-side tags such as ``[1m]`` are not model codes there
    (Z.ai answers "Unknown Model" to ``glm-5.2[1m]``, wire reference §9.4) and are not sent."""
    request_ids: bool = True
    """Each attempt sends a fresh ``request_id``, which GLM echoes (wire reference §1): a reply
    echoing another is a stale one. Off for gateways whose pages do not list the field."""

    def __str__(self) -> str:
        """The provider's label, else ``provider '<name>'``."""
        return self.label or f"provider '{self.name}'"


_OFFICIAL = Limits()
PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("zai", "https://api.z.ai/api/paas/v4", ("ZAI_API_KEY",), _OFFICIAL, official=True),
        Provider(
            "zai-coding",
            "https://api.z.ai/api/coding/paas/v4",
            ("ZAI_API_KEY",),
            _OFFICIAL,
            preserves_thinking=True,
            serves=CHAT_ONLY,
            official=True,
        ),
        Provider(
            "bigmodel",
            "https://open.bigmodel.cn/api/paas/v4",
            ("ZHIPUAI_API_KEY", "BIGMODEL_API_KEY"),
            _OFFICIAL,
            official=True,
        ),
        Provider(
            "bigmodel-coding",
            "https://open.bigmodel.cn/api/coding/paas/v4",
            ("ZHIPUAI_API_KEY", "BIGMODEL_API_KEY"),
            _OFFICIAL,
            preserves_thinking=True,
            serves=CHAT_ONLY,
            official=True,
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
            request_ids=False,
        ),
        # powertokens' page: one stop sequence, top_p [0.01, 1], "only the function tool shape".
        Provider(
            "powertokens",
            "https://api.powertokens.ai/v1",
            ("POWERTOKENS_API_KEY",),
            Limits(tool_types=frozenset({"function"})),
            serves=CHAT_ONLY,
            request_ids=False,
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
        found = self.derived.get(path)
        if found is None:
            found = self.derived[path] = httpx.URL(self.base_url.rstrip("/") + path)
        return found  # type: ignore[no-any-return]

    @functools.cached_property
    def derived(self) -> dict[Any, Any]:
        """Values derived from these settings alone, built once (parsed URLs, prepared headers).

        Every call of a route would otherwise rebuild them. Never pickled or copied with the
        settings (it may hold the key in a prepared header): a copy builds its own.
        """
        return {}

    def __getstate__(self) -> dict[str, Any]:
        """The fields, without :attr:`derived`."""
        return {k: v for k, v in self.__dict__.items() if k != "derived"}

    def __repr__(self) -> str:
        """A short repr with the API key masked."""
        key = "SecretStr('**********')" if self.api_key else "None"
        return (
            f"GLMSettings(provider={self.provider.name!r}, base_url={self.base_url!r}, "
            f"api_key={key}, max_retries={self.max_retries})"
        )


TimeoutArg = float | int | httpx.Timeout | tuple[float | None, float | None] | None

_SECONDS = "a finite number of seconds > 0"
# Why 0 is refused: to httpx and aiohttp 0 is not "no limit" but a deadline already passed, so
# every request would fail at once. No limit is None (a phase) and the default is None (timeout).
_PHASE_ALLOWED = f"{_SECONDS}, or None for no limit"


def _seconds(field: str, value: Any, allowed: str) -> float:
    """``value`` as seconds: a finite real number > 0 (not a bool), else a validation error."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise GLMValidationError(field, value, allowed)
    return float(value)


def _phase(field: str, value: Any) -> float | None:
    return None if value is None else _seconds(field, value, _PHASE_ALLOWED)


def make_timeout(timeout: TimeoutArg) -> httpx.Timeout:
    """``timeout`` as seconds (read/write/pool), a (connect, read) pair or an ``httpx.Timeout``.

    ``None`` is the default (120 s, connect 10 s). Every number must be finite and > 0; inside a
    pair or an ``httpx.Timeout``, ``None`` leaves that phase without a limit.

    Raises:
        GLMValidationError: naming the phase (``timeout``, ``timeout.connect``, ``timeout.read``,
            ``timeout.write``, ``timeout.pool``) that is NaN, infinite, 0, negative or no number.
    """
    if isinstance(timeout, httpx.Timeout):
        for phase in ("connect", "read", "write", "pool"):
            _phase(f"timeout.{phase}", getattr(timeout, phase))
        return timeout
    if isinstance(timeout, (tuple, list)):
        if len(timeout) != 2:
            raise GLMValidationError(
                "timeout", timeout, f"a (connect, read) pair, each {_PHASE_ALLOWED}"
            )
        connect = _phase("timeout.connect", timeout[0])
        read = _phase("timeout.read", timeout[1])
        return httpx.Timeout(read, connect=connect)
    if timeout is None:
        seconds = DEFAULT_TIMEOUT
    else:
        seconds = _seconds(
            "timeout",
            timeout,
            f"{_SECONDS}, a (connect, read) pair, an httpx.Timeout, or None for the default",
        )
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
    if isinstance(base_url, str) and base_url:  # anything else is refused by _checked_url
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
    url = explicit_url or preset.base_url
    if not url:
        raise GLMValidationError("base_url", base_url, "a URL; the 'custom' provider has none")
    parsed = _checked_url(url)
    if preset.name == "custom" and explicit_url:
        preset = replace(preset, label=f"the gateway at {parsed.netloc.decode('ascii')}")

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
        raise GLMValidationError(
            "total_timeout", total_timeout, f"{_SECONDS}, or None for no overall limit"
        )
    settings = GLMSettings(
        provider=preset,
        base_url=url,
        api_key=key,
        timeout=make_timeout(timeout),
        max_retries=retries,
        default_headers=_checked_headers(default_headers),
        total_timeout=total_timeout,
    )
    if key is not None:  # a key goes in every request's Authorization header
        _warn_if_clear_text(parsed)
    return settings


def _checked_url(url: Any) -> httpx.URL:
    """``url`` parsed, if it is an http(s) URL that can carry the key as the only credential.

    Raises:
        GLMValidationError: not http(s), malformed, no host, or ``user:password@`` in it (httpx
            would send those as Basic auth in place of the key; they are never sent).
    """
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise GLMValidationError("base_url", url, "an http:// or https:// URL")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise GLMValidationError("base_url", url, "a well-formed http(s) URL") from None
    if not parsed.host:
        raise GLMValidationError("base_url", url, "a well-formed http(s) URL with a host")
    if parsed.userinfo:
        raise GLMValidationError(
            "base_url",
            masked_url(url),
            "a URL without user:password@ (credentials in the URL are never sent: pass the key "
            "as api_key)",
        )
    return parsed


# RFC 9110 token characters: what a header name may be made of.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Visible ASCII, space and tab: what httpx (ASCII-only) and aiohttp (no CR/LF) both send as is.
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_VALUE_ALLOWED = (
    "printable ASCII, spaces and tabs (no CR, LF or other control characters, no non-ASCII; "
    "the value is not shown)"
)


def _checked_headers(headers: Any) -> dict[str, str]:
    """``default_headers`` as a dict, if every name and value can go on the wire as given.

    A CR or LF would split the header (injection) and non-ASCII fails inside httpx: both are
    refused here, before any request, naming the header. Values are never echoed (a proxy's
    token often travels in one): the error shows the first offending character.
    """
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise GLMValidationError(
            "default_headers", type(headers).__name__, "a dict of header names to str values"
        )
    out = dict(headers)
    for name, value in out.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise GLMValidationError(
                "default_headers",
                name,
                "header names made of letters, digits and !#$%&'*+-.^_`|~ (RFC 9110 tokens)",
            )
        field_name = f"default_headers[{name!r}]"
        if not isinstance(value, str):
            raise GLMValidationError(field_name, f"<{type(value).__name__}>", "a str")
        if not _HEADER_VALUE.fullmatch(value):
            bad = next(c for c in value if not _HEADER_VALUE.fullmatch(c))
            raise GLMValidationError(field_name, bad, _VALUE_ALLOWED)
    return out


def is_loopback(host: str) -> bool:
    """Whether ``host`` (as ``httpx.URL.host`` gives it) names this machine.

    ``localhost`` and the loopback addresses ``127.0.0.0/8`` and ``::1`` (IPv4-mapped too).
    """
    name = host.lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


_warned_hosts: set[str] = set()
_warned_lock = threading.Lock()


def _warn_if_clear_text(url: httpx.URL) -> None:
    """Warn, once per host, that the key would travel unencrypted to another machine."""
    # ".invalid" never resolves (RFC 6761): only an in-process transport can answer it.
    if url.scheme != "http" or is_loopback(url.host) or url.host.rstrip(".").endswith(".invalid"):
        return
    host = url.netloc.decode("ascii")
    with _warned_lock:  # settings are resolved from many threads; warn exactly once
        if host in _warned_hosts:
            return
        _warned_hosts.add(host)
    warnings.warn(
        f"The GLM API key is sent unencrypted to http://{host}: base_url uses http://, so "
        "anyone on the network path can read the key. Use https://, or a loopback address for "
        "a local proxy.",
        InsecureTransportWarning,
        stacklevel=_user_stacklevel(),
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
            stacklevel=_user_stacklevel(),
        )
    if not stripped or not stripped.isascii() or not stripped.isprintable() or " " in stripped:
        raise GLMValidationError(
            "api_key",
            "<hidden>",
            "printable ASCII characters without spaces (the key is not shown)",
        )
    return key if stripped == raw else SecretStr(stripped)


# Packages whose frames a settings warning skips: ours, and what runs between a user's call and
# ours (pydantic's validation, the frameworks' constructors).
_INTERNAL = ("glm_transport", "langchain_glm", "llama_index_glm", "pydantic", "pydantic_core")
_FRAMEWORKS = ("langchain_core", "llama_index.core")


def _user_stacklevel() -> int:
    """The ``stacklevel`` that attributes a warning to the first frame outside the libraries.

    Settings are resolved under a model's constructor, a copy or a call, at varying depths; a
    warning pointing into glm_transport would tell the user nothing (and Python's default filter
    shows one warning per location). ``warnings.warn``'s ``skip_file_prefixes`` is 3.12+.
    """
    frame: FrameType | None = sys._getframe(2)  # the caller of the function that warns
    level = 2
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        top = name.split(".", 1)[0]
        if top not in _INTERNAL and not name.startswith(_FRAMEWORKS):
            return level
        frame = frame.f_back
        level += 1
    return 2


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
