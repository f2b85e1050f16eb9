#!/usr/bin/env bash
# Start a PostgreSQL server on localhost for the storage tests and print the URL to export as
# FORMCHECK_TEST_POSTGRES_URL, e.g.
#     export FORMCHECK_TEST_POSTGRES_URL="$(bash ci/postgres.sh)"
# Installs Debian's postgresql if missing, creates/starts the cluster with pg_ctlcluster (no
# systemd needed), creates the role and database. Idempotent; run as root. Logs go to stderr.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

PG_USER=${PG_USER:-formcheck}
PG_PASSWORD=${PG_PASSWORD:-formcheck}
PG_DB=${PG_DB:-formcheck_test}

say() { echo "ci/postgres.sh: $*" >&2; }

if ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || ! command -v pg_ctlcluster >/dev/null; then
    say "installing postgresql"
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
fi

VER=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk -v v="$VER" '$1==v && $2=="main" {found=1} END {exit !found}'; then
    say "creating cluster $VER/main"
    pg_createcluster "$VER" main >&2
fi
install -d -o postgres -g postgres -m 2775 /var/run/postgresql
STATUS=$(pg_lsclusters -h | awk -v v="$VER" '$1==v && $2=="main" {print $4}')
if [ "$STATUS" != "online" ]; then
    say "starting cluster $VER/main"
    pg_ctlcluster "$VER" main start >&2
fi
PORT=$(pg_lsclusters -h | awk -v v="$VER" '$1==v && $2=="main" {print $3}')

for _ in $(seq 1 60); do
    if pg_isready -q -h localhost -p "$PORT"; then break; fi
    sleep 0.5
done
pg_isready -h localhost -p "$PORT" >&2

psql_pg() { runuser -u postgres -- psql -X -q -p "$PORT" -v ON_ERROR_STOP=1 "$@"; }
if [ -z "$(psql_pg -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" ]; then
    say "creating role $PG_USER"
    psql_pg -c "CREATE ROLE \"$PG_USER\" LOGIN PASSWORD '$PG_PASSWORD'"
else
    psql_pg -c "ALTER ROLE \"$PG_USER\" LOGIN PASSWORD '$PG_PASSWORD'"
fi
if [ -z "$(psql_pg -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" ]; then
    say "creating database $PG_DB"
    psql_pg -c "CREATE DATABASE \"$PG_DB\" OWNER \"$PG_USER\""
fi
# The tests make one schema per test inside this database.
psql_pg -d "$PG_DB" -c "GRANT CREATE ON DATABASE \"$PG_DB\" TO \"$PG_USER\""

echo "postgresql://$PG_USER:$PG_PASSWORD@localhost:$PORT/$PG_DB"
