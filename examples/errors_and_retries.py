"""Errors and retries: transient GLM errors are retried, the rest surface as typed errors.

Here the emulator injects faults (the x-glm-emulator-fault header) so you can see each path.
"""

import json

from langchain_core.exceptions import ModelRateLimitError

import glm_transport
from glm_transport.emulator import EmulatorServer
from langchain_glm import ChatGLM

with EmulatorServer() as emu:

    def llm(fault: dict, **kw: object) -> ChatGLM:
        return ChatGLM(
            base_url=emu.base_url,
            api_key="k",
            **kw,
            default_headers={"x-glm-emulator-fault": json.dumps(fault)},
        )

    # 1302 "high concurrency" twice, then success: retried with backoff / Retry-After.
    print(
        "[retried]",
        llm({"code": "1302", "times": 2, "retry_after_ms": 50}, max_retries=2).invoke("hi").content,
    )
    # 1308 "usage limit reached": quota, not retried; both a GLM and a LangChain error type.
    try:
        llm({"code": "1308"}).invoke("hi")
    except ModelRateLimitError as err:
        # Also a glm_transport.QuotaExhaustedError: catch whichever type your code knows.
        print("[types]  ", isinstance(err, glm_transport.QuotaExhaustedError))
        print(
            f"[quota]   {type(err).__name__}: status={err.status} code={err.code} "
            f"retryable={err.is_retryable} request_id={err.request_id}"
        )
    # A stream cut mid-way never looks like a complete answer.
    try:
        for _ in llm({"disconnect_after": 3, "batch": 1}).stream("hi"):
            pass
    except glm_transport.StreamInterruptedError as err:
        print(f"[cut]     {err}")
    # Fall back to another model on rate limits, with LangChain's own helper.
    chain = llm({"code": "1305"}, max_retries=0).with_fallbacks(
        [llm({}, model="glm-4.7")], exceptions_to_handle=(ModelRateLimitError,)
    )
    print("[fallback]", chain.invoke("hi").content)
