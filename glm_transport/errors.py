"""Typed errors for every way a GLM call can fail.

Every error carries the HTTP ``status`` (``None`` when no response came back), GLM's business
``code`` (a string on the wire, e.g. ``"1302"``), the upstream ``message``, the ``request_id`` GLM
assigned, whether the condition is ``retryable``, and how many ``attempts`` were made::

    GLMError
    ├── GLMValidationError (ValueError)   bad input caught before any request is sent
    ├── APIError                          GLM answered with an error
    │   ├── AuthenticationError           401, codes 1000-1004
    │   ├── PermissionDeniedError         403/434, balance 1113, account 1110-1121, plan 1309/1311
    │   ├── NotFoundError                 404, model does not exist (1211)
    │   ├── InvalidRequestError           400, codes 1210-1215 and other rejections
    │   │   ├── ContextOverflowError      1261, finish_reason model_context_window_exceeded
    │   │   └── ContentFilterError        1301, finish_reason sensitive
    │   ├── RateLimitError                429 transient: 1302, 1303, 1305, 1312
    │   │   └── QuotaExhaustedError       429 until a reset: 1304, 1308, 1310, 1313 (not retried)
    │   ├── ServerError                   5xx (501 not retried), 1234, finish_reason network_error
    │   ├── ToolChoiceError               a required tool call is missing from the reply
    │   └── InvalidToolCallError          a streamed call's arguments are not a JSON object
    │       └── ToolCallTruncatedError    max_tokens cut the reply inside a tool call
    ├── APIConnectionError                the server could not be reached or dropped the connection
    │   └── APITimeoutError               connect/read/total timeout
    └── StreamInterruptedError            a stream ended without [DONE] or a finish reason,
                                          or carried a frame that cannot be decoded

The facts behind the tree (which code or status maps to which class, which are retried, which
finish reasons are errors) are the tables at the end of this module; :func:`classify` reads them.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "ContentFilterError",
    "ContextOverflowError",
    "GLMError",
    "GLMValidationError",
    "InvalidRequestError",
    "InvalidToolCallError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuotaExhaustedError",
    "RateLimitError",
    "ReasoningExhaustedError",
    "SearchMissingError",
    "ServerError",
    "StreamInterruptedError",
    "ToolCallTruncatedError",
    "ToolChoiceError",
    "classify",
    "finish_error",
]


class GLMError(Exception):
    """Base class of every error raised by glm-integrations."""

    retryable: bool = False
    retry_after: float | None = None
    """Seconds the server asked us to wait (``Retry-After``), when it said."""
    partial: Any = None
    """What had arrived before an abnormal finish (a reply or ``None``)."""
    reply: Any = None
    """The reply that broke a requirement (:class:`ToolChoiceError`)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        body: Any = None,
        retryable: bool | None = None,
        attempts: int = 1,
        retry_after: float | None = None,
        partial: Any = None,
        reply: Any = None,
    ) -> None:
        """Record the message and fields; ``None`` keeps a field's class default, if it has one."""
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.body = body
        if retryable is not None:
            self.retryable = retryable
        # langchain-core's ModelError spells it is_retryable; keep both true to the instance.
        self.is_retryable = self.retryable
        self.attempts = attempts
        if retry_after is not None:
            self.retry_after = retry_after
        if partial is not None:
            self.partial = partial
        if reply is not None:
            self.reply = reply

    def __str__(self) -> str:
        """The message, then the HTTP status, code and request id when known."""
        parts = []
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code is not None:
            parts.append(f"code {self.code}")
        if self.request_id:
            parts.append(f"request_id {self.request_id}")
        if self.attempts > 1:
            parts.append(f"after {self.attempts} attempts")
        return f"{self.message} ({', '.join(parts)})" if parts else self.message

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with the structured fields kept (multiprocessing, caches)."""
        return (_rebuild, (type(self), self.message, self.__dict__))

    def as_class(self, cls: type[GLMError]) -> GLMError:
        """Return a copy of this error as an instance of ``cls`` (a subclass of this class's base)."""
        new = cls.__new__(cls)
        Exception.__init__(new, self.message)
        new.__dict__.update(self.__dict__)
        return new


def _rebuild(cls: type[GLMError], message: str, state: dict[str, Any]) -> GLMError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class GLMValidationError(GLMError, ValueError):
    """A request parameter violates the provider's documented limits; nothing was sent."""

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        """Name the ``field``, its ``value`` (shortened when long) and what is ``allowed``."""
        shown = repr(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(f"Invalid `{field}`: got {shown}; allowed: {allowed}.")
        self.field = field
        self.value = value
        self.allowed = allowed


class APIError(GLMError):
    """GLM answered with an error status, an error frame, or an abnormal finish reason."""


class AuthenticationError(APIError):
    """The key is missing, invalid or expired (HTTP 401, codes 1000-1004)."""


class PermissionDeniedError(APIError):
    """The key may not do this: no permission, balance exhausted (1113), account state, plan."""


class NotFoundError(APIError):
    """The model or endpoint does not exist (HTTP 404, code 1211)."""


class InvalidRequestError(APIError):
    """GLM rejected the request as invalid (HTTP 400, codes 1210-1215 ...)."""


class ContextOverflowError(InvalidRequestError):
    """The prompt exceeds the model's context window (1261, model_context_window_exceeded)."""


class ContentFilterError(InvalidRequestError):
    """Content safety blocked the input or the output (1301, finish_reason ``sensitive``)."""


class RateLimitError(APIError):
    """Too many requests for now (HTTP 429 with 1302/1303/1305/1312); retried with backoff."""

    retryable = True


class QuotaExhaustedError(RateLimitError):
    """A daily, weekly, monthly or plan quota is used up (1304/1308/1310/1313); not retried."""

    retryable = False


class ServerError(APIError):
    """GLM failed on its side (5xx, code 500/1234, finish_reason ``network_error``)."""

    retryable = True


class ToolChoiceError(APIError):
    """``tool_choice`` required a tool call and GLM answered without one.

    GLM only offers ``auto``. The reply is on ``.reply``.
    """


class InvalidToolCallError(APIError):
    """A tool call whose arguments cannot be used (not a JSON object); no tool is called."""


class ToolCallTruncatedError(InvalidToolCallError):
    """``max_tokens`` cut GLM's reply off inside a tool call (``finish_reason: "length"``).

    The arguments are incomplete, so the call is not handed to a tool. The reply is on ``.partial``.
    """


class ReasoningExhaustedError(APIError):
    """``max_tokens`` ran out before GLM answered: ``finish_reason: "length"``, no content, no call.

    Thinking counts against ``max_tokens``, and GLM-5.2/5.3 think at ``max`` effort by default,
    so the budget can end inside the reasoning. The reasoning already sent is on ``.partial``
    (a whole reply; a stream has handed it out as chunks) and the usage on ``.usage``. Not retried:
    the same request spends the same budget. Pass ``empty_answer="return"`` to get the empty
    answer instead.
    """

    usage: Any = None


class SearchMissingError(APIError):
    """The request forced web search (``require_search``) and GLM's reply carries no results.

    A key without balance gets HTTP 200, no ``web_search`` results and an answer from the model's
    own knowledge (``shared/reference/glm-platform.md``, Web search). The reply is on ``.reply``.
    Not retried: the same request meets the same account.
    """


class APIConnectionError(GLMError):
    """The server could not be reached, or it dropped the connection."""

    retryable = True


class APITimeoutError(APIConnectionError):
    """The request exceeded its connect, read or total timeout."""


class StreamInterruptedError(GLMError):
    """A stream stopped before GLM said it was complete; the partial answer is not returned."""

    retryable = True


# ---- the facts: which class, and whether to retry ------------------------------------------
# GLM business code -> error class (wire reference §4; docs.z.ai/api-reference/api-code). The code
# decides; the HTTP status is the fallback. Retryability is the class's ``retryable`` attribute.
CODE_ERRORS: dict[str, type[APIError]] = {
    **dict.fromkeys(("1000", "1001", "1002", "1003", "1004"), AuthenticationError),
    **dict.fromkeys(
        ("1110", "1111", "1112", "1113", "1120", "1121", "1220", "1221", "1222", "1300"),
        PermissionDeniedError,
    ),
    **dict.fromkeys(("1309", "1311"), PermissionDeniedError),  # plan expired / not in plan
    "1211": NotFoundError,
    **dict.fromkeys(("1200", "1210", "1212", "1213", "1214", "1215", "1231"), InvalidRequestError),
    "1261": ContextOverflowError,
    "1301": ContentFilterError,
    **dict.fromkeys(("1302", "1303", "1305", "1312"), RateLimitError),
    **dict.fromkeys(("1304", "1308", "1310", "1313"), QuotaExhaustedError),
    **dict.fromkeys(("500", "1230", "1234"), ServerError),
    # Web search (platform reference §2, BigModel): 1701 search concurrency limit; 1702 no search
    # engine service available; 1703 the engine returned no valid data.
    "1701": RateLimitError,
    **dict.fromkeys(("1702", "1703"), ServerError),
}

STATUS_ERRORS: dict[int, type[APIError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: InvalidRequestError,
    422: InvalidRequestError,
    429: RateLimitError,
    434: PermissionDeniedError,
    435: InvalidRequestError,
}

# Statuses whose retryability overrides the class's (OpenAI/Anthropic SDK convention for 408/409;
# 501 Not Implemented will not change on a second try).
STATUS_RETRYABLE: dict[int, bool] = {408: True, 409: True, 501: False}


def classify(
    status: int | None, code: str | None, error_style: str = "glm"
) -> tuple[type[APIError], bool | None]:
    """The error class for an HTTP status and GLM business code, and a retryability override.

    The override is ``None`` to keep the class's own.
    """
    cls: type[APIError] | None = CODE_ERRORS.get(code) if code else None
    if cls is None and code and error_style == "openai":
        # OpenAI-style gateways use string codes such as "content_policy_violation".
        low = code.lower()
        if "policy" in low or "content_filter" in low or "sensitive" in low:
            cls = ContentFilterError
    if cls is None and status is not None:
        cls = STATUS_ERRORS.get(status)
        if cls is None and status >= 500:
            cls = ServerError
    return cls or APIError, STATUS_RETRYABLE.get(status) if status is not None else None


# finish_reason values that make a reply an error (ZAI-OAS; wire reference §2).
FINISH_ERRORS: dict[str, tuple[type[APIError], str]] = {
    "sensitive": (
        ContentFilterError,
        "GLM stopped the reply: content safety (finish_reason 'sensitive'); the partial output "
        "is on the error's `partial`",
    ),
    "network_error": (
        ServerError,
        "GLM stopped the reply: inference failed upstream (finish_reason 'network_error')",
    ),
    "model_context_window_exceeded": (
        ContextOverflowError,
        "GLM stopped the reply: the context window is full "
        "(finish_reason 'model_context_window_exceeded')",
    ),
}


def finish_error(finish_reason: str, request_id: str | None, partial: Any) -> APIError | None:
    """The typed error for an abnormal ``finish_reason``, or ``None`` for a normal one."""
    found = FINISH_ERRORS.get(finish_reason)
    if found is None:
        return None
    cls, message = found
    return cls(message, code=finish_reason, request_id=request_id, partial=partial)
