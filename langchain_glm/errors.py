"""The transport's typed errors, re-raised as classes that are also langchain-core's standard ones.

``GLMRateLimitError`` is both :class:`glm_transport.RateLimitError` and
:class:`langchain_core.exceptions.ModelRateLimitError`, so code catching either works, and
LangChain's retry and fallback helpers react to ``is_retryable``.
"""

from __future__ import annotations

from types import TracebackType

from langchain_core import exceptions as lc

from glm_transport import errors as E

__all__ = [
    "GLMAPIError",
    "GLMAuthenticationError",
    "GLMConnectionError",
    "GLMContentFilterError",
    "GLMContextOverflowError",
    "GLMInvalidRequestError",
    "GLMInvalidToolCallError",
    "GLMNotFoundError",
    "GLMPermissionDeniedError",
    "GLMQuotaExhaustedError",
    "GLMRateLimitError",
    "GLMReasoningExhaustedError",
    "GLMSearchMissingError",
    "GLMServerError",
    "GLMStreamInterruptedError",
    "GLMTimeoutError",
    "GLMToolCallTruncatedError",
    "GLMToolChoiceError",
    "glm_errors",
    "to_langchain_error",
]


class GLMAPIError(E.APIError, lc.ModelAPIError):
    """Another GLM error response."""


class GLMAuthenticationError(E.AuthenticationError, lc.ModelAuthenticationError):
    """401 / 1000-1004."""


class GLMPermissionDeniedError(E.PermissionDeniedError, lc.ModelPermissionDeniedError):
    """403, balance (1113), account or plan."""


class GLMNotFoundError(E.NotFoundError, lc.ModelNotFoundError):
    """Unknown model (1211) or endpoint."""


class GLMInvalidRequestError(E.InvalidRequestError, lc.ModelInvalidRequestError):
    """400 / 1210-1215."""


class GLMContextOverflowError(E.ContextOverflowError, lc.ContextOverflowError):
    """1261 or finish_reason model_context_window_exceeded."""


class GLMContentFilterError(E.ContentFilterError, lc.ModelInvalidRequestError):
    """1301 or finish_reason sensitive."""


class GLMRateLimitError(E.RateLimitError, lc.ModelRateLimitError):
    """429 with 1302/1303/1305/1312 (retried by the transport first)."""


class GLMQuotaExhaustedError(E.QuotaExhaustedError, lc.ModelRateLimitError):
    """429 with 1304/1308/1310/1313: waits for a reset, so not retryable."""


class GLMServerError(E.ServerError, lc.ModelAPIError):
    """5xx, 1234, finish_reason network_error."""


class GLMConnectionError(E.APIConnectionError, lc.ModelConnectionError):
    """Unreachable server or dropped connection."""


class GLMTimeoutError(E.APITimeoutError, lc.ModelTimeoutError):
    """Connect, read or total timeout."""


class GLMStreamInterruptedError(E.StreamInterruptedError, lc.ModelConnectionError):
    """The stream stopped before GLM said it was complete."""


class GLMToolChoiceError(E.ToolChoiceError, lc.ModelAPIError):
    """A required tool call is missing from GLM's reply; the reply is on ``.reply``.

    GLM only offers ``tool_choice="auto"``.
    """


class GLMInvalidToolCallError(E.InvalidToolCallError, lc.ModelAPIError):
    """A streamed tool call's arguments are not a JSON object; no tool is called."""


class GLMToolCallTruncatedError(E.ToolCallTruncatedError, lc.ModelAPIError):
    """``max_tokens`` cut the reply off inside a tool call; the reply is on ``.partial``."""


class GLMReasoningExhaustedError(E.ReasoningExhaustedError, lc.ModelAPIError):
    """``max_tokens`` ran out before any answer (thinking counts against it).

    A ``ModelAPIError``: ``with_fallbacks`` (whose default catches every exception) and code
    catching langchain-core's errors handle it; the reasoning is on ``.partial`` and the usage
    on ``.usage``.
    """


class GLMSearchMissingError(E.SearchMissingError, lc.ModelAPIError):
    """The request forced web search (``require_search``) and the reply carries no results."""


# Every LangChain class above, keyed by the transport class it extends. An error takes the class
# of its nearest transport ancestor (most specific first, by inheritance, as httpx maps errors).
_BY_BASE: dict[type[E.GLMError], type[E.GLMError]] = {
    cls.__mro__[1]: cls
    for cls in (
        GLMAPIError,
        GLMAuthenticationError,
        GLMPermissionDeniedError,
        GLMNotFoundError,
        GLMInvalidRequestError,
        GLMContextOverflowError,
        GLMContentFilterError,
        GLMRateLimitError,
        GLMQuotaExhaustedError,
        GLMServerError,
        GLMConnectionError,
        GLMTimeoutError,
        GLMStreamInterruptedError,
        GLMToolChoiceError,
        GLMInvalidToolCallError,
        GLMToolCallTruncatedError,
        GLMReasoningExhaustedError,
        GLMSearchMissingError,
    )
}


def to_langchain_error(err: E.GLMError) -> E.GLMError:
    """The same error as its LangChain-compatible class (validation errors stay ValueErrors)."""
    if isinstance(err, (lc.ModelError, E.GLMValidationError)):
        return err
    for base in type(err).__mro__:
        cls = _BY_BASE.get(base)
        if cls is not None:
            new = err.as_class(cls)
            new.__cause__ = err.__cause__
            return new
    return err


class _GLMErrors:
    """The context manager :func:`glm_errors` returns: one small object, no generator."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not isinstance(exc, E.GLMError):
            return
        converted = to_langchain_error(exc)
        if converted is exc:
            return
        raise converted from exc.__cause__


_GLM_ERRORS = _GLMErrors()  # holds no state: one instance serves every call, nested or not


def glm_errors() -> _GLMErrors:
    """Re-raise transport errors as their LangChain-compatible classes (a context manager)."""
    return _GLM_ERRORS
