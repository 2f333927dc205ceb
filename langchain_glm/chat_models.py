"""``ChatGLM``: Zhipu GLM chat models as a LangChain ``BaseChatModel``."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any, Literal

import httpx
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

import glm_transport.chat as glm_chat
import langchain_glm._blocks  # noqa: F401  (registers the content-block translator)
from glm_transport import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MODEL,
    AsyncGLMClient,
    ChatRequest,
    GLMClient,
    GLMValidationError,
    check_reply,
    model_spec,
)
from glm_transport.binding import Binding, KeyedModel, binding_of, copy_memo, portable_state
from glm_transport.plan import normalize_thinking, plan_chat
from glm_transport.reply import plan_tool_choice
from glm_transport.tokens import estimate_message_tokens, estimate_tokens
from langchain_glm._convert import from_wire_chunk, from_wire_result, to_wire_messages
from langchain_glm.errors import GLMInvalidToolCallError, glm_errors

__all__ = ["ChatGLM"]


class ChatGLM(KeyedModel, BaseChatModel):
    """Zhipu GLM chat models (glm-5-turbo, glm-5, glm-4.7, glm-4.6, glm-4.5, glm-4.6v ...).

    Setup:
        Install ``glm-integrations[langchain]`` and set your key:

        .. code-block:: bash

            pip install "glm-integrations[langchain]"
            export GLM_API_KEY="your-key"   # or ZAI_API_KEY / ZHIPUAI_API_KEY per provider

    Key init args — completion params:
        model: str
            Model name, e.g. ``"glm-5-turbo"``, ``"glm-4.7"``, ``"glm-4.6v"``.
        temperature: float | None
            In [0, 1]; 0 means greedy decoding (sent as ``do_sample: false``).
        top_p: float | None
            In [0.01, 1].
        max_tokens: int | None
            Output limit, reasoning tokens included.
        stop: list[str] | None
            One stop sequence on the official API (four on maxtoken).
        thinking: bool | dict | None
            ``True``/``False`` or GLM's object ``{"type": "enabled", "clear_thinking": False}``.
            Models that always think (glm-5.3) refuse ``False`` before sending.
        reasoning_effort: str | None
            ``"low"`` / ``"high"`` / ``"max"`` on glm-5.3 (default ``"max"``); the levels of
            each model are in ``llm.profile["reasoning_effort_levels"]``.

    Key init args — client params:
        provider: str | None
            ``zai`` (default), ``zai-coding``, ``bigmodel``, ``bigmodel-coding``, ``maxtoken``,
            ``powertokens``. Picks the base URL, the key variable and the limits checked locally.
        base_url: str | None
            Replaces only the URL (a proxy keeps the provider's limits). Env: ``GLM_BASE_URL``.
        api_key: SecretStr | None
            Env: ``GLM_API_KEY``, then the provider's own variable.
        timeout: float | tuple | httpx.Timeout | None
            Seconds (read), a ``(connect, read)`` pair, or an ``httpx.Timeout``.
        total_timeout: float | None
            Wall-clock budget for a whole call, retries and stream included.
        max_retries: int
            Retries of transient failures (429 1302/1303/1305/1312, 5xx, timeouts, dropped
            connections), with backoff and ``Retry-After``. 0 disables.

    Instantiate:
        .. code-block:: python

            from langchain_glm import ChatGLM

            llm = ChatGLM(model="glm-5-turbo", temperature=0.6, max_retries=2)

    Invoke:
        .. code-block:: python

            msg = llm.invoke([("system", "Translate to French."), ("human", "I love coding.")])
            msg.content                                   # "J'adore programmer."
            msg.additional_kwargs["reasoning_content"]    # GLM's reasoning, when it thinks

    Stream:
        .. code-block:: python

            for chunk in llm.stream("Tell me a joke"):
                print(chunk.additional_kwargs.get("reasoning_content", ""), end="")  # thinking
                print(chunk.content, end="")                                        # answer

    Async:
        .. code-block:: python

            await llm.ainvoke("Hello")
            async for chunk in llm.astream("Hello"):
                ...
            await llm.abatch(["Hello", "Bonjour"])

    Tool calling:
        .. code-block:: python

            from pydantic import BaseModel, Field

            class GetWeather(BaseModel):
                '''Get the current weather in a given location'''
                location: str = Field(..., description="The city, e.g. Paris")

            llm_with_tools = llm.bind_tools([GetWeather])
            llm_with_tools.invoke("What's the weather in Paris?").tool_calls
            # [{'name': 'GetWeather', 'args': {'location': 'Paris'}, 'id': 'call_...'}]

        GLM only supports ``tool_choice="auto"``. ``"none"`` offers no tools; ``"any"``,
        ``"required"`` and ``True`` offer all tools and check that the reply calls one; a tool
        name offers only that tool and checks the reply calls it. A reply that breaks the
        requirement raises ``GLMToolChoiceError`` (never silently accepted).

    Structured output:
        .. code-block:: python

            class Joke(BaseModel):
                setup: str
                punchline: str

            llm.with_structured_output(Joke).invoke("Tell me a joke about cats")
            llm.with_structured_output(Joke, include_raw=True).invoke("...")

        ``method="function_calling"`` (default) and ``"json_mode"``. GLM has no ``json_schema``
        response format: ``method="json_schema"`` is mapped to function calling, where the
        schema is enforced as the tool's parameters.

    JSON mode:
        .. code-block:: python

            llm.bind(response_format={"type": "json_object"}).invoke("Return {'a': 1} as JSON")

    Image input:
        .. code-block:: python

            vision = ChatGLM(model="glm-4.6v")
            vision.invoke([{"role": "user", "content": [
                {"type": "text", "text": "Describe this image"},
                {"type": "image", "url": "https://example.com/cat.png"},
            ]}])

    Token usage:
        .. code-block:: python

            msg.usage_metadata
            # {'input_tokens': 28, 'output_tokens': 5, 'total_tokens': 33,
            #  'input_token_details': {'cache_read': 0},
            #  'output_token_details': {'reasoning': 3}}

    Reasoning:
        Reasoning arrives in ``additional_kwargs["reasoning_content"]`` on invoke and on every
        stream chunk, and as a ``reasoning`` block in ``content_blocks``. When the history goes
        back to GLM, reasoning of assistant turns with tool calls is sent with them (interleaved
        thinking), and of every turn with ``thinking={"type": "enabled", "clear_thinking":
        False}`` or on the Coding Plan endpoints (preserved thinking).

    Response metadata:
        .. code-block:: python

            msg.response_metadata
            # {'model_name': 'glm-5-turbo', 'finish_reason': 'stop', 'id': '2025...',
            #  'request_id': '2025...', 'model_provider': 'zhipuai', 'token_usage': {...}}
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    model_name: str = Field(default=DEFAULT_MODEL, alias="model")
    """GLM model name."""
    temperature: float | None = None
    """Sampling temperature in [0, 1]; 0 means greedy. Unset: the endpoint's default."""
    top_p: float | None = None
    """Nucleus sampling in [0.01, 1]."""
    max_tokens: int | None = Field(default=None, alias="max_completion_tokens")
    """Maximum output tokens (reasoning included)."""
    stop: list[str] | str | None = Field(default=None, alias="stop_sequences")
    """Stop sequence(s); the official API accepts one."""
    thinking: bool | dict[str, Any] | None = None
    """GLM's thinking mode: ``True``/``False`` or ``{"type", "clear_thinking"}``."""
    reasoning_effort: str | None = None
    """How hard the model thinks (GLM-5.2 and newer), e.g. ``"low"``, ``"high"``, ``"max"``;
    checked against the model's levels before sending."""
    tool_stream: bool | None = None
    """Stream tool-call arguments in pieces; ``None``: on for models that support it."""
    provider: str | None = None
    """Provider preset; see the class docstring."""
    base_url: str | None = Field(default=None, alias="api_base")
    """Base URL (without ``/chat/completions``)."""
    api_key: SecretStr | None = Field(default=None, alias="glm_api_key")
    """API key; resolved from the environment when not given."""
    timeout: float | tuple[float | None, float | None] | httpx.Timeout | None = Field(
        default=None, alias="request_timeout"
    )
    """Request timeout."""
    total_timeout: float | None = None
    """Wall-clock budget in seconds for one call: retries and the whole stream included."""
    max_retries: int = DEFAULT_MAX_RETRIES
    """Retries of transient failures; 0 disables."""
    streaming: bool = False
    """``invoke`` streams under the hood (callbacks get tokens)."""
    stream_usage: bool = True
    """Attach token usage to the stream (GLM always sends it)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Other request fields (``request_id``, ``user_id``, ``do_sample`` ...); unknown
    constructor kwargs land here."""
    extra_body: dict[str, Any] | None = None
    """Merged into the JSON body as-is, last."""
    default_headers: dict[str, str] | None = None
    """Headers sent with every request."""
    http_client: Any | None = Field(default=None, exclude=True)
    """Your own ``httpx.Client`` for sync calls."""
    http_async_client: Any | None = Field(default=None, exclude=True)
    """Your own ``httpx.AsyncClient`` for async calls."""
    pickle_api_key: bool = Field(default=False, exclude=True)
    """Carry the API key in pickles (for workers without the key in their environment). Off: an
    unpickled model reads the key from the environment."""

    _binding: Binding = PrivateAttr(default_factory=Binding)

    @model_validator(mode="before")
    @classmethod
    def _collect_model_kwargs(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        known = set()
        for name, field in cls.model_fields.items():
            known.add(name)
            if field.alias:
                known.add(field.alias)
        extra = {k: values.pop(k) for k in list(values) if k not in known}
        if extra:
            values["model_kwargs"] = {**extra, **(values.get("model_kwargs") or {})}
        return values

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        self.api_key = binding_of(self).settings(self).api_key  # validates every setting now
        self.thinking = normalize_thinking(self.thinking)
        return self

    def __getstate__(self) -> dict[Any, Any]:
        """The pickle state: no live HTTP clients, and no API key unless ``pickle_api_key``."""
        return portable_state(
            super().__getstate__(), live=_LIVE_FIELDS, keep_key=self.pickle_api_key
        )

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """A deep copy that shares your HTTP clients rather than cloning them."""
        clients = (getattr(self, name) for name in _LIVE_FIELDS)
        return super().__deepcopy__(copy_memo(memo, clients))

    # -- LangChain plumbing -----------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "glm-chat"

    @property
    def lc_secrets(self) -> dict[str, str]:
        """The environment variable LangChain serialization names in place of the API key."""
        return {"api_key": "GLM_API_KEY"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """Return True: LangChain can serialize the model."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """The namespace LangChain serializes the model under."""
        return ["langchain_glm", "chat_models"]

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "provider": binding_of(self).settings(self).provider.name,
            **self._default_params,
        }

    @property
    def _default_params(self) -> dict[str, Any]:
        params = {
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "stop": self.stop,
            "thinking": self.thinking,
            "reasoning_effort": self.reasoning_effort,
        }
        return {k: v for k, v in params.items() if v is not None}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="zhipuai",
            ls_model_name=kwargs.get("model", self.model_name),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        ls_stop = stop or kwargs.get("stop") or self.stop
        if isinstance(ls_stop, str):
            params["ls_stop"] = [ls_stop]
        elif isinstance(ls_stop, (list, tuple)) and ls_stop:  # other types: the request refuses
            params["ls_stop"] = list(ls_stop)
        return params

    def _resolve_model_profile(self) -> ModelProfile | None:
        p = model_spec(self.model_name)
        profile = ModelProfile(
            name=p.name,
            max_input_tokens=p.context_window,
            max_output_tokens=p.max_output_tokens,
            text_inputs=True,
            image_inputs=p.image_input,
            image_url_inputs=p.image_input,
            pdf_inputs=p.pdf_input,
            video_inputs=p.video_input,
            audio_inputs=False,
            image_tool_message=False,
            pdf_tool_message=False,
            reasoning_output=p.reasoning,
            tool_calling=p.tool_calling,
            tool_choice=p.tool_calling,
            tool_call_streaming=p.tool_stream,
            # GLM has no native JSON-schema mode: LangChain must use tool calling (its
            # ToolStrategy), never the provider strategy.
            structured_output=False,
            text_outputs=True,
        )
        if p.efforts:
            profile["reasoning_effort_levels"] = list(p.efforts)
        if p.effort_default:
            profile["reasoning_effort_default"] = p.effort_default
        return profile

    @property
    def client(self) -> GLMClient:
        """The sync transport client, rebuilt when the settings or ``http_client`` change."""
        return binding_of(self).sync(self, self.http_client)

    @property
    def async_client(self) -> AsyncGLMClient:
        """The async transport client, rebuilt when the settings or ``http_async_client`` change."""
        return binding_of(self).async_(self, self.http_async_client)

    # -- request building (pure) -------------------------------------------------------------

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, stream: bool, /, **kwargs: Any
    ) -> ChatRequest:
        params: dict[str, Any] = {**self._default_params, **self.model_kwargs, **kwargs}
        if stop is not None:
            params["stop"] = stop
        if self.tool_stream is not None:
            params.setdefault("tool_stream", self.tool_stream)
        params["extra_body"] = {**(self.extra_body or {}), **(params.get("extra_body") or {})}
        return plan_chat(
            params,
            to_wire_messages(messages),
            model=self.model_name,
            provider=binding_of(self).settings(self).provider,
            stream=stream,
        )

    # -- I/O: four short, symmetric methods -------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            from langchain_core.language_models.chat_models import generate_from_stream

            return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))
        request = self._request(messages, stop, False, **kwargs)
        with glm_errors():
            result = glm_chat.complete(self.client, request)
        return _chat_result(from_wire_result(result))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            from langchain_core.language_models.chat_models import agenerate_from_stream

            return await agenerate_from_stream(self._astream(messages, stop, run_manager, **kwargs))
        request = self._request(messages, stop, False, **kwargs)
        with glm_errors():
            sent = glm_chat.acomplete(self.async_client, request)
            # No local holds the request through the I/O: only the call in flight (issue 27).
            del request
            result = await sent
        return _chat_result(from_wire_result(result))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        request = self._request(messages, stop, True, **kwargs)
        usage = self.stream_usage
        invalid: list[str] | None = None
        with glm_errors():
            for raw in glm_chat.stream(self.client, request):
                chunk = ChatGenerationChunk(message=from_wire_chunk(raw, usage))
                if run_manager:
                    run_manager.on_llm_new_token(raw.content or "", chunk=chunk)
                yield chunk
                if raw.invalid_tool_calls:
                    invalid = raw.invalid_tool_calls
        _refuse_invalid(invalid)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        request = self._request(messages, stop, True, **kwargs)
        usage = self.stream_usage
        invalid: list[str] | None = None
        with glm_errors():
            async for raw in glm_chat.astream(self.async_client, request):
                chunk = ChatGenerationChunk(message=from_wire_chunk(raw, usage))
                if run_manager:
                    await run_manager.on_llm_new_token(raw.content or "", chunk=chunk)
                yield chunk
                if raw.invalid_tool_calls:
                    invalid = raw.invalid_tool_calls
        _refuse_invalid(invalid)

    # -- token counting ------------------------------------------------------------------------

    def get_num_tokens(self, text: str) -> int:
        """An estimate of GLM's token count, with no tokenizer download.

        See :mod:`glm_transport.tokens`. A reply's ``usage_metadata`` is exact.
        """
        return estimate_tokens(text)

    def get_num_tokens_from_messages(
        self,
        messages: list[BaseMessage],
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool] | None = None,
    ) -> int:
        """An estimate of the prompt tokens of ``messages`` (and ``tools``), as sent to GLM.

        This is what ``trim_messages(token_counter=llm)`` uses.
        """
        wire_tools = [_tool_dict(t) for t in tools] if tools else None
        return estimate_message_tokens(to_wire_messages(messages), wire_tools)

    # -- tools and structured output ---------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools to the model.

        Tools may be pydantic models, TypedDicts, functions, ``BaseTool``s, OpenAI-format dicts, or
        GLM's own ``web_search`` / ``retrieval`` tool dicts (passed through).

        Args:
            tools: The tools.
            tool_choice: ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True``, a tool name
                or ``{"type": "function", "function": {"name": ...}}``; see the class docs for
                how each maps onto GLM's auto-only API.
            strict: Accepted for compatibility; GLM has no strict mode, the schema is sent as is.
            parallel_tool_calls: ``False`` keeps only the first tool call of a reply (GLM has no
                switch for it).
            **kwargs: Further arguments bound with the tools (see :meth:`bind`).
        """
        formatted = [_tool_dict(t) for t in tools]
        if tool_choice is not None:
            plan_tool_choice(formatted, tool_choice)  # validate now, not at call time
            kwargs["tool_choice"] = tool_choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Structured output via a forced tool call (default) or GLM's JSON mode.

        ``json_schema`` is mapped to ``function_calling``: GLM has no ``json_schema`` response
        format, and a tool's parameters carry the schema to the model.
        """
        if kwargs:
            raise GLMValidationError(
                "with_structured_output kwargs", sorted(kwargs), "no extra keyword arguments"
            )
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        if method == "json_schema":
            method = "function_calling"
        if method == "function_calling":
            if schema is None:
                raise GLMValidationError("schema", None, "a schema for method='function_calling'")
            tool = convert_to_openai_tool(schema)
            name = tool["function"]["name"]
            # With include_raw, a reply without the call is LangChain's {"raw", "parsed": None,
            # "parsing_error"}: the tool is offered alone but not required of the reply.
            llm = self.bind_tools(
                [tool],
                tool_choice=None if include_raw else name,
                parallel_tool_calls=False,
                ls_structured_output_format={
                    "kwargs": {"method": "function_calling"},
                    "schema": tool,
                },
            )
            parser: Runnable[Any, Any] = (
                PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
                if is_pydantic
                else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
            )
            if include_raw:
                # A reply in prose, without the call, is not a valid null: the missing call
                # becomes the parsing_error (GLMToolChoiceError), as it is raised without
                # include_raw.
                parser = RunnableLambda(_requiring_call(name)) | parser
        elif method == "json_mode":
            llm = self.bind(
                response_format={"type": "json_object"},
                ls_structured_output_format={"kwargs": {"method": "json_mode"}, "schema": schema},
            )
            parser = (
                PydanticOutputParser(pydantic_object=schema)  # type: ignore[arg-type]
                if is_pydantic
                else JsonOutputParser()
            )
        else:
            raise GLMValidationError(
                "method", method, "'function_calling', 'json_mode' or 'json_schema'"
            )
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        )
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks(
            [fallback], exception_key="parsing_error"
        )


# LangChain inspects the signature of _generate / _agenerate on every call (whether it takes
# run_manager): computed once, inspect.signature returns a function's __signature__ as it is.
for _method in ("_generate", "_agenerate"):
    _function = getattr(ChatGLM, _method)
    _function.__signature__ = inspect.signature(_function)


def _requiring_call(name: str) -> Any:
    """A step that passes a reply on only if it calls tool ``name`` (else GLMToolChoiceError)."""

    def require(message: BaseMessage) -> BaseMessage:
        calls = getattr(message, "tool_calls", None) or []
        invalid = getattr(message, "invalid_tool_calls", None) or []
        called = [c.get("name") or "" for c in [*calls, *invalid]]
        with glm_errors():
            check_reply(None, called, name, message.response_metadata.get("request_id"), message)
        return message

    return require


_LIVE_FIELDS = ("http_client", "http_async_client")


def _tool_dict(tool: Any) -> dict[str, Any]:
    """A tool in GLM's wire shape; GLM's own web_search / retrieval / mcp dicts pass through."""
    if isinstance(tool, dict) and tool.get("type") in ("web_search", "retrieval", "mcp"):
        return tool
    return convert_to_openai_tool(tool)


def _refuse_invalid(names: list[str] | None) -> None:
    """Refuse streamed tool calls whose arguments GLM got wrong.

    LangChain merges streamed tool-call pieces with a partial-JSON parser, which would turn them
    into a valid-looking call. (Not streamed, they arrive as ``invalid_tool_calls``.)
    """
    if names:
        raise GLMInvalidToolCallError(
            f"GLM's streamed call(s) to {names} have arguments that are not a JSON object; "
            "no tool is called. (Without streaming they arrive as invalid_tool_calls.)"
        )


def _chat_result(message: AIMessage) -> ChatResult:
    return ChatResult(
        generations=[ChatGeneration(message=message)],
        llm_output={
            "model_name": message.response_metadata.get("model_name"),
            "token_usage": message.response_metadata.get("token_usage"),
        },
    )
