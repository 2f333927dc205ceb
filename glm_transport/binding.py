"""A framework model's link to the transport: settings and clients that follow its fields.

Models are copied (``model_copy(update=...)``, ``deepcopy``), pickled (Ray, Dask, multiprocessing,
LangGraph checkpoints) and changed by assignment. A :class:`Binding` therefore derives the
settings from the model's fields when they change instead of freezing them at construction, and
copies or pickles as an empty binding: never a live client, a lock or a socket.
:class:`KeyedModel` keeps the ``api_key`` field a ``SecretStr`` on the routes pydantic does not
validate, and gives each copy its own binding.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import ConfigDict, SecretStr
from typing_extensions import Self

from glm_transport._client import AsyncGLMClient, GLMClient
from glm_transport.config import GLMSettings, settings_of
from glm_transport.errors import GLMValidationError

if TYPE_CHECKING:
    from pydantic import BaseModel as _ModelBase
else:
    _ModelBase = object  # a plain mixin at run time; typed as the pydantic model it goes on

__all__ = [
    "SETTINGS_FIELDS",
    "Binding",
    "KeyedModel",
    "binding_of",
    "copy_memo",
    "portable_state",
    "private",
    "secret_key",
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
_HEADERS = SETTINGS_FIELDS.index("default_headers")


def _snapshot(key: tuple[Any, ...]) -> tuple[Any, ...]:
    """``key`` as cached: the headers dict copied, so a change made to it in place is seen.

    Unchanged, the copy compares equal to the model's dict (a few entries: well under a
    microsecond); without headers the comparison stays an identity check.
    """
    headers = key[_HEADERS]
    if not headers:
        return key
    return (*key[:_HEADERS], dict(headers), *key[_HEADERS + 1 :])


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
            cached = self._settings = (_snapshot(key), settings_of(model))
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


def secret_key(value: Any) -> SecretStr | None:
    """``value`` as the ``api_key`` field holds it: a ``SecretStr``, or ``None``.

    The key is checked (whitespace, characters) where settings are resolved, before any request.

    Raises:
        GLMValidationError: ``value`` is neither a ``str``, a ``SecretStr`` nor ``None`` (the value
            is not shown).
    """
    if value is None or isinstance(value, SecretStr):
        return value
    if isinstance(value, str):
        return SecretStr(value)
    raise GLMValidationError("api_key", f"<{type(value).__name__}>", "a str, a SecretStr or None")


class KeyedModel(_ModelBase):
    """Mixin for the framework models: ``api_key`` stays a ``SecretStr``, copies are unbound.

    Pydantic validates fields at construction only. ``model.api_key = "sk-..."`` (no
    ``validate_assignment``) and ``model_copy(update={"api_key": "sk-..."})`` (documented: no
    validation) would store a plain ``str``, which ``repr`` and ``model_dump`` show and
    ``model_dump_json`` cannot serialise. ``validate_assignment`` would re-run every validator on
    every assignment and still miss ``model_copy``; this converts the one field on both routes.

    A copy also gets a fresh :class:`Binding` (pydantic copies private attributes shallowly, so
    the copy would share the original's): it builds settings and clients from its own fields.

    Its ``model_config`` hides inputs in validation errors: a setting refused at construction
    would otherwise be reported with every argument given, the key and a URL's password among
    them (pydantic shows ``input_value`` with only the middle cut out).

    List it before the pydantic base: ``class ChatGLM(KeyedModel, BaseChatModel)``.
    """

    __slots__ = ()

    # Pydantic merges the model_config of every base, plain mixins included, into the model's.
    model_config: ClassVar[ConfigDict] = ConfigDict(hide_input_in_errors=True)

    if TYPE_CHECKING:  # the models' own __init__ take their fields; this adds none

        def __init__(self, **data: Any) -> None:
            """The fields, as the model's own ``__init__`` takes them."""

    def __setattr__(self, name: str, value: Any) -> None:
        """Set a field; ``api_key`` is stored as a ``SecretStr``."""
        if name == "api_key":
            value = secret_key(value)
        super().__setattr__(name, value)

    def __copy__(self) -> Self:
        """A shallow copy with a fresh binding (``copy.copy``, and ``model_copy`` under it)."""
        copied = super().__copy__()
        store = copied.__pydantic_private__
        if store is not None and "_binding" in store:
            store["_binding"] = Binding()
        return copied

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied, ``api_key`` stored as a ``SecretStr``.

        Args:
            update: Field values to change in the copy (not validated, as in pydantic, except
                ``api_key``; settings are checked before the copy's first request).
            deep: Deep-copy the other fields; the user's HTTP clients are shared, not cloned.
        """
        if update and "api_key" in update:
            update = {**update, "api_key": secret_key(update["api_key"])}
        if deep and update:
            # Pydantic deep-copies the other fields itself on this route, past the model's
            # __deepcopy__ that shares the HTTP clients (cloning one fails): go through it.
            return copy.deepcopy(self).model_copy(update=update)
        return super().model_copy(update=update, deep=deep)


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
