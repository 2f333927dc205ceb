"""GLM's Web Search API and Web Reader for LangChain: two tools and a retriever.

``GLMWebSearch`` (a ``BaseTool``) and ``GLMWebSearchRetriever`` (a ``BaseRetriever``) search the
web with ``POST /web_search``; ``GLMWebReader`` (a ``BaseTool``) fetches a page as Markdown with
``POST /reader``. What each platform accepts is the transport's decision
(:mod:`glm_transport.websearch`): these classes pass the arguments on.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    AsyncCallbackManagerForToolRun,
    CallbackManagerForRetrieverRun,
    CallbackManagerForToolRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from typing_extensions import Self

from glm_transport import GLMValidationError, WebPage, WebSearchResults
from glm_transport.binding import binding_of
from glm_transport.reader import aread_page, read_page, reader_body
from glm_transport.websearch import aweb_search, search_platform, web_search, web_search_body
from langchain_glm._connection import GLMConnection
from langchain_glm.errors import glm_errors

__all__ = ["GLMWebReader", "GLMWebSearch", "GLMWebSearchInput", "GLMWebSearchRetriever"]

Recency = Literal["oneDay", "oneWeek", "oneMonth", "oneYear", "noLimit"]


class GLMWebSearchInput(BaseModel):
    """What a model may choose when it calls ``GLMWebSearch``.

    Nothing else: an argument the model adds (``api_key``, ``engine``) is refused back to it,
    not silently ignored; those are set at construction.
    """

    model_config = ConfigDict(extra="forbid")

    query: str = Field(description="What to search the web for: a short search query.")
    recency: Recency | None = Field(
        default=None,
        description="Only pages published within this period: oneDay, oneWeek, oneMonth, "
        "oneYear or noLimit (the default).",
    )
    domain_filter: str | None = Field(
        default=None,
        description="Only pages from this domain, such as 'www.example.com'.",
    )
    count: int | None = Field(
        default=None, ge=1, le=50, description="How many results to return (1-50)."
    )


class _Searching(GLMConnection):
    """The search options set at construction, checked then against the provider's rules."""

    engine: str | None = None
    """``search_engine``; ``None``: the provider's default (Z.ai: ``search-prime``; BigModel:
    ``search_std``). Z.ai offers ``search-prime`` only; BigModel ``search_std``,
    ``search_pro``, ``search_pro_sogou`` and ``search_pro_quark``."""
    search_intent: bool | None = None
    """BigModel only: recognise the query's intent before searching."""
    content_size: Literal["medium", "high"] | None = None
    """BigModel only: ``medium`` (summaries) or ``high`` (longer excerpts)."""

    @model_validator(mode="after")
    def _check_search_options(self) -> Self:
        # The construction-time options, checked once against the provider's rules.
        platform = search_platform(binding_of(self).settings(self))
        web_search_body(platform, "query", **self._options())
        return self

    def _options(self, **call: Any) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "search_intent": self.search_intent,
            "content_size": self.content_size,
            **call,
        }

    def _search(self, query: str, **call: Any) -> WebSearchResults:
        with glm_errors():
            return web_search(self._sync_client(), query, **self._options(**call))

    async def _asearch(self, query: str, **call: Any) -> WebSearchResults:
        with glm_errors():
            return await aweb_search(self._async_client(), query, **self._options(**call))


def _no_results(query: str, call: dict[str, Any]) -> ToolException:
    narrowed = [f"{name} {value!r}" for name, value in call.items() if value is not None]
    why = f" with {', '.join(narrowed)}" if narrowed else ""
    return ToolException(
        f"The web search found no results for {query!r}{why}. Try a shorter or broader query"
        + (", or drop the filters." if narrowed else ".")
    )


def _argument_message(error: ValidationError) -> str:
    """What a model is told when its arguments do not fit the tool's schema."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in error.errors()
    )
    return f"Invalid arguments for the web search: {problems}."


class GLMWebSearch(_Searching, BaseTool):
    """GLM's Web Search API as a LangChain tool: structured web results for a query.

    The model chooses the query, a recency window, a domain and how many results; the engine,
    BigModel's ``search_intent`` and ``content_size``, and the credentials are set at
    construction. Each platform's limits are checked before sending (BigModel: queries of at
    most 70 characters): a query the platform refuses comes back to the model as a message
    naming the limit, as does a search with no results (``handle_tool_error=True``). GLM's
    errors are typed (``GLMRateLimitError`` for 1701, ``GLMServerError`` for 1702/1703). Same
    transport, settings, retries and budget as ``ChatGLM``.

    Setup:
        ``pip install "glm-integrations[langchain]"`` and ``export GLM_API_KEY=...``
        (``provider="bigmodel"`` for BigModel's engines).

    Instantiate:
        .. code-block:: python

            from langchain_glm import GLMWebSearch

            search = GLMWebSearch()  # Z.ai: search-prime
            search = GLMWebSearch(provider="bigmodel", engine="search_pro")

    Invoke:
        .. code-block:: python

            search.invoke({"query": "GLM-5 release", "recency": "oneMonth", "count": 3})
            # {'query': 'GLM-5 release', 'results': [{'title': ..., 'link': ...,
            #   'content': ..., 'media': ..., 'icon': ..., 'refer': 'ref_1',
            #   'publish_date': ...}, ...]}

    With an agent:
        .. code-block:: python

            from langchain.agents import create_agent

            agent = create_agent(ChatGLM(model="glm-5-turbo"), [GLMWebSearch()])
    """

    name: str = "glm_web_search"
    description: str = (
        "Search the web for current information. Returns results with title, link, content "
        "(an excerpt), media (the site), publish_date and refer (ref_1, ref_2 ...)."
    )
    args_schema: type[BaseModel] = GLMWebSearchInput
    handle_tool_error: bool = True
    handle_validation_error: Any = Field(default=_argument_message, exclude=True)
    """Arguments the schema refuses (a count over 50, an unknown recency, an extra argument)
    come back to the model as a message, as the platform's limits do."""

    @model_validator(mode="after")
    def _describe_query_limit(self) -> Self:
        limit = search_platform(binding_of(self).settings(self)).max_query
        if limit is not None and "characters" not in self.description:
            self.description += f" Queries of at most {limit} characters."
        return self

    def _answer(self, query: str, found: WebSearchResults, call: dict[str, Any]) -> dict[str, Any]:
        if not found.results:
            raise _no_results(query, call)
        return {"query": query, "results": found.results}

    def _run(
        self,
        query: str,
        recency: str | None = None,
        domain_filter: str | None = None,
        count: int | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> dict[str, Any]:
        """Search; the results as GLM sent them."""
        call = {"recency": recency, "domain_filter": domain_filter, "count": count}
        try:
            found = self._search(query, **call)
        except GLMValidationError as err:  # an argument the model chose: tell it what is allowed
            raise ToolException(str(err)) from None
        return self._answer(query, found, call)

    async def _arun(
        self,
        query: str,
        recency: str | None = None,
        domain_filter: str | None = None,
        count: int | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> dict[str, Any]:
        """:meth:`_run`, natively async."""
        call = {"recency": recency, "domain_filter": domain_filter, "count": count}
        try:
            found = await self._asearch(query, **call)
        except GLMValidationError as err:
            raise ToolException(str(err)) from None
        return self._answer(query, found, call)


def _documents(found: WebSearchResults) -> list[Document]:
    return [
        Document(
            page_content=r["content"],
            metadata={
                "title": r["title"],
                "source": r["link"],
                "publish_date": r["publish_date"],
                "media": r["media"],
                "refer": r["refer"],
                "icon": r["icon"],
            },
        )
        for r in found.results
    ]


class GLMWebSearchRetriever(_Searching, BaseRetriever):
    """GLM's Web Search API as a LangChain retriever: one ``Document`` per web result.

    ``page_content`` is the result's excerpt; ``metadata`` holds ``title``, ``source`` (the
    link), ``publish_date``, ``media`` (the site), ``refer`` (``ref_1`` ...) and ``icon``. A
    search with no results returns no documents. Limits are checked before sending; GLM's
    errors are typed. Same transport, settings, retries and budget as ``ChatGLM``.

    Setup:
        ``pip install "glm-integrations[langchain]"`` and ``export GLM_API_KEY=...``.

    Instantiate:
        .. code-block:: python

            from langchain_glm import GLMWebSearchRetriever

            retriever = GLMWebSearchRetriever(k=5, recency="oneWeek")

    Invoke:
        .. code-block:: python

            docs = retriever.invoke("GLM-5 release")
            docs = retriever.invoke("GLM-5 release", k=3)  # per call: k, recency, domain_filter
            docs = await retriever.ainvoke("GLM-5 release")  # native async
    """

    k: int = Field(default=10, ge=1, le=50)
    """How many results (``count``)."""
    recency: Recency | None = None
    """Only pages published within this period."""
    domain_filter: str | None = None
    """Only pages from this domain."""

    @model_validator(mode="after")
    def _check_retriever_options(self) -> Self:
        # k, recency and domain_filter too, at construction, not at the first invoke.
        platform = search_platform(binding_of(self).settings(self))
        web_search_body(platform, "query", **self._options(**self._call({})))
        return self

    def _call(self, call: dict[str, Any]) -> dict[str, Any]:
        out = {
            "count": call.pop("k", self.k),
            "recency": call.pop("recency", self.recency),
            "domain_filter": call.pop("domain_filter", self.domain_filter),
        }
        if call:  # never dropped quietly: a misspelt option would search unfiltered
            raise GLMValidationError(
                "kwargs", sorted(call), "per-call options k, recency and domain_filter"
            )
        return out

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        """The results for ``query`` as documents.

        ``k``, ``recency`` and ``domain_filter`` given here override the fields for this call.
        """
        return _documents(self._search(query, **self._call(kwargs)))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        """:meth:`_get_relevant_documents`, natively async."""
        return _documents(await self._asearch(query, **self._call(kwargs)))


class GLMWebReaderInput(BaseModel):
    """What a model may choose when it calls ``GLMWebReader``."""

    url: str = Field(description="The address of the page to read (http:// or https://).")


def _page_artifact(page: WebPage) -> dict[str, Any]:
    return {
        "url": page.url,
        "title": page.title,
        "description": page.description,
        "published_time": page.published_time,
        "links": page.links,
        "images": page.images,
    }


class GLMWebReader(GLMConnection, BaseTool):
    """GLM's Web Reader as a LangChain tool: a page fetched and returned as Markdown.

    The model chooses the URL; the rest is set at construction. The tool's content is the page
    in Markdown; its artifact (``ToolMessage.artifact``) holds the title, description,
    publication time, and the links and images when asked for. An invalid URL comes back to the
    model as a message (``handle_tool_error=True``); GLM's errors are typed. Same transport,
    settings, retries and budget as ``ChatGLM``.

    Instantiate:
        .. code-block:: python

            from langchain_glm import GLMWebReader

            reader = GLMWebReader(with_links_summary=True)

    Invoke:
        .. code-block:: python

            reader.invoke({"url": "https://docs.z.ai/guides/overview/quick-start"})
            # '# Quick Start ...'
    """

    name: str = "glm_web_reader"
    description: str = "Fetch a web page by its URL and return its text as Markdown."
    args_schema: type[BaseModel] = GLMWebReaderInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool = True

    page_timeout: int | None = None
    """Seconds GLM may spend fetching the page; ``None``: GLM's default (20)."""
    no_cache: bool = False
    """Fetch the page afresh instead of from GLM's cache."""
    retain_images: bool = True
    """Keep images in the Markdown."""
    with_links_summary: bool = False
    """Put the page's links in the artifact."""
    with_images_summary: bool = False
    """Put the page's images in the artifact."""

    @model_validator(mode="after")
    def _check_options(self) -> Self:
        reader_body("https://example.com/", **self._options())
        return self

    def _options(self) -> dict[str, Any]:
        return {
            "timeout": self.page_timeout,
            "no_cache": self.no_cache,
            "retain_images": self.retain_images,
            "with_links_summary": self.with_links_summary,
            "with_images_summary": self.with_images_summary,
        }

    def _run(
        self, url: str, run_manager: CallbackManagerForToolRun | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Read ``url``: (the page as Markdown, its other fields)."""
        try:
            with glm_errors():
                page = read_page(self._sync_client(), url, **self._options())
        except GLMValidationError as err:
            raise ToolException(str(err)) from None
        return page.content, _page_artifact(page)

    async def _arun(
        self, url: str, run_manager: AsyncCallbackManagerForToolRun | None = None
    ) -> tuple[str, dict[str, Any]]:
        """:meth:`_run`, natively async."""
        try:
            with glm_errors():
                page = await aread_page(self._async_client(), url, **self._options())
        except GLMValidationError as err:
            raise ToolException(str(err)) from None
        return page.content, _page_artifact(page)
