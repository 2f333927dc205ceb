"""What a caller of OCR sees of its inputs (issue 28): the value and allowed values of each
refusal, credentials never shown, a file at the size limit read whole, page metadata by name."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from glm_transport import GLMValidationError
from glm_transport.ocr import MAX_PDF_BYTES, OCRPage, plan_file, read_limited, read_through

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ALLOWED = "a PDF, PNG or JPEG file (a path, an http(s) URL, a data: URI or bytes)"


def refusal(source: Any) -> GLMValidationError:
    with pytest.raises(GLMValidationError) as caught:
        plan_file(source)
    return caught.value


def test_a_url_with_credentials_is_refused_without_showing_them() -> None:
    err = refusal("https://alice:hunter2@files.example/a.pdf")
    assert err.field == "file" and "hunter2" not in str(err) and "alice" not in str(err)
    assert err.allowed == (
        "a URL without user:password@ credentials (GLM fetches the file itself; use a "
        "presigned URL, or read the file and pass its bytes)"
    )


def test_a_malformed_url_is_refused_naming_the_file() -> None:
    err = refusal("https://alice:hunter2@[::1/a.pdf")
    assert err.field == "file" and err.allowed == ALLOWED and "hunter2" not in str(err)


def test_a_url_of_another_format_is_refused_showing_it() -> None:
    err = refusal("https://files.example/a.docx")
    assert (err.value, err.allowed) == ("https://files.example/a.docx", ALLOWED)


def test_a_file_of_exactly_the_size_its_file_system_gives_is_read_whole() -> None:
    data = read_limited(io.BytesIO(PNG * 40), "f.png", size=MAX_PDF_BYTES)
    assert data == PNG * 40


class LocalFS:
    """The two fsspec calls read_through makes, on the local disk."""

    def info(self, path: str) -> dict[str, Any]:
        p = Path(path)
        return {"type": "file" if p.is_file() else "directory", "size": p.stat().st_size}

    def open(self, path: str, mode: str) -> Any:
        return open(path, mode)  # the caller closes it


def test_a_file_on_a_file_system_is_read_as_bytes(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(PNG)
    assert read_through(LocalFS(), str(path)) == PNG
    with pytest.raises(GLMValidationError) as caught:
        read_through(LocalFS(), str(tmp_path))
    assert caught.value.value == str(tmp_path) and "not a regular file" in caught.value.allowed


def test_page_metadata_names_its_source_and_number() -> None:
    page = OCRPage(number=3, markdown="x", elements=[])
    assert page.metadata("scan.pdf") == {"source": "scan.pdf", "page": 3, "layout": []}


def test_one_name_per_source() -> None:
    from glm_transport import GLMClient, resolve_settings
    from glm_transport.ocr import ocr_many

    client = GLMClient(resolve_settings(base_url="https://glm.test/api/paas/v4", api_key="k"))
    with pytest.raises(GLMValidationError) as caught:
        ocr_many(client, [PNG, PNG], names=["a"])
    err = caught.value
    assert (err.field, err.value, err.allowed) == ("names", "1 names", "one per source (2)")
