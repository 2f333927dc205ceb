"""errors.py: the code table (read through parse_error, as replies are), the finish-reason
errors and pickling."""

from __future__ import annotations

import pickle

import pytest

from glm_transport import errors as E
from glm_transport.parse import parse_error


def test_every_code_in_the_table_names_a_documented_class() -> None:
    assert set(E.CODE_ERRORS.values()) <= {
        getattr(E, name) for name in E.__all__ if isinstance(getattr(E, name), type)
    }


@pytest.mark.parametrize(
    ("reason", "cls"),
    [
        ("sensitive", E.ContentFilterError),
        ("network_error", E.ServerError),
        ("model_context_window_exceeded", E.ContextOverflowError),
    ],
)
def test_abnormal_finish_reasons(reason: str, cls: type[E.APIError]) -> None:
    err = E.finish_error(reason, "rid", partial="so far")
    assert isinstance(err, cls) and err.partial == "so far" and err.request_id == "rid"
    assert E.finish_error("stop", None, None) is None


def test_declared_attributes_survive_pickling() -> None:
    err = E.RateLimitError("busy", status=429, code="1302", retry_after=2.5, attempts=3)
    back = pickle.loads(pickle.dumps(err))
    assert (back.retry_after, back.attempts, back.code, back.retryable) == (2.5, 3, "1302", True)
    assert "after 3 attempts" in str(back)


@pytest.mark.parametrize(
    ("status", "code", "cls", "retryable"),
    [
        (401, "1002", E.AuthenticationError, False),
        (429, "1113", E.PermissionDeniedError, False),
        (400, "1211", E.NotFoundError, False),
        (400, "1214", E.InvalidRequestError, False),
        (400, "1261", E.ContextOverflowError, False),
        (400, "1301", E.ContentFilterError, False),
        (429, "1302", E.RateLimitError, True),
        (429, "1303", E.RateLimitError, True),
        (429, "1305", E.RateLimitError, True),
        (429, "1312", E.RateLimitError, True),
        (429, "1304", E.QuotaExhaustedError, False),
        (429, "1313", E.QuotaExhaustedError, False),
        (429, "1308", E.QuotaExhaustedError, False),
        (429, "1310", E.QuotaExhaustedError, False),
        (500, "1234", E.ServerError, True),
        (500, None, E.ServerError, True),
        (502, None, E.ServerError, True),
        (503, None, E.ServerError, True),
        (501, None, E.ServerError, False),  # Not Implemented will not change on a retry
        (408, None, E.APIError, True),
        (409, None, E.APIError, True),
        (418, None, E.APIError, False),
        (403, None, E.PermissionDeniedError, False),
        (404, None, E.NotFoundError, False),
        (429, None, E.RateLimitError, True),
    ],
)
def test_error_mapping_by_code_then_status(
    status: int, code: str | None, cls: type, retryable: bool
) -> None:
    body = {"error": {"code": code, "message": "m"}, "request_id": "rid-1"} if code else "oops"
    err = parse_error(status, body)
    assert type(err) is cls
    assert err.retryable is retryable and err.is_retryable is retryable
    assert err.status == status
    assert err.code == code
    if code:
        assert err.request_id == "rid-1"
        assert "rid-1" in str(err) and code in str(err)


def test_openai_style_gateway_errors() -> None:
    err = parse_error(
        400, {"error": {"code": "content_policy_violation", "message": "no"}}, error_style="openai"
    )
    assert isinstance(err, E.ContentFilterError)
    same = {"error": {"code": "content_policy_violation", "message": "no"}}
    assert type(parse_error(400, same, error_style="glm")) is E.InvalidRequestError
    assert isinstance(
        parse_error(403, {"error": {"message": "insufficient balance"}}, error_style="openai"),
        E.PermissionDeniedError,
    )


def test_errors_keep_their_fields_through_pickle_and_conversion() -> None:
    err = parse_error(429, {"error": {"code": "1302", "message": "busy"}, "request_id": "r1"})
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is E.RateLimitError
    assert (back.status, back.code, back.request_id, back.retryable) == (429, "1302", "r1", True)
    from langchain_glm.errors import to_langchain_error

    lc = to_langchain_error(err)
    assert isinstance(lc, E.RateLimitError) and lc.is_retryable and lc.code == "1302"
