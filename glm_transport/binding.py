"""A framework model's link to the transport: settings and clients that follow its fields.

Models are copied (``model_copy(update=...)``, ``deepcopy``), pickled (Ray, Dask, multiprocessing,
LangGraph checkpoints) and changed by assignment. A :class:`Binding` therefore derives the
settings from the model's fields when they change instead of freezing them at construction, and
copies or pickles as an empty binding: never a live client, a lock or a socket.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter
from typing import Any

from glm_transport._client import AsyncGLMClient, GLMClient
from glm_transport.config import GLMSettings, settings_of

__all__ = [
    "SETTINGS_FIELDS",
    "Binding",
    "binding_of",
    "copy_memo",
    "portable_state",
    "private",
]

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
_settings_key = attrgetter(*SETTINGS_FIELDS)  # one C call per request, not a generator


class Binding:
    """Settings and clients of one model, rebuilt whenever the fields they come from change.

    Each cache is one tuple swapped whole, so models sharing a binding (``model_copy`` copies
    private attributes shallowly) from several threads never see each other's settings.
    """

    __slots__ = ("_async", "_settings", "_sync")

    def __init__(self) -> None:
        """Start with nothing cached: settings and clients are built on first use."""
        self._settings: tuple[tuple[Any, ...], GLMSettings] | None = None
        self._sync: tuple[GLMSettings, Any, GLMClient] | None = None
        self._async: tuple[GLMSettings, Any, AsyncGLMClient] | None = None

    def settings(self, model: Any) -> GLMSettings:
        """The model's settings, rebuilt only when a field they come from changed."""
        key = _settings_key(model)
        cached = self._settings
        # Tuples compare element by element, identity first: unchanged fields cost nothing.
        if cached is None or cached[0] != key:
            cached = self._settings = (key, settings_of(model))
        return cached[1]

    def sync(self, model: Any, http_client: Any = None) -> GLMClient:
        """The sync client of the model's settings and ``http_client``, rebuilt on change."""
        settings = self.settings(model)
        cached = self._sync
        if cached is None or cached[0] is not settings or cached[1] is not http_client:
            cached = self._sync = (settings, http_client, GLMClient(settings, http_client))
        return cached[2]

    def async_(self, model: Any, http_client: Any = None) -> AsyncGLMClient:
        """The async client of the model's settings and ``http_client``, rebuilt on change."""
        settings = self.settings(model)
        cached = self._async
        if cached is None or cached[0] is not settings or cached[1] is not http_client:
            cached = self._async = (settings, http_client, AsyncGLMClient(settings, http_client))
        return cached[2]

    def __deepcopy__(self, memo: dict[int, Any]) -> Binding:
        """A fresh, empty binding: a deep copy builds its own settings and clients."""
        return Binding()

    def __copy__(self) -> Binding:
        """A fresh, empty binding, as for a deep copy."""
        return Binding()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as a fresh, empty binding: cached clients never travel."""
        return (Binding, ())


def private(model: Any, name: str) -> Any:
    """A pydantic private attribute of ``model``, read from pydantic's private store.

    ``model._name`` reaches ``BaseModel.__getattr__`` only after a failed lookup (about 2 µs, and a
    model call reads several: a fifth of the per-call cost above the wire); this is one dict read.
    """
    store = model.__pydantic_private__
    if store is not None and name in store:
        return store[name]
    return getattr(model, name)


def binding_of(model: Any) -> Binding:
    """The :class:`Binding` a model keeps in its ``_binding`` private attribute."""
    binding: Binding = private(model, "_binding")
    return binding


def portable_state(
    state: dict[Any, Any],
    *,
    live: tuple[str, ...] = (),
    live_private: tuple[str, ...] = (),
    keep_key: bool,
) -> dict[Any, Any]:
    """A pydantic model's pickle state (``__getstate__``), fit to travel.

    No live clients (``live`` fields, ``live_private`` private attributes), and no API key unless
    the user asked for it (the unpickled model reads it from the environment).
    """
    out = dict(state)
    fields = dict(out.get("__dict__") or {})
    for name in live:
        if fields.get(name) is not None:
            fields[name] = None
    if not keep_key:
        fields["api_key"] = None
    out["__dict__"] = fields
    if live_private:
        private = dict(out.get("__pydantic_private__") or {})
        private.update(dict.fromkeys(live_private))
        out["__pydantic_private__"] = private
    return out


def copy_memo(memo: dict[int, Any] | None, clients: Iterable[Any]) -> dict[int, Any]:
    """A ``deepcopy`` memo under which a copy shares the user's HTTP ``clients``.

    A client holds locks and sockets: cloning one fails (``cannot pickle '_thread.RLock'``), and
    a copy of a model is meant to talk through the same client anyway.
    """
    memo = {} if memo is None else memo
    for client in clients:
        if client is not None:
            memo[id(client)] = client
    return memo
