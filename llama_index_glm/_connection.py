"""The connection fields ``GLMEmbedding`` and ``GLMRerank`` share.

``GLM`` documents each in its own reference. The fields: provider, URL, key, timeouts, retries,
headers, and the user's HTTP clients.
"""

from __future__ import annotations

from typing import Any

import httpx
from llama_index.core.bridge.pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    SecretStr,
    model_validator,
)

from glm_transport import DEFAULT_MAX_RETRIES, AsyncGLMClient, GLMClient
from glm_transport.binding import (
    Binding,
    KeyedModel,
    binding_of,
    copy_memo,
    portable_state,
    private,
)

__all__ = ["GLMConnection"]

# Private attributes holding the user's HTTP clients: never pickled.
_LIVE_PRIVATE = ("_http_client", "_async_http_client")


class GLMConnection(KeyedModel, BaseModel):
    """How a component reaches GLM.

    Settings are validated at construction and follow the fields. ``api_base``, ``http_client`` and
    ``async_http_client`` are taken by ``__init__``.
    """

    provider: str | None = Field(default=None, description="Provider preset (default 'zai').")
    base_url: str | None = Field(default=None, description="Base URL; also accepted as api_base.")
    api_key: SecretStr | None = Field(default=None, exclude=True, description="API key.")
    timeout: float | tuple[float | None, float | None] | None = Field(default=None)
    total_timeout: float | None = Field(default=None)
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES)
    default_headers: dict[str, str] | None = Field(default=None)
    pickle_api_key: bool = Field(default=False, exclude=True)

    _binding: Binding = PrivateAttr(default_factory=Binding)
    _http_client: httpx.Client | None = PrivateAttr(default=None)
    _async_http_client: httpx.AsyncClient | None = PrivateAttr(default=None)

    def __init__(
        self,
        *,
        api_base: str | None = None,
        http_client: Any = None,
        async_http_client: Any = None,
        **kwargs: Any,
    ) -> None:
        if api_base is not None and kwargs.get("base_url") is None:
            kwargs["base_url"] = api_base
        super().__init__(**kwargs)
        self._http_client = http_client
        self._async_http_client = async_http_client

    @model_validator(mode="after")
    def _resolve(self) -> Any:
        self.api_key = binding_of(self).settings(self).api_key  # validates every setting now
        return self

    def __getstate__(self) -> dict[Any, Any]:
        return portable_state(
            super().__getstate__(), live_private=_LIVE_PRIVATE, keep_key=self.pickle_api_key
        )

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
        """A deep copy that shares your HTTP clients rather than cloning them."""
        clients = (self._http_client, self._async_http_client)
        return super().__deepcopy__(copy_memo(memo, clients))

    def _sync_client(self) -> GLMClient:
        return binding_of(self).sync(self, private(self, "_http_client"))

    def _async_client(self) -> AsyncGLMClient:
        return binding_of(self).async_(self, private(self, "_async_http_client"))
