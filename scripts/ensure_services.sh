#!/usr/bin/env bash
# Make sure the system packages, PostgreSQL and Redis needed by the test suite are there.
# Installs missing Debian packages when run as root; otherwise prints the exact command.
set -euo pipefail

PG_HOST=${PG_HOST:-127.0.0.1}
APT_PACKAGES=(chromium fonts-wqy-microhei poppler-utils gettext)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "Installing system packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
  else
    echo "Missing system packages. Install them with:"
    echo "  sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

# PostgreSQL
if ! pg_isready -h "$PG_HOST" -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    version=$(ls /etc/postgresql | sort -V | tail -n1)
    echo "Starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -h "$PG_HOST" -q && break; sleep 1; done
  pg_isready -h "$PG_HOST" -q || { echo "PostgreSQL is not reachable on $PG_HOST:5432"; exit 1; }
fi

# The test role (trust auth on these machines; CREATEDB so pytest-django can make test_renewdesk).
if ! psql -h "$PG_HOST" -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='renewdesk'" | grep -q 1; then
  echo "Creating PostgreSQL role renewdesk"
  psql -h "$PG_HOST" -U postgres -qc "CREATE ROLE renewdesk LOGIN CREATEDB"
fi

# Redis
if ! redis-cli -h 127.0.0.1 ping 2>/dev/null | grep -q PONG; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "Starting Redis"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp --logfile /tmp/renewdesk-redis.log || true
  fi
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping 2>/dev/null | grep -q PONG && break; sleep 1; done
  redis-cli -h 127.0.0.1 ping 2>/dev/null | grep -q PONG || { echo "Redis is not reachable on 127.0.0.1:6379"; exit 1; }
fi
echo "PostgreSQL and Redis are up."
