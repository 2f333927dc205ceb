"""The emulator's web search and web reader: deterministic records in GLM's wire shapes.

:func:`search_results` is the pure core: a query becomes a list of GLM ``web_search`` records
(``title``, ``link``, ``content``, ``media``, ``icon``, ``refer``, ``publish_date``), the same ones
every time, so the chat replies that carry ``web_search`` and the standalone ``/web_search`` route
show the same sources for the same query. :func:`web_search_reply` and :func:`reader_reply` answer
``/web_search`` and ``/reader`` as the API does. Pure.

Wire facts (``shared/reference/glm-platform.md`` §2; docs.z.ai "Web Search" and "Web Reader",
docs.bigmodel.cn "网络搜索" and "网页阅读"):

* Z.ai's ``/web_search`` takes one engine, ``search-prime``; BigModel's takes ``search_std``,
  ``search_pro``, ``search_pro_sogou`` and ``search_pro_quark``, queries of at most 70 characters,
  ``search_intent`` and ``content_size``, and on ``search_pro_sogou`` a count of 10, 20, 30, 40
  or 50. Both: ``count`` 1-50 (default 10), ``search_domain_filter``, ``search_recency_filter``.
  BigModel's reply adds ``request_id`` and ``search_intent``.
* Errors 1701 (search concurrency limit), 1702 (no search engine service available), 1703 (no
  valid data returned): the emulator gives them as faults (``{"code": "1701"}`` in the fault
  header or queue).

What the docs leave open, and what the emulator does about it:

* which platform a request is for: a ``/bigmodel/`` or ``/zai/`` segment in the path says so
  (``<emulator>/bigmodel/api/paas/v4``); without one, the engine does (``search-prime``: Z.ai,
  the four others: BigModel);
* the HTTP status of 1701-1703 is not documented: 429 for 1701, 500 for 1702 and 1703;
* an engine a platform does not offer, and other invalid values, are answered 1214;
* a domain filter keeps the results from that domain (or its subdomains), so a domain none of
  the emulator's :data:`SITES` is under gives an empty ``search_result``; a recency filter dates
  the results inside its window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

from glm_transport.emulator.faults import error_body
from glm_transport.emulator.ids import reply_ids

__all__ = [
    "BIGMODEL_ENGINES",
    "SEARCH_ERRORS",
    "SITES",
    "ZAI_ENGINES",
    "platform_of",
    "reader_reply",
    "search_error",
    "search_results",
    "web_search_reply",
]

# The sites results come from: reserved example domains (RFC 2606), so no link points anywhere
# real. Each is (host, media name). A domain filter picks among them.
SITES: tuple[tuple[str, str], ...] = (
    ("news.example.com", "Example News"),
    ("wiki.example.org", "Example Wiki"),
    ("blog.example.net", "Example Blog"),
    ("docs.example.com", "Example Docs"),
    ("forum.example.org", "Example Forum"),
)
ZAI_ENGINES = frozenset({"search-prime"})
BIGMODEL_ENGINES = frozenset({"search_std", "search_pro", "search_pro_sogou", "search_pro_quark"})
SEARCH_ERRORS: dict[str, tuple[int, str]] = {
    "1701": (429, "Web search concurrency limit reached, please reduce concurrency"),
    "1702": (500, "No search engine service is available"),
    "1703": (500, "The search engine returned no valid data"),
}
"""The web search error codes: (HTTP status, message)."""

_MAX_COUNT = 50  # both platforms: count is 1-50
_BIGMODEL_MAX_QUERY = 70
_SOGOU_COUNTS = (10, 20, 30, 40, 50)
_RECENCY_DAYS = {"oneDay": 1, "oneWeek": 7, "oneMonth": 30, "oneYear": 365, "noLimit": None}
# The day of the emulator's fixed ``created`` (render.CREATED): results are dated before it.
# Neither render nor answers is imported here at module level: answers imports this module.
CREATED = 1763769600
_TODAY = dt.datetime.fromtimestamp(CREATED, dt.timezone.utc).date()
_ANGLES = (
    "an overview",
    "the latest news",
    "a practical guide",
    "questions and answers",
    "background and history",
    "an expert's analysis",
)
_SLUG = re.compile(r"[^0-9a-z]+")


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).digest()


def search_results(
    query: str, count: int = 10, engine: str = "search-prime"
) -> list[dict[str, Any]]:
    """GLM ``web_search`` records for ``query``, derived from it and the same on every call.

    Args:
        query: The search query; each record's title and content quote it.
        count: How many records (clamped to 0..50, GLM's largest ``count``).
        engine: The search engine's name (``search-prime``, ``search_std`` ...); it changes which
            sites and dates come back, as different engines would.

    Returns:
        ``count`` records, ``refer`` numbered ``ref_1`` upwards; none for a blank query.
    """
    text = " ".join(query.split())
    if not text:
        return []
    slug = _SLUG.sub("-", text.lower()).strip("-")[:48] or "search"
    records: list[dict[str, Any]] = []
    for i in range(max(0, min(count, _MAX_COUNT))):
        seed = _digest(engine, text, str(i))
        host, media = SITES[(seed[0] + i) % len(SITES)]
        angle = _ANGLES[seed[1] % len(_ANGLES)]
        age = int.from_bytes(seed[2:4], "big") % 1000
        records.append(
            {
                "title": f"{text}: {angle} ({media})",
                "link": f"https://{host}/{slug}/{seed[4:10].hex()}",
                "content": (
                    f"{media} on {text}: {angle}. This page is result {i + 1} of the emulator's "
                    f"{engine} search; its text is made from the query."
                ),
                "media": media,
                "icon": f"https://{host}/favicon.ico",
                "refer": f"ref_{i + 1}",
                "publish_date": (_TODAY - dt.timedelta(days=age)).isoformat(),
            }
        )
    return records


def search_error(code: str, message: str | None, request_id: str) -> tuple[int, dict[str, Any]]:
    """(status, JSON) of GLM's error reply for a web search code (1701-1703) or any other."""
    if code not in SEARCH_ERRORS:
        return error_body(code, message, request_id)
    status, default = SEARCH_ERRORS[code]
    return status, {
        "error": {"code": code, "message": message or default},
        "request_id": request_id,
    }


def platform_of(path: str, engine: Any) -> str | None:
    """``"zai"`` or ``"bigmodel"``: the path's platform segment, else the engine's platform."""
    segments = path.split("/")
    for name in ("bigmodel", "zai"):
        if name in segments:
            return name
    if not isinstance(engine, str):  # a list or an object: no platform's engine (1214 follows)
        return None
    if engine in ZAI_ENGINES:
        return "zai"
    if engine in BIGMODEL_ENGINES:
        return "bigmodel"
    return None


def _bad(name: str, why: str, request_id: str) -> tuple[int, dict[str, Any]]:
    return error_body("1214", f"Invalid {name} parameter: {why}", request_id)


def _invalid(
    body: dict[str, Any], platform: str | None, request_id: str
) -> tuple[int, dict[str, Any]] | None:
    """The error the API gives for a search ``body``, or ``None`` when it is valid."""
    query = body.get("search_query")
    if not isinstance(query, str) or not query.strip():
        return _bad("search_query", "search_query cannot be empty", request_id)
    engine = body.get("search_engine")
    engines = {"zai": ZAI_ENGINES, "bigmodel": BIGMODEL_ENGINES}.get(platform or "", frozenset())
    if not isinstance(engine, str) or engine not in engines:
        offered = ", ".join(sorted(engines or ZAI_ENGINES | BIGMODEL_ENGINES))
        return _bad("search_engine", f"{engine!r} is not one of {offered}", request_id)
    if platform == "bigmodel" and len(query) > _BIGMODEL_MAX_QUERY:
        return _bad("search_query", f"at most {_BIGMODEL_MAX_QUERY} characters", request_id)
    count = body.get("count", 10)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= _MAX_COUNT:
        return _bad("count", f"an integer from 1 to {_MAX_COUNT}", request_id)
    if engine == "search_pro_sogou" and count not in _SOGOU_COUNTS:
        return _bad("count", "search_pro_sogou takes 10, 20, 30, 40 or 50", request_id)
    if body.get("search_recency_filter", "noLimit") not in _RECENCY_DAYS:
        return _bad(
            "search_recency_filter", "oneDay, oneWeek, oneMonth, oneYear or noLimit", request_id
        )
    if not isinstance(body.get("search_domain_filter", ""), str):
        return _bad("search_domain_filter", "a domain name", request_id)
    if not isinstance(body.get("search_intent", False), bool):
        return _bad("search_intent", "a boolean", request_id)
    if platform == "bigmodel" and body.get("content_size", "medium") not in ("medium", "high"):
        return _bad("content_size", "medium or high", request_id)
    return None


def _in_domain(record: dict[str, Any], domain: str) -> bool:
    host = urlsplit(record["link"]).hostname or ""
    domain = domain.lower().strip().removeprefix("https://").removeprefix("http://").strip("/")
    return host == domain or host.endswith("." + domain)


def _dated_within(record: dict[str, Any], days: int) -> dict[str, Any]:
    age = int.from_bytes(_digest(record["link"])[:2], "big") % days
    return {**record, "publish_date": (_TODAY - dt.timedelta(days=age)).isoformat()}


def web_search_reply(body: dict[str, Any], path: str = "/web_search") -> tuple[int, dict[str, Any]]:
    """(status, JSON) for a ``/web_search`` request, validated like the platform it is for.

    Args:
        body: The decoded request body.
        path: The request path (a ``/bigmodel/`` or ``/zai/`` segment picks the platform).

    Returns:
        400 with GLM's error envelope (1214) for an invalid request, or 200 with the results:
        :func:`search_results` for the query, engine and count, kept to the domain filter and
        dated inside the recency filter.
    """
    reply_id, request_id = reply_ids(body)
    platform = platform_of(path, body.get("search_engine"))
    invalid = _invalid(body, platform, request_id)
    if invalid is not None:
        return invalid
    query: str = body["search_query"]
    engine: str = body["search_engine"]
    results = search_results(query, body.get("count", 10), engine)
    domain = body.get("search_domain_filter")
    if domain:
        results = [r for r in results if _in_domain(r, domain)]
    days = _RECENCY_DAYS[body.get("search_recency_filter", "noLimit")]
    if days is not None:
        results = [_dated_within(r, days) for r in results]
    # request_id: BigModel documents it in the reply; Z.ai's page shows none, and the emulator
    # echoes it anyway, as GLM's other endpoints do.
    reply: dict[str, Any] = {"id": reply_id, "created": CREATED, "request_id": request_id}
    if platform == "bigmodel":
        intent = "SEARCH_ALL" if body.get("search_intent") else "SEARCH_ALWAYS"
        reply["search_intent"] = [{"query": query, "intent": intent, "keywords": query}]
    reply["search_result"] = results
    return 200, reply


def _page(url: str) -> tuple[str, str, list[str]]:
    """A page's title, description and paragraphs, made from its URL."""
    parts = urlsplit(url)
    words = [w for w in _SLUG.split(parts.path.lower()) if w and not w.isdigit()]
    topic = " ".join(w for w in words if not re.fullmatch(r"[0-9a-f]{12}", w)) or parts.hostname
    media = dict(SITES).get(parts.hostname or "", parts.hostname or "")
    title = f"{str(topic).capitalize()} ({media})"
    paragraphs = [
        f"This page from {media} is about {topic}.",
        f"The emulator's web reader made it from the address {url}; the same address always "
        "reads the same.",
    ]
    return title, f"{media} on {topic}", paragraphs


def reader_reply(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(status, JSON) for a ``/reader`` request: the page at ``url``, made from the URL.

    Returns:
        400 with GLM's error envelope (1214) for a missing or non-http(s) ``url`` or an unknown
        ``return_format``, else 200 with ``reader_result`` in Markdown (a heading, paragraphs, a
        link) or plain text, ``links`` and ``images`` when their summaries are asked for.
    """
    reply_id, request_id = reply_ids(body)
    url = body.get("url")
    if not isinstance(url, str):
        return _bad("url", "an http(s) URL is required", request_id)
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed IPv6 bracket and the like: GLM's 1214, not a 500
        return _bad("url", "an http(s) URL is required", request_id)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return _bad("url", "an http(s) URL is required", request_id)
    fmt = body.get("return_format", "markdown")
    if fmt not in ("markdown", "text"):
        return _bad("return_format", "markdown or text", request_id)
    timeout = body.get("timeout", 20)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
        return _bad("timeout", "a positive number of seconds", request_id)
    title, description, paragraphs = _page(url)
    home = f"{parts.scheme}://{parts.netloc}/"
    image = f"{home}images/cover.png"
    if fmt == "markdown":
        lines = [f"# {title}", "", *(p + "\n" for p in paragraphs)]
        if body.get("retain_images", True):
            lines.append(f"![cover]({image})\n")
        lines.append(f"[Home]({home})")
        content = "\n".join(lines)
    else:
        content = "\n\n".join([title, *paragraphs, "Home"])
    result: dict[str, Any] = {
        "title": title,
        "description": description,
        "url": url,
        "content": content,
        "publishedTime": _TODAY.isoformat() + "T00:00:00Z",
        "metadata": {"description": description, "viewport": "width=device-width"},
        "external": {},
    }
    if body.get("with_links_summary"):
        result["links"] = {"Home": home}
    if body.get("with_images_summary"):
        result["images"] = {"cover": image}
    return 200, {
        "id": reply_id,
        "created": CREATED,
        "request_id": request_id,
        "model": "reader",
        "reader_result": result,
    }
