"""What each GLM model can do: the catalogue in ``data/models.json``, read once, lazily.

Nothing else in the package states a model fact. A maintainer refreshes the catalogue by editing
the JSON (``scripts/refresh_models.py`` prints what models.dev says differently); a user adds a
model at run time with :func:`register_model`. A name that matches nothing is never refused: it
gets the newest generation's limits and a one-time warning naming the assumption.

``python -m glm_transport.models`` prints the catalogue as a table.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from dataclasses import dataclass, field, replace
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
    """One model's facts. ``known`` is False for an assumed entry (a name not in the catalogue)."""

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
    effort_default: str | None = None
    source: str = ""
    known: bool = True

    @property
    def image_input(self) -> bool:
        return "image" in self.inputs

    @property
    def video_input(self) -> bool:
        return "video" in self.inputs

    @property
    def pdf_input(self) -> bool:
        return "pdf" in self.inputs

    @property
    def reasoning(self) -> bool:
        return self.thinking != "none"

    def disabled_for(self, provider: str) -> Disabled:
        """What ``thinking={"type": "disabled"}`` does on ``provider``."""
        return self.disabled_on.get(provider, self.disabled)


def _spec(name: str, raw: dict[str, Any]) -> ModelSpec:
    efforts = raw.get("efforts")
    return ModelSpec(
        name=name,
        context_window=int(raw["context"]),
        max_output_tokens=int(raw["output"]),
        inputs=frozenset(raw.get("input", ["text"])),
        tool_calling=bool(raw.get("tools", True)),
        tool_stream=bool(raw.get("tool_stream", False)),
        json_mode=bool(raw.get("json_mode", True)),
        thinking=raw.get("thinking", "toggle"),
        disabled=raw.get("disabled", "ok"),
        disabled_on=dict(raw.get("disabled_on", {})),
        efforts=None if efforts is None else tuple(efforts),
        effort_default=raw.get("effort_default"),
        source=str(raw.get("source", "")),
    )


@functools.cache
def _loaded() -> dict[str, ModelSpec]:
    text = resources.files("glm_transport").joinpath("data/models.json").read_text("utf-8")
    return {name: _spec(name, raw) for name, raw in json.loads(text)["models"].items()}


_registered: dict[str, ModelSpec] = {}
_warned: set[str] = set()


def catalogue() -> dict[str, ModelSpec]:
    """Every known model, the packaged catalogue plus what :func:`register_model` added."""
    return {**_loaded(), **_registered}


def register_model(name: str, *, like: str | None = None, **facts: Any) -> ModelSpec:
    """Add or override a model at run time: ``facts`` as in ``data/models.json`` (``context``,
    ``output``, ``input``, ``thinking`` ...), starting from the entry ``like`` when given."""
    base = model_spec(like) if like else None
    if base is not None:
        raw = {
            "context": base.context_window,
            "output": base.max_output_tokens,
            "input": sorted(base.inputs),
            "tools": base.tool_calling,
            "tool_stream": base.tool_stream,
            "json_mode": base.json_mode,
            "thinking": base.thinking,
            "disabled": base.disabled,
            "disabled_on": base.disabled_on,
            "efforts": base.efforts,
            "effort_default": base.effort_default,
            **facts,
        }
    else:
        raw = facts
    spec = _spec(name.lower(), {"source": "registered at run time", **raw})
    _registered[spec.name] = spec
    return spec


# Gateway and client spellings: "zai/glm-5.3", "z-ai/GLM-5.3", "zhipu/glm-4.6",
# "glm-5.2[1m]" (Coding Plan client configs, wire reference §8), ":batch" / "@latest" suffixes.
_PREFIXED = re.compile(r"^.*/")
_TAG = re.compile(r"(\[[^\]]*\]|[:@].*)$")


@functools.lru_cache(maxsize=512)  # a process uses a handful of names, once per call each
def canonical_name(model: str) -> str:
    """``model`` as the catalogue spells it (lower case, no gateway prefix or tag)."""
    return _TAG.sub("", _PREFIXED.sub("", model.strip().lower()))


def model_spec(model: str) -> ModelSpec:
    """The facts of ``model``. Dated or suffixed variants (``glm-4.6-0925``) take the longest
    known prefix; a name that matches nothing gets the newest generation's facts, with a
    one-time warning (pass ``profile=`` / ``context_window=`` or :func:`register_model` to fix)."""
    name = canonical_name(model)
    found = _registered.get(name) or _loaded().get(name)  # the per-call case: no merged copy
    if found is not None:
        return found
    specs = catalogue()
    best = max((k for k in specs if name.startswith(k + "-")), key=len, default=None)
    if best is not None:
        return specs[best]
    newest = _newest(specs)
    if model not in _warned:
        _warned.add(model)
        warnings.warn(
            f"GLM model {model!r} is not in the catalogue; assuming {newest.name}'s limits "
            f"({newest.context_window:,} context, {newest.max_output_tokens:,} output) and "
            "checking no thinking or reasoning_effort rule. Override with profile= (LangChain), "
            "context_window= (LlamaIndex) or glm_transport.models.register_model().",
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


def check_reasoning(
    spec: ModelSpec, provider: str, thinking: dict[str, Any] | None, effort: Any
) -> None:
    """Refuse, before sending, what the model is documented to reject."""
    if effort is not None:
        if not isinstance(effort, str):
            raise GLMValidationError("reasoning_effort", effort, "a string such as 'high'")
        if spec.efforts is not None and effort not in spec.efforts:
            raise GLMValidationError(
                "reasoning_effort", effort, f"{', '.join(spec.efforts)} on {spec.name}"
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
    """GLM answers ``thinking: disabled`` on an always-thinking model with a bare 400/1210; where
    we sent it (sources disagree for the model), say what happened."""
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
    """The packaged catalogue as a Markdown table (the README's model table, verbatim)."""
    rows = [
        "| model | context | output | input | tools | thinking | reasoning_effort |",
        "|---|---|---|---|---|---|---|",
    ]
    for spec in _loaded().values():
        efforts = ", ".join(spec.efforts) if spec.efforts else "-"
        if spec.effort_default:
            efforts += f" (default {spec.effort_default})"
        thinking = spec.thinking + (" (can't be disabled)" if spec.disabled == "rejected" else "")
        inputs = ", ".join(sorted(spec.inputs, key=["text", "image", "video", "pdf"].index))
        rows.append(
            f"| {spec.name} | {spec.context_window:,} | {spec.max_output_tokens:,} | {inputs} | "
            f"{'yes' if spec.tool_calling else 'no'} | {thinking} | {efforts} |"
        )
    return "\n".join(rows)
