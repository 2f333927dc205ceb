"""JSON schemas as GLM reads them: local ``$ref``s inlined, ``$defs`` gone. Pure.

GLM-5.2/5.3 answer a tool whose parameters use ``$defs``/``$ref`` (what pydantic writes for a
nested model) with the nested arguments as JSON *strings* instead of objects; agent projects
report it, and pydantic-ai inlines definitions for GLM-5.3 for this reason (wire reference §9,
issue 23). LangChain's tool schemas arrive dereferenced, LlamaIndex's and raw dicts do not: the
transport inlines them for every tool, whichever framework or dict it came from.
"""

from __future__ import annotations

from typing import Any

__all__ = ["inline_refs"]

_DEFS = ("$defs", "definitions")
# A definition that refers to itself (a tree) cannot be inlined to the end: past this depth the
# reference is left as an open object, with its description.
_MAX_DEPTH = 8


def inline_refs(schema: Any) -> Any:
    """``schema`` with its local references (``#/$defs/X``, ``#/definitions/X``) inlined.

    The schema is returned as is (not copied) when it has no definitions; otherwise a new one,
    the input untouched. A reference that cannot be resolved is left as it is.
    """
    if not isinstance(schema, dict) or not any(key in schema for key in _DEFS):
        return schema
    defs: dict[str, Any] = {}
    for key in _DEFS:
        found = schema.get(key)
        if isinstance(found, dict):
            defs.update({f"#/{key}/{name}": value for name, value in found.items()})
    top = {k: v for k, v in schema.items() if k not in _DEFS}
    return _inline(top, defs, ())


def _inline(node: Any, defs: dict[str, Any], seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(item, defs, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref in defs:
        if ref in seen or len(seen) >= _MAX_DEPTH:  # a recursive definition: stop here
            target = defs[ref]
            open_object: dict[str, Any] = {"type": "object"}
            if isinstance(target, dict) and "description" in target:
                open_object["description"] = target["description"]
            return open_object
        resolved = _inline(defs[ref], defs, (*seen, ref))
        siblings = {k: _inline(v, defs, seen) for k, v in node.items() if k != "$ref"}
        if isinstance(resolved, dict):
            return {**resolved, **siblings}  # a sibling (a description, a default) wins
        return resolved
    return {k: _inline(v, defs, seen) for k, v in node.items()}
