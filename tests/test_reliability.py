"""The reliability figures in their short form: every figure at its target.

The figures measured under load or against the clock (marked `reliability`)
run in `make test-reliability`, which CI runs after `make test`: `make test`
itself asserts no load figure or timing. The two checks that measure neither
(the static scan, the secrets and sessions) stay in `make test`.

The same checks as `make stress` (stress/, `python -m stress`), with smaller
counts: 1,000 malformed requests instead of 12,000, 20 Celery tasks instead
of 100, 8 writers x 50 posts instead of 500. Each check finds the examples it
applies to, so a new example is checked here the moment it lands.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cookbook import services
from stress import celery_worker
from stress import Figure
from stress import malformed
from stress import redis_outage
from stress import sessions
from stress import sqlite_writers
from stress import static_scan
from stress import uploads
from tests.conftest import IN_CI
from tests.conftest import unavailable


def short_form(check: Callable[[], list[Figure]]) -> list[Figure]:
    """The check's figures; a server that cannot be found skips (fails in CI)."""
    try:
        return check()
    except services.ServiceUnavailable as error:
        unavailable(str(error))


def assert_at_target(figures: list[Figure]) -> None:
    missed = [f"{f.name}: {f.value} (target {f.target})" for f in figures if not f.ok]
    assert figures, "the check measured nothing"
    assert not missed, "\n".join(missed)


@pytest.mark.slow
def test_no_finding_of_medium_or_high_severity_in_a_static_scan() -> None:
    assert_at_target(short_form(lambda: static_scan.run(short=True)))


@pytest.mark.slow
def test_secrets_are_required_and_sessions_stay_with_their_example() -> None:
    assert_at_target(short_form(lambda: sessions.run(short=True)))


@pytest.mark.services
@pytest.mark.reliability
def test_attacking_uploads_writes_and_serves_nothing_unsafe() -> None:
    assert_at_target(short_form(lambda: uploads.run(short=True)))


@pytest.mark.services
@pytest.mark.reliability
def test_redis_killed_or_frozen_is_a_quick_503_then_normal_again() -> None:
    assert_at_target(short_form(lambda: redis_outage.run(short=True)))


@pytest.mark.services
@pytest.mark.reliability
def test_a_killed_celery_worker_loses_no_task_and_runs_none_twice() -> None:
    assert_at_target(short_form(lambda: celery_worker.run(short=True)))


@pytest.mark.services
@pytest.mark.reliability
def test_concurrent_writers_lose_no_sqlite_row_on_either_server() -> None:
    assert_at_target(short_form(lambda: sqlite_writers.run(short=True)))


@pytest.mark.services
@pytest.mark.reliability
def test_malformed_requests_over_real_sockets_get_no_5xx_and_no_drop() -> None:
    # CI replays the same requests; locally each run draws new ones.
    seed = 0 if IN_CI else None
    assert_at_target(short_form(lambda: malformed.run(short=True, seed=seed)))
