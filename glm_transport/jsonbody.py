"""Request JSON that GLM can parse, or a :class:`GLMValidationError` naming the bad value.

``json.dumps`` writes ``NaN`` and ``Infinity`` (not JSON: GLM's parser rejects the request), and
fails on a lone surrogate (only when the text is encoded to UTF-8), an object JSON has no type for
(a ``datetime``, a ``set``) or a structure that contains itself, with a message that says neither
where nor which value. Here the valid path costs what ``json.dumps`` costs; only on failure is the
body walked, in the order JSON writes it, to name the first offending value by its path in the
body (``messages[2].content``, ``tools[0].function.parameters.properties.when.default``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

from glm_transport.errors import GLMValidationError

__all__ = ["encode_json", "json_text"]

# Built once: json.dumps with any non-default option builds an encoder on every call.
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _no_json_type(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _c_options() -> tuple[Any, ...] | None:
    """CPython's C encoder and ``_compact``'s options for it, or ``None``.

    ``JSONEncoder.encode`` wraps that encoder in Python on every call (``iterencode``), about a
    third of a small body's cost. Built here the same way, each call with its own cycle markers
    (a cycle is refused as ``json`` refuses it), and used only where it writes exactly what
    ``_compact`` writes.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator (another interpreter)
        return None
    options = (_no_json_type, json.encoder.encode_basestring, None, ":", ",", False, False, False)
    try:
        probe = {"a": [1, 2.5, None, True, '\u00e9\n"'], "b": {"c": -0.0}}
        if "".join(make({}, *options)(probe, 0)) != _compact(probe):
            return None
    except Exception:  # a signature of another Python version: the plain path serves
        return None
    return (make, *options)


_c_encoder = _c_options()
# json.dumps's default separators: tool-call arguments have always been sent in this form.
_spaced = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode

# What json.dumps raises on a value it cannot write: TypeError (no JSON type, a bad key), ValueError
# (NaN or infinity with allow_nan=False, a cycle, an int over the digit limit), RecursionError
# (nesting deeper than the recursion limit); encoding a lone surrogate raises UnicodeEncodeError,
# a ValueError.
_FAILURES = (TypeError, ValueError, RecursionError)

_FINITE = "a finite number (JSON has no NaN or Infinity, and GLM rejects the request)"
_JSON_TYPES = "a JSON value: str, int, float, bool, None, or a list, tuple or dict of them"
_KEYS = "str keys (int, float, bool and None are written as strings)"


def encode_json(body: Mapping[str, Any]) -> bytes:
    """``body`` as compact UTF-8 JSON, the same bytes for the same body (cassettes match on them).

    Raises:
        GLMValidationError: a value JSON cannot carry, named by its path in the body: NaN or
            infinity, a lone surrogate in text, an object of no JSON type, a cycle.
    """
    try:
        if _c_encoder is not None and type(body) is dict:
            make, *options = _c_encoder
            return "".join(make({}, *options)(body, 0)).encode("utf-8")
        return _compact(body).encode("utf-8")
    except _FAILURES as exc:
        raise _explain(body, "", exc) from None


def json_text(value: Any, field: str) -> str:
    """``value`` as JSON text (``json.dumps`` spacing), for a field that carries JSON in a string.

    Tool-call arguments travel this way. The text is not yet UTF-8: a lone surrogate in it is
    named when the body is encoded.

    Args:
        value: What to write.
        field: Where ``value`` goes, to name it in errors (e.g.
            ``messages[1].tool_calls[0].function.arguments``).

    Raises:
        GLMValidationError: as :func:`encode_json`, the path starting at ``field``.
    """
    try:
        return _spaced(value)
    except _FAILURES as exc:
        raise _explain(value, field, exc, encoded=False) from None


def _explain(
    value: Any, root: str, exc: BaseException, *, encoded: bool = True
) -> GLMValidationError:
    """The error naming the first value (in JSON's order) that made encoding fail with ``exc``."""
    for path, bad, allowed in _problems(value, root, encoded):
        return GLMValidationError(path or "body", bad, allowed)
    if isinstance(exc, RecursionError):  # every value is fine: the nesting is too deep
        return GLMValidationError(
            root or "body",
            "<nested too deeply>",
            "JSON nested less deeply than the recursion limit",
        )
    return GLMValidationError(root or "body", f"<{type(exc).__name__}: {exc}>", _JSON_TYPES)


def _join(path: str, key: Any) -> str:
    """The path of ``key`` under ``path``: ``a.b`` for a name, ``a[2]`` for an index, else ``a['x-y']``."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


# A value's place in the body, as a chain of (parent, key) links: a path is spelled out only for the
# value that is named, so a body nested 100,000 deep costs a link per level, not a string per level.
_Where = tuple[Any, Any] | None
_MAX_PATH = 300


def _spell(where: _Where, root_path: str) -> str:
    """The path of the value at ``where`` (its last characters, when very deep)."""
    keys: list[Any] = []
    while where is not None:
        where, key = where
        keys.append(key)
        if len(keys) > _MAX_PATH:  # every key adds at least two characters
            break
    deeper = where is not None
    path = "" if deeper else root_path
    for key in reversed(keys):
        path = _join(path, key)
    return f"...{path[-_MAX_PATH:]}" if deeper or len(path) > _MAX_PATH else path


def _problems(root: Any, root_path: str, encoded: bool) -> Iterator[tuple[str, Any, str]]:
    """``(path, value, allowed)`` for each value json cannot write, in the order JSON writes them.

    Iterative, so a body nested past the recursion limit is walked too; a container met again on
    its own path is a cycle (one shared twice elsewhere is fine, as for json).
    """
    # Entries: (action, value, where); "leave" takes a container off the current path.
    stack: list[tuple[str, Any, _Where]] = [("value", root, None)]
    on_path: set[int] = set()
    while stack:
        action, value, where = stack.pop()
        if action == "leave":
            on_path.discard(id(value))
            continue
        if action == "key":
            problem = _key_problem(value, _spell(where, root_path), encoded)
            if problem is not None:
                yield problem
            continue
        if isinstance(value, str):
            problem = _text_problem(value, _spell(where, root_path) or "body", encoded)
            if problem is not None:
                yield problem
        elif value is None or isinstance(value, bool):
            pass
        elif isinstance(value, int):
            try:
                int.__repr__(value)
            except ValueError:  # Python's limit on int-to-str digits
                bits = f"<an int of {value.bit_length()} bits>"
                yield _spell(where, root_path), bits, "an integer json can write"
        elif isinstance(value, float):
            if not math.isfinite(value):
                yield _spell(where, root_path), value, _FINITE
        elif isinstance(value, (dict, list, tuple)):
            if id(value) in on_path:
                cycle = "a structure that does not contain itself (a cycle)"
                yield _spell(where, root_path), value, cycle
                continue
            on_path.add(id(value))
            stack.append(("leave", value, where))
            children: list[tuple[str, Any, _Where]] = []
            if isinstance(value, dict):
                for key, item in value.items():
                    children.append(("key", key, where))
                    children.append(("value", item, (where, key)))
            else:
                children = [("value", item, (where, i)) for i, item in enumerate(value)]
            stack.extend(reversed(children))
        else:
            kind = f"{_JSON_TYPES}; convert the {type(value).__name__} first"
            yield _spell(where, root_path), value, kind


def _text_problem(text: str, path: str, encoded: bool) -> tuple[str, Any, str] | None:
    if not encoded:
        return None  # surrogates are found when the enclosing body is encoded
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            path,
            text[exc.start],
            f"text UTF-8 can encode: a lone surrogate at character {exc.start} is not valid "
            "Unicode (often half of an emoji cut in two)",
        )
    return None


def _key_problem(key: Any, path: str, encoded: bool) -> tuple[str, Any, str] | None:
    """What is wrong with ``key`` as a key of the object at ``path``, if anything."""
    where = f"{_join(path, key)} (a key)"
    if isinstance(key, str):
        problem = _text_problem(key, where, encoded)
    elif key is None or isinstance(key, (bool, int)):
        problem = None
    elif isinstance(key, float):
        problem = None if math.isfinite(key) else (where, key, _FINITE)
    else:
        problem = (where, key, _KEYS)
    return problem
