"""The connection fields every LangChain class here shares except ``ChatGLM``.

``ChatGLM`` documents each in its own reference. The fields: provider, URL, key, timeouts, retries,
headers, HTTP clients.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator
from typing_extensions import Self

from glm_transport import DEFAULT_MAX_RETRIES, AsyncGLMClient, GLMClient
from glm_transport.binding import Binding, KeyedModel, binding_of, copy_memo, portable_state

__all__ = ["GLMConnection"]

_LIVE_FIELDS = ("http_client", "http_async_client")


class GLMConnection(KeyedModel, BaseModel):
    """How a class reaches GLM; settings are validated at construction and follow the fields."""

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    provider: str | None = None
    """Provider preset (``zai``, ``bigmodel``, ...); default ``zai`` or ``GLM_PROVIDER``."""
    base_url: str | None = Field(default=None, alias="api_base")
    """Base URL; replaces only the preset's URL."""
    api_key: SecretStr | None = Field(default=None, alias="glm_api_key")
    """API key; resolved from the environment when not given."""
    timeout: float | tuple[float | None, float | None] | httpx.Timeout | None = None
    """Request timeout."""
    total_timeout: float | None = None
    """Wall-clock budget in seconds for one call, retries included."""
    max_retries: int = DEFAULT_MAX_RETRIES
    """Retries of transient failures; 0 disables."""
    default_headers: dict[str, str] | None = None
    """Headers sent with every request."""
    http_client: Any | None = Field(default=None, exclude=True)
    """Your own ``httpx.Client`` for sync calls."""
    http_async_client: Any | None = Field(default=None, exclude=True)
    """Your own ``httpx.AsyncClient`` for async calls."""
    pickle_api_key: bool = Field(default=False, exclude=True)
    """Keep the key in pickles (off: a pickle carries no key)."""

    _binding: Binding = PrivateAttr(default_factory=Binding)

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        self.api_key = binding_of(self).settings(self).api_key  # validates every setting now
        return self

    def __getstate__(self) -> dict[Any, Any]:
        return portable_state(
            super().__getstate__(), live=_LIVE_FIELDS, keep_key=self.pickle_api_key
        )

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        """A deep copy that shares your HTTP clients rather than cloning them."""
        clients = (getattr(self, name) for name in _LIVE_FIELDS)
        return super().__deepcopy__(copy_memo(memo, clients))

    def _sync_client(self) -> GLMClient:
        return binding_of(self).sync(self, self.http_client)

    def _async_client(self) -> AsyncGLMClient:
        return binding_of(self).async_(self, self.http_async_client)
