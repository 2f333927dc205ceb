"""The emulator's ``/rerank``: the wire shape, ordering, ``top_n``, ``return_documents``, each
error, determinism, faults and scripted rules, over the in-process transport and the real server
alike (raw HTTP, so these pin the emulator's wire and not a client's reading of it)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from glm_transport.emulator import EMULATOR_URL, EmulatorServer, EmulatorTransport, Script
from glm_transport.emulator.rerank import relevance, rerank_reply
from glm_transport.tokens import estimate_tokens
from tests.transport.emulated import Emulator, emulator_fixture

QUERY = "Paris weather"
DOCUMENTS = [
    "Berlin trains run late",
    "The weather in Paris today",
    "Paris museums",
    "PARIS. Weather!",
]


def rerank_body(**kw: Any) -> dict[str, Any]:
    return {"model": "rerank", "query": QUERY, "documents": DOCUMENTS, **kw}


emu = emulator_fixture("/rerank")


def test_relevance_is_the_share_of_query_words_found() -> None:
    assert relevance("Paris weather", "weather in PARIS!") == 1.0
    assert relevance("Paris weather", "Paris museums") == 0.5
    assert relevance("Paris weather", "Berlin") == 0.0
    assert relevance("paris paris weather", "paris") == 0.5  # word sets, not counts
    assert relevance("1/3", "one two three") == 0.0
    assert relevance("a b c", "a") == 0.33333333
    assert relevance("?!", "anything") == 0.0  # a query with no words scores nothing
    assert relevance("北京天气", "今天北京的天气") == 1.0  # CJK: one word a character
    assert relevance("北京天气", "上海") == 0.0


def test_results_are_sorted_best_first_ties_in_document_order(emu: Emulator) -> None:
    reply = emu.post(rerank_body())
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    body = reply.json()
    assert list(body) == ["created", "id", "request_id", "results", "usage"]
    assert [(r["index"], r["relevance_score"]) for r in body["results"]] == [
        (1, 1.0),
        (3, 1.0),
        (2, 0.5),
        (0, 0.0),
    ]
    assert all(list(r) == ["index", "relevance_score"] for r in body["results"])
    assert isinstance(body["created"], int) and body["id"] == body["request_id"]
    tokens = estimate_tokens(QUERY) + sum(estimate_tokens(d) for d in DOCUMENTS)
    assert body["usage"] == {"prompt_tokens": tokens, "total_tokens": tokens}
    recorded = emu.state.request(-1)
    assert recorded.path.endswith("/rerank") and recorded.body["query"] == QUERY


@pytest.mark.parametrize(("top_n", "expected"), [(0, 4), (1, 1), (2, 2), (4, 4), (50, 4)])
def test_top_n_cuts_the_results(emu: Emulator, top_n: int, expected: int) -> None:
    results = emu.post(rerank_body(top_n=top_n)).json()["results"]
    assert [r["index"] for r in results] == [1, 3, 2, 0][:expected]


def test_return_documents_adds_the_original_text(emu: Emulator) -> None:
    results = emu.post(rerank_body(return_documents=True, top_n=2)).json()["results"]
    assert [r["document"] for r in results] == [DOCUMENTS[1], DOCUMENTS[3]]
    plain = emu.post(rerank_body(return_documents=False)).json()["results"]
    assert all("document" not in r for r in plain)
    assert emu.post(rerank_body(return_raw_scores=True)).status_code == 200


def test_the_same_request_gets_the_same_bytes_and_its_request_id(emu: Emulator) -> None:
    first, second = emu.post(rerank_body()), emu.post(rerank_body())
    assert first.content == second.content
    other = emu.post(rerank_body(query="Berlin"))
    assert other.json()["id"] != first.json()["id"]
    assert other.json()["results"][0] == {"index": 0, "relevance_score": 1.0}
    tagged = emu.post(rerank_body(request_id="mine-123", user_id="user-42")).json()
    assert tagged["request_id"] == "mine-123" and tagged["id"] != "mine-123"


ERRORS = {
    "no query": ({"query": None}, "1214", "query"),
    "empty query": ({"query": ""}, "1214", "query"),
    "blank query": ({"query": "  \n"}, "1214", "query"),
    "long query": ({"query": "q" * 4097}, "1214", "query"),
    "no documents": ({"documents": None}, "1214", "documents"),
    "empty documents": ({"documents": []}, "1214", "documents"),
    "129 documents": ({"documents": ["d"] * 129}, "1214", "documents"),
    "long document": ({"documents": ["ok", "d" * 4097]}, "1214", "document 1"),
    "a document not text": ({"documents": ["ok", 3]}, "1214", "documents"),
    "documents a string": ({"documents": "one text"}, "1214", "documents"),
    "no model": ({"model": None}, "1214", "model"),
    "unknown model": ({"model": "embedding-3"}, "1211", "Model does not exist"),
    "negative top_n": ({"top_n": -1}, "1214", "top_n"),
    "top_n not an integer": ({"top_n": "2"}, "1214", "top_n"),
    "return_documents not a bool": ({"return_documents": "yes"}, "1214", "return_documents"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_invalid_requests_get_the_glm_error_envelope(emu: Emulator, case: str) -> None:
    change, code, says = ERRORS[case]
    body = {k: v for k, v in {**rerank_body(), **change}.items() if v is not None}
    reply = emu.post(body)
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert set(error) == {"code", "message"}
    assert error["code"] == code and says in error["message"]


def test_the_limits_themselves_are_accepted(emu: Emulator) -> None:
    body = rerank_body(query="q" * 4096, documents=["d" * 4096] + ["x"] * 127)
    assert len(emu.post(body).json()["results"]) == 128
    assert emu.post(rerank_body(model="rerank-pro")).status_code == 200


def test_a_missing_or_wrong_key_is_refused_as_on_chat() -> None:
    transport = EmulatorTransport(api_key="secret")
    with httpx.Client(transport=transport) as local:
        refused = local.post(EMULATOR_URL + "/rerank", json=rerank_body())
        wrong = local.post(
            EMULATOR_URL + "/rerank", json=rerank_body(), headers={"authorization": "Bearer x"}
        )
        fine = local.post(
            EMULATOR_URL + "/rerank",
            json=rerank_body(),
            headers={"authorization": "Bearer secret"},
        )
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "1001")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "1002")
    assert fine.status_code == 200
    with EmulatorServer(api_key="secret") as keyed:
        over_http = httpx.post(keyed.base_url + "/rerank", json=rerank_body())
    assert (over_http.status_code, over_http.content) == (refused.status_code, refused.content)


def fault(**fields: Any) -> dict[str, str]:
    return {"x-glm-emulator-fault": json.dumps(fields)}


def test_faults_apply_as_on_the_other_routes(emu: Emulator) -> None:
    busy = emu.post(rerank_body(), headers=fault(code="1305", retry_after=2))
    assert busy.status_code == 429 and busy.json()["error"]["code"] == "1305"
    assert busy.headers["retry-after"] == "2"
    crashed = emu.post(rerank_body(), headers=fault(status=500))
    assert (crashed.status_code, crashed.json()["error"]["code"]) == (500, "500")
    gateway = emu.post(rerank_body(), headers=fault(status=502, html=True))
    assert gateway.status_code == 502 and gateway.text.startswith("<html>")
    once = fault(code="1302", times=1)
    assert emu.post(rerank_body(), headers=once).status_code == 429
    assert emu.post(rerank_body(), headers=once).status_code == 200  # the retry goes through
    with pytest.raises(httpx.TransportError):
        emu.post(rerank_body(), headers=fault(abort=True))


def test_the_fault_queue_serves_rerank_too(emu: Emulator) -> None:
    from glm_transport.emulator import Fault

    emu.state.faults.append(Fault(code="1312"))
    assert emu.post(rerank_body()).json()["error"]["code"] == "1312"
    assert emu.post(rerank_body()).status_code == 200


def test_rerank_rules_script_errors_and_faults(emu: Emulator) -> None:
    script: Script = emu.state.script
    script.reply("for chat only")
    script.on(query="outage", reply={"error": [503, "1234"]})
    script.on(query="re:^drop", reply={"fault": {"abort": True}}, times=1)
    script.on(user="", reply="chat rules do not answer rerank")
    outage = emu.post(rerank_body(query="a total outage"))
    assert (outage.status_code, outage.json()["error"]["code"]) == (503, "1234")
    assert outage.json()["request_id"].startswith("20261122")
    with pytest.raises(httpx.TransportError):
        emu.post(rerank_body(query="drop the line"))
    assert emu.post(rerank_body(query="drop the line")).status_code == 200  # times=1
    assert emu.post(rerank_body()).status_code == 200
    assert script.pending == 1  # rerank takes nothing from the chat queue
    # The API's own checks come before a scripted error, as on chat.
    assert emu.post(rerank_body(query="outage", documents=[])).status_code == 400
    chat = emu.post(
        {"model": "glm-5.3", "messages": [{"role": "user", "content": "outage"}]},
        path="/chat/completions",
    )
    assert chat.json()["choices"][0]["message"]["content"] == "for chat only"


def test_strict_scripts_leave_rerank_to_the_scorer() -> None:
    transport = EmulatorTransport(Script(strict=True))
    with httpx.Client(transport=transport) as local:
        assert local.post(EMULATOR_URL + "/rerank", json=rerank_body()).status_code == 200


def test_rerank_rules_load_from_files_and_refuse_chat_replies() -> None:
    script = Script.load({"rules": [{"when": {"query": "x"}, "reply": {"error": [500, "500"]}}]})
    with httpx.Client(transport=EmulatorTransport(script)) as local:
        reply = local.post(EMULATOR_URL + "/rerank", json=rerank_body(query="x y"))
    assert reply.status_code == 500
    with pytest.raises(ValueError, match="error or a fault"):
        Script().on(query="x", reply="some text")
    with pytest.raises(ValueError, match="no user"):
        Script().on(query="x", user="y", reply={"error": [500, "500"]})


def test_in_process_and_server_send_the_same_bytes(server: EmulatorServer) -> None:
    bodies = [
        rerank_body(),
        rerank_body(top_n=2, return_documents=True),
        rerank_body(query="北京天气", documents=["上海", "北京今天天气晴"]),
        rerank_body(request_id="r-1"),
        rerank_body(documents=[]),
        rerank_body(model="glm-5.3"),
        rerank_body(query="q" * 5000),
    ]
    server.state.reset()
    with httpx.Client() as http:
        over_http = [
            (r.status_code, r.content)
            for r in (http.post(server.base_url + "/rerank", json=b) for b in bodies)
        ]
    with httpx.Client(transport=EmulatorTransport()) as local:
        in_proc = [
            (r.status_code, r.content)
            for r in (local.post(EMULATOR_URL + "/rerank", json=b) for b in bodies)
        ]
    assert in_proc == over_http
    assert [status for status, _ in in_proc] == [200, 200, 200, 200, 400, 400, 400]


def test_the_pure_reply_matches_what_is_served(emu: Emulator) -> None:
    status, payload = rerank_reply(rerank_body(top_n=1))
    assert (status, payload) == (200, emu.post(rerank_body(top_n=1)).json())
