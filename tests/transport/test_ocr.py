"""ocr: files checked against GLM-OCR's limits before sending, long PDFs read in page ranges with
the pages in order, replies read strictly, and the same retries, budget and typed errors as chat
(against the emulator, sync and async). The page counter is tested here too."""

from __future__ import annotations

import asyncio
import base64
import gc
import io
import json
import time
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from glm_transport import PROVIDERS, AsyncGLMClient, GLMClient, GLMValidationError, resolve_settings
from glm_transport import errors as E
from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER
from glm_transport.emulator.ocr import IMAGE_LAYOUT
from glm_transport.emulator.transport import EmulatorTransport
from glm_transport.ocr import (
    MAX_IMAGE_BYTES,
    MAX_PDF_BYTES,
    aocr,
    aocr_many,
    ocr,
    ocr_body,
    ocr_many,
    page_ranges,
    parse_ocr,
    plan_file,
    read_limited,
)
from glm_transport.pdfpages import MAX_INFLATED, MAX_PACKED, Unreadable, objects, page_count
from tests.pdfs import JPEG, PNG, make_pdf, object_stream

IMAGE_MARKDOWN = "\n\n".join(content for _, content in IMAGE_LAYOUT)


def _client(fault: dict[str, Any] | None = None, **kw: Any) -> tuple[GLMClient, list[Any]]:
    sent: list[Any] = []
    emulator = EmulatorTransport()

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert len(body.pop("request_id")) == 32  # a fresh one on every attempt
        sent.append(body)
        return emulator.handle_request(request)

    headers = {FAULT_HEADER: json.dumps(fault)} if fault else {}
    settings = resolve_settings(
        base_url="http://emulator.invalid/v4", api_key="k", default_headers=headers, **kw
    )
    return GLMClient(settings, httpx.Client(transport=httpx.MockTransport(handler))), sent


def _ranges(sent: list[dict[str, Any]]) -> list[tuple[int, int] | None]:
    return [(b["start_page_id"], b["end_page_id"]) if "start_page_id" in b else None for b in sent]


# ---- the page counter -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw", [{}, {"packed": True}, {"fanout": 7}, {"fanout": 7, "packed": True}], ids=str
)
@pytest.mark.parametrize("pages", [1, 2, 100, 101, 250])
def test_page_count_reads_the_root_of_the_page_tree(pages: int, kw: dict[str, Any]) -> None:
    assert page_count(make_pdf(pages, **kw)) == pages


def test_page_count_takes_the_last_update_and_refuses_what_it_cannot_read() -> None:
    assert page_count(make_pdf(300, update=250)) == 250  # an incremental update appended later
    assert page_count(b"not a pdf /Type /Pages /Count 3") is None
    assert page_count(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj") is None
    indirect = b"%PDF-1.4\n2 0 obj << /Type /Pages /Kids [] /Count 9 0 R >> endobj"
    assert page_count(indirect) is None  # unknown rather than wrong
    child = b"%PDF-1.4\n3 0 obj << /Type /Pages /Parent 2 0 R /Count 4 >> endobj"
    assert page_count(child) is None  # a node with a parent is not the root
    plain = make_pdf(3)
    assert page_count(plain.replace(b"/Type /Pages /Kids", b"/Type/Pages/Kids")) == 3


def test_page_count_reads_past_stray_headers_and_binary_streams() -> None:
    pdf = make_pdf(12)
    head = b"%PDF-1.5\n"
    stray = head + b"7 0 obj " * 1000 + pdf[len(head) :]  # headers without their end
    assert page_count(stray) == 12
    binary = bytes(range(256)) * 64 + b" 5 0 obj endobj"
    streamed = head + b"99 0 obj << /Length 9 >>\nstream\n" + binary + b"\nendstream\nendobj\n"
    assert page_count(streamed + pdf[len(head) :]) == 12


def test_page_count_skips_object_streams_it_cannot_inflate() -> None:
    packed = make_pdf(4, packed=True)
    start = packed.index(b"/Type /ObjStm")
    broken = packed[:start] + packed[start:].replace(b"/FlateDecode", b"/LZWDecode", 1)
    assert page_count(broken) is None
    body = zlib.compress(b"x y\n<< /Type /Pages /Count 6 >>")
    garbage = b"%PDF-1.5\n9 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>\nstream\n"
    assert page_count(garbage + body + b"\nendstream\nendobj") is None  # "x y" is no header


def _tree(pages: int) -> list[tuple[int, bytes]]:
    """A page tree to pack: its root (object 2) and ``pages`` pages (objects 10 ...)."""
    kids = b" ".join(b"%d 0 R" % (10 + i) for i in range(pages))
    root = (2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
    return [root, *((10 + i, b"<< /Type /Page /Parent 2 0 R >>") for i in range(pages))]


HEAD, PAD = b"%PDF-1.5\n", b"%" + b"x" * 20_000 + b"\n"  # PAD: room for 200 pages


def test_one_inflate_budget_for_the_whole_file() -> None:
    tree = object_stream(1, _tree(3))
    assert page_count(HEAD + tree + PAD) == 3
    size = len(zlib.decompress(tree.split(b"stream\n", 1)[1].rsplit(b"\nendstream", 1)[0]))
    budget = size * 3 // 2
    assert len(list(objects(HEAD + tree, inflated=budget))) == 5  # the stream and its 4
    with pytest.raises(Unreadable):  # each stream fits alone; the two together do not
        list(objects(HEAD + tree + object_stream(3, _tree(3)), inflated=budget))
    # Two bombs each under the budget, together over it: the file is unknown, not read on.
    bomb = object_stream(5, [], raw=b" " * (MAX_INFLATED // 2 + 1))
    assert page_count(HEAD + bomb + bomb + tree + PAD) is None
    assert page_count(HEAD + bomb + tree + PAD) == 3


def test_object_stream_headers_are_read_within_their_bounds() -> None:
    assert page_count(HEAD + object_stream(1, _tree(3), junk=b" 7 x") + PAD) == 3  # 2N numbers
    assert page_count(HEAD + object_stream(1, _tree(3), first=10**9) + PAD) is None
    assert page_count(HEAD + object_stream(1, _tree(3), first=b"9" * 5000) + PAD) is None
    assert page_count(HEAD + object_stream(1, _tree(3), n=MAX_PACKED + 1) + PAD) is None
    assert page_count(HEAD + object_stream(1, _tree(3), n=b"9" * 40) + PAD) is None


def test_packed_objects_are_copied_once() -> None:
    # Offsets that go back and forth would hand out the same bytes again and again.
    big = [(k, b"<< /Filler (%s) >>" % (b"y" * 10_000)) for k in range(20)]
    offsets = [0, 10_020] * 10
    pdf = HEAD + object_stream(1, big, offsets=offsets)
    handed = sum(len(body) for _, body in objects(pdf))
    assert handed <= 2 * len(pdf) + 20 * 10_020


def test_a_file_of_digits_is_read_in_one_pass() -> None:
    # A header regex tried inside a run of digits took time quadratic in the run (a 100k run:
    # about a minute); it now starts where a run does, and this returns at once.
    assert page_count(HEAD + b"9" * 100_000 + make_pdf(2)[len(HEAD) :]) == 2


@pytest.mark.parametrize(
    "count",
    [b"1e9", b"9" * 5000, b"1000000000", b"-5", b"3.5", b"abc", b"100000", b"150"],
)
def test_a_count_the_file_cannot_hold_is_unknown(count: bytes) -> None:
    pdf = HEAD + b"1 0 obj <</Type /Pages /Kids [] /Count " + count + b">> endobj\n" + PAD
    assert page_count(pdf) is None
    planned = plan_file(pdf)
    assert planned is not None and planned.pages is None and page_ranges(planned.pages) == [None]


def test_a_count_is_believed_up_to_the_pages_the_file_holds() -> None:
    assert page_count(make_pdf(5, update=250)) is None  # 250 claimed, 5 page objects
    assert page_count(make_pdf(300, update=250)) == 250  # the last update's count
    tree = object_stream(1, _tree(150))
    assert page_count(HEAD + tree) is None  # 150 pages in under 15,000 bytes
    assert page_count(HEAD + tree + PAD) == 150


@pytest.mark.parametrize(
    "title", [b"(/Type /Pages /Count 7777)", b"(a (nested /Type /Pages /Count 7777) b)"]
)
def test_a_count_in_a_string_is_not_the_root(title: bytes) -> None:
    later = b"9 0 obj << /Title " + title + b" >> endobj\n"
    assert page_count(make_pdf(3) + later) == 3


# ---- pure parts -------------------------------------------------------------------------------


def test_page_ranges_split_past_100_pages() -> None:
    assert page_ranges(None) == [None]
    assert page_ranges(1) == [None]
    assert page_ranges(100) == [None]
    assert page_ranges(101) == [(1, 100), (101, 101)]
    assert page_ranges(250) == [(1, 100), (101, 200), (201, 250)]


def test_body_shape() -> None:
    assert ocr_body("https://x/a.pdf", "glm-ocr") == {"model": "glm-ocr", "file": "https://x/a.pdf"}
    ranged = ocr_body("f", "glm-ocr", (101, 200))
    assert (ranged["start_page_id"], ranged["end_page_id"]) == (101, 200)


def test_files_are_sent_as_data_uris_and_urls_as_given(tmp_path: Path) -> None:
    pdf = make_pdf(3)
    planned = plan_file(pdf, name="report.pdf")
    assert planned is not None
    assert (planned.name, planned.kind, planned.pages, planned.size) == (
        "report.pdf",
        "pdf",
        3,
        len(pdf),
    )
    assert planned.file == "data:application/pdf;base64," + base64.b64encode(pdf).decode()
    (tmp_path / "scan.jpg").write_bytes(JPEG)
    jpeg = plan_file(tmp_path / "scan.jpg")
    assert jpeg is not None and jpeg.file.startswith("data:image/jpeg;base64,")
    assert jpeg.name == str(tmp_path / "scan.jpg")
    url = plan_file("https://example.com/scan.png?sig=1")
    assert url is not None and (url.kind, url.file) == ("url", "https://example.com/scan.png?sig=1")
    again = plan_file("data:image/png;base64," + base64.b64encode(PNG).decode())
    assert again is not None and (again.kind, again.name) == ("png", "data: URI")


def test_at_the_size_limits_files_are_accepted() -> None:
    image = b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_IMAGE_BYTES - 8)
    assert plan_file(image) is not None
    pdf = b"%PDF-1.4\n" + b"\0" * (MAX_PDF_BYTES - 9)
    assert plan_file(pdf) is not None


def _limit_cases(tmp_path: Path) -> list[tuple[Any, str]]:
    (tmp_path / "notes.txt").write_bytes(b"plain text")
    return [
        (b"GIF89a....", "bytes"),
        (tmp_path / "notes.txt", str(tmp_path / "notes.txt")),
        (tmp_path / "missing.pdf", str(tmp_path / "missing.pdf")),
        (str(tmp_path), str(tmp_path)),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_IMAGE_BYTES, "bytes"),
        (b"%PDF-1.4\n" + b"\0" * MAX_PDF_BYTES, "bytes"),
        ("https://example.com/report.docx", "https://example.com/report.docx"),
        ("data:image/png;base64,%%%", "data:image/png;base64,%%%"),
        ("data:image/png,rawtext", "data:image/png,rawtext"),
        (12345, "int"),
    ]


@pytest.mark.parametrize("case", range(10))
def test_limits_are_checked_before_sending_and_name_the_file(case: int, tmp_path: Path) -> None:
    source, named = _limit_cases(tmp_path)[case]
    client, sent = _client()
    with pytest.raises(GLMValidationError) as info:
        ocr(client, source)
    assert info.value.field == "file" and named in str(info.value.value) and sent == []


def test_the_size_error_says_the_limit() -> None:
    with pytest.raises(GLMValidationError, match="an image of at most 10 MB"):
        plan_file(b"\xff\xd8\xff" + b"\0" * MAX_IMAGE_BYTES, name="big.jpg")
    with pytest.raises(GLMValidationError, match="a PDF of at most 50 MB") as info:
        plan_file(b"%PDF-1.7" + b"\0" * MAX_PDF_BYTES, name="big.pdf")
    assert str(info.value.value).startswith("big.pdf (")


@pytest.mark.parametrize("model", ["", "  ", None, 3])
def test_a_bad_model_names_its_field(model: Any) -> None:
    client, sent = _client()
    with pytest.raises(GLMValidationError) as info:
        ocr(client, PNG, model=model)
    assert info.value.field == "model" and sent == []


# ---- against the emulator ---------------------------------------------------------------------


def test_an_image_is_one_page_with_its_layout() -> None:
    client, sent = _client()
    out = ocr(client, PNG, name="scan.png")
    assert sent == [
        {"model": "glm-ocr", "file": "data:image/png;base64," + base64.b64encode(PNG).decode()}
    ]
    assert out.source == "scan.png" and len(out.pages) == 1
    page = out.pages[0]
    assert (page.number, page.markdown) == (1, IMAGE_MARKDOWN)  # one page: md_results itself
    assert [e.label for e in page.elements] == ["text", "text", "table", "formula"]
    assert page.elements[2].content.startswith("<table>") and page.elements[0].index == 1
    assert len(page.elements[0].bbox or ()) == 4 and (page.width, page.height) == (1024, 768)
    assert out.usage.prompt_tokens == 1000 and out.usage.completion_tokens > 0
    assert out.usage.total_tokens == out.usage.prompt_tokens + out.usage.completion_tokens


def test_a_pdf_gives_each_page_its_own_markdown() -> None:
    pdf = make_pdf([["Invoice 42", "Total: 10 EUR"], ["Terms", "Pay in 30 days"], []])
    client, sent = _client()
    out = ocr(client, pdf)
    assert _ranges(sent) == [None]  # 100 pages or fewer: the file whole
    assert [p.number for p in out.pages] == [1, 2, 3]
    assert [p.markdown for p in out.pages] == [
        "Invoice 42\n\nTotal: 10 EUR",
        "Terms\n\nPay in 30 days",
        "Page 3 of 3",
    ]
    assert out.pages[0].elements[1].as_dict() == {
        "index": 2,
        "label": "text",
        "bbox": list(out.pages[0].elements[1].bbox or ()),
        "content": "Total: 10 EUR",
    }
    assert out.source == "bytes" and (out.pages[0].width, out.pages[0].height) == (1240, 1754)


def test_a_long_pdf_is_read_in_ranges_and_its_pages_come_back_in_order() -> None:
    pdf = make_pdf(250, packed=True, fanout=40)
    client, sent = _client()
    out = ocr(client, pdf)
    assert _ranges(sent) == [(1, 100), (101, 200), (201, 250)]
    assert [p.number for p in out.pages] == list(range(1, 251))
    assert [p.markdown for p in out.pages] == [f"Page text {n}" for n in range(1, 251)]
    assert out.usage.prompt_tokens == 250_000  # the three requests' usage added up
    assert out.usage.completion_tokens > 0  # and each range's completion tokens counted once:
    assert out.usage.total_tokens == out.usage.prompt_tokens + out.usage.completion_tokens


async def test_async_ranges_go_concurrently_bounded_and_stay_in_order() -> None:
    pdf = make_pdf(450)
    emulator = EmulatorTransport()
    flight = {"now": 0, "max": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        flight["now"] += 1
        flight["max"] = max(flight["max"], flight["now"])
        start = json.loads(request.content)["start_page_id"]
        await asyncio.sleep(0.05 if start == 1 else 0.01)  # the first range answers last
        flight["now"] -= 1
        return emulator.handle_request(request)

    settings = resolve_settings(base_url="http://emulator.invalid/v4", api_key="k")
    client = AsyncGLMClient(settings, httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    out = await aocr(client, pdf, concurrency=2)
    assert flight["max"] == 2
    assert [p.number for p in out.pages] == list(range(1, 451))
    sync_client, _ = _client()
    assert out.pages == ocr(sync_client, pdf).pages


async def test_many_files_read_concurrently_bounded_results_in_order() -> None:
    files = [make_pdf([[f"File {i}"]]) for i in range(6)]
    emulator = EmulatorTransport()
    flight = {"now": 0, "max": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        flight["now"] += 1
        flight["max"] = max(flight["max"], flight["now"])
        first = base64.b64decode(json.loads(request.content)["file"].split(",", 1)[1])
        await asyncio.sleep(0.05 if b"File 0" in first else 0.01)
        flight["now"] -= 1
        return emulator.handle_request(request)

    settings = resolve_settings(base_url="http://emulator.invalid/v4", api_key="k")
    client = AsyncGLMClient(settings, httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    names = [f"f{i}.pdf" for i in range(6)]
    out = await aocr_many(client, files, names=names, concurrency=3)
    assert flight["max"] == 3
    assert [r.source for r in out] == names
    assert [r.pages[0].markdown for r in out] == [f"File {i}" for i in range(6)]
    sync_client, _ = _client()
    assert [r.pages for r in ocr_many(sync_client, files)] == [r.pages for r in out]


async def test_a_bad_file_among_many_stops_the_rest() -> None:
    client, sent = _client()
    sources = [PNG, b"GIF89a", PNG]
    with pytest.raises(GLMValidationError):
        ocr_many(client, sources)
    assert len(sent) == 1  # the first, read before the second was checked
    settings = resolve_settings(base_url="http://emulator.invalid/v4", api_key="k")
    calls: list[Any] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return EmulatorTransport().handle_request(request)

    aclient = AsyncGLMClient(settings, httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    with pytest.raises(GLMValidationError):
        await aocr_many(aclient, [b"GIF89a", PNG, PNG], concurrency=1)
    assert calls == []  # checked first, and the failure cancelled the files waiting


async def test_no_input_no_request(tmp_path: Path) -> None:
    client, sent = _client()
    assert ocr(client, b"").pages == []
    (tmp_path / "empty.pdf").write_bytes(b"")
    assert ocr(client, tmp_path / "empty.pdf").source == str(tmp_path / "empty.pdf")
    assert ocr_many(client, []) == []
    settings = resolve_settings(base_url="http://emulator.invalid/v4", api_key="k")
    aclient = AsyncGLMClient(
        settings, httpx.AsyncClient(transport=httpx.MockTransport(sent.append))
    )
    assert await aocr_many(aclient, []) == []
    assert (await aocr(aclient, b"")).pages == []
    assert sent == []


def test_names_must_match_the_sources() -> None:
    client, sent = _client()
    with pytest.raises(GLMValidationError) as info:
        ocr_many(client, [PNG, PNG], names=["one"])
    assert info.value.field == "names" and sent == []
    with pytest.raises(GLMValidationError) as info:
        ocr_many(client, PNG)  # type: ignore[arg-type]
    assert info.value.field == "sources"


def test_a_url_goes_as_given() -> None:
    client, sent = _client()
    out = ocr(client, "https://example.com/scan.pdf")
    assert sent[0]["file"] == "https://example.com/scan.pdf"
    assert out.source == "https://example.com/scan.pdf" and out.pages[0].markdown == IMAGE_MARKDOWN


@pytest.mark.parametrize("name", [p.name for p in PROVIDERS.values() if "ocr" not in p.serves])
def test_providers_without_ocr_refuse_before_sending(name: str) -> None:
    sent: list[Any] = []
    settings = resolve_settings(provider=name, api_key="k")
    client = GLMClient(settings, httpx.Client(transport=httpx.MockTransport(sent.append)))
    with pytest.raises(GLMValidationError, match="documents no ocr endpoint") as info:
        ocr(client, PNG)
    assert info.value.field == "provider" and "'zai', 'bigmodel'" in str(info.value)
    assert sent == []


def test_zai_bigmodel_and_custom_gateways_serve_ocr() -> None:
    serving = {p.name for p in PROVIDERS.values() if "ocr" in p.serves}
    assert {"zai", "bigmodel", "custom"} <= serving
    assert not {"zai-coding", "bigmodel-coding", "maxtoken", "powertokens"} & serving


def test_transient_errors_are_retried_then_typed() -> None:
    client, sent = _client({"code": "1302", "times": 1, "retry_after_ms": 1})
    assert ocr(client, PNG).pages
    assert len(sent) == 2
    client, sent = _client({"code": "1302", "retry_after_ms": 1}, max_retries=1)
    with pytest.raises(E.RateLimitError) as info:
        ocr(client, PNG)
    assert info.value.code == "1302" and info.value.attempts == 2 and len(sent) == 2


def test_upstream_rejections_are_typed_by_code_and_not_retried() -> None:
    client, sent = _client()
    with pytest.raises(E.NotFoundError) as found:
        ocr(client, PNG, model="glm-4.6v")
    assert found.value.code == "1211" and len(sent) == 1
    client, sent = _client()
    with pytest.raises(E.InvalidRequestError) as bad:
        ocr(client, b"%PDF-1.4 no page tree here")  # counted by no one: sent whole, refused
    assert bad.value.code == "1214" and "cannot be read" in str(bad.value) and len(sent) == 1


def test_the_budget_bounds_the_call(glm_emulator: EmulatorServer) -> None:
    slow = {FAULT_HEADER: json.dumps({"delay": 5})}
    settings = resolve_settings(
        base_url=glm_emulator.base_url, api_key="k", default_headers=slow, total_timeout=0.5
    )
    with pytest.raises(E.APITimeoutError):
        ocr(GLMClient(settings), PNG)


def test_over_the_socket_sync_and_async(glm_emulator: EmulatorServer) -> None:
    settings = resolve_settings(base_url=glm_emulator.base_url, api_key="k")
    pdf = make_pdf(120)
    whole = ocr(GLMClient(settings), pdf)
    assert [p.markdown for p in whole.pages] == [f"Page text {n}" for n in range(1, 121)]
    again = asyncio.run(aocr(AsyncGLMClient(settings), pdf))
    assert again.pages == whole.pages and glm_emulator.state.requests == 4


# ---- reading replies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        None,
        {},
        {"md_results": 3},
        {"layout_details": "pages"},
        {"layout_details": [{"label": "text"}]},
        {"layout_details": [[{"content": "no label"}]]},
        {"layout_details": [[{"label": 1}]]},
        {"layout_details": [[{"label": "text", "content": 5}]]},
        {"layout_details": [[{"label": "text", "bbox_2d": "0,0,1,1"}]]},
        {"layout_details": [[{"label": "text", "bbox_2d": [0, True, 1, 1]}]]},
        {"layout_details": [[{"label": "text", "bbox_2d": [0, 0, 1]}]]},
        {"layout_details": [[{"label": "text", "bbox_2d": [0, 0, 1, 1, 1]}]]},
        {"layout_details": [[{"label": "text", "bbox_2d": []}]]},
        {"layout_details": [[{"label": "text", "index": "1"}]]},
        {"layout_details": [["text"]]},
        {"layout_details": [[]], "data_info": {"pages": "A4"}},
    ],
)
def test_replies_of_another_shape_are_typed_errors(body: Any) -> None:
    with pytest.raises(E.APIError, match="unexpected shape"):
        parse_ocr(body)


def test_reading_a_reply_of_several_pages() -> None:
    body = {
        "md_results": "# A\n\n![](https://cdn/x.png)\n\nB",
        "layout_details": [
            [
                {
                    "index": 1,
                    "label": "text",
                    "bbox_2d": [1, 2, 3, 4],
                    "content": "# A",
                    "width": 600,
                    "height": 800,
                },
                {
                    "index": 2,
                    "label": "image",
                    "bbox_2d": [5, 6, 7, 8],
                    "content": "https://cdn/x.png",
                },
                {"index": 3, "label": "text", "content": None},
            ],
            [],
            [{"label": "table", "content": "<table></table>"}],
        ],
        "data_info": {
            "num_pages": 9,
            "pages": [{"width": 1, "height": 2}, {"width": 3, "height": 4}, {}],
        },
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }
    pages, usage = parse_ocr(body, first_page=101)
    assert [p.number for p in pages] == [101, 102, 103]
    assert [p.markdown for p in pages] == ["# A\n\n![](https://cdn/x.png)", "", "<table></table>"]
    assert (pages[0].width, pages[0].height) == (600, 800)  # the elements' own size first
    assert (pages[1].width, pages[1].height) == (3, 4)  # else data_info's
    assert (pages[2].width, pages[2].height) == (None, None)
    assert pages[0].elements[1].bbox == (5, 6, 7, 8) and pages[0].elements[2].content == ""
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (5, 7, 12)


def test_a_reply_of_one_page_keeps_glm_markdown() -> None:
    one = {"md_results": "# Title\n\nText", "layout_details": [[{"label": "text", "content": "x"}]]}
    assert parse_ocr(one)[0][0].markdown == "# Title\n\nText"
    only_markdown = {"md_results": "Just text"}
    pages, usage = parse_ocr(only_markdown)
    assert [(p.number, p.markdown, p.elements) for p in pages] == [(1, "Just text", ())]
    assert usage.total_tokens == 0
    empty = {"md_results": "", "layout_details": [[{"label": "text", "content": "from elements"}]]}
    assert parse_ocr(empty)[0][0].markdown == "from elements"


def test_a_reply_must_hold_the_pages_asked_for() -> None:
    two: dict[str, Any] = {"layout_details": [[], []]}
    assert len(parse_ocr(two, 101, expected=2)[0]) == 2
    assert len(parse_ocr(two)[0]) == 2  # not known: what comes is taken
    with pytest.raises(E.APIError, match=r"\(pages 101-103\): expected 3 pages, got 2"):
        parse_ocr(two, 101, expected=3)
    with pytest.raises(E.APIError, match=r"\(page 1\): expected 1 pages, got 2"):
        parse_ocr(two, expected=1)


def _answering(reply: Any) -> tuple[GLMClient, list[Any]]:
    """A client whose every request gets ``reply`` (with its own request_id)."""
    sent: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sent.append(body)
        return httpx.Response(200, json={**reply, "request_id": body["request_id"]})

    settings = resolve_settings(base_url="http://x.invalid/v4", api_key="k", max_retries=0)
    return GLMClient(settings, httpx.Client(transport=httpx.MockTransport(handler))), sent


@pytest.mark.parametrize(
    ("source", "reply", "expected"),
    [
        (make_pdf(250), {"layout_details": [[]]}, "expected 100 pages, got 1"),
        (make_pdf(250), {"layout_details": [[]] * 150}, "expected 100 pages, got 150"),
        (make_pdf(5), {"layout_details": [[]] * 2}, "expected 5 pages, got 2"),
        (PNG, {"layout_details": [[]] * 3}, "expected 1 pages, got 3"),
        (JPEG, {"md_results": "", "layout_details": []}, "expected 1 pages, got 0"),
    ],
)
def test_pages_missing_from_or_added_to_a_reply_are_an_error(
    source: bytes, reply: dict[str, Any], expected: str
) -> None:
    client, sent = _answering(reply)
    with pytest.raises(E.APIError, match=expected):
        ocr(client, source)
    assert len(sent) == 1  # not retried, and no range after it


def test_pages_of_a_file_counted_by_no_one_are_taken_as_they_come() -> None:
    client, _ = _answering({"layout_details": [[], [], []]})
    assert [p.number for p in ocr(client, "https://example.com/scan.pdf").pages] == [1, 2, 3]
    unknown = HEAD + b"1 0 obj <</Type /Pages /Kids [] /Count 150>> endobj\n" + PAD
    assert [p.number for p in ocr(client, unknown).pages] == [1, 2, 3]


_PADDED = make_pdf(800)[:-6] + b"%" + b"x" * 2_000_000 + b"\n%%EOF\n"  # 2.7 MB a body
_BODY = len(base64.b64encode(_PADDED))


def _reply(request: httpx.Request) -> httpx.Response:
    """A range's 100 pages (no emulator: what it keeps would count)."""
    body = json.loads(request.content)
    return httpx.Response(
        200, json={"layout_details": [[]] * 100, "request_id": body["request_id"]}
    )


def test_each_range_is_built_when_it_is_sent() -> None:
    held: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        gc.collect()  # what is still held, not garbage yet to be collected
        held.append(tracemalloc.get_traced_memory()[0])
        return _reply(request)

    settings = resolve_settings(base_url="http://x.invalid/v4", api_key="k")
    client = GLMClient(settings, httpx.Client(transport=httpx.MockTransport(handler)))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        assert len(ocr(client, _PADDED).pages) == 800
    finally:
        tracemalloc.stop()
    # Built up front, all eight bodies were held while the first was answered.
    assert len(held) == 8
    assert max(n - before for n in held) < 5 * _BODY, [(n - before) // _BODY for n in held]


async def test_async_ranges_are_built_when_they_may_go() -> None:
    held: list[int] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        gc.collect()  # what is still held, not garbage yet to be collected
        held.append(tracemalloc.get_traced_memory()[0])
        return _reply(request)

    settings = resolve_settings(base_url="http://x.invalid/v4", api_key="k")
    client = AsyncGLMClient(settings, httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = await aocr(client, _PADDED, concurrency=1)
    finally:
        tracemalloc.stop()
    assert len(out.pages) == 800 and len(held) == 8
    assert max(n - before for n in held) < 5 * _BODY, [(n - before) // _BODY for n in held]


def _slow(delay: float, total: float) -> tuple[GLMClient, AsyncGLMClient, list[Any]]:
    sent: list[Any] = []
    emulator = EmulatorTransport()

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        time.sleep(delay)
        return emulator.handle_request(request)

    async def ahandler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        await asyncio.sleep(delay)
        return emulator.handle_request(request)

    settings = resolve_settings(
        base_url="http://emulator.invalid/v4", api_key="k", total_timeout=total, max_retries=0
    )
    return (
        GLMClient(settings, httpx.Client(transport=httpx.MockTransport(handler))),
        AsyncGLMClient(settings, httpx.AsyncClient(transport=httpx.MockTransport(ahandler))),
        sent,
    )


async def test_total_timeout_bounds_the_whole_read_of_a_file() -> None:
    pdf = make_pdf(450)  # five ranges, each answered in 0.3 s, within a 1 s budget each
    client, aclient, sent = _slow(0.3, 1.0)
    with pytest.raises(E.APITimeoutError, match=r"Reading bytes .* total_timeout of 1.0s") as info:
        ocr(client, pdf)
    # With a budget per range all five would be read; how many fit in the one budget depends on
    # the machine's load, so only "not all" is asserted (outcomes, not durations).
    assert 1 <= len(sent) < 5  # the range that ran out of the read's budget was the last sent
    assert f"({len(sent) - 1} of 5 page ranges read)" in str(info.value)
    sent.clear()
    with pytest.raises(E.APITimeoutError, match=r"Reading scan.pdf .* of 5 page ranges") as info:
        await aocr(aclient, pdf, name="scan.pdf", concurrency=1)
    assert 1 <= len(sent) < 5
    assert f"({len(sent) - 1} of 5 page ranges read)" in str(info.value)
    client, aclient, sent = _slow(0.01, 30)  # a budget that suffices: every range read
    assert len(ocr(client, pdf).pages) == 450 and len((await aocr(aclient, pdf)).pages) == 450


def test_a_local_file_is_looked_at_before_it_is_read(tmp_path: Path) -> None:
    with pytest.raises(GLMValidationError, match="not a regular file") as info:
        plan_file("/dev/null")  # a device: read, it was an empty file
    assert info.value.value == "/dev/null"
    sparse = tmp_path / "huge.pdf"
    with sparse.open("wb") as handle:
        handle.write(b"%PDF-1.4\n")
        handle.truncate(2 * 1024 * 1024 * 1024)  # 2 GB, none of it on disk
    tracemalloc.start()
    try:
        with pytest.raises(GLMValidationError, match="a PDF of at most 50 MB") as info:
            plan_file(sparse)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.value == f"{sparse} ({2 * 1024 * 1024 * 1024} bytes)"
    assert peak < 1024 * 1024  # its first bytes, not its 2 GB
    zeros = tmp_path / "zeros.pdf"
    with zeros.open("wb") as handle:
        handle.truncate(MAX_PDF_BYTES + 1)
    with pytest.raises(GLMValidationError, match=r"of at most 50 MB") as info:
        plan_file(zeros, name="zeros")
    assert info.value.value == f"zeros ({MAX_PDF_BYTES + 1} bytes)"


def test_read_limited_reads_no_further_than_a_pdf_may_go() -> None:
    big = io.BytesIO(b"%PDF-1.4\n" + b"\0" * (MAX_PDF_BYTES + 100))
    with pytest.raises(GLMValidationError, match="a PDF of at most 50 MB") as info:
        read_limited(big, "big.pdf")  # no size said: read one byte past the limit
    assert big.tell() == MAX_PDF_BYTES + 1
    assert info.value.value == f"big.pdf ({MAX_PDF_BYTES + 1} bytes)"
    said = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 5000)
    with pytest.raises(GLMValidationError, match="an image of at most 10 MB") as info:
        read_limited(said, "scan.png", 10**10)  # its file system says 10 GB: its head only
    assert said.tell() == 1024 and info.value.value == f"scan.png ({10**10} bytes)"
    text = io.BytesIO(b"plain text")
    with pytest.raises(GLMValidationError, match="PDF, PNG or JPEG") as info:
        read_limited(text, "notes", 10**10)
    assert info.value.value == f"notes ({10**10} bytes)"
    assert read_limited(io.BytesIO(PNG), "ok.png", len(PNG)) == PNG


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret-pw@example.com/scan.pdf",
        "http://token@example.com/scan.png",
        "HTTPS://user:secret-pw@example.com/scan.pdf?x=1",
    ],
)
def test_a_url_with_credentials_is_refused_masked(url: str) -> None:
    client, sent = _client()
    with pytest.raises(GLMValidationError, match="without user:password") as info:
        ocr(client, url)
    shown = str(info.value) + repr(info.value.value)
    assert "secret-pw" not in shown and "token" not in shown and "***@example.com" in shown
    assert sent == []


@pytest.mark.parametrize(
    "source", ["HTTPS://example.com/scan.pdf", "Http://example.com/a", "DATA:image/png;base64,"]
)
def test_schemes_are_case_insensitive(source: str) -> None:
    client, sent = _client()
    if source.startswith("DATA"):
        source += base64.b64encode(PNG).decode()
    out = ocr(client, source)
    assert len(out.pages) == 1 and len(sent) == 1 and out.source in (source, "data: URI")
    expected = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert sent[0]["file"] == (expected if source.startswith("DATA") else source)
