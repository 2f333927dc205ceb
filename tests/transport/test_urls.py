"""One strict reading of the URLs the package is handed, shared by base_url, the Web Reader and
GLM-OCR: every malformation refused by each, naming its field, the credentials never shown."""

from __future__ import annotations

import pytest

from glm_transport import GLMValidationError
from glm_transport.config import resolve_settings
from glm_transport.ocr import plan_file
from glm_transport.reader import reader_body
from glm_transport.urls import masked_url, split_http_url

MALFORMED = [
    "http://[::1/x.pdf",
    "https://[zz]/x.pdf",
    "https://exa mple.com/x.pdf",
    "http://a.com\n/x.pdf",
    "http://a.com:99999/x.pdf",
    "ftp://a.com/x.pdf",
    "https:///x.pdf",
]


@pytest.mark.parametrize("url", MALFORMED)
def test_malformed_urls_are_no_urls(url: str) -> None:
    assert split_http_url(url) is None


@pytest.mark.parametrize("url", ["https://a.com/x.pdf", "HTTPS://a.com/x.pdf", "http://[::1]:80/x"])
def test_well_formed_urls_are_read(url: str) -> None:
    parts = split_http_url(url)
    assert parts is not None and parts.hostname


@pytest.mark.parametrize("url", MALFORMED)
def test_the_reader_and_ocr_refuse_them_naming_their_field(url: str) -> None:
    with pytest.raises(GLMValidationError) as reader:
        reader_body(url)
    assert reader.value.field == "url"
    with pytest.raises(GLMValidationError) as ocr:
        plan_file(url)
    assert ocr.value.field == "file"


def test_credentials_are_shown_masked_everywhere() -> None:
    url = "https://bob:hunter2@example.com/v4"
    assert masked_url(url) == "https://***@example.com/v4"
    for call in (lambda: resolve_settings(base_url=url, api_key="k"), lambda: plan_file(url)):
        with pytest.raises(GLMValidationError) as caught:
            call()
        assert "hunter2" not in str(caught.value) and "***@example.com" in str(caught.value)
