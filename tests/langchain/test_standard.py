"""langchain-tests' standard suites for ChatGLM.

The unit suite runs in full. The integration suite replays cassettes of upstream traffic (see
``cassettes/README.md``); flags are set to what GLM supports.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_glm import ChatGLM
from tests.conftest import glm_target


class TestChatGLMUnit(ChatModelUnitTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatGLM

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "glm-5-turbo", "api_key": "unit-test-key"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"GLM_API_KEY": "env-key", "GLM_BASE_URL": "https://proxy.example/api/paas/v4"},
            {"model": "glm-4.6"},
            {"api_key": "env-key", "base_url": None},
        )

    @pytest.mark.xfail(
        strict=True,
        reason="Not a GLM limitation: langchain-core's load(allowed_objects='all') revives only "
        "classes in core's built-in mapping, so no partner class outside it can pass the "
        "round-trip half. ChatGLM's dumpd/load round-trip (with allowed_objects=[ChatGLM]) is "
        "tested in test_chat_models.py; the snapshot half passes here.",
    )
    def test_serdes(self, model: BaseChatModel, snapshot: Any) -> None:
        super().test_serdes(model, snapshot)


@pytest.mark.vcr
class TestChatGLMIntegration(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatGLM

    @property
    def chat_model_params(self) -> dict[str, Any]:
        # A plain httpx async client: vcrpy intercepts httpx, not the aiohttp-backed default.
        return {"model": "glm-5-turbo", "http_async_client": httpx.AsyncClient(), **glm_target()}

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return False  # GLM tool results are strings only

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "glm-4.7"

    @property
    def enable_vcr_tests(self) -> bool:
        return True

    def _run(self, llm: ChatGLM, messages: Any, stream: bool) -> AIMessage:
        if not stream:
            return llm.invoke(messages)
        full: Any = None
        for chunk in llm.stream(messages):
            full = chunk if full is None else full + chunk
        return full

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        # GLM caches long shared prefixes automatically: the second identical call reads them.
        llm = ChatGLM(**self.chat_model_params)
        messages = [
            ("system", "You are a careful assistant. " * 300),
            ("human", "Say hello in one word."),
        ]
        self._run(llm, messages, stream)
        return self._run(llm, messages, stream)

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        llm = ChatGLM(**self.chat_model_params, thinking=True)
        return self._run(llm, "Why is the sky blue? Think it through, answer in one line.", stream)

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[Any]]:
        return {
            "invoke": ["cache_read_input", "reasoning_output"],
            "stream": ["cache_read_input", "reasoning_output"],
        }
