"""Every example and the quickstart run against the emulator, so none of them rots."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXPECT = {
    "quickstart.py": [
        "[offline]",
        "LangChain 5/5",
        "[ToolMessage] Sunny and 21 C in Lisbon",
        "Movie(title='Spirited Away', year=2001)",
        "[sources] ['errors.md']",
        "From the retrieved context: Business code 1302",
        "Based on the tools: 84.",
        "Done in",
    ],
    "chain.py": ["GLM emulator reply to: One tip for visiting Kyoto."],
    "streaming_reasoning.py": ["[thinking]", "[answer]", "[usage]"],
    "tools_agent.py": ["-> ['get_weather']", "-> ['get_population']", "2100000"],
    "structured_output.py": ["name='Ada Lovelace' age=36"],
    "vision.py": ["Describe this image."],
    "rag_llamaindex.py": ["From the retrieved context: The vision models", "sources: ['models.md'"],
    "rag_langchain.py": [
        "From the retrieved context: Business code 1302",
        "sources: ['errors.md']",
    ],
    "llamaindex_agent.py": ["multiply({'a': 12, 'b': 7}) = 84", "[final]"],
    "providers.py": ["maxtoken", "refused before sending: Invalid `stop`"],
    "errors_and_retries.py": ["[retried]", "code=1308 retryable=False", "[cut]", "[fallback]"],
    "offline_testing.py": ["[langchain]", "[llamaindex]", "requests served: 2"],
    "search_agent_langchain.py": [
        "[offline]",
        "[AIMessage -> 'glm_web_search'] {'query': 'GLM-5 release'",
        "[ToolMessage] 3 results for 'GLM-5 release'",
        "ref_1: GLM-5 release: ",
        "[answer] From the web search: 3 sources, among them [ref_1] https://",
    ],
    "search_agent_llamaindex.py": [
        "[offline]",
        "[tool] search({'query': 'GLM-5 release', 'recency': 'oneMonth', 'count': 3})",
        "  GLM-5 release: ",
        "[final] From the web search: 3 sources, among them [ref_1] https://",
    ],
}


def test_every_example_is_covered() -> None:
    found = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert found == set(EXPECT)


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_example_runs_offline(name: str) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_API_KEY") and k not in ("GLM_BASE_URL", "GLM_PROVIDER")
    }
    proc = subprocess.run(
        [sys.executable, name], cwd=EXAMPLES, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for text in EXPECT[name]:
        assert text in proc.stdout, (text, proc.stdout[-2000:])
    assert "Traceback" not in proc.stderr


def test_the_offline_testing_examples_pass() -> None:
    """examples/offline_tests: what a user's own test suite looks like (README: Testing your app
    offline), run as a user would run it."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--no-cov",
            "-p",
            "no:cacheprovider",
            "offline_tests",
        ],
        cwd=EXAMPLES,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "3 passed" in proc.stdout
