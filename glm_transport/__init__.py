"""glm_transport: the shared, framework-free transport for Zhipu GLM chat models.

Settings and provider presets (:mod:`~glm_transport.config`), pure request building
(:mod:`~glm_transport.request`), pure parsing (:mod:`~glm_transport.parse`,
:mod:`~glm_transport.sse`), the retry policy (:mod:`~glm_transport.retry`), typed errors
(:mod:`~glm_transport.errors`) and the sync/async clients that do the I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glm_transport._lazy import exporter

__version__ = "0.1.0"

if TYPE_CHECKING:
    from glm_transport._client import (
        AsyncGLMClient,
        GLMClient,
    )
    from glm_transport._pools import (
        aclose_shared_clients,
    )
    from glm_transport.config import (
        PROVIDERS,
        GLMSettings,
        Limits,
        Provider,
        resolve_settings,
        settings_of,
    )
    from glm_transport.embeddings import (
        Embeddings,
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
    from glm_transport.reply import (
        apply_reply_policy,
        check_reply,
        plan_tool_choice,
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

# Where each public name lives. Importing the package loads none of them: each module loads on
# first use, so ``import glm_transport`` (and the pytest plugin) costs nothing.
_HOME: dict[str, str] = {
    "AsyncGLMClient": "_client",
    "GLMClient": "_client",
    "aclose_shared_clients": "_pools",
    "PROVIDERS": "config",
    "GLMSettings": "config",
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
    "ToolCallTruncatedError": "errors",
    "ToolChoiceError": "errors",
}

__all__ = [
    "PROVIDERS",
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncGLMClient",
    "AuthenticationError",
    "ChatCompletion",
    "ChatRequest",
    "ContentFilterError",
    "ContextOverflowError",
    "Embeddings",
    "GLMClient",
    "GLMError",
    "GLMSettings",
    "GLMValidationError",
    "InvalidRequestError",
    "InvalidToolCallError",
    "Limits",
    "ModelSpec",
    "NotFoundError",
    "PermissionDeniedError",
    "Provider",
    "QuotaExhaustedError",
    "RateLimitError",
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
