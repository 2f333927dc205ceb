"""Drop-in idioms: written the way LangChain, LangGraph and LlamaIndex document them, with
``ChatGLM`` / ``GLM`` swapped in, against the emulator. Each also checks that our code raised no
warning (any module of glm_transport, langchain_glm or llama_index_glm)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

from glm_transport.emulator import EmulatorServer

OURS = ("glm_transport", "langchain_glm", "llama_index_glm")


def _ours(message: str) -> bool:
    """A resource warning that could be ours: an unclosed socket, transport or HTTP session
    (the frameworks' own unclosed loops and sqlite connections are theirs)."""
    return any(word in message for word in ("socket", "transport", "ClientSession", "connector"))


@pytest.fixture(autouse=True)
def no_warning_from_our_code() -> Iterator[None]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        yield
    ours = [
        f"{w.filename}:{w.lineno}: {w.message}"
        for w in seen
        if any(f"/{pkg}/" in w.filename.replace("\\", "/") for pkg in OURS)
        or (issubclass(w.category, ResourceWarning) and _ours(str(w.message)))
    ]
    assert not ours, ours


@pytest.fixture
def url(glm_emulator: EmulatorServer) -> str:
    return glm_emulator.base_url
