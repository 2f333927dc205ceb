"""One call's attempts: their count, the call's wall-clock budget, and the wait before the next.

Pure but for reading the clock: the client's primitives (:mod:`._client`) ask it what each attempt
may take and whether and when to try again; the sleeping and the I/O stay there.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx

from glm_transport import errors as E
from glm_transport.config import GLMSettings
from glm_transport.endpoint import Reader
from glm_transport.retry import retry_delay, should_retry

__all__ = ["Attempts", "Unbudgeted"]

logger = logging.getLogger("glm_transport")


class Attempts:
    """Attempt count, wall-clock budget and the delay before the next attempt, for one call."""

    __slots__ = ("count", "deadline", "settings")

    def __init__(self, settings: GLMSettings, until: float | None = None) -> None:
        """Start the budget of one call now.

        ``until``: a ``time.monotonic()`` the call must end by as well, when it is one of several
        requests sharing one budget (the page ranges of a long PDF); the earlier of the two holds.
        """
        self.settings = settings
        self.count = 0
        total = settings.total_timeout
        deadline = None if total is None else time.monotonic() + total
        if until is not None:
            deadline = until if deadline is None else min(deadline, until)
        self.deadline = deadline

    def start(self) -> httpx.Timeout:
        """Begin an attempt; its timeouts, each cut to what is left of the budget."""
        self.count += 1
        timeout = self.settings.timeout
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            self._expired()
        return httpx.Timeout(
            connect=_cut(timeout.connect, left),
            read=_cut(timeout.read, left),
            write=_cut(timeout.write, left),
            pool=_cut(timeout.pool, left),
        )

    def left(self) -> float | None:
        """Seconds left of the call's budget (``None``: no budget)."""
        return None if self.deadline is None else max(self.deadline - time.monotonic(), 0.0)

    def _expired(self) -> None:
        raise self._final(self._expiry())

    def _expiry(self) -> E.GLMError:
        return E.APITimeoutError(
            f"GLM call exceeded its total_timeout of {self.settings.total_timeout}s",
            retryable=False,
            attempts=self.count,
        )

    def _cut_short(self, err: E.GLMError) -> bool:
        """Whether ``err`` is a read or connect the call's deadline cut short."""
        return (
            self.deadline is not None
            and isinstance(err, E.APITimeoutError)
            and err.retryable
            and time.monotonic() >= self.deadline - 0.05
        )

    def _final(self, err: E.GLMError) -> E.GLMError:
        """``err``, ready to leave the call: its count set, the key masked, nothing chained.

        What caused it (a transport exception, with the frames that sent the request, headers
        and key in their locals) is dropped from ``__context__``/``__cause__``, and so is its
        traceback inside the transport: error trackers ship the frame locals of a whole chain.
        Everything it needs to say is in its message and fields.
        """
        err.attempts = self.count
        key = self.settings.api_key
        if key is not None:
            _mask(err, key.get_secret_value())
        err.__cause__ = None
        err.__context__ = None
        err.__suppress_context__ = True
        return err.with_traceback(None)

    def watch(self, reads: Iterator[bytes]) -> Iterator[bytes]:
        """``reads``, checked against the budget between reads (a server that drips bytes)."""
        return reads if self.deadline is None else self._watched(reads, self.deadline)

    def _watched(self, reads: Iterator[bytes], deadline: float) -> Iterator[bytes]:
        for raw in reads:
            if time.monotonic() > deadline:
                self._expired()
            yield raw

    def awatch(self, reads: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """:meth:`watch` for async reads."""
        return reads if self.deadline is None else self._awatched(reads, self.deadline)

    async def _awatched(self, reads: AsyncIterator[bytes], deadline: float) -> AsyncIterator[bytes]:
        async for raw in reads:
            if time.monotonic() > deadline:
                self._expired()
            yield raw

    def delay(self, err: E.GLMError) -> float:
        """Seconds to wait before the next attempt, or raise ``err`` (with the count)."""
        err.attempts = self.count
        if self._cut_short(err):
            err = self._expiry()
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise self._final(err)
        if not should_retry(err, self.count, self.settings.max_retries):
            raise self._final(err)
        delay = retry_delay(self.count, err.retry_after)
        if delay is None:
            # the server asked for a longer wait than we take: it is on the error
            raise self._final(err)
        if self.deadline is not None and time.monotonic() + delay >= self.deadline:
            raise self._final(err)
        logger.info(
            "GLM call failed (%s, code %s); retry %d/%d in %.2fs",
            type(err).__name__,
            err.code,
            self.count,
            self.settings.max_retries,
            delay,
        )
        return delay

    def after(self, reader: Reader[Any], err: E.GLMError) -> float | None:
        """What follows a stream attempt's failure ``err``: the delay before the next attempt.

        Returns ``None`` when the reply is complete all the same (only the end marker was lost).

        Raises:
            GLMError: what cannot be retried (items already went out, or no attempt is left).
        """
        if reader.only_end_lost(err):
            return None
        if self._cut_short(err):
            err = self._expiry()
        failure = reader.failure(err)
        if reader.started:  # items went out: another attempt would repeat them
            raise self._final(failure)
        return self.delay(failure)


_MASK = "**********"
# A key this short is a placeholder (tests, local proxies); masking it would mangle words.
_MIN_SECRET = 8


def _mask(err: E.GLMError, secret: str) -> None:
    """Mask ``secret`` in what ``err`` says (a gateway may quote the key it refused)."""
    if len(secret) < _MIN_SECRET:
        return
    if secret in err.message:
        err.message = err.message.replace(secret, _MASK)
        err.args = (err.message,)
    for name in ("code", "request_id"):  # a gateway may put anything there, the key included
        value = getattr(err, name, None)
        if isinstance(value, str) and secret in value:
            setattr(err, name, value.replace(secret, _MASK))
    body = err.body
    if isinstance(body, str):
        if secret in body:
            err.body = body.replace(secret, _MASK)
    elif body is not None:
        try:
            text = json.dumps(body, ensure_ascii=False)
        except (TypeError, ValueError):
            return
        if secret in text:
            err.body = json.loads(text.replace(secret, _MASK))


def _cut(value: float | None, left: float) -> float:
    return left if value is None else min(value, left)


class Unbudgeted(Attempts):
    """The attempts of every call of one client without a budget: one object, nothing per call.

    Without a budget: no ``total_timeout``, no ``until``. A call in flight then holds no attempts
    object through its I/O (each object alive then is promoted by the collector with many calls
    in flight; BENCHMARKS.md, "Close to the floor"). It counts nothing: after a failure the
    caller takes :meth:`counted` and goes on with that.
    """

    __slots__ = ()

    def start(self) -> httpx.Timeout:
        """An attempt's timeouts: the settings' own (no budget cuts them)."""
        return self.settings.timeout

    def counted(self, attempts: int) -> Attempts:
        """The attempts of one call that has made ``attempts`` of them, to go on with."""
        own = Attempts(self.settings)
        own.count = attempts
        return own
