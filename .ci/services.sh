#!/usr/bin/env bash
# Start the PostgreSQL and Redis servers the production-store and Celery tests need, on loopback.
#
# Run as root:  eval "$(bash .ci/services.sh)"
# Installs postgresql and redis-server with apt-get when they are missing, starts them, creates a
# database user and database for the tests, and prints on stdout only the lines to eval:
#   export SFSYNC_TEST_POSTGRES_DSN=postgresql://...
#   export SFSYNC_TEST_REDIS_URL=redis://...
# Everything else goes to stderr. Idempotent: running it twice reuses what is already running.
# Knobs (environment): SFSYNC_CI_PG_PORT (5432), SFSYNC_CI_REDIS_PORT (6379),
# SFSYNC_CI_PG_USER (sfsync), SFSYNC_CI_PG_PASSWORD (sfsync-ci), SFSYNC_CI_PG_DB (sfsync_test).
set -euo pipefail
# The postgres user cannot enter a private working folder (a mktemp clone): run from /.
cd /

PG_PORT="${SFSYNC_CI_PG_PORT:-5432}"
REDIS_PORT="${SFSYNC_CI_REDIS_PORT:-6379}"
PG_USER="${SFSYNC_CI_PG_USER:-sfsync}"
PG_PASSWORD="${SFSYNC_CI_PG_PASSWORD:-sfsync-ci}"
PG_DB="${SFSYNC_CI_PG_DB:-sfsync_test}"

say() { echo "services.sh: $*" >&2; }

if [ "$(id -u)" != "0" ]; then
    say "run me as root (I install and start system services)"
    exit 1
fi

need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ "${#need[@]}" -gt 0 ]; then
    say "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y postgresql redis-server >&2
fi

# --- PostgreSQL ---------------------------------------------------------------------------------
version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
    say "creating cluster $version/main"
    pg_createcluster "$version" main --port "$PG_PORT" >&2
fi
status="$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}')"
if [ "$status" != "online" ]; then
    say "starting PostgreSQL $version"
    pg_ctlcluster "$version" main start >&2 || service postgresql start >&2
fi
port="$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')"
for _ in $(seq 1 50); do
    if su postgres -c "pg_isready -q -h 127.0.0.1 -p $port"; then break; fi
    sleep 0.2
done
psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -q -p $port -d postgres" >&2; }
# CREATEDB: the store tests make a fresh database per test module.
psql_admin <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE "$PG_USER" LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  ELSE
    ALTER ROLE "$PG_USER" LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END
\$\$;
SQL
if ! su postgres -c "psql -p $port -tAc \"SELECT 1 FROM pg_database WHERE datname = '$PG_DB'\" postgres" | grep -q 1; then
    su postgres -c "createdb -p $port -O $PG_USER $PG_DB" >&2
fi

# --- Redis --------------------------------------------------------------------------------------
if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    say "starting Redis on 127.0.0.1:$REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save "" --appendonly no \
        --logfile /tmp/sfsync-redis.log >&2
    for _ in $(seq 1 50); do
        if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then break; fi
        sleep 0.1
    done
fi

echo "export SFSYNC_TEST_POSTGRES_DSN=postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$port/$PG_DB"
echo "export SFSYNC_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
