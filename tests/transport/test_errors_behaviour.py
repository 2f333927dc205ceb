"""What a caller sees of an error: its class (the documented tree), whether it is retried, the
message and fields it carries, the field a validation error names (issue 28: tests that fail when
errors.py breaks)."""

from __future__ import annotations

import pickle

import pytest

from glm_transport import errors as E
from glm_transport.parse import parse_error

# The tree in errors.py's docstring, one (class, parent) pair per line of it.
TREE = [
    (E.GLMValidationError, E.GLMError),
    (E.APIError, E.GLMError),
    (E.AuthenticationError, E.APIError),
    (E.PermissionDeniedError, E.APIError),
    (E.NotFoundError, E.APIError),
    (E.InvalidRequestError, E.APIError),
    (E.ContextOverflowError, E.InvalidRequestError),
    (E.ContentFilterError, E.InvalidRequestError),
    (E.RateLimitError, E.APIError),
    (E.QuotaExhaustedError, E.RateLimitError),
    (E.ServerError, E.APIError),
    (E.ToolChoiceError, E.APIError),
    (E.InvalidToolCallError, E.APIError),
    (E.ToolCallTruncatedError, E.InvalidToolCallError),
    (E.ReasoningExhaustedError, E.APIError),
    (E.SearchMissingError, E.APIError),
    (E.APIConnectionError, E.GLMError),
    (E.APITimeoutError, E.APIConnectionError),
    (E.StreamInterruptedError, E.GLMError),
]

# What a fresh instance of each class does when nothing overrides it: retried or not.
RETRIED = {
    E.RateLimitError: True,
    E.QuotaExhaustedError: False,
    E.ServerError: True,
    E.APIConnectionError: True,
    E.APITimeoutError: True,
    E.StreamInterruptedError: True,
}


@pytest.mark.parametrize(("cls", "parent"), TREE)
def test_the_class_tree_is_the_documented_one(cls: type[E.GLMError], parent: type) -> None:
    assert cls.__bases__[0] is parent
    # Catching GLMError catches everything the package raises.
    assert issubclass(cls, E.GLMError)


def test_a_validation_error_is_also_a_value_error() -> None:
    assert issubclass(E.GLMValidationError, ValueError)
    assert not issubclass(E.APIError, ValueError)


@pytest.mark.parametrize(("cls", "_"), TREE)
def test_which_classes_are_retried_by_default(cls: type[E.GLMError], _: type) -> None:
    expected = RETRIED.get(cls, False)
    err = cls("m") if cls is not E.GLMValidationError else cls("f", 1, "x")
    assert err.retryable is expected
    assert err.is_retryable is expected


@pytest.mark.parametrize("status", [500, 502, 503, 504, 599])
def test_any_5xx_without_a_code_is_a_retried_server_error(status: int) -> None:
    err = parse_error(status, "upstream broke")
    assert type(err) is E.ServerError and err.retryable is True
    assert err.message == "upstream broke"


def test_a_4xx_without_a_table_entry_is_a_plain_api_error_not_retried() -> None:
    err = parse_error(499, "")
    assert type(err) is E.APIError and err.retryable is False
    assert err.message == "GLM returned HTTP 499"


def test_a_501_is_a_server_error_that_is_not_retried() -> None:
    err = parse_error(501, {"error": {"code": "1234", "message": "nope"}})
    assert type(err) is E.ServerError and err.retryable is False and err.is_retryable is False


def test_a_known_code_wins_over_the_status() -> None:
    assert type(parse_error(200, {"error": {"code": "1302", "message": "m"}})) is E.RateLimitError
    assert type(parse_error(None, {"error": {"code": "1261", "message": "m"}})) is (
        E.ContextOverflowError
    )
    err = parse_error(None, {"error": {"code": "9999", "message": "m"}})
    assert type(err) is E.APIError and err.status is None and err.retryable is False


@pytest.mark.parametrize(
    "code", ["content_policy_violation", "Content_Filter", "SENSITIVE_input", "policy"]
)
def test_openai_style_content_codes_are_content_filter_errors(code: str) -> None:
    err = parse_error(400, {"error": {"code": code, "message": "m"}}, error_style="openai")
    assert type(err) is E.ContentFilterError and err.code == code


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "invalid_request_error", E.InvalidRequestError),
        (401, "invalid_api_key", E.AuthenticationError),
        (429, "rate_limit_exceeded", E.RateLimitError),
        (500, "server_error", E.ServerError),
        (418, "teapot", E.APIError),
    ],
)
def test_openai_style_other_codes_fall_back_to_the_status(
    status: int, code: str, cls: type[E.APIError]
) -> None:
    err = parse_error(status, {"error": {"code": code, "message": "m"}}, error_style="openai")
    assert type(err) is cls


def test_a_glm_code_on_an_openai_style_gateway_still_maps_by_the_table() -> None:
    err = parse_error(400, {"error": {"code": "1302", "message": "m"}}, error_style="openai")
    assert type(err) is E.RateLimitError


def test_the_message_names_status_code_request_id_and_attempts() -> None:
    err = E.RateLimitError("busy", status=429, code="1302", request_id="r-9", attempts=3)
    assert str(err) == "busy (HTTP 429, code 1302, request_id r-9, after 3 attempts)"
    assert str(E.APIError("plain")) == "plain"
    assert str(E.APIError("one try", attempts=1, request_id="")) == "one try"
    assert str(E.APIError("m", status=0)) == "m (HTTP 0)"
    assert str(E.APIError("m", code="1")) == "m (code 1)"
    assert str(E.APIError("m", attempts=2)) == "m (after 2 attempts)"
    assert err.args == ("busy",)


def test_fields_default_to_the_class_and_can_be_overridden() -> None:
    err = E.RateLimitError("m")
    assert (err.status, err.code, err.request_id, err.body, err.attempts) == (
        None,
        None,
        None,
        None,
        1,
    )
    assert (err.retry_after, err.partial, err.reply) == (None, None, None)
    assert err.retryable is True
    kept = E.RateLimitError(
        "m", retryable=False, retry_after=1.5, partial="so far", reply="r", body={"b": 1}
    )
    assert (kept.retryable, kept.is_retryable) == (False, False)
    assert (kept.retry_after, kept.partial, kept.reply, kept.body) == (1.5, "so far", "r", {"b": 1})
    assert E.APIError("m", retryable=True).is_retryable is True


def test_conversion_to_another_class_keeps_every_field() -> None:
    err = E.APIError("busy", status=429, code="1302", request_id="r", attempts=2, partial="p")
    new = err.as_class(E.RateLimitError)
    assert type(new) is E.RateLimitError
    assert (new.message, new.status, new.code, new.request_id, new.attempts, new.partial) == (
        "busy",
        429,
        "1302",
        "r",
        2,
        "p",
    )
    assert new.args == ("busy",) and str(new) == str(err)


def test_pickling_keeps_class_message_and_fields() -> None:
    err = E.GLMValidationError("temperature", 7, "0.0 to 1.0")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is E.GLMValidationError
    assert (back.field, back.value, back.allowed) == ("temperature", 7, "0.0 to 1.0")
    assert back.args == err.args and str(back) == str(err)


def test_a_validation_error_names_the_field_value_and_allowed_values() -> None:
    err = E.GLMValidationError("top_p", 2, "0.0 to 1.0")
    assert str(err) == "Invalid `top_p`: got 2; allowed: 0.0 to 1.0."
    assert (err.field, err.value, err.allowed) == ("top_p", 2, "0.0 to 1.0")
    assert err.retryable is False and err.status is None


def test_a_long_value_is_shortened_to_120_characters_and_a_120_one_is_not() -> None:
    exact = "x" * 118  # repr adds the two quotes: 120 characters
    assert f"got {exact!r};" in str(E.GLMValidationError("f", exact, "a"))
    long = "y" * 119  # 121 characters of repr
    err = E.GLMValidationError("f", long, "a")
    shown = str(err).split("got ", 1)[1].split("; allowed", 1)[0]
    assert len(shown) == 120 and shown.endswith("...") and shown.startswith("'yyy")
    assert err.value == long  # the field keeps the whole value


def test_finish_errors_carry_the_reason_as_code_and_say_what_happened() -> None:
    err = E.finish_error("sensitive", "rid", partial="half")
    assert err is not None
    assert err.code == "sensitive" and err.request_id == "rid" and err.partial == "half"
    assert "content safety" in err.message and err.status is None
    assert err.retryable is False
    net = E.finish_error("network_error", None, None)
    assert isinstance(net, E.ServerError) and net.retryable is True
    assert "network_error" in str(net)
    assert E.finish_error("length", "rid", "x") is None
    assert E.finish_error("tool_calls", "rid", "x") is None


def test_an_error_given_as_plain_text_is_the_message() -> None:
    err = parse_error(400, {"error": "model not found", "request_id": "r-1"})
    assert type(err) is E.InvalidRequestError
    assert (err.message, err.code, err.request_id) == ("model not found", None, "r-1")
    err = parse_error(503, {"msg": "busy", "code": 1302})
    assert type(err) is E.RateLimitError and (err.message, err.code) == ("busy", "1302")
