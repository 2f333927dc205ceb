"""Compare the model catalogue with models.dev's public JSON and print the differences.

    curl -sO https://models.dev/api.json
    python scripts/refresh_models.py api.json            # what differs, per model and fact

models.dev is the source LangChain's own profile tooling reads. This script only reports: a
maintainer checks each difference against the official docs (docs.z.ai, docs.bigmodel.cn) and
edits glm_transport/data/models.json, citing the source. Not imported by the package.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

CATALOGUE = Path(__file__).resolve().parent.parent / "glm_transport" / "data" / "models.json"
PROVIDERS = ("zai", "zhipuai", "zai-coding-plan", "zhipuai-coding-plan")


def glm_models(dump: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """GLM chat models from a models.dev dump (either ``{provider: ...}`` or
    ``{"providers": {provider: ...}}``), first provider that lists a model wins."""
    providers = dump.get("providers", dump)
    found: dict[str, dict[str, Any]] = {}
    for provider in PROVIDERS:
        for model_id, model in (providers.get(provider) or {}).get("models", {}).items():
            name = model_id.lower().rsplit("/", 1)[-1]
            if name.startswith("glm-") and name not in found:
                found[name] = model
    return found


def facts_of(model: dict[str, Any]) -> dict[str, Any]:
    """models.dev's entry in the catalogue's terms.

    Args:
        model: One model of a models.dev dump.

    Returns:
        Its facts keyed as a catalogue entry is (ModelSpec's field names); ``None`` where
        models.dev does not say.
    """
    limit = model.get("limit") or {}
    inputs = (model.get("modalities") or {}).get("input") or ["text"]
    return {
        "context_window": limit.get("context"),
        "max_output_tokens": limit.get("output"),
        "inputs": sorted(inputs),
        "tool_calling": model.get("tool_call"),
    }


def differences(catalogue: dict[str, Any], dump: dict[str, Any]) -> list[str]:
    ours = catalogue["models"]
    theirs = glm_models(dump)
    lines = []
    for name in sorted(set(theirs) - set(ours)):
        lines.append(f"+ {name}: on models.dev, not in the catalogue: {facts_of(theirs[name])}")
    for name in sorted(set(ours) - set(theirs)):
        lines.append(f"- {name}: in the catalogue, not on models.dev")
    for name in sorted(set(ours) & set(theirs)):
        mine = {**ours[name], "inputs": sorted(ours[name].get("inputs", ["text"]))}
        for key, value in facts_of(theirs[name]).items():
            if value is not None and mine.get(key) != value:
                lines.append(f"~ {name}.{key}: catalogue {mine.get(key)!r}, models.dev {value!r}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dump", type=Path, help="models.dev's api.json, downloaded")
    args = parser.parse_args(argv)
    catalogue = json.loads(CATALOGUE.read_text("utf-8"))
    lines = differences(catalogue, json.loads(args.dump.read_text("utf-8")))
    print("\n".join(lines) if lines else "no differences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
