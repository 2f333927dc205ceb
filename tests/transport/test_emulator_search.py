"""The emulator's ``/web_search`` and ``/reader``: the wire shapes, determinism, each platform's
engines and limits, the filters, each error, and 1701-1703 as faults, over the in-process
transport and the real server alike (raw HTTP, so these pin the emulator's wire and not a
client's reading of it)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest

from glm_transport.emulator import EMULATOR_URL, EmulatorTransport
from glm_transport.emulator.faults import Fault
from glm_transport.emulator.render import CREATED
from glm_transport.emulator.search import (
    CREATED as SEARCH_CREATED,
)
from glm_transport.emulator.search import (
    SITES,
    platform_of,
    reader_reply,
    search_results,
    web_search_reply,
)
from tests.transport.emulated import Emulator, emulator_fixture

FIELDS = {"title", "link", "content", "media", "icon", "refer", "publish_date"}
URL = "https://wiki.example.org/paris-weather/0123456789ab"


emu = emulator_fixture("/web_search")


# ---- search_results: the pure core ---------------------------------------------------------


def test_records_are_derived_from_the_query_and_the_same_every_time() -> None:
    first = search_results("Paris weather", 5)
    assert first == search_results("Paris weather", 5) == search_results("  Paris   weather ", 5)
    assert len(first) == 5 and all(set(r) == FIELDS for r in first)
    assert all("Paris weather" in r["title"] and "Paris weather" in r["content"] for r in first)
    assert [r["refer"] for r in first] == [f"ref_{i}" for i in range(1, 6)]
    assert all(r["link"].startswith("https://") and "/paris-weather/" in r["link"] for r in first)
    hosts = {h for h, _ in SITES}
    assert all(r["link"].split("/")[2] in hosts for r in first)
    assert all(r["icon"] == f"https://{r['link'].split('/')[2]}/favicon.ico" for r in first)
    assert len({r["link"] for r in first}) == 5
    assert search_results("Lyon", 5) != first  # another query, other records
    assert search_results("Paris weather", 5, "search_pro") != first  # another engine too
    assert search_results("Paris weather", 2) == first[:2]


def test_counts_are_clamped_and_a_blank_query_has_none() -> None:
    assert len(search_results("q", 80)) == 50
    assert search_results("q", 0) == [] and search_results("q", -3) == []
    assert search_results("   ", 10) == []
    assert len(search_results("天气", 3)) == 3  # no ASCII word: still three records


def test_records_are_dated_before_the_emulators_day() -> None:
    assert SEARCH_CREATED == CREATED  # the module's copy of render.CREATED
    today = dt.datetime.fromtimestamp(CREATED, dt.timezone.utc).date()
    dates = [dt.date.fromisoformat(r["publish_date"]) for r in search_results("q", 50)]
    assert all(today - dt.timedelta(days=1000) < d <= today for d in dates)
    assert len(set(dates)) > 10


def test_the_platform_comes_from_the_path_else_the_engine() -> None:
    assert platform_of("/bigmodel/api/paas/v4/web_search", "search-prime") == "bigmodel"
    assert platform_of("/zai/api/paas/v4/web_search", "search_std") == "zai"
    assert platform_of("/api/paas/v4/web_search", "search-prime") == "zai"
    assert platform_of("/api/paas/v4/web_search", "search_pro_quark") == "bigmodel"
    assert platform_of("/api/paas/v4/web_search", "bing") is None
    assert platform_of("/notbigmodel/web_search", "bing") is None  # a whole segment only


# ---- /web_search over the wire -------------------------------------------------------------


def test_zai_reply_shape(emu: Emulator) -> None:
    body = {"search_query": "Paris weather", "search_engine": "search-prime", "count": 3}
    reply = emu.post({**body, "request_id": "client-id-1"})
    assert reply.status_code == 200
    data = reply.json()
    assert set(data) == {"id", "created", "request_id", "search_result"}
    assert data["request_id"] == "client-id-1" and data["created"] == CREATED
    assert data["search_result"] == search_results("Paris weather", 3, "search-prime")
    assert emu.post(body).json()["id"] == data["id"]  # same request, same reply
    assert emu.state.request(-1).path.endswith("/web_search")


def test_bigmodel_reply_carries_search_intent(emu: Emulator) -> None:
    body = {"search_query": "Paris weather", "search_engine": "search_pro", "search_intent": True}
    data = emu.post(body).json()
    assert data["search_intent"] == [
        {"query": "Paris weather", "intent": "SEARCH_ALL", "keywords": "Paris weather"}
    ]
    assert len(data["search_result"]) == 10  # the default count
    plain = emu.post({**body, "search_intent": False}).json()
    assert plain["search_intent"][0]["intent"] == "SEARCH_ALWAYS"


def _refusal(reply: httpx.Response) -> str:
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "1214"
    return str(error["message"])


@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("/zai", {"search_engine": "search_std"}, "search_engine"),
        ("/bigmodel", {"search_engine": "search-prime"}, "search_engine"),
        ("", {"search_engine": "bing"}, "search_engine"),
        ("", {"search_engine": None}, "search_engine"),
        ("", {"search_query": ""}, "search_query"),
        ("", {"search_query": 7}, "search_query"),
        ("/bigmodel", {"search_engine": "search_std", "search_query": "x" * 71}, "search_query"),
        ("", {"count": 0}, "count"),
        ("", {"count": 51}, "count"),
        ("", {"count": True}, "count"),
        ("", {"search_engine": "search_pro_sogou", "count": 15}, "count"),
        ("", {"search_recency_filter": "lastWeek"}, "search_recency_filter"),
        ("", {"search_domain_filter": ["a.com"]}, "search_domain_filter"),
        ("", {"search_intent": "yes"}, "search_intent"),
        ("", {"search_engine": "search_std", "content_size": "huge"}, "content_size"),
    ],
)
def test_invalid_requests_are_answered_1214(
    emu: Emulator, path: str, body: dict[str, Any], named: str
) -> None:
    full = {"search_query": "q", "search_engine": "search-prime", **body}
    message = _refusal(emu.post(full, path=path + "/web_search"))
    assert f"Invalid {named} parameter" in message


def test_at_the_limits_is_answered(emu: Emulator) -> None:
    sogou = {"search_query": "x" * 70, "search_engine": "search_pro_sogou", "count": 50}
    assert len(emu.post(sogou, path="/bigmodel/web_search").json()["search_result"]) == 50
    # Z.ai documents no 70-character limit.
    prime = {"search_query": "x" * 300, "search_engine": "search-prime", "count": 1}
    assert len(emu.post(prime, path="/zai/web_search").json()["search_result"]) == 1


def test_a_domain_filter_keeps_that_domain_and_can_leave_nothing(emu: Emulator) -> None:
    body = {"search_query": "Paris weather", "search_engine": "search-prime", "count": 30}
    every = emu.post(body).json()["search_result"]
    kept = emu.post({**body, "search_domain_filter": "news.example.com"}).json()
    assert kept["search_result"] == [r for r in every if "://news.example.com/" in r["link"]]
    assert kept["search_result"]
    parent = emu.post({**body, "search_domain_filter": "example.org"}).json()["search_result"]
    assert {r["link"].split("/")[2] for r in parent} == {"wiki.example.org", "forum.example.org"}
    none = emu.post({**body, "search_domain_filter": "nothing.example"})
    assert none.status_code == 200 and none.json()["search_result"] == []


def test_a_recency_filter_dates_the_results_inside_its_window(emu: Emulator) -> None:
    body = {"search_query": "Paris weather", "search_engine": "search-prime", "count": 20}
    today = dt.datetime.fromtimestamp(CREATED, dt.timezone.utc).date()
    for recency, days in (("oneDay", 1), ("oneWeek", 7), ("oneMonth", 30)):
        found = emu.post({**body, "search_recency_filter": recency}).json()["search_result"]
        ages = {(today - dt.date.fromisoformat(r["publish_date"])).days for r in found}
        assert ages <= set(range(days)) and len(found) == 20
    assert len(ages) > 3  # a month's results are spread over it
    no_limit = emu.post({**body, "search_recency_filter": "noLimit"}).json()["search_result"]
    assert no_limit == emu.post(body).json()["search_result"]


@pytest.mark.parametrize(
    ("code", "status", "words"),
    [("1701", 429, "concurrency"), ("1702", 500, "search engine"), ("1703", 500, "no valid data")],
)
def test_search_codes_as_faults(emu: Emulator, code: str, status: int, words: str) -> None:
    body = {"search_query": "q", "search_engine": "search-prime", "request_id": "rid-123456"}
    reply = emu.post(body, headers={"x-glm-emulator-fault": json.dumps({"code": code})})
    assert reply.status_code == status
    assert reply.json()["error"]["code"] == code and words in reply.json()["error"]["message"]
    assert reply.json()["request_id"] == "rid-123456"
    emu.state.faults.append(Fault(code=code, message="custom words", status=503))
    queued = emu.post(body)
    assert queued.status_code == 503 and queued.json()["error"]["message"] == "custom words"
    assert emu.post(body).status_code == 200  # the queue is used up


def test_times_and_other_codes(emu: Emulator) -> None:
    fault = {"x-glm-emulator-fault": json.dumps({"code": "1701", "times": 1})}
    body = {"search_query": "q", "search_engine": "search-prime"}
    assert emu.post(body, headers=fault).status_code == 429
    assert emu.post(body, headers=fault).status_code == 200  # the retry gets through
    other = emu.post(body, headers={"x-glm-emulator-fault": json.dumps({"code": "1302"})})
    assert other.status_code == 429 and other.json()["error"]["code"] == "1302"


def test_a_key_is_checked_as_for_chat() -> None:
    transport = EmulatorTransport(api_key="right-key")
    with httpx.Client(transport=transport) as http:
        body = {"search_query": "q", "search_engine": "search-prime"}
        wrong = http.post(
            EMULATOR_URL + "/web_search", json=body, headers={"authorization": "Bearer no"}
        )
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "1002"
        right = http.post(
            EMULATOR_URL + "/reader",
            json={"url": URL},
            headers={"authorization": "Bearer right-key"},
        )
        assert right.status_code == 200


# ---- /reader -------------------------------------------------------------------------------


def test_reader_reply_shape(emu: Emulator) -> None:
    reply = emu.post({"url": URL, "request_id": "rid-654321"}, path="/reader")
    assert reply.status_code == 200
    data = reply.json()
    assert set(data) == {"id", "created", "request_id", "model", "reader_result"}
    assert data["request_id"] == "rid-654321"
    page = data["reader_result"]
    assert {"title", "description", "url", "content", "publishedTime", "metadata"} <= set(page)
    assert page["url"] == URL and page["title"] == "Paris weather (Example Wiki)"
    assert page["content"].startswith("# Paris weather (Example Wiki)\n")
    assert "![cover](https://wiki.example.org/images/cover.png)" in page["content"]
    assert "links" not in page and "images" not in page
    assert emu.post({"url": URL}, path="/reader").json() == reader_reply({"url": URL})[1]


def test_reader_options(emu: Emulator) -> None:
    body = {
        "url": URL,
        "return_format": "text",
        "retain_images": False,
        "with_links_summary": True,
        "with_images_summary": True,
    }
    page = emu.post(body, path="/reader").json()["reader_result"]
    assert not page["content"].startswith("#") and "cover" not in page["content"]
    assert page["links"] == {"Home": "https://wiki.example.org/"}
    assert page["images"] == {"cover": "https://wiki.example.org/images/cover.png"}
    plain = emu.post({"url": URL, "retain_images": False}, path="/reader").json()
    assert "![" not in plain["reader_result"]["content"]
    other = reader_reply({"url": "https://blog.example.net/lyon-food"})[1]["reader_result"]
    assert other["title"] == "Lyon food (Example Blog)"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": 3},
        {"url": "example.com/page"},
        {"url": "ftp://example.com/x"},
        {"url": URL, "return_format": "html"},
        {"url": URL, "timeout": 0},
        {"url": URL, "timeout": "20"},
    ],
)
def test_reader_refusals(emu: Emulator, body: dict[str, Any]) -> None:
    _refusal(emu.post(body, path="/reader"))


def test_reader_faults(emu: Emulator) -> None:
    reply = emu.post(
        {"url": URL}, path="/reader", headers={"x-glm-emulator-fault": '{"code": "1234"}'}
    )
    assert reply.status_code == 500 and reply.json()["error"]["code"] == "1234"


def test_pure_replies_match_the_wire(emu: Emulator) -> None:
    body = {"search_query": "Paris", "search_engine": "search_pro_quark", "count": 2}
    assert emu.post(body).json() == web_search_reply(body)[1]
    assert web_search_reply(body, "/zai/web_search")[0] == 400  # quark is no Z.ai engine


def test_malformed_requests_get_1214_not_a_crash() -> None:
    from glm_transport.emulator.search import reader_reply, web_search_reply

    for path in ("/web_search", "/zai/web_search", "/bigmodel/web_search"):
        status, body = web_search_reply({"search_query": "q", "search_engine": ["x"]}, path)
        assert status == 400 and body["error"]["code"] == "1214"
    status, body = reader_reply({"url": "http://[::1"})
    assert status == 400 and body["error"]["code"] == "1214"
