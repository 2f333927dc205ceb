"""What is measured: our classes, the peers, raw clients and the frameworks' own no-I/O
machinery (the floors), all pointed at the same fixed-response server on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from benchmarks._servers import free_port
from benchmarks.measure import ROOT, drain

MODEL = "glm-5-turbo"
KEY = "bench-id.bench-secret-0123456789"
MESSAGES = [{"role": "user", "content": "Hello"}]


class FixedServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/api/paas/v4"
        self.url = self.base_url + "/chat/completions"

    def __enter__(self) -> FixedServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.fixed_server", "--port", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                httpx.post(self.url, json={"model": MODEL, "messages": MESSAGES}, timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("fixed server did not start")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def chunks_header(n: int) -> dict[str, str]:
    return {"x-chunks": str(n)}


def make_clients(base_url: str, chunks: int) -> dict[str, Any]:
    from langchain_community.chat_models import ChatZhipuAI
    from langchain_openai import ChatOpenAI
    from llama_index.llms.openai_like import OpenAILike

    from langchain_glm import ChatGLM
    from llama_index_glm import GLM

    headers = chunks_header(chunks)
    return {
        "ChatGLM": ChatGLM(model=MODEL, base_url=base_url, api_key=KEY, default_headers=headers),
        "ChatOpenAI": ChatOpenAI(
            model=MODEL, base_url=base_url, api_key=KEY, default_headers=headers
        ),
        "ChatZhipuAI": ChatZhipuAI(
            model=MODEL, api_base=base_url + "/chat/completions", api_key=KEY
        ),
        "GLM": GLM(model=MODEL, base_url=base_url, api_key=KEY, default_headers=headers),
        "OpenAILike": OpenAILike(
            model=MODEL,
            api_base=base_url,
            api_key=KEY,
            is_chat_model=True,
            is_function_calling_model=True,
            context_window=128000,
            default_headers=headers,
        ),
    }


def li_messages() -> list[Any]:
    from llama_index.core.base.llms.types import ChatMessage

    return [ChatMessage(role="user", content="Hello")]


def raw_httpx_call(client: httpx.Client, url: str) -> Callable[[], Any]:
    body = {"model": MODEL, "messages": MESSAGES}
    return lambda: client.post(url, json=body, headers={"Authorization": "Bearer x"}).json()


def raw_httpx_stream(client: httpx.Client, url: str, chunks: int) -> Callable[[], Any]:
    body = {"model": MODEL, "messages": MESSAGES, "stream": True}

    def run() -> int:
        n = 0
        with client.stream("POST", url, json=body, headers=chunks_header(chunks)) as r:
            for line in r.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    json.loads(line[6:])
                    n += 1
        return n

    return run


# What every reply carries, ours and the floors' alike (the fixed server's reply and stream).
REPLY_ID = "20261122000000bench"
REPLY_TEXT = "Hello! How can I help you today?"
USAGE = {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}


def _stream_usage(chunks: int) -> dict[str, int]:
    return {"prompt_tokens": 12, "completion_tokens": chunks, "total_tokens": 12 + chunks}


def _lc_trivial(chunks: int) -> Any:
    """A LangChain chat model with no I/O: LangChain's own machinery building what ours returns.

    The reply: text, reasoning in ``additional_kwargs``, ``usage_metadata`` with its details,
    ``response_metadata`` (model, finish reason, ids, token usage) and the id. The stream: a
    reasoning chunk, ``chunks`` text chunks, a finish chunk with usage, as the wire sends them.
    """
    from langchain_core.callbacks import (
        AsyncCallbackManagerForLLMRun,
        CallbackManagerForLLMRun,
    )
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    from benchmarks.fixed_server import REASONING

    pieces = [f"t{i} " for i in range(chunks)]

    def usage_metadata(usage: dict[str, int]) -> Any:
        return {
            "input_tokens": usage["prompt_tokens"],
            "output_tokens": usage["completion_tokens"],
            "total_tokens": usage["total_tokens"],
            "input_token_details": {"cache_read": 0},
            "output_token_details": {"reasoning": 0},
        }

    class Trivial(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "trivial"

        # The signatures every LangChain integration has: LangChain inspects them per call.
        def _generate(
            self,
            messages: list[BaseMessage],
            stop: list[str] | None = None,
            run_manager: CallbackManagerForLLMRun | None = None,
            **kwargs: Any,
        ) -> ChatResult:
            message = AIMessage(
                content=REPLY_TEXT,
                additional_kwargs={"reasoning_content": REASONING},
                response_metadata={
                    "model_name": MODEL,
                    "token_usage": {**USAGE, "prompt_tokens_details": {"cached_tokens": 0}},
                    "finish_reason": "stop",
                    "normalized_finish_reason": "stop",
                    "id": REPLY_ID,
                    "request_id": REPLY_ID,
                    "model_provider": "zhipuai",
                },
                id=REPLY_ID,
                usage_metadata=usage_metadata(USAGE),
            )
            return ChatResult(
                generations=[ChatGeneration(message=message)],
                llm_output={
                    "model_name": MODEL,
                    "token_usage": message.response_metadata["token_usage"],
                },
            )

        async def _agenerate(
            self,
            messages: list[BaseMessage],
            stop: list[str] | None = None,
            run_manager: AsyncCallbackManagerForLLMRun | None = None,
            **kwargs: Any,
        ) -> ChatResult:
            # Without it LangChain runs _generate in a thread pool: not the framework's floor.
            return self._generate(messages)

        def _stream(
            self,
            messages: list[BaseMessage],
            stop: list[str] | None = None,
            run_manager: CallbackManagerForLLMRun | None = None,
            **kwargs: Any,
        ) -> Iterator[ChatGenerationChunk]:
            head = {"model_provider": "zhipuai", "model_name": MODEL, "id": REPLY_ID}
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    additional_kwargs={"reasoning_content": REASONING},
                    response_metadata={**head, "request_id": REPLY_ID},
                    id=REPLY_ID,
                )
            )
            for p in pieces:
                yield ChatGenerationChunk(
                    message=AIMessageChunk(
                        content=p, response_metadata={"model_provider": "zhipuai"}
                    )
                )
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content="",
                    response_metadata={
                        "model_provider": "zhipuai",
                        "finish_reason": "stop",
                        "normalized_finish_reason": "stop",
                    },
                    usage_metadata=usage_metadata(_stream_usage(chunks)),
                )
            )

    return Trivial()


def _li_floor(
    fetch: Callable[[], Any] | None = None,
    afetch: Callable[[], Any] | None = None,
    frames: Callable[[], Iterator[Any]] | None = None,
) -> Any:
    """The LlamaIndex floor: a minimal LLM over the raw client, building what ours returns.

    ``fetch`` / ``afetch`` return the parsed reply, ``frames`` the parsed stream events (the
    raw client's wire work); the rest is LlamaIndex's machinery (``llm_chat_callback``, events,
    metadata built per call) and the plain constructors a direct integration would call. The
    reply: a ``ThinkingBlock`` and a ``TextBlock``, ``raw`` the parsed reply, and in
    ``additional_kwargs`` the reasoning, finish reason, model, ids and usage with its details. The
    stream: one cumulative ``ChatResponse`` per event, the message holding the reasoning and text
    so far, ``raw`` the event, the ids (and once sent the finish reason and usage) in
    ``additional_kwargs``, ``thinking_delta`` on reasoning events.
    """
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ChatResponse,
        CompletionResponse,
        LLMMetadata,
        TextBlock,
        ThinkingBlock,
    )
    from llama_index.core.llms import CustomLLM
    from llama_index.core.llms.callbacks import llm_chat_callback

    def usage_kwargs(usage: dict[str, Any]) -> dict[str, Any]:
        return {
            "prompt_tokens": usage["prompt_tokens"],
            "completion_tokens": usage["completion_tokens"],
            "total_tokens": usage["total_tokens"],
            "cached_tokens": (usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0),
            "reasoning_tokens": (usage.get("completion_tokens_details") or {}).get(
                "reasoning_tokens", 0
            ),
        }

    def reply(data: dict[str, Any]) -> ChatResponse:
        choice = data["choices"][0]
        message = choice["message"]
        reasoning = message.get("reasoning_content") or ""
        blocks: list[Any] = [ThinkingBlock(content=reasoning)] if reasoning else []
        blocks.append(TextBlock(text=message.get("content") or ""))
        return ChatResponse(
            message=ChatMessage(role="assistant", blocks=blocks),
            raw=data,
            additional_kwargs={
                **({"reasoning_content": reasoning} if reasoning else {}),
                "finish_reason": choice.get("finish_reason"),
                "model": data.get("model"),
                "request_id": data.get("request_id"),
                "id": data.get("id"),
                **usage_kwargs(data["usage"]),
            },
        )

    class Floor(CustomLLM):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(
                context_window=200_000,
                num_output=128_000,
                is_chat_model=True,
                is_function_calling_model=True,
                model_name=MODEL,
            )

        def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
            return CompletionResponse(text="Hi")

        def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            return iter(())

        @llm_chat_callback()
        def chat(self, messages: Any, **kw: Any) -> ChatResponse:
            assert fetch is not None
            return reply(fetch())

        @llm_chat_callback()
        async def achat(self, messages: Any, **kw: Any) -> ChatResponse:
            assert afetch is not None
            return reply(await afetch())

        @llm_chat_callback()
        def stream_chat(self, messages: Any, **kw: Any) -> Any:
            assert frames is not None
            events = frames

            def gen() -> Iterator[ChatResponse]:
                text = reasoning = ""
                info: dict[str, Any] = {}
                for data in events():
                    if not info:
                        info = {"model": data.get("model"), "request_id": data.get("id")}
                        info["id"] = data.get("id")
                    choice = data["choices"][0]
                    delta = choice.get("delta") or {}
                    piece = delta.get("content") or ""
                    thought = delta.get("reasoning_content") or ""
                    text += piece
                    reasoning += thought
                    if choice.get("finish_reason") is not None:
                        info["finish_reason"] = choice["finish_reason"]
                    if data.get("usage") is not None:
                        info.update(usage_kwargs(data["usage"]))
                    extra = dict(info)
                    if thought:
                        extra["thinking_delta"] = thought
                    blocks: list[Any] = [ThinkingBlock(content=reasoning)] if reasoning else []
                    blocks.append(TextBlock(text=text))
                    yield ChatResponse(
                        message=ChatMessage(role="assistant", blocks=blocks),
                        delta=piece,
                        raw=data,
                        additional_kwargs=extra,
                    )

            return gen()

    return Floor()


def _lc_floor(
    fetch: Callable[[], Any] | None = None,
    afetch: Callable[[], Any] | None = None,
    frames: Callable[[], Iterator[Any]] | None = None,
) -> Any:
    """The LangChain floor: a minimal chat model over the raw client, building what ours returns.

    As :func:`_li_floor`: ``fetch`` / ``afetch`` return the parsed reply, ``frames`` the parsed
    stream events, inside LangChain's machinery (so its run managers and callbacks are alive
    during the I/O, as for every LangChain model). The reply: text, reasoning in
    ``additional_kwargs``, ``usage_metadata`` with its details, ``response_metadata`` (model,
    finish reason, ids, token usage), the id, ``llm_output``; the stream: one chunk per event.
    """
    from langchain_core.callbacks import (
        AsyncCallbackManagerForLLMRun,
        CallbackManagerForLLMRun,
    )
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    def usage_metadata(usage: dict[str, Any]) -> Any:
        return {
            "input_tokens": usage["prompt_tokens"],
            "output_tokens": usage["completion_tokens"],
            "total_tokens": usage["total_tokens"],
            "input_token_details": {
                "cache_read": (usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
            },
            "output_token_details": {
                "reasoning": (usage.get("completion_tokens_details") or {}).get(
                    "reasoning_tokens", 0
                )
            },
        }

    def result(data: dict[str, Any]) -> ChatResult:
        choice = data["choices"][0]
        message = choice["message"]
        reasoning = message.get("reasoning_content")
        ai = AIMessage(
            content=message.get("content") or "",
            additional_kwargs={"reasoning_content": reasoning} if reasoning else {},
            response_metadata={
                "model_name": data.get("model"),
                "finish_reason": choice.get("finish_reason"),
                "id": data.get("id"),
                "request_id": data.get("request_id"),
                "model_provider": "zhipuai",
                "normalized_finish_reason": choice.get("finish_reason"),
                "token_usage": data["usage"],
            },
            id=data.get("id"),
            usage_metadata=usage_metadata(data["usage"]),
        )
        return ChatResult(
            generations=[ChatGeneration(message=ai)],
            llm_output={"model_name": data.get("model"), "token_usage": data["usage"]},
        )

    class Floor(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "floor"

        # The signatures every LangChain integration has: LangChain inspects them per call.
        def _generate(
            self,
            messages: list[BaseMessage],
            stop: list[str] | None = None,
            run_manager: CallbackManagerForLLMRun | None = None,
            **kwargs: Any,
        ) -> ChatResult:
            assert fetch is not None
            return result(fetch())

        async def _agenerate(
            self,
            messages: list[BaseMessage],
            stop: list[str] | None = None,
            run_manager: AsyncCallbackManagerForLLMRun | None = None,
            **kwargs: Any,
        ) -> ChatResult:
            assert afetch is not None
            return result(await afetch())

        def _stream(
            self,
            messages: list[BaseMessage],
            stop: list[str] | None = None,
            run_manager: CallbackManagerForLLMRun | None = None,
            **kwargs: Any,
        ) -> Iterator[ChatGenerationChunk]:
            assert frames is not None
            first = True
            for data in frames():
                choice = data["choices"][0]
                delta = choice.get("delta") or {}
                metadata: dict[str, Any] = {"model_provider": "zhipuai"}
                fields: dict[str, Any] = {"content": delta.get("content") or ""}
                if delta.get("reasoning_content"):
                    fields["additional_kwargs"] = {"reasoning_content": delta["reasoning_content"]}
                if first:
                    metadata.update(model_name=data.get("model"), id=data.get("id"))
                    metadata["request_id"] = data.get("id")
                    fields["id"] = data.get("id")
                    first = False
                if choice.get("finish_reason") is not None:
                    metadata["finish_reason"] = choice["finish_reason"]
                    metadata["normalized_finish_reason"] = choice["finish_reason"]
                if data.get("usage") is not None:
                    fields["usage_metadata"] = usage_metadata(data["usage"])
                chunk = AIMessageChunk(response_metadata=metadata, **fields)
                yield ChatGenerationChunk(message=chunk)

    return Floor()


def raw_httpx_events(client: httpx.Client, url: str, chunks: int) -> Callable[[], Iterator[Any]]:
    """The parsed events of a stream: httpx, a minimal SSE split and ``json.loads`` per frame."""
    body = {"model": MODEL, "messages": MESSAGES, "stream": True}

    def run() -> Iterator[Any]:
        with client.stream("POST", url, json=body, headers=chunks_header(chunks)) as r:
            for line in r.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    yield json.loads(line[6:])

    return run


def floors(http: httpx.Client, url: str, chunks: int) -> dict[str, Callable[[], Any]]:
    """The physical floor of each sync call: a minimal model of each framework over the raw
    client (:func:`_lc_floor`, :func:`_li_floor`); and LangChain's machinery with no I/O."""
    fetch, events = raw_httpx_call(http, url), raw_httpx_events(http, url, chunks)
    lc = _lc_floor(fetch=fetch, frames=events)
    li = _li_floor(fetch=fetch, frames=events)
    trivial = _lc_trivial(chunks)
    msgs = li_messages()
    return {
        "invoke floor": lambda: lc.invoke("Hello"),
        "chat floor": lambda: li.chat(msgs),
        "stream floor": lambda: drain(lc.stream("Hello")),
        "stream_chat floor": lambda: drain(li.stream_chat(msgs)),
        "LangChain machinery": lambda: drain(trivial.stream("Hello")),
    }


def async_floors(session: Any, url: str) -> dict[str, Callable[[], Any]]:
    """The async floors: each framework's minimal model over raw aiohttp and ``json.loads``.

    ``ainvoke floor, I/O outside``: the raw call, then LangChain's machinery with no I/O (the
    floor before issue 27; LangChain's objects are not alive during the I/O there).
    """
    body = {"model": MODEL, "messages": MESSAGES}

    async def raw() -> Any:
        async with session.post(url, json=body) as r:
            return json.loads(await r.read())

    lc, li, trivial = _lc_floor(afetch=raw), _li_floor(afetch=raw), _lc_trivial(1)
    msgs = li_messages()

    async def outside() -> Any:
        await raw()
        return await trivial.ainvoke("Hello")

    return {
        "raw aiohttp": raw,
        "ainvoke floor": lambda: lc.ainvoke("Hello"),
        "achat floor": lambda: li.achat(msgs),
        "ainvoke floor, I/O outside": outside,
    }


def embedders(base_url: str) -> dict[str, Callable[[list[str]], Any]]:
    """Ours and the peers, each embedding a list of texts against the fixed server."""
    from langchain_community.embeddings import ZhipuAIEmbeddings
    from langchain_openai import OpenAIEmbeddings
    from llama_index.embeddings.openai import OpenAIEmbedding

    from langchain_glm import GLMEmbeddings
    from llama_index_glm import GLMEmbedding

    ours_lc = GLMEmbeddings(model="embedding-3", base_url=base_url, api_key=KEY)
    ours_li = GLMEmbedding(model_name="embedding-3", base_url=base_url, api_key=KEY)
    # check_embedding_ctx_length=False: no tiktoken download, texts sent as they are.
    openai_lc = OpenAIEmbeddings(
        model="embedding-3", base_url=base_url, api_key=KEY, check_embedding_ctx_length=False
    )
    openai_li = OpenAIEmbedding(model_name="embedding-3", api_base=base_url, api_key=KEY)
    community = ZhipuAIEmbeddings(model="embedding-3", api_key=KEY)
    from zhipuai import ZhipuAI

    community.client = ZhipuAI(api_key=KEY, base_url=base_url)
    return {
        "GLMEmbeddings": ours_lc.embed_documents,
        "OpenAIEmbeddings": openai_lc.embed_documents,
        "ZhipuAIEmbeddings (community)": community.embed_documents,
        "GLMEmbedding": ours_li.get_text_embedding_batch,
        "OpenAIEmbedding": openai_li.get_text_embedding_batch,
    }
