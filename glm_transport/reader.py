"""The Web Reader: ``POST {base_url}/reader`` fetches one page and returns it as Markdown or text.

Wire facts (``shared/reference/glm-platform.md`` §2, checked 2026-12-05 against docs.z.ai
"Web Reader" (api-reference/tools/web-reader, ``POST /paas/v4/reader``), docs.bigmodel.cn "网页阅读"
(the same path and schema) and zai-sdk ``web_reader``): the body takes ``url`` (required),
``timeout`` (seconds, default 20), ``no_cache`` (default false), ``return_format`` (``markdown``,
the default, or ``text``), ``retain_images`` (default true), ``with_images_summary`` and
``with_links_summary`` (default false), ``request_id``; the reply has ``id``, ``created``,
``request_id`` and ``reader_result`` {``title``, ``description``, ``url``, ``content``,
``publishedTime``, ``metadata``, ``external``, ``images``, ``links``}. Both platforms serve it;
the Coding Plan presets and the gateways' presets do not (:func:`glm_transport.config.check_serves`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from glm_transport import errors as E
from glm_transport.config import GLMSettings
from glm_transport.endpoint import Call, Endpoint, prepare
from glm_transport.errors import GLMValidationError
from glm_transport.urls import split_http_url

if TYPE_CHECKING:  # the clients are passed in; importing them would load the I/O
    from glm_transport._client import AsyncGLMClient, GLMClient

__all__ = [
    "MAX_READER_TIMEOUT",
    "READER",
    "RETURN_FORMATS",
    "WebPage",
    "aread_page",
    "parse_reader",
    "read_page",
    "reader_body",
]

READER = Endpoint("reader", "/reader", request_id=True)
RETURN_FORMATS = ("markdown", "text")
"""``return_format`` values the docs name ("e.g., markdown, text"; markdown is the default)."""
MAX_READER_TIMEOUT = 110
"""The most seconds GLM may be asked to spend fetching: below the client's default read timeout
(120 s), so the page's own timeout is reported by GLM before ours cuts the connection."""


@dataclass
class WebPage:
    """A page as GLM's reader returned it."""

    url: str
    title: str = ""
    description: str = ""
    content: str = ""
    """The page in the requested format (Markdown by default)."""
    published_time: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    """``reader_result`` as sent (``external`` and any other field)."""
    request_id: str | None = None


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise GLMValidationError(name, value, "True or False")
    return value


def reader_body(
    url: str,
    *,
    return_format: str = "markdown",
    timeout: int | None = None,
    no_cache: bool = False,
    retain_images: bool = True,
    with_links_summary: bool = False,
    with_images_summary: bool = False,
) -> dict[str, Any]:
    """The JSON body of one read, checked before sending.

    Args:
        url: An absolute ``http``/``https`` URL.
        return_format: ``markdown`` or ``text``.
        timeout: Seconds GLM may spend fetching the page (1 to :data:`MAX_READER_TIMEOUT`);
            ``None``: GLM's default (20).
        no_cache: Fetch the page afresh instead of from GLM's cache.
        retain_images: Keep images in the content.
        with_links_summary: Return the page's links (``links``).
        with_images_summary: Return the page's images (``images``).

    Raises:
        GLMValidationError: naming the argument and the values allowed.
    """
    if split_http_url(url) is None:
        raise GLMValidationError(
            "url", url, "an absolute http:// or https:// URL without spaces or control characters"
        )
    if return_format not in RETURN_FORMATS:
        raise GLMValidationError("return_format", return_format, "'markdown' or 'text'")
    body: dict[str, Any] = {"url": url, "return_format": return_format}
    if timeout is not None:
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int)
            or not 1 <= timeout <= MAX_READER_TIMEOUT
        ):
            raise GLMValidationError(
                "timeout", timeout, f"whole seconds from 1 to {MAX_READER_TIMEOUT}"
            )
        body["timeout"] = timeout
    flags = {
        "no_cache": (no_cache, False),
        "retain_images": (retain_images, True),
        "with_links_summary": (with_links_summary, False),
        "with_images_summary": (with_images_summary, False),
    }
    for name, (value, default) in flags.items():
        if _flag(name, value) != default:  # defaults are left to GLM
            body[name] = value
    return body


def _strings(value: Any, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{name} is not an object")
    return {str(k): str(v) for k, v in value.items()}


def _text(result: dict[str, Any], name: str) -> str:
    value = result.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{name} {value!r:.80}")
    return value


def parse_reader(body: Any, url: str = "") -> WebPage:
    """A reader reply's page.

    Raises:
        APIError: the reply is not of the documented shape (no ``reader_result`` object).
    """
    try:
        result = body.get("reader_result") if isinstance(body, dict) else None
        if not isinstance(result, dict):
            raise ValueError("no reader_result object")
        metadata = result.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise ValueError("metadata is not an object")
        page = WebPage(
            url=_text(result, "url") or url,
            title=_text(result, "title"),
            description=_text(result, "description"),
            content=_text(result, "content"),
            published_time=_text(result, "publishedTime"),
            metadata=metadata,
            images=_strings(result.get("images"), "images"),
            links=_strings(result.get("links"), "links"),
            raw=result,
        )
    except ValueError as exc:
        raise E.APIError(
            f"GLM returned a web reader reply of an unexpected shape ({exc})", body=body
        ) from None
    rid = body.get("request_id")
    page.request_id = rid if isinstance(rid, str) else None
    return page


def _call(settings: GLMSettings, body: dict[str, Any]) -> Call:
    return prepare(settings, READER, body)


def read_page(
    client: GLMClient,
    url: str,
    *,
    return_format: str = "markdown",
    timeout: int | None = None,
    no_cache: bool = False,
    retain_images: bool = True,
    with_links_summary: bool = False,
    with_images_summary: bool = False,
) -> WebPage:
    """Fetch ``url`` with GLM's Web Reader; arguments as :func:`reader_body`, checked first.

    Same retries, budget and typed errors as chat.
    """
    body = reader_body(
        url,
        return_format=return_format,
        timeout=timeout,
        no_cache=no_cache,
        retain_images=retain_images,
        with_links_summary=with_links_summary,
        with_images_summary=with_images_summary,
    )
    return client.post(_call(client.settings, body), lambda reply: parse_reader(reply, url))


async def aread_page(
    client: AsyncGLMClient,
    url: str,
    *,
    return_format: str = "markdown",
    timeout: int | None = None,
    no_cache: bool = False,
    retain_images: bool = True,
    with_links_summary: bool = False,
    with_images_summary: bool = False,
) -> WebPage:
    """:func:`read_page`, without blocking."""
    body = reader_body(
        url,
        return_format=return_format,
        timeout=timeout,
        no_cache=no_cache,
        retain_images=retain_images,
        with_links_summary=with_links_summary,
        with_images_summary=with_images_summary,
    )
    return await client.post(_call(client.settings, body), lambda reply: parse_reader(reply, url))
