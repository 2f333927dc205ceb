"""Tool-call arguments GLM sent as JSON text where the schema types an object or an array.

GLM-5.2/5.3 return a nested parameter as a JSON *string* (``address`` as the text of an object)
when the tool's schema uses ``$defs``/``$ref`` (reported by several agent projects; pydantic-ai
inlines definitions for GLM-5.3 for this reason; wire reference §9). The request side inlines
``$defs`` (:func:`glm_transport.schema.inline_refs`); this is the reply side, for the replies that
still come back that way: a string where the schema says ``object`` or ``array`` is decoded when it
parses to that type, and left as it is (so the call stays invalid for the framework's validation)
when it does not. Each decoding is logged on the ``glm_transport`` logger: nothing is repaired
without saying so.

Pure: no I/O. :func:`repair_plan` is computed once per request; :func:`decode_nested` runs only on
the calls to the tools it names.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from glm_transport.schema import inline_refs

__all__ = ["decode_nested", "repair_plan"]

logger = logging.getLogger("glm_transport")

_CONTAINERS = {"object": dict, "array": list}


def _kinds(schema: Any) -> tuple[str, ...]:
    """The container types (``object``, ``array``) a schema admits, through unions."""
    if not isinstance(schema, Mapping):
        return ()
    found: list[str] = []
    declared = schema.get("type")
    for kind in declared if isinstance(declared, list) else [declared]:
        if kind in _CONTAINERS:
            found.append(kind)
    if declared is None and ("properties" in schema or "additionalProperties" in schema):
        found.append("object")
    for key in ("anyOf", "oneOf", "allOf"):
        for alt in schema.get(key) or ():
            found.extend(_kinds(alt))
    return tuple(found)


def _admits_string(schema: Any) -> bool:
    """Whether a string is itself a valid value (then JSON text in it is the value, kept)."""
    if not isinstance(schema, Mapping):
        return False
    declared = schema.get("type")
    if declared == "string" or (isinstance(declared, list) and "string" in declared):
        return True
    return any(_admits_string(a) for k in ("anyOf", "oneOf") for a in schema.get(k) or ())


def _children(schema: Mapping[str, Any]) -> list[Any]:
    """The schemas of the values inside: properties, additionalProperties, items, prefixItems."""
    out: list[Any] = list((schema.get("properties") or {}).values())
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        out.append(extra)
    items = schema.get("items")
    out.extend(items if isinstance(items, list) else [items])
    out.extend(schema.get("prefixItems") or ())
    return out


def _has_nested(schema: Any, depth: int = 0) -> bool:
    """Whether any value below the top level may be an object or an array."""
    if not isinstance(schema, Mapping) or depth > 32:
        return False
    for sub in _children(schema):
        if _kinds(sub) or _has_nested(sub, depth + 1):
            return True
    return any(
        _has_nested(alt, depth + 1)
        for k in ("anyOf", "oneOf", "allOf")
        for alt in schema.get(k) or ()
    )


def repair_plan(tools: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]] | None:
    """The function tools whose calls may need :func:`decode_nested`: name to parameter schema.

    ``None`` when no offered tool has an object- or array-typed parameter (the common case, which
    then costs nothing per reply).
    """
    plan: dict[str, dict[str, Any]] = {}
    for tool in tools or ():
        if not isinstance(tool, Mapping) or tool.get("type") != "function":
            continue
        fn = tool.get("function") or {}
        params = inline_refs(fn.get("parameters"))  # as sent: $defs are inlined on the wire
        if isinstance(fn.get("name"), str) and isinstance(params, dict) and _has_nested(params):
            plan[fn["name"]] = params
    return plan or None


def _decode(value: Any, schema: Any, path: str, changed: list[str], depth: int) -> Any:
    if depth > 64 or not isinstance(schema, Mapping):
        return value
    kinds = _kinds(schema)
    if isinstance(value, str) and kinds and not _admits_string(schema):
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            return value  # not JSON: left for the framework's validation to reject
        if not any(isinstance(decoded, _CONTAINERS[k]) for k in kinds):
            return value
        changed.append(path)
        value = decoded
    alts = [schema, *(a for k in ("anyOf", "oneOf", "allOf") for a in schema.get(k) or ())]
    alts = [a for a in alts if isinstance(a, Mapping)]
    if isinstance(value, dict):
        for alt in alts:
            props = alt.get("properties")
            props = props if isinstance(props, Mapping) else {}
            extra = alt.get("additionalProperties")
            for key in list(value):
                sub = props.get(key, extra if isinstance(extra, Mapping) else None)
                if sub is not None:
                    value[key] = _decode(value[key], sub, f"{path}.{key}", changed, depth + 1)
    elif isinstance(value, list):
        for alt in alts:
            items = alt.get("items")
            prefix = alt.get("prefixItems") or (items if isinstance(items, list) else [])
            rest = items if isinstance(items, Mapping) else None
            for i, item in enumerate(value):
                sub = prefix[i] if i < len(prefix) else rest
                if isinstance(sub, Mapping):
                    value[i] = _decode(item, sub, f"{path}[{i}]", changed, depth + 1)
    return value


def decode_nested(name: str, arguments: str, schema: dict[str, Any]) -> str:
    """``arguments`` with each object/array parameter GLM sent as JSON text decoded.

    Args:
        name: The tool's name (for the log line).
        arguments: The call's arguments, JSON text.
        schema: The tool's parameter schema (from :func:`repair_plan`).

    Returns:
        The arguments re-encoded when something was decoded, else ``arguments`` unchanged (also
        when they are not a JSON object at all).
    """
    try:
        value = json.loads(arguments)
    except (ValueError, RecursionError):
        return arguments
    if not isinstance(value, dict):
        return arguments
    changed: list[str] = []
    value = _decode(value, schema, name, changed, 0)
    if not changed:
        return arguments
    logger.info(
        "GLM sent %s as JSON text where the tool's schema types an object or array; decoded "
        "(the GLM-5.x nested-schema quirk)",
        ", ".join(changed),
    )
    return json.dumps(value, ensure_ascii=False)
