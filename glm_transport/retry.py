"""The retry policy, pure: whether to retry and how long to wait. No sleeping here.

Whether a failure is transient is the error's ``retryable`` fact, set from the tables in
:mod:`glm_transport.errors`; this module only counts attempts and computes delays.
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
    """Seconds the server asked us to wait, or ``None`` when absent or unparseable.

    Read from ``retry-after-ms``, then ``Retry-After`` in seconds or as an HTTP date.
    """
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return _sane(float(ms) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return _sane(float(value))
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    when = email.utils.mktime_tz(parsed)
    return max(when - (time.time() if now is None else now), 0.0)


def _sane(seconds: float) -> float | None:
    # A negative or non-finite wait is no instruction: fall back to our own backoff.
    return seconds if 0 <= seconds < float("inf") else None


def retry_delay(
    attempt: int,
    retry_after: float | None = None,
    *,
    initial: float = INITIAL_RETRY_DELAY,
    maximum: float = MAX_RETRY_DELAY,
    rand: float | None = None,
) -> float | None:
    """Delay before attempt ``attempt + 1``, or ``None`` when not worth waiting for.

    The server's Retry-After when it gave one, else capped exponential backoff with up to 25% jitter
    taken off (so the cap is a cap). ``None`` when the server asked for more than
    ``MAX_RETRY_AFTER`` seconds.
    """
    if retry_after is not None:
        return retry_after if retry_after <= MAX_RETRY_AFTER else None
    base = min(initial * (2 ** (attempt - 1)), maximum)
    jitter = random.random() if rand is None else rand
    return float(base * (1 - 0.25 * jitter))
