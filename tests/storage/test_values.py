"""The value checks, the clock and the index keys the backends share."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta

from storage.backends._indexes import index_key
from storage.backends._values import MonotonicClock


def test_the_clock_is_utc_and_strictly_increasing() -> None:
    clock = MonotonicClock()
    readings = [clock.now() for _ in range(2000)]
    assert all(r.tzinfo is UTC for r in readings)
    assert all(a < b for a, b in itertools.pairwise(readings))
    assert abs(readings[-1] - datetime.now(UTC)) < timedelta(seconds=5)


def test_the_clock_moves_on_by_a_microsecond_when_the_system_clock_is_behind() -> None:
    clock = MonotonicClock()
    first = clock.now()
    # The system clock stepped back an hour (as after an NTP correction): this clock
    # has already handed out a later time, so it goes on from there, 1 µs at a time.
    ahead = first + timedelta(hours=1)
    clock._last = ahead
    assert clock.now() == ahead + timedelta(microseconds=1)
    assert clock.now() == ahead + timedelta(microseconds=2)


def test_clocks_are_independent() -> None:
    early, late = MonotonicClock(), MonotonicClock()
    late._last = datetime.now(UTC) + timedelta(hours=1)
    late.now()
    assert early.now() < late.now()


def test_a_token_of_200_bytes_is_its_own_index_key_and_a_longer_one_a_digest() -> None:
    # "é" is 2 bytes in UTF-8: the limit is in bytes, not characters
    at_limit, past_limit = "é" * 100, "é" * 100 + "x"
    assert index_key(at_limit) == at_limit
    digest = index_key(past_limit)
    assert digest == "#" + hashlib.sha256(past_limit.encode()).hexdigest()
    assert index_key("x" * 201) != index_key("x" * 202)
