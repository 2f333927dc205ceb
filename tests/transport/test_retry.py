"""The pure retry policy: which errors, how long (tested without sleeping)."""

from __future__ import annotations

import email.utils
import time

import pytest

from glm_transport import errors as E
from glm_transport.retry import parse_retry_after, retry_delay, should_retry


def test_backoff_is_exponential_capped_and_jittered_downwards() -> None:
    assert [retry_delay(n, rand=0) for n in (1, 2, 3, 4, 5, 6)] == [0.5, 1, 2, 4, 8, 8]
    assert retry_delay(1, rand=1) == 0.375
    for _ in range(100):
        assert 0.375 <= retry_delay(1) <= 0.5


def test_retry_after_wins_when_sane() -> None:
    assert retry_delay(3, retry_after=0.2) == 0.2
    # A wait longer than we take is not replaced by a short backoff: the error is raised instead.
    assert retry_delay(1, retry_after=3600, rand=0) is None


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    date = email.utils.formatdate(1_000_010, usegmt=True)
    assert parse_retry_after({"retry-after": date}, now=1_000_000) == pytest.approx(10)
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    # A negative or infinite wait is no instruction: our own backoff applies.
    assert parse_retry_after({"retry-after": "-5"}) is None
    assert parse_retry_after({"retry-after-ms": "inf"}) is None


@pytest.mark.parametrize(
    ("err", "expected"),
    [
        (E.RateLimitError("x", code="1302"), True),
        (E.QuotaExhaustedError("x", code="1308"), False),
        (E.PermissionDeniedError("x", code="1113"), False),
        (E.ContentFilterError("x", code="1301"), False),
        (E.AuthenticationError("x", status=401), False),
        (E.InvalidRequestError("x", status=400), False),
        (E.ServerError("x", status=503), True),
        (E.APIConnectionError("x"), True),
        (E.APITimeoutError("x"), True),
    ],
)
def test_should_retry(err: E.GLMError, expected: bool) -> None:
    assert should_retry(err, attempt=1, max_retries=2) is expected
    assert should_retry(err, attempt=3, max_retries=2) is False
    assert should_retry(err, attempt=1, max_retries=0) is False


def test_a_zero_retry_after_means_retry_now_not_our_backoff() -> None:
    assert parse_retry_after({"retry-after": "0"}) == 0.0
    assert parse_retry_after({"retry-after-ms": "0"}) == 0.0
    assert retry_delay(4, retry_after=0.0, rand=0) == 0.0


def test_retry_after_up_to_the_limit_is_honoured_and_past_it_is_not() -> None:
    from glm_transport._constants import MAX_RETRY_AFTER

    assert retry_delay(1, retry_after=MAX_RETRY_AFTER) == MAX_RETRY_AFTER
    assert retry_delay(1, retry_after=MAX_RETRY_AFTER + 0.001) is None


def test_an_http_date_retry_after_on_the_real_clock() -> None:
    # No ``now=``: the path the clients take. A date an hour ahead is about an hour's wait.
    ahead = email.utils.formatdate(time.time() + 3600, usegmt=True)
    assert 3500 < parse_retry_after({"retry-after": ahead}) <= 3600  # type: ignore[operator]
    # A date already past means no wait at all (not a negative one, not a minimum one).
    past = email.utils.formatdate(time.time() - 3600, usegmt=True)
    assert parse_retry_after({"retry-after": past}) == 0.0
    assert parse_retry_after({"retry-after": past}, now=time.time()) == 0.0
