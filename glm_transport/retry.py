"""The retry policy, pure: which failures to retry and how long to wait. No sleeping here.

Transient: connection errors, timeouts, 408/409, 5xx, and 429 whose GLM code says "try again"
(1302, 1303, 1305, 1312) or 1234 (network error). Never: auth, permission, balance (1113), content
policy (1301), quota exhaustion (1304, 1308, 1310) or invalid requests, whatever the HTTP status.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping

from glm_transport._constants import INITIAL_RETRY_DELAY, MAX_RETRY_AFTER, MAX_RETRY_DELAY
from glm_transport.errors import GLMError

__all__ = ["parse_retry_after", "retry_delay", "should_retry"]


def should_retry(error: GLMError, attempt: int, max_retries: int) -> bool:
    """Whether ``error`` on attempt number ``attempt`` (1-based) deserves another attempt."""
    return error.retryable and attempt <= max_retries


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, then ``Retry-After`` in seconds
    or as an HTTP date. ``None`` when absent or unparseable."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    when = email.utils.mktime_tz(parsed)
    return max(when - (time.time() if now is None else now), 0.0)


def retry_delay(
    attempt: int,
    retry_after: float | None = None,
    *,
    initial: float = INITIAL_RETRY_DELAY,
    maximum: float = MAX_RETRY_DELAY,
    rand: float | None = None,
) -> float:
    """Delay before attempt ``attempt + 1``: the server's Retry-After when it gave a sane one,
    else capped exponential backoff with up to 25% jitter taken off (so the cap is a cap)."""
    if retry_after is not None and 0 <= retry_after <= MAX_RETRY_AFTER:
        return retry_after
    base = min(initial * (2 ** (attempt - 1)), maximum)
    jitter = random.random() if rand is None else rand
    return float(base * (1 - 0.25 * jitter))
