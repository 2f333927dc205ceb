"""A bounded soak: many requests at high concurrency, with injected faults, through both
frameworks, against the GLM emulator on loopback.

    python -m benchmarks.soak                      # the full form: 20,000 requests, 200 in flight
    python -m benchmarks.soak --requests 2000      # the short form CI runs (tests/test_reliability)

Every request must end as a complete, correct answer or as one of our typed errors, within its
timeout; connections and memory must stay bounded. Faults (10% by default), by request number:
429/1302 once then success (retried), a 500 once (retried), 1113 (not retried), a stream cut
mid-way, a malformed frame, a reply slower than the timeout, a stream held open after [DONE]
(with and without keep-alive comments), a body that drips past the total timeout, a 1 MiB frame,
and, from a deliberately broken server (``benchmarks/_hostile.py``), bytes past Content-Length in
the same write and in a later one, a malformed status line, headers dripped past the total
timeout, a compressed error body that expands without bound, a redirect carrying a completion,
and a 401 that quotes the key back. Every error is checked for the key (its message, fields,
chain and traceback frames, as an error tracker ships them): "key leaked" must stay 0.
A request "hangs" when it outlives its total timeout plus the longest backoff.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmarks.tracker import tracker_view

LONG = "y" * 2**20  # one 1 MiB frame
FAULTS: list[tuple[dict[str, Any], str]] = [
    # "times" without a key: the first attempt of each request fails, its retry succeeds.
    ({"code": "1302", "times": 1, "retry_after_ms": 5}, "ok"),
    ({"code": "500", "status": 500, "times": 1, "retry_after_ms": 5}, "ok"),
    ({"code": "1113"}, "PermissionDeniedError"),
    ({"disconnect_after": 3, "batch": 1}, "stream-or-ok"),
    ({"malformed_after": 2}, "stream-or-ok"),
    ({"delay": 3.0}, "APITimeoutError"),
    ({"hold_after_done": 5.0}, "ok"),
    ({"hold_after_done": 5.0, "ping_after_done": True}, "ok"),
    ({"drip": 0.1}, "timeout-or-ok"),  # whole replies drip past total_timeout; streams do not
    ({"content": "y", "repeat": len(LONG)}, "long"),  # no whitespace: one frame
    ({"hostile": "overlong"}, "ok"),
    ({"hostile": "malformed"}, "APIConnectionError"),
    ({"hostile": "late"}, "ok"),  # a stale reply in a later write: caught by its request_id
    ({"hostile": "drip_headers"}, "APITimeoutError"),  # headers past the total timeout
    ({"hostile": "bomb500"}, "APIError"),  # an error body that decompresses without bound
    ({"hostile": "redirect"}, "APIError"),  # a 302 carrying a completion is not the answer
    ({"hostile": "echo_key"}, "AuthenticationError"),  # a 401 quoting the key back
]
KEY = "soak0123456789abcdef.0123456789ABCDEFghij"  # a key of GLM's shape, checked for leaks
TOTAL_TIMEOUT = 5.0


@dataclass
class SoakResult:
    requests: int
    concurrency: int
    seconds: float
    outcomes: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)
    hung: int = 0
    leaked: int = 0
    """Errors whose message, fields, chain or traceback frames held the key."""
    max_latency: float = 0.0
    max_rss_mb: float = 0.0
    rss_samples_mb: list[float] = field(default_factory=list)
    server_connections: int = 0

    def table(self) -> str:
        rows = [
            f"requests {self.requests} at {self.concurrency} in flight, "
            f"{self.seconds:.1f}s ({self.requests / self.seconds:.0f}/s)",
            f"outcomes: {dict(sorted(self.outcomes.items()))}",
            f"wrong or untyped: {len(self.wrong)}, hung: {self.hung}, key leaked: {self.leaked}",
            f"slowest: {self.max_latency:.2f}s",
            f"RSS by progress (MB): {[round(x) for x in self.rss_samples_mb]}",
            f"max RSS {self.max_rss_mb:.0f} MB, server saw {self.server_connections} connections",
        ]
        return "\n".join(rows)


_MODELS: dict[tuple[str, int], Any] = {}
_HOSTILE_URL = ""


def _model(framework: str, fault_no: int, base_url: str, timeout: float) -> Any:
    """One model per framework and fault kind, shared by all requests, as an app would."""
    from benchmarks._hostile import HEADER
    from glm_transport.emulator.app import FAULT_HEADER
    from langchain_glm import ChatGLM
    from llama_index_glm import GLM

    key = (framework, fault_no)
    if key not in _MODELS:
        fault = FAULTS[fault_no][0] if fault_no >= 0 else None
        headers = {FAULT_HEADER: json.dumps(fault)} if fault else None
        if fault and "hostile" in fault:
            base_url, headers = _HOSTILE_URL, {HEADER: fault["hostile"]}
        cls: Any = ChatGLM if framework == "langchain" else GLM
        _MODELS[key] = cls(
            base_url=base_url,
            api_key=KEY,
            default_headers=headers,
            timeout=timeout,
            total_timeout=TOTAL_TIMEOUT,
            max_retries=2,
        )
    return _MODELS[key]


async def _one(i: int, base_url: str, fault_every: int, timeout: float) -> tuple[str, float]:
    from langchain_core.messages import HumanMessage
    from llama_index.core.base.llms.types import ChatMessage

    import glm_transport

    fault_no, expect = -1, "ok"
    if fault_every and i % fault_every == 0:
        fault_no = (i // fault_every) % len(FAULTS)
        expect = FAULTS[fault_no][1]
    text = f"soak request {i}"
    started = time.monotonic()
    flavour = (i + i // max(fault_every, 1)) % 4  # every flavour meets every fault
    lc = _model("langchain", fault_no, base_url, timeout)
    li = _model("llama_index", fault_no, base_url, timeout)
    try:
        if flavour == 0:
            out = (await lc.ainvoke([HumanMessage(text)])).content
        elif flavour == 1:
            out = "".join([str(c.content) async for c in lc.astream(text)])
        elif flavour == 2:
            out = (await li.achat([ChatMessage(role="user", content=text)])).message.content
        else:
            gen = await li.astream_chat([ChatMessage(role="user", content=text)])
            out = ""
            async for r in gen:
                out = r.message.content or ""
        elapsed = time.monotonic() - started
        correct = out == (LONG if expect == "long" else f"GLM emulator reply to: {text}")
        if not correct:
            return f"WRONG {i}: {out[:80]!r}", elapsed
        if expect == "long":
            return "long frame", elapsed
        if expect not in ("ok", "stream-or-ok", "timeout-or-ok"):
            return f"WRONG {i}: expected {expect}, got an answer", elapsed
        return "ok", elapsed
    except glm_transport.GLMError as err:
        elapsed = time.monotonic() - started
        if _holds_key(err):
            return f"LEAKED {i}: {type(err).__name__}", elapsed
        name = type(err).__name__.removeprefix("GLM")
        if expect == "stream-or-ok" and isinstance(err, glm_transport.StreamInterruptedError):
            return "StreamInterruptedError", elapsed
        timeout_expected = expect in ("APITimeoutError", "timeout-or-ok")
        if name.endswith(expect) or (timeout_expected and "Timeout" in name):
            return name, elapsed
        if expect == "APIConnectionError" and isinstance(err, glm_transport.APIConnectionError):
            return expect, elapsed
        return f"WRONG {i}: {expect} expected, got {name}", elapsed
    except Exception as err:  # anything untyped is a failure of the library
        return f"UNTYPED {i}: {type(err).__name__}: {err}", time.monotonic() - started


def _holds_key(err: BaseException) -> bool:
    """Whether the key is in what an error tracker would ship of ``err`` (:mod:`.tracker`)."""
    return KEY in tracker_view(err)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


async def run_soak(
    base_url: str,
    requests: int = 20_000,
    concurrency: int = 200,
    fault_rate: float = 0.1,
    timeout: float = 1.0,
) -> SoakResult:
    import glm_transport
    from benchmarks._hostile import HostileServer

    global _HOSTILE_URL
    hostile = HostileServer().__enter__()
    _HOSTILE_URL = hostile.base_url
    _MODELS.clear()
    fault_every = round(1 / fault_rate) if fault_rate else 0
    result = SoakResult(requests, concurrency, 0.0)
    queue = iter(range(requests))
    step = max(requests // 10, 1)

    async def worker() -> None:
        for i in queue:
            if i % step == 0:
                result.rss_samples_mb.append(_rss_mb())
            outcome, elapsed = await _one(i, base_url, fault_every, timeout)
            result.max_latency = max(result.max_latency, elapsed)
            # Nothing outlives its total timeout plus the longest backoff (8 s), doubled.
            if elapsed > 2 * (TOTAL_TIMEOUT + 8.0):
                result.hung += 1
            if outcome.startswith("LEAKED"):
                result.leaked += 1
                result.wrong.append(outcome)
            elif outcome.startswith(("WRONG", "UNTYPED")):
                result.wrong.append(outcome)
                result.outcomes["wrong"] += 1
            else:
                result.outcomes[outcome] += 1

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.monotonic() - started
    result.rss_samples_mb.append(_rss_mb())
    result.max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    await glm_transport.aclose_shared_clients()
    hostile.__exit__(None, None, None)
    return result


def main() -> None:
    from benchmarks._servers import EmulatorProcess

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    args = parser.parse_args()
    with EmulatorProcess() as emu:
        result = asyncio.run(
            run_soak(emu.base_url, args.requests, args.concurrency, args.fault_rate)
        )
        result.server_connections = int(emu.stats()["connections"])  # type: ignore[call-overload]
    print(result.table())
    for line in result.wrong[:20]:
        print(line)
    raise SystemExit(1 if result.wrong or result.hung or result.leaked else 0)


if __name__ == "__main__":
    main()
