#!/usr/bin/env bash
# `make run`: RenewDesk on embedded defaults (SQLite database, SQLite Celery broker, console
# email). No PostgreSQL or Redis needed. Starts the web server, a Celery worker and Celery
# beat; Ctrl-C (or SIGTERM) stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.local}
export PYTHONUNBUFFERED=1
# Links inside messages (portal login links) must point at this server, whatever the port.
export SITE_URL=${SITE_URL:-http://$HOST:$PORT}
LOG_DIR=var/log
mkdir -p "$LOG_DIR"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- Compiled translations (msgfmt comes with Debian's gettext) -------------------------------
if ! command -v msgfmt >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing gettext (needed to compile the translations)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q gettext >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q gettext >/dev/null; }
  else
    echo "gettext is missing. Install it with:"
    echo "  sudo apt-get install -y gettext"
    exit 1
  fi
fi

# The port must be free before we start anything, or the worker and beat would run headless.
if ! "$PY" - "$HOST" "$PORT" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as runserver does: TIME_WAIT is fine
try:
    s.bind((sys.argv[1], int(sys.argv[2])))
except OSError:
    sys.exit(1)
EOF
then
  echo "Port $PORT on $HOST is already in use. Stop what uses it, or run: PORT=8001 make run"
  exit 1
fi

# compilemessages refuses to run when there is no catalogue at all, hence the check.
if [ -n "$(find . -path ./.venv -prune -o -name '*.po' -print -quit)" ]; then
  say "Compiling translations"
  "$PY" manage.py compilemessages -v0 --ignore=.venv
fi

say "Migrating the SQLite database"
"$PY" manage.py migrate --noinput -v0

# Commands written by other parts of the project; run them only once they exist.
commands=$("$PY" manage.py help --commands)
has_command() { grep -qx "$1" <<<"$commands"; }

if has_command seed_demo; then
  say "Loading demo data (only into an empty database)"
  "$PY" manage.py seed_demo --if-empty 2>&1 | tee "$LOG_DIR/seed.log"
  # The same list of logins is printed once more, below, when everything is up.
else
  echo "(seed_demo is not available yet: no demo data loaded)"
fi
if has_command setup_periodic_tasks; then
  say "Creating the periodic task schedule"
  "$PY" manage.py setup_periodic_tasks
fi
# Beat opens renewal cases once a day at a fixed hour; open today's now so that the renewal
# pipeline is not empty until then (idempotent: contracts that have a case are skipped).
if "$PY" -c "import renewals" 2>/dev/null; then
  say "Opening today's renewal cases (the daily sweep, run once now)"
  "$PY" manage.py shell --no-imports -c '
from renewals.services import renewal_cases_open_due
print(f"{renewal_cases_open_due()} renewal case(s) opened")'
fi
# The contact-plan sweep plans the account managers' calls, visits and reviews every morning
# (06:00): plan today's now, or the due-contacts list stays empty until tomorrow.
if "$PY" -c "import relations" 2>/dev/null; then
  say "Planning today's customer contacts (the daily sweep, run once now)"
  "$PY" manage.py shell --no-imports -c '
from django.utils import timezone
from relations.contact_plans import contact_plan_sweep
s = contact_plan_sweep(as_of=timezone.localdate())
print(f"{s.planned} contact(s) planned, {s.tasks} task(s) for the account managers")'
fi
# Likewise the renewal-propensity scores behind the at-risk list are computed nightly: score
# now, or the list says "no scored contracts yet" until tomorrow.
if has_command train_propensity; then
  say "Scoring renewal propensity (the nightly job, run once now)"
  "$PY" manage.py train_propensity || echo "(propensity scoring failed; the nightly job retries)"
fi

# --- Start the three processes, each in its own process group ---------------------------------
# Job control gives every background job its own process group, so that stopping one group
# also stops what it forked (runserver's autoreloader child, the worker's pool processes).
set -m
pids=()
worker_pid=
stopping=0

stop_all() {
  [ "$stopping" = 1 ] && return
  stopping=1
  trap '' INT TERM
  echo
  say "Stopping web server, worker and beat"
  # The worker's main process stops its pool itself (warm shutdown: the task in hand finishes);
  # the others get the signal group-wide so that runserver's reloader child goes too.
  for pid in "${pids[@]}"; do
    if [ "$pid" = "$worker_pid" ]; then kill -TERM "$pid" 2>/dev/null || true
    else kill -TERM -- "-$pid" 2>/dev/null || true; fi
  done
  # Give them a few seconds, then force whatever is left in their process groups.
  for _ in $(seq 1 20); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  say "Stopped."
}
trap 'stop_all; exit 0' INT  # a stop the user asked for is not an error
trap 'stop_all; exit 0' TERM
trap 'stop_all' EXIT

say "Starting Celery worker (log: $LOG_DIR/worker.log)"
# One worker for every queue (docs/scaling.md: production runs one per queue).
"$PY" -m celery -A config.celery_app worker -l info --concurrency 2 \
  -Q celery,sweeps,delivery,imports \
  >>"$LOG_DIR/worker.log" 2>&1 &
worker_pid=$!
pids+=("$worker_pid")

say "Starting Celery beat (log: $LOG_DIR/beat.log)"
rm -f var/celerybeat.pid
"$PY" -m celery -A config.celery_app beat -l info \
  --scheduler django_celery_beat.schedulers:DatabaseScheduler --pidfile var/celerybeat.pid \
  >>"$LOG_DIR/beat.log" 2>&1 &
pids+=("$!")

say "Starting web server on http://$HOST:$PORT/"
# Not a pipeline: the job's process group must be runserver's own (tee runs outside it).
"$PY" manage.py runserver "$HOST:$PORT" > >(tee -a "$LOG_DIR/web.log") 2>&1 &
pids+=("$!")

# Wait until the web server answers before printing where to go.
"$PY" - "http://$HOST:$PORT/healthz" <<'EOF' || true
import sys, time, urllib.error, urllib.request
for _ in range(60):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=2)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)  # it answered (503 only means the broker is still warming up)
    except OSError:
        time.sleep(0.5)
sys.exit(1)
EOF

BASE="http://$HOST:$PORT"
cat <<EOF

  RenewDesk is running.

    App:             $BASE/
    Staff login:     $BASE/staff/login/
    Customer portal: $BASE/portal/
    Django admin:    $BASE/admin/
    Health check:    $BASE/healthz

EOF
# The demo logins and portal customers: the same list seed_demo printed (core/demo/logins.py),
# read from the database so that it is shown on every start and says what is true now.
if has_command seed_demo; then
  "$PY" manage.py seed_demo --logins 2>/dev/null || true
fi
cat <<EOF

  E-mails (portal login links too): $BASE/staff/dev/mail/ (local only; kept in var/mail/)
  Logs: $LOG_DIR/web.log, $LOG_DIR/worker.log, $LOG_DIR/beat.log
  Press Ctrl-C to stop everything.

EOF

# If any of the three dies, stop the others rather than leave a half-running app.
set +e
wait -n "${pids[@]}"
status=$?
if [ "$stopping" = 0 ]; then
  echo "A process exited (status $status); see $LOG_DIR/. Stopping the rest."
  stop_all
  exit 1
fi
