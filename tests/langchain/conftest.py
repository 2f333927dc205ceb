from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import RECORD, cassette_config


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return cassette_config("langchain")


# Two standard tests (image and PDF input) download a fixture file inside the test body. This
# suite never leaves loopback, so when cassettes are authored the download is answered from a
# small file of our own, appended to the cassette ahead of the test; replays then serve it like
# any recorded response. A live recording (GLM_RECORD=live) fetches the real files instead.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63fccf0c050f00048501808a8c8c21"
    "0000000049454e44ae426082"
)
_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
FIXTURE_DOWNLOADS = {
    "test_image_inputs": (
        "https://raw.githubusercontent.com/langchain-ai/docs/"
        "4d11d08b6b0e210bd456943f7a22febbd168b543/src/images/agentic-rag-output.png",
        "image/png",
        _PNG,
    ),
    "test_pdf_inputs": (
        "https://www.w3.org/WAI/ER/tests/xhtml/testfiles/resources/pdf/dummy.pdf",
        "application/pdf",
        _PDF,
    ),
}


@pytest.fixture(autouse=True)
def _authored_fixture_download(request: pytest.FixtureRequest) -> None:
    if RECORD != "emulator" or request.node.originalname not in FIXTURE_DOWNLOADS:
        return
    from vcr.record_mode import RecordMode
    from vcr.request import Request

    cassette = request.getfixturevalue("vcr")
    url, mime, data = FIXTURE_DOWNLOADS[request.node.originalname]
    cassette.data.clear()  # authoring starts from nothing, as record_mode "all" would
    cassette.append(
        Request("GET", url, b"", {}),
        {
            "status": {"code": 200, "message": "OK"},
            "headers": {"content-type": [mime]},
            "body": {"string": data},
        },
    )
    # Serve that one interaction; record everything else (the chat requests to the emulator).
    cassette.record_mode = RecordMode.NEW_EPISODES
    cassette.rewound = True
