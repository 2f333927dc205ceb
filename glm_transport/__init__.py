"""glm_transport: the shared, framework-free transport for Zhipu GLM.

Settings and provider presets (:mod:`~glm_transport.config`), the sync/async clients with their
two retried primitives (``post`` a call and parse the whole reply, ``stream`` one), and one module
per GLM endpoint pairing its pure parts with a thin sync/async pair over those primitives:
:mod:`~glm_transport.chat`, :mod:`~glm_transport.embeddings`, :mod:`~glm_transport.rerank`,
:mod:`~glm_transport.ocr`. What every endpoint shares is in :mod:`~glm_transport.endpoint`;
typed errors in :mod:`~glm_transport.errors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glm_transport._version import __version__
from glm_transport.lazy import exporter

if TYPE_CHECKING:
    from glm_transport._client import (
        AsyncGLMClient,
        GLMClient,
    )
    from glm_transport._constants import (
        DEFAULT_MAX_RETRIES,
        DEFAULT_MODEL,
    )
    from glm_transport._pools import (
        aclose_shared_clients,
    )
    from glm_transport.config import (
        PROVIDERS,
        GLMSettings,
        InsecureTransportWarning,
        Limits,
        Provider,
        resolve_settings,
        settings_of,
    )
    from glm_transport.embeddings import (
        Embeddings,
    )
    from glm_transport.endpoint import (
        Call,
        Endpoint,
    )
    from glm_transport.errors import (
        APIConnectionError,
        APIError,
        APITimeoutError,
        AuthenticationError,
        ContentFilterError,
        ContextOverflowError,
        GLMError,
        GLMValidationError,
        InvalidRequestError,
        InvalidToolCallError,
        NotFoundError,
        PermissionDeniedError,
        QuotaExhaustedError,
        RateLimitError,
        ReasoningExhaustedError,
        SearchMissingError,
        ServerError,
        StreamInterruptedError,
        ToolCallTruncatedError,
        ToolChoiceError,
    )
    from glm_transport.models import (
        ModelSpec,
        catalogue,
        model_spec,
        register_model,
    )
    from glm_transport.ocr import (
        LayoutElement,
        OCRPage,
        OCRResult,
    )
    from glm_transport.reader import (
        WebPage,
    )
    from glm_transport.reply import (
        apply_reply_policy,
        check_reply,
        plan_tool_choice,
    )
    from glm_transport.rerank import (
        Reranked,
        RerankResult,
    )
    from glm_transport.stream import (
        StreamReader,
        ToolCallAccumulator,
    )
    from glm_transport.types import (
        ChatCompletion,
        ChatRequest,
        StreamChunk,
        ToolCall,
        ToolCallDelta,
        Usage,
    )
    from glm_transport.websearch import (
        SearchPlatform,
        WebSearchResults,
    )

# Where each public name lives. Importing the package loads none of them: each module loads on
# first use, so ``import glm_transport`` (and the pytest plugin) costs nothing.
_HOME: dict[str, str] = {
    "AsyncGLMClient": "_client",
    "GLMClient": "_client",
    "aclose_shared_clients": "_pools",
    "DEFAULT_MAX_RETRIES": "_constants",
    "DEFAULT_MODEL": "_constants",
    "Call": "endpoint",
    "Endpoint": "endpoint",
    "Reranked": "rerank",
    "RerankResult": "rerank",
    "LayoutElement": "ocr",
    "OCRPage": "ocr",
    "OCRResult": "ocr",
    "WebPage": "reader",
    "WebSearchResults": "websearch",
    "SearchPlatform": "websearch",
    "PROVIDERS": "config",
    "GLMSettings": "config",
    "InsecureTransportWarning": "config",
    "Limits": "config",
    "Provider": "config",
    "resolve_settings": "config",
    "settings_of": "config",
    "ModelSpec": "models",
    "catalogue": "models",
    "model_spec": "models",
    "register_model": "models",
    "apply_reply_policy": "reply",
    "check_reply": "reply",
    "plan_tool_choice": "reply",
    "StreamReader": "stream",
    "ToolCallAccumulator": "stream",
    "ChatCompletion": "types",
    "ChatRequest": "types",
    "StreamChunk": "types",
    "ToolCall": "types",
    "ToolCallDelta": "types",
    "Usage": "types",
    "Embeddings": "embeddings",
    "APIConnectionError": "errors",
    "APIError": "errors",
    "APITimeoutError": "errors",
    "AuthenticationError": "errors",
    "ContentFilterError": "errors",
    "ContextOverflowError": "errors",
    "GLMError": "errors",
    "GLMValidationError": "errors",
    "InvalidRequestError": "errors",
    "InvalidToolCallError": "errors",
    "NotFoundError": "errors",
    "PermissionDeniedError": "errors",
    "QuotaExhaustedError": "errors",
    "RateLimitError": "errors",
    "ServerError": "errors",
    "StreamInterruptedError": "errors",
    "ReasoningExhaustedError": "errors",
    "SearchMissingError": "errors",
    "ToolCallTruncatedError": "errors",
    "ToolChoiceError": "errors",
}

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MODEL",
    "PROVIDERS",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncGLMClient",
    "AuthenticationError",
    "Call",
    "ChatCompletion",
    "ChatRequest",
    "ContentFilterError",
    "ContextOverflowError",
    "Embeddings",
    "Endpoint",
    "GLMClient",
    "GLMError",
    "GLMSettings",
    "GLMValidationError",
    "InsecureTransportWarning",
    "InvalidRequestError",
    "InvalidToolCallError",
    "LayoutElement",
    "Limits",
    "ModelSpec",
    "NotFoundError",
    "OCRPage",
    "OCRResult",
    "PermissionDeniedError",
    "Provider",
    "QuotaExhaustedError",
    "RateLimitError",
    "ReasoningExhaustedError",
    "RerankResult",
    "Reranked",
    "SearchMissingError",
    "SearchPlatform",
    "ServerError",
    "StreamChunk",
    "StreamInterruptedError",
    "StreamReader",
    "ToolCall",
    "ToolCallAccumulator",
    "ToolCallDelta",
    "ToolCallTruncatedError",
    "ToolChoiceError",
    "Usage",
    "WebPage",
    "WebSearchResults",
    "__version__",
    "aclose_shared_clients",
    "apply_reply_policy",
    "catalogue",
    "check_reply",
    "model_spec",
    "plan_tool_choice",
    "register_model",
    "resolve_settings",
    "settings_of",
]


__getattr__ = exporter(
    "glm_transport", {name: f"glm_transport.{mod}" for name, mod in _HOME.items()}
)


def __dir__() -> list[str]:
    return sorted(__all__)
