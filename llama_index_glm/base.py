"""``GLM``: Zhipu GLM chat models as a LlamaIndex ``FunctionCallingLLM``."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Generator, Sequence
from typing import TYPE_CHECKING, Any

import httpx
from llama_index.core.base.llms.generic_utils import (
    achat_to_completion_decorator,
    astream_chat_to_completion_decorator,
    chat_to_completion_decorator,
    stream_chat_to_completion_decorator,
)
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr, SecretStr, model_validator
from llama_index.core.callbacks import CallbackManager
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.types import BaseOutputParser, PydanticProgramMode

import glm_transport.chat as glm_chat
from glm_transport import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MODEL,
    AsyncGLMClient,
    ChatCompletion,
    ChatRequest,
    GLMClient,
    aclose_shared_clients,
    model_spec,
)
from glm_transport.binding import (
    Binding,
    KeyedModel,
    binding_of,
    copy_memo,
    portable_state,
    private,
)
from glm_transport.plan import normalize_thinking, plan_chat
from llama_index_glm._convert import (
    StreamAssembler,
    from_wire_result,
    parse_tool_kwargs,
    preview_tool_kwargs,
    to_wire_messages,
    to_wire_tools,
)

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

# Private attributes holding the user's HTTP clients: never pickled.
_LIVE_PRIVATE = ("_http_client", "_async_http_client")


# (class name, model, context_window, max_tokens, is_function_calling_model) -> the catalogue
# entry they were built from, the metadata, and the payload LlamaIndex records of it.
_DESCRIBED: dict[tuple[Any, ...], tuple[Any, LLMMetadata, dict[str, Any]]] = {}
_DESCRIBED_MAX = 64


def _describe(key: tuple[Any, ...]) -> tuple[LLMMetadata, dict[str, Any]]:
    """The metadata of a model with these settings, and its payload.

    Built again when the catalogue answers differently for the model (``register_model``).
    """
    class_name, model, context_window, max_tokens, function_calling = key
    profile = model_spec(model)
    known = _DESCRIBED.get(key)
    if known is not None and known[0] is profile:
        return known[1], known[2]
    metadata = LLMMetadata(
        context_window=context_window or profile.context_window,
        num_output=max_tokens or profile.max_output_tokens,
        is_chat_model=True,
        is_function_calling_model=(
            profile.tool_calling if function_calling is None else function_calling
        ),
        model_name=model,
        system_role=MessageRole.SYSTEM,
    )
    payload = {"class_name": class_name, **metadata.model_dump()}
    if len(_DESCRIBED) >= _DESCRIBED_MAX:
        _DESCRIBED.clear()
    _DESCRIBED[key] = (profile, metadata, payload)
    return metadata, payload


__all__ = ["GLM"]


class GLM(KeyedModel, FunctionCallingLLM):
    """Zhipu GLM chat models for LlamaIndex (glm-5-turbo, glm-5, glm-4.7, glm-4.6, glm-4.5 ...).

    Setup:
        ``pip install "glm-integrations[llama-index]"`` and ``export GLM_API_KEY=...`` (or the
        provider's own variable: ``ZAI_API_KEY``, ``ZHIPUAI_API_KEY`` ...).

    Key args:
        model: GLM model name. provider: ``zai`` (default), ``zai-coding``, ``bigmodel``,
        ``bigmodel-coding``, ``maxtoken``, ``powertokens``. base_url / api_base: replaces only
        the URL. api_key: never shown in repr or ``to_dict``. temperature (0 is greedy), top_p,
        max_tokens, stop, thinking (``True``/``False`` or ``{"type": "enabled",
        "clear_thinking": False}``), timeout, total_timeout, max_retries, additional_kwargs,
        default_headers, http_client / async_http_client, context_window and
        is_function_calling_model overrides.

    Examples:
        .. code-block:: python

            from llama_index.core import Settings
            from llama_index.core.llms import ChatMessage
            from llama_index_glm import GLM

            llm = GLM(model="glm-5-turbo", temperature=0.6)
            Settings.llm = llm                      # query engines, chat engines, agents

            llm.complete("Paul Graham is ").text
            r = llm.chat([ChatMessage(role="user", content="Why is the sky blue?")])
            r.message.content, r.message.blocks     # ThinkingBlock (reasoning), TextBlock
            r.additional_kwargs                     # finish_reason, model, request_id, usage

            for r in llm.stream_chat([ChatMessage(role="user", content="Hi")]):
                print(r.additional_kwargs.get("thinking_delta") or "", r.delta, end="")

            await llm.achat(...); await llm.astream_chat(...)   # truly async

    Tools:
        ``chat_with_tools``, ``stream_chat_with_tools``, ``predict_and_call``,
        ``get_tool_calls_from_response``; ``FunctionAgent``, ``ReActAgent``, ``AgentWorkflow``.
        GLM only supports ``tool_choice="auto"``: ``tool_required=True`` (used by
        ``structured_predict``) offers the tools and checks the reply holds a call, raising
        ``glm_transport.ToolChoiceError`` if not; a named ``tool_choice`` offers only that tool.

    Structured output:
        ``llm.structured_predict(Model, PromptTemplate(...))``, ``astructured_predict``,
        ``stream_structured_predict``, ``llm.as_structured_llm(Model)`` (by tool calling).

    Reasoning:
        Arrives as a ``ThinkingBlock`` (streamed: ``additional_kwargs["thinking_delta"]``) and is
        sent back to GLM with tool-call turns, or with every turn under preserved thinking
        (``clear_thinking: False``, the default on Coding Plan endpoints).
    """

    model: str = Field(default=DEFAULT_MODEL, description="GLM model name.")
    temperature: float | None = Field(default=None, description="In [0, 1]; 0 is greedy.")
    top_p: float | None = Field(default=None, description="In [0.01, 1].")
    max_tokens: int | None = Field(default=None, description="Output limit (reasoning included).")
    stop: list[str] | None = Field(default=None, description="Stop sequence(s).")
    thinking: bool | dict[str, Any] | None = Field(
        default=None, description="True/False or {'type': 'enabled'|'disabled', 'clear_thinking'}."
    )
    reasoning_effort: str | None = Field(
        default=None,
        description="How hard the model thinks (GLM-5.2 and newer): e.g. 'low', 'high', 'max'.",
    )
    tool_stream: bool | None = Field(
        default=None, description="Stream tool arguments in pieces; None: on where supported."
    )
    provider: str | None = Field(default=None, description="Provider preset (default 'zai').")
    base_url: str | None = Field(default=None, description="Base URL; also accepted as api_base.")
    api_key: SecretStr | None = Field(default=None, exclude=True, description="API key.")
    timeout: float | tuple[float | None, float | None] | None = Field(
        default=None, description="Request timeout: seconds, or a (connect, read) pair."
    )
    total_timeout: float | None = Field(
        default=None, description="Wall-clock budget for one call, retries and stream included."
    )
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, description="Retries; 0 disables.")
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Extra request fields merged into every request body."
    )
    default_headers: dict[str, str] | None = Field(default=None, description="Extra headers.")
    context_window: int | None = Field(default=None, description="Override the context window.")
    is_function_calling_model: bool | None = Field(
        default=None, description="Override tool-calling support."
    )

    pickle_api_key: bool = Field(
        default=False,
        exclude=True,
        description="Carry the API key in pickles; off: an unpickled model reads the environment.",
    )

    _binding: Binding = PrivateAttr(default_factory=Binding)
    _http_client: httpx.Client | None = PrivateAttr(default=None)
    _async_http_client: httpx.AsyncClient | None = PrivateAttr(default=None)

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        api_base: str | None = None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        callback_manager: CallbackManager | None = None,
        system_prompt: str | None = None,
        output_parser: BaseOutputParser | None = None,
        pydantic_program_mode: PydanticProgramMode = PydanticProgramMode.DEFAULT,
        **kwargs: Any,
    ) -> None:
        """Create the LLM; ``api_base`` stands for ``base_url``, HTTP clients are used as given."""
        if api_base is not None and kwargs.get("base_url") is None:
            kwargs["base_url"] = api_base
        super().__init__(
            model=model,
            callback_manager=callback_manager,
            system_prompt=system_prompt,
            output_parser=output_parser,
            pydantic_program_mode=pydantic_program_mode,
            **kwargs,
        )
        self._http_client = http_client
        self._async_http_client = async_http_client

    @model_validator(mode="after")
    def _resolve(self) -> GLM:
        self.api_key = binding_of(self).settings(self).api_key  # validates every setting now
        self.thinking = normalize_thinking(self.thinking)
        return self

    def __getstate__(self) -> dict[Any, Any]:
        """The pickle state: no live HTTP clients, and no API key unless ``pickle_api_key``."""
        return portable_state(
            super().__getstate__(), live_private=_LIVE_PRIVATE, keep_key=self.pickle_api_key
        )

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> GLM:
        """A deep copy that shares your HTTP clients rather than cloning them."""
        clients = (self._http_client, self._async_http_client)
        return super().__deepcopy__(copy_memo(memo, clients))  # type: ignore[no-any-return]

    @classmethod
    def class_name(cls) -> str:
        """The class name LlamaIndex serializes the LLM under."""
        return "GLM"

    def _described(self) -> tuple[LLMMetadata, dict[str, Any]]:
        # LlamaIndex reads the metadata and dumps it for its events on every call: both are
        # built once per combination of the fields they depend on.
        key = (
            type(self).class_name(),
            self.model,
            self.context_window,
            self.max_tokens,
            self.is_function_calling_model,
        )
        return _describe(key)

    @property
    def metadata(self) -> LLMMetadata:
        """LLM metadata from the catalogue; ``context_window`` and ``max_tokens`` override it."""
        return self._described()[0].model_copy()  # a copy of its own, as when built per call

    def to_payload(self) -> dict[str, Any]:
        """What LlamaIndex's events and callbacks record of the LLM: its class and metadata."""
        if type(self).metadata is not GLM.metadata:  # a subclass describes itself
            return super().to_payload()
        return dict(self._described()[1])

    @property
    def client(self) -> GLMClient:
        """The sync transport client, rebuilt when the settings or ``http_client`` change."""
        return binding_of(self).sync(self, private(self, "_http_client"))

    @property
    def async_client(self) -> AsyncGLMClient:
        """The async transport client, rebuilt when the settings or ``async_http_client`` change."""
        return binding_of(self).async_(self, private(self, "_async_http_client"))

    # -- request building (pure) -----------------------------------------------------------

    def _request(
        self, messages: Sequence[ChatMessage], stream: bool, /, **kwargs: Any
    ) -> ChatRequest:
        params: dict[str, Any] = {
            k: v
            for k, v in (
                ("temperature", self.temperature),
                ("top_p", self.top_p),
                ("max_tokens", self.max_tokens),
                ("stop", self.stop),
                ("thinking", self.thinking),
                ("reasoning_effort", self.reasoning_effort),
                ("tool_stream", self.tool_stream),
            )
            if v is not None
        }
        params.update(self.additional_kwargs)
        params.update(kwargs)
        return plan_chat(
            params,
            to_wire_messages(messages),
            model=self.model,
            provider=binding_of(self).settings(self).provider,
            stream=stream,
        )

    # -- chat: the four I/O methods, undecorated (completions call them, so each call fires
    # its framework callbacks once: chat callbacks for chat, completion callbacks for complete)

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return from_wire_result(
            glm_chat.complete(self.client, self._request(messages, False, **kwargs))
        )

    def _sent(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Awaitable[ChatCompletion]:
        # The transport's call, sent: no local of ours holds the request through the I/O.
        return glm_chat.acomplete(self.async_client, self._request(messages, False, **kwargs))

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return from_wire_result(await self._sent(messages, **kwargs))

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        request = self._request(messages, True, **kwargs)

        def gen() -> Generator[ChatResponse, None, None]:
            assembler = StreamAssembler()
            for chunk in glm_chat.stream(self.client, request):
                yield assembler.add(chunk)

        return gen()

    async def _astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        request = self._request(messages, True, **kwargs)

        async def gen() -> AsyncGenerator[ChatResponse, None]:
            assembler = StreamAssembler()
            async for chunk in glm_chat.astream(self.async_client, request):
                yield assembler.add(chunk)

        return gen()

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Send ``messages`` and return GLM's reply."""
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Send ``messages`` and return GLM's reply."""
        if getattr(self._achat, "__func__", None) is not _GLM_ACHAT:
            # A subclass's own _achat, or one patched on the class or the instance, is honoured.
            return await self._achat(messages, **kwargs)
        # _achat's work here rather than awaited in a coroutine of its own: one object fewer
        # alive through each call's I/O (BENCHMARKS.md, "Close to the floor").
        return from_wire_result(await self._sent(messages, **kwargs))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Send ``messages`` and stream GLM's reply."""
        return self._stream_chat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Send ``messages`` and stream GLM's reply."""
        return await self._astream_chat(messages, **kwargs)

    # -- completion, through the undecorated chat ------------------------------------------

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Complete ``prompt``, sent as one user message."""
        return chat_to_completion_decorator(self._chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Complete ``prompt``, sent as one user message."""
        return await achat_to_completion_decorator(self._achat)(prompt, **kwargs)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Complete ``prompt``, sent as one user message, streaming the reply."""
        return stream_chat_to_completion_decorator(self._stream_chat)(prompt, **kwargs)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Complete ``prompt``, sent as one user message, streaming the reply."""
        return await astream_chat_to_completion_decorator(self._astream_chat)(prompt, **kwargs)

    async def aclose(self) -> None:
        """Close the pooled connections of the running event loop.

        HTTP clients you passed in stay yours to close. Safe to call any time: pools are re-made on
        the next call.
        """
        await aclose_shared_clients()

    # -- tools -------------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Chat kwargs for a tool call.

        ``tool_required`` and a named ``tool_choice`` are checked on the reply (GLM itself only
        offers ``auto``).
        """
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        choice = tool_choice if tool_choice is not None else ("required" if tool_required else None)
        chat_kwargs: dict[str, Any] = {
            "messages": messages,
            "tools": to_wire_tools(tools) or None,
            "tool_choice": choice,
            **kwargs,
        }
        if not allow_parallel_tool_calls:  # the transport keeps one call, in every call mode
            chat_kwargs["parallel_tool_calls"] = False
        return chat_kwargs

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """The tool calls in ``response``; none raises unless ``error_on_no_tool_call`` is False."""
        # A finished reply's calls are parsed strictly (GLM's own invalid JSON raises); a stream
        # still in progress shows a preview (FunctionAgent reads calls from every chunk).
        done = response.additional_kwargs.get("finish_reason") is not None
        calls = [
            ToolSelection(
                tool_id=b.tool_call_id or f"call_{i}",
                tool_name=b.tool_name,
                tool_kwargs=parse_tool_kwargs(b.tool_kwargs, b.tool_name)
                if done or isinstance(b.tool_kwargs, dict)
                else preview_tool_kwargs(b.tool_kwargs),
            )
            for i, b in enumerate(
                x for x in response.message.blocks if isinstance(x, ToolCallBlock)
            )
        ]
        if not calls and error_on_no_tool_call:
            raise ValueError(
                f"Expected at least one tool call, but got 0 tool calls "
                f"(finish_reason {response.additional_kwargs.get('finish_reason')!r})."
            )
        return calls


_GLM_ACHAT = GLM._achat  # GLM's own, to tell an override or a patch from it
