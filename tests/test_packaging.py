"""What a user installs: import paths, one version everywhere, the catalogue as package data."""

from __future__ import annotations

import importlib.metadata


def test_llama_index_import_paths() -> None:
    import llama_index_glm
    from llama_index.embeddings.glm import GLMEmbedding
    from llama_index.llms.glm import GLM

    assert GLM is llama_index_glm.GLM and GLMEmbedding is llama_index_glm.GLMEmbedding


def test_one_version_everywhere() -> None:
    import glm_transport
    import langchain_glm
    import llama_index_glm

    version = importlib.metadata.version("glm-integrations")
    assert glm_transport.__version__ == langchain_glm.__version__ == llama_index_glm.__version__
    assert version == glm_transport.__version__


def test_importing_the_transport_loads_nothing_else() -> None:
    import subprocess
    import sys

    code = (
        "import sys, glm_transport; "
        "print(sorted(m for m in sys.modules if m.startswith('glm_transport')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # glm_transport.lazy is the lazy-export mechanism itself (standard library only), and
    # glm_transport._version holds one string.
    assert out.stdout.strip() == "['glm_transport', 'glm_transport._version', 'glm_transport.lazy']"


def test_loading_the_pytest_plugin_imports_nothing_of_the_package() -> None:
    """The plugin is imported before coverage starts: it must leave the package unimported."""
    import subprocess
    import sys

    code = (
        "import sys, glm_transport.emulator.pytest_plugin; "
        "print(sorted(m for m in sys.modules if m.startswith('glm_transport')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        "['glm_transport', 'glm_transport._version', 'glm_transport.emulator', "
        "'glm_transport.emulator.pytest_plugin', 'glm_transport.lazy']"
    )


def test_the_endpoint_modules_load_no_io() -> None:
    """Their pure parts (the emulator reads the embedding limits) load no client, pool or socket
    code: the clients are passed in."""
    import subprocess
    import sys

    code = (
        "import sys, glm_transport.chat, glm_transport.embeddings, glm_transport.rerank, "
        "glm_transport.ocr, glm_transport.websearch, glm_transport.reader; "
        "print(sorted(m for m in ('glm_transport._client', 'glm_transport._pools', "
        "'glm_transport._aio', 'aiohttp') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
