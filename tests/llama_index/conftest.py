from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import cassette_config


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return cassette_config("llama_index")
