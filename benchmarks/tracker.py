"""What an error tracker ships of a captured error (the soak and tests look for the key there)."""

from __future__ import annotations

from collections.abc import Callable
from types import CodeType
from typing import Any

__all__ = ["ours", "tracker_view"]

_OUR_PACKAGES = ("glm_transport", "langchain_glm", "llama_index_glm")


def ours(code: CodeType) -> bool:
    """Whether ``code`` is the package's own (not a framework's, a user's or a test's)."""
    path = code.co_filename.replace("\\", "/")
    return any(f"/{name}/" in path for name in _OUR_PACKAGES)


def tracker_view(err: BaseException, frames: Callable[[CodeType], bool] | None = None) -> str:
    """What an error tracker with default settings ships (Sentry's serializer, roughly): every
    exception of the chain, suppressed or not, and every frame's locals, mappings and sequences
    item by item, everything else by its repr. ``frames``: only the locals of the frames whose
    code it accepts (for instance :func:`ours`)."""

    def show(value: Any, depth: int = 0) -> str:
        if depth > 5:
            return ""
        if isinstance(value, (str, bytes)):
            return repr(value)
        if isinstance(value, dict) or (hasattr(value, "items") and hasattr(value, "keys")):
            try:
                return (
                    "{"
                    + ",".join(
                        show(k, depth + 1) + ":" + show(v, depth + 1) for k, v in value.items()
                    )
                    + "}"
                )
            except Exception:
                return repr(value)
        if isinstance(value, (list, tuple, set, frozenset)):
            return "[" + ",".join(show(v, depth + 1) for v in value) + "]"
        try:
            return repr(value)
        except Exception:
            return ""

    parts: list[str] = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [err]
    while todo:
        exc = todo.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        parts += [str(exc), repr(exc), show(vars(exc))]
        tb = exc.__traceback__
        while tb is not None:
            if frames is None or frames(tb.tb_frame.f_code):
                parts.append(show(dict(tb.tb_frame.f_locals)))
            tb = tb.tb_next
        todo += [exc.__cause__, exc.__context__]
    return "\n".join(parts)
