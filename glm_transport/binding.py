"""A framework model's link to the transport: settings and clients that follow its fields.

Models are copied (``model_copy(update=...)``, ``deepcopy``), pickled (Ray, Dask, multiprocessing,
LangGraph checkpoints) and changed by assignment. A :class:`Binding` therefore derives the
settings from the model's fields when they change instead of freezing them at construction, and
copies or pickles as an empty binding: never a live client, a lock or a socket.
"""

from __future__ import annotations

from typing import Any

from glm_transport._client import AsyncGLMClient, GLMClient
from glm_transport.config import GLMSettings, settings_of

__all__ = ["SETTINGS_FIELDS", "Binding", "portable_state"]

# The model fields the settings come from (ChatGLM and GLM share these names).
SETTINGS_FIELDS = (
    "provider",
    "base_url",
    "api_key",
    "timeout",
    "max_retries",
    "default_headers",
    "total_timeout",
)


class Binding:
    """Settings and clients of one model, rebuilt whenever the fields they come from change."""

    __slots__ = ("_async", "_key", "_settings", "_sync")

    def __init__(self) -> None:
        self._key: tuple[Any, ...] | None = None
        self._settings: GLMSettings | None = None
        self._sync: GLMClient | None = None
        self._async: AsyncGLMClient | None = None

    def settings(self, model: Any) -> GLMSettings:
        key = tuple(getattr(model, name) for name in SETTINGS_FIELDS)
        settings = self._settings
        if settings is None or key != self._key:
            settings = self._settings = settings_of(model)
            self._key = key
        return settings

    def sync(self, model: Any, http_client: Any = None) -> GLMClient:
        settings = self.settings(model)
        client = self._sync
        if client is None or client.settings is not settings or client._given is not http_client:
            client = self._sync = GLMClient(settings, http_client)
        return client

    def async_(self, model: Any, http_client: Any = None) -> AsyncGLMClient:
        settings = self.settings(model)
        client = self._async
        if client is None or client.settings is not settings or client._given is not http_client:
            client = self._async = AsyncGLMClient(settings, http_client)
        return client

    def __deepcopy__(self, memo: dict[int, Any]) -> Binding:
        return Binding()

    def __copy__(self) -> Binding:
        return Binding()

    def __reduce__(self) -> tuple[Any, ...]:
        return (Binding, ())


def portable_state(
    fields: dict[str, Any], live: tuple[str, ...], *, keep_key: bool
) -> dict[str, Any]:
    """A model's field values fit for a pickle: no live clients (``live`` fields), and no API
    key unless the user asked for it (the unpickled model reads it from the environment)."""
    out = dict(fields)
    for name in live:
        if out.get(name) is not None:
            out[name] = None
    if not keep_key:
        out["api_key"] = None
    return out
