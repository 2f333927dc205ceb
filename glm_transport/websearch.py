"""The Web Search API: ``POST {base_url}/web_search`` returns structured web results for a query.

Wire facts (``shared/reference/glm-platform.md`` §2, checked 2026-12-05 against docs.z.ai
"Web Search" (api-reference/tools/web-search) and docs.bigmodel.cn "网络搜索"
(api-reference/工具-api/网络搜索), and zai-sdk ``web_search.web_search``): the body takes
``search_query``, ``search_engine``, ``count`` (1-50, default 10), ``search_domain_filter`` (one
domain), ``search_recency_filter`` (``oneDay``, ``oneWeek``, ``oneMonth``, ``oneYear``,
``noLimit``) and ``request_id``; the reply has ``id``, ``created``, ``search_result`` (records of
``title``, ``content``, ``link``, ``media``, ``icon``, ``refer``, ``publish_date``) and, on
BigModel, ``request_id`` and ``search_intent``.

The two platforms differ, and the provider preset decides (:data:`SEARCH_PLATFORMS`, keyed by
provider name):

* Z.ai: one engine, ``search-prime`` (required); no ``search_intent`` or ``content_size``
  documented.
* BigModel: four engines (``search_std``, ``search_pro``, ``search_pro_sogou``,
  ``search_pro_quark``), ``search_intent`` listed as required (default false), ``content_size``
  (``medium``, ``high``), queries of at most 70 characters (``maxLength: 70``), and on
  ``search_pro_sogou`` a count of 10, 20, 30, 40 or 50.
* A custom base URL: either platform's engines and options are accepted; GLM decides.

Errors 1701 (search concurrency limit), 1702 (no search engine service available) and 1703 (the
engine returned no valid data) come back typed (:data:`glm_transport.errors.CODE_ERRORS`). A search
that finds nothing is not an error: ``results`` is empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from glm_transport import errors as E
from glm_transport.config import GLMSettings, check_serves
from glm_transport.endpoint import Call, Endpoint, prepare
from glm_transport.errors import GLMValidationError

if TYPE_CHECKING:  # the clients are passed in; importing them would load the I/O
    from glm_transport._client import AsyncGLMClient, GLMClient

__all__ = [
    "RECENCY",
    "RESULT_FIELDS",
    "SEARCH_PLATFORMS",
    "WEB_SEARCH",
    "SearchPlatform",
    "WebSearchResults",
    "aweb_search",
    "parse_web_search",
    "search_platform",
    "web_search",
    "web_search_body",
]

WEB_SEARCH = Endpoint("web_search", "/web_search", request_id=True)

RESULT_FIELDS = ("title", "link", "content", "media", "icon", "refer", "publish_date")
"""The fields of one result record (both platforms' ``search_result`` items)."""
RECENCY = ("oneDay", "oneWeek", "oneMonth", "oneYear", "noLimit")
"""``search_recency_filter`` values (both platforms' docs)."""
MAX_COUNT = 50  # ``count``: 1-50 on both platforms
_ZAI_ENGINES = ("search-prime",)  # docs.z.ai: "search-prime: Z.AI Premium Version Search Engine"
# docs.bigmodel.cn 网络搜索: search_std 基础版, search_pro 高阶版, search_pro_sogou 搜狗,
# search_pro_quark 夸克.
_BIGMODEL_ENGINES = ("search_std", "search_pro", "search_pro_sogou", "search_pro_quark")
_CONTENT_SIZES = ("medium", "high")  # BigModel: medium = summary, high = longer context


@dataclass(frozen=True)
class SearchPlatform:
    """What one platform's ``/web_search`` accepts; checked before sending.

    ``None`` for a limit means it is not checked here (GLM decides).
    """

    engines: tuple[str, ...]
    """The ``search_engine`` values accepted; the first is the default."""
    max_query: int | None = None
    """The most characters a query may have."""
    intent: bool = False
    """``search_intent`` is part of the API (and sent, ``false`` by default)."""
    content_size: bool = False
    """``content_size`` is part of the API."""
    counts: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """Engines that take only some counts."""
    strict: bool = True
    """Refuse options the platform does not document; off for custom gateways."""

    @property
    def default_engine(self) -> str:
        """The engine used when none is given."""
        return self.engines[0]


SEARCH_PLATFORMS: dict[str, SearchPlatform] = {
    "zai": SearchPlatform(_ZAI_ENGINES),
    "bigmodel": SearchPlatform(
        _BIGMODEL_ENGINES,
        max_query=70,  # docs.bigmodel.cn: search_query "Maximum length: 70"
        intent=True,  # listed required, default false
        content_size=True,
        counts={"search_pro_sogou": (10, 20, 30, 40, 50)},  # "可选枚举值,10、20、30、40、50"
    ),
    # A gateway of our users' choosing: both platforms' engines; what it takes is its answer.
    "custom": SearchPlatform(_ZAI_ENGINES + _BIGMODEL_ENGINES, strict=False),
}
"""Provider name to what its ``/web_search`` accepts (a preset not listed serves no web search)."""


def search_platform(settings: GLMSettings) -> SearchPlatform:
    """The web search rules of ``settings``' provider.

    Raises:
        GLMValidationError: the provider serves no web search (the Coding Plan presets, the
            gateways' presets).
    """
    check_serves(settings.provider, WEB_SEARCH.name)
    return SEARCH_PLATFORMS.get(settings.provider.name, SEARCH_PLATFORMS["custom"])


@dataclass
class WebSearchResults:
    """One search: the result records as GLM sent them, and what else the reply carried.

    Each record has every field of :data:`RESULT_FIELDS` as a string (``""`` when GLM left it
    out or sent ``null``), and any other field GLM sent.
    """

    results: list[dict[str, Any]]
    intent: list[dict[str, Any]] = field(default_factory=list)
    """BigModel's ``search_intent`` (query, intent, keywords); empty elsewhere."""
    id: str | None = None
    request_id: str | None = None


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise GLMValidationError(name, value, ", ".join(repr(a) for a in allowed))
    return str(value)


def _not_on(platform: SearchPlatform, name: str, value: Any) -> None:
    if platform.strict:
        raise GLMValidationError(
            name, value, "None: only BigModel's web search takes it (provider 'bigmodel')"
        )


_NOT_IN_A_DOMAIN = frozenset("/:?#@,;\"'<>[]{}|\\")
"""Characters no domain name holds: a URL, a list or a path is not one domain (refused), while
any spelling of a name (IDN, a subdomain) is sent and GLM decides."""


def web_search_body(
    platform: SearchPlatform,
    query: str,
    *,
    engine: str | None = None,
    count: int | None = None,
    recency: str | None = None,
    domain_filter: str | None = None,
    search_intent: bool | None = None,
    content_size: str | None = None,
) -> dict[str, Any]:
    """The JSON body of one search, checked against ``platform``'s limits.

    Args:
        platform: The provider's rules (:func:`search_platform`).
        query: What to search for: a non-empty string (BigModel: at most 70 characters).
        engine: ``search_engine``; ``None``: the platform's default.
        count: How many results, 1-50 (``search_pro_sogou``: 10, 20, 30, 40 or 50); ``None``:
            GLM's default (10).
        recency: ``search_recency_filter``, one of :data:`RECENCY`.
        domain_filter: ``search_domain_filter``: only results from this domain.
        search_intent: BigModel: recognise the search intent first (``false`` is sent when
            ``None``).
        content_size: BigModel: ``medium`` (summaries) or ``high`` (longer context).

    Raises:
        GLMValidationError: naming the argument and the values allowed.
    """
    if not isinstance(query, str) or not query.strip():
        raise GLMValidationError("query", query, "a non-empty string")
    if platform.max_query is not None and len(query) > platform.max_query:
        raise GLMValidationError(
            "query",
            f"{len(query)} characters",
            f"at most {platform.max_query} characters on this platform; shorten it",
        )
    engine = platform.default_engine if engine is None else engine
    body: dict[str, Any] = {
        "search_query": query,
        "search_engine": _choice("engine", engine, platform.engines),
    }
    if count is not None:
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
            raise GLMValidationError("count", count, f"an integer from 1 to {MAX_COUNT}")
        only = platform.counts.get(engine)
        if only and count not in only:
            raise GLMValidationError(
                "count", count, f"{', '.join(map(str, only))} with engine {engine!r}"
            )
        body["count"] = count
    if recency is not None:
        body["search_recency_filter"] = _choice("recency", recency, RECENCY)
    if domain_filter is not None:
        if (
            not isinstance(domain_filter, str)
            or not domain_filter.strip()
            or any(c.isspace() or c in _NOT_IN_A_DOMAIN for c in domain_filter.strip())
        ):
            raise GLMValidationError(
                "domain_filter", domain_filter, "one domain name, such as 'www.example.com'"
            )
        body["search_domain_filter"] = domain_filter.strip()
    if search_intent is not None and not isinstance(search_intent, bool):
        raise GLMValidationError("search_intent", search_intent, "True, False or None")
    if platform.intent:
        body["search_intent"] = bool(search_intent)
    elif search_intent:  # False is what the other platforms do anyway
        _not_on(platform, "search_intent", search_intent)
        body["search_intent"] = True
    if content_size is not None:
        if not platform.content_size:
            _not_on(platform, "content_size", content_size)
        body["content_size"] = _choice("content_size", content_size, _CONTENT_SIZES)
    return body


def _record(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValueError(f"a result that is not an object: {item!r:.80}")
    record = dict(item)
    for name in RESULT_FIELDS:
        value = record.get(name)
        if value is None:
            record[name] = ""
        elif not isinstance(value, str):
            raise ValueError(f"{name} {value!r:.80}")
    return record


def parse_web_search(body: Any) -> WebSearchResults:
    """A search reply's records; a reply without ``search_result`` (or with ``null``) has none.

    Raises:
        APIError: the reply is not of the documented shape.
    """
    try:
        if not isinstance(body, dict):
            raise ValueError("not a JSON object")
        raw = body.get("search_result")
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise ValueError("search_result is not a list")
        results = [_record(item) for item in raw]
        intent = body.get("search_intent") or []
        if not isinstance(intent, list):
            raise ValueError("search_intent is not a list")
    except ValueError as exc:
        raise E.APIError(
            f"GLM returned a web search reply of an unexpected shape ({exc})", body=body
        ) from None
    return WebSearchResults(
        results,
        [i for i in intent if isinstance(i, dict)],
        id=body.get("id") if isinstance(body.get("id"), str) else None,
        request_id=body.get("request_id") if isinstance(body.get("request_id"), str) else None,
    )


def _call(settings: GLMSettings, query: str, options: dict[str, Any]) -> Call:
    body = web_search_body(search_platform(settings), query, **options)
    return prepare(settings, WEB_SEARCH, body)


def web_search(
    client: GLMClient,
    query: str,
    *,
    engine: str | None = None,
    count: int | None = None,
    recency: str | None = None,
    domain_filter: str | None = None,
    search_intent: bool | None = None,
    content_size: str | None = None,
) -> WebSearchResults:
    """Search the web with GLM's Web Search API; limits are checked before anything is sent.

    The arguments are :func:`web_search_body`'s. Same retries, budget and typed errors as chat.
    """
    options = {
        "engine": engine,
        "count": count,
        "recency": recency,
        "domain_filter": domain_filter,
        "search_intent": search_intent,
        "content_size": content_size,
    }
    return client.post(_call(client.settings, query, options), parse_web_search)


async def aweb_search(
    client: AsyncGLMClient,
    query: str,
    *,
    engine: str | None = None,
    count: int | None = None,
    recency: str | None = None,
    domain_filter: str | None = None,
    search_intent: bool | None = None,
    content_size: str | None = None,
) -> WebSearchResults:
    """:func:`web_search`, without blocking."""
    options = {
        "engine": engine,
        "count": count,
        "recency": recency,
        "domain_filter": domain_filter,
        "search_intent": search_intent,
        "content_size": content_size,
    }
    return await client.post(_call(client.settings, query, options), parse_web_search)
