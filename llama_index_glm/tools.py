"""``GLMWebSearchToolSpec``: GLM's Web Search API and Web Reader as LlamaIndex agent tools."""

from __future__ import annotations

from typing import Any, Literal

from llama_index.core.bridge.pydantic import Field, model_validator
from llama_index.core.schema import Document
from llama_index.core.tools.tool_spec.base import BaseToolSpec

from glm_transport import WebPage, WebSearchResults
from glm_transport.binding import binding_of
from glm_transport.reader import aread_page, read_page, reader_body
from glm_transport.websearch import aweb_search, search_platform, web_search, web_search_body
from llama_index_glm._connection import GLMConnection

__all__ = ["GLMWebSearchToolSpec"]


class _SearchConnection(GLMConnection):
    """The connection and the options set at construction, checked then."""

    engine: str | None = Field(default=None)
    search_intent: bool | None = Field(default=None)
    content_size: Literal["medium", "high"] | None = Field(default=None)
    page_timeout: int | None = Field(default=None)
    retain_images: bool = Field(default=True)
    no_cache: bool = Field(default=False)

    @model_validator(mode="after")
    def _check_options(self) -> Any:
        web_search_body(search_platform(binding_of(self).settings(self)), "query", **self.search())
        reader_body("https://example.com/", **self.reading())
        return self

    def search(self, **call: Any) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "search_intent": self.search_intent,
            "content_size": self.content_size,
            **call,
        }

    def reading(self) -> dict[str, Any]:
        return {
            "timeout": self.page_timeout,
            "retain_images": self.retain_images,
            "no_cache": self.no_cache,
        }


def _documents(query: str, found: WebSearchResults, call: dict[str, Any]) -> list[Document] | str:
    if not found.results:
        narrowed = [f"{name} {value!r}" for name, value in call.items() if value is not None]
        why = f" with {', '.join(narrowed)}" if narrowed else ""
        return (
            f"The web search found no results for {query!r}{why}. Try a shorter or broader "
            "query" + (", or drop the filters." if narrowed else ".")
        )
    return [
        Document(
            # What an agent reads (FunctionTool shows the text): the source, then the excerpt.
            text=f"{r['title']}\n{r['link']}\n\n{r['content']}",
            metadata={
                "title": r["title"],
                "url": r["link"],
                "publish_date": r["publish_date"],
                "media": r["media"],
                "refer": r["refer"],
                "icon": r["icon"],
            },
        )
        for r in found.results
    ]


def _page(page: WebPage) -> Document:
    return Document(
        text=page.content,
        metadata={
            "url": page.url,
            "title": page.title,
            "description": page.description,
            "published_time": page.published_time,
        },
    )


class GLMWebSearchToolSpec(BaseToolSpec):
    """GLM's Web Search API and Web Reader as LlamaIndex tools: ``search`` and ``read``.

    The agent chooses the query, a recency window, a domain and how many results (``search``),
    or a page's URL (``read``); the engine, BigModel's ``search_intent`` and ``content_size``,
    and the credentials are set here. Each platform's limits are checked before sending
    (BigModel: queries of at most 70 characters; the error names the argument); GLM's errors
    are typed (``RateLimitError`` for 1701, ``ServerError`` for 1702/1703). Same transport,
    settings, retries and budget as ``GLM``.

    Examples:
        .. code-block:: python

            from llama_index.core.agent.workflow import FunctionAgent
            from llama_index.llms.glm import GLM
            from llama_index.tools.glm_search import GLMWebSearchToolSpec

            tools = GLMWebSearchToolSpec().to_tool_list()  # search and read
            agent = FunctionAgent(tools=tools, llm=GLM(model="glm-5-turbo"))

        ``search`` returns one ``Document`` per result (its text: title, link and excerpt;
        metadata: ``title``, ``url``, ``publish_date``, ``media``, ``refer``, ``icon``), or a
        message saying nothing was found; ``read`` returns the page as a Markdown
        ``Document``. ``asearch`` and ``aread`` are natively async, and agents use them.

    Args:
        engine: ``search_engine``; ``None``: the provider's default (Z.ai: ``search-prime``;
            BigModel: ``search_std``).
        search_intent: BigModel only: recognise the query's intent first.
        content_size: BigModel only: ``medium`` (summaries) or ``high`` (longer excerpts).
        page_timeout: Seconds GLM may spend fetching a page (``read``).
        retain_images: Keep images in the Markdown of ``read``.
        no_cache: Fetch pages afresh instead of from GLM's cache.
        **connection: ``provider``, ``api_key``, ``base_url`` (or ``api_base``), ``timeout``,
            ``total_timeout``, ``max_retries``, ``default_headers``, ``http_client``,
            ``async_http_client``, as for ``GLM``.
    """

    spec_functions = [("search", "asearch"), ("read", "aread")]

    def __init__(
        self,
        engine: str | None = None,
        search_intent: bool | None = None,
        content_size: Literal["medium", "high"] | None = None,
        page_timeout: int | None = None,
        retain_images: bool = True,
        no_cache: bool = False,
        **connection: Any,
    ) -> None:
        """Check the options against the provider's rules; nothing is sent."""
        self.connection = _SearchConnection(
            engine=engine,
            search_intent=search_intent,
            content_size=content_size,
            page_timeout=page_timeout,
            retain_images=retain_images,
            no_cache=no_cache,
            **connection,
        )

    def __repr__(self) -> str:
        """The class and its connection (the key masked)."""
        return f"GLMWebSearchToolSpec({self.connection!r})"

    def search(
        self,
        query: str,
        recency: str | None = None,
        domain_filter: str | None = None,
        count: int | None = None,
    ) -> list[Document] | str:
        """Search the web for current information.

        Args:
            query: What to search for: a short search query.
            recency: Only pages published within this period: oneDay, oneWeek, oneMonth,
                oneYear or noLimit (the default).
            domain_filter: Only pages from this domain, such as 'www.example.com'.
            count: How many results to return (1-50).
        """
        call = {"recency": recency, "domain_filter": domain_filter, "count": count}
        conn = self.connection
        return _documents(
            query, web_search(conn._sync_client(), query, **conn.search(**call)), call
        )

    async def asearch(
        self,
        query: str,
        recency: str | None = None,
        domain_filter: str | None = None,
        count: int | None = None,
    ) -> list[Document] | str:
        """Search the web for current information.

        Args:
            query: What to search for: a short search query.
            recency: Only pages published within this period: oneDay, oneWeek, oneMonth,
                oneYear or noLimit (the default).
            domain_filter: Only pages from this domain, such as 'www.example.com'.
            count: How many results to return (1-50).
        """
        call = {"recency": recency, "domain_filter": domain_filter, "count": count}
        conn = self.connection
        found = await aweb_search(conn._async_client(), query, **conn.search(**call))
        return _documents(query, found, call)

    def read(self, url: str) -> Document:
        """Fetch a web page by its URL and return its text as Markdown.

        Args:
            url: The address of the page to read (http:// or https://).
        """
        conn = self.connection
        return _page(read_page(conn._sync_client(), url, **conn.reading()))

    async def aread(self, url: str) -> Document:
        """Fetch a web page by its URL and return its text as Markdown.

        Args:
            url: The address of the page to read (http:// or https://).
        """
        conn = self.connection
        return _page(await aread_page(conn._async_client(), url, **conn.reading()))
