"""GLMOCRLoader and GLMOCRParser for LangChain: one Document per page, alone and inside
LangChain's GenericLoader, sync and natively async, on the emulator."""

from __future__ import annotations

import asyncio
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from langchain_core.document_loaders import BaseBlobParser, BaseLoader, Blob

from glm_transport import GLMValidationError
from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER
from langchain_glm import GLMOCRLoader, GLMOCRParser
from langchain_glm.errors import GLMInvalidRequestError, GLMRateLimitError
from tests.pdfs import PNG, make_pdf

PAGES = [["Invoice 42", "Total: 10 EUR"], ["Terms", "Pay within 30 days"]]


def _where(emu: EmulatorServer, **kw: Any) -> dict[str, Any]:
    return {"base_url": emu.base_url, "api_key": "k", **kw}


def test_the_classes_and_their_defaults() -> None:
    loader = GLMOCRLoader("a.pdf", api_key="k")
    assert isinstance(loader, BaseLoader) and loader.file_path == "a.pdf"
    assert (loader.model, loader.max_concurrency) == ("glm-ocr", 4)
    assert isinstance(GLMOCRParser(api_key="k"), BaseBlobParser)


def test_one_document_per_page_with_source_page_and_layout(
    glm_emulator: EmulatorServer, tmp_path: Path
) -> None:
    (tmp_path / "invoice.pdf").write_bytes(make_pdf(PAGES))
    docs = GLMOCRLoader(tmp_path / "invoice.pdf", **_where(glm_emulator)).load()
    assert [d.page_content for d in docs] == [
        "Invoice 42\n\nTotal: 10 EUR",
        "Terms\n\nPay within 30 days",
    ]
    meta = docs[1].metadata
    assert (meta["source"], meta["page"], meta["page_size"]) == (
        str(tmp_path / "invoice.pdf"),
        2,
        [1240, 1754],
    )
    assert [(e["index"], e["label"], e["content"]) for e in meta["layout"]] == [
        (1, "text", "Terms"),
        (2, "text", "Pay within 30 days"),
    ]
    assert len(meta["layout"][0]["bbox"]) == 4


def test_several_sources_keep_their_order(glm_emulator: EmulatorServer) -> None:
    loader = GLMOCRLoader(
        [make_pdf(2), "https://example.com/scan.png", PNG], **_where(glm_emulator)
    )
    docs = list(loader.lazy_load())
    assert [(d.metadata["source"], d.metadata["page"]) for d in docs] == [
        ("bytes", 1),
        ("bytes", 2),
        ("https://example.com/scan.png", 1),
        ("bytes", 1),
    ]
    assert docs[3].metadata["layout"][2]["label"] == "table"


async def test_async_reads_the_files_concurrently_and_agrees(glm_emulator: EmulatorServer) -> None:
    files = [make_pdf([[f"File {i}"]]) for i in range(5)]
    loader = GLMOCRLoader(files, max_concurrency=2, **_where(glm_emulator))
    docs = [d async for d in loader.alazy_load()]
    assert [d.page_content for d in docs] == [f"File {i}" for i in range(5)]
    assert docs == loader.load()
    # Not LangChain's default thread hop: ours is a coroutine of its own.
    assert type(loader).alazy_load is not BaseLoader.alazy_load


def test_a_long_pdf_comes_back_in_page_order(glm_emulator: EmulatorServer) -> None:
    docs = GLMOCRLoader(make_pdf(205, packed=True), **_where(glm_emulator)).load()
    assert [d.metadata["page"] for d in docs] == list(range(1, 206))
    assert docs[150].page_content == "Page text 151"
    ranges = [(b.get("start_page_id"), b.get("end_page_id")) for b in glm_emulator.state.bodies]
    assert ranges == [(1, 100), (101, 200), (201, 205)]


@pytest.mark.filterwarnings("ignore:`langchain-community` is being sunset:DeprecationWarning")
def test_inside_a_generic_loader(glm_emulator: EmulatorServer, tmp_path: Path) -> None:
    from langchain_community.document_loaders.generic import GenericLoader

    (tmp_path / "a.pdf").write_bytes(make_pdf(PAGES))
    (tmp_path / "b.png").write_bytes(PNG)
    (tmp_path / "notes.txt").write_text("not read")
    loader = GenericLoader.from_filesystem(
        tmp_path, glob="*", suffixes=[".pdf", ".png"], parser=GLMOCRParser(**_where(glm_emulator))
    )
    docs = loader.load()
    assert [(Path(d.metadata["source"]).name, d.metadata["page"]) for d in docs] == [
        ("a.pdf", 1),
        ("a.pdf", 2),
        ("b.png", 1),
    ]
    assert docs[1].page_content == "Terms\n\nPay within 30 days"
    assert asyncio.run(loader.aload()) == docs


async def test_the_parser_reads_blobs_of_data_natively_async(glm_emulator: EmulatorServer) -> None:
    parser = GLMOCRParser(**_where(glm_emulator))
    blob = Blob.from_data(make_pdf(PAGES), path="mail/attachment.pdf")
    docs = await parser.aparse(blob)
    assert [(d.metadata["source"], d.metadata["page"]) for d in docs] == [
        ("mail/attachment.pdf", 1),
        ("mail/attachment.pdf", 2),
    ]
    assert docs == parser.parse(blob)
    nameless = parser.parse(Blob.from_data(PNG))
    assert nameless[0].metadata["source"] == "blob"


def test_no_input_no_request(glm_emulator: EmulatorServer) -> None:
    assert GLMOCRLoader([], **_where(glm_emulator)).load() == []
    assert GLMOCRLoader(b"", **_where(glm_emulator)).load() == []
    assert asyncio.run(GLMOCRLoader([], **_where(glm_emulator)).aload()) == []
    assert GLMOCRParser(**_where(glm_emulator)).parse(Blob.from_data(b"")) == []
    assert glm_emulator.state.requests == 0


def test_bad_files_are_refused_naming_them(glm_emulator: EmulatorServer, tmp_path: Path) -> None:
    (tmp_path / "slides.gif").write_bytes(b"GIF89a....")
    with pytest.raises(GLMValidationError) as info:
        GLMOCRLoader(tmp_path / "slides.gif", **_where(glm_emulator)).load()
    assert info.value.field == "file" and info.value.value == str(tmp_path / "slides.gif")
    with pytest.raises(GLMValidationError, match="at most 10 MB"):
        GLMOCRParser(**_where(glm_emulator)).parse(
            Blob.from_data(b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024), path="huge.png")
        )
    assert glm_emulator.state.requests == 0


def test_urls_any_case_go_as_given_and_credentials_are_refused(
    glm_emulator: EmulatorServer,
) -> None:
    docs = GLMOCRLoader("HTTPS://example.com/scan.pdf", **_where(glm_emulator)).load()
    assert [d.metadata["source"] for d in docs] == ["HTTPS://example.com/scan.pdf"]
    assert glm_emulator.state.requests == 1
    secret = "https://user:secret-pw@example.com/scan.pdf"
    with pytest.raises(GLMValidationError, match="without user:password") as info:
        GLMOCRLoader(secret, **_where(glm_emulator)).load()
    assert "secret-pw" not in str(info.value) and "***@example.com" in str(info.value)
    with pytest.raises(GLMValidationError, match="without user:password") as info:
        asyncio.run(GLMOCRLoader([PNG, secret], **_where(glm_emulator)).aload())
    assert "secret-pw" not in str(info.value)
    assert glm_emulator.state.requests <= 2  # the PNG at most; the URL never


def test_a_path_that_is_no_regular_file_is_refused(glm_emulator: EmulatorServer) -> None:
    with pytest.raises(GLMValidationError, match="not a regular file") as info:
        GLMOCRLoader("/dev/null", **_where(glm_emulator)).load()
    assert info.value.value == "/dev/null"
    with pytest.raises(GLMValidationError, match="not a regular file"):
        asyncio.run(GLMOCRParser(**_where(glm_emulator)).aparse(Blob.from_path("/dev/null")))
    assert glm_emulator.state.requests == 0


def test_errors_are_typed_and_coding_plan_refused(glm_emulator: EmulatorServer) -> None:
    busy = {FAULT_HEADER: json.dumps({"code": "1302", "retry_after_ms": 1})}
    loader = GLMOCRLoader(PNG, default_headers=busy, max_retries=0, **_where(glm_emulator))
    with pytest.raises(GLMRateLimitError):
        loader.load()
    with pytest.raises(GLMRateLimitError):
        asyncio.run(loader.aload())
    requests = glm_emulator.state.requests
    for provider in ("zai-coding", "bigmodel-coding"):
        with pytest.raises(GLMValidationError, match="documents no ocr endpoint"):
            GLMOCRLoader(PNG, provider=provider, api_key="k").load()
    assert glm_emulator.state.requests == requests == 2


def test_scripted_errors_reach_the_loader(glm_emulator: EmulatorServer) -> None:
    glm_emulator.script.on(file="image/png", reply={"error": [400, "1214"]}, times=1)
    with pytest.raises(GLMInvalidRequestError) as info:
        GLMOCRLoader(PNG, **_where(glm_emulator)).load()
    assert info.value.code == "1214"
    assert GLMOCRLoader(PNG, **_where(glm_emulator)).load()[0].page_content.startswith("# Scanned")


def test_pickles_without_the_key(glm_emulator: EmulatorServer) -> None:
    loader = GLMOCRLoader("a.pdf", base_url=glm_emulator.base_url, api_key="sk-secret-0123")
    assert "sk-secret-0123" not in repr(loader) + loader.model_dump_json()
    back = pickle.loads(pickle.dumps(loader))
    assert back.api_key is None and back.file_path == "a.pdf"
