"""glm_transport: the shared, framework-free transport for Zhipu GLM chat models.

Settings and provider presets (:mod:`~glm_transport.config`), pure request building
(:mod:`~glm_transport.request`), pure parsing (:mod:`~glm_transport.parse`,
:mod:`~glm_transport.sse`), the retry policy (:mod:`~glm_transport.retry`), typed errors
(:mod:`~glm_transport.errors`) and the sync/async clients that do the I/O.
"""

from __future__ import annotations

__version__ = "0.1.0"

from glm_transport._client import AsyncGLMClient, GLMClient
from glm_transport._pools import aclose_shared_clients
from glm_transport.config import (
    PROVIDERS,
    GLMSettings,
    Limits,
    Provider,
    resolve_settings,
    settings_of,
)
from glm_transport.errors import *  # noqa: F403
from glm_transport.errors import __all__ as _errors_all
from glm_transport.models import ModelSpec, catalogue, model_spec, register_model
from glm_transport.reply import apply_reply_policy, check_reply, plan_tool_choice
from glm_transport.stream import StreamReader, ToolCallAccumulator
from glm_transport.types import (
    ChatCompletion,
    ChatRequest,
    StreamChunk,
    ToolCall,
    ToolCallDelta,
    Usage,
)

__all__ = [
    "PROVIDERS",
    "AsyncGLMClient",
    "ChatCompletion",
    "ChatRequest",
    "GLMClient",
    "GLMSettings",
    "Limits",
    "ModelSpec",
    "Provider",
    "StreamChunk",
    "StreamReader",
    "ToolCall",
    "ToolCallAccumulator",
    "ToolCallDelta",
    "Usage",
    "__version__",
    "aclose_shared_clients",
    "catalogue",
    "apply_reply_policy",
    "check_reply",
    "model_spec",
    "plan_tool_choice",
    "register_model",
    "resolve_settings",
    "settings_of",
    *_errors_all,
]
