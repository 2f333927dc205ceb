"""What each GLM model can do: the catalogue in ``data/models.json``, read once, lazily.

Nothing else in the package states a model fact. An entry's keys are :class:`ModelSpec`'s field
names. A maintainer refreshes the catalogue by editing the JSON (``scripts/refresh_models.py``
prints what models.dev says differently); a user adds a model at run time with
:func:`register_model`, which takes the same keys. A name that matches nothing is never refused:
it gets the newest generation's limits and a one-time warning naming the assumption.

``python -m glm_transport.models`` prints the catalogue as a table.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, replace
from importlib import resources
from typing import Any, Literal

from glm_transport.errors import GLMValidationError

__all__ = [
    "ModelSpec",
    "catalogue",
    "check_reasoning",
    "explain_rejection",
    "markdown_table",
    "model_spec",
    "register_model",
]

Thinking = Literal["always", "auto", "toggle", "none"]
Disabled = Literal["ok", "rejected", "disputed"]


@dataclass(frozen=True)
class ModelSpec:
    """One model's facts.

    Every field but ``name`` and ``known`` is a key of a ``data/models.json`` entry and a keyword
    of :func:`register_model`, under the same name. ``known`` is False for an assumed entry (a
    name not in the catalogue).
    """

    name: str
    context_window: int
    max_output_tokens: int
    inputs: frozenset[str] = frozenset({"text"})
    tool_calling: bool = True
    tool_stream: bool = False
    """Streams tool-call arguments in pieces with ``tool_stream=true``."""
    json_mode: bool = True
    thinking: Thinking = "toggle"
    disabled: Disabled = "ok"
    disabled_on: dict[str, Disabled] = field(default_factory=dict, compare=False)
    efforts: tuple[str, ...] | None = None
    """``reasoning_effort`` levels checked locally; ``None``: not documented, not checked."""
    efforts_on: dict[str, tuple[str, ...] | None] = field(default_factory=dict, compare=False)
    """Levels by provider where an endpoint validates others (the Coding Plan's glm-5.3)."""
    effort_default: str | None = None
    source: str = ""
    known: bool = True

    @property
    def image_input(self) -> bool:
        """Whether the model accepts images."""
        return "image" in self.inputs

    @property
    def video_input(self) -> bool:
        """Whether the model accepts video."""
        return "video" in self.inputs

    @property
    def pdf_input(self) -> bool:
        """Whether the model accepts PDF documents."""
        return "pdf" in self.inputs

    @property
    def reasoning(self) -> bool:
        """Whether the model can reason (``thinking`` is not ``"none"``)."""
        return self.thinking != "none"

    def disabled_for(self, provider: str) -> Disabled:
        """What ``thinking={"type": "disabled"}`` does on ``provider``."""
        return self.disabled_on.get(provider, self.disabled)

    def efforts_for(self, provider: str) -> tuple[str, ...] | None:
        """The ``reasoning_effort`` levels ``provider`` accepts for this model (``None``: unchecked)."""
        return self.efforts_on.get(provider, self.efforts) if self.efforts_on else self.efforts


# The keys of a data/models.json entry and of register_model: ModelSpec's fields but ``name``
# (the entry's key) and ``known`` (False only for an assumed entry, never stated).
_FACTS = tuple(f.name for f in fields(ModelSpec) if f.name not in ("name", "known"))
_REQUIRED = tuple(
    f.name
    for f in fields(ModelSpec)
    if f.name in _FACTS and f.default is MISSING and f.default_factory is MISSING
)


def _same(value: Any) -> Any:
    return value


def _efforts(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


# How a JSON value becomes the field's type; a field not named here is taken as it is.
_CONVERT: dict[str, Callable[[Any], Any]] = {
    "context_window": int,
    "max_output_tokens": int,
    "inputs": frozenset,
    "tool_calling": bool,
    "tool_stream": bool,
    "json_mode": bool,
    "disabled_on": dict,
    "efforts": _efforts,
    "efforts_on": lambda value: {k: _efforts(v) for k, v in dict(value).items()},
    "source": str,
}

# register_model's keywords before the catalogue spoke ModelSpec's field names.
_ALIASES = {
    "context": "context_window",
    "output": "max_output_tokens",
    "input": "inputs",
    "tools": "tool_calling",
}


def _facts(name: str, raw: dict[str, Any]) -> dict[str, Any]:
    """``raw``'s values converted to ModelSpec's field types.

    Args:
        name: The model the facts are about, for the error message.
        raw: Facts keyed by ModelSpec field name, as in ``data/models.json``.

    Returns:
        The same keys, each value converted (``inputs`` to a frozenset, ``efforts`` to a tuple
        ...).

    Raises:
        GLMValidationError: A key is not a ModelSpec field (or is ``name`` or ``known``).
    """
    for key in raw:
        if key not in _FACTS:
            raise GLMValidationError(
                f"{name}.{key}", raw[key], f"a key among the ModelSpec fields {', '.join(_FACTS)}"
            )
    return {key: _CONVERT.get(key, _same)(value) for key, value in raw.items()}


def _spec(name: str, raw: dict[str, Any]) -> ModelSpec:
    """One catalogue entry as a ModelSpec.

    Args:
        name: The model's name (the entry's key in ``data/models.json``).
        raw: The entry, keyed by ModelSpec field name.

    Returns:
        The model's facts, the dataclass defaults for what ``raw`` leaves out.

    Raises:
        GLMValidationError: A key is not a ModelSpec field, or a required one is missing.
    """
    facts = _facts(name, raw)
    for key in _REQUIRED:
        if key not in facts:
            required = " and ".join(_REQUIRED)
            raise GLMValidationError(f"{name}.{key}", None, f"a value ({required} are required)")
    return ModelSpec(name=name, **facts)


@functools.cache
def _loaded() -> dict[str, ModelSpec]:
    text = resources.files("glm_transport").joinpath("data/models.json").read_text("utf-8")
    return {name: _spec(name, raw) for name, raw in json.loads(text)["models"].items()}


_registered: dict[str, ModelSpec] = {}
# Unknown names warned about, once each. Bounded: a server taking model names from its users must
# not keep every one for good (20,000 names were 23.6 MiB), nor leave one warning text per name
# in the caller's ``__warningregistry__``. Past the bound, one last warning says so.
_WARNED_MAX = 256
_warned: set[str] = set()
# Names longer than this are neither cached nor remembered whole (a warned name is kept cut to it).
_NAME_KEPT = 200


def catalogue() -> dict[str, ModelSpec]:
    """Every known model, the packaged catalogue plus what :func:`register_model` added.

    Returns:
        ModelSpec by model name.
    """
    return {**_loaded(), **_registered}


def register_model(name: str, *, like: str | None = None, **facts: Any) -> ModelSpec:
    """Add or override a model at run time.

    ``register_model("glm-6", like="glm-5.3", context_window=2_000_000)``

    Args:
        name: The model's name (looked up lower case, like the catalogue's).
        like: A model whose facts the new one starts from (all but ``source``); without it,
            ``context_window`` and ``max_output_tokens`` are required.
        **facts: Facts keyed by ModelSpec field name, the keys of ``data/models.json``
            (``context_window``, ``max_output_tokens``, ``inputs``, ``thinking`` ...). The old
            names ``context``, ``output``, ``input`` and ``tools`` still work, with a
            DeprecationWarning.

    Returns:
        The registered ModelSpec, which :func:`model_spec` returns for ``name`` from now on.

    Raises:
        GLMValidationError: A key is not a ModelSpec field, a field is given twice (old and new
            name), or a required field is missing.
    """
    for old, new in _ALIASES.items():
        if old not in facts:
            continue
        if new in facts:
            raise GLMValidationError(old, facts[old], f"{new}= alone, not both {old}= and {new}=")
        warnings.warn(
            f"register_model({old}=...) is deprecated; use {new}=",
            DeprecationWarning,
            stacklevel=2,
        )
        facts[new] = facts.pop(old)
    raw = {"source": "registered at run time", **facts}
    if like:
        spec = replace(model_spec(like), name=name.lower(), known=True, **_facts(name, raw))
    else:
        spec = _spec(name.lower(), raw)
    _registered[spec.name] = spec
    return spec


def canonical_name(model: str) -> str:
    """``model`` as the catalogue spells it.

    Gateway and client spellings: ``zai/glm-5.3``, ``z-ai/GLM-5.3``, ``zhipu/glm-4.6``,
    ``glm-5.2[1m]`` (Coding Plan client configs, wire reference §8), ``:batch`` / ``@latest``
    suffixes.

    Args:
        model: A model name as a user or gateway spells it (``z-ai/GLM-5.3:batch``).

    Returns:
        The name lower case, without gateway prefix or tag (``glm-5.3``).
    """
    if len(model) > _NAME_KEPT:  # not cached: a cache must not keep a hostile or generated name
        return _canonical(model)
    return _canonical_cached(model)


@functools.lru_cache(maxsize=512)  # a process uses a handful of names, once per call each
def _canonical_cached(model: str) -> str:
    return _canonical(model)


def _canonical(model: str) -> str:
    r""":func:`canonical_name`, uncached.

    String scans, each linear, where regular expressions were: the tag pattern
    ``(\[[^\]]*\]|[:@].*)$`` backtracked quadratically (``'[' * 100_000`` took 5.7 s). The
    results are the patterns' own, to the letter: the prefix ``^.*/`` ends at the last ``/`` of
    the first line; the tag is a trailing ``[...]`` without ``]`` inside, or everything from the
    first ``:`` or ``@`` of the last line, whichever starts first.
    """
    name = model.strip().lower()
    first_line = name.find("\n")
    slash = name.rfind("/", 0, first_line if first_line >= 0 else len(name))
    if slash >= 0:
        name = name[slash + 1 :]
    cut = len(name)
    if name.endswith("]"):
        # The tag opens at the first "[" after the last "]" before the final one: the earliest
        # "[" with no "]" between it and the end.
        opened = name.find("[", name.rfind("]", 0, cut - 1) + 1, cut - 1)
        if opened >= 0:
            cut = opened
    last_line = name.rfind("\n") + 1  # ".*" stops at a line end, so the tag lies on the last line
    for mark in ":@":
        at = name.find(mark, last_line, cut)
        if at >= 0:
            cut = at
    return name[:cut]


def model_spec(model: str) -> ModelSpec:
    """The facts of ``model``.

    Dated or suffixed variants (``glm-4.6-0925``) take the longest known prefix; a name that
    matches nothing gets the newest generation's facts, with a one-time warning (pass
    ``profile=`` / ``context_window=`` or :func:`register_model` to fix); past 256 unknown
    names, no more warnings.

    Args:
        model: The model's name, in any spelling :func:`canonical_name` reads.

    Returns:
        The catalogued or registered ModelSpec, or an assumed one (``known`` False).
    """
    name = canonical_name(model)
    found = _registered.get(name) or _loaded().get(name)  # the per-call case: no merged copy
    if found is not None:
        return found
    specs = catalogue()
    best = max((k for k in specs if name.startswith(k + "-")), key=len, default=None)
    if best is not None:
        return specs[best]
    newest = _newest(specs)
    kept = model[:_NAME_KEPT]
    if kept not in _warned and len(_warned) < _WARNED_MAX:
        _warned.add(kept)
        shown = (
            repr(model) if len(model) <= _NAME_KEPT else f"{kept!r}... ({len(model):,} characters)"
        )
        last = (
            f" This is the last such warning: {_WARNED_MAX} unknown names were reported."
            if len(_warned) == _WARNED_MAX
            else ""
        )
        warnings.warn(
            f"GLM model {shown} is not in the catalogue; assuming {newest.name}'s limits "
            f"({newest.context_window:,} context, {newest.max_output_tokens:,} output) and "
            "checking no thinking or reasoning_effort rule. Override with profile= (LangChain), "
            f"context_window= (LlamaIndex) or glm_transport.models.register_model().{last}",
            UserWarning,
            stacklevel=2,
        )
    return replace(
        newest,
        name=name,
        thinking="toggle",
        disabled="ok",
        disabled_on={},
        efforts=None,
        efforts_on={},
        effort_default=None,
        source=f"assumed: the limits of {newest.name}",
        known=False,
    )


def _newest(specs: dict[str, ModelSpec]) -> ModelSpec:
    """The newest flagship: the highest version among the plain text models."""

    def version(name: str) -> tuple[int, ...]:
        found = re.fullmatch(r"glm-(\d+)(?:\.(\d+))?", name)
        return tuple(int(g) for g in found.groups() if g) if found else ()

    return specs[max(specs, key=version)]


# The reasoning_effort levels GLM knows, least thinking first (the Coding Plan's enum, wire
# reference §9.3).
EFFORT_ORDER = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


def nearest_effort(spec: ModelSpec, provider: str, effort: str) -> str:
    """The level ``spec`` takes on ``provider`` nearest to ``effort`` (a tie goes up).

    ``medium`` on glm-5.3 (low, high, max) is ``high``, ``xhigh`` is ``max``, ``minimal`` is
    ``low``: as GLM-5.2's guide maps them. A level the model takes, an unknown level or a model
    whose levels are not known is returned as it is.
    """
    levels = spec.efforts_for(provider)
    if levels is None or effort in levels or effort not in EFFORT_ORDER:
        return effort
    known = [level for level in levels if level in EFFORT_ORDER]
    if not known:
        return effort
    at = EFFORT_ORDER.index(effort)
    return min(
        known, key=lambda level: (abs(EFFORT_ORDER.index(level) - at), -EFFORT_ORDER.index(level))
    )


def check_reasoning(
    spec: ModelSpec, provider: str, thinking: dict[str, Any] | None, effort: Any
) -> None:
    """Refuse, before sending, what the model is documented to reject.

    Args:
        spec: The model's facts.
        provider: The provider the request goes to (``disabled_on`` is per provider).
        thinking: The request's ``thinking`` parameter, if any.
        effort: The request's ``reasoning_effort``, if any.

    Raises:
        GLMValidationError: ``effort`` is not a string or not one of the model's levels, or
            ``thinking`` is disabled where the model rejects that.
    """
    if effort is not None:
        if not isinstance(effort, str):
            raise GLMValidationError("reasoning_effort", effort, "a string such as 'high'")
        levels = spec.efforts_for(provider)
        if levels is not None and effort not in levels:
            raise GLMValidationError(
                "reasoning_effort", effort, f"{', '.join(levels)} on {spec.name} ({provider})"
            )
    disabled = thinking is not None and thinking.get("type") == "disabled"
    if disabled and spec.disabled_for(provider) == "rejected":
        lowest = spec.efforts[0] if spec.efforts else None
        hint = f"; use reasoning_effort={lowest!r} for the least thinking" if lowest else ""
        raise GLMValidationError(
            "thinking",
            thinking,
            f"enabled only: {spec.name} always thinks and cannot turn it off{hint}",
        )


def explain_rejection(err: Any, model: str, thinking: dict[str, Any] | None) -> None:
    """Say what happened when GLM refuses ``thinking: disabled``.

    GLM answers ``thinking: disabled`` on an always-thinking model with a bare 400/1210; where we
    sent it (sources disagree for the model), the error's message is rewritten in place.

    Args:
        err: The API error (with ``code`` and ``message``).
        model: The model the request named.
        thinking: The request's ``thinking`` parameter, if any.
    """
    if err.code != "1210" or not thinking or thinking.get("type") != "disabled":
        return
    spec = model_spec(model)
    lowest = f" (lowest reasoning_effort: {spec.efforts[0]!r})" if spec.efforts else ""
    err.message = (
        f"Thinking cannot be disabled on {model}{lowest}; send thinking enabled or leave it "
        f"unset. GLM said: {err.message}"
    )
    err.args = (err.message,)


def markdown_table() -> str:
    """The packaged catalogue as a Markdown table.

    Returns:
        The README's model table, verbatim.
    """
    rows = [
        "| model | context | output | input | tools | thinking | reasoning_effort |",
        "|---|---|---|---|---|---|---|",
    ]
    for spec in _loaded().values():
        efforts = ", ".join(spec.efforts) if spec.efforts else "-"
        if spec.effort_default:
            efforts += f" (default {spec.effort_default})"
        others = {", ".join(v) if v else "-" for v in spec.efforts_on.values()}
        if others:  # the Coding Plan presets share their levels
            efforts += f"; Coding Plan: {', '.join(sorted(others))}"
        thinking: str = spec.thinking
        if spec.disabled == "rejected":
            on = set(spec.disabled_on.values())
            thinking += " (can't be disabled" + (
                ", except on the Coding Plan)"
                if on == {"ok"}
                else "; sent on the Coding Plan, where it is unconfirmed)"
                if "disputed" in on
                else ")"
            )
        inputs = ", ".join(sorted(spec.inputs, key=["text", "image", "video", "pdf"].index))
        rows.append(
            f"| {spec.name} | {spec.context_window:,} | {spec.max_output_tokens:,} | {inputs} | "
            f"{'yes' if spec.tool_calling else 'no'} | {thinking} | {efforts} |"
        )
    return "\n".join(rows)
