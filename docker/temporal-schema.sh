#!/bin/sh
# The one-shot temporal-schema job (docker-compose.yml, image temporalio/admin-tools): Temporal's
# two MySQL 8 databases, created when missing and brought to the schema of this Temporal version,
# before the server starts. The same steps as Temporal's own compose files
# (temporalio/samples-server, compose/scripts/setup-mysql.sh), but as Temporal's own account, which
# may use those two databases only (docker/mysql-init/10-temporal.sh). Idempotent: create-database
# is CREATE DATABASE IF NOT EXISTS, setup-schema -v 0.0 leaves a versioned schema alone, and
# update-schema applies only the versions not applied yet, so a new TEMPORAL_VERSION migrates here.
set -eu
: "${TEMPORAL_DB_HOST:?}" "${TEMPORAL_DB_PORT:?}" "${TEMPORAL_DB_USER:?}"
# temporal-sql-tool reads the password from SQL_PASSWORD, which keeps it out of the process list.
: "${SQL_PASSWORD:?set TEMPORAL_DB_PASSWORD in .env}"
export SQL_PASSWORD
schemas=${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema}/mysql/v8

sql_tool() {
  temporal-sql-tool --plugin mysql8 --ep "$TEMPORAL_DB_HOST" -p "$TEMPORAL_DB_PORT" -u "$TEMPORAL_DB_USER" "$@"
}

migrate() { # <database> <versioned schema directory>
  sql_tool --db "$1" create-database
  sql_tool --db "$1" setup-schema -v 0.0
  sql_tool --db "$1" update-schema -d "$2"
  echo "temporal-schema: database $1 is at the schema of $2"
}

migrate "${TEMPORAL_DB_NAME:-temporal}" "$schemas/temporal/versioned"
migrate "${TEMPORAL_VISIBILITY_DB_NAME:-temporal_visibility}" "$schemas/visibility/versioned"
