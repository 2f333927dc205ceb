"""models: names a server takes from its users cannot cost it unbounded time or memory.

``canonical_name`` reads a name in linear string scans (the tag pattern it replaced backtracked
quadratically: ``'[' * 100_000`` took 5.7 s) with the patterns' results, to the letter; unknown
names are remembered (cache, warned-once set, warning registry) up to a bound.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glm_transport import models as M

# What canonical_name did with regular expressions; its results are the reference.
_PREFIXED = re.compile(r"^.*/")
_TAG = re.compile(r"(\[[^\]]*\]|[:@].*)$")


def by_patterns(model: str) -> str:
    return _TAG.sub("", _PREFIXED.sub("", model.strip().lower()))


@pytest.mark.parametrize(
    "spelling",
    [
        "zai/glm-5.3", "z-ai/GLM-5.3", "zhipu/glm-4.6", "glm-5.2[1m]", "z-ai/glm-5.3:batch",
        "glm-4.6@latest", "glm-5.3[1m]:batch", "a@b[c]", "x/y/glm-5[a]b]", "glm-5[]", " GLM-5 ",
        "glm-5\n:x", "a/b\nc/d:e", "[[1m]", "glm-5]", "glm-5[1m", "",
    ],
)  # fmt: skip
def test_spellings_read_as_the_patterns_read_them(spelling: str) -> None:
    assert M.canonical_name(spelling) == by_patterns(spelling)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="ab/:@[]\n -Z", max_size=14))
def test_any_name_reads_as_the_patterns_read_it(name: str) -> None:
    assert M.canonical_name(name) == by_patterns(name)


class Exploding:
    """Stands for a regular expression: using it is the failure."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"canonical_name used a regular expression ({name})")


HOSTILE = [
    ("[" * 100_000, "[" * 100_000),
    ("[" * 100_000 + "]", ""),
    ("a" + "[a" * 50_000 + "]", "a"),
    ("a" + "]a[" * 30_000 + "]", "a" + "]a[" * 29_999 + "]a"),
    ("x" + ":" * 100_000, "x"),
    ("/" * 100_000 + "glm-5.3", "glm-5.3"),
    ("GLM-5.3" + "@" * 100_000, "glm-5.3"),
]


@pytest.mark.parametrize(("name", "expected"), HOSTILE, ids=range(len(HOSTILE)))
def test_a_100k_hostile_name_is_read_without_patterns_and_not_cached(
    name: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The outcome is the name read right; no pattern is used (a backtracking one is what made
    # '[' * 100_000 take seconds), and no cache keeps the name.
    monkeypatch.setattr(M, "_TAG", Exploding(), raising=False)
    monkeypatch.setattr(M, "_PREFIXED", Exploding(), raising=False)
    cached_fn: Any = getattr(M, "_canonical_cached", M.canonical_name)  # the cache, where it is
    cache = cached_fn.cache_info
    cached = cache().currsize
    assert M.canonical_name(name) == expected
    assert cache().currsize == cached


def test_unknown_names_are_remembered_up_to_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(M, "_warned", set())
    # A caller of its own, so its __warningregistry__ (one entry per warning text) can be read.
    caller: dict[str, Any] = {"__name__": "a_server", "model_spec": M.model_spec}
    exec("def ask(name):\n    return model_spec(name)\n", caller)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("default")  # Python's own: once per text and caller
        for i in range(5_000):
            assert not caller["ask"](f"glm-unknown-{i}").known
        for i in range(5_000):
            caller["ask"](f"{i:05d}-" + "x" * 1_000)
    bound = 256  # names warned about, then one last warning saying so
    assert len(M._warned) <= bound and max(map(len, M._warned)) <= 200
    assert len(caller["__warningregistry__"]) <= bound + 1  # and its "version" key
    assert len(shown) == bound and "last such warning" in str(shown[-1].message)
    info = M._canonical_cached.cache_info()
    assert info.currsize <= (info.maxsize or 0)


def test_a_long_unknown_name_is_shown_cut_and_warned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(M, "_warned", set())
    name = "glm-" + "y" * 10_000
    with pytest.warns(UserWarning, match=r"'glm-y+'\.\.\. \(10,004 characters\) is not in") as seen:
        spec = M.model_spec(name)
    assert not spec.known and spec.name == name
    assert all(len(str(w.message)) < 1_000 for w in seen)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        M.model_spec(name + "-other-tail")  # the same first 200 characters: already said
