#!/usr/bin/env bash
# Make sure the system packages, PostgreSQL and Redis needed by the test suite are there.
# Installs missing Debian packages when run as root; otherwise prints the exact command.
# Starts PostgreSQL and Redis when they are installed but stopped, and creates the
# `renewdesk` role (CREATEDB, so pytest-django can create its test databases) and database.
set -euo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_PORT=${REDIS_PORT:-6379}
APT_PACKAGES=(chromium fonts-wqy-microhei poppler-utils gettext faketime)

is_root() { [ "$(id -u)" = "0" ]; }

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}

# --- System packages (browser tests, CJK font for PDFs, pdftotext, msgfmt, shifted dates) -----
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# The servers themselves: only needed when nothing answers on their ports.
command -v pg_isready >/dev/null 2>&1 || missing+=(postgresql-client)
if ! command -v redis-cli >/dev/null 2>&1; then missing+=(redis-tools); fi
if [ ${#missing[@]} -gt 0 ]; then
  if is_root; then
    echo "Installing system packages: ${missing[*]}"
    apt_install "${missing[@]}"
  else
    echo "Missing system packages. Install them with:"
    echo "  sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

pg_up() { pg_isready -h "$PG_HOST" -p "$PG_PORT" -q 2>/dev/null; }
redis_up() { redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

# --- PostgreSQL ---------------------------------------------------------------------------------
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n1)
    echo "Starting PostgreSQL $version"
    if is_root; then
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    else
      pg_ctlcluster "$version" main start 2>/dev/null \
        || echo "Could not start it as $(id -un); try: sudo pg_ctlcluster $version main start"
    fi
  else
    echo "PostgreSQL is not installed. Install it with:"
    echo "  sudo apt-get install -y postgresql"
    exit 1
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "PostgreSQL is not reachable on $PG_HOST:$PG_PORT"; exit 1; }
fi

# Administrative SQL: over TCP as `postgres` (trust auth on these machines), or through the
# local socket as the postgres system user (Debian's default peer auth) when we are root.
pg_admin() {
  if psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -w -d postgres -tAc "SELECT 1" >/dev/null 2>&1; then
    psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -w -d postgres -v ON_ERROR_STOP=1 -qtAc "$1"
  elif is_root && command -v runuser >/dev/null 2>&1; then
    runuser -u postgres -- psql -d postgres -v ON_ERROR_STOP=1 -qtAc "$1"
  else
    echo "Cannot run administrative SQL. As a PostgreSQL superuser, run:" >&2
    echo "  $1" >&2
    return 1
  fi
}

if [ "$(pg_admin "SELECT 1 FROM pg_roles WHERE rolname='renewdesk'")" != "1" ]; then
  echo "Creating PostgreSQL role renewdesk"
  pg_admin "CREATE ROLE renewdesk LOGIN CREATEDB"
fi
if [ "$(pg_admin "SELECT 1 FROM pg_database WHERE datname='renewdesk'")" != "1" ]; then
  echo "Creating PostgreSQL database renewdesk"
  pg_admin "CREATE DATABASE renewdesk OWNER renewdesk"
fi

# --- Redis ----------------------------------------------------------------------------------------
if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "Starting Redis"
    # --daemonize exits 0 even when the port is taken, hence the ping loop below.
    redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" --save "" \
      --appendonly no --dir /tmp --logfile /tmp/renewdesk-redis.log || true
  else
    echo "Redis is not installed. Install it with:"
    echo "  sudo apt-get install -y redis-server"
    exit 1
  fi
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
  redis_up || { echo "Redis is not reachable on $REDIS_HOST:$REDIS_PORT"; exit 1; }
fi
echo "PostgreSQL and Redis are up."
