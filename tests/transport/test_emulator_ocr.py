"""The emulator's ``/layout_parsing``: the wire shape, per-page Markdown from the PDF sent, page
ranges, each error, determinism, faults and scripted OCR rules, over the in-process transport and
the real server alike (raw HTTP, so these pin the emulator's wire and not a client's reading)."""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import httpx
import pytest

from glm_transport.emulator import EMULATOR_URL, EmulatorServer, EmulatorTransport, Fault, Script
from glm_transport.emulator.ocr import IMAGE_LAYOUT, ocr_reply, page_texts
from tests.pdfs import JPEG, PNG, make_pdf
from tests.transport.emulated import Emulator, emulator_fixture

PAGES = [["Invoice 42", "Total: 10 EUR"], ["Terms"], []]


def uri(data: bytes, mime: str = "application/pdf") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def ocr_body(file: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"model": "glm-ocr", "file": file or uri(make_pdf(PAGES)), **kw}


emu = emulator_fixture("/layout_parsing")


def test_a_pdf_reads_as_its_pages_in_glm_wire_shape(emu: Emulator) -> None:
    reply = emu.post(ocr_body())
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert list(body) == [
        "id",
        "created",
        "model",
        "md_results",
        "layout_details",
        "data_info",
        "usage",
        "request_id",
    ]
    assert body["md_results"] == "Invoice 42\n\nTotal: 10 EUR\n\nTerms\n\nPage 3 of 3"
    pages = body["layout_details"]
    assert [[e["content"] for e in page] for page in pages] == [
        ["Invoice 42", "Total: 10 EUR"],
        ["Terms"],
        ["Page 3 of 3"],  # a page that shows no text
    ]
    first = pages[0][1]
    assert list(first) == ["index", "label", "bbox_2d", "content", "height", "width"]
    assert (first["index"], first["label"], first["width"], first["height"]) == (
        2,
        "text",
        1240,
        1754,
    )
    x1, y1, x2, y2 = first["bbox_2d"]
    assert 0 <= x1 < x2 <= 1240 and 0 <= y1 < y2 <= 1754
    assert body["data_info"] == {"num_pages": 3, "pages": [{"width": 1240, "height": 1754}] * 3}
    usage = body["usage"]
    assert usage["prompt_tokens"] == 3000
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert body["id"] == body["request_id"] and isinstance(body["created"], int)
    assert emu.state.request(-1).path.endswith("/layout_parsing")


def test_images_and_urls_get_the_fixed_layout(emu: Emulator) -> None:
    for file in (uri(PNG, "image/png"), uri(JPEG, "image/jpeg"), "https://example.com/a.pdf"):
        body = emu.post(ocr_body(file)).json()
        page = body["layout_details"][0]
        assert [(e["label"], e["content"]) for e in page] == IMAGE_LAYOUT
        assert body["md_results"] == "\n\n".join(c for _, c in IMAGE_LAYOUT)
        assert body["data_info"] == {"num_pages": 1, "pages": [{"width": 1024, "height": 768}]}


def test_bare_base64_and_the_documented_model_spelling(emu: Emulator) -> None:
    bare = base64.b64encode(make_pdf(PAGES)).decode()
    assert (
        emu.post(ocr_body(bare)).json()["md_results"] == emu.post(ocr_body()).json()["md_results"]
    )
    assert emu.post(ocr_body(model="GLM-OCR")).json()["model"] == "GLM-OCR"  # the docs' example


@pytest.mark.parametrize(
    ("pages", "start", "end", "read"),
    [
        (250, 1, 100, (1, 100)),
        (250, 101, 200, (101, 200)),
        (250, 201, 300, (201, 250)),
        (3, 2, 2, (2, 2)),
    ],
)
def test_page_ranges_read_those_pages(
    emu: Emulator, pages: int, start: int, end: int, read: tuple[int, int]
) -> None:
    body = emu.post(ocr_body(uri(make_pdf(pages)), start_page_id=start, end_page_id=end)).json()
    first, last = read
    assert [p[0]["content"] for p in body["layout_details"]] == [
        f"Page text {n}" for n in range(first, last + 1)
    ]
    assert (
        body["data_info"]["num_pages"] == pages
        and len(body["data_info"]["pages"]) == last - first + 1
    )
    assert body["usage"]["prompt_tokens"] == 1000 * (last - first + 1)


def test_the_page_tree_is_walked_in_order() -> None:
    texts = page_texts(make_pdf(30, fanout=4, packed=True))
    assert texts == [[f"Page text {n}"] for n in range(1, 31)]
    escaped = page_texts(make_pdf([["a (b) c\\d"]]))
    assert escaped == [["a (b) c\\d"]]
    assert page_texts(b"%PDF-1.4\nnothing") is None


def _tree_pdf(kids: bytes, objs: bytes, count: int) -> bytes:
    root = b"2 0 obj << /Type /Pages /Kids [%s] /Count %d >> endobj\n" % (kids, count)
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" + root + objs


def test_a_tree_that_points_back_at_itself_is_walked_once() -> None:
    page = b"3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R >> endobj\n"
    stream = b"4 0 obj << /Length 12 >>\nstream\n(Hi) Tj\nendstream\nendobj\n"
    # Without a visited set: 4 kids, 32 levels deep, 4**32 visits.
    assert page_texts(_tree_pdf(b"2 0 R 3 0 R 2 0 R 3 0 R", page + stream, 1)) == [["Hi"]]
    digits = b"9" * 100_000 + b" 3 0 R"  # read in one pass (tried inside the run: minutes)
    assert page_texts(_tree_pdf(digits, page + stream, 1)) == [["Hi"]]
    assert page_texts(make_pdf(10), 3) == [[f"Page text {n}"] for n in (1, 2, 3)]


def _bulky_pages(streams: list[int]) -> bytes:
    """Pages (objects 10 ...) each showing a 20 MB content stream (objects 100 ...)."""
    objs = b""
    for i, number in enumerate(streams):
        objs += b"%d 0 obj << /Type /Page /Parent 2 0 R /Contents [%d 0 R %d 0 R] >> endobj\n" % (
            10 + i,
            number,
            number,
        )
    for number in sorted(set(streams)):
        data = zlib.compress(b"(S%d) Tj" % number + b" " * 20 * 1024 * 1024)
        objs += (
            b"%d 0 obj << /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\nendobj\n"
            % (
                number,
                len(data),
                data,
            )
        )
    kids = b" ".join(b"%d 0 R" % (10 + i) for i in range(len(streams)))
    return _tree_pdf(kids, objs, len(streams))


def test_content_streams_are_inflated_once_within_one_budget() -> None:
    shared = page_texts(_bulky_pages([100] * 5))  # one stream, read once, shown on every page
    assert shared == [["S100"]] * 5
    own = page_texts(_bulky_pages([100, 101, 102, 103, 104]))  # 64 MB in all: the last is cut
    assert own == [["S100"], ["S101"], ["S102"], ["S103"], []]


def test_strings_and_arrays_are_read_in_one_pass() -> None:
    stream = b"BT " + b"(" * 50_000 + b" [" * 50_000 + b" (ok) Tj ET"
    pdf = _tree_pdf(
        b"3 0 R",
        b"3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R >> endobj\n"
        + b"4 0 obj << /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (len(stream), stream),
        1,
    )
    assert page_texts(pdf) == [["ok"]]  # quadratic patterns took minutes here


def test_compressed_streams_and_tj_arrays_are_read() -> None:
    stream = zlib.compress(b"BT [(Hel) -20 (lo)] TJ (World) Tj ET")
    pdf = (
        b"%%PDF-1.4\n1 0 obj << /Type /Pages /Kids [2 0 R] /Count 1 >> endobj\n"
        b"2 0 obj << /Type /Page /Parent 1 0 R /Contents [3 0 R] >> endobj\n"
        b"3 0 obj << /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\nendobj\n"
        % (len(stream), stream)
    )
    assert page_texts(pdf) == [["Hello", "World"]]
    assert ocr_reply(ocr_body(uri(pdf)))[1]["md_results"] == "Hello\n\nWorld"


ERRORS = {
    "no model": ({"model": None}, "1214", "model"),
    "unknown model": ({"model": "glm-4.6v"}, "1211", "Model does not exist"),
    "no file": ({"file": None}, "1214", "file"),
    "blank file": ({"file": "  "}, "1214", "file"),
    "file not text": ({"file": 3}, "1214", "file"),
    "not base64": ({"file": "data:application/pdf;base64,%%%"}, "1214", "base64"),
    "a gif": ({"file": uri(b"GIF89a....", "image/gif")}, "1214", "PDF, JPG and PNG"),
    "unreadable pdf": ({"file": uri(b"%PDF-1.4 no tree")}, "1214", "cannot be read"),
    "101 pages": ({"file": uri(make_pdf(101))}, "1214", "at most 100 pages"),
    "a range of 101": (
        {"file": uri(make_pdf(300)), "start_page_id": 1, "end_page_id": 101},
        "1214",
        "at most 100 pages",
    ),
    "start 0": ({"start_page_id": 0}, "1214", "start_page_id"),
    "start not an int": ({"start_page_id": "1"}, "1214", "start_page_id"),
    "start a bool": ({"start_page_id": True}, "1214", "start_page_id"),
    "start past the end": ({"start_page_id": 4}, "1214", "has 3 pages"),
    "end before start": ({"start_page_id": 3, "end_page_id": 2}, "1214", "end_page_id"),
    "crop flag not a bool": ({"return_crop_images": "yes"}, "1214", "return_crop_images"),
    "visualization flag": ({"need_layout_visualization": 1}, "1214", "need_layout_visualization"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_invalid_requests_get_the_glm_error_envelope(emu: Emulator, case: str) -> None:
    change, code, says = ERRORS[case]
    body = {k: v for k, v in {**ocr_body(), **change}.items() if v is not None}
    reply = emu.post(body)
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert set(error) == {"code", "message"}
    assert error["code"] == code and says in error["message"]


def test_size_limits_in_process() -> None:
    with httpx.Client(transport=EmulatorTransport()) as local:
        for data, mime, says in (
            (b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024), "image/png", "10MB"),
            (b"%PDF-1.4\n" + b"\0" * (50 * 1024 * 1024), "application/pdf", "50MB"),
        ):
            reply = local.post(EMULATOR_URL + "/layout_parsing", json=ocr_body(uri(data, mime)))
            assert reply.status_code == 400 and says in reply.json()["error"]["message"]


def test_options_are_accepted_and_visualization_answered(emu: Emulator) -> None:
    body = emu.post(ocr_body(return_crop_images=True, need_layout_visualization=True)).json()
    assert body["layout_visualization"] == []
    tagged = emu.post(ocr_body(request_id="mine-123456", user_id="user-42")).json()
    assert tagged["request_id"] == "mine-123456" and tagged["id"] != "mine-123456"


def test_the_same_request_gets_the_same_bytes(emu: Emulator) -> None:
    assert emu.post(ocr_body()).content == emu.post(ocr_body()).content
    other = emu.post(ocr_body(uri(make_pdf(2)))).json()
    assert other["id"] != emu.post(ocr_body()).json()["id"]


def fault(**fields: Any) -> dict[str, str]:
    return {"x-glm-emulator-fault": json.dumps(fields)}


def test_faults_apply_as_on_the_other_routes(emu: Emulator) -> None:
    busy = emu.post(ocr_body(), headers=fault(code="1305", retry_after=2))
    assert busy.status_code == 429 and busy.json()["error"]["code"] == "1305"
    assert busy.headers["retry-after"] == "2"
    gateway = emu.post(ocr_body(), headers=fault(status=502, html=True))
    assert gateway.status_code == 502 and gateway.text.startswith("<html>")
    once = fault(code="1302", times=1)
    assert emu.post(ocr_body(), headers=once).status_code == 429
    assert emu.post(ocr_body(), headers=once).status_code == 200  # the retry goes through
    emu.state.faults.append(Fault(code="1312"))
    assert emu.post(ocr_body()).json()["error"]["code"] == "1312"
    assert emu.post(ocr_body()).status_code == 200


def test_a_missing_or_wrong_key_is_refused_as_on_chat() -> None:
    with httpx.Client(transport=EmulatorTransport(api_key="secret")) as local:
        url = EMULATOR_URL + "/layout_parsing"
        refused = local.post(url, json=ocr_body())
        wrong = local.post(url, json=ocr_body(), headers={"authorization": "Bearer x"})
        fine = local.post(url, json=ocr_body(), headers={"authorization": "Bearer secret"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "1001")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "1002")
    assert fine.status_code == 200


def test_ocr_rules_script_errors_faults_and_markdown(emu: Emulator) -> None:
    script: Script = emu.state.script
    script.reply("for chat only")
    script.on(query="", reply={"error": [500, "500"]})  # a rerank rule: not for OCR
    script.on(file="example.com/down", reply={"error": [503, "1234"]})
    script.on(file="re:^https://example.com/drop", reply={"fault": {"abort": True}}, times=1)
    script.on(file="image/png", reply="# Receipt page {page}")
    outage = emu.post(ocr_body("https://example.com/down.pdf"))
    assert (outage.status_code, outage.json()["error"]["code"]) == (503, "1234")
    with pytest.raises(httpx.TransportError):
        emu.post(ocr_body("https://example.com/drop.png"))
    assert emu.post(ocr_body("https://example.com/drop.png")).status_code == 200  # times=1
    receipt = emu.post(ocr_body(uri(PNG, "image/png"))).json()
    assert receipt["md_results"] == "# Receipt page 1"
    assert receipt["layout_details"][0][0]["content"] == "# Receipt page 1"
    assert emu.post(ocr_body()).json()["md_results"].startswith("Invoice 42")  # no rule: read
    assert script.pending == 1  # OCR takes nothing from the chat queue
    # The API's own checks come before a scripted reply.
    assert (
        emu.post(ocr_body("https://example.com/down.pdf", model="x")).json()["error"]["code"]
        == "1211"
    )
    chat = emu.post(
        {"model": "glm-5.3", "messages": [{"role": "user", "content": "image/png"}]},
        path="/chat/completions",
    )
    assert chat.json()["choices"][0]["message"]["content"] == "for chat only"


def test_scripted_text_numbers_each_page_of_a_range(emu: Emulator) -> None:
    emu.state.script.on(file="", reply="Scanned page {page}.")
    body = emu.post(ocr_body(uri(make_pdf(150)), start_page_id=101, end_page_id=150)).json()
    assert [p[0]["content"] for p in body["layout_details"]] == [
        f"Scanned page {n}." for n in range(101, 151)
    ]


def test_ocr_rules_do_not_answer_chat_or_rerank_and_are_checked() -> None:
    script = Script().on(file="", reply={"error": [500, "500"]})
    with httpx.Client(transport=EmulatorTransport(script)) as local:
        chat = local.post(
            EMULATOR_URL + "/chat/completions",
            json={"model": "glm-5.3", "messages": [{"role": "user", "content": "hi"}]},
        )
        rerank = local.post(
            EMULATOR_URL + "/rerank", json={"model": "rerank", "query": "q", "documents": ["q"]}
        )
    assert chat.status_code == 200 and rerank.status_code == 200
    with pytest.raises(ValueError, match="no other condition"):
        Script().on(file="x", user="y", reply={"error": [500, "500"]})
    with pytest.raises(ValueError, match="no other condition"):
        Script().on(file="x", query="y", reply={"error": [500, "500"]})
    with pytest.raises(ValueError, match="text, an error or a fault"):
        Script().on(file="x", reply={"json": {"a": 1}})
    with pytest.raises(ValueError, match="not a regular expression"):
        Script().on(file="re:(", reply="x")


def test_ocr_rules_load_from_files_and_strict_mode_leaves_ocr_alone() -> None:
    script = Script.load(
        {"strict": True, "rules": [{"when": {"file": "https://"}, "reply": "From a URL"}]}
    )
    with httpx.Client(transport=EmulatorTransport(script)) as local:
        scripted = local.post(
            EMULATOR_URL + "/layout_parsing", json=ocr_body("https://x.test/a.png")
        )
        unscripted = local.post(EMULATOR_URL + "/layout_parsing", json=ocr_body())
    assert scripted.json()["md_results"] == "From a URL"
    assert unscripted.status_code == 200


def test_in_process_and_server_send_the_same_bytes(server: EmulatorServer) -> None:
    bodies = [
        ocr_body(),
        ocr_body(uri(PNG, "image/png")),
        ocr_body(uri(make_pdf(120)), start_page_id=101, end_page_id=120),
        ocr_body(request_id="r-123456"),
        ocr_body(model="glm-5.3"),
        ocr_body("data:application/pdf;base64,%%%"),
        ocr_body(uri(make_pdf(101))),
    ]
    server.state.reset()
    with httpx.Client() as http:
        over_http = [
            (r.status_code, r.content)
            for r in (http.post(server.base_url + "/layout_parsing", json=b) for b in bodies)
        ]
    with httpx.Client(transport=EmulatorTransport()) as local:
        in_proc = [
            (r.status_code, r.content)
            for r in (local.post(EMULATOR_URL + "/layout_parsing", json=b) for b in bodies)
        ]
    assert in_proc == over_http
    assert [status for status, _ in in_proc] == [200, 200, 200, 200, 400, 400, 400]


def test_the_pure_reply_matches_what_is_served(emu: Emulator) -> None:
    status, payload = ocr_reply(ocr_body())
    assert (status, payload) == (200, emu.post(ocr_body()).json())
