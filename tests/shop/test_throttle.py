"""The per-IP attempt budget: a window from each address's first attempt, then a fresh one."""

from __future__ import annotations

from clickstream.shop.throttle import AttemptLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_budget_refuses_past_the_limit_until_the_window_ends() -> None:
    clock = Clock()
    limiter = AttemptLimiter(3, window_seconds=60, clock=clock)
    assert [limiter.attempt("10.0.0.1") for _ in range(3)] == [None, None, None]
    clock.now += 20
    assert limiter.attempt("10.0.0.1") == 40  # seconds left in its window
    assert limiter.attempt("10.0.0.2") is None  # another address has its own budget
    clock.now += 40
    assert limiter.attempt("10.0.0.1") is None  # a new window


def test_ended_windows_are_swept_and_zero_turns_the_limit_off() -> None:
    clock = Clock()
    limiter = AttemptLimiter(1, window_seconds=60, clock=clock)
    for n in range(100):
        limiter.attempt(f"10.0.1.{n}")
    clock.now += 61
    limiter.attempt("10.0.2.1")
    assert len(limiter._windows) == 1  # only the address seen in this window is kept
    off = AttemptLimiter(0)
    assert all(off.attempt("10.0.0.1") is None for _ in range(1000))
