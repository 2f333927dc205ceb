"""GLMOCRReader for LlamaIndex: one Document per page, alone and as SimpleDirectoryReader's reader
of PDFs and images, sync and natively async, on the emulator; one call replayed from a cassette."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from llama_index.core import SimpleDirectoryReader
from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import MetadataMode

from glm_transport import GLMValidationError, InvalidRequestError, RateLimitError
from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER
from llama_index_glm import GLMOCRReader
from tests.conftest import glm_target
from tests.pdfs import JPEG, PNG, make_pdf

PAGES = [["Invoice 42", "Total: 10 EUR"], ["Terms", "Pay within 30 days"]]


def _reader(emu: EmulatorServer, **kw: Any) -> GLMOCRReader:
    return GLMOCRReader(api_base=emu.base_url, api_key="k", **kw)


def test_import_paths_and_defaults() -> None:
    from llama_index.readers.glm_ocr import GLMOCRReader as FromPath

    assert FromPath is GLMOCRReader
    reader = GLMOCRReader(api_key="k")
    assert isinstance(reader, BaseReader) and reader.is_remote
    assert (reader.model, reader.max_concurrency, reader.class_name()) == (
        "glm-ocr",
        4,
        "GLMOCRReader",
    )


def test_one_document_per_page_with_metadata(glm_emulator: EmulatorServer) -> None:
    docs = _reader(glm_emulator).load_data(make_pdf(PAGES), extra_info={"batch": "march"})
    assert [d.text for d in docs] == ["Invoice 42\n\nTotal: 10 EUR", "Terms\n\nPay within 30 days"]
    meta = docs[0].metadata
    assert (meta["batch"], meta["source"], meta["page"], meta["page_size"]) == (
        "march",
        "bytes",
        1,
        [1240, 1754],
    )
    assert [e["content"] for e in meta["layout"]] == ["Invoice 42", "Total: 10 EUR"]
    # The layout stays out of what is embedded and what the LLM reads; the page number does not.
    for mode in (MetadataMode.EMBED, MetadataMode.LLM):
        shown = docs[0].get_content(metadata_mode=mode)
        assert "page: 1" in shown and "bbox" not in shown and "page_size" not in shown


def test_inside_simple_directory_reader(glm_emulator: EmulatorServer, tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(make_pdf(PAGES))
    (tmp_path / "b.png").write_bytes(PNG)
    (tmp_path / "c.jpg").write_bytes(JPEG)
    (tmp_path / "notes.md").write_text("Plain notes.")
    reader = _reader(glm_emulator)
    extractor: dict[str, Any] = {".pdf": reader, ".png": reader, ".jpg": reader}
    directory = SimpleDirectoryReader(str(tmp_path), file_extractor=extractor, raise_on_error=True)
    docs = directory.load_data()
    assert [(d.metadata["file_name"], d.metadata.get("page")) for d in docs] == [
        ("a.pdf", 1),
        ("a.pdf", 2),
        ("b.png", 1),
        ("c.jpg", 1),
        ("notes.md", None),
    ]
    assert docs[0].metadata["source"] == str(tmp_path / "a.pdf")
    assert docs[2].text.startswith("# Scanned image") and docs[4].text == "Plain notes."
    again = asyncio.run(directory.aload_data())
    assert [(d.text, d.metadata["file_name"]) for d in again] == [
        (d.text, d.metadata["file_name"]) for d in docs
    ]


async def test_async_reads_concurrently_and_agrees(glm_emulator: EmulatorServer) -> None:
    files = [make_pdf([[f"File {i}"]]) for i in range(5)]
    reader = _reader(glm_emulator, max_concurrency=2)
    docs = await reader.aload_data(files)
    assert [d.text for d in docs] == [f"File {i}" for i in range(5)]
    assert [(d.text, d.metadata) for d in docs] == [
        (d.text, d.metadata) for d in reader.load_data(files)
    ]
    assert type(reader).aload_data is not BaseReader.aload_data  # no thread hop


async def test_a_long_pdf_in_ranges_pages_in_order(glm_emulator: EmulatorServer) -> None:
    docs = await _reader(glm_emulator).aload_data(make_pdf(230, fanout=50))
    assert [d.metadata["page"] for d in docs] == list(range(1, 231))
    assert docs[229].text == "Page text 230"
    ranges = sorted((b["start_page_id"], b["end_page_id"]) for b in glm_emulator.state.bodies)
    assert ranges == [(1, 100), (101, 200), (201, 230)]


def test_reads_through_an_fsspec_file_system(glm_emulator: EmulatorServer, tmp_path: Path) -> None:
    from fsspec.implementations.memory import MemoryFileSystem

    fs = MemoryFileSystem()
    fs.pipe("/scans/a.pdf", make_pdf(PAGES))
    docs = _reader(glm_emulator).load_data("/scans/a.pdf", fs=fs)
    assert [(d.metadata["source"], d.metadata["page"]) for d in docs] == [
        ("/scans/a.pdf", 1),
        ("/scans/a.pdf", 2),
    ]


async def test_a_file_system_file_is_looked_at_before_it_is_read(
    glm_emulator: EmulatorServer, tmp_path: Path
) -> None:
    from fsspec.implementations.local import LocalFileSystem
    from fsspec.implementations.memory import MemoryFileSystem

    fs = MemoryFileSystem()
    fs.mkdir("/scans/folder.pdf")
    reader = _reader(glm_emulator)
    with pytest.raises(GLMValidationError, match="not a regular file") as info:
        reader.load_data("/scans/folder.pdf", fs=fs)
    assert info.value.value == "/scans/folder.pdf"
    with pytest.raises(GLMValidationError, match="FileNotFoundError") as info:
        await reader.aload_data(["/scans/missing.pdf"], fs=fs)
    assert info.value.value == "/scans/missing.pdf"
    big = tmp_path / "big.pdf"
    with big.open("wb") as handle:
        handle.write(b"%PDF-1.4\n")
        handle.truncate(1024 * 1024 * 1024)  # 1 GB, none of it on disk
    tracemalloc.start()
    try:
        with pytest.raises(GLMValidationError, match="a PDF of at most 50 MB") as info:
            reader.load_data(str(big), fs=LocalFileSystem())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.value == f"{big} ({1024 * 1024 * 1024} bytes)"
    assert peak < 1024 * 1024  # its head, not its 50 MB
    assert glm_emulator.state.requests == 0


def test_no_input_no_request(glm_emulator: EmulatorServer) -> None:
    reader = _reader(glm_emulator)
    assert reader.load_data([]) == []
    assert reader.load_data(b"") == []
    assert asyncio.run(reader.aload_data([])) == []
    assert glm_emulator.state.requests == 0


def test_bad_files_are_refused_naming_them(glm_emulator: EmulatorServer, tmp_path: Path) -> None:
    (tmp_path / "deck.pptx").write_bytes(b"PK\x03\x04")
    with pytest.raises(GLMValidationError) as info:
        _reader(glm_emulator).load_data(tmp_path / "deck.pptx")
    assert info.value.field == "file" and info.value.value == str(tmp_path / "deck.pptx")
    with pytest.raises(GLMValidationError, match="a PDF of at most 50 MB"):
        asyncio.run(_reader(glm_emulator).aload_data(b"%PDF-1.7" + b"\0" * (50 * 1024 * 1024)))
    assert glm_emulator.state.requests == 0


def test_errors_are_typed_retried_and_coding_plan_refused(glm_emulator: EmulatorServer) -> None:
    once = {FAULT_HEADER: json.dumps({"code": "1305", "times": 1, "retry_after_ms": 1})}
    assert _reader(glm_emulator, default_headers=once).load_data(PNG)
    assert glm_emulator.state.requests == 2  # the 429 retried
    busy = {FAULT_HEADER: json.dumps({"code": "1302", "retry_after_ms": 1})}
    with pytest.raises(RateLimitError):
        asyncio.run(_reader(glm_emulator, default_headers=busy, max_retries=0).aload_data(PNG))
    glm_emulator.script.on(file="application/pdf", reply={"error": [400, "1214"]})
    with pytest.raises(InvalidRequestError):
        _reader(glm_emulator).load_data(make_pdf(1))
    sent = glm_emulator.state.requests
    with pytest.raises(GLMValidationError, match="documents no ocr endpoint"):
        GLMOCRReader(provider="bigmodel-coding", api_key="k").load_data(PNG)
    assert glm_emulator.state.requests == sent


def test_scripted_markdown_for_every_page(glm_emulator: EmulatorServer) -> None:
    glm_emulator.script.on(file="", reply="# Scanned page {page}")
    docs = _reader(glm_emulator).load_data(make_pdf(3))
    assert [d.text for d in docs] == [f"# Scanned page {n}" for n in (1, 2, 3)]


@pytest.mark.vcr
def test_ocr_call_replays_from_its_cassette() -> None:
    """The wire of one GLM-OCR call (cassettes/README.md: authored from the wire reference)."""
    reader = GLMOCRReader(**glm_target(), max_retries=0)
    docs = reader.load_data(make_pdf([["Quarterly report", "Revenue grew 12%."]]))
    assert [d.text for d in docs] == ["Quarterly report\n\nRevenue grew 12%."]
    assert docs[0].metadata["page"] == 1 and docs[0].metadata["layout"][0]["label"] == "text"


def test_serializes_and_pickles_without_the_key() -> None:
    import pickle

    reader = GLMOCRReader(api_key="sk-secret-0123456", max_concurrency=2)
    assert "sk-secret" not in reader.to_json() + repr(reader)
    back = pickle.loads(pickle.dumps(reader))
    assert back.api_key is None and back.max_concurrency == 2
