"""What each known GLM model can do (wire reference §7 and the thinking-mode guide)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_SPEC", "MODEL_SPECS", "ModelSpec", "model_spec"]


@dataclass(frozen=True)
class ModelSpec:
    """Context window and output limit in tokens, and the model's capabilities."""

    context_window: int
    max_output_tokens: int
    image_input: bool = False
    video_input: bool = False
    pdf_input: bool = False
    tool_calling: bool = True
    reasoning: bool = True
    tool_stream: bool = False
    """Streams tool-call arguments in pieces with ``tool_stream=true`` (GLM-4.6 and newer)."""


_TEXT_200K = ModelSpec(200_000, 131_072, tool_stream=True)
_TEXT_128K = ModelSpec(128_000, 98_304)
MODEL_SPECS: dict[str, ModelSpec] = {
    "glm-5.1": _TEXT_200K,
    "glm-5-turbo": _TEXT_200K,
    "glm-5": _TEXT_200K,
    "glm-4.7": _TEXT_200K,
    "glm-4.7-flash": _TEXT_200K,
    "glm-4.7-flashx": _TEXT_200K,
    "glm-4.6": _TEXT_200K,
    "glm-4.5": _TEXT_128K,
    "glm-4.5-air": _TEXT_128K,
    "glm-4.5-x": _TEXT_128K,
    "glm-4.5-airx": _TEXT_128K,
    "glm-4.5-flash": ModelSpec(200_000, 98_304),
    "glm-4-32b-0414-128k": ModelSpec(128_000, 16_384, reasoning=False),
    "glm-5v-turbo": ModelSpec(200_000, 131_072, image_input=True, video_input=True, pdf_input=True),
    "glm-4.6v": ModelSpec(128_000, 32_768, image_input=True, video_input=True, pdf_input=True),
    "glm-4.6v-flash": ModelSpec(
        128_000, 32_768, image_input=True, video_input=True, pdf_input=True
    ),
    "glm-4.6v-flashx": ModelSpec(
        128_000, 32_768, image_input=True, video_input=True, pdf_input=True
    ),
    # GLM-4.5V takes images, video and files but its OpenAPI says tools only on 4.6V.
    "glm-4.5v": ModelSpec(
        65_536, 16_384, image_input=True, video_input=True, pdf_input=True, tool_calling=False
    ),
}

# An unknown name (a new model, a gateway alias): assume the current generation's text model.
DEFAULT_SPEC = ModelSpec(128_000, 16_384)


def model_spec(model: str) -> ModelSpec:
    """The profile of ``model``; gateway prefixes such as ``zhipu/glm-4.6`` are understood."""
    name = model.lower().rsplit("/", 1)[-1]
    found = MODEL_SPECS.get(name)
    if found is not None:
        return found
    # Dated or suffixed variants ("glm-4.6-0925") take the longest known prefix.
    best = max((k for k in MODEL_SPECS if name.startswith(k + "-")), key=len, default=None)
    return MODEL_SPECS[best] if best else DEFAULT_SPEC
