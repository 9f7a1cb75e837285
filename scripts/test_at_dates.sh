#!/usr/bin/env bash
# `make test`, second part: the date-sensitive tests again at shifted dates under Debian's
# faketime, so that a test (or the code) that only works on today's date fails in CI.
#
# The rule (docs/testing.md): every test that is not marked `e2e`, except those whose body
# starts with the clock frozen by time_machine (tests/conftest.py skips them here: their
# dates are their own, and they ran in the main run). e2e tests drive Chromium and Celery
# worker processes, whose own timers libfaketime breaks; the services they walk through
# are covered by the unit tests run here.
#
# Usage: scripts/test_at_dates.sh [pytest args...]; TEST_DATES picks the dates.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
TEST_DATES=${TEST_DATES:-"2027-12-31 2028-02-29"}
WORKERS=${PYTEST_WORKERS:-2}
BASE_DB=${TEST_DATABASE_NAME:-test_renewdesk}

if ! command -v faketime >/dev/null 2>&1; then
  echo "faketime is missing. Install it with:"
  echo "  sudo apt-get install -y faketime"
  exit 1
fi

for day in $TEST_DATES; do
  echo "==> The date-sensitive tests (not e2e) on $day (faketime)"
  # The monotonic clock stays real: faked, every timed wait (Thread.join(0.5), Event.wait)
  # would wait for the shift, i.e. years. tests/conftest.py handles time.sleep under it.
  # 10:00 UTC is 18:00 in the business zone (Asia/Shanghai): both on the same date.
  # PostgreSQL's own clock is not shifted; the code compares dates in Python.
  FAKETIME_DONT_FAKE_MONOTONIC=1 TZ=UTC RENEWDESK_SHIFTED_DATE="$day" \
    TEST_DATABASE_NAME="${BASE_DB}_${day//-/}" \
    faketime -f "@$day 10:00:00" \
    "$PY" -m pytest --create-db -q -n "$WORKERS" --dist loadfile -m "not e2e and not date_independent" "$@"
done
