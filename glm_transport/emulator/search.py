"""The emulator's web search and web reader: deterministic records in GLM's wire shapes.

:func:`search_results` is the pure core: a query becomes a list of GLM ``web_search`` records
(``title``, ``link``, ``content``, ``media``, ``icon``, ``refer``, ``publish_date``), the same ones
every time, so the chat replies that carry ``web_search`` and the standalone ``/web_search`` route
show the same sources for the same query.

Record shape from the BigModel API reference "网络搜索" (``search_result[]``) and docs.z.ai
"Web Search" (api-reference/tools/web-search); see ``glm-platform.md`` §2.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

__all__ = ["SITES", "search_results"]

# The sites results come from: reserved example domains (RFC 2606), so no link points anywhere
# real. Each is (host, media name). A domain filter picks among them.
SITES: tuple[tuple[str, str], ...] = (
    ("news.example.com", "Example News"),
    ("wiki.example.org", "Example Wiki"),
    ("blog.example.net", "Example Blog"),
    ("docs.example.com", "Example Docs"),
    ("forum.example.org", "Example Forum"),
)

_MAX_COUNT = 50  # both platforms: count is 1-50 (glm-platform.md §2)
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
        month, day = 1 + seed[2] % 12, 1 + seed[3] % 28
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
                "publish_date": f"2026-{month:02d}-{day:02d}",
            }
        )
    return records
