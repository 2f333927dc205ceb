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


def _lc_trivial(chunks: int) -> Any:
    """A LangChain chat model with no I/O: LangChain's own machinery and nothing else."""
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    pieces = [f"t{i} " for i in range(chunks)]

    class Trivial(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "trivial"

        def _generate(self, *a: Any, **k: Any) -> ChatResult:
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content="Hi"))])

        async def _agenerate(self, *a: Any, **k: Any) -> ChatResult:
            # Without it LangChain runs _generate in a thread pool: not the framework's floor.
            return self._generate()

        def _stream(self, *a: Any, **k: Any) -> Iterator[ChatGenerationChunk]:
            for p in pieces:
                yield ChatGenerationChunk(message=AIMessageChunk(content=p))

    return Trivial()


def _li_trivial(chunks: int) -> Any:
    """A LlamaIndex LLM with no I/O: cumulative ChatResponses and callbacks, nothing else."""
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ChatResponse,
        CompletionResponse,
        LLMMetadata,
    )
    from llama_index.core.llms import CustomLLM
    from llama_index.core.llms.callbacks import llm_chat_callback

    pieces = [f"t{i} " for i in range(chunks)]

    class Trivial(CustomLLM):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(is_chat_model=True)

        def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
            return CompletionResponse(text="Hi")

        def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            return iter(())

        @llm_chat_callback()
        def chat(self, messages: Any, **kw: Any) -> ChatResponse:
            return ChatResponse(message=ChatMessage(role="assistant", content="Hi"))

        @llm_chat_callback()
        async def achat(self, messages: Any, **kw: Any) -> ChatResponse:
            return ChatResponse(message=ChatMessage(role="assistant", content="Hi"))

        @llm_chat_callback()
        def stream_chat(self, messages: Any, **kw: Any) -> Any:
            def gen() -> Iterator[ChatResponse]:
                text = ""
                for p in pieces:
                    text += p
                    yield ChatResponse(message=ChatMessage(role="assistant", content=text), delta=p)

            return gen()

    return Trivial()


def floors(http: httpx.Client, url: str, chunks: int) -> dict[str, Callable[[], Any]]:
    """The physical floor of each sync call: the raw client doing the wire work, then the
    framework's own machinery doing its work with no I/O, in one call."""
    lc, li = _lc_trivial(chunks), _li_trivial(chunks)
    msgs = li_messages()
    raw_call, raw_stream = raw_httpx_call(http, url), raw_httpx_stream(http, url, chunks)
    return {
        "invoke floor": lambda: (raw_call(), lc.invoke("Hello")),
        "chat floor": lambda: (raw_call(), li.chat(msgs)),
        "stream floor": lambda: (raw_stream(), drain(lc.stream("Hello"))),
        "stream_chat floor": lambda: (raw_stream(), drain(li.stream_chat(msgs))),
        "LangChain machinery": lambda: drain(lc.stream("Hello")),
        "LlamaIndex machinery": lambda: drain(li.stream_chat(msgs)),
    }


def async_floors(session: Any, url: str) -> dict[str, Callable[[], Any]]:
    """The async floors: raw aiohttp post and ``json.loads``, then the framework's no-I/O call."""
    lc, li = _lc_trivial(1), _li_trivial(1)
    msgs = li_messages()
    body = {"model": MODEL, "messages": MESSAGES}

    async def raw() -> Any:
        async with session.post(url, json=body) as r:
            return json.loads(await r.read())

    async def lc_floor() -> Any:
        await raw()
        return await lc.ainvoke("Hello")

    async def li_floor() -> Any:
        await raw()
        return await li.achat(msgs)

    return {"raw aiohttp": raw, "ainvoke floor": lc_floor, "achat floor": li_floor}


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
